"""Synthetic inputs and ModelCase assertions on small real models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing import synth  # noqa: E402
from hfguard.testing.recipes import media as recipes_media  # noqa: E402
from hfguard.testing.checks.contracts import codebook_rows  # noqa: E402
from tiny_models import run_check  # noqa: E402


def case(model_type, family, task, config_class, model_class, **tiny):
    return ModelCase(model_type, family, task, config_class, model_class, tiny)


@pytest.fixture(scope="module")
def bert():
    subject = case("bert", "encoder-only", "masked-lm", "BertConfig", "BertForMaskedLM")
    return subject, subject.build()


def test_text_inputs_are_deterministic_and_avoid_special_tokens(bert):
    subject, model = bert
    first, second = subject.inputs(model), subject.inputs(model)
    assert first["input_ids"].shape == (synth.BATCH, synth.SEQ)
    assert torch.equal(first["input_ids"], second["input_ids"]) and first["input_ids"] is not second["input_ids"]
    assert not set(first["input_ids"].flatten().tolist()) & synth.special_ids(model.config)
    assert first["attention_mask"].eq(1).all()


def test_model_is_built_in_eval_mode_with_the_same_weights(bert):
    subject, model = bert
    assert not model.training
    again = subject.build()
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters(), strict=True))


def test_shared_assertions_hold_for_bert(bert):
    subject, model = bert
    run_check(subject, model, "output_shapes")
    run_check(subject, model, "outputs_finite")
    run_check(subject, model, "deterministic")
    run_check(subject, model, "batch_independent")


def test_decoder_inputs_start_with_the_decoder_start_token():
    subject = case("t5", "encoder-decoder", "seq-to-seq-causal-lm", "T5Config", "T5ForConditionalGeneration")
    model = subject.build()
    inputs = subject.inputs(model)
    assert inputs["decoder_input_ids"][:, 0].eq(synth.decoder_start(model.config)).all()
    run_check(subject, model, "generate_starts_from_decoder_start")
    run_check(subject, model, "missing_decoder_inputs")


def test_gpt2_generates_exactly_the_new_tokens():
    subject = case("gpt2", "decoder-only", "causal-lm", "GPT2Config", "GPT2LMHeadModel")
    run_check(subject, subject.build(), "generates_new_tokens")


def test_pixel_values_follow_the_vision_config():
    subject = case("vit", "vision", "image-classification", "ViTConfig", "ViTForImageClassification")
    model = subject.build()
    config = model.config
    assert subject.inputs(model)["pixel_values"].shape == (synth.BATCH, config.num_channels, config.image_size, config.image_size)
    run_check(subject, model, "output_shapes")
    run_check(subject, model, "rejects_wrong_channel_count")


def test_raw_audio_for_wav2vec2():
    subject = case("wav2vec2", "speech", None, "Wav2Vec2Config", "Wav2Vec2Model")
    model = subject.build()
    assert subject.inputs(model)["input_values"].shape == (synth.BATCH, synth.AUDIO_SAMPLES)
    run_check(subject, model, "output_shapes")


def test_image_tokens_match_the_vision_features():
    subject = case("llava", "multimodal-lm", "image-text-to-text", "LlavaConfig", "LlavaForConditionalGeneration")
    model = subject.build()
    inputs = subject.inputs(model)
    image_tokens = inputs["input_ids"].eq(model.config.image_token_id).sum(-1)
    assert image_tokens.eq(image_tokens[0]).all() and image_tokens[0] > 1
    run_check(subject, model, "media_changes_output")


def test_unbuildable_config_fails_with_the_model_type():
    subject = case("bert", "encoder-only", None, "BertConfig", "BertModel", num_hidden_layers="two")
    with pytest.raises(pytest.fail.Exception, match="unbuildable tiny config: bert"):
        subject.build()


def test_missing_optional_package_skips(monkeypatch):
    from hfguard.testing import overrides

    monkeypatch.setitem(overrides.OVERRIDES, "bert", {"needs": "surely_not_installed_pkg"})
    marks = case("bert", "encoder-only", None, "BertConfig", "BertModel").marks()
    assert [m.name for m in marks] == ["hfguard", "skip"] and "surely_not_installed_pkg" in marks[1].kwargs["reason"]


def test_grid_images_carry_each_images_merge_size():
    subject = case("video_llama_3", "multimodal-lm", "image-text-to-text", "VideoLlama3Config", "VideoLlama3ForConditionalGeneration")
    model = subject.build()
    inputs = subject.inputs(model)
    assert inputs["image_merge_sizes"].tolist() == [1] * synth.BATCH
    run_check(subject, model, "media_changes_output")


def test_hybrid_towers_get_their_high_resolution_images():
    subject = case("deepseek_vl_hybrid", "multimodal-lm", "image-text-to-text", "DeepseekVLHybridConfig",
                   "DeepseekVLHybridForConditionalGeneration")
    model = subject.build()
    high = model.config.high_res_vision_config
    shape = (synth.BATCH, high.num_channels, high.image_size, high.image_size)
    assert tuple(subject.inputs(model)["high_res_pixel_values"].shape) == shape
    run_check(subject, model, "output_shapes")


def test_least_media_tokens_hint_starts_from_a_run_of_placeholders():
    subject = case("qwen2_audio", "multimodal-lm", "audio-text-to-text", "Qwen2AudioConfig", "Qwen2AudioForConditionalGeneration")
    model = subject.build()
    audio = subject.inputs(model)["input_ids"].eq(model.config.audio_token_id).sum(-1)
    assert audio.tolist() == [15] * synth.BATCH  # 60 mel frames: 30 after the conv, 15 after the pooling
    run_check(subject, model, "generates_new_tokens")


def test_audio_placeholders_follow_the_encoders_own_count_without_a_misread_mask():
    # Granite Speech's input_features_mask masks its projector's outputs, not the input frames
    subject = case("granite_speech", "speech-seq2seq", "speech-seq-2-seq", "GraniteSpeechConfig",
                   "GraniteSpeechForConditionalGeneration")
    model = subject.build()
    fed = subject.inputs(model)
    assert "input_features_mask" not in fed
    with torch.no_grad():
        count = model.get_audio_features(fed["input_features"]).pooler_output.shape[1]
    assert fed["input_ids"].eq(model.config.audio_token_id).sum(-1).tolist() == [count] * synth.BATCH


def test_without_masks_drops_only_masks():
    media = {"input_features": torch.zeros(2, 4), "input_features_mask": torch.ones(2, 4)}
    assert recipes_media._without_masks(media) == [{"input_features": media["input_features"]}]
    assert recipes_media._without_masks({"pixel_values": torch.zeros(1)}) == []


def test_decoder_folding_codebooks_into_rows_keeps_its_batch_checked():
    subject = case("dia", "speech-seq2seq", "speech-seq-2-seq", "DiaConfig", "DiaForConditionalGeneration")
    model = subject.build()
    run_check(subject, model, "output_shapes")
    run_check(subject, model, "missing_decoder_inputs")
    channels = model.config.decoder_config.num_channels
    assert codebook_rows(subject.inputs(model)) == synth.BATCH * channels
    assert codebook_rows({"decoder_input_ids": torch.zeros(2, 8, dtype=torch.long)}) is None


def test_encoder_decoder_vlms_continue_a_decoder_prompt_from_the_generation_start():
    subject = case("t5gemma2", "multimodal-lm", "image-text-to-text", "T5Gemma2Config", "T5Gemma2ForConditionalGeneration")
    model = subject.build()
    inputs = subject.inputs(model)
    # its generation config names no decoder start token: generate starts the decoder from bos
    assert model.generation_config.decoder_start_token_id is None
    assert inputs["decoder_input_ids"][:, 0].eq(model.generation_config.bos_token_id).all()
    assert inputs["input_ids"].eq(model.config.image_token_id).sum(-1).eq(model.config.encoder.mm_tokens_per_image).all()
    run_check(subject, model, "generates_new_tokens")


def test_vision_text_encoders_with_image_tokens_read_the_images_at_placeholders():
    subject = case("t5gemma2_encoder", "vision-text", None, "T5Gemma2EncoderConfig", "T5Gemma2Encoder")
    model = subject.build()
    inputs = subject.inputs(model)
    assert inputs["input_ids"].eq(model.config.image_token_id).sum(-1).eq(model.config.mm_tokens_per_image).all()
    run_check(subject, model, "media_changes_output")
