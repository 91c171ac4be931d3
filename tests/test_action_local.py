"""The composite action, run locally step by step against real git repositories and the fake GitHub API."""

from __future__ import annotations

import json
import shutil
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
    assert result.returncode == 2 and result.skipped[-2:] == ["Run hfguard", "Post to GitHub"]
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
        fake.add_pr(REPO, 1, body=track_issue.marker("main") + "\na pull request is listed among the issues too")
        for n in range(120):
            fake.add_issue(REPO, f"issue {n}")
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.base_url, "HFGUARD_GITHUB_BACKOFF": "0",
               "GITHUB_REF_NAME": "main", "HFGUARD_GITHUB_LOGIN": "github-actions[bot]"}
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
    assert json.loads((tmp_path / "2-of-2/hfguard-report/shard.json").read_text())["plan"] == {"1": ["bert"], "2": ["gpt2"]}
    nightly_report_runs(tmp_path, {shard: tmp_path / shard.replace("/", "-of-") for shard in ("1/2", "2/2")})


def shard_folder(workspace: Path, target: Path, transformers: str = "pinned", failing: str | None = None,
                 bare: bool = False) -> Path:
    """A copy of what a sweep shard uploads (``hfguard-report/``), as another flavour, with one model type failing or no results."""
    shutil.copytree(workspace / "hfguard-report", target)
    marker = json.loads((target / "shard.json").read_text())
    (target / "shard.json").write_text(json.dumps({**marker, "transformers": transformers}))
    if failing is not None:
        results = json.loads((target / "sweep/results.json").read_text())
        for model in results["models"]:
            if model["model_type"] == failing:
                model.update(status="failing", message="AssertionError: logits differ by 0.5 <script>")
        (target / "sweep/results.json").write_text(json.dumps(results))
    if bare:  # the tests did not run: a coverage report without results
        subprocess.run([sys.executable, "-m", "hfguard", "coverage", "--json", str(target / "coverage.json")], cwd=workspace,
                       check=True, capture_output=True)
    return target


def nightly_report_runs(tmp_path: Path, workspaces: dict[str, Path]) -> None:
    """``run: report`` merges the shards that exist, keeps history, chart and dashboard, compares pinned with latest,
    and opens then updates one issue on drops; a missing shard is named and never counted as a drop."""
    one, two = workspaces["1/2"], workspaces["2/2"]
    nights = {
        "good": lambda w: [shard_folder(one, w / "p1"), shard_folder(two, w / "p2")],
        "missing": lambda w: [shard_folder(one, w / "p1")],
        "bad": lambda w: [shard_folder(one, w / "p1"), shard_folder(two, w / "p2", failing="gpt2", bare=True)],
        "upgrade": lambda w: [shard_folder(one, w / "p1"), shard_folder(two, w / "p2"), shard_folder(one, w / "l1", "latest"),
                              shard_folder(two, w / "l2", "latest", failing="gpt2")],
    }
    previous: Path | None = None
    with FakeGitHub() as fake:
        fake.add_pr(REPO, 1)
        for number, (night, shards) in enumerate(nights.items(), 1):
            workspace = tmp_path / night
            shards(workspace / "hfguard-shards")
            if previous is not None:  # what the report job reads from the data branch
                shutil.copytree(previous / "baseline", workspace / "hfguard-previous")
            result = run_action(workspace, {"run": "report", "github-token": TOKEN}, {}, event_name="schedule", api_url=fake.base_url,
                                extra_env={"GITHUB_REF_NAME": "main"})
            assert result.returncode == 0, result.log
            previous = workspace / "hfguard-report"
            records = [json.loads(line) for line in (previous / "history.jsonl").read_text().splitlines()]
            assert [r["night"] for r in records] == list(range(1, number + 1))
            assert (previous / "coverage-history.svg").read_text().count("<circle") == number
            page = (Path(result.outputs["dashboard-path"]) if Path(result.outputs["dashboard-path"]).is_absolute()
                    else workspace / result.outputs["dashboard-path"]) / "index.html"
            html = page.read_text()
            assert html.count('<tr id="m-') == 2 and "<script>" not in html.split("</head>")[1]
            expected = {"good": ("100", ""), "missing": ("100", "+0.0"), "bad": ("50", "-50.0"), "upgrade": ("100", "+50.0")}[night]
            assert (result.outputs["coverage"], result.outputs["delta"]) == expected
            if night == "missing":
                assert records[-1]["missing_shards"] == [2] and records[-1]["unknown"] == ["gpt2"] and records[-1]["total"] == 1
                assert "Shard 2 of 2 (pinned) is missing" in html and "Shard 2 of 2 (pinned) is missing" in result.summary
                assert not fake.issues  # a lost shard is not a drop
            if night == "bad":
                assert "night 3 (" in html.split('id="m-gpt2"')[1].split("</tr>")[0]  # failing since tonight
            if night == "upgrade":
                upgrade = json.loads((previous / "upgrade.json").read_text())
                assert [e["model_type"] for e in upgrade["newly_failing"]] == ["gpt2"]
                assert 'id="upgrade-table"' in html and "logits differ by 0.5 &lt;script&gt;" in html
        issues = list(fake.issues.values())
        assert len(issues) == 1 and issues[0]["title"] == "hfguard nightly: model-type coverage dropped (main)"
        assert "hfguard upgrade check" in issues[0]["body"] and "&lt;script&gt;" in issues[0]["body"] and "<script>" not in issues[0]["body"]
        assert [method for method, path, _ in fake.writes()] == ["POST", "PATCH"]
        assert [r["passing_pct"] for r in records] == [100.0, 100.0, 50.0, 100.0]


