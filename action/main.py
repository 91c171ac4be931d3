"""Entry of the hfguard GitHub Action's checks step: read the inputs (``INPUT_*``), run hfguard's commands, set outputs.

Every piece of work is an ``hfguard`` subcommand run with the Python that has hfguard installed, isolated
(``python -I``): the workspace, where a pull request can put a package named ``hfguard``, is never on its
import path, and neither is it on this script's. This step has no token: what needs GitHub (the comment,
the nightly tracking issue, a fork's saved comment) it leaves to the GitHub step (``post.py``) through
the step output ``github``. This script only chooses the commands, collects their results, and speaks
the runner's protocol (``::error`` annotations, ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hfguard.errors import HfguardError
from hfguard.escape import workflow_data
from hfguard.paths import output_folder

RUNS = ("verify", "generate", "test", "coverage", "comment", "all", "sweep", "report", "save-history")
PUBLISH_MODES = ("auto", "compute", "publish", "direct")
REPORT_DIR = Path("hfguard-report")
JUNIT = REPORT_DIR / "junit.xml"
REPORT = REPORT_DIR / "coverage.json"
MARKDOWN = REPORT_DIR / "coverage.md"
BADGE = REPORT_DIR / "coverage.svg"
ISSUE_BODY = REPORT_DIR / "tracking-issue.md"  # the nightly's tracking issue, for the GitHub step
# hfguard without the workspace on its path: isolated mode ignores PYTHON* variables and leaves out the
# working directory and the user's site-packages; UTF-8 whatever the runner's locale.
HFGUARD = (sys.executable, "-I", "-X", "utf8", "-m", "hfguard")


@dataclass(frozen=True)
class Inputs:
    """The action's inputs, validated."""

    run: str
    config: Path | None  # None: the registry the CLI finds in the workspace (hfguard.toml, or [tool.hfguard])
    base_ref: str
    run_tests: bool
    fail_on_drop: bool
    minimum_coverage: float | None
    comment: bool
    scope: str
    publish_mode: str
    comment_dir: Path
    shard: str
    jobs: str
    transformers: str
    shard_reports: Path
    previous_dir: Path
    data_branch: str = ""
    upgrade_check: bool = True
    install: tuple[str, ...] = ()  # pip arguments for the code the tests import (the user's package), before the tests

    @property
    def config_args(self) -> tuple[str, ...]:
        """``--config`` for hfguard's commands when the input names a registry."""
        return ("--config", str(self.config)) if self.config else ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        """Read ``INPUT_<NAME>`` variables (names upper-cased, ``-`` as ``_``) as the runner passes them."""

        def value(name: str, default: str = "") -> str:
            return env.get(f"INPUT_{name.upper().replace('-', '_')}", default).strip() or default

        def flag(name: str, default: str) -> bool:
            text = value(name, default).lower()
            if text not in ("true", "false"):
                raise HfguardError(f"input '{name}' must be true or false, not '{text}'")
            return text == "true"

        run, mode = value("run", "all"), value("publish-mode", "auto")
        if run not in RUNS:
            raise HfguardError(f"input 'run' must be one of {', '.join(RUNS)}, not '{run}'")
        if mode not in PUBLISH_MODES:
            raise HfguardError(f"input 'publish-mode' must be one of {', '.join(PUBLISH_MODES)}, not '{mode}'")
        if value("transformers", "pinned") not in ("pinned", "latest"):
            raise HfguardError(f"input 'transformers' must be pinned or latest, not '{value('transformers')}'")
        minimum = value("minimum-coverage")
        try:
            minimum_pct = float(minimum) if minimum else None
        except ValueError:
            raise HfguardError(f"input 'minimum-coverage' must be a percentage, not '{minimum}'") from None
        return cls(
            run=run, config=Path(value("config")) if value("config") else None, base_ref=value("base-ref"),
            run_tests=flag("run-tests", "false"), fail_on_drop=flag("fail-on-coverage-drop", "false"),
            minimum_coverage=minimum_pct, comment=flag("comment", "true"), scope=value("scope", "default"),
            publish_mode=mode, comment_dir=Path(value("comment-dir", "hfguard-comment")),
            shard=value("shard", "1/1"), jobs=value("jobs", "auto"), transformers=value("transformers", "pinned"),
            shard_reports=Path(value("shard-reports", "hfguard-shards")), previous_dir=Path(value("previous-dir", "hfguard-previous")),
            data_branch=value("data-branch"), upgrade_check=flag("upgrade-check", "true"), install=_pip_arguments(value("install")),
        )


