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
