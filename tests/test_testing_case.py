"""ModelCase's per-type assertion hints (``inputs`` data in the overrides table), on real tiny models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing.case import _main_tensor  # noqa: E402
from hfguard.testing.overrides import input_hints  # noqa: E402


@pytest.fixture(scope="module")
def grounding_dino():
    subject = ModelCase("grounding-dino", "vision-dense", "zero-shot-object-detection", "GroundingDinoConfig",
                        "GroundingDinoForObjectDetection")
    return subject, subject.build()


def test_text_logits_are_finite_on_the_text_and_exactly_minus_inf_beyond(grounding_dino):
    subject, model = grounding_dino
    assert input_hints("grounding-dino")["neg_inf_padded_to"] == "max_text_len"
    text = subject.inputs(model)["input_ids"].shape[-1]
    logits = subject.forward(model).logits
    assert logits.shape[-1] == model.config.max_text_len > text
    assert logits[..., :text].isfinite().all() and logits[..., text:].isneginf().all()
    subject.assert_finite(model)


def test_without_the_padding_hint_the_minus_inf_padding_is_non_finite(grounding_dino):
    _, model = grounding_dino
    unhinted = ModelCase("grounding-dino-unhinted", "vision-dense", "zero-shot-object-detection", "GroundingDinoConfig",
                         "GroundingDinoForObjectDetection")
    with pytest.raises(AssertionError, match="non-finite values in output.logits"):
        unhinted.assert_finite(model)


def test_grayscale_matcher_reads_only_the_first_channel_and_the_unhinted_check_sees_no_refusal():
    subject = ModelCase("efficientloftr", "vision-dense", "keypoint-matching", "EfficientLoFTRConfig",
                        "EfficientLoFTRForKeypointMatching")
    model = subject.build()
    assert input_hints("efficientloftr")["reads_first_channel"]
    subject.assert_rejects_wrong_channels(model)  # same outputs with other values in the other channels plus one more
    pixels = subject.inputs(model)["pixel_values"]
    darker = dict(subject.inputs(model), pixel_values=pixels - 1)  # channel 0 changes: the keypoints move
    assert not subject.forward(model).keypoints.equal(subject.forward(model, darker).keypoints)
    unhinted = ModelCase("efficientloftr-unhinted", "vision-dense", "keypoint-matching", "EfficientLoFTRConfig",
                         "EfficientLoFTRForKeypointMatching")
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        unhinted.assert_rejects_wrong_channels(model)


def test_a_packed_output_without_its_leading_axis_is_one_sequence_of_every_clip():
    subject = ModelCase("qwen3_asr_encoder", "speech", None, "Qwen3ASREncoderConfig", "Qwen3ASREncoder")
    assert input_hints("qwen3_asr_encoder")["packed_output"]
    model = subject.build()
    frames = subject.forward(model).last_hidden_state
    assert frames.dim() == 2  # (frames of all clips, width): no batch axis
    subject.assert_forward_shapes(model)
    subject.assert_batch_independent(model)  # the first clip's frames lead the packed sequence
    unhinted = ModelCase("qwen3_asr_encoder-unhinted", "speech", None, "Qwen3ASREncoderConfig", "Qwen3ASREncoder")
    with pytest.raises(AssertionError, match="does not match input batch"):
        unhinted.assert_forward_shapes(model)


def test_a_contrastive_speech_model_is_judged_by_its_speech_embeddings():
    subject = ModelCase("clvp", "speech", None, "ClvpConfig", "ClvpModelForConditionalGeneration")
    model = subject.build()
    output = subject.forward(model)
    assert tuple(output.logits_per_speech.shape) == (2, 2)  # one row per clip, one column per text
    assert _main_tensor(output) is output.speech_embeds  # (batch, projection), batch-first like CLAP's audio_embeds
    subject.assert_batch_independent(model)
