"""GitHub: a PyGithub client from ``GITHUB_*``, one sticky comment per scope, retries, saved comments, Actions files.

The sticky comment is found by the hidden marker on its first line (``MARKER``), across every
page of the pull request's comments, and edited in place; it is written only when its body
changes. Finding-then-writing is idempotent, so a failed attempt is retried as a whole: a write
that reached GitHub before the error is found on the next attempt instead of being repeated.
A comment that is not posted (``--save``, or GitHub refused to write) is saved as two files
(``StickyComment.save``) for a later publish on the pull request a trusted workflow names.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hfguard.errors import HfguardError

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue
    from github.Repository import Repository

MARKER = "<!-- hfguard:coverage scope={scope} -->"
MAX_BODY = 65536  # GitHub's limit on a comment body, in characters
DEFAULT_API_URL = "https://api.github.com"
BACKOFF_ENV = "HFGUARD_GITHUB_BACKOFF"  # seconds of the first retry wait (doubles each time)
ATTEMPTS = 5  # tries of one GitHub call (5xx, rate limits, connection errors)
TIMEOUT = 30  # seconds per HTTP request
MAX_WAIT = 120.0  # a rate limit that resets later than this is not waited for
SHRINK_STEPS = (None, 50, 10, 0)  # max_items tried in turn by ``fit_body``
COMMENT_FILE = "hfguard-comment.md"  # a saved comment's body; beside it, its meta file
META_SUFFIX = ".json"  # the meta file: {"pr": N, "scope": ID}
T = TypeVar("T")


def marker(scope: str) -> str:
    """The hidden first line that identifies the sticky comment of ``scope``."""
    if not re.fullmatch(r"[A-Za-z0-9._/-]{1,100}", scope):
        raise HfguardError(f"invalid scope '{scope}': use letters, digits and . _ / - (at most 100)")
    return MARKER.format(scope=scope)


def fit_body(render: Callable[[int | None], str], scope: str, limit: int = MAX_BODY) -> str:
    """Marker plus ``render(max_items)``, shrinking detail step by step (with a visible note) to fit ``limit``."""
    head = marker(scope) + "\n"
    for max_items in SHRINK_STEPS:
        note = "" if max_items is None else (
            f"\n> **Shortened** to fit GitHub's {limit:,}-character comment limit: lists show at most "
            f"{max_items} model types. The full report is in the job summary and the JSON report.\n"
        )
        body = head + render(max_items) + note
        if len(body) <= limit:
            return body
    note = "\n\n> **Truncated** to fit GitHub's comment limit; the full report is in the job summary.\n"
    return body[: limit - len(note)] + note


@dataclass(frozen=True)
class Connection:
    """How hfguard reaches a repository's GitHub API: token, ``owner/repo``, API URL and retry policy."""

    token: str
    repository: str
    api_url: str = DEFAULT_API_URL
    attempts: int = ATTEMPTS
    backoff: float = 1.0  # seconds of the first retry wait (doubling), and PyGithub's pause between writes

    @classmethod
    def from_env(cls, env: Mapping[str, str], attempts: int = ATTEMPTS) -> Connection:
        """``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` (GitHub Enterprise: ``https://HOST/api/v3``), backoff."""
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
        if missing:
            raise HfguardError(f"{' and '.join(missing)} not set; in a workflow pass env: GITHUB_TOKEN: ${{{{ github.token }}}}")
        return cls(env["GITHUB_TOKEN"], env["GITHUB_REPOSITORY"], env.get("GITHUB_API_URL") or DEFAULT_API_URL,
                   attempts, float(env.get(BACKOFF_ENV) or "1"))

    def client(self) -> Github:
        """The one PyGithub client of hfguard: lazy, 100 per page, no built-in retries (``with_retries`` decides)."""
        from github import Auth, Github

        return Github(auth=Auth.Token(self.token), base_url=self.api_url.rstrip("/"), retry=None, per_page=100, lazy=True,
                      timeout=TIMEOUT, seconds_between_requests=None, seconds_between_writes=self.backoff)

    def call(self, action: Callable[[Repository], T], about: str) -> T:
        """``action(repository)`` with retries; ``about`` follows ``owner/repo`` in error messages."""
        repository = self.client().get_repo(self.repository)  # lazy: no request yet
        return with_retries(lambda: action(repository), self.attempts, self.backoff, f"{self.repository}{about}")


def run_url(env: Mapping[str, str]) -> str | None:
    """The URL of the GitHub Actions run this is part of (its log), from ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY``
    and ``GITHUB_RUN_ID``; None outside a run."""
    parts = [env.get(name, "").strip() for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts) or not parts[2].isdigit() or not parts[0].startswith(("https://", "http://")):
        return None
    return f"{parts[0].rstrip('/')}/{parts[1]}/actions/runs/{parts[2]}"


def pr_number(pr: int | None, env: Mapping[str, str]) -> int:
    """``pr``, or the pull request of the triggering event (``GITHUB_EVENT_PATH``)."""
    number = pr if pr is not None else pr_from_event(env.get("GITHUB_EVENT_PATH"))
    if number is None:
        raise HfguardError("no pull request number: pass --pr N, or run on a pull_request (or issue_comment) event")
    return number


