"""GitHub: a PyGithub client from ``GITHUB_*``, one sticky comment per scope, retries, saved comments, Actions files.

The sticky comment is found by the hidden marker on its first line (``MARKER``), across every
page of the pull request's comments, and edited in place; it is written only when its body
changes. A marked comment is ours only when its author is the identity the token writes as
(``Connection.login``): nobody else's comment is ever edited or deleted. Every body is capped at
GitHub's limit (``cap_body``) and no ``@login`` in it pings anyone. Finding-then-writing is idempotent, so a failed attempt is retried as a whole: a write
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
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from hfguard.atomic import write_atomic
from hfguard.errors import HfguardError
from hfguard.escape import defuse_mentions
from hfguard.names import printable, shown
from hfguard.paths import output_file, refuse_link, repository_root

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue
    from github.Repository import Repository

MARKER = "<!-- hfguard:coverage scope={scope} -->"
MAX_BODY = 65536  # GitHub's limit on a comment body, in characters
DEFAULT_API_URL = "https://api.github.com"
BACKOFF_ENV = "HFGUARD_GITHUB_BACKOFF"  # seconds of the first retry wait (doubles each time)
MAX_BACKOFF = 60.0  # a first wait longer than this would hold a job for hours over the retries
LOGIN_ENV = "HFGUARD_GITHUB_LOGIN"  # the login the token writes as, when GET /user cannot tell (a GitHub App's bot)
ACTIONS_BOT = "github-actions[bot]"  # who writes with the workflow's own token, which may not read GET /user
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
        raise HfguardError(f"invalid scope {shown(scope)}: use letters, digits and . _ / - (at most 100)")
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
    return cap_body(body, limit)


def cap_body(body: str, limit: int = MAX_BODY) -> str:
    """``body`` cut to GitHub's ``limit`` with a visible note when it is longer (GitHub refuses it otherwise)."""
    if len(body) <= limit:
        return body
    note = (f"\n\n> **Truncated** by hfguard to fit GitHub's {limit:,}-character limit ({len(body):,} characters); "
            "the full report is in the job summary and the report files.\n")
    return body[: limit - len(note)] + note


@dataclass(frozen=True)
class Connection:
    """How hfguard reaches a repository's GitHub API: token, ``owner/repo``, API URL and retry policy."""

    token: str
    repository: str
    api_url: str = DEFAULT_API_URL
    attempts: int = ATTEMPTS
    backoff: float = 1.0  # seconds of the first retry wait (doubling), and PyGithub's pause between writes
    login_override: str | None = None  # ``$HFGUARD_GITHUB_LOGIN``

    @classmethod
    def from_env(cls, env: Mapping[str, str], attempts: int = ATTEMPTS) -> Connection:
        """``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` (GitHub Enterprise: ``https://HOST/api/v3``),
        backoff and ``$HFGUARD_GITHUB_LOGIN``, each checked."""
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
        if missing:
            raise HfguardError(f"{' and '.join(missing)} not set; in a workflow pass env: GITHUB_TOKEN: ${{{{ github.token }}}}")
        if not re.fullmatch(r"[\x21-\x7e]+", env["GITHUB_TOKEN"]):
            raise HfguardError("GITHUB_TOKEN holds a space, a line break or other characters no token has; set it to the token alone")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", env["GITHUB_REPOSITORY"]):
            raise HfguardError(f"GITHUB_REPOSITORY {shown(env['GITHUB_REPOSITORY'])} is not 'owner/name'")
        api_url = env.get("GITHUB_API_URL") or DEFAULT_API_URL
        try:
            parts = urlsplit(api_url)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        except ValueError:  # a bad port or IPv6 address
            valid = False
        if not valid:
            raise HfguardError(f"GITHUB_API_URL {shown(api_url)} is not an http(s) URL; unset it for github.com, "
                               "or set https://HOST/api/v3 for GitHub Enterprise Server")
        backoff = _seconds(env.get(BACKOFF_ENV) or "1")
        if backoff is None or backoff > MAX_BACKOFF:  # inf, or a wait that would hold the job for hours
            raise HfguardError(f"{BACKOFF_ENV} must be a number of seconds from 0 to {MAX_BACKOFF:g}, not {shown(env[BACKOFF_ENV])}")
        login = env.get(LOGIN_ENV) or None
        if login is not None and not re.fullmatch(r"[A-Za-z0-9-]+(\[bot\])?", login):
            raise HfguardError(f"{LOGIN_ENV} {shown(login)} is not a GitHub login (e.g. my-app[bot])")
        return cls(env["GITHUB_TOKEN"], env["GITHUB_REPOSITORY"], api_url, attempts, backoff, login)

    def client(self) -> Github:
        """The one PyGithub client of hfguard: lazy, 100 per page, no built-in retries (``with_retries`` decides)."""
        from github import Auth, Github

        return Github(auth=Auth.Token(self.token), base_url=self.api_url.rstrip("/"), retry=None, per_page=100, lazy=True,
                      timeout=TIMEOUT, seconds_between_requests=None, seconds_between_writes=self.backoff)

    def call(self, action: Callable[[Repository], T], about: str) -> T:
        """``action(repository)`` with retries; ``about`` follows ``owner/repo`` in error messages."""
        repository = self.client().get_repo(self.repository)  # lazy: no request yet
        return with_retries(lambda: action(repository), self.attempts, self.backoff, f"{self.repository}{about}")

    def login(self) -> str:
        """The login this token writes as: ``$HFGUARD_GITHUB_LOGIN``, else ``GET /user``.

        An installation token (the workflow's own, or a GitHub App's) may not read ``/user`` (403), and then
        nobody's comment can be told to be ours: the Action names ``github-actions[bot]`` when its token is the
        workflow's own; anyone else sets ``$HFGUARD_GITHUB_LOGIN``.
        """
        if self.login_override:
            return self.login_override
        client = self.client()
        try:
            return with_retries(lambda: client.get_user().login, self.attempts, self.backoff, "GET /user")
        except Forbidden:
            raise HfguardError(f"GitHub refuses GET /user to this token (an installation token), so hfguard cannot tell which "
                               f"marked comments and issues are its own: set {LOGIN_ENV} to the login it writes as "
                               f"({ACTIONS_BOT} for the workflow's token, <app-slug>[bot] for a GitHub App's)") from None


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


