"""The Action's plan step: before any code of the pull request runs, decide what this job runs and whether a step
with the token may follow it.

Code of the pull request runs in a job when it runs the generated tests (``run: test``, ``run-tests``), a nightly
sweep (``run: sweep``), or the upgrade check's sweeps (the transformers pin of ``hfguard.lock`` moved between the base
and the head: read from git objects by hfguard's own code, here, before anything runs); each with the ``install``
(the team's package) before its tests. Once such code ran, it can have rewritten anything the job runs later (the
Action's scripts, its virtual environment, ``$GITHUB_ENV``, ``$GITHUB_OUTPUT``), so the decision is made now and
handed on only as this step's outputs, which no later step can change:

- ``github-step``: whether the GitHub step (the token) may run: when no code of the pull request runs in this job,
  or with ``publish-mode: direct``, the documented opt-out;
- ``data-token``: whether the checks step gets the token (the nightly's ``report`` and ``save-history``, which run
  no code of the pull request, read and write the data branch);
- ``plan``: the whole plan (JSON) for the checks step, which runs exactly its ``steps``.

This step has no token and runs only hfguard's own code, from the Action's virtual environment (``python -I``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the action's own modules; -I leaves the script's folder out

from inputs import InputError, Inputs  # noqa: E402 - after the path of the action's modules
from protocol import Run, event, finish  # noqa: E402

from hfguard.errors import HfguardError  # noqa: E402

PLAN_ENV = "HFGUARD_PLAN"  # the plan (JSON) as the checks step receives it


@dataclass(frozen=True)
class Plan:
    """What this job runs, decided before any of it runs."""

    run: str
    publish_mode: str  # resolved: 'auto' on a workflow_run event is 'publish'
    base: str = ""  # the revision compared with ('' none)
    steps: tuple[str, ...] = ()  # the checks of run all/coverage/comment, in order ('upgrade' only when its sweeps run)
    upgrade: tuple[str, ...] = ()  # (old, new) transformers pins when the upgrade check sweeps
    upgrade_problem: str = ""  # why the pins could not be read (the check is then reported failed, nothing swept)
    pull_request_code: tuple[str, ...] = field(default=())  # what code of the pull request this job runs, if any

    @property
    def github_step(self) -> bool:
        """Whether the GitHub step, which holds the token, may run after the checks step."""
        return not self.pull_request_code or self.publish_mode == "direct"

    @property
    def data_token(self) -> bool:
        """Whether the checks step itself gets the token (the nightly's data branch; no code of the pull request runs)."""
        return self.run in ("report", "save-history") and not self.pull_request_code

    def outputs(self) -> dict[str, str]:
        """This step's outputs: what ``action.yml``'s conditions compare, and the plan for the checks step."""
        return {"run": self.run, "pull-request-code": _bool(bool(self.pull_request_code)), "github-step": _bool(self.github_step),
                "data-token": _bool(self.data_token), "plan": json.dumps(asdict(self), sort_keys=True)}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Plan:
        """The plan the plan step handed to this step (``$HFGUARD_PLAN``)."""
        try:
            data: Any = json.loads(env.get(PLAN_ENV) or "null")
            return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})
        except (ValueError, TypeError, AttributeError):
            raise HfguardError(f"{PLAN_ENV} holds no plan: the checks step runs after the plan step of action.yml") from None


def _bool(value: bool) -> str:
    return "true" if value else "false"


def steps_for(inputs: Inputs, base: str) -> list[str]:
    """The checks of ``inputs.run``, in order, before the upgrade check is decided."""
    upgrade = ["upgrade"] if base and inputs.upgrade_check else []
    tests = ["test"] if inputs.runs_tests else []
    if inputs.run == "all":
        return ["verify", "generate", *(["changed"] if base else []), *tests, "coverage", *([*upgrade, "comment"] if inputs.comment else [])]
    if inputs.run == "coverage":
        return [*(["changed"] if base else []), *tests, "coverage"]
    if inputs.run == "comment":
        return [*tests, "coverage", *upgrade, "comment"]
    return [inputs.run]


def base_of(inputs: Inputs, payload: Mapping[str, Any]) -> str:
    """``base-ref``, or the base commit of the pull request that triggered the run, or ''."""
    from hfguard.github import event_object

    if inputs.base_ref:
        return inputs.base_ref
    sha = event_object(payload, "pull_request", "base").get("sha") or ""
    if not isinstance(sha, str):
        raise HfguardError("the event's pull_request.base.sha is not a commit id: is GITHUB_EVENT_PATH the runner's event file?")
    return sha


def make_plan(inputs: Inputs, env: Mapping[str, str], payload: Mapping[str, Any]) -> Plan:
    """Decide this job's work from the inputs, the event and git objects; nothing of the pull request runs here."""
    mode = "publish" if inputs.publish_mode == "auto" and env.get("GITHUB_EVENT_NAME") == "workflow_run" else inputs.publish_mode
    if mode == "publish":
        return Plan(inputs.run, mode)
    base = base_of(inputs, payload)
    steps = steps_for(inputs, base)
    code = []
    installed = f" after pip install {' '.join(inputs.install)}" if inputs.install else ""  # before tests and in every sweep
    if "test" in steps or inputs.run == "sweep":
        code.append("the generated tests" + installed)
    upgrade: tuple[str, ...] = ()
    problem = ""
    if "upgrade" in steps:
        try:
            upgrade = _moved_pin(inputs, base)
        except HfguardError as error:
            problem = "; ".join(str(p) for p in error.problems)
        if upgrade:
            code.append(f"the upgrade check's sweeps (transformers {upgrade[0]} and {upgrade[1]}){installed}")
        elif not problem:
            steps.remove("upgrade")
    return Plan(inputs.run, mode, base, tuple(steps), upgrade, problem, tuple(code))


def _moved_pin(inputs: Inputs, base: str) -> tuple[str, ...]:
    """(old, new) when the transformers version of ``hfguard.lock`` differs between the merge base and the working tree."""
    from hfguard.config import load_config
    from hfguard.upgrade import pinned_versions

    old, new = pinned_versions(load_config(inputs.config), base)
    if not old or not new or old == new:
        print(f"hfguard: transformers pin unchanged ({new or 'no hfguard.lock'}); no upgrade check")
        return ()
    return old, new


def main(env: Mapping[str, str] = os.environ) -> int:
    """Write the plan as this step's outputs; 2 on a bad input or event."""
    run = Run(env)
    try:
        plan = make_plan(Inputs.from_env(env), env, event(env))
    except InputError as error:
        run.failures.append(str(error))
    except HfguardError as error:
        run.failures += [str(problem) for problem in error.problems]
    else:
        run.outputs = plan.outputs()
        if plan.pull_request_code:
            print(f"hfguard: this job runs code of the pull request ({'; '.join(plan.pull_request_code)}), so "
                  + ("the GitHub step runs after it only because publish-mode is direct" if plan.github_step
                     else "no step with the token runs after it"))
    finish(run, env)
    return 2 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
