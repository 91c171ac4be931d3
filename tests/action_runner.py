"""Run the composite action of ``action.yml`` locally, step by step, as the GitHub runner does.

Inputs get their defaults from ``action.yml``; each step's ``env:`` and ``run:`` are expanded by a tiny
evaluator for the expressions the action uses (``inputs.*``, ``github.*``, ``steps.<id>.outputs.*``,
``env.*``, and ``if:`` comparisons with a string literal); ``run:`` steps execute with
``bash --noprofile --norc -eo pipefail`` in the workspace with a fresh ``GITHUB_OUTPUT`` file; the
action's outputs are evaluated at the end. A ``uses:`` step whose ``if:`` holds is an error: the
harness sets ``HFGUARD_ACTION_SKIP_INSTALL=true``, so the setup and install steps are skipped and the
steps run with the Python of this test run (hfguard is installed in it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
COMPARISON = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")


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
    """The expression contexts of a composite action run."""

    def __init__(self, inputs: dict[str, str], github: dict[str, Any], env: dict[str, str]) -> None:
        self.data: dict[str, Any] = {"inputs": inputs, "github": github, "env": env, "steps": {}}

    def lookup(self, path: str) -> str:
        """Value of a dotted context path; missing values are '' as on GitHub."""
        value: Any = self.data
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return ""
            value = value[part]
        return "" if value is None else str(value)

    def expand(self, text: str) -> str:
        """Replace every ``${{ path }}`` in ``text``."""
        return EXPRESSION.sub(lambda match: self.lookup(match.group(1)), text)

    def condition(self, expression: str | None) -> bool:
        """An ``if:`` of the supported forms: none (success()), ``path == 'x'``, ``path != 'x'``."""
        if expression is None:
            return True
        inner = EXPRESSION.fullmatch(expression.strip())
        text = inner.group(1) if inner else expression.strip()
        match = COMPARISON.match(text)
        if match is None:
            raise ValueError(f"unsupported if: expression {expression!r}")
        path, operator, literal = match.groups()
        return (self.lookup(path) == literal) is (operator == "==")


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
            code = result.returncode
            break
    outputs = {name: context.expand(str(spec["value"])) for name, spec in action.get("outputs", {}).items()}
    return ActionResult(code, outputs, context.data["steps"], summary_path.read_text(encoding="utf-8"), "".join(log), skipped)

