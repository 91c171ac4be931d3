"""``hfguard comment`` against a fake GitHub REST API on 127.0.0.1, over real HTTP through PyGithub."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from hfguard import coverage, github
from hfguard.commands.comment import main as comment_main
from fake_github import TOKEN, FakeGitHub, Fault

REPO, PR = "octo/models", 7
MARK = github.marker("default")


def report(levels: dict[str, str], has_results: bool = True) -> coverage.Report:
    """A report whose model types have the given levels (built from verification and outcomes)."""
    outcomes = {"passing": {"t": "passed"}, "failing": {"t": "failed"}, "skipped": {"t": "skipped"}, "generated": {}, "missing": {}}
    models = {
        name: coverage.ModelCoverage("decoder-only", f"tests/models/test_hf_{name}.py", level != "missing", "", dict(outcomes[level]))
        for name, level in levels.items()
    }
    return coverage.Report("registry", "5.0.0", has_results, models)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with FakeGitHub() as server:
        server.add_pr(REPO, PR)
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": PR}}))
        for name, value in {
            "GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": server.base_url,
            "GITHUB_EVENT_PATH": str(event), "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), github.BACKOFF_ENV: "0.001",
            github.LOGIN_ENV: "github-actions[bot]",  # the workflow's token, which may not read GET /user (the Action names it)
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        yield server


def run(tmp_path: Path, head: dict[str, str], base: dict[str, str] | None = None, *extra: str) -> int:
    coverage.write_report(report(head), tmp_path / "head.json")
    args = ["--report", str(tmp_path / "head.json"), *extra]
    if base is not None:
        coverage.write_report(report(base), tmp_path / "base.json")
        args += ["--base-report", str(tmp_path / "base.json")]
    return comment_main(args)


def query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file the way the runner does (key=value and key<<DELIM ... DELIM)."""
    values, lines = {}, iter(path.read_text().splitlines())
    for line in lines:
        if match := re.fullmatch(r"([\w-]+)<<(\S+)", line):
            block = []
            for inner in lines:
                if inner == match.group(2):
                    break
                block.append(inner)
            values[match.group(1)] = "\n".join(block)
        else:
            key, _, value = line.partition("=")
            values[key] = value
    return values


BASE = {"bert": "passing", "gpt2": "passing", "t5": "failing", "vit": "passing"}
HEAD = {**BASE, "gpt2": "failing", "t5": "passing", "llama": "passing", "qwen2": "generated"}


