"""One tracking issue per branch for nightly coverage drops: opened once, then updated in place (PyGithub).

The issue is ours only when its first line is the marker of this branch (``GITHUB_REF_NAME``) and its author is
the identity the token writes as (``Connection.login``); anyone else's issue, and the issue of another branch
(a manual run on a feature branch never rewrites the default branch's), is never edited. Its body is capped
at GitHub's limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

from hfguard.escape import defuse_mentions, markdown_code
from hfguard.github import Connection, cap_body, is_author, run_url

if TYPE_CHECKING:
    from github.Repository import Repository

TITLE = "hfguard nightly: model-type coverage dropped"
MARKER = "<!-- hfguard:nightly-drop branch={branch} -->"


def marker(branch: str) -> str:
    """The hidden first line of the tracking issue of ``branch`` (percent-encoded: no name can end the comment)."""
    return MARKER.format(branch=quote(branch, safe="/._"))


def open_or_update(env: Mapping[str, str], markdown: str) -> str:
    """Create the open tracking issue of this branch (found by its marker and author) or replace its body; the issue's URL."""
    connection = Connection.from_env(env)
    branch = env.get("GITHUB_REF_NAME", "")
    mark = marker(branch)
    url = run_url(env)
    run = f"[this nightly run]({url})" if url else "this nightly run"
    body = cap_body(defuse_mentions(f"{mark}\nCoverage dropped in {run} on branch {markdown_code(branch)}.\n\n{markdown}"))

    def upsert(repo: Repository) -> str:
        # The list holds pull requests too; only a marked one's pull_request is looked at (it may cost a request).
        marked = [i for i in repo.get_issues(state="open") if (i.body or "").split("\n", 1)[0].strip() == mark]
        me = connection.login() if marked else None
        found = next((i for i in marked if is_author(i.user, me) and i.pull_request is None), None)
        if found is None:
            return repo.create_issue(title=f"{TITLE} ({branch})" if branch else TITLE, body=body).html_url
        found.edit(body=body)
        return found.html_url

    return connection.call(upsert, " tracking issue")
