"""Run the composite action of ``action.yml`` locally, step by step, as the GitHub runner does.

Inputs get their defaults from ``action.yml``; each step's ``env:`` and ``run:`` are expanded by a small
evaluator of the expressions the action uses: context paths (``inputs.*``, ``github.*``,
``steps.<id>.outputs.*``, ``env.*``), string literals, ``==`` and ``!=`` (case-insensitive, as on
GitHub), ``!``, ``&&``, ``||`` (returning an operand, as on GitHub), parentheses and the status functions
``success()``, ``failure()``, ``always()``, ``cancelled()``; an ``if:`` without a status function holds
only while no step failed. ``run:`` steps execute with ``bash --noprofile --norc -eo pipefail`` in the
workspace with a fresh ``GITHUB_OUTPUT`` file; a failed step fails the action, and later steps run only
if their ``if:`` says so. The action's outputs are evaluated at the end. A ``uses:`` step whose ``if:``
holds is an error: the harness sets ``HFGUARD_ACTION_SKIP_INSTALL=true``, so the setup and install steps
are skipped and the steps run with the Python of this test run (hfguard is installed in it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOKEN = re.compile(r"\s*(?:(?P<literal>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<call>success|failure|always|cancelled)\(\)"
                   r"|(?P<path>[A-Za-z_][\w.-]*))")
STATUS_FUNCTIONS = re.compile(r"\b(success|failure|always|cancelled)\(\)")


@dataclass
class ActionResult:
    """What one run of the action left behind."""

    returncode: int
    outputs: dict[str, str]
    steps: dict[str, dict[str, Any]]
    summary: str
    log: str
    skipped: list[str] = field(default_factory=list)


def parse_output_file(text: str) -> dict[str, str]:
    """``GITHUB_OUTPUT`` as the runner reads it: ``key=value`` lines and ``key<<DELIMITER`` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


