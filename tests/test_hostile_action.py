"""Hostile pull requests against the Action (issue 12, case 1): their code never runs as hfguard, never sees the token.

Each test runs the composite action locally step by step (``tests/action_runner.py``) in a real git
repository whose pull request brings hostile files, against the fake GitHub API.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from hfguard import environment, scaffold
from tests.action_runner import ROOT, action_module, run_action
from tests.fake_github import TOKEN, FakeGitHub
from tests.gitrepo import GitRepo
from tests.test_upgrade import relock

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
        # The plan step decided before the tests ran that the GitHub step does not run; whatever the tests write changes nothing.
        assert "Post to GitHub" in result.skipped and fake.log == []
        assert result.steps["plan"]["outputs"]["github-step"] == "false"
        assert result.outputs["comment-file"] == "hfguard-comment/hfguard-comment.md"
        assert (repo.path / "hfguard-comment/hfguard-comment.md").read_text().startswith("<!-- hfguard:coverage")
        assert "so no step with the token runs after it" in result.log
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
    # Each decided only by the plan step's outputs (fixed before any code of the pull request runs), never by an input
    # compared raw, nor by the checks step's outputs alone.
    assert with_token["github"]["if"] == (
        "${{ !cancelled() && steps.plan.outputs.github-step == 'true' && steps.hfguard.outputs.github != '' }}")
    assert with_token["hfguard"]["env"]["GITHUB_TOKEN"] == "${{ steps.plan.outputs.data-token == 'true' && inputs.github-token || '' }}"
    assert [step.get("id") for step in steps].index("plan") < [step.get("id") for step in steps].index("hfguard")
    for step in steps:
        assert "inputs." not in str(step.get("if", "")), step["name"]
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


@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_report_folder_linked_out_of_the_workspace_or_a_file_is_refused(hostile_pr: tuple[GitRepo, dict], tmp_path: Path,
                                                                         kind: str) -> None:
    """A committed 'hfguard-report' link, or a file of that name (issue 19, case 6: was a FileExistsError traceback)."""
    repo, event = hostile_pr
    outside = tmp_path / "outside"
    outside.mkdir()
    if kind == "link":
        (repo.path / "hfguard-report").symlink_to(outside)
    else:
        (repo.path / "hfguard-report").write_text("a file where hfguard writes its report folder\n")
    result = run_action(repo.path, {"run": "coverage", "comment": "false"}, event)
    assert result.returncode == 1 and list(outside.iterdir()) == [] and "Traceback" not in result.log
    expected = "is a symbolic link" if kind == "link" else "is a file, not a folder; remove or rename it"
    [error] = [line for line in result.log.splitlines() if line.startswith("::error")]
    assert error.startswith("::error title=hfguard::hfguard-report: the report folder ") and expected in error


def test_run_tests_with_whitespace_or_capitals_is_true_in_every_step(hostile_pr: tuple[GitRepo, dict]) -> None:
    """Issue 19, case 2: 'run-tests: "True "' ran the tests (the scripts stripped it) while action.yml's raw comparison
    let the token step run after them. The plan step normalises it once; every step follows its outputs."""
    repo, event = hostile_pr
    repo.write("tests/models/conftest.py", SPY_CONFTEST)
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR)
        result = run_action(repo.path, {"run-tests": "True "}, event, api_url=fake.base_url, github_token=TOKEN)
        assert result.returncode == 0, result.log
        assert (repo.path / "env-seen-by-pr.json").is_file()  # the tests ran
        assert result.steps["plan"]["outputs"]["github-step"] == "false" and "Post to GitHub" in result.skipped
        assert [name for name, token in result.ran if token] == [] and fake.log == []
        assert result.outputs["comment-file"] == "hfguard-comment/hfguard-comment.md"


# Code a pull request commits where the upgrade check's sweep would load it (a conftest.py beside the generated tests of a
# version, with hfguard's own marker of a sweep folder so that the folder is not refused): it tampers with the Action's
# GitHub step, whose rewritten script would hand the token to the pull request, and forges the checks step's outputs.
TAMPERING_CONFTEST = """\
import os, pathlib
workspace = pathlib.Path(os.environ.get("GITHUB_WORKSPACE", "."))
(workspace / "TAMPERED").write_text("the pull request's conftest.py ran")
action = os.environ.get("GITHUB_ACTION_PATH")
if action:
    pathlib.Path(action, "action", "post.py").write_text(
        "import os, pathlib; pathlib.Path(os.environ['GITHUB_WORKSPACE'], 'STOLEN').write_text(os.environ.get('GITHUB_TOKEN', ''))\\n")
for name in ("GITHUB_OUTPUT", "GITHUB_ENV"):
    if os.environ.get(name):
        with open(os.environ[name], "a") as handle:
            handle.write("github=comment\\n")
