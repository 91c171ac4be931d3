"""Entry of the hfguard GitHub Action's checks step: run exactly the plan the plan step made, set outputs.

The plan step (``plan.py``) decided, before any code of the pull request ran, which checks run, whether the
upgrade check sweeps, and whether the GitHub step (the only one with the token) may follow. This step carries
it out: every piece of work is an ``hfguard`` subcommand run isolated (``python -I``). It has no token (but for
the nightly's ``report`` and ``save-history``, which run no code of the pull request); what needs GitHub (the
comment, the nightly tracking issue) it leaves to the GitHub step (``post.py``) through the step output
``github``, which that step's condition reads only together with the plan's ``github-step``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the action's own modules; -I leaves the script's folder out

from inputs import InputError, Inputs  # noqa: E402 - after the path of the action's modules
from plan import Plan  # noqa: E402
from protocol import BADGE, JUNIT, MARKDOWN, REPORT, REPORT_DIR, Run, finish  # noqa: E402

from hfguard.errors import HfguardError  # noqa: E402
from hfguard.escape import workflow_data  # noqa: E402
from hfguard.paths import output_folder  # noqa: E402


def run_checks(inputs: Inputs, plan: Plan, run: Run) -> None:
    """Run the plan's checks against the working tree."""
    from hfguard.config import load_config

    config = load_config(inputs.config)
    upgrade: Path | None = None
    output_folder(REPORT_DIR, Path.cwd(), "the report folder").mkdir(exist_ok=True)
    for step in plan.steps:
        if step == "verify":
            run.hfguard("verify", *inputs.config_args, "--format", "github")
        elif step == "generate":
            run.hfguard("generate", "--check", *inputs.config_args, check="hfguard generate --check (stale files)")
        elif step == "changed":
            names = run.hfguard("changed", "--base", plan.base, "--root", str(config.root), "--names", capture=True).stdout
            run.outputs["changed-models"] = " ".join(names.split())
        elif step == "test":
            run_tests(run, config.tests_dir, inputs.jobs, inputs.install)
        elif step == "coverage":
            coverage(inputs, run, plan.base)
        elif step == "upgrade" and plan.upgrade_problem:
            run.failures.append(f"upgrade check: {plan.upgrade_problem}")
        elif step == "upgrade":
            from upgrade_check import upgrade_check

            upgrade = upgrade_check(inputs, run, *plan.upgrade)
        elif step == "comment":
            comment(inputs, plan, run, upgrade)


def run_tests(run: Run, tests_dir: Path, jobs: str, install: tuple[str, ...] = ()) -> None:
    """Install what the tests import (``install``: pip arguments, e.g. the user's package), then run the
    generated tests offline with pytest-xdist, results in a fresh JUnit file.

    Both are pull-request code: they run without any token in their environment, and the runner ignores the
    workflow commands (``::…::``) they print. Only the JUnit file the tests write in this run counts.
    """
    from hfguard.test_run import TEST_TIMEOUT, pytest_command, test_environment

    JUNIT.unlink(missing_ok=True)  # a junit.xml the pull request brought along is no test result
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
    args += ["--junit", str(JUNIT)] if inputs.runs_tests and JUNIT.is_file() else []
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


def comment(inputs: Inputs, plan: Plan, run: Run, upgrade: Path | None = None) -> None:
    """Save the sticky comment in ``comment-dir``; leave posting it to the GitHub step when the plan lets it run.

    When code of the pull request runs in this job (the plan says which), the GitHub step does not run unless
    ``publish-mode`` is ``direct``: the comment stays saved for a ``workflow_run`` publisher (see
    docs/troubleshooting.md).
    """
    from hfguard.github import COMMENT_FILE, pr_from_event

    number = pr_from_event(run.env.get("GITHUB_EVENT_PATH"))
    if number is None:
        print("::notice title=hfguard::not a pull request event; no comment posted")
        return
    folder = output_folder(inputs.comment_dir, Path.cwd(), "input 'comment-dir'")
    args = ["comment", *inputs.config_args, "--report", str(REPORT), "--scope", inputs.scope,
            "--save", str(folder), "--pr", str(number)]
    args += ["--base", plan.base] if plan.base else []
    args += ["--upgrade", str(upgrade)] if upgrade else []
    quiet = {key: value for key, value in run.env.items() if key != "GITHUB_OUTPUT"}  # this step's outputs are set below
    if run.hfguard(*args, env=quiet).returncode != 0:
        return
    if plan.publish_mode in ("auto", "direct") and plan.github_step:
        run.outputs["github"] = "comment"
        return
    if plan.publish_mode == "auto":
        print(f"::notice title=hfguard::code of the pull request runs in this job ({workflow_data('; '.join(plan.pull_request_code))}), "
              f"so no step with the token runs after it: the comment is saved in {workflow_data(str(folder))}/ for a workflow_run "
              "publisher (hfguard-publish.yml). publish-mode: direct posts from here anyway; see docs/troubleshooting.md")
    run.outputs["comment-file"] = str(folder / COMMENT_FILE)


def main(env: Mapping[str, str] = os.environ) -> int:
    """Run the checks step of the action; 0 when every check passed."""
    run = Run(env)
    try:
        inputs, plan = Inputs.from_env(env), Plan.from_env(env)
        if plan.publish_mode == "publish":
            run.outputs["github"] = "publish"  # a saved comment, posted by the GitHub step
        elif inputs.run in ("sweep", "report", "save-history"):
            import nightly

            {"sweep": nightly.sweep_shard, "report": nightly.report, "save-history": nightly.save_history}[inputs.run](inputs, run)
        else:
            run_checks(inputs, plan, run)
    except InputError as error:
        run.failures.append(str(error))
    except HfguardError as error:
        run.failures += [str(problem) for problem in error.problems]
    finish(run, env)
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
