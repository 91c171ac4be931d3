"""The published hooks (``.pre-commit-hooks.yaml``) driven through the real pre-commit framework.

``pre-commit try-repo`` installs hfguard from a git repository into its own environment (core
dependencies only) and runs a hook in a consumer repository. The project is copied into a temp
git repository with one commit, so these tests work from any checkout state; the hook
environment is built once per session in a private ``PRE_COMMIT_HOME``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT
from gitrepo import GIT_ENV, GitRepo, catalogue
from hfguard.config import load_config
from hfguard.plan import plan_file
from hfguard.stamp import header, seal

MANIFEST = PROJECT_ROOT / ".pre-commit-hooks.yaml"
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _hook_ids() -> list[str]:
    return [hook["id"] for hook in yaml.safe_load(MANIFEST.read_text())]


def test_manifest_is_valid_for_pre_commit() -> None:
    result = subprocess.run([*PRE_COMMIT, "validate-manifest", str(MANIFEST)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text())}
    assert {"hf-test-verify", "hf-test-generate", "hf-test-coverage"} <= set(hooks)
    assert all(hook["language"] == "python" and hook["entry"].startswith("hfguard ") for hook in hooks.values())
    assert hooks["hf-test-generate"]["pass_filenames"] is False and hooks["hf-test-generate"]["require_serial"]
    assert hooks["hf-test-coverage"]["stages"] == ["manual"]
    pattern = re.compile(hooks["hf-test-verify"]["files"])
    assert pattern.search("tests/models/test_hf_gpt2.py") and pattern.search("test_hf_bert.py")
    assert not pattern.search("tests/test_hf_helpers/conftest.py") and not pattern.search("tests/test_other.py")


@pytest.mark.parametrize("hook_id", _hook_ids())
def test_every_hook_is_documented_in_the_readme(hook_id: str) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Pre-commit hooks", 1)[1].split("\n## ", 1)[0]
    assert f"`{hook_id}`" in section


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A one-commit git copy of the project's tracked and untracked (not ignored) files."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    repo = GitRepo(tmp_path_factory.mktemp("hfguard-hook-repo"))
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_file():
            (repo.path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo.path / name)
    repo.commit("hfguard as pre-commit sees it")
    yield repo.path


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PRE_COMMIT_HOME per session, so the hook environment is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def consumer(tmp_path: Path) -> GitRepo:
    """A repository using hfguard: registry of bert and gpt2, a lock, fresh generated files."""
    repo = GitRepo(tmp_path / "consumer")
    repo.write("hfguard.toml", "[models.bert]\n\n[models.gpt2]\n")
    repo.write("hfguard.lock", catalogue().to_json())
    config = load_config(repo.path / "hfguard.toml")
    for entry in config.models.values():
        planned = plan_file(config, catalogue(), entry)
        text = header(entry.model_type, planned.family, planned.family, 1, planned.inputs) + "\ndef test_ok():\n    pass\n"
        repo.write(f"tests/models/test_hf_{entry.model_type}.py", seal(text))
    repo.write("scripts/scratch.py", "return 'not a test file, not checked'\n")
    repo.git("add", "-A")
    return repo


def try_repo(hook_repo: Path, home: Path, consumer: GitRepo, hook_id: str, *options: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo <hfguard copy> <hook_id> --all-files [options]`` in the consumer repository."""
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("HFGUARD_CACHE_DIR", None)
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(hook_repo), hook_id, "--all-files", "--color", "never", *options],
        cwd=consumer.path,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.xdist_group("pre-commit")
def test_verify_hook_passes_good_files_and_names_the_broken_one(
    hook_repo: Path, pre_commit_home: Path, consumer: GitRepo
) -> None:
    passed = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-verify")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"hfguard verify .*Passed", passed.stdout)
    consumer.write("tests/models/test_hf_t5.py", "def test_forward():\n    x = 1\n      y = 2\n")
    consumer.git("add", "-A")
    failed = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-verify")
    assert failed.returncode == 1
    assert re.search(r"hfguard verify .*Failed", failed.stdout)
    assert "tests/models/test_hf_t5.py:3:6: HFG101 unexpected indent" in failed.stdout
    assert "scratch.py" not in failed.stdout