def test_first_post_then_update_then_no_op(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    assert run(tmp_path, HEAD, BASE) == 0
    [comment] = fake.comments_on(REPO, PR)
    first_body = comment["body"]
    assert first_body.startswith(MARK + "\n### hfguard coverage")
    assert "- Newly failing (1): `gpt2`" in comment["body"]
    assert [(m, re.sub(r"\?.*", "", p)) for m, p, _ in fake.log] == [("GET", f"/repos/{REPO}/issues/{PR}/comments"), ("POST", f"/repos/{REPO}/issues/{PR}/comments")]
    out = outputs(tmp_path / "output")
    assert out["comment-action"] == "created" and out["comment-url"].endswith(f"#issuecomment-{comment['id']}")
    assert out["coverage"] == "66.7" and out["coverage-delta"] == "-8.3"
    assert out["changes"].splitlines()[0] == "newly_covered: llama qwen2"
    assert "### hfguard coverage" in (tmp_path / "summary.md").read_text()

    fake.log.clear()
    assert run(tmp_path, {**HEAD, "qwen2": "passing"}, BASE) == 0
    [updated] = fake.comments_on(REPO, PR)
    assert updated["id"] == comment["id"] and updated["body"] != first_body
    # a marked comment exists: it is ours, written as $HFGUARD_GITHUB_LOGIN (no GET /user, which the Actions token may not read)
    assert [(m, re.sub(r"\?.*", "", p), status) for m, p, status in fake.log] == [
        ("GET", f"/repos/{REPO}/issues/{PR}/comments", 200), ("PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}", 200)]

    fake.log.clear()
    assert run(tmp_path, {**HEAD, "qwen2": "passing"}, BASE) == 0
    assert [m for m, _, _ in fake.log] == ["GET"] and len(fake.comments_on(REPO, PR)) == 1
    assert "comment unchanged" in capsys.readouterr().out


def test_marker_on_a_later_page_among_150_comments(fake: FakeGitHub, tmp_path: Path) -> None:
    for n in range(150):
        fake.add_comment(REPO, PR, f"review comment {n}")
    assert run(tmp_path, BASE) == 0
    sticky_id = fake.comments_on(REPO, PR)[-1]["id"]
    for n in range(60):
        fake.add_comment(REPO, PR, f"later comment {n}")
    fake.log.clear()
    for _ in range(3):
        assert run(tmp_path, HEAD, BASE) == 0
    assert len(fake.comments_on(REPO, PR)) == 211
    assert [c for c in fake.comments_on(REPO, PR) if c["body"].startswith(MARK)][0]["id"] == sticky_id
    pages = [query(p) for m, p, _ in fake.log if m == "GET"]
    assert pages[:3] == [{"per_page": ["100"]}, {"per_page": ["100"], "page": ["2"]}, {"per_page": ["100"], "page": ["3"]}]
    assert [m for m, _, _ in fake.writes()] == ["PATCH"]


def test_default_page_size_is_followed_too(fake: FakeGitHub, tmp_path: Path) -> None:
    for n in range(75):
        fake.add_comment(REPO, PR, f"c{n}")
    sticky = fake.add_comment(REPO, PR, MARK + "\nold body", user=fake.identity)
    from github import Auth, Github

    client = Github(auth=Auth.Token(TOKEN), base_url=fake.base_url, retry=None, lazy=True, seconds_between_requests=None)
    posted = github.upsert(client.get_repo(REPO).get_issue(PR), "default", MARK + "\nnew body", lambda: fake.identity)
    assert posted.action == "updated" and fake.comments[sticky["id"]]["body"] == MARK + "\nnew body"
    assert query([p for m, p, _ in fake.log if m == "GET"][-1]) == {"per_page": ["30"], "page": ["3"]}


def test_two_scopes_keep_their_own_comment(fake: FakeGitHub, tmp_path: Path) -> None:
    assert run(tmp_path, BASE, None, "--scope", "cpu") == 0
    assert run(tmp_path, BASE, None, "--scope", "cpu-nightly") == 0
    assert len(fake.comments_on(REPO, PR)) == 2
    assert run(tmp_path, HEAD, None, "--scope", "cpu") == 0
    bodies = {c["body"].split("\n", 1)[0]: c["body"] for c in fake.comments_on(REPO, PR)}
    assert set(bodies) == {github.marker("cpu"), github.marker("cpu-nightly")}
    assert "`llama`" in bodies[github.marker("cpu")] and "`llama`" not in bodies[github.marker("cpu-nightly")]


def test_duplicates_left_by_concurrent_runs_are_removed(fake: FakeGitHub, tmp_path: Path) -> None:
    first = fake.add_comment(REPO, PR, MARK + "\nrun 1", user=fake.identity)
    fake.add_comment(REPO, PR, MARK + "\nrun 2", user=fake.identity)
    assert run(tmp_path, BASE) == 0
    assert [c["id"] for c in fake.comments_on(REPO, PR)] == [first["id"]]


def test_fork_403_saves_the_comment_and_publish_from_posts_it(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    fake.forbid_writes = True
    assert run(tmp_path, HEAD, BASE) == 0
    out = capsys.readouterr().out
    assert "GitHub refused to write the comment (403 Resource not accessible by integration)" in out
    assert "workflow_run" in out and "--publish-from" in out
    saved = (tmp_path / "hfguard-comment.md").read_text()
    assert saved.startswith(MARK) and json.loads((tmp_path / "hfguard-comment.json").read_text()) == {"pr": PR, "scope": "default"}
    assert outputs(tmp_path / "output")["comment-file"] == "hfguard-comment.md"
    assert fake.comments_on(REPO, PR) == []
    assert run(tmp_path, HEAD, BASE, "--on-forbidden", "fail") == 1

    fake.forbid_writes = False
    assert comment_main(["--publish-from", str(tmp_path)]) == 0
    [comment] = fake.comments_on(REPO, PR)
    assert comment["body"] == saved


def test_save_keeps_the_comment_without_a_token_and_publish_from_posts_it(fake: FakeGitHub, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")  # saving never talks to GitHub
    assert run(tmp_path, HEAD, BASE, "--save", "out") == 0
    assert fake.log == []
    saved = (tmp_path / "out/hfguard-comment.md").read_text()
    assert saved.startswith(MARK + "\n### hfguard coverage")
    assert json.loads((tmp_path / "out/hfguard-comment.json").read_text()) == {"pr": PR, "scope": "default"}
    out = outputs(tmp_path / "output")
    assert (out["comment-file"], out["comment-action"], out["coverage-delta"]) == ("out/hfguard-comment.md", "saved", "-8.3")
    assert f"'hfguard comment --publish-from out --pr {PR}'" in capsys.readouterr().out

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert comment_main(["--publish-from", "out", "--pr", str(PR), "--scope", "default"]) == 0
    assert [(m, p) for m, p, _ in fake.writes()] == [("POST", f"/repos/{REPO}/issues/{PR}/comments")]
    [comment] = fake.comments_on(REPO, PR)
    assert comment["body"] == saved


def test_publish_from_refuses_a_comment_saved_for_another_pr_or_scope(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    fake.add_pr(REPO, 8)
    assert run(tmp_path, BASE, None, "--save", "out", "--pr", "8", "--scope", "cpu") == 0
    capsys.readouterr()
    assert comment_main(["--publish-from", "out", "--pr", str(PR)]) == 2
    assert "out/hfguard-comment.json: saved for pull request 8 scope 'cpu', but published for pull request 7 scope 'cpu'; not posting" in capsys.readouterr().err
    assert comment_main(["--publish-from", "out", "--pr", "8", "--scope", "default"]) == 2
    assert "saved for pull request 8 scope 'cpu', but published for pull request 8 scope 'default'" in capsys.readouterr().err
    assert fake.log == []
    assert comment_main(["--publish-from", "out"]) == 0  # without --pr: the saved number
    assert [c["body"].split("\n", 1)[0] for c in fake.comments_on(REPO, 8)] == [github.marker("cpu")]
    assert fake.comments_on(REPO, PR) == []


def test_save_needs_a_pull_request_and_excludes_the_other_modes(fake: FakeGitHub, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "none.json"))
    assert run(tmp_path, BASE, None, "--save", "out") == 2
    assert "no pull request number" in capsys.readouterr().err and not (tmp_path / "out").exists()
    for other in (["--dry-run"], ["--publish-from", "out"]):
        with pytest.raises(SystemExit) as exit_:
            comment_main(["--save", "out", *other])
        assert exit_.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_transient_502_then_success(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.faults.append(Fault(502, 2, message="Bad Gateway"))
    assert run(tmp_path, BASE) == 0
    assert [s for _, _, s in fake.log] == [502, 502, 200, 201]
    assert len(fake.comments_on(REPO, PR)) == 1


def test_failed_write_is_not_repeated_blindly(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.faults.append(Fault(503, 1, methods=("POST",)))
    assert run(tmp_path, BASE) == 0
    assert [(m, s) for m, _, s in fake.log] == [("GET", 200), ("POST", 503), ("GET", 200), ("POST", 201)]
    assert len(fake.comments_on(REPO, PR)) == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault(403, 1, message="API rate limit exceeded for installation ID 1.", headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0"}),
        Fault(429, 2, message="Too Many Requests", headers={"Retry-After": "0"}),
        Fault(403, 1, message="You have exceeded a secondary rate limit.", headers={"Retry-After": "0"}),
    ],
)
def test_rate_limits_are_waited_out(fake: FakeGitHub, tmp_path: Path, fault: Fault) -> None:
    fake.faults.append(fault)
    assert run(tmp_path, BASE) == 0
    assert fake.log[0][2] == fault.status and len(fake.comments_on(REPO, PR)) == 1


def test_persistent_5xx_gives_up_with_exit_2(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    fake.faults.append(Fault(500, 100))
    assert run(tmp_path, BASE, None, "--attempts", "3") == 2
    err = capsys.readouterr().err
    assert err == f"hfguard: GitHub API still failing on {REPO}#{PR} after 3 attempts: 500 Server Error\n"
    assert len(fake.log) == 3 and fake.comments_on(REPO, PR) == []


def test_far_rate_limit_reset_is_not_waited_for(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    fake.faults.append(Fault(403, 1, message="API rate limit exceeded", headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9999999999"}))
    assert run(tmp_path, BASE) == 2
    assert "next retry only in" in capsys.readouterr().err


def test_unknown_pr_bad_token_and_missing_env_are_clear(fake: FakeGitHub, tmp_path: Path, monkeypatch, capsys) -> None:
    assert run(tmp_path, BASE, None, "--pr", "99") == 2
    assert "GitHub API error on octo/models#99: 404" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    assert run(tmp_path, BASE) == 2
    assert "401 Bad credentials" in capsys.readouterr().err
    monkeypatch.delenv("GITHUB_TOKEN")
    assert run(tmp_path, BASE) == 2
    assert "GITHUB_TOKEN not set" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "none.json"))
    assert run(tmp_path, BASE) == 2
    assert "no pull request number" in capsys.readouterr().err


def test_dry_run_prints_the_body_and_calls_nothing(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    assert run(tmp_path, HEAD, BASE, "--dry-run") == 0
    assert capsys.readouterr().out.startswith(MARK + "\n### hfguard coverage\n")
    assert fake.log == []


def test_body_is_shrunk_under_the_limit_with_a_visible_note() -> None:
    big = report({f"model_type_with_a_rather_long_name_{n:05d}": "failing" for n in range(3000)})
    delta = coverage.compute_delta(report({}), big, "report `base.json`")
    body = github.fit_body(lambda max_items: coverage.render_markdown(big, delta, max_items), "default")
    assert len(body) <= github.MAX_BODY and len(coverage.render_markdown(big, delta)) > github.MAX_BODY
    assert "**Shortened** to fit GitHub's 65,536-character comment limit: lists show at most 50" in body
    assert "… and 2950 more" in body
