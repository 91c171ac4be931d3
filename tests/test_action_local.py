"""The composite action, run locally step by step against real git repositories and the fake GitHub API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.action_runner import action_module, run_action
from tests.fake_github import TOKEN, FakeGitHub
from tests.gitrepo import GitRepo

REPO = "acme/models"
PR = 7
REGISTRY = 'tests_dir = "tests/models"\n\n[models.bert]\n\n[models.gpt2]\n'


def generate(path: Path) -> None:
    subprocess.run([sys.executable, "-m", "hfguard", "generate"], cwd=path, check=True, capture_output=True)


@pytest.fixture
def pr_repo(tmp_path: Path, lock_text: str) -> tuple[GitRepo, dict]:
    """Base: bert and gpt2 registered, only bert's file generated (50%). PR: t5 added, every file generated (100%)."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.toml", 'tests_dir = "tests/models"\n\n[models.bert]\n')
    repo.write("hfguard.lock", lock_text)
    generate(repo.path)
    repo.write("hfguard.toml", REGISTRY)
    base = repo.commit("base: bert generated, gpt2 registered")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("hfguard.toml", REGISTRY + "\n[models.t5]\n")
    generate(repo.path)
    head = repo.commit("add t5, generate everything")
    event = {"action": "synchronize", "number": PR,
             "pull_request": {"number": PR, "base": {"ref": "main", "sha": base}, "head": {"ref": "feature", "sha": head,
                              "repo": {"full_name": "fork-owner/models"}}}}
    return repo, event


def test_pull_request_run_posts_one_sticky_comment_and_sets_outputs(pr_repo: tuple[GitRepo, dict]) -> None:
    repo, event = pr_repo
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR)
        inputs = {"github-token": TOKEN, "scope": "unit", "fail-on-coverage-drop": "true", "minimum-coverage": "90"}
        result = run_action(repo.path, inputs, event, api_url=fake.base_url)
        assert result.returncode == 0, result.log
        assert result.skipped == ["Set up Python", "Install hfguard from the action"]
        assert result.outputs["coverage"] == "100"
        assert result.outputs["delta"] == "+50.0"
        assert result.outputs["changed-models"] == "t5"
        assert result.outputs["report-path"] == "hfguard-report/coverage.json"
        assert result.outputs["comment-file"] == ""
        report = json.loads((repo.path / "hfguard-report/coverage.json").read_text())
        assert report["summary"]["overall"]["covered"] == 3 and report["delta"]["newly_covered"] == ["gpt2", "t5"]
        comments = fake.comments_on(REPO, PR)
        assert len(comments) == 1
        assert comments[0]["body"].startswith("<!-- hfguard:coverage scope=unit -->\n### hfguard coverage")
        assert "Newly covered (2): `gpt2`, `t5`" in comments[0]["body"]
        assert "| hfguard verify | ✅ ok |" in result.summary and "### hfguard coverage" in result.summary
        assert "::error" not in result.log

        again = run_action(repo.path, inputs, event, api_url=fake.base_url)
        assert again.returncode == 0 and len(fake.comments_on(REPO, PR)) == 1
        assert again.steps["github"]["outputs"]["comment-action"] == "unchanged"


def test_failures_become_error_annotations_and_fail_the_step(pr_repo: tuple[GitRepo, dict]) -> None:
    repo, event = pr_repo
    repo.write("tests/models/test_hf_t5.py", "def test_broken(:\n    pass\n")
    result = run_action(repo.path, {"comment": "false", "minimum-coverage": "90"}, event)
    assert result.returncode == 1
    assert "::error title=hfguard::hfguard verify failed" in result.log
    assert "::error title=hfguard::hfguard coverage failed" in result.log  # 2 of 3 generated < 90 %
    assert result.outputs["coverage"] == "66.7"
    assert "| hfguard verify | ❌ failed |" in result.summary


def test_bad_input_is_one_error_annotation(pr_repo: tuple[GitRepo, dict]) -> None:
    repo, event = pr_repo
    result = run_action(repo.path, {"run": "everything"}, event)
    assert result.returncode == 1
    assert "::error title=hfguard::input 'run' must be one of verify, generate" in result.log


