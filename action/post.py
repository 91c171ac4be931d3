"""Entry of the hfguard GitHub Action's GitHub step: the only step that gets the token.

It runs no code of the pull request and never imports from the workspace (``python -I``, like the
checks step), and it runs only when the plan step decided, before any code of the pull request ran, that
none runs in this job (or ``publish-mode`` is ``direct``). What it does, the checks step (``main.py``)
named in its output ``github``:

- ``comment``: post the comment the checks step saved in ``comment-dir`` on the pull request of the
  triggering event (``hfguard comment --publish-from``); a 403, as for forks, keeps it saved;
- ``publish``: on ``workflow_run``, post a comment a pull request's run saved, on the pull request the
  GitHub API names for that run's head (``publish.find_pull_request``);
- ``issue``: open or update the nightly tracking issue with the body the report saved; a refused call (403)
  is a warning, never a lost night.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the action's own modules; -I leaves the script's folder out

from inputs import InputError, Inputs  # noqa: E402 - after the path of the action's modules
from protocol import ISSUE_BODY, Run, event, finish  # noqa: E402

from hfguard.errors import HfguardError  # noqa: E402
from hfguard.escape import workflow_data  # noqa: E402
from hfguard.github import COMMENT_FILE, Forbidden, pr_from_event  # noqa: E402

WORK_ENV = "HFGUARD_GITHUB_WORK"
WORKS = ("comment", "publish", "issue")


def post(inputs: Inputs, run: Run, work: str) -> None:
    """Do ``work`` (see the module docstring)."""
    if work == "issue":
        from track_issue import open_or_update

        try:
            url = open_or_update(run.env, ISSUE_BODY.read_text(encoding="utf-8"))
        except Forbidden as error:  # the night is kept all the same: the report, history and dashboard do not depend on it
            print(f"::warning title=hfguard::GitHub refused the tracking issue ({workflow_data(str(error))}): give the nightly's report "
                  "job 'issues: write'. The night's report, history and dashboard are not affected; the drop is in the job summary.")
            return
        print(f"::warning title=hfguard::coverage dropped against the previous nightly run: {workflow_data(url)}")
        return
    if work == "publish":
        from publish import find_pull_request

        context = event(run.env).get("workflow_run") or {}
        number = find_pull_request(run.env, context)
        if number is None:
            print(f"::notice title=hfguard::no open pull request has head {workflow_data(str(context.get('head_sha')))}; "
                  "nothing to publish")
            return
    else:
        number = pr_from_event(run.env.get("GITHUB_EVENT_PATH"))
        if number is None:
            raise HfguardError("the triggering event names no pull request; nothing to post")
    run.hfguard("comment", "--publish-from", str(inputs.comment_dir), "--pr", str(number), "--scope", inputs.scope,
                "--comment-file", str(inputs.comment_dir / COMMENT_FILE))


def main(env: Mapping[str, str] = os.environ) -> int:
    """Run the GitHub step; 0 when it did its work."""
    run = Run(env)
    try:
        work = env.get(WORK_ENV, "")
        if work not in WORKS:
            raise HfguardError(f"{WORK_ENV} must be one of {', '.join(WORKS)}, not '{work}'")
        post(Inputs.from_env(env), run, work)
    except InputError as error:
        run.failures.append(str(error))
    except HfguardError as error:
        run.failures += [str(problem) for problem in error.problems]
    except Forbidden as error:
        run.failures.append(f"{error}; give the workflow's token write access (pull-requests or issues: write)")
    finish(run, env)
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