def load_event(event_path: str | None) -> dict[str, Any]:
    """The webhook payload at ``event_path`` (``GITHUB_EVENT_PATH``), a JSON object; {} when there is none.

    Anything else (not UTF-8, not JSON, not an object) is one line naming the file.
    """
    if not event_path or not Path(event_path).is_file():
        return {}
    try:
        event = json.loads(Path(event_path).read_bytes().decode("utf-8"))
    except OSError as error:
        raise HfguardError(f"{event_path}: unreadable GITHUB_EVENT_PATH ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise HfguardError(f"{event_path}: GITHUB_EVENT_PATH is not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise HfguardError(f"{event_path}:{error.lineno}:{error.colno}: GITHUB_EVENT_PATH is not JSON ({error.msg})") from None
    except RecursionError:
        raise HfguardError(f"{event_path}: GITHUB_EVENT_PATH is nested too deeply to be the event object") from None
    if not isinstance(event, dict):
        raise HfguardError(f"{event_path}: GITHUB_EVENT_PATH holds a JSON {type(event).__name__}, not the event object")
    return event


def event_object(event: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """``event[keys[0]][keys[1]]...`` when each is an object; {} when one is missing or null; one line when one is another type."""
    value: Any = event
    for depth, key in enumerate(keys, 1):
        value = value.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise HfguardError(f"the event's {'.'.join(keys[:depth])} is not an object ({type(value).__name__}): is GITHUB_EVENT_PATH "
                               "the runner's event file?")
    return value


def pr_from_event(event_path: str | None) -> int | None:
    """``pull_request.number`` (or ``issue.number``) of the event payload at ``event_path``."""
    event = load_event(event_path)
    for key in ("pull_request", "issue"):
        number = event_object(event, key).get("number")
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
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

    def save(self, path: Path, root: Path | None = None) -> Path:
        """Write the body to ``path`` and ``{"pr", "scope"}`` beside it (``.json``), both inside the repository ``root``
        (default: the one of the working directory) and never through a link; the meta file's path."""
        meta = path.with_suffix(META_SUFFIX)
        root = root or repository_root(Path.cwd())
        for target in (path, meta):
            output_file(target, root, "the saved comment")
        write_atomic(path, self.body)
        write_atomic(meta, json.dumps({"pr": self.pr, "scope": self.scope}) + "\n")
        return meta

    @classmethod
    def load(cls, folder: Path, pr: int | None = None, scope: str | None = None) -> StickyComment:
        """The comment saved in ``folder``, to publish on ``pr`` (default: the saved number).

        The saved number and scope were written by the pull request's own code: a comment saved for another
        pull request than ``pr``, or another scope than ``scope``, is refused rather than posted.
        """
        body_path = folder / COMMENT_FILE
        meta_path = body_path.with_suffix(META_SUFFIX)
        for path in (body_path, meta_path):
            refuse_link(path, "saved comment")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            body = body_path.read_text(encoding="utf-8")
        except (OSError, ValueError, RecursionError) as error:
            raise HfguardError(f"{folder}: no saved comment to publish ({type(error).__name__}: {printable(str(error), 200)})") from None
        number = meta.get("pr") if isinstance(meta, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 2**31 or not isinstance(meta.get("scope"), str):
            raise HfguardError(f"{meta_path}: not a saved comment's meta (a pull request number and a scope, as "
                               f"{{\"pr\": 42, \"scope\": \"default\"}}); not posting")
        saved = cls(body, number, meta["scope"])
        if not saved.body.startswith(marker(saved.scope) + "\n"):
            raise HfguardError(f"{body_path}: does not start with the marker of scope '{saved.scope}'")
        wanted = cls(saved.body, saved.pr if pr is None else pr, saved.scope if scope is None else scope)
        if wanted != saved:
            raise HfguardError(f"{meta_path}: saved for pull request {saved.pr} scope '{saved.scope}', but published for "
                               f"pull request {wanted.pr} scope '{wanted.scope}'; not posting")
        return saved


def post_sticky(connection: Connection, comment: StickyComment) -> Posted:
    """Create or update ``comment`` on its pull request (retrying transient errors), capped and without mentions."""
    body = cap_body(defuse_mentions(comment.body))
    return connection.call(lambda repository: upsert(repository.get_issue(comment.pr), comment.scope, body, connection.login),
                           f"#{comment.pr}")


def upsert(issue: Issue, scope: str, body: str, login: Callable[[], str]) -> Posted:
    """One attempt: find our marked comments on every page, then edit, keep or create one.

    A comment is ours when it carries the marker of ``scope`` and its author is ``login()`` (asked only when a
    marked comment exists); a marked comment of anybody else is left alone.
    """
    mark = marker(scope)
    marked = [c for c in issue.get_comments() if (c.body or "").split("\n", 1)[0].strip() == mark]
    me = login() if marked else None
    found = [c for c in marked if is_author(c.user, me)]
    for duplicate in found[1:]:  # left by concurrent runs; keep the oldest
        duplicate.delete()
    if not found:
        return Posted("created", issue.create_comment(body).html_url)
    comment = found[0]
    if comment.body == body:
        return Posted("unchanged", comment.html_url)
    comment.edit(body)
    return Posted("updated", comment.html_url)


def is_author(user: object, login: str | None) -> bool:
    """Whether ``user`` (of a comment or issue) is ``login`` (GitHub logins ignore case)."""
    return login is not None and str(getattr(user, "login", "") or "").lower() == login.lower()


def with_retries(action: Callable[[], T], attempts: int, backoff: float, where: str) -> T:
    """Run ``action``; retry 5xx, rate limits and connection errors with exponential backoff."""
    import requests
    from github import GithubException

    for attempt in range(1, attempts + 1):
        try:
            return action()
        except GithubException as error:
            wait = _retry_wait(error, attempt, backoff)
            problem = f"{error.status} {_message(error)}".strip()
            if wait is None:
                if error.status == 403:
                    raise Forbidden(problem) from None
                raise HfguardError(f"GitHub API error on {where}: {problem}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            wait, problem = backoff * 2 ** (attempt - 1), f"connection failed ({type(error).__name__})"
        except ValueError as error:  # PyGithub could not read the answer (e.g. a rate-limit header that is no number)
            raise HfguardError(f"GitHub API answered {where} with something unreadable: {printable(str(error), 200)}") from None
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
        headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers or "rate limit" in _message(error).lower()
    )
    if rate_limited:
        retry_after = _seconds(headers.get("retry-after"))
        if retry_after is not None:
            return retry_after
        reset = _seconds(headers.get("x-ratelimit-reset"))
        if reset is not None:
            return max(0.0, reset - time.time())
        return backoff * 2 ** (attempt - 1)
    return backoff * 2 ** (attempt - 1) if status >= 500 else None


def _message(error: Exception) -> str:
    """The message of a GitHub error: PyGithub's, else the ``message`` of the response body (PyGithub often leaves its own None)."""
    data = getattr(error, "data", None)
    return str(getattr(error, "message", None) or (data.get("message") if isinstance(data, dict) else None) or "")


def _seconds(value: str | None) -> float | None:
    """A non-negative number of seconds (or epoch seconds) from a header, or the seconds until an HTTP date; None if neither."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        when = when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    return max(0.0, number) if number == number else None  # NaN is no number of seconds


def write_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append step outputs to ``GITHUB_OUTPUT``, multi-line values in the heredoc form."""
    with path.open("a", encoding="utf-8") as handle:
        for key, value in values.items():
            if "\n" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
                handle.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{key}={value}\n")
