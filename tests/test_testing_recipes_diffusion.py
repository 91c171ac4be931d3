"""Block-diffusion (DiffusionGemma) inputs and the whole-canvas generation hint, on a real tiny model (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
import transformers  # noqa: E402

from hfguard.testing import ModelCase, synth  # noqa: E402
from hfguard.testing.recipes.diffusion import canvas_inputs  # noqa: E402
from hfguard.testing.shrink import tiny_config  # noqa: E402
from tiny_models import run_check  # noqa: E402

CASE = ("multimodal-lm", "image-text-to-text", "DiffusionGemmaConfig", "DiffusionGemmaForBlockDiffusion")


@pytest.fixture(scope="module")
def diffusion_gemma():
    subject = ModelCase("diffusion_gemma", *CASE)
    return subject, subject.build()


def test_the_encoder_gets_the_media_and_the_decoder_a_canvas(diffusion_gemma):
    subject, model = diffusion_gemma
    given = subject.inputs(model)
    assert {"pixel_values", "image_position_ids"} <= given.keys()  # names of the encoder's forward, not the model's
    assert given["input_ids"].eq(model.config.image_token_id).any(-1).all()
    assert given["decoder_input_ids"].shape == (synth.BATCH, model.config.canvas_length)
    logits = subject.forward(model, given).logits
    assert logits.shape == (synth.BATCH, model.config.canvas_length, model.config.text_config.vocab_size)


def test_generation_adds_a_whole_canvas(diffusion_gemma):
    subject, model = diffusion_gemma
    run_check(subject, model, "generates_new_tokens")
    unhinted = ModelCase("diffusion_gemma-unhinted", *CASE)
    with pytest.raises(AssertionError):
        run_check(unhinted, model, "generates_new_tokens")


def test_encoder_decoders_whose_encoder_takes_no_media_get_no_canvas():
    torch.manual_seed(0)
    model = transformers.T5ForConditionalGeneration(tiny_config("T5Config", "t5")).eval()
    assert canvas_inputs(model, synth.BATCH, synth.SEQ) is None
