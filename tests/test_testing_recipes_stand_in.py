"""Inputs of forwards that name their main input generically, on real tiny models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402

from hfguard.testing.synth import bare_main_input  # noqa: E402
from hfguard.testing import synth  # noqa: E402
from hfguard.testing.recipes import audio as recipes_audio  # noqa: E402
from hfguard.testing.recipes import stand_in as recipes_stand_in  # noqa: E402
from tiny_models import build_tiny  # noqa: E402


def test_query_embeddings_cross_attend_states_of_the_encoder_width():
    model = build_tiny("blip_2_qformer", "Blip2QFormerConfig", "Blip2QFormerModel")
    fed = recipes_stand_in.embedding_inputs(model)
    config = model.config
    assert tuple(fed["query_embeds"].shape) == (synth.BATCH, synth.SEQ, config.hidden_size)
    assert tuple(fed["encoder_hidden_states"].shape) == (synth.BATCH, synth.SEQ, config.encoder_hidden_size)
    with torch.no_grad():
        hidden = model(**fed).last_hidden_state
    assert tuple(hidden.shape) == (synth.BATCH, synth.SEQ, config.hidden_size)


def test_drafter_context_gets_the_width_its_projection_reads():
    model = build_tiny("muse_glimmer_assistant", "MuseGlimmerAssistantConfig", "MuseGlimmerAssistantModel")
    fed = recipes_stand_in.embedding_inputs(model)
    config = model.config
    # the context is the target model's selected layers' states, concatenated
    assert fed["context_hidden_states"].shape[-1] == config.hidden_size * len(config.target_layer_ids)
    assert tuple(fed["noise_embeds"].shape) == (synth.BATCH, synth.SEQ, config.hidden_size)


def test_named_inputs_are_not_read_as_embeddings():
    model = build_tiny("bert", "BertConfig", "BertModel")
    assert recipes_stand_in.embedding_inputs(model) is None
    assert bare_main_input(type(model)) is None


@pytest.mark.parametrize(
    ("model_type", "config_class", "model_class", "width"),
    [
        ("vibevoice_acoustic_tokenizer_encoder", "VibeVoiceAcousticTokenizerEncoderConfig",
         "VibeVoiceAcousticTokenizerEncoderModel", "channels"),
        ("vibevoice_acoustic_tokenizer_decoder", "VibeVoiceAcousticTokenizerDecoderConfig",
         "VibeVoiceAcousticTokenizerDecoderModel", "hidden_size"),
    ],
)
def test_bare_main_input_is_a_waveform_or_latents(model_type: str, config_class: str, model_class: str, width: str):
    model = build_tiny(model_type, config_class, model_class)
    assert bare_main_input(type(model)) == "hidden_states"
    fed = recipes_audio.fitted_audio_inputs(model)
    assert list(fed) == ["hidden_states"]
    assert fed["hidden_states"].shape[:2] == (synth.BATCH, getattr(model.config, width))
