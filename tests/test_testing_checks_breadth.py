"""The checks beyond the forward pass (loading and initialisation, configuration, embeddings, interface, export) on
real tiny models: what ``test_testing_checks`` cannot show with its one subject per kind, and the tiers of checks."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing.checks import CHECKS, registry  # noqa: E402
from hfguard.testing.mutations import KINDS  # noqa: E402

GPT2 = ("gpt2", "decoder-only", "causal-lm", "GPT2Config", "GPT2LMHeadModel")
MARIAN = ("marian", "encoder-decoder", "seq-to-seq-causal-lm", "MarianConfig", "MarianMTModel")


@pytest.fixture(scope="module")
def gpt2() -> tuple[ModelCase, object]:
    case = ModelCase(*GPT2)
    return case, case.build()


def _broken(case: ModelCase, model: object, kind: str) -> tuple[ModelCase, object]:
    fresh = ModelCase(case.model_type, case.family, case.task, case.config_class, case.model_class)
    broken = copy.deepcopy(model)
    KINDS[kind].apply(fresh, broken)
    return fresh, broken


@pytest.mark.slow
def test_keys_left_out_of_checkpoints_must_come_back():
    """marian, the one type that declares _keys_to_ignore_on_save (sinusoidal positions recomputed on load), passes;
    declaring a learned weight so loses it on reloading, which the check names."""
    case = ModelCase(*MARIAN)
    model = case.build()
    CHECKS["keys_to_ignore_on_save"].run(case, model)
    fresh, broken = _broken(case, model, "weight_left_out_of_checkpoint")
    with pytest.raises(AssertionError, match="marian: weights of _keys_to_ignore_on_save do not come back"):
        CHECKS["keys_to_ignore_on_save"].run(fresh, broken)


@pytest.mark.slow
def test_a_check_that_does_not_apply_unbroken_applies_to_its_breakage(gpt2):
    case, model = gpt2
    assert CHECKS["keys_to_ignore_on_save"].applies(case, model) == "GPT2LMHeadModel declares no _keys_to_ignore_on_save"
    fresh, broken = _broken(case, model, "weight_left_out_of_checkpoint")
    assert CHECKS["keys_to_ignore_on_save"].applies(fresh, broken) is None
    with pytest.raises(AssertionError, match="gpt2: weights of _keys_to_ignore_on_save do not come back"):
        CHECKS["keys_to_ignore_on_save"].run(fresh, broken)


@pytest.mark.slow
def test_a_weight_init_weights_never_sets_is_named_whatever_memory_held(gpt2):
    """The weight left to _init_weights holds a placeholder before it runs, so the finding does not depend on what
    the allocator returned (fresh pages are zeros, which a zero-initialised weight would equal)."""
    case, model = gpt2
    fresh, broken = _broken(case, model, "init_skips_weight")
    for _ in range(2):
        with pytest.raises(AssertionError, match=r"gpt2: _init_weights never initialises 2 of \d+ weights .*transformer.wte.weight"):
            CHECKS["init_weights_complete"].run(fresh, broken)


@pytest.mark.slow
def test_gradients_reach_both_towers_of_a_contrastive_model_from_its_returned_predictions():
    """CLAP's audio_embeds (its main output) do not depend on its text tower, and its audio tower returns reshaped views
    as hidden states: every returned prediction is backpropagated and a view is read through the tensor it views, so
    the unbroken model passes; detaching the returned states is still named."""
    case = ModelCase("clap", "speech", None, "ClapConfig", "ClapModel")
    model = case.build()
    CHECKS["retain_grad_outputs"].run(case, model)
    fresh, broken = _broken(case, model, "returned_states_detached")
    with pytest.raises(AssertionError, match=r"clap: the returned output\.text_model_output\.hidden_states\[0\].* carry no gradient"):
        CHECKS["retain_grad_outputs"].run(fresh, broken)


@pytest.mark.slow
def test_the_pull_request_tier_skips_the_nightly_checks_saying_so(gpt2, monkeypatch):
    case, model = gpt2
    assert registry.tier("torch_export_matches_eager") == "nightly" and registry.tier("config_round_trip") == "pr"
    monkeypatch.setenv(registry.TIER_ENV, "pr")
    with pytest.raises(pytest.skip.Exception, match="nightly tier: torch_export_matches_eager runs in the nightly tier"):
        case.check("torch_export_matches_eager", model)
    case.check("config_round_trip", model)  # a check of the pull-request tier runs
    monkeypatch.setenv(registry.TIER_ENV, "weekly")
    with pytest.raises(pytest.fail.Exception, match="HFGUARD_TIER='weekly': expected one of pr, nightly"):
        case.check("config_round_trip", model)


def test_every_nightly_check_is_a_check():
    assert registry.NIGHTLY <= set(registry.SUMMARIES)


def test_every_check_and_kind_is_documented():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    assert [check for check in registry.SUMMARIES if f"| `{check}` |" not in text] == []
    assert [kind for kind in KINDS if f"| `{kind}` |" not in text] == []


def test_a_pull_request_run_says_its_tier_in_the_comment():
    import xml.etree.ElementTree as ET

    from hfguard import coverage

    skipped = ET.fromstring('<testcase name="test_torch_export_matches_eager"><skipped type="pytest.skip" '
                            'message="nightly tier: torch_export_matches_eager runs in the nightly tier, not with '
                            'HFGUARD_TIER=pr"/></testcase>')
    assert coverage._case_result(skipped) == coverage.CaseResult("skipped", "", True)
    report = coverage.Report("registry", "5.24.0", True, {"gpt2": coverage.ModelCoverage(
        "decoder-only", "tests/test_hf_gpt2.py", True, tests={"test_torch_export_matches_eager": "skipped"})}, None, 1)
    assert "checks run: the pull-request tier (`HFGUARD_TIER=pr`); 1 tests of the nightly tier's checks" in \
        coverage.render_markdown(report)
    assert coverage.Report.from_dict(report.to_dict(), "x").nightly_skipped == 1


def test_a_pull_requests_workflow_runs_the_pull_request_tier():
    from hfguard.test_run import test_environment

    assert test_environment({"GITHUB_EVENT_NAME": "pull_request"}, 90)["HFGUARD_TIER"] == "pr"
    assert test_environment({"GITHUB_EVENT_NAME": "pull_request", "HFGUARD_TIER": "nightly"}, 90)["HFGUARD_TIER"] == "nightly"
    assert "HFGUARD_TIER" not in test_environment({"GITHUB_EVENT_NAME": "schedule"}, 90)


@pytest.mark.slow
def test_an_export_that_stops_names_the_line_and_is_a_recorded_expected_failure(monkeypatch):
    """fsmt's forward asks ``if not padding_mask.any()``: the export stops there, the message names that line of
    transformers, and the record (export_records.DATA_DEPENDENT) makes the check a strict expected failure."""
    from hfguard.testing import export_records

    case = ModelCase("fsmt", "encoder-decoder", "seq-to-seq-causal-lm", "FSMTConfig", "FSMTForConditionalGeneration")
    model = case.build()
    with pytest.raises(AssertionError, match=r"fsmt: torch.export \(non-strict\) fails at transformers/models/fsmt/"
                                             r"modeling_fsmt.py:\d+: GuardOnDataDependentSymNode"):
        case._run(CHECKS["torch_export_matches_eager"], model)
    assert export_records.DATA_DEPENDENT["fsmt"].startswith("transformers/models/fsmt/modeling_fsmt.py:")
    monkeypatch.setenv(registry.TIER_ENV, "nightly")
    with pytest.raises(pytest.xfail.Exception, match="^transformers limitation: torch.export \\(non-strict\\) stops at its "
                                                     "data-dependent control flow: transformers/models/fsmt/"):
        case.check("torch_export_matches_eager", model)


@pytest.mark.slow
def test_a_broadcast_regression_loss_is_caught_by_torchs_warning_where_the_logits_are_zero():
    """The tiny mobilenet_v1's logits are about 1e-30: a loss broadcast (2, 1) against (2,) equals the right one, so
    only torch's warning ("Using a target size (torch.Size([2])) that is different to the input size ...") shows it."""
    case = ModelCase("mobilenet_v1", "vision", "image-classification", "MobileNetV1Config", "MobileNetV1ForImageClassification")
    model = case.build()
    CHECKS["problem_type_losses"].run(case, model)
    fresh, broken = _broken(case, model, "regression_loss_broadcast")
    with pytest.raises(AssertionError, match=r"mobilenet_v1: its regression loss broadcasts labels \(2,\) against logits "
                                             r"\(2, 1\) \(torch warns: Using a target size"):
        CHECKS["problem_type_losses"].run(fresh, broken)