def test_forbidden_write_saves_the_comment_for_the_publisher(pr_repo: tuple[GitRepo, dict]) -> None:
    repo, event = pr_repo
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR)
        fake.forbid_writes = True  # the read-only token of a fork's pull request
        result = run_action(repo.path, {"github-token": TOKEN}, event, api_url=fake.base_url)
        assert result.returncode == 0, result.log
        assert result.outputs["comment-file"] == "hfguard-comment/hfguard-comment.md"
        saved = json.loads((repo.path / "hfguard-comment/hfguard-comment.json").read_text())
        assert saved == {"pr": PR, "scope": "default"} and fake.comments_on(REPO, PR) == []


def test_fork_compute_then_publish_finds_the_pull_request_through_the_api(pr_repo: tuple[GitRepo, dict], tmp_path: Path) -> None:
    repo, event = pr_repo
    head = event["pull_request"]["head"]["sha"]
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR, "fork-owner:feature", head)
        fake.add_pr(REPO, 8, "someone:other", "f" * 40)
        computed = run_action(repo.path, {"github-token": TOKEN, "publish-mode": "compute"}, event, api_url=fake.base_url)
        assert computed.returncode == 0, computed.log
        assert computed.outputs["comment-file"] == "hfguard-comment/hfguard-comment.md"
        assert fake.writes() == []  # compute never writes to GitHub

        artifact = tmp_path / "publisher" / "hfguard-comment"  # what actions/download-artifact would unpack
        artifact.mkdir(parents=True)
        for name in ("hfguard-comment.md", "hfguard-comment.json"):
            (artifact / name).write_bytes((repo.path / "hfguard-comment" / name).read_bytes())
        run_event = {"action": "completed", "workflow_run": {"event": "pull_request", "head_sha": head, "head_branch": "feature",
                                                             "head_repository": {"owner": {"login": "fork-owner"}}}}
        meta = artifact / "hfguard-comment.json"
        meta.write_text(json.dumps({"pr": 8, "scope": "default"}))  # a lying artifact is refused
        refused = run_action(artifact.parent, {"github-token": TOKEN}, run_event, event_name="workflow_run", api_url=fake.base_url)
        assert refused.returncode == 1 and "saved for pull request 8" in refused.log
        assert fake.writes() == []

        meta.write_text(json.dumps({"pr": PR, "scope": "default"}))
        published = run_action(artifact.parent, {"github-token": TOKEN}, run_event, event_name="workflow_run", api_url=fake.base_url)
        assert published.returncode == 0, published.log
        (comment,) = fake.comments_on(REPO, PR)
        assert comment["body"] == (repo.path / "hfguard-comment/hfguard-comment.md").read_text()
        assert fake.comments_on(REPO, 8) == []
        assert any(path.startswith(f"/repos/{REPO}/pulls?") and "head=fork-owner" in path for _, path, _ in fake.log)


def test_tracking_issue_is_found_on_a_later_page_and_never_a_pull_request() -> None:
    track_issue = action_module("track_issue")
    with FakeGitHub() as fake:
        fake.add_pr(REPO, 1, body=track_issue.MARKER + "\na pull request is listed among the issues too")
        for n in range(120):
            fake.add_issue(REPO, f"issue {n}")
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.base_url, "HFGUARD_GITHUB_BACKOFF": "0"}
        url = track_issue.open_or_update(env, "night 1")
        assert url == f"https://github.example/{REPO}/issues/122" and fake.pulls[(REPO, 1)]["body"].endswith("too")
        fake.log.clear()
        assert track_issue.open_or_update(env, "night 2") == url
        assert fake.issues[(REPO, 122)]["body"].endswith("night 2") and len(fake.issues) == 121
        assert [(method, path) for method, path, _ in fake.writes()] == [("PATCH", f"/repos/{REPO}/issues/122")]
        pages = [parse_qs(urlsplit(path).query) for method, path, _ in fake.log if urlsplit(path).path == f"/repos/{REPO}/issues"]
        assert pages == [{"state": ["open"], "per_page": ["100"]}, {"state": ["open"], "per_page": ["100"], "page": ["2"]}]


