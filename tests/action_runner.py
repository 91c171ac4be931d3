"""Run the composite action of ``action.yml`` locally, step by step, as the GitHub runner does; and evaluate a
workflow's job graph around it.

Inputs get their defaults from ``action.yml``; each step's ``env:`` and ``run:`` are expanded by a small
evaluator of the expressions the action uses: context paths (``inputs.*``, ``github.*``,
``steps.<id>.outputs.*``, ``env.*``, ``needs.<job>.outputs.*``, ``needs.<job>.result``), string literals,
``==`` and ``!=`` (case-insensitive, as on GitHub), ``!``, ``&&``, ``||`` (returning an operand, as on GitHub),
parentheses and the status functions ``success()``, ``failure()``, ``always()``, ``cancelled()``; an ``if:``
without a status function holds only while no step failed. ``run:`` steps execute with ``bash --noprofile
--norc -eo pipefail`` in the workspace with a fresh ``GITHUB_OUTPUT`` file; a failed step fails the action,
and later steps run only if their ``if:`` says so. The action's outputs are evaluated at the end. A
``uses:`` step whose ``if:`` holds is an error: the harness sets ``HFGUARD_ACTION_SKIP_INSTALL=true``, so
the setup and install steps are skipped and the steps run with the Python of this test run (hfguard is
installed in it). ``ActionResult.ran`` lists every step that ran and whether its environment held the token.

``run_workflow`` evaluates the jobs of a workflow in the order of their ``needs``, with GitHub's job-level
semantics: a job's ``if:`` without a status function is ``success() && (if)``, where ``success()`` means
that every job it needs, directly or through others, succeeded (a failure or a skip anywhere up the chain
skips it); ``failure()``, that one of them failed. ``run_steps`` runs a job's steps with the same step-level
semantics as the composite action, handing each ``uses:`` step to a handler (the hfguard action to
``run_action``, the others to stand-ins of the test), and evaluates the job's ``outputs:``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
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
    ran: list[tuple[str, bool]] = field(default_factory=list)  # every step that ran, and whether its environment held the token


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

    def __init__(self, inputs: dict[str, str], github: dict[str, Any], env: dict[str, str], needs: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = {"inputs": inputs, "github": github, "env": env, "steps": {}, "needs": needs or {}}
        self.failed = False

    def statuses(self) -> dict[str, bool]:
        """The status functions' values: for steps, whether a step before failed."""
        return {"success": not self.failed, "failure": self.failed, "always": True, "cancelled": False}

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
            return self.statuses()["success"]
        inner = EXPRESSION.fullmatch(expression.strip())
        text = inner.group(1) if inner else expression.strip()
        holds = _truthy(self.evaluate(text))
        return holds if STATUS_FUNCTIONS.search(text) else holds and self.statuses()["success"]

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
            return self.statuses()[token], tokens[1:]
        if kind == "path":
            return self.lookup(token), tokens[1:]
        raise ValueError(f"unexpected {token!r}")


def _truthy(value: Any) -> bool:
    return value not in ("", False, None, 0)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def run_action(workspace: Path, inputs: dict[str, str], event: dict[str, Any], *, event_name: str = "pull_request",
               repository: str = "acme/models", api_url: str = "", extra_env: dict[str, str] | None = None,
               action_dir: Path = ROOT, github_token: str = "") -> ActionResult:
    """Run ``action_dir/action.yml`` in ``workspace`` for ``event``; its outputs, step outputs, summary and log.

    ``github_token`` is the workflow's own token (``github.token``, the default of the ``github-token`` input)."""
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
    token = inputs.get("github-token") or github_token
    github = {"action_path": str(action_dir), "token": token, "workspace": str(workspace), "event_name": event_name,
              "event": event, "repository": repository}
    context = Context({}, github, env)
    for name, spec in action["inputs"].items():
        given = inputs.get(name)
        context.data["inputs"][name] = given if given is not None else context.expand(str(spec.get("default", "")))
    log, skipped, ran, code = [], [], [], 0
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
        ran.append((step.get("name", step_id), bool(token) and token in step_env.values()))
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                                env=step_env, capture_output=True, text=True, check=False)
        log.append(result.stdout + result.stderr)
        outcome = "success" if result.returncode == 0 else "failure"
        context.data["steps"][step_id] = {"outputs": parse_output_file(output_path.read_text(encoding="utf-8")), "outcome": outcome}
        if result.returncode != 0:
            code = code or result.returncode
            context.failed = True
    outputs = {name: context.expand(str(spec["value"])) for name, spec in action.get("outputs", {}).items()}
    return ActionResult(code, outputs, context.data["steps"], summary_path.read_text(encoding="utf-8"), "".join(log), skipped, ran)