def test_history_lives_on_the_data_branch_and_is_never_overwritten(tmp_path: Path) -> None:
    """report reads the data branch (absent on the first night), save-history commits on exactly what was read."""
    from tests.nights import scenario

    server = tmp_path / "server"
    subprocess.run(["git", "init", "-q", "--bare", str(server / "acme/models.git")], check=True)
    paths = scenario(tmp_path / "nights")
    env = {"GITHUB_SERVER_URL": server.as_uri(), "GITHUB_REF_NAME": "main", "GITHUB_RUN_ID": "1"}
    workspaces = []
    for night in range(3):
        workspace = tmp_path / f"night{night}"
        folder = workspace / "hfguard-shards/shard"
        (folder / "sweep").mkdir(parents=True)
        shutil.copyfile(paths["tonight"], folder / "sweep/results.json")
        (folder / "shard.json").write_text(json.dumps({"shard": 1, "of": 1, "transformers": "pinned", "plan": {}}))
        coverage_of(folder)
        result = run_action(workspace, {"run": "report", "data-branch": "hfguard-data", "github-token": "t0ken"}, {},
                            event_name="schedule", extra_env=env)
        assert result.returncode == 0, result.log
        workspaces.append(workspace)
        if night < 2:
            saved = run_action(workspace, {"run": "save-history", "data-branch": "hfguard-data", "previous-dir": "hfguard-report",
                                           "github-token": "t0ken"}, {}, event_name="schedule", extra_env=env)
            assert saved.returncode == 0, saved.log
    log = subprocess.run(["git", "log", "--format=%s", "hfguard-data"], cwd=server / "acme/models.git", capture_output=True, text=True).stdout
    assert log.splitlines() == ["hfguard nightly run 1"] * 2
    history = (workspaces[2] / "hfguard-report/history.jsonl").read_text().splitlines()
    assert [json.loads(line)["night"] for line in history] == [1, 2, 3]
    assert (workspaces[0] / "hfguard-report/data-commit").read_text() == "\n"  # the first night: no branch yet
    # a stale night (it read the branch before the second night was saved) cannot overwrite it
    with (workspaces[1] / "hfguard-report/baseline/history.jsonl").open("a") as handle:
        handle.write('{"night": 99}\n')
    stale = run_action(workspaces[1], {"run": "save-history", "data-branch": "hfguard-data", "previous-dir": "hfguard-report",
                                       "github-token": "t0ken"}, {}, event_name="schedule", extra_env=env)
    assert stale.returncode == 1 and "moved since this night read it" in stale.log and "t0ken" not in stale.log
    again = subprocess.run(["git", "log", "--format=%s", "hfguard-data"], cwd=server / "acme/models.git", capture_output=True, text=True)
    assert again.stdout == log