def pr_from_event(event_path: str | None) -> int | None:
    """``pull_request.number`` (or ``issue.number``) of the event payload at ``event_path``."""
    if not event_path or not Path(event_path).is_file():
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise HfguardError(f"{event_path}: unreadable GITHUB_EVENT_PATH ({error})") from None
    for key in ("pull_request", "issue"):
        number = (event.get(key) or {}).get("number")
        if isinstance(number, int):
            return number
    return None


class Forbidden(Exception):
    """GitHub refused the write (403 without rate limiting), as for pull requests from forks."""


@dataclass(frozen=True)
class Posted:
    """What happened to the sticky comment."""

    action: str  # "created", "updated" or "unchanged"
    url: str


@dataclass(frozen=True)
class StickyComment:
    """The body of the sticky comment of ``scope`` for pull request ``pr``; saved for a later publish as two files."""

    body: str
    pr: int
    scope: str

    def save(self, path: Path) -> Path:
        """Write the body to ``path`` and ``{"pr", "scope"}`` beside it (``.json``); the meta file's path."""
        meta = path.with_suffix(META_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.body, encoding="utf-8")
        meta.write_text(json.dumps({"pr": self.pr, "scope": self.scope}) + "\n", encoding="utf-8")
        return meta

    @classmethod
    def load(cls, folder: Path, pr: int | None = None, scope: str | None = None) -> StickyComment:
        """The comment saved in ``folder``, to publish on ``pr`` (default: the saved number).

        The saved number and scope were written by the pull request's own code: a comment saved for another
        pull request than ``pr``, or another scope than ``scope``, is refused rather than posted.
        """
        body_path = folder / COMMENT_FILE
        meta_path = body_path.with_suffix(META_SUFFIX)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            saved = cls(body_path.read_text(encoding="utf-8"), int(meta["pr"]), str(meta["scope"]))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise HfguardError(f"{folder}: no saved comment to publish ({error})") from None
        if not saved.body.startswith(marker(saved.scope) + "\n"):
            raise HfguardError(f"{body_path}: does not start with the marker of scope '{saved.scope}'")
        wanted = cls(saved.body, saved.pr if pr is None else pr, saved.scope if scope is None else scope)
        if wanted != saved:
            raise HfguardError(f"{meta_path}: saved for pull request {saved.pr} scope '{saved.scope}', but published for "
                               f"pull request {wanted.pr} scope '{wanted.scope}'; not posting")
        return saved


def post_sticky(connection: Connection, comment: StickyComment) -> Posted:
    """Create or update ``comment`` on its pull request (retrying transient errors)."""
    return connection.call(lambda repository: upsert(repository.get_issue(comment.pr), comment.scope, comment.body), f"#{comment.pr}")


def upsert(issue: Issue, scope: str, body: str) -> Posted:
    """One attempt: find the marked comments on every page, then edit, keep or create one."""
    mark = marker(scope)
    found = [c for c in issue.get_comments() if (c.body or "").split("\n", 1)[0].strip() == mark]
    for duplicate in found[1:]:  # left by concurrent runs; keep the oldest
        duplicate.delete()
    if not found:
        return Posted("created", issue.create_comment(body).html_url)
    comment = found[0]
    if comment.body == body:
        return Posted("unchanged", comment.html_url)
    comment.edit(body)
    return Posted("updated", comment.html_url)


def with_retries(action: Callable[[], T], attempts: int, backoff: float, where: str) -> T:
    """Run ``action``; retry 5xx, rate limits and connection errors with exponential backoff."""
    import requests
    from github import GithubException

    for attempt in range(1, attempts + 1):
        try:
            return action()
        except GithubException as error:
            wait = _retry_wait(error, attempt, backoff)
            data = error.data if isinstance(error.data, dict) else {}
            problem = f"{error.status} {error.message or data.get('message', '')}".strip()
            if wait is None:
                if error.status == 403:
                    raise Forbidden(problem) from None
                raise HfguardError(f"GitHub API error on {where}: {problem}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            wait, problem = backoff * 2 ** (attempt - 1), f"connection failed ({type(error).__name__})"
        if attempt == attempts or wait > MAX_WAIT:
            raise HfguardError(f"GitHub API still failing on {where} after {attempt} attempts: {problem}"
                               + (f" (next retry only in {wait:.0f}s)" if wait > MAX_WAIT else ""))
        time.sleep(wait)
    raise AssertionError("unreachable")


def _retry_wait(error: Exception, attempt: int, backoff: float) -> float | None:
    """Seconds to wait before retrying ``error``, or None when it is not worth retrying."""
    status = getattr(error, "status", 0)
    headers = {k.lower(): v for k, v in (getattr(error, "headers", None) or {}).items()}
    rate_limited = status == 429 or status == 403 and (
        headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers
        or "rate limit" in str(getattr(error, "message", "") or "").lower()
    )
    if rate_limited:
        if "retry-after" in headers:
            return float(headers["retry-after"])
        if "x-ratelimit-reset" in headers:
            return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
        return backoff * 2 ** (attempt - 1)
    return backoff * 2 ** (attempt - 1) if status >= 500 else None


def write_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append step outputs to ``GITHUB_OUTPUT``, multi-line values in the heredoc form."""
    with path.open("a", encoding="utf-8") as handle:
        for key, value in values.items():
            if "\n" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
                handle.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{key}={value}\n")
