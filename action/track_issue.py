"""One tracking issue for nightly coverage drops: opened once, then updated in place (PyGithub).

The issue is ours only when it carries the marker and its author is the identity the token writes as
(``Connection.login``); anyone else's issue is never edited. Its body is capped at GitHub's limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hfguard.escape import defuse_mentions
from hfguard.github import Connection, cap_body, is_author

if TYPE_CHECKING:
    from github.Repository import Repository

TITLE = "hfguard nightly: model-type coverage dropped"
MARKER = "<!-- hfguard:nightly-drop -->"


def open_or_update(env: Mapping[str, str], markdown: str) -> str:
    """Create the open tracking issue (found by its marker and author) or replace its body; the issue's URL."""
    connection = Connection.from_env(env)
    run_url = f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{connection.repository}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
    body = cap_body(defuse_mentions(f"{MARKER}\nCoverage dropped in [this nightly run]({run_url}).\n\n{markdown}"))

    def upsert(repo: Repository) -> str:
        # The list holds pull requests too; only a marked one's pull_request is looked at (it may cost a request).
        marked = [i for i in repo.get_issues(state="open") if (i.body or "").startswith(MARKER)]
        me = connection.login() if marked else None
        found = next((i for i in marked if is_author(i.user, me) and i.pull_request is None), None)
        if found is None:
            return repo.create_issue(title=TITLE, body=body).html_url
        found.edit(body=body)
        return found.html_url

    return connection.call(upsert, " tracking issue")
