"""A fake GitHub REST API on 127.0.0.1: just what PyGithub needs for hfguard's calls.

Pull requests (``GET /repos/{r}/pulls?state=&head=owner:branch``), their comments, and plain issues
(``GET``/``POST /repos/{r}/issues``, ``GET``/``PATCH /repos/{r}/issues/{n}``; the list holds the pull
requests too, as GitHub's does), each with its author. The token writes as ``identity``; ``GET /user``
answers with it only when ``user_endpoint`` is on, and otherwise refuses with 403 as it does for the
Actions token (``github-actions[bot]``, the default identity). Stateful, lists paginated with ``Link`` headers built from its
own base URL (``per_page`` honoured, default 30), logging every request, with injectable faults:
403 on writes, N x 5xx, rate limits (403 or 429 with ``X-RateLimit-Remaining: 0`` / ``Retry-After``).
Served under ``/api/v3`` like GitHub Enterprise, so ``base_url`` handling is exercised too.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

PREFIX = "/api/v3"
TOKEN = "fake-token"
MAX_BODY = 65536  # GitHub answers 422 to a longer comment or issue body


@dataclass
class Fault:
    """Answer the next ``times`` matching requests with ``status`` instead of serving them."""

    status: int
    times: int
    methods: tuple[str, ...] = ("GET", "POST", "PATCH", "DELETE")
    message: str = "Server Error"
    headers: dict[str, str] = field(default_factory=dict)


class FakeGitHub:
    """The server, its state and its request log."""

    def __init__(self) -> None:
        self.repos: set[str] = set()
        self.pulls: dict[tuple[str, int], dict[str, Any]] = {}  # (repository, number) -> head label and sha, body
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}  # plain issues, by (repository, number)
        self.comments: dict[int, dict[str, Any]] = {}
        self.log: list[tuple[str, str, int]] = []
        self.faults: list[Fault] = []
        self.forbid_writes = False
        self.identity = "github-actions[bot]"  # who the token writes as
        self.user_endpoint = False  # GET /user: False refuses (403) as for an Actions installation token
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_pr(self, repo: str, number: int, head: str = "", sha: str = "", body: str | None = None) -> None:
        """An open pull request whose head is ``head`` (``owner:branch``) at commit ``sha``."""
        self.repos.add(repo)
        self.pulls[(repo, number)] = {"label": head or f"{repo.split('/')[0]}:branch-{number}", "sha": sha or f"{number:040x}", "body": body}

    def add_issue(self, repo: str, title: str, body: str = "", user: str = "someone") -> dict[str, Any]:
        """An open plain issue by ``user``, numbered after every pull request and issue of ``repo``."""
        with self._lock:
            number = 1 + max([0, *self.numbers(repo)])
            self.issues[(repo, number)] = {"number": number, "title": title, "body": body, "state": "open", "user": user}
            return self.issues[(repo, number)]

    def numbers(self, repo: str) -> list[int]:
        """The numbers of the pull requests and plain issues of ``repo``, in order."""
        return sorted(n for r, n in [*self.pulls, *self.issues] if r == repo)

    def add_comment(self, repo: str, number: int, body: str, user: str = "someone") -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            comment = {"id": self._next_id, "repo": repo, "number": number, "body": body, "user": user,
                       "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
            self.comments[self._next_id] = comment
            return comment

    def comments_on(self, repo: str, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if (c["repo"], c["number"]) == (repo, number)]

    def writes(self) -> list[tuple[str, str, int]]:
        return [entry for entry in self.log if entry[0] != "GET"]

    def pull_json(self, repo: str, number: int) -> dict[str, Any]:
        pull = self.pulls[(repo, number)]
        return {"id": number, "number": number, "state": "open", "title": "PR", "body": pull["body"],
                "url": f"{self.base_url}/repos/{repo}/pulls/{number}", "html_url": f"https://github.example/{repo}/pull/{number}",
                "head": {"label": pull["label"], "ref": pull["label"].split(":", 1)[1], "sha": pull["sha"]}}

    def issue_json(self, repo: str, number: int) -> dict[str, Any]:
        """A plain issue, or a pull request as the issues API shows it."""
        url = f"{self.base_url}/repos/{repo}/issues/{number}"
        if (repo, number) in self.issues:
            issue = self.issues[(repo, number)]
            return {**issue, "id": number, "url": url, "html_url": f"https://github.example/{repo}/issues/{number}",
                    "user": _user(issue["user"])}
        pull = self.pull_json(repo, number)
        return {**{key: pull[key] for key in ("id", "number", "state", "title", "body", "html_url")}, "url": url,
                "pull_request": {"url": pull["url"]}, "user": _user("someone")}

    def as_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        repo, number, cid = comment["repo"], comment["number"], comment["id"]
        return {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.base_url}/repos/{repo}/issues/comments/{cid}",
            "html_url": f"https://github.example/{repo}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.base_url}/repos/{repo}/issues/{number}",
            "body": comment["body"],
            "user": _user(comment["user"]),
            "created_at": comment["created_at"],
            "updated_at": comment["updated_at"],
            "author_association": "NONE",
        }


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}") if length else {}
            status, body, headers = self._route(method, payload)
            fake.log.append((method, self.path.removeprefix(PREFIX), status))
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json; charset=utf-8", "Content-Length": str(len(data)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str, payload: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
            if self.headers.get("Authorization") not in (f"token {TOKEN}", f"Bearer {TOKEN}"):
                return 401, {"message": "Bad credentials"}, {}
            for fault in fake.faults:
                if fault.times > 0 and method in fault.methods:
                    fault.times -= 1
                    return fault.status, {"message": fault.message}, fault.headers
            if method != "GET" and fake.forbid_writes:
                return 403, {"message": "Resource not accessible by integration"}, {}
            if len(payload.get("body") or "") > MAX_BODY:
                return 422, {"message": "Validation Failed", "errors": [{"field": "body", "code": "custom",
                             "message": f"body is too long (maximum is {MAX_BODY} characters)"}]}, {}
            url = urlsplit(self.path)
            path, query = url.path.removeprefix(PREFIX), parse_qs(url.query)
            if path == "/user":
                if not fake.user_endpoint:
                    return 403, {"message": "Resource not accessible by integration"}, {}
                return 200, {"login": fake.identity, "id": 2, "type": "User", "url": f"{fake.base_url}/user"}, {}
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)", path):
                repo = match.group(1)
                return (200, {"id": 1, "full_name": repo, "name": repo.split("/")[1], "url": f"{fake.base_url}/repos/{repo}"}, {}) if repo in fake.repos else _not_found()
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/(issues|pulls)", path):
                repo, kind = match.groups()
                if repo not in fake.repos:
                    return _not_found()
                if kind == "issues" and method == "POST":
                    issue = fake.add_issue(repo, payload["title"], payload.get("body") or "", fake.identity)
                    return 201, fake.issue_json(repo, issue["number"]), {}
                if method != "GET":
                    return _not_found()
                state = query.get("state", ["open"])[0]
                if kind == "pulls":
                    head = query.get("head", [""])[0]
                    pulls = [fake.pull_json(r, n) for r, n in sorted(fake.pulls) if r == repo and head in ("", fake.pulls[(r, n)]["label"])]
                    return self._page(path, query, [pull for pull in pulls if state in ("all", pull["state"])])
                issues = [fake.issue_json(repo, n) for n in fake.numbers(repo)]
                return self._page(path, query, [issue for issue in issues if state in ("all", issue["state"])])
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)", path):
                key = (match.group(1), int(match.group(2)))
                if key in fake.issues:
                    if method == "PATCH":
                        fake.issues[key].update({k: payload[k] for k in ("title", "body", "state") if k in payload})
                    return 200, fake.issue_json(*key), {}
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/(issues|pulls)/(\d+)", path):
                repo, kind, number = match.group(1), match.group(2), int(match.group(3))
                if (repo, number) not in fake.pulls:
                    return _not_found()
                return 200, (fake.issue_json if kind == "issues" else fake.pull_json)(repo, number), {}
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path):
                repo, number = match.group(1), int(match.group(2))
                if (repo, number) not in fake.pulls:
                    return _not_found()
                if method == "POST":
                    return 201, fake.as_json(fake.add_comment(repo, number, payload["body"], fake.identity)), {}
                return self._page(path, query, [fake.as_json(c) for c in fake.comments_on(repo, number)])
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path):
                comment = fake.comments.get(int(match.group(2)))
                if comment is None or comment["repo"] != match.group(1):
                    return _not_found()
                if method == "PATCH":
                    comment["body"] = payload["body"]
                    comment["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    return 200, fake.as_json(comment), {}
                if method == "DELETE":
                    del fake.comments[comment["id"]]
                    return 204, None, {}
                return 200, fake.as_json(comment), {}
            return _not_found()

        def _page(self, path: str, query: dict[str, list[str]], items: list[Any]) -> tuple[int, Any, dict[str, str]]:
            """One page of ``items``; ``Link`` to the next and last pages keeps the other query parameters."""
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            last = max(1, -(-len(items) // per_page))
            params = {key: values[0] for key, values in query.items() if key not in ("per_page", "page")}
            links = [f'<{fake.base_url}{path}?{urlencode({**params, "per_page": per_page, "page": target})}>; rel="{rel}"'
                     for rel, target in (("next", page + 1), ("last", last)) if page < last]
            return 200, items[(page - 1) * per_page : page * per_page], {"Link": ", ".join(links)} if links else {}

    return Handler


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": 1, "type": "Bot" if login.endswith("[bot]") else "User"}


def _not_found() -> tuple[int, Any, dict[str, str]]:
    return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}