def coverage_of(folder: Path) -> None:
    """A coverage report for a shard folder, made from its sweep results (the report merges coverage too)."""
    results = json.loads((folder / "sweep/results.json").read_text())
    models = {m["model_type"]: {"family": m["family"], "file": f"tests/{m['model_type']}.py", "verified": True, "detail": "",
                                "tests": {"test_forward_shapes": "passed" if m["status"] == "passing" else "failed"}}
              for m in results["models"]}
    (folder / "coverage.json").write_text(json.dumps({"schema_version": 1, "denominator": "all", "transformers_version": "5.24.0",
                                                      "has_results": True, "models": models}))


WRAPPER = "hfguard_demo_zoo_wrapper"  # a package of the user's, which their own tests import


@pytest.mark.slow
def test_install_input_puts_the_users_package_under_their_own_tests(pr_repo: tuple[GitRepo, dict]) -> None:
    """Without 'install' the team's own test that imports their package breaks collection; with it, it runs."""
    repo, event = pr_repo
    repo.write(f"src/{WRAPPER}/__init__.py", "def wrapped():\n    return 'bert'\n")
    repo.write("pyproject.toml", f'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
                                 f'[project]\nname = "{WRAPPER}"\nversion = "0.1"\n')
    repo.write("tests/models/test_hf_bert_extra.py", f"from {WRAPPER} import wrapped\n\n\ndef test_wrapper():\n    assert wrapped() == 'bert'\n")
    inputs = {"run": "coverage", "run-tests": "true", "comment": "false"}
    try:
        without = run_action(repo.path, inputs, event)
        assert without.returncode == 1 and f"No module named '{WRAPPER}'" in without.log
        installed = run_action(repo.path, {**inputs, "install": "--no-deps --no-build-isolation ."}, event)
        assert installed.returncode == 0, installed.log
        assert "| install the code the tests import ('install') | ✅ ok |" in installed.summary
        bert = json.loads((repo.path / "hfguard-report/coverage.json").read_text())["models"]["bert"]
        assert bert["tests"]["extra::test_wrapper"] == "passed"
        bad = run_action(repo.path, {**inputs, "install": "'unclosed"}, event)
        assert bad.returncode == 2 and "input 'install' is not a list of pip arguments" in bad.log
    finally:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", WRAPPER], capture_output=True)


def test_the_registry_in_pyproject_is_found_without_a_config_input(tmp_path: Path, lock_text: str) -> None:
    """What 'hfguard init' writes for a [tool.hfguard] repository names no config: the Action finds it as the CLI does."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("pyproject.toml", '[project]\nname = "zoo"\n\n[tool.hfguard]\ntests_dir = "tests/hf"\n\n[tool.hfguard.models.bert]\n')
    repo.write("hfguard.lock", lock_text)
    generate(repo.path)
    repo.commit("registry in pyproject")
    result = run_action(repo.path, {"run": "verify"}, {})
    assert result.returncode == 0, result.log
    assert "| hfguard verify | ✅ ok |" in result.summary


def test_the_actions_scripts_import_each_other_without_a_circle() -> None:
    """The shared pieces (inputs, the runner's protocol) sit in modules that import no step's script; nothing imports
    main.py, the checks step."""
    import ast

    from tests.action_runner import ROOT

    modules = {path.stem: ast.parse(path.read_text()) for path in (ROOT / "action").glob("*.py")}
    imports = {name: {node.module if isinstance(node, ast.ImportFrom) else alias.name
                      for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                      for alias in (node.names if isinstance(node, ast.Import) else [None])} & modules.keys()
               for name, tree in modules.items()}
    assert not any("main" in found for found in imports.values()), imports
    order: list[str] = []
    while len(order) < len(imports):
        ready = sorted(name for name, found in imports.items() if name not in order and found <= set(order))
        assert ready, f"an import circle among {sorted(set(imports) - set(order))}: {imports}"
        order += ready
    assert imports["inputs"] == set() and imports["protocol"] == set()