@pytest.mark.slow
def test_sweep_shards_merge_to_the_unsharded_report(tmp_path: Path, lock_text: str) -> None:
    """Shards 1/2 and 2/2 run as separate action runs (pytest-xdist each); their merged report is the unsharded one."""
    reports = {}
    for shard in ("1/2", "2/2", "1/1"):
        workspace = tmp_path / shard.replace("/", "-of-")
        workspace.mkdir()
        (workspace / "hfguard.toml").write_text('tests_dir = "tests"\norphans = "off"\n\n[models.bert]\n\n[models.gpt2]\n')
        (workspace / "hfguard.lock").write_text(lock_text)
        result = run_action(workspace, {"run": "sweep", "shard": shard, "jobs": "1"}, {}, event_name="schedule")
        assert result.returncode == 0, result.log
        reports[shard] = workspace / result.outputs["report-path"]
    ran = [{(name, test) for name, m in json.loads(reports[s].read_text())["models"].items() for test in m["tests"]} for s in ("1/2", "2/2")]
    assert all(ran) and not ran[0] & ran[1]  # each shard ran tests, none ran twice
    merged = tmp_path / "merged.json"
    subprocess.run([sys.executable, "-m", "hfguard", "coverage", "merge", str(reports["1/2"]), str(reports["2/2"]), "-o", str(merged)], check=True)
    merged_data, whole = json.loads(merged.read_text()), json.loads(reports["1/1"].read_text())
    print(json.dumps({"merged": merged_data["summary"]["overall"], "unsharded": whole["summary"]["overall"]}))
    assert merged_data == whole
    assert whole["summary"]["overall"]["total"] == 2 and whole["has_results"]
    nightly_report_runs(tmp_path, reports)


def nightly_report_runs(tmp_path: Path, reports: dict[str, Path]) -> None:
    """``run: report`` merges the shards, keeps history and chart, and opens then updates one issue on drops."""
    bare = {}  # shard reports of a night whose tests did not run
    for shard, report in reports.items():
        bare[shard] = report.parent / "no-results.json"
        subprocess.run([sys.executable, "-m", "hfguard", "coverage", "--json", str(bare[shard])], cwd=report.parent.parent,
                       check=True, capture_output=True)
    nights = {"good": (reports["1/2"], reports["2/2"]), "bad": (reports["1/2"], bare["2/2"]), "worse": (bare["1/2"], bare["2/2"])}
    previous: Path | None = None
    with FakeGitHub() as fake:
        fake.add_pr(REPO, 1)
        for night, shards in nights.items():
            workspace = tmp_path / night
            for number, shard in enumerate(shards, 1):
                (workspace / f"hfguard-shards/hfguard-shard-{number}").mkdir(parents=True)
                (workspace / f"hfguard-shards/hfguard-shard-{number}/coverage.json").write_bytes(shard.read_bytes())
            if previous is not None:  # what the workflow downloads from the previous run's artifact
                (workspace / "hfguard-previous").mkdir()
                for name in ("coverage.json", "history.jsonl"):
                    (workspace / "hfguard-previous" / name).write_bytes((previous / name).read_bytes())
            result = run_action(workspace, {"run": "report", "github-token": TOKEN}, {}, event_name="schedule", api_url=fake.base_url)
            assert result.returncode == 0, result.log
            previous = workspace / "hfguard-report"
            history = (previous / "history.jsonl").read_text().splitlines()
            chart = (previous / "coverage-history.svg").read_text()
            assert len(history) == list(nights).index(night) + 1 and chart.count("<polyline") == 2
            assert (previous / "coverage.svg").read_text().startswith("<svg")
            expected = {"good": ("100", ""), "bad": ("50", "-50.0"), "worse": ("100", "+0.0")}[night]  # worse: generated measure
            assert (result.outputs["coverage"], result.outputs["delta"]) == expected
        issues = list(fake.issues.values())
        assert len(issues) == 1 and issues[0]["title"] == "hfguard nightly: model-type coverage dropped"
        assert "**passing" not in issues[0]["body"]  # updated in place with the worse night, which has no test results
        assert [method for method, path, _ in fake.writes()] == ["POST", "PATCH"]
        assert [json.loads(line)["passing_pct"] for line in history] == [100.0, 50.0, 0.0]
