"""``hfguard.layout``: generated tests collect and run under a team's own pytest setup, not only hfguard's.

Real pytest runs from a repository's root with foreign configuration: ``testpaths``, ``--import-mode=prepend`` in an
ancestor ``pytest.ini``, same-named team files in sibling folders, a sibling conftest importing a package that is not
installed, ``python_files`` / ``python_functions`` that do not name generated tests, ``--strict-markers`` with
hfguard's plugin off, ``filterwarnings = error``. Each case also runs without hfguard's layout files, to show it fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_hfguard
from gitrepo import GitRepo
from hfguard import layout
from hfguard import test_run

TEAM_BERT = "def test_team_bert():\n    assert True\n"


@pytest.fixture
def repo(tmp_path: Path, lock_text: str) -> GitRepo:
    """A team repository whose registry generates bert into ``test/hf_generated`` (inside the team's own test folder)."""
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.toml", 'tests_dir = "test/hf_generated"\n\n[models.bert]\n')
    repo.write("hfguard.lock", lock_text)
    repo.write("pytest.ini", "[pytest]\ntestpaths = test\naddopts = -ra --strict-markers\n")
    repo.write("test/pytest.ini", "[pytest]\naddopts = --import-mode=prepend\n")
    repo.write("test/skills/test_hf_bert.py", TEAM_BERT)  # the same module name as the generated file
    repo.write("test/skills/conftest.py", "import ipfs_accelerate_py  # not installed here\n")
    repo.write("test/other/test_hf_bert.py", TEAM_BERT)
    generated = run_hfguard("generate", cwd=repo.path)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "created test/hf_generated/__init__.py" in generated.stdout and "created test/hf_generated/conftest.py" in generated.stdout
    return repo


def collect(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``pytest --collect-only -q ARGS`` from the repository root, as a team runs it."""
    return subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args], cwd=root,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


def collected(result: subprocess.CompletedProcess[str]) -> int:
    match = re.search(r"^(\d+)(?:/\d+)? tests? collected", result.stdout, re.M)
    return int(match.group(1)) if match else 0


def test_prepend_mode_and_same_named_team_files_collect_without_errors(repo: GitRepo) -> None:
    alone = collect(repo.path, "-m", "hfguard", "test/hf_generated")
    assert alone.returncode == 0 and collected(alone) >= 10, alone.stdout[-2000:]
    with_team = collect(repo.path, "test/hf_generated", "test/other")  # one session, two test_hf_bert.py
    assert with_team.returncode == 0 and collected(with_team) == collected(alone) + 1, with_team.stdout[-2000:]
    (repo.path / "test/hf_generated/__init__.py").unlink()  # without hfguard's package file: the clash pytest reports
    clash = collect(repo.path, "test/hf_generated", "test/other")
    assert clash.returncode != 0 and "import file mismatch" in clash.stdout


def test_foreign_python_files_functions_strict_markers_and_no_plugin(repo: GitRepo) -> None:
    repo.write("pytest.ini", "[pytest]\npython_files = check_*.py\npython_functions = check_*\naddopts = --strict-markers -p no:hfguard\n")
    repo.remove("test/pytest.ini")
    result = collect(repo.path, "-m", "hfguard", "test/hf_generated")
    assert result.returncode == 0 and collected(result) >= 10, result.stdout[-2000:]
    assert "test_hf_generated" not in result.stdout and "hf_generated/test_hf_bert.py::test_output_shapes" in result.stdout
    (repo.path / "test/hf_generated/conftest.py").unlink()  # without hfguard's conftest: nothing of it is collected
    bare = collect(repo.path, "-m", "hfguard", "test/hf_generated")
    assert collected(bare) == 0


@pytest.mark.slow
def test_a_generated_test_runs_under_filterwarnings_error(repo: GitRepo) -> None:
    repo.write("pytest.ini", "[pytest]\nfilterwarnings =\n    error\naddopts = --strict-markers\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "hfguard",
                             "test/hf_generated/test_hf_bert.py", "-k", "output_shapes or outputs_finite"], cwd=repo.path,
                            capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0 and re.search(r"^2 passed", result.stdout, re.M), result.stdout[-3000:]


def test_hfguards_own_stated_setup_still_collects_the_folder(repo: GitRepo, tmp_path: Path) -> None:
    tests = repo.path / "test/hf_generated"
    command = test_run.pytest_command(tests, tmp_path / "junit.xml", 0) + ["--collect-only"]
    result = subprocess.run(command, cwd=tests, env=test_run.test_environment(os.environ, 60), capture_output=True, text=True)
    assert result.returncode == 0 and collected(result) >= 10, result.stdout[-2000:]


def test_a_baselined_broken_file_of_the_team_is_left_uncollected(repo: GitRepo) -> None:
    broken = repo.path / "test/hf_generated/test_hf_bert_extra.py"
    broken.write_text("def test_x():\n    x = 1\n      y = 2\n")
    assert collect(repo.path, "-m", "hfguard", "test/hf_generated").returncode != 0  # not yet in the baseline
    repo.commit("team tests")
    adopted = run_hfguard("adopt", cwd=repo.path)
    assert adopted.returncode == 0 and "already broken: 1 file" in adopted.stdout, adopted.stdout
    result = collect(repo.path, "-m", "hfguard", "test/hf_generated")
    assert result.returncode == 0 and "error" not in result.stdout.lower(), result.stdout[-2000:]
    broken.write_text(broken.read_text() + "# changed since\n")  # changed: collected again, and its error shows
    assert collect(repo.path, "-m", "hfguard", "test/hf_generated").returncode != 0


def test_layout_files_are_hfguards_and_never_take_a_users_place(repo: GitRepo) -> None:
    tests = repo.path / "test/hf_generated"
    conftest = tests / "conftest.py"
    assert layout.is_hfguards(conftest.read_text()) and layout.is_hfguards((tests / "__init__.py").read_text())
    assert run_hfguard("generate", "--check", cwd=repo.path).returncode == 0
    conftest.write_text(conftest.read_text() + "# my tweak\n")
    assert not layout.is_hfguards(conftest.read_text()) and layout.wrote_once(conftest.read_text())
    check = run_hfguard("generate", "--check", cwd=repo.path)
    assert check.returncode == 1 and "would write test/hf_generated/conftest.py" in check.stdout
    restored = run_hfguard("generate", cwd=repo.path)
    assert "updated test/hf_generated/conftest.py (your version is kept in .hfguard-backup/test/hf_generated/conftest.py)" in restored.stdout
    assert (repo.path / ".hfguard-backup/test/hf_generated/conftest.py").read_text().endswith("# my tweak\n")
    own = "import pytest  # the team's own conftest\n"
    conftest.write_text(own)
    kept = run_hfguard("generate", cwd=repo.path)
    assert kept.returncode == 0 and "kept test/hf_generated/conftest.py: your own file" in kept.stdout
    assert conftest.read_text() == own and run_hfguard("generate", "--check", cwd=repo.path).returncode == 0


def test_a_folder_whose_package_name_is_taken_is_named(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "test" / "hfguard").mkdir(parents=True)
    (root / "models").mkdir()
    assert "which is hfguard itself" in (layout.package_clash(root / "test" / "hfguard", root) or "")
    assert "as does models at the top of the repository" in (layout.package_clash(root / "tests" / "models", root) or "")
    assert "standard library" in (layout.package_clash(root / "tests" / "json", root) or "")
    assert layout.package_clash(root / "tests" / "hf_generated", root) is None
