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
def test_generate_hook_rewrites_a_stale_file_once(hook_repo: Path, pre_commit_home: Path, consumer: GitRepo) -> None:
    if not _generate_available():
        pytest.skip("generate not yet available")
    stale = consumer.path / "tests/models/test_hf_bert.py"
    stale.write_text(stale.read_text() + "# a hand edit\n")
    consumer.git("add", "-A")
    first = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-generate")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "tests/models/test_hf_bert.py" in first.stdout
    assert "stage them ('git add') and commit again" in first.stdout
    assert "# a hand edit" not in stale.read_text()
    assert (consumer.path / ".hfguard-backup/tests/models/test_hf_bert.py").read_text().endswith("# a hand edit\n")  # staged, kept
    consumer.git("add", "-A")
    second = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-generate")
    assert second.returncode == 0, second.stdout + second.stderr
    verify = subprocess.run([sys.executable, "-m", "hfguard", "verify"], cwd=consumer.path, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.slow
@pytest.mark.xdist_group("pre-commit")
def test_manual_coverage_hook_shows_its_report(hook_repo: Path, pre_commit_home: Path, consumer: GitRepo) -> None:
    shown = try_repo(hook_repo, pre_commit_home, consumer, "hf-test-coverage", "--hook-stage", "manual")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "### hfguard coverage" in shown.stdout and "test files generated (they compile; not a coverage figure): 2 of 2 registry entries (100.0%)" in shown.stdout
