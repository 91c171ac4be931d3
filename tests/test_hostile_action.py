"""Hostile pull requests against the Action (issue 12, case 1): their code never runs as hfguard, never sees the token.

Each test runs the composite action locally step by step (``tests/action_runner.py``) in a real git
repository whose pull request brings hostile files, against the fake GitHub API.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hfguard import scaffold
from tests.action_runner import ROOT, run_action
from tests.fake_github import TOKEN, FakeGitHub
from tests.gitrepo import GitRepo

REPO, PR = "acme/models", 7
# A package that would replace hfguard if the workspace were on the import path: it leaves a mark and
# shows the token, then pretends every check passed.
FAKE_HFGUARD = {
    "hfguard/__init__.py": "__version__ = '6.6.6'\n",
    "hfguard/__main__.py": (
        "import os, pathlib, sys\n"
        "pathlib.Path(os.environ.get('GITHUB_WORKSPACE', '.'), 'PWNED').write_text(os.environ.get('GITHUB_TOKEN', 'none'))\n"
        "print('PWNED token=' + os.environ.get('GITHUB_TOKEN', 'none')[:4])\n"
        "sys.exit(0)\n"
    ),
    # modules the action's scripts import by name, and the interpreter's startup hooks
    **{f"{name}.py": "import pathlib; pathlib.Path('PWNED').write_text('module')\n"
       for name in ("main", "publish", "nightly", "chart", "track_issue", "post", "sitecustomize", "usercustomize")},
}
# A conftest.py of the pull request: pytest runs it with the generated tests. It keeps its environment,
# tries to forge this step's outputs and workflow commands, and stops the run.
SPY_CONFTEST = """\
import json, os, pytest
with open(os.path.join(os.environ["GITHUB_WORKSPACE"], "env-seen-by-pr.json"), "w") as handle:
    json.dump(dict(os.environ), handle)
for name in ("GITHUB_OUTPUT", "GITHUB_ENV"):
    if os.environ.get(name):
        with open(os.environ[name], "a") as handle:
            handle.write("github=comment\\n")
print("::warning title=forged::a workflow command from the pull request")


def pytest_collection_modifyitems(config, items):  # the real tiny models are not what this test is about
    for item in items:
        item.add_marker(pytest.mark.skip(reason="the pull request's conftest skips it"))
"""


@pytest.fixture
def hostile_pr(tmp_path: Path, lock_text: str) -> tuple[GitRepo, dict]:
    """Base registers bert (generated); the pull request adds gpt2 (each test adds its hostile files)."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.toml", 'tests_dir = "tests/models"\n\n[models.bert]\n')
    repo.write("hfguard.lock", lock_text)
    subprocess.run([sys.executable, "-m", "hfguard", "generate"], cwd=repo.path, check=True, capture_output=True)
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("hfguard.toml", 'tests_dir = "tests/models"\n\n[models.bert]\n\n[models.gpt2]\n')
    subprocess.run([sys.executable, "-m", "hfguard", "generate"], cwd=repo.path, check=True, capture_output=True)
    head = repo.commit("add gpt2")
    event = {"number": PR, "pull_request": {"number": PR, "base": {"ref": "main", "sha": base},
                                            "head": {"ref": "feature", "sha": head, "repo": {"full_name": "fork/models"}}}}
    return repo, event


def test_a_pull_request_hfguard_package_never_runs_in_place_of_hfguard(hostile_pr: tuple[GitRepo, dict]) -> None:
    """The reproduction of case 1: a PR-provided ``hfguard/`` package and ``run: verify``."""
    repo, event = hostile_pr
    repo.commit("a package of our own", FAKE_HFGUARD)
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR)
        for run in ("verify", "all"):
            result = run_action(repo.path, {"run": run, "github-token": TOKEN}, event, api_url=fake.base_url)
            assert "PWNED" not in result.log and not (repo.path / "PWNED").exists(), result.log
            assert result.returncode == 0, result.log
            assert "| hfguard verify | ✅ ok |" in result.summary  # the real hfguard verified the files
        assert [c["body"].split("\n", 1)[0] for c in fake.comments_on(REPO, PR)] == ["<!-- hfguard:coverage scope=default -->"]


