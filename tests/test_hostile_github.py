"""Nobody else's comment or issue is touched, every body fits GitHub's limit, odd API answers get one line
(issue 12, cases 2 and 6), against the fake GitHub API over real HTTP through PyGithub."""

from __future__ import annotations

import json
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hfguard import github
from hfguard.commands.comment import main as comment_main
from tests.action_runner import action_module
from fake_github import MAX_BODY, TOKEN, FakeGitHub, Fault
from test_comment import BASE, HEAD, MARK, PR, REPO, run


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with FakeGitHub() as server:
        server.add_pr(REPO, PR)
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": PR}}))
        for name, value in {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": server.base_url,
                            "GITHUB_EVENT_PATH": str(event), github.BACKOFF_ENV: "0.001"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("HFGUARD_GITHUB_LOGIN", raising=False)
        monkeypatch.chdir(tmp_path)
        yield server


def test_marked_comments_of_other_users_are_never_edited_or_deleted(fake: FakeGitHub, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(github.LOGIN_ENV, "github-actions[bot]")
    maintainer = fake.add_comment(REPO, PR, MARK + "\nI copied the marker into my review", user="maintainer")
    other = fake.add_comment(REPO, PR, MARK + "\nand so did I", user="someone")
    assert run(tmp_path, BASE) == 0
    assert [(m, s) for m, _, s in fake.writes()] == [("POST", 201)]
    assert fake.comments[maintainer["id"]]["body"].endswith("my review") and fake.comments[other["id"]]["body"].endswith("did I")
    ours = [c for c in fake.comments_on(REPO, PR) if c["user"] == "github-actions[bot]"]
    fake.log.clear()
    assert run(tmp_path, HEAD, BASE) == 0  # the next run edits its own comment, still nobody else's
    assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in fake.writes()] == [("PATCH", str(ours[0]["id"]))]
    assert len(fake.comments_on(REPO, PR)) == 3


def test_identity_comes_from_get_user_or_the_override(fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.user_endpoint, fake.identity = True, "octo-bot"  # a personal access token: GET /user names it
    bots = fake.add_comment(REPO, PR, MARK + "\nwritten with the Actions token", user="github-actions[bot]")
    assert run(tmp_path, BASE) == 0 and run(tmp_path, HEAD, BASE) == 0
    assert fake.comments[bots["id"]]["body"].endswith("Actions token")
    assert sorted(c["user"] for c in fake.comments_on(REPO, PR)) == ["github-actions[bot]", "octo-bot"]
    fake.user_endpoint, fake.identity = False, "my-app[bot]"  # a GitHub App's token: /user refused, the override tells
    monkeypatch.setenv(github.LOGIN_ENV, "my-app[bot]")
    assert run(tmp_path, BASE) == 0 and run(tmp_path, HEAD, BASE) == 0
    assert sorted(c["user"] for c in fake.comments_on(REPO, PR)) == ["github-actions[bot]", "my-app[bot]", "octo-bot"]
    monkeypatch.setenv(github.LOGIN_ENV, "bad login\n")
    assert run(tmp_path, BASE) == 2


def test_an_app_token_without_a_login_never_takes_the_actions_bots_comment(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    """Issue 19, case 7: GET /user is refused (a GitHub App's token) and HFGUARD_GITHUB_LOGIN is unset: a marked comment of
    github-actions[bot] is not ours. One line saying what to set, exit 2, nothing written."""
    fake.identity = "my-app[bot]"
    bots = fake.add_comment(REPO, PR, MARK + "\nwritten with the Actions token", user="github-actions[bot]")
    assert run(tmp_path, BASE) == 2
    assert fake.writes() == [] and fake.comments[bots["id"]]["body"].endswith("Actions token")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GitHub refuses GET /user to this token" in err and "set HFGUARD_GITHUB_LOGIN" in err


def test_tracking_issue_of_another_user_is_never_overwritten(fake: FakeGitHub) -> None:
    module = action_module("track_issue")
    theirs = fake.add_issue(REPO, "my notes", module.marker("main") + "\nsomeone else's text", user="someone")
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.base_url, "HFGUARD_GITHUB_BACKOFF": "0",
           "GITHUB_REF_NAME": "main", github.LOGIN_ENV: "github-actions[bot]"}
    first = module.open_or_update(env, "night 1")
    assert theirs["body"].endswith("someone else's text") and first != f"https://github.example/{REPO}/issues/{theirs['number']}"
    fake.log.clear()
    assert module.open_or_update(env, "night 2 " + "x" * 90_000) == first  # updated in place, capped
    [(method, path, status)] = fake.writes()
    assert (method, status) == ("PATCH", 200) and path.endswith(first.rsplit("/", 1)[-1])
    ours = fake.issues[(REPO, int(first.rsplit("/", 1)[-1]))]
    assert len(ours["body"]) <= MAX_BODY and "**Truncated** by hfguard" in ours["body"]


def test_a_run_on_another_branch_never_rewrites_the_default_branchs_tracking_issue(fake: FakeGitHub) -> None:
    """Issue 19, case 7: a manual nightly on a feature branch opens its own issue; main's stays as main's night left it."""
    module = action_module("track_issue")
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.base_url, "HFGUARD_GITHUB_BACKOFF": "0",
           "GITHUB_REF_NAME": "main", github.LOGIN_ENV: "github-actions[bot]"}
    on_main = module.open_or_update(env, "night on main")
    on_feature = module.open_or_update({**env, "GITHUB_REF_NAME": "feature/x"}, "night on feature/x")
    assert on_feature != on_main and module.open_or_update(env, "next night on main") == on_main
    issues = {issue["title"]: issue["body"] for issue in fake.issues.values()}
    assert issues.keys() == {f"{module.TITLE} (main)", f"{module.TITLE} (feature/x)"}
    assert issues[f"{module.TITLE} (main)"].endswith("next night on main")
    assert issues[f"{module.TITLE} (feature/x)"].startswith(module.marker("feature/x") + "\n")


def test_publish_from_caps_a_saved_body_of_any_size_and_defuses_mentions(fake: FakeGitHub, tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    github.StickyComment(MARK + "\nhello @octocat and @acme/admins\n" + "y" * 100_117, PR, "default").save(saved / github.COMMENT_FILE)
    assert comment_main(["--publish-from", str(saved)]) == 0
    [comment] = fake.comments_on(REPO, PR)
    assert len(comment["body"]) <= MAX_BODY and comment["body"].startswith(MARK + "\n")
    assert "**Truncated** by hfguard to fit GitHub's 65,536-character limit" in comment["body"]
    assert "@octocat" not in comment["body"] and "@\u200bocto" in comment["body"] and "@\u200bacme/admins" in comment["body"]


@pytest.mark.parametrize("fault", [
    Fault(403, 1, message="You have exceeded a secondary rate limit. Please wait a few minutes before you try again."),
    Fault(403, 1, message="Slow down", headers={"Retry-After": format_datetime(datetime.now(timezone.utc) - timedelta(seconds=5), usegmt=True)}),
    Fault(429, 1, message="Slow down", headers={"Retry-After": "-5"}),
    Fault(429, 1, message="Slow down", headers={"Retry-After": "soon"}),
], ids=["secondary-no-headers", "retry-after-http-date", "retry-after-negative", "retry-after-garbage"])
def test_rate_limits_in_any_shape_are_waited_out(fake: FakeGitHub, tmp_path: Path, fault: Fault) -> None:
    fake.faults.append(fault)
    assert run(tmp_path, BASE) == 0
    assert [s for _, _, s in fake.log][:2] == [fault.status, 200] and len(fake.comments_on(REPO, PR)) == 1


def test_an_unreadable_answer_is_one_line(fake: FakeGitHub, tmp_path: Path, capsys) -> None:
    fake.faults.append(Fault(403, 1, message="API rate limit exceeded", headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "never"}))
    assert run(tmp_path, BASE) == 2
    assert capsys.readouterr().err == (f"hfguard: GitHub API answered {REPO}#{PR} with something unreadable: "
                                       "could not convert string to float: 'never'\n")


@pytest.mark.parametrize("url", ["not a url", "ftp://github.example/api", "http://[::1/api", "https://host:99999/api", "https:///api"])
def test_a_malformed_api_url_is_one_line(fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, url: str) -> None:
    monkeypatch.setenv("GITHUB_API_URL", url)
    assert run(tmp_path, BASE) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GITHUB_API_URL" in err and "is not an http(s) URL" in err and fake.log == []


def test_a_token_with_a_line_break_is_one_line(fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN + "\n")
    assert run(tmp_path, BASE) == 2
    assert capsys.readouterr().err == ("hfguard: GITHUB_TOKEN holds a space, a line break or other characters no token has; "
                                       "set it to the token alone\n")
