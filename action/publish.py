"""The ``publish`` half of fork pull requests: find the pull request of a ``workflow_run`` and check the artifact.

The pull request is looked up through the GitHub API from the run's head repository, branch and
commit; the number saved in the artifact (written by code of the pull request) is only compared
with it, never used on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hfguard.commands.comment import COMMENT_FILE, META_SUFFIX
from hfguard.github import DEFAULT_API_URL, with_retries
from hfguard.errors import HfguardError


def find_pull_request(env: Mapping[str, str], workflow_run: Mapping[str, Any]) -> int | None:
    """Number of the open pull request whose head is the run's head commit, or None."""
    from github import Auth, Github

    if workflow_run.get("event") not in ("pull_request", "pull_request_target"):
        raise HfguardError(f"publish needs a workflow_run of a pull_request run, not of '{workflow_run.get('event')}'")
    head_sha, branch = workflow_run.get("head_sha"), workflow_run.get("head_branch")
    owner = ((workflow_run.get("head_repository") or {}).get("owner") or {}).get("login")
    if not (head_sha and branch and owner):
        raise HfguardError("the workflow_run event names no head commit, branch and repository")
    if not env.get("GITHUB_TOKEN") or not env.get("GITHUB_REPOSITORY"):
        raise HfguardError("publish needs GITHUB_TOKEN (input github-token) and GITHUB_REPOSITORY")
    client = Github(auth=Auth.Token(env["GITHUB_TOKEN"]), base_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
                    retry=None, lazy=True, timeout=30)
    repository = env["GITHUB_REPOSITORY"]

    def lookup() -> int | None:
        pulls = client.get_repo(repository).get_pulls(state="open", head=f"{owner}:{branch}")
        return next((pull.number for pull in pulls if pull.head.sha == head_sha), None)

    return with_retries(lookup, attempts=3, backoff=1.0, where=f"{repository} pulls of {owner}:{branch}")


def check_saved_comment(folder: Path, number: int, scope: str) -> None:
    """Refuse a saved comment that was not saved for pull request ``number`` and ``scope``."""
    meta_path = (folder / COMMENT_FILE).with_suffix(META_SUFFIX)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise HfguardError(f"{meta_path}: no saved comment to publish ({error})") from None
    if meta.get("pr") != number or meta.get("scope") != scope:
        raise HfguardError(f"{meta_path}: saved for pull request {meta.get('pr')!r} scope {meta.get('scope')!r}, but the run's "
                          f"head belongs to pull request {number} and this publisher's scope is '{scope}'; not posting")