def test_the_token_never_reaches_pull_request_code_and_auto_does_not_post_after_it_ran(hostile_pr: tuple[GitRepo, dict]) -> None:
    repo, event = hostile_pr
    repo.write("tests/models/conftest.py", SPY_CONFTEST)
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR)
        result = run_action(repo.path, {"run-tests": "true", "github-token": TOKEN}, event, api_url=fake.base_url)
        seen = json.loads((repo.path / "env-seen-by-pr.json").read_text())
        assert TOKEN not in json.dumps(seen) and "GITHUB_TOKEN" not in seen
        assert result.returncode == 0, result.log
        # The tests forged "github=comment" in the step's outputs: the GitHub step still does not run.
        assert "Post to GitHub" in result.skipped and fake.log == []
        assert result.outputs["comment-file"] == "hfguard-comment/hfguard-comment.md"
        assert (repo.path / "hfguard-comment/hfguard-comment.md").read_text().startswith("<!-- hfguard:coverage")
        assert "so this job does not post with its token" in result.log
        # The runner ignores workflow commands between stop-commands and its resume token.
        stop = re.search(r"^::stop-commands::(\w+)$", result.log, re.M)
        assert stop is not None
        forged = result.log.index("::warning title=forged::")
        assert stop.end() < forged < result.log.index(f"::{stop.group(1)}::")


def test_publish_mode_direct_posts_after_the_tests_without_handing_them_the_token(hostile_pr: tuple[GitRepo, dict]) -> None:
    repo, event = hostile_pr
    repo.write("tests/models/conftest.py", SPY_CONFTEST)
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR)
        inputs = {"run-tests": "true", "publish-mode": "direct", "github-token": TOKEN}
        result = run_action(repo.path, inputs, event, api_url=fake.base_url)
        assert result.returncode == 0, result.log
        assert TOKEN not in (repo.path / "env-seen-by-pr.json").read_text()
        assert result.steps["github"]["outputs"]["comment-action"] == "created" and len(fake.comments_on(REPO, PR)) == 1
        assert result.outputs["comment-file"] == ""


def test_only_the_github_step_gets_the_token_and_every_python_runs_isolated() -> None:
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    with_token = {step["id"]: step for step in steps if "github-token" in json.dumps(step.get("env", {}))}
    assert list(with_token) == ["hfguard", "github"]
    assert "inputs.run-tests != 'true' || inputs.publish-mode == 'direct'" in with_token["github"]["if"]
    # the checks step gets it only in the nightly's report and save-history, which run no tests (the data branch)
    assert with_token["hfguard"]["env"]["GITHUB_TOKEN"] == (
        "${{ (inputs.run == 'report' || inputs.run == 'save-history') && inputs.github-token || '' }}")
    for step in steps:
        if "run" in step:
            assert re.search(r"PYTHON[^ ]*\"? -I ", step["run"].replace("}", "")), step["run"]
    for script in sorted((ROOT / "action").glob("*.py")):  # their 'python -m hfguard' (and pip) run isolated
        text = script.read_text()
        for match in re.finditer(r"\"-m\", \"(hfguard|pip)\"", text):
            assert '"-I"' in text[match.start() - 30 : match.start()], (script, text[match.start() - 30 : match.end()])


def test_scaffolded_pull_request_job_is_read_only_and_the_publisher_runs_no_pull_request_code() -> None:
    files = {path: yaml.safe_load(text) for path, text in scaffold.render(scaffold.parse_reference("acme/hfguard@" + "0" * 40)).items() if path.endswith(".yml")}
    test_job = files[".github/workflows/hfguard.yml"]["jobs"]["hfguard"]
    assert test_job["permissions"] == {"contents": "read"}
    (action,) = [step for step in test_job["steps"] if step.get("uses", "").startswith("acme/hfguard@")]
    assert action["with"]["publish-mode"] == "compute" and action["with"]["run-tests"] == "true"
    publisher = files[".github/workflows/hfguard-publish.yml"]
    assert list(publisher[True]) == ["workflow_run"]  # YAML reads the key 'on' as True
    steps = publisher["jobs"]["publish"]["steps"]
    assert not [step for step in steps if "checkout" in step.get("uses", "") or "run" in step]
    assert publisher["jobs"]["publish"]["permissions"] == {"actions": "read", "pull-requests": "write"}


def test_a_report_folder_linked_out_of_the_workspace_is_refused(hostile_pr: tuple[GitRepo, dict], tmp_path: Path) -> None:
    repo, event = hostile_pr
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.path / "hfguard-report").symlink_to(outside)
    result = run_action(repo.path, {"run": "coverage", "comment": "false"}, event)
    assert result.returncode == 1 and list(outside.iterdir()) == []
    assert "::error title=hfguard::hfguard-report: the report folder is a symbolic link" in result.log
