"""Upstream-bug exceptions carry the transformers versions they were measured on: strict there, a non-strict
expectation elsewhere (the same failure is the known bug, a pass is news: "fixed upstream in transformers X"); a
registry entry's own xfail stays strict everywhere. On a real tiny BERT (no mocks), and end to end through the stated
pytest setup, JUnit, the sweep's per-check results and ``hfguard compare``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import transformers  # noqa: E402

from hfguard.testing import ModelCase, overrides  # noqa: E402
from hfguard.testing.case import BUG_PASSES_PROPERTY  # noqa: E402
from hfguard.testing.mutations import KINDS  # noqa: E402
from hfguard.testing.overrides import UpstreamBug  # noqa: E402

INSTALLED = transformers.__version__
WHERE = "hfguard/testing/overrides.py: 'bert'"


@pytest.fixture(scope="module")
def bert():
    subject = ModelCase("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM")
    return subject, subject.build()


def news(request: pytest.FixtureRequest) -> list[str]:
    return [value for name, value in request.node.user_properties if name == BUG_PASSES_PROPERTY]


def test_every_recorded_upstream_bug_names_the_versions_it_was_measured_on():
    for model_type, entry in overrides.OVERRIDES.items():
        xfail = entry.get("xfail")
        for bug in (xfail.values() if isinstance(xfail, dict) else [xfail] if xfail else []):
            assert isinstance(bug, UpstreamBug) and bug.measured, f"{model_type}: {bug!r}"
            assert all(version.count(".") == 2 for version in bug.measured), f"{model_type}: {sorted(bug.measured)}"


def test_on_a_measured_version_a_pass_fails_as_a_stale_record(bert, monkeypatch, request):
    subject, model = bert
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"xfail": {"outputs_finite": UpstreamBug("NaN", frozenset({INSTALLED, "5.0.0"}))}})
    with pytest.raises(pytest.fail.Exception, match=rf"^fixed: remove the xfail \({WHERE}\)$"):
        subject.check("outputs_finite", model)
    assert news(request) == []


def test_on_another_version_a_pass_is_news_and_no_failure(bert, monkeypatch, request):
    subject, model = bert
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"xfail": {
        "outputs_finite": UpstreamBug("NaN", frozenset({"5.0.0"})), "deterministic": UpstreamBug("noise", frozenset({"99.0.0"}))}})
    subject.check("outputs_finite", model)  # passes: fixed upstream since the version it was measured on
    subject.check("deterministic", model)  # passes: the bug was measured on a later version only
    assert news(request) == [
        f"fixed upstream in transformers {INSTALLED}: transformers bug: NaN (measured on 5.0.0; {WHERE})",
        f"passes on transformers {INSTALLED}: transformers bug: noise (measured on 99.0.0; {WHERE})"]


def test_on_another_version_the_same_failure_is_the_known_bug(monkeypatch):
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"xfail": {"text_changes_output": UpstreamBug("ids ignored", frozenset({"5.0.0"}))}})
    subject = ModelCase("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM")
    broken = subject.build()
    KINDS["constant_output"].apply(subject, broken)
    with pytest.raises(pytest.xfail.Exception, match=r"^transformers bug: ids ignored \(AssertionError: bert: "):
        subject.check("text_changes_output", broken)


def test_a_registry_entrys_xfail_stays_strict_on_every_version(bert, monkeypatch):
    _, model = bert
    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"xfail": {"outputs_finite": UpstreamBug("NaN", frozenset({"5.0.0"}))}})
    registry = ModelCase("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM", xfail="known: broken")
    with pytest.raises(pytest.fail.Exception, match=r"^fixed: remove the xfail \(registry entry \[models.bert\]\)$"):
        registry.check("outputs_finite", model)


GENERATED = '''
import pytest

from hfguard.testing import ModelCase, overrides

overrides.OVERRIDES["bert"] = {{"xfail": {{
    "outputs_finite": overrides.UpstreamBug("NaN in the logits", frozenset({{"5.0.0"}})),
    "deterministic": overrides.UpstreamBug("noise", frozenset({{"{installed}"}}))}}}}
CASE = ModelCase("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM")


@pytest.fixture(scope="module")
def model():
    return CASE.build()


def test_outputs_finite(model):
    CASE.check("outputs_finite", model)


def test_deterministic(model):
    CASE.check("deterministic", model)


def test_output_shapes(model):
    CASE.check("output_shapes", model)
'''


@pytest.mark.slow
def test_the_news_reaches_the_sweep_results_and_compare(tmp_path: Path):
    from hfguard.catalogue import ModelInfo
    from hfguard.compare import compare, render_text
    from hfguard.results import load_night
    from hfguard.sweep import parse_junit
    from hfguard.test_run import run_tests
    from tests.nights import model as night_model
    from tests.nights import write_results

    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_hf_bert.py").write_text(GENERATED.format(installed=INSTALLED), encoding="utf-8")
    run_tests(tests, tmp_path / "junit.xml", 0, 120)
    info = ModelInfo("bert", "encoder-only", "standalone", "BertConfig")
    [result] = parse_junit(tmp_path / "junit.xml", [info])
    assert result.checks["outputs_finite"].status == "passed"
    assert result.checks["outputs_finite"].message == (
        f"fixed upstream in transformers {INSTALLED}: transformers bug: NaN in the logits (measured on 5.0.0; {WHERE})")
    assert (result.checks["deterministic"].status, result.checks["deterministic"].message) == (
        "failed", f"fixed: remove the xfail ({WHERE})")
    assert (result.checks["output_shapes"].status, result.checks["output_shapes"].message) == ("passed", "")

    before = night_model("bert", "encoder-only", "passing", checks={"forward_shapes": ("xfail", "transformers bug: NaN in the logits")})
    after = night_model("bert", "encoder-only", "passing", checks={"forward_shapes": ("passed", result.checks["outputs_finite"].message)})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    comparison = compare(load_night(write_results(tmp_path / "a", [before])),
                         load_night(write_results(tmp_path / "b", [after], INSTALLED)))
    [entry] = comparison["fixed_upstream"]
    assert entry["model_type"] == "bert" and entry["message"]["b"].startswith(f"forward_shapes: fixed upstream in transformers {INSTALLED}")
    assert f"Fixed upstream (recorded transformers bugs that pass): 1\n  bert [encoder-only] passing -> passing: forward_shapes: fixed upstream" \
        in render_text(comparison)
