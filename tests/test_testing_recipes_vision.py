"""Vision recipes and the per-type output-layout hints of ModelCase, on real tiny models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing import synth  # noqa: E402
from hfguard.testing.overrides import input_hints  # noqa: E402
from tiny_models import run_check  # noqa: E402


def case(model_type, family, task, config_class, model_class):
    return ModelCase(model_type, family, task, config_class, model_class, {})


@pytest.fixture(scope="module")
def pixtral():
    subject = case("pixtral", "vision", None, "PixtralVisionConfig", "PixtralVisionModel")
    return subject, subject.build()


def test_minicpm_tower_reads_every_image_packed_in_one_strip_with_its_target_size():
    subject = case("minicpm_ocr_vision", "vision", None, "MiniCPMOcrVisionConfig", "MiniCPMOcrVisionModel")
    model = subject.build()
    inputs = subject.inputs(model)
    patch, rows = model.config.patch_size, model.config.image_size // model.config.patch_size
    assert tuple(inputs["pixel_values"].shape) == (1, 3, patch, synth.BATCH * rows * rows * patch)
    assert inputs["target_sizes"].tolist() == [[rows, rows]] * synth.BATCH
    main = subject.forward(model).last_hidden_state
    assert main.shape[0] == 1 and main.shape[1] % synth.BATCH == 0  # the merger pools each image's windows
    run_check(subject, model, "output_shapes")


def test_packed_output_hint_checks_one_sequence_and_the_first_image_tokens(pixtral):
    subject, model = pixtral
    assert input_hints("pixtral")["packed_output"]
    run_check(subject, model, "output_shapes")
    run_check(subject, model, "batch_independent")  # compares the lone image's tokens with the first image's


def test_without_the_packed_output_hint_the_packed_sequence_is_a_batch_mismatch(pixtral):
    _, model = pixtral
    unhinted = case("pixtral-unhinted", "vision", None, "PixtralVisionConfig", "PixtralVisionModel")
    with pytest.raises(AssertionError, match="no batch axis of 2 samples"):
        run_check(unhinted, model, "output_shapes")


def test_pooling_queries_hint_expects_the_pooling_head_query_axis():
    subject = case("videoprism_vision_model", "video", "video-classification", "VideoPrismVisionConfig",
                   "VideoPrismForVideoClassification")
    model = subject.build()
    assert tuple(subject.forward(model).logits.shape) == (synth.BATCH, 1, model.config.num_labels)
    run_check(subject, model, "output_shapes")
    unhinted = case("videoprism-unhinted", "video", "video-classification", "VideoPrismVisionConfig",
                    "VideoPrismForVideoClassification")
    with pytest.raises(AssertionError, match="logits"):
        run_check(unhinted, model, "output_shapes")


def test_batch_hint_runs_one_sample_and_skips_batch_independence():
    subject = case("tvp", "vision-text", None, "TvpConfig", "TvpModel")
    model = subject.build()
    inputs = subject.inputs(model)
    assert all(v.shape[0] == 1 for v in inputs.values() if isinstance(v, torch.Tensor))
    run_check(subject, model, "output_shapes")
    with pytest.raises(pytest.skip.Exception, match="not applicable: it runs one sample at a time"):
        subject.check("batch_independent", model)