def _pip_arguments(text: str) -> tuple[str, ...]:
    """The ``install`` input as pip arguments (shell-like quoting, never a shell); '' is none."""
    try:
        return tuple(shlex.split(text))
    except ValueError as error:
        raise HfguardError(f"input 'install' is not a list of pip arguments ({error}): e.g. '.' or '-r requirements.txt'") from None


@dataclass
class Run:
    """What the commands of one action run produced."""

    env: Mapping[str, str]
    failures: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    ran_tests: bool = False  # pull-request code (the generated tests and the user's conftest.py) ran in this job

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


def event(env: Mapping[str, str]) -> dict:
    """The webhook payload of the triggering event (empty when there is none)."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


def base_ref(inputs: Inputs, payload: dict) -> str:
    """``base-ref``, or the base commit of the pull request that triggered the run, or ''."""
    return inputs.base_ref or (payload.get("pull_request") or {}).get("base", {}).get("sha", "")


def publish_mode(inputs: Inputs, env: Mapping[str, str]) -> str:
    """``auto`` resolves to ``publish`` on workflow_run, else to posting directly unless tests ran (``auto``)."""
    if inputs.publish_mode == "auto" and env.get("GITHUB_EVENT_NAME") == "workflow_run":
        return "publish"
    return inputs.publish_mode


def steps_for(inputs: Inputs) -> list[str]:
    """The checks of ``run``, in order."""
    if inputs.run == "all":
        return ["verify", "generate", "changed", *(["test"] if inputs.run_tests else []), "coverage",
                *(["upgrade", "comment"] if inputs.comment else [])]
    if inputs.run == "coverage":
        return ["changed", *(["test"] if inputs.run_tests else []), "coverage"]
    if inputs.run == "comment":
        return [*(["test"] if inputs.run_tests else []), "coverage", "upgrade", "comment"]
    return [inputs.run]


def run_checks(inputs: Inputs, run: Run, payload: dict) -> None:
    """Run the checks of ``inputs.run`` against the working tree."""
    from hfguard.config import load_config

    config = load_config(inputs.config)
    base = base_ref(inputs, payload)
    config_args = inputs.config_args
    upgrade: Path | None = None
    output_folder(REPORT_DIR, Path.cwd(), "the report folder").mkdir(exist_ok=True)
    for step in steps_for(inputs):
        if step == "verify":
            run.hfguard("verify", *config_args, "--format", "github")
        elif step == "generate":
            run.hfguard("generate", "--check", *config_args, check="hfguard generate --check (stale files)")
        elif step == "changed" and base:
            names = run.hfguard("changed", "--base", base, "--root", str(config.root), "--names", capture=True).stdout
            run.outputs["changed-models"] = " ".join(names.split())
        elif step == "test":
            run_tests(run, config.tests_dir, inputs.jobs, inputs.install)
        elif step == "coverage":
            coverage(inputs, run, base)
        elif step == "upgrade" and base and inputs.upgrade_check:
            from upgrade_check import upgrade_check

            upgrade = upgrade_check(inputs, run, base)
        elif step == "comment":
            comment(inputs, run, base, upgrade)


def run_tests(run: Run, tests_dir: Path, jobs: str, install: tuple[str, ...] = ()) -> None:
    """Install what the tests import (``install``: pip arguments, e.g. the user's package), then run the
    generated tests offline with pytest-xdist, results in a fresh JUnit file.

    Both are pull-request code: they run without any token in their environment, and the runner ignores the
    workflow commands (``::…::``) they print. Only the JUnit file the tests write in this run counts.
    """
    from hfguard.test_run import TEST_TIMEOUT, pytest_command, test_environment

    JUNIT.unlink(missing_ok=True)  # a junit.xml the pull request brought along is no test result
    run.ran_tests = True
    env = test_environment(run.env, TEST_TIMEOUT)
    if install:
        code = _untrusted(f"pip install {' '.join(install)}", [sys.executable, "-I", "-m", "pip", "install", *install], env)
        run.record("install the code the tests import ('install')", code)
        if code != 0:
            return
    code = _untrusted(f"pytest {tests_dir}", pytest_command(tests_dir, JUNIT, jobs), env)
    run.record("generated tests", code)


def _untrusted(title: str, command: list[str], env: Mapping[str, str]) -> int:
    """Run pull-request code in a log group whose workflow commands the runner ignores; its exit code."""
    stop = uuid.uuid4().hex
    print(f"::group::{workflow_data(title)}\n::stop-commands::{stop}", flush=True)
    code = subprocess.run(command, env=dict(env), check=False).returncode
    print(f"\n::{stop}::\n::endgroup::", flush=True)
    return code


def coverage(inputs: Inputs, run: Run, base: str) -> None:
    """``hfguard coverage``: the JSON report, Markdown, badge, thresholds; outputs from the report."""
    from hfguard.coverage import delta_points, load_report

    args = ["coverage", *inputs.config_args, "--json", str(REPORT), "--markdown", str(MARKDOWN),
            "--badge", str(BADGE)]
    args += ["--junit", str(JUNIT)] if run.ran_tests and JUNIT.is_file() else []
    args += ["--base", base] if base else []
    args += ["--fail-under", f"{inputs.minimum_coverage:g}"] if inputs.minimum_coverage is not None else []
    args += ["--fail-on-drop"] if inputs.fail_on_drop and base else []
    run.hfguard(*args)
    if not REPORT.is_file():
        return
    measure, pct = load_report(REPORT).headline()
    run.outputs.update({"coverage": f"{pct:g}", "report-path": str(REPORT)})
    delta = json.loads(REPORT.read_text(encoding="utf-8")).get("delta")
    if delta is not None:
        run.outputs["delta"] = delta_points(delta, measure)[1]
    if not inputs.comment:
        run.summary.insert(0, MARKDOWN.read_text(encoding="utf-8"))


def comment(inputs: Inputs, run: Run, base: str, upgrade: Path | None = None) -> None:
    """Save the sticky comment in ``comment-dir``; leave posting it to the GitHub step (``auto``, ``direct``).

    ``auto`` does not post when the generated tests ran in this job: the tests are pull-request code, which
    could have tampered with anything a later step of the job runs. The comment stays saved for a
    ``workflow_run`` publisher (``compute``); ``direct`` posts it anyway (see docs/troubleshooting.md).
    """
    from hfguard.github import COMMENT_FILE, pr_from_event

    number = pr_from_event(run.env.get("GITHUB_EVENT_PATH"))
    if number is None:
        print("::notice title=hfguard::not a pull request event; no comment posted")
        return
    folder = output_folder(inputs.comment_dir, Path.cwd(), "input 'comment-dir'")
    args = ["comment", *inputs.config_args, "--report", str(REPORT), "--scope", inputs.scope,
            "--save", str(folder), "--pr", str(number)]
    args += ["--base", base] if base else []
    args += ["--upgrade", str(upgrade)] if upgrade else []
    quiet = {key: value for key, value in run.env.items() if key != "GITHUB_OUTPUT"}  # this step's outputs are set below
    if run.hfguard(*args, env=quiet).returncode != 0:
        return
    if inputs.publish_mode == "direct" or inputs.publish_mode == "auto" and not run.ran_tests:
        run.outputs["github"] = "comment"
        return
    if inputs.publish_mode == "auto":
        print("::notice title=hfguard::the generated tests (code of the pull request) ran in this job, so this job does not "
              f"post with its token: the comment is saved in {workflow_data(str(folder))}/ for a workflow_run publisher (hfguard-publish.yml). "
              "publish-mode: direct posts from here anyway; see docs/troubleshooting.md")
    run.outputs["comment-file"] = str(folder / COMMENT_FILE)


def main(env: Mapping[str, str] = os.environ) -> int:
    """Run the checks step of the action; 0 when every check passed."""
    run = Run(env)
    try:
        inputs = Inputs.from_env(env)
        payload = event(env)
        if publish_mode(inputs, env) == "publish":
            run.outputs["github"] = "publish"  # a saved comment, posted by the GitHub step
        elif inputs.run in ("sweep", "report", "save-history"):
            import nightly

            {"sweep": nightly.sweep_shard, "report": nightly.report, "save-history": nightly.save_history}[inputs.run](inputs, run)
        else:
            run_checks(inputs, run, payload)
    except HfguardError as error:
        run.failures += [str(problem) for problem in error.problems]
    finish(run, env)
    return 1 if run.failures else 0


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


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the action's own modules; -I leaves the script's folder out
    sys.exit(main())