class Context:
    """The expression contexts of a composite action run, and whether a step failed so far."""

    def __init__(self, inputs: dict[str, str], github: dict[str, Any], env: dict[str, str]) -> None:
        self.data: dict[str, Any] = {"inputs": inputs, "github": github, "env": env, "steps": {}}
        self.failed = False

    def lookup(self, path: str) -> str:
        """Value of a dotted context path; missing values are '' as on GitHub."""
        value: Any = self.data
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return ""
            value = value[part]
        return "" if value is None else str(value)

    def expand(self, text: str) -> str:
        """Replace every ``${{ expression }}`` in ``text`` with its value."""
        return EXPRESSION.sub(lambda match: _text(self.evaluate(match.group(1))), text)

    def condition(self, expression: str | None) -> bool:
        """An ``if:``: none means ``success()``; one without a status function holds only while no step failed."""
        if expression is None:
            return not self.failed
        inner = EXPRESSION.fullmatch(expression.strip())
        text = inner.group(1) if inner else expression.strip()
        holds = _truthy(self.evaluate(text))
        return holds if STATUS_FUNCTIONS.search(text) else holds and not self.failed

    def evaluate(self, text: str) -> Any:
        """The value of one expression (see the module docstring for the grammar)."""
        tokens = []
        position = 0
        while position < len(text.rstrip()):
            match = TOKEN.match(text, position)
            if match is None:
                raise ValueError(f"unsupported expression {text!r} at {position}")
            tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        value, rest = self._or(tokens)
        if rest:
            raise ValueError(f"unsupported expression {text!r}: {rest}")
        return value

    def _or(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        value, tokens = self._and(tokens)
        while tokens[:1] == [("op", "||")]:
            right, tokens = self._and(tokens[1:])
            value = value if _truthy(value) else right
        return value, tokens

    def _and(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        value, tokens = self._compare(tokens)
        while tokens[:1] == [("op", "&&")]:
            right, tokens = self._compare(tokens[1:])
            value = right if _truthy(value) else value
        return value, tokens

    def _compare(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        value, tokens = self._unary(tokens)
        if tokens[:1] in ([("op", "==")], [("op", "!=")]):
            operator = tokens[0][1]
            right, tokens = self._unary(tokens[1:])
            equal = _text(value).lower() == _text(right).lower()
            value = equal if operator == "==" else not equal
        return value, tokens

    def _unary(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        kind, token = tokens[0]
        if (kind, token) == ("op", "!"):
            value, rest = self._unary(tokens[1:])
            return not _truthy(value), rest
        if (kind, token) == ("op", "("):
            value, rest = self._or(tokens[1:])
            assert rest[:1] == [("op", ")")], f"unbalanced parentheses: {rest}"
            return value, rest[1:]
        if kind == "literal":
            return token[1:-1].replace("''", "'"), tokens[1:]
        if kind == "call":
            return {"success": not self.failed, "failure": self.failed, "always": True, "cancelled": False}[token], tokens[1:]
        if kind == "path":
            return self.lookup(token), tokens[1:]
        raise ValueError(f"unexpected {token!r}")


def _truthy(value: Any) -> bool:
    return value not in ("", False, None, 0)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def run_action(workspace: Path, inputs: dict[str, str], event: dict[str, Any], *, event_name: str = "pull_request",
               repository: str = "acme/models", api_url: str = "", extra_env: dict[str, str] | None = None,
               action_dir: Path = ROOT) -> ActionResult:
    """Run ``action_dir/action.yml`` in ``workspace`` for ``event``; its outputs, step outputs, summary and log."""
    action = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    unknown = set(inputs) - set(action["inputs"])
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    scratch = Path(tempfile.mkdtemp(prefix="hfguard-runner-"))
    event_path = scratch / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    summary_path = scratch / "summary.md"
    summary_path.touch()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(scratch)),
        "CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(scratch),
        "GITHUB_ACTION_PATH": str(action_dir), "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": repository, "GITHUB_API_URL": api_url, "GITHUB_SHA": "0" * 40,
        "GITHUB_STEP_SUMMARY": str(summary_path), "HFGUARD_ACTION_SKIP_INSTALL": "true",
        "HFGUARD_GITHUB_BACKOFF": "0", **(extra_env or {}),
    }
    token = inputs.get("github-token", "")
    github = {"action_path": str(action_dir), "token": token, "workspace": str(workspace), "event_name": event_name,
              "event": event, "repository": repository}
    context = Context({}, github, env)
    for name, spec in action["inputs"].items():
        given = inputs.get(name)
        context.data["inputs"][name] = given if given is not None else context.expand(str(spec.get("default", "")))
    log, skipped, code = [], [], 0
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"__{index}")
        if not context.condition(step.get("if")):
            skipped.append(step.get("name", step_id))
            context.data["steps"][step_id] = {"outputs": {}, "outcome": "skipped"}
            continue
        if "uses" in step:
            raise AssertionError(f"step {step.get('name')!r} uses {step['uses']}: the local runner cannot run it")
        assert step.get("shell") == "bash", f"step {step.get('name')!r} must name shell: bash"
        assert not EXPRESSION.search(step["run"]), f"step {step.get('name')!r} has an expression inside run:"
        output_path = scratch / f"output-{index}"
        output_path.touch()
        step_env = {**env, "GITHUB_OUTPUT": str(output_path)}
        step_env.update({key: context.expand(str(value)) for key, value in (step.get("env") or {}).items()})
        script = scratch / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                                env=step_env, capture_output=True, text=True, check=False)
        log.append(result.stdout + result.stderr)
        outcome = "success" if result.returncode == 0 else "failure"
        context.data["steps"][step_id] = {"outputs": parse_output_file(output_path.read_text(encoding="utf-8")), "outcome": outcome}
        if result.returncode != 0:
            code = code or result.returncode
            context.failed = True
    outputs = {name: context.expand(str(spec["value"])) for name, spec in action.get("outputs", {}).items()}
    return ActionResult(code, outputs, context.data["steps"], summary_path.read_text(encoding="utf-8"), "".join(log), skipped)


def action_module(name: str) -> ModuleType:
    """A module of ``action/``, imported from its file as the runner's Python would run it."""
    spec = importlib.util.spec_from_file_location(f"hfguard_action_{name}", ROOT / "action" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
