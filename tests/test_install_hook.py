"""``hfguard install-hook`` and the plain git hook it installs, in real git repositories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, run_hfguard
from gitrepo import GIT_ENV, GitRepo
from hfguard.commands.install_hook import BACKUP_NAME, hook_script

FOREIGN = "#!/bin/sh\necho 'my own hook'\n"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def _hook(repo: GitRepo) -> Path:
    return repo.path / ".git" / "hooks" / "pre-commit"


def test_the_shipped_script_is_hooks_pre_commit() -> None:
    assert hook_script() == (PROJECT_ROOT / "hooks" / "pre-commit").read_text()


def test_installs_an_executable_hook_and_is_idempotent(repo: GitRepo) -> None:
    first = run_hfguard("install-hook", cwd=repo.path)
    assert first.returncode == 0, first.stderr
    hook = _hook(repo)
    assert first.stdout == f"installed hfguard's pre-commit hook at {hook}\n"
    assert hook.read_text() == hook_script()
    assert os.access(hook, os.X_OK)
    again = run_hfguard("install-hook", cwd=repo.path)
    assert (again.returncode, again.stdout) == (0, f"hfguard's pre-commit hook is already installed at {hook}\n")
    assert sorted(p.name for p in hook.parent.iterdir() if not p.name.endswith(".sample")) == ["pre-commit"]


def test_refuses_a_foreign_hook_unless_forced_then_backs_it_up(repo: GitRepo) -> None:
    hook = _hook(repo)
    hook.write_text(FOREIGN)
    refused = run_hfguard("install-hook", cwd=repo.path)
    assert refused.returncode == 2
    assert "hfguard: .git/hooks/pre-commit: another pre-commit hook is installed; rerun with --force" in refused.stderr  # relative, as verify prints paths
    assert hook.read_text() == FOREIGN
    forced = run_hfguard("install-hook", "--force", cwd=repo.path)
    assert forced.returncode == 0, forced.stderr
    assert hook.read_text() == hook_script()
    assert (hook.parent / BACKUP_NAME).read_text() == FOREIGN
    assert run_hfguard("install-hook", "--force", cwd=repo.path).returncode == 0  # ours now: nothing to back up
    assert (hook.parent / BACKUP_NAME).read_text() == FOREIGN


def test_an_older_hfguard_hook_is_upgraded(repo: GitRepo) -> None:
    hook = _hook(repo)
    hook.write_text(hook_script().replace("xargs", "xargs  "))
    assert run_hfguard("install-hook", cwd=repo.path).returncode == 0
    assert hook.read_text() == hook_script()
    assert not (hook.parent / BACKUP_NAME).exists()


def test_follows_core_hooks_path_from_a_subdirectory(repo: GitRepo) -> None:
    repo.git("config", "core.hooksPath", ".githooks")
    (repo.path / "src").mkdir()
    result = run_hfguard("install-hook", cwd=repo.path / "src")
    assert result.returncode == 0, result.stderr
    assert (repo.path / ".githooks" / "pre-commit").read_text() == hook_script()


def test_outside_a_git_repository(tmp_path: Path) -> None:
    result = run_hfguard("install-hook", cwd=tmp_path, env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.returncode == 2
    assert "not in a git repository" in result.stderr


def _commit(repo: GitRepo, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        repo.write(name, text)
    repo.git("add", "-A")
    env = {**os.environ, **GIT_ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["git", "commit", "-q", "-m", "m"], cwd=repo.path, env=env, capture_output=True, text=True)


def test_the_installed_hook_blocks_broken_staged_test_files(repo: GitRepo) -> None:
    assert run_hfguard("install-hook", cwd=repo.path).returncode == 0
    good = _commit(repo, {"tests/test_hf_ok file.py": "def test_x():\n    assert True\n", "notes.py": "return\n"})
    assert good.returncode == 0, good.stdout + good.stderr  # notes.py does not match the pattern
    broken = _commit(repo, {"tests/test_hf_bad.py": "def test_x():\nassert True\n"})
    assert broken.returncode != 0
    assert "tests/test_hf_bad.py:2:1: HFG101 expected an indented block" in broken.stderr  # git shows hooks on stderr
    assert repo.git("status", "--porcelain") == "A  tests/test_hf_bad.py"
    fixed = _commit(repo, {"tests/test_hf_bad.py": "def test_x():\n    assert True\n"})
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
