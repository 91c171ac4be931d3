"""One pytest run of generated files (the sweep's and ``hfguard mutate``'s): offline, JUnit report, nothing of
hfguard mutate's environment inherited."""

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


def test_fails():
    assert False, "broken on purpose"
'''


@pytest.mark.parametrize("jobs", [0, 2])
def test_run_tests_reports_each_test_in_junit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int):
    monkeypatch.setenv("HFGUARD_MUTATION", "nan_output")  # as if run from inside a mutated test
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_hf_one.py").write_text(_TESTS, encoding="utf-8")
    junit = tmp_path / "junit.xml"
    assert run_tests(tmp_path / "tests", junit, jobs, timeout=30) == 1
    cases = {case.get("name"): case for case in ET.parse(junit).iter("testcase")}
    assert cases["test_offline_single_threaded_and_unbroken"].find("failure") is None
    assert "broken on purpose" in cases["test_fails"].find("failure").get("message")
