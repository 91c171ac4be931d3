"""Robot-policy (PI0) inputs and their action-logits hint, on a real tiny model (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
import transformers  # noqa: E402

from hfguard.testing import ModelCase, synth  # noqa: E402
from hfguard.testing.recipes.robotics import action_inputs  # noqa: E402
from hfguard.testing.shrink import tiny_config  # noqa: E402
from tiny_models import run_check  # noqa: E402


@pytest.fixture(scope="module")
def pi0():
    subject = ModelCase("pi0", "multimodal-lm", "image-text-to-text", "PI0Config", "PI0ForConditionalGeneration")
    return subject, subject.build()


def test_the_prompt_leads_with_one_cameras_image_tokens_and_the_action_chunk_is_given(pi0):
    subject, model = pi0
    config, vlm = model.config, model.config.vlm_config
    given = subject.inputs(model)
    assert given["input_ids"].eq(vlm.image_token_id).sum(-1).tolist() == [vlm.text_config.num_image_tokens] * synth.BATCH
    assert given["pixel_values"].shape[:2] == given["pixel_attention_mask"].shape == (synth.BATCH, 1)
    assert given["state"].shape == (synth.BATCH, config.max_state_dim)
    assert given["noise"].shape == (synth.BATCH, config.chunk_size, config.max_action_dim)
    assert given["timestep"].shape == (synth.BATCH,)


def test_action_logits_are_checked_against_the_action_chunk_not_the_vocabulary(pi0):
    subject, model = pi0
    run_check(subject, model, "output_shapes")
    unhinted = ModelCase("pi0-unhinted", "multimodal-lm", "image-text-to-text", "PI0Config", "PI0ForConditionalGeneration")
    with pytest.raises(AssertionError, match="is not the vocabulary"):
        run_check(unhinted, model, "output_shapes")


def test_models_without_a_robot_state_get_no_action_inputs():
    torch.manual_seed(0)
    model = transformers.LlavaForConditionalGeneration(tiny_config("LlavaConfig", "llava")).eval()
    assert action_inputs(model, synth.BATCH, synth.SEQ) is None