def test_a_config_is_read_back_as_transformers_reads_it_and_a_sub_config_class_alone_finds_its_part():
    """JSON has no infinity: transformers tags it and reads it back, and so does the round trip. A sub-config class
    loads the composite file's part under its base_config_key, else the one part of its model_type: the part of
    another key (a SAM vision config in DeepseekVLHybrid's high_res_vision_config) or one of two parts of one type
    (T5Gemma's encoder and decoder) is not what it loads alone."""
    import math

    from transformers import (
        ClvpConfig,
        ClvpEncoderConfig,
        LlavaConfig,
        Mamba2Config,
        SamVisionConfig,
        SiglipVisionConfig,
        T5GemmaConfig,
        T5GemmaModuleConfig,
    )

    from hfguard.testing.checks.configuration import _part_found, _read

    assert math.isinf(_read(Mamba2Config, Mamba2Config(time_step_limit=(0.0, math.inf)).to_json_string())["time_step_limit"][1])
    llava = LlavaConfig(vision_config=SiglipVisionConfig().to_dict()).to_dict()
    assert _part_found(SiglipVisionConfig, llava) == "vision_config"
    assert _part_found(SamVisionConfig, {**llava, "high_res_vision_config": SamVisionConfig().to_dict()}) == "vision_config"
    assert _part_found(T5GemmaModuleConfig, T5GemmaConfig().to_dict()) is None
    assert _part_found(ClvpEncoderConfig, ClvpConfig().to_dict()) is None  # its base keys: text_config, speech_config