"""
OLD, NEW = "5.23.0", "5.24.0"  # the pins of the base and of the pull request (a Dependabot bump)


def stand_in_environment(runner_temp: Path, version: str) -> None:
    """What ``hfguard sweep --transformers VERSION`` reuses in the Action (``$RUNNER_TEMP/hfguard-envs``): a real virtual
    environment whose stamp matches the upgrade check's spec, its site-packages reaching this test run's (torch, the
    installed transformers, hfguard, pytest), so the sweep really runs the generated tests without installing anything."""
    install = action_module("install")
    spec = environment.default_spec(version, None, install.torch_requirement(ROOT / "requirements/constraints.txt"), install.TORCH_INDEX)
    path = runner_temp / "hfguard-envs" / f"transformers-{version}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    [site] = path.glob("lib/python*/site-packages")
    (site / "stand-in.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    (path / environment.STAMP).write_text(json.dumps({"spec": asdict(spec), "transformers_version": version}))


@pytest.fixture
def bump_pr(tmp_path: Path, lock_text: str) -> tuple[GitRepo, dict]:
    """Base: bert registered and generated under the 5.23.0 pin. The pull request bumps the pin to 5.24.0 and commits
    the tampering conftest.py where each version's sweep writes its tests, and at the repository's root."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.toml", 'tests_dir = "tests/models"\n\n[models.bert]\n')
    repo.write("hfguard.lock", relock(lock_text, OLD))
    subprocess.run([sys.executable, "-m", "hfguard", "generate"], cwd=repo.path, check=True, capture_output=True)
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "dependabot/pip/transformers-5.24.0")
    repo.write("hfguard.lock", relock(lock_text, NEW))
    subprocess.run([sys.executable, "-m", "hfguard", "generate"], cwd=repo.path, check=True, capture_output=True)
    for version in (OLD, NEW):
        repo.write(f"hfguard-report/upgrade/{version}/.hfguard-sweep", "")
        repo.write(f"hfguard-report/upgrade/{version}/tests/conftest.py", TAMPERING_CONFTEST)
    repo.write("conftest.py", TAMPERING_CONFTEST)
    head = repo.commit(f"Bump transformers from {OLD} to {NEW}")
    event = {"number": PR, "pull_request": {"number": PR, "base": {"ref": "main", "sha": base},
                                            "head": {"ref": "dependabot/pip/transformers-5.24.0", "sha": head, "repo": {"full_name": REPO}}}}
    return repo, event


@pytest.mark.slow
def test_a_transformers_bump_with_tampering_code_and_the_default_inputs_never_reaches_the_token(
        bump_pr: tuple[GitRepo, dict], tmp_path: Path) -> None:
    """Issue 19, case 1 (done when: the local action runner). With the default inputs the upgrade check sweeps the
    pull request's repository under both pins: the plan step decides that before anything runs, so no step with the
    token runs after the sweeps, and the comment, with the upgrade section, is saved for hfguard-publish.yml."""
    repo, event = bump_pr
    action = tmp_path / "action"  # a copy: the tampering code would rewrite the Action's own scripts
    shutil.copytree(ROOT, action, ignore=lambda folder, names: [name for name in names if Path(folder) == ROOT
                                                                 and name not in ("action.yml", "action", "requirements")])
    post = hashlib.sha256((action / "action/post.py").read_bytes()).hexdigest()
    runner_temp = tmp_path / "runner"
    for version in (OLD, NEW):
        stand_in_environment(runner_temp, version)
    with FakeGitHub() as fake:
        fake.add_pr(REPO, PR)
        result = run_action(repo.path, {}, event, api_url=fake.base_url, extra_env={"RUNNER_TEMP": str(runner_temp)},
                            action_dir=action, github_token=TOKEN)
        assert result.returncode == 0, result.log
        plan = result.steps["plan"]["outputs"]
        assert (plan["pull-request-code"], plan["github-step"]) == ("true", "false")
        assert [name for name, _ in result.ran] == ["Plan", "Run hfguard"] and not any(token for _, token in result.ran)
        assert "Post to GitHub" in result.skipped and fake.log == []
        for version in (OLD, NEW):  # both sweeps really ran the generated tests, in the stand-in environments
            [bert] = json.loads((repo.path / f"hfguard-report/upgrade/{version}/results.json").read_text())["models"]
            assert (bert["model_type"], bert["status"]) == ("bert", "passing") and bert["tests"] >= 10, bert
            assert not (repo.path / f"hfguard-report/upgrade/{version}/tests/conftest.py").exists()  # emptied, never loaded
        assert not (repo.path / "TAMPERED").exists() and not (repo.path / "STOLEN").exists()
        assert hashlib.sha256((action / "action/post.py").read_bytes()).hexdigest() == post
        assert result.outputs["comment-file"] == "hfguard-comment/hfguard-comment.md"
        saved = (repo.path / "hfguard-comment/hfguard-comment.md").read_text()
        assert saved.startswith("<!-- hfguard:coverage scope=default -->") and f"transformers {OLD} (base)" in saved
        assert "No model type of the registry changes." in saved
        assert f"the upgrade check's sweeps (transformers {OLD} and {NEW})" in result.log


def test_the_plan_names_the_install_wherever_it_runs_before_tests(bump_pr: tuple[GitRepo, dict], monkeypatch) -> None:
    """Issue 21 within issue 19: the team's package ('install') is installed before every run of the generated tests,
    in the nightly's sweep and in each environment of the upgrade check too: the plan counts and names it."""
    plan = action_module("plan")
    repo, event = bump_pr
    monkeypatch.chdir(repo.path)
    inputs = action_module("inputs").Inputs.from_env
    sweep = plan.make_plan(inputs({"INPUT_RUN": "sweep", "INPUT_INSTALL": " --no-deps . "}), {}, {})
    assert sweep.pull_request_code == ("the generated tests after pip install --no-deps .",) and not sweep.github_step
    upgrade = plan.make_plan(inputs({"INPUT_INSTALL": "."}), {}, event)
    assert upgrade.pull_request_code == (f"the upgrade check's sweeps (transformers {OLD} and {NEW}) after pip install .",)
    assert "upgrade" in upgrade.steps and not upgrade.github_step
    assert plan.make_plan(inputs({}), {}, event).pull_request_code == (f"the upgrade check's sweeps (transformers {OLD} and {NEW})",)
