"""One tracking issue for nightly coverage drops: opened once, then updated in place (PyGithub)."""

from __future__ import annotations

from collections.abc import Mapping

from hfguard.github import DEFAULT_API_URL, with_retries

TITLE = "hfguard nightly: model-type coverage dropped"
MARKER = "<!-- hfguard:nightly-drop -->"


def open_or_update(env: Mapping[str, str], markdown: str) -> str:
    """Create the open tracking issue (found by its marker) or replace its body; the issue's URL."""
    from github import Auth, Github

    client = Github(auth=Auth.Token(env["GITHUB_TOKEN"]), base_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
                    retry=None, lazy=True, timeout=30)
    repository = env["GITHUB_REPOSITORY"]
    run_url = f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{repository}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
    body = f"{MARKER}\nCoverage dropped in [this nightly run]({run_url}).\n\n{markdown}"

    def upsert() -> str:
        repo = client.get_repo(repository)
        found = next((i for i in repo.get_issues(state="open") if (i.body or "").startswith(MARKER)), None)
        if found is None:
            return repo.create_issue(title=TITLE, body=body).html_url
        found.edit(body=body)
        return found.html_url

    return with_retries(upsert, attempts=3, backoff=1.0, where=f"{repository} tracking issue")
