"""The ``publish`` half of fork pull requests: find the pull request of a ``workflow_run`` through the API.

The pull request is looked up from the run's head repository, branch and commit, and passed to
``hfguard comment --publish-from DIR --pr N``; the number saved in the artifact (written by code of
the pull request) is never used on its own: ``hfguard comment`` refuses a comment saved for another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfguard.errors import HfguardError
from hfguard.github import Connection


def find_pull_request(env: Mapping[str, str], workflow_run: Mapping[str, Any]) -> int | None:
    """Number of the open pull request whose head is the run's head commit, or None."""
    if workflow_run.get("event") not in ("pull_request", "pull_request_target"):
        raise HfguardError(f"publish needs a workflow_run of a pull_request run, not of '{workflow_run.get('event')}'")
    head_sha, branch = workflow_run.get("head_sha"), workflow_run.get("head_branch")
    owner = ((workflow_run.get("head_repository") or {}).get("owner") or {}).get("login")
    if not (head_sha and branch and owner):
        raise HfguardError("the workflow_run event names no head commit, branch and repository")
    pulls = Connection.from_env(env).call(lambda repo: list(repo.get_pulls(state="open", head=f"{owner}:{branch}")),
                                          f" pulls of {owner}:{branch}")
    return next((pull.number for pull in pulls if pull.head.sha == head_sha), None)
