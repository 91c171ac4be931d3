"""Every check can fail: on real tiny models (no mocks), each passes unbroken and fails once the model is broken in
exactly the way the check is for (the kinds of ``hfguard.testing.mutations``)."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing.checks import CHECKS  # noqa: E402
from hfguard.testing.checks.dtype_device import compare_on_device  # noqa: E402
from hfguard.testing.mutations import KINDS, applies  # noqa: E402

SUBJECTS = {
    "gpt2": ("decoder-only", "causal-lm", "GPT2Config", "GPT2LMHeadModel"),
    "t5": ("encoder-decoder", "seq-to-seq-causal-lm", "T5Config", "T5ForConditionalGeneration"),
    "vit": ("vision", "image-classification", "ViTConfig", "ViTForImageClassification"),
    "distilbert": ("encoder-only", "masked-lm", "DistilBertConfig", "DistilBertForMaskedLM"),  # buffers, position resizing
}
# the model type each kind of breakage is shown on: the decoder LM unless the kind needs what only another has
SHOWN_ON = {"decoder_inputs_crash": "t5", "decoder_start_ignored": "t5", "extra_channel_accepted": "vit",
            "init_skips_buffer": "distilbert", "position_resize_records_size_only": "distilbert",
            "mismatch_loaded_silently": "vit", "regression_loss_broadcast": "vit", "missing_keys_hidden": "vit"}


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[ModelCase, object]]:
    cases = {name: ModelCase(name, *facts) for name, facts in SUBJECTS.items()}
    return {name: (case, case.build()) for name, case in cases.items()}


def test_every_check_has_a_kind_of_breakage_written_for_it():
    written_for = {check for kind in KINDS.values() for check in kind.checks}
    assert set(CHECKS) - written_for == {"device_matches_cpu"}  # shown by test_the_device_comparison_fails_on_a_broken_copy


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_check_passes_unbroken_and_fails_on_its_breakage(built, kind: str):
    spec = KINDS[kind]
    case, model = built[SHOWN_ON.get(kind, "gpt2")]
    assert applies(spec, case, model) is None
    fresh = ModelCase(case.model_type, case.family, case.task, case.config_class, case.model_class)
    broken = copy.deepcopy(model)
    spec.apply(fresh, broken)
    for check in spec.checks:
        if CHECKS[check].applies(case, model) is not None:
            continue
        CHECKS[check].run(case, model)  # passes on the unbroken model
        with pytest.raises(AssertionError, match=case.model_type):
            CHECKS[check].run(fresh, broken)


@pytest.mark.slow
def test_the_device_comparison_fails_on_a_broken_copy(built):
    case, model = built["gpt2"]
    compare_on_device(case, model, copy.deepcopy(model), "cpu")  # the same model on "another device" agrees
    broken = copy.deepcopy(model)
    KINDS["nan_element"].apply(case, broken)
    with pytest.raises(AssertionError, match="gpt2: output.logits on cpu vs CPU fp32"):
        compare_on_device(case, model, broken, "cpu")


def test_the_device_check_skips_without_an_accelerator(built, monkeypatch):
    case, model = built["gpt2"]
    monkeypatch.setenv("HFGUARD_DEVICE", "cpu")
    with pytest.raises(pytest.skip.Exception, match="no accelerator to compare with CPU"):
        case.check("device_matches_cpu", model)
