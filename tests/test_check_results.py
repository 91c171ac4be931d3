"""Per-check results read from the JUnit XML of a real pytest run."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from hfguard.check_results import CheckResult, case_result, check_id, lost_checks, outcome, passing_of_applicable, tally

GENERATED = '''
import pytest


@pytest.fixture
def broken():
    raise RuntimeError("cannot build")


def test_output_shapes():
    pass


def test_outputs_finite():
    raise AssertionError("gpt2: 1 non-finite value in output.logits (first at [0, 3, 17])")


def test_save_load(broken):
    pass


def test_generates_new_tokens():
    pytest.skip("not applicable: GPT2Model.can_generate() is False")


def test_device_matches_cpu():
    pytest.skip("no accelerator to compare with CPU")


def test_deterministic():
    pytest.xfail("transformers bug: dropout in eval")
'''


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ET.Element]:
    folder = tmp_path_factory.mktemp("junit")
    (folder / "test_hf_gpt2.py").write_text(GENERATED)
    junit = folder / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", str(folder), f"--junitxml={junit}", "-q", "-p", "no:cacheprovider",
                    "--rootdir", str(folder), "-o", "addopts="], cwd=folder, capture_output=True, check=False)
    return {case.get("name"): case for case in ET.parse(junit).iter("testcase")}


def test_each_status_and_its_one_line_message(cases):
    results = {check_id(name): case_result(case) for name, case in cases.items()}
    assert {check: r.status for check, r in results.items()} == {
        "output_shapes": "passed", "outputs_finite": "failed", "save_load": "error",
        "generates_new_tokens": "not-applicable", "device_matches_cpu": "skipped", "deterministic": "xfail"}
    assert results["outputs_finite"].message == "gpt2: 1 non-finite value in output.logits (first at [0, 3, 17])"
    assert results["generates_new_tokens"].message == "GPT2Model.can_generate() is False"
    assert "cannot build" in results["save_load"].message
    assert results["deterministic"].message.startswith("transformers bug: dropout in eval")


def test_a_check_that_does_not_apply_never_counts_as_passing(cases):
    outcomes = {f"test_hf_gpt2.py::{name}": outcome(case) for name, case in cases.items()}
    assert outcomes["test_hf_gpt2.py::test_generates_new_tokens"] == "not-applicable"
    assert outcomes["test_hf_gpt2.py::test_save_load"] == "failed" and outcomes["test_hf_gpt2.py::test_deterministic"] == "skipped"
    assert passing_of_applicable(outcomes) == (1, 3)  # skipped and expected failures did not run as checks


def test_tally_and_lost_checks():
    results = [{"save_load": CheckResult("passed")}, {"save_load": CheckResult("not-applicable", "no weights")}]
    assert tally(results) == {"save_load": {"passed": 1, "failed": 0, "error": 0, "skipped": 0, "xfail": 0, "not_applicable": 1}}
    base = {"test_hf_bert.py::test_save_load": "passed", "test_hf_bert.py::test_output_shapes": "passed"}
    head = {"test_hf_bert.py::test_save_load": "failed", "test_hf_bert.py::test_output_shapes": "passed"}
    assert lost_checks(base, head) == ["save_load"]
    assert lost_checks(base, {"test_hf_bert.py::test_output_shapes": "passed"}) == ["save_load"]  # gone counts as lost
    assert check_id("test_eager_matches_sdpa") == "eager_matches_sdpa" and check_id("helper") is None


def test_a_team_check_is_the_check_team_colon_its_id() -> None:
    from hfguard.check_results import is_team_check, split_checks

    assert check_id("test_team_check[predict_matches_forward]") == "team:predict_matches_forward"
    assert check_id("test_team_check[acme_models.hfguard_checks]") == "team:acme_models.hfguard_checks"  # a module that failed
    assert check_id("test_team_check") == "team_check" and is_team_check("team:x") and not is_team_check("save_load")
    assert split_checks(["save_load", "team:b", "deterministic", "team:a"]) == (["save_load", "deterministic"], ["team:b", "team:a"])
    base = {"test_team_check[a]": "passed", "test_team_check[b]": "passed", "test_save_load": "passed"}
    assert lost_checks(base, {"test_team_check[a]": "passed", "test_save_load": "passed"}) == ["team:b"]  # removed from the module