def _generate_available() -> bool:
    """Whether ``hfguard generate --exit-code`` works here (it is written by someone else)."""
    probe = subprocess.run([sys.executable, "-m", "hfguard", "generate", "--help"], capture_output=True, text=True)
    return probe.returncode == 0 and "--exit-code" in probe.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("pre-commit")
def test_generate_hook_rewrites_a_stale_file_once_and_keeps_a_hand_edit(hook_repo: Path, pre_commit_home: Path, consumer: GitRepo) -> None:
    if not _generate_available():
        pytest.skip("generate not yet available")
    stale, edited = consumer.path / "tests/models/test_hf_bert.py", consumer.path / "tests/models/test_hf_gpt2.py"
    edited.write_text(edited.read_text() + "# a hand edit\n")
    consumer.git("add", "-A")
    first = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-generate")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "updated tests/models/test_hf_bert.py\n" in first.stdout and "stage them ('git add') and commit again" in first.stdout
    assert "tests/models/test_hf_gpt2.py: edited by hand, so left as it is" in first.stdout
    assert edited.read_text().endswith("# a hand edit\n") and not (consumer.path / ".hfguard-backup").exists()
    edited.write_text(edited.read_text().removesuffix("# a hand edit\n"))  # the edit, dropped: the file is stale, not edited
    consumer.git("add", "-A")
    second = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-generate")
    assert second.returncode == 1 and "updated tests/models/test_hf_gpt2.py\n" in second.stdout, second.stdout
    consumer.git("add", "-A")
    third = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-generate")
    assert third.returncode == 0, third.stdout + third.stderr
    assert stale.read_text().startswith("# Generated by hfguard")
    verify = subprocess.run([sys.executable, "-m", "hfguard", "verify"], cwd=consumer.path, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.slow
@pytest.mark.xdist_group("pre-commit")
def test_manual_coverage_hook_shows_its_report(hook_repo: Path, pre_commit_home: Path, consumer: GitRepo) -> None:
    shown = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-coverage", "--hook-stage", "manual")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "### hfguard coverage" in shown.stdout and "test files generated (they compile; not a coverage figure): 2 of 2 registry entries (100.0%)" in shown.stdout


def git_commit(repo: GitRepo, home: Path, message: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` as a user runs it, with pre-commit's hooks installed: everything the user sees, and the exit code."""
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("HFGUARD_CACHE_DIR", None)
    result = subprocess.run(["git", "commit", "-m", message], cwd=repo.path, env=env, capture_output=True, text=True)
    result.stdout += result.stderr
    return result


@pytest.fixture
def committing(tmp_path: Path, hook_repo: Path, pre_commit_home: Path, lock_text: str) -> GitRepo:
    """A repository with real generated files of bert and gpt2, committed, and hfguard's hooks installed in git the way
    'hfguard init' configures them: generate, then verify."""
    repo = GitRepo(tmp_path / "team")
    repo.write("hfguard.toml", 'tests_dir = "tests/models"\n\n[models.bert]\n\n[models.gpt2]\n')
    repo.write("hfguard.lock", lock_text)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True).stdout.strip()
    repo.write(".pre-commit-config.yaml", f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: hf-test-generate\n"
                                          "      - id: hf-test-verify\n")
    subprocess.run([sys.executable, "-m", "hfguard", "generate"], cwd=repo.path, check=True, capture_output=True)
    repo.commit("hfguard adopted")
    subprocess.run([*PRE_COMMIT, "install"], cwd=repo.path, env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(pre_commit_home)},
                   check=True, capture_output=True)
    return repo


@pytest.mark.slow
@pytest.mark.xdist_group("pre-commit")
def test_a_commit_never_drops_a_hand_edit_and_says_how_to_keep_it(committing: GitRepo, pre_commit_home: Path) -> None:
    """A hand edit in a generated file, staged: the commit stops, the edit stays staged, the output says what to do."""
    repo, gpt2 = committing, committing.path / "tests/models/test_hf_gpt2.py"
    mine = "\n\ndef test_my_prompt(model):\n    assert model.config.vocab_size > 0\n"
    gpt2.write_text(gpt2.read_text() + mine)
    repo.git("add", "-A")
    stopped = git_commit(repo, pre_commit_home, "my gpt2 test")
    assert stopped.returncode == 1, stopped.stdout
    assert "tests/models/test_hf_gpt2.py: edited by hand, so left as it is" in stopped.stdout
    assert "to keep your tests: move them to tests/models/test_hf_gpt2_extra.py (hfguard never touches it), then run 'hfguard generate gpt2'" in stopped.stdout
    assert "HFG110 generated file was edited by hand" in stopped.stdout  # verify's word too
    assert gpt2.read_text().endswith(mine) and repo.git("diff", "--cached", "--name-only") == "tests/models/test_hf_gpt2.py"
    # the advice, followed: the test moves to the _extra file, the generated file is generated again
    (gpt2.parent / "test_hf_gpt2_extra.py").write_text(mine.lstrip() + "\n")
    subprocess.run([sys.executable, "-m", "hfguard", "generate", "gpt2"], cwd=repo.path, check=True, capture_output=True)
    repo.git("add", "-A")
    kept = git_commit(repo, pre_commit_home, "my gpt2 test, in its _extra file")
    assert kept.returncode == 0, kept.stdout
    assert repo.git("show", "--name-only", "--format=", "HEAD") == "tests/models/test_hf_gpt2_extra.py"


@pytest.mark.slow
@pytest.mark.xdist_group("pre-commit")
def test_an_unstaged_hand_edit_with_a_registry_change_is_never_lost(committing: GitRepo, pre_commit_home: Path) -> None:
    """The registry changes bert (staged) while bert's generated file has an unstaged hand edit: each attempt says what
    happened, the edit survives every one, and dropping it on purpose keeps a backup."""
    repo, bert = committing, committing.path / "tests/models/test_hf_bert.py"
    edited = bert.read_text().replace("tiny={}", 'tiny={"num_hidden_layers": 1}')  # the lines the registry change rewrites
    bert.write_text(edited)
    repo.write("hfguard.toml", 'tests_dir = "tests/models"\n\n[models.bert]\ntiny = { hidden_size = 48 }\n\n[models.gpt2]\n')
    repo.git("add", "hfguard.toml")
    first = git_commit(repo, pre_commit_home, "bigger bert")
    assert first.returncode == 1, first.stdout
    assert "updated tests/models/test_hf_bert.py" in first.stdout and "Rolling back fixes" in first.stdout  # pre-commit's word
    assert "an unstaged edit of yours in these files stays in your work tree" in first.stdout
    assert bert.read_text() == edited
    repo.git("add", "-A")
    second = git_commit(repo, pre_commit_home, "bigger bert")
    assert second.returncode == 1 and "tests/models/test_hf_bert.py: edited by hand, so left as it is" in second.stdout
    assert "to drop the edit: run 'hfguard generate bert' (your version is kept in .hfguard-backup/)" in second.stdout
    assert bert.read_text() == edited
    subprocess.run([sys.executable, "-m", "hfguard", "generate", "bert"], cwd=repo.path, check=True, capture_output=True)  # dropped
    repo.git("add", "-A")
    third = git_commit(repo, pre_commit_home, "bigger bert")
    assert third.returncode == 0, third.stdout
    assert (repo.path / ".hfguard-backup/tests/models/test_hf_bert.py").read_text() == edited
    assert 'tiny={"hidden_size": 48}' in repo.git("show", "HEAD:tests/models/test_hf_bert.py")
