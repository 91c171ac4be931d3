"""The one pytest setup of generated tests (``hfguard.test_run``): offline, JUnit report, nothing of hfguard mutate's
environment inherited, and no configuration or conftest of the repository around the tests folder applied."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hfguard.test_run import run_tests

_TESTS = '''
import os


def test_offline_single_threaded_and_unbroken():
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["OMP_NUM_THREADS"] == "1"
    assert "HFGUARD_MUTATION" not in os.environ and "HFGUARD_MUTATION_LOG" not in os.environ
    assert "GITHUB_TOKEN" not in os.environ and "PYTEST_ADDOPTS" not in os.environ


def test_fails():
    assert False, "broken on purpose"
'''


@pytest.mark.parametrize("jobs", [0, 2])
def test_run_tests_reports_each_test_in_junit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int):
    monkeypatch.setenv("HFGUARD_MUTATION", "nan_output")  # as if run from inside a mutated test
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_hf_one.py").write_text(_TESTS, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    assert run_tests(tmp_path / "tests", junit, jobs, timeout=30) == 1
    cases = {case.get("name"): case for case in ET.parse(junit).iter("testcase")}
    assert cases["test_offline_single_threaded_and_unbroken"].find("failure") is None
    assert "broken on purpose" in cases["test_fails"].find("failure").get("message")


def test_the_repository_pytest_setup_around_the_tests_does_not_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A foreign ini (prepend import mode, an option that would stop the run), an ancestor conftest that imports a missing
    package, PYTEST_ADDOPTS, and a same-named test file in a subfolder: every test is still collected and run."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "--no-such-option")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --import-mode=prepend --no-such-option\ntestpaths = elsewhere\n",
                                         encoding="utf-8")
    (tmp_path / "conftest.py").write_text("import team_package_that_is_not_installed\n", encoding="utf-8")
    tests = tmp_path / "suite" / "tests"
    (tests / "nested").mkdir(parents=True)
    for folder in (tests, tests / "nested"):
        (folder / "test_hf_same.py").write_text("def test_ok():\n    pass\n", encoding="utf-8")
    junit = tmp_path / "junit.xml"
    assert run_tests(tests, junit, 0, timeout=30) == 0
    assert len(list(ET.parse(junit).iter("testcase"))) == 2


def test_what_the_tests_import_is_installed_where_they_run_and_a_failure_is_one_line(tmp_path: Path, capsys) -> None:
    """``hfguard sweep --install`` (the nightly's and the upgrade check's way to the Action's 'install' input)."""
    import subprocess
    import sys

    from hfguard.errors import HfguardError
    from hfguard.test_run import install_for_tests

    package = tmp_path / "zoo"
    (package / "hfguard_zoo_probe").mkdir(parents=True)
    (package / "hfguard_zoo_probe" / "__init__.py").write_text("ANSWER = 42\n")
    (package / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
                                            '[project]\nname = "hfguard-zoo-probe"\nversion = "0.1"\n')
    try:
        install_for_tests(("--no-deps", "--no-build-isolation", str(package)), timeout=30)
        probe = subprocess.run([sys.executable, "-c", "import hfguard_zoo_probe; print(hfguard_zoo_probe.ANSWER)"], cwd=tmp_path,
                               capture_output=True, text=True)
        assert probe.stdout.strip() == "42"
    finally:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", "hfguard-zoo-probe"], capture_output=True)
    with pytest.raises(HfguardError, match=r"^installing what the tests import failed \(pip install --no-deps .*nowhere\): "):
        install_for_tests(("--no-deps", str(tmp_path / "nowhere")), timeout=30)
    from hfguard.commands import sweep as sweep_command

    assert sweep_command.main(["bert", "--install", "'unclosed", "--lock", str(tmp_path / "none.lock")]) == 2
    assert "--install is not a list of pip arguments (No closing quotation)" in capsys.readouterr().err
