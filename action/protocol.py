"""What the Action's Python steps share: the folders they write, the record of one step's commands (``Run``), the
triggering event, and the runner's protocol (``::error`` annotations, ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``).

Every piece of work is an ``hfguard`` subcommand run with the Python that has hfguard installed, isolated
(``python -I``): the workspace, where a pull request can put a package named ``hfguard``, is never on its
import path. The plan, checks and GitHub steps import this module; it imports none of them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.escape import workflow_data

REPORT_DIR = Path("hfguard-report")
JUNIT = REPORT_DIR / "junit.xml"
REPORT = REPORT_DIR / "coverage.json"
MARKDOWN = REPORT_DIR / "coverage.md"
BADGE = REPORT_DIR / "coverage.svg"
ISSUE_BODY = REPORT_DIR / "tracking-issue.md"  # the nightly's tracking issue, for the GitHub step
# hfguard without the workspace on its path: isolated mode ignores PYTHON* variables and leaves out the
# working directory and the user's site-packages; UTF-8 whatever the runner's locale.
HFGUARD = (sys.executable, "-I", "-X", "utf8", "-m", "hfguard")


@dataclass
class Run:
    """What the commands of one step produced: failures, step outputs, lines of the job summary."""

    env: Mapping[str, str]
    failures: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    def hfguard(self, *args: str, check: str | None = None, capture: bool = False, ok_codes: tuple[int, ...] = (0,),
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``hfguard ARGS`` with this Python, isolated; an exit code not in ``ok_codes`` is recorded as the failure ``check``."""
        print(f"::group::hfguard {workflow_data(' '.join(args))}", flush=True)
        result = subprocess.run([*HFGUARD, *args], env=dict(self.env if env is None else env), text=True,
                                stdout=subprocess.PIPE if capture else None, check=False)
        print("::endgroup::", flush=True)
        self.record(check or f"hfguard {args[0]}", 0 if result.returncode in ok_codes else result.returncode)
        return result

    def record(self, check: str, code: int) -> None:
        """Note a check's outcome: exit 1 is a finding, anything else non-zero an error."""
        outcome = "ok" if code == 0 else "failed" if code == 1 else f"stopped with exit code {code}"
        if code != 0:
            self.failures.append(f"{check} {outcome}")
        self.summary.append(f"| {check} | {'✅' if code == 0 else '❌'} {outcome} |")


def event(env: Mapping[str, str]) -> dict[str, Any]:
    """The webhook payload of the triggering event (empty when there is none); one line when it is no event object."""
    from hfguard.github import load_event

    return load_event(env.get("GITHUB_EVENT_PATH"))


def finish(run: Run, env: Mapping[str, str]) -> None:
    """Annotations for the failures, the step outputs and the job summary."""
    for failure in run.failures:
        print(f"::error title=hfguard::{workflow_data(failure)}")
    if env.get("GITHUB_OUTPUT"):
        from hfguard.github import write_outputs

        write_outputs(Path(env["GITHUB_OUTPUT"]), run.outputs)
    if env.get("GITHUB_STEP_SUMMARY") and run.summary:
        checks = [line for line in run.summary if line.startswith("| ")]
        text = [line for line in run.summary if not line.startswith("| ")]
        table = ["### hfguard checks", "", "| check | result |", "|---|---|", *checks] if checks else []
        with Path(env["GITHUB_STEP_SUMMARY"]).open("a", encoding="utf-8") as handle:
            handle.write("\n".join([*text, *table]) + "\n")
