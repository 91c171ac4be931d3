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
    assert spec.apply(fresh, broken) is None  # it takes effect
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


# the kinds that missed model types with nested, listed or captured outputs: each shown caught on such a real model
NESTED = {
    "groupvit": ("vision-text", None, "GroupViTConfig", "GroupViTModel"),  # per-stage hidden states of its vision tower
    "clip": ("vision-text", "zero-shot-image-classification", "CLIPConfig", "CLIPModel"),  # towers' outputs nested
    "beit": ("vision-dense", "semantic-segmentation", "BeitConfig", "BeitForSemanticSegmentation"),  # the head reads layers
    "squeezebert": ("encoder-only", "masked-lm", "SqueezeBertConfig", "SqueezeBertForMaskedLM"),  # its layers return dicts
}


@pytest.fixture(scope="module")
def nested() -> dict[str, tuple[ModelCase, object]]:
    cases = {name: ModelCase(name, *facts) for name, facts in NESTED.items()}
    return {name: (case, case.build()) for name, case in cases.items()}


@pytest.mark.slow
@pytest.mark.parametrize(("model_type", "kind", "message"), [
    ("groupvit", "hidden_state_missing", "ends with the output of vision_model.encoder.stages.1, layer 2 of 3"),
    ("clip", "hidden_state_missing", "output.text_model_output.hidden_states holds 2 states"),
    ("clip", "attentions_unnormalized", "output.text_model_output.attentions.0. is no attention distribution"),
    ("clip", "short_output", "output.logits_per_image .2, 1. is not the transpose of output.logits_per_text"),
    ("beit", "gradient_cut", "get no gradient .blocked."),
    ("squeezebert", "gradient_cut", "20 of 44 trainable parameters get no gradient .blocked. from the loss from labels: transformer.embeddings"),
    ("clip", "returned_outputs_detached", "output.logits_per_image carries no gradient in train mode"),
])
def test_kinds_reach_nested_outputs_and_captured_layers(nested, model_type: str, kind: str, message: str):
    """The stage model's last stage (groupvit: its stage count is not a depth the config declares), the towers of a
    contrastive model (the breakage used to rewrite top-level tuples only), a layer a segmentation head reads through
    the model's output capture (beit: the cut used to be a hook the capture never saw), a layer returning a dict
    (squeezebert: the cut used to detach tensors and tuples only) and side outputs left live."""
    case, model = nested[model_type]
    spec = KINDS[kind]
    assert applies(spec, case, model) is None
    fresh = ModelCase(case.model_type, case.family, case.task, case.config_class, case.model_class)
    broken = copy.deepcopy(model)
    assert spec.apply(fresh, broken) is None
    for check in spec.checks:
        CHECKS[check].run(case, model)
    with pytest.raises(AssertionError, match=message):
        for check in spec.checks:
            CHECKS[check].run(fresh, broken)


@pytest.mark.slow
def test_a_breakage_that_changes_nothing_does_not_apply(built):
    """A per-layer rewrite that leaves every state as it was is no breakage: the kind says so, it is not counted missed."""
    from hfguard.testing.mutations import _per_layer_rewriting

    case, model = built["gpt2"]
    fresh = ModelCase(case.model_type, case.family, case.task, case.config_class, case.model_class)
    reason = _per_layer_rewriting("hidden_states", lambda states: states)(fresh, copy.deepcopy(model))
    assert reason == "it does not take effect: its output_hidden_states are rewritten nowhere"


def test_a_layer_may_return_a_dict_of_attention_maps():
    """pegasus_x's encoder layers return {"global": ..., "local": ...}: the attentions check reads every map of such a
    field (it used to skip the field) and the breakage scales each (it used to crash on the dict, a false 'caught')."""
    import torch

    from hfguard.testing.checks.outputs import layer_tensors, per_layer
    from hfguard.testing.mutations import _scaled_attentions

    maps = torch.full((2, 4, 3, 3), 1 / 3)
    layer = {"global": maps, "local": maps[:, :, None]}
    output = {"encoder_attentions": (layer, layer), "decoder_attentions": (maps, maps), "other": ({"note": "text"},)}
    groups = per_layer(output, "attentions")
    assert list(groups) == ["output.encoder_attentions", "output.decoder_attentions"]
    assert [t.shape for t in layer_tensors(groups["output.encoder_attentions"][1])] == [(2, 4, 3, 3), (2, 4, 1, 3, 3)]
    assert layer_tensors({"note": "text"}) == ()
    scaled = _scaled_attentions(groups["output.encoder_attentions"])
    assert all(float(t.sum(-1).max()) == pytest.approx(1.5) for item in scaled for t in layer_tensors(item))


def test_the_extra_channel_kind_does_not_apply_to_a_grayscale_reader(monkeypatch):
    """lightglue reads channel 0 only (its overrides' reads_first_channel): any channel count is its contract."""
    from hfguard.testing import mutations

    monkeypatch.setattr(mutations.capabilities, "reads_images", lambda case, model: None)
    case = ModelCase("lightglue", "vision-dense", None, "LightGlueConfig", "LightGlueForKeypointMatching")
    assert "reads channel 0 only" in KINDS["extra_channel_accepted"].capability(case, None)