class JobContext(Context):
    """The context of a job's ``if:``: ``needs`` of its direct dependencies, status functions over all of them."""

    def __init__(self, github: dict[str, Any], needs: dict[str, Any], upstream: list[str]) -> None:
        super().__init__({}, github, {}, needs)
        self.upstream = upstream  # the results of every job it needs, directly or through others

    def statuses(self) -> dict[str, bool]:
        return {"success": all(result == "success" for result in self.upstream), "failure": "failure" in self.upstream,
                "always": True, "cancelled": False}


@dataclass
class JobResult:
    """What one job of a workflow did: ``success``, ``failure`` or ``skipped``, its outputs, and the steps that ran."""

    result: str
    outputs: dict[str, str] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)


def run_workflow(workflow: dict[str, Any], github: dict[str, Any],
                 run_job: Callable[[str, dict[str, Any], dict[str, Any]], JobResult]) -> dict[str, JobResult]:
    """Each job of ``workflow`` in the order of its ``needs``: ``run_job(name, job, needs)`` when its ``if:`` holds (see the
    module docstring), else skipped."""
    jobs = workflow["jobs"]
    needs_of = {name: [job["needs"]] if isinstance(job.get("needs"), str) else list(job.get("needs") or []) for name, job in jobs.items()}
    results: dict[str, JobResult] = {}

    def ancestors(name: str) -> set[str]:
        return {parent for need in needs_of[name] for parent in (need, *ancestors(need))}

    while len(results) < len(jobs):
        ready = [name for name in jobs if name not in results and all(need in results for need in needs_of[name])]
        assert ready, f"a cycle in the needs of {sorted(set(jobs) - set(results))}"
        for name in ready:
            needs = {need: {"result": results[need].result, "outputs": results[need].outputs} for need in needs_of[name]}
            context = JobContext(github, needs, [results[parent].result for parent in sorted(ancestors(name))])
            results[name] = run_job(name, jobs[name], needs) if context.condition(jobs[name].get("if")) else JobResult("skipped")
    return results


def run_steps(job: dict[str, Any], github: dict[str, Any], needs: dict[str, Any],
              handle: Callable[[dict[str, Any], dict[str, str]], tuple[str, dict[str, str]]]) -> JobResult:
    """The steps of ``job`` with the step-level semantics of ``run_action``: ``handle(step, expanded with:)`` runs a step and
    gives its outcome (``success`` or ``failure``) and outputs; the job's ``outputs:`` are evaluated at the end."""
    context = Context({}, github, {}, needs)
    ran = []
    for index, step in enumerate(job["steps"]):
        step_id = step.get("id", f"__{index}")
        if not context.condition(step.get("if")):
            context.data["steps"][step_id] = {"outputs": {}, "outcome": "skipped"}
            continue
        outcome, outputs = handle(step, {key: context.expand(str(value)) for key, value in (step.get("with") or {}).items()})
        ran.append(step.get("name") or step.get("uses") or step_id)
        context.data["steps"][step_id] = {"outputs": outputs, "outcome": outcome}
        if outcome == "failure" and not step.get("continue-on-error"):
            context.failed = True
    outputs = {name: context.expand(str(value)) for name, value in (job.get("outputs") or {}).items()}
    return JobResult("failure" if context.failed else "success", outputs, ran)


def action_module(name: str) -> ModuleType:
    """A module of ``action/``, imported from its file as the runner's Python would run it (the action's folder on its path)."""
    if str(ROOT / "action") not in sys.path:
        sys.path.insert(0, str(ROOT / "action"))
    spec = importlib.util.spec_from_file_location(f"hfguard_action_{name}", ROOT / "action" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
