"""Audio layout recipes on real tiny configs and models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402

from hfguard.testing import synth  # noqa: E402
from hfguard.testing.recipes import media as recipes_media  # noqa: E402
from hfguard.testing.recipes import audio as recipes_audio  # noqa: E402
from tiny_models import build_tiny  # noqa: E402


def test_required_multiple_is_the_largest_number_named():
    message = "Qwen3ASREncoder expects `padded_feature_length` to be a multiple of `n_window * 2` (100), but got 16."
    assert recipes_audio._required_multiple(message) == 100
    assert recipes_audio._required_multiple("shapes do not match") == 0


def test_projection_refusal_resizes_the_feature_axis():
    features = {"input_features": torch.zeros(2, 32, 80)}
    retry = recipes_audio._retry(features, "input_features", 1, "mat1 and mat2 shapes cannot be multiplied (16x640 and 1024x32)")
    assert retry is not None and tuple(retry[0]["input_features"].shape) == (2, 32, 128)


def test_mono_codec_gets_a_channel_axis():
    model = build_tiny("dac", "DacConfig", "DacModel")
    fitted = recipes_audio.fitted_audio_inputs(model)
    assert tuple(fitted["input_values"].shape) == (synth.BATCH, 1, synth.AUDIO_SAMPLES)


def test_codebook_streams_stack_under_the_text_stream():
    model = build_tiny("kyutai_speech_to_text", "KyutaiSpeechToTextConfig", "KyutaiSpeechToTextForConditionalGeneration")
    fed = recipes_audio.codebook_inputs(model)
    config = model.config
    assert tuple(fed["input_ids"].shape) == (synth.BATCH, synth.SEQ, 1 + config.num_codebooks)
    assert fed["input_ids"][..., 1:].max() < config.codebook_vocab_size - 1
    with torch.no_grad():
        logits = model(**fed).logits
    assert tuple(logits.shape) == (synth.BATCH, synth.SEQ, config.vocab_size)


def test_audio_codes_decoder_starts_every_channel_from_its_start_token():
    model = build_tiny("dia", "DiaConfig", "DiaForConditionalGeneration")
    fed = recipes_audio.codebook_inputs(model)
    decoder = model.config.decoder_config
    assert tuple(fed["decoder_input_ids"].shape) == (synth.BATCH, synth.SEQ, decoder.num_channels)
    assert fed["decoder_input_ids"][:, 0].eq(decoder.bos_token_id).all()
    with torch.no_grad():
        logits = model(**fed).logits
    assert tuple(logits.shape) == (synth.BATCH * decoder.num_channels, synth.SEQ, decoder.vocab_size)


def test_additive_audio_gets_frames_for_every_text_token():
    model = build_tiny("voxtral_realtime", "VoxtralRealtimeConfig", "VoxtralRealtimeForConditionalGeneration")
    text = synth.text_inputs(model)
    fitted = recipes_audio.fitted_audio_inputs(model, text)
    frames = text["input_ids"].shape[-1] * model.config.audio_length_per_tok
    assert frames in fitted["input_features"].shape[1:]


def test_waveform_gets_an_all_real_padding_mask_when_the_model_reads_one():
    model = build_tiny("vibevoice", "VibeVoiceConfig", "VibeVoiceForConditionalGeneration")
    fitted = recipes_audio.fitted_audio_inputs(model, synth.text_inputs(model), passed=recipes_media._MISMATCH)
    wave, mask = fitted["input_values"], fitted["padding_mask"]
    assert mask.dtype == torch.bool and mask.all() and tuple(mask.shape) == (wave.shape[0], wave.shape[-1])


def test_spectrogram_image_models_get_a_one_channel_axis():
    # CLAP's Swin tower reads (batch, channels, frames, mel); the override's small spectrogram image
    model = build_tiny("clap", "ClapConfig", "ClapModel")
    text = synth.text_inputs(model)
    fitted = recipes_audio.fitted_audio_inputs(model, text)
    features = fitted["input_features"]
    assert features.dim() == 4 and features.shape[:2] == (synth.BATCH, 1)
    assert features.shape[-1] == model.config.audio_config.num_mel_bins
