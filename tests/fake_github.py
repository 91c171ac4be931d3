"""A fake GitHub REST API on 127.0.0.1: just what PyGithub needs for issue comments.

Stateful (repositories, pull requests, comments), paginated with ``Link`` headers built from its
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
from urllib.parse import parse_qs, urlsplit

PREFIX = "/api/v3"
TOKEN = "fake-token"


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
        self.repos: dict[str, set[int]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.log: list[tuple[str, str, int]] = []
        self.faults: list[Fault] = []
        self.forbid_writes = False
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

    def add_pr(self, repo: str, number: int) -> None:
        self.repos.setdefault(repo, set()).add(number)

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

    def as_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        repo, number, cid = comment["repo"], comment["number"], comment["id"]
        return {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.base_url}/repos/{repo}/issues/comments/{cid}",
            "html_url": f"https://github.example/{repo}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.base_url}/repos/{repo}/issues/{number}",
            "body": comment["body"],
            "user": {"login": comment["user"], "id": 1, "type": "User"},
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
            url = urlsplit(self.path)
            path, query = url.path.removeprefix(PREFIX), parse_qs(url.query)
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)", path):
                repo = match.group(1)
                return (200, {"id": 1, "full_name": repo, "name": repo.split("/")[1], "url": f"{fake.base_url}/repos/{repo}"}, {}) if repo in fake.repos else _not_found()
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/(?:issues|pulls)/(\d+)", path):
                repo, number = match.group(1), int(match.group(2))
                if number not in fake.repos.get(repo, ()):
                    return _not_found()
                return 200, {"id": number, "number": number, "url": f"{fake.base_url}/repos/{repo}/issues/{number}", "state": "open", "title": "PR"}, {}
            if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path):
                repo, number = match.group(1), int(match.group(2))
                if number not in fake.repos.get(repo, ()):
                    return _not_found()
                if method == "POST":
                    return 201, fake.as_json(fake.add_comment(repo, number, payload["body"], "github-actions[bot]")), {}
                return self._page(path, query, fake.comments_on(repo, number))
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

        def _page(self, path: str, query: dict[str, list[str]], items: list[dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            last = max(1, -(-len(items) // per_page))
            links = []
            if page < last:
                links.append(f'<{fake.base_url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
                links.append(f'<{fake.base_url}{path}?per_page={per_page}&page={last}>; rel="last"')
            chunk = [fake.as_json(c) for c in items[(page - 1) * per_page : page * per_page]]
            return 200, chunk, {"Link": ", ".join(links)} if links else {}

    return Handler


def _not_found() -> tuple[int, Any, dict[str, str]]:
    return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}
