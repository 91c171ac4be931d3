"""Molmo 2 style pooled patches on a real tiny model (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
import transformers  # noqa: E402

from hfguard.testing import synth  # noqa: E402
from hfguard.testing.inputs import make_inputs  # noqa: E402
from hfguard.testing.recipes.pooled import POOL, pooled_patches  # noqa: E402
from hfguard.testing.shrink import tiny_config  # noqa: E402


@pytest.fixture(scope="module")
def molmo2():
    torch.manual_seed(0)
    return transformers.Molmo2ForConditionalGeneration(tiny_config("Molmo2Config", "molmo2")).eval()


def test_each_token_pools_one_block_of_its_own_images_patches(molmo2):
    media = pooled_patches(molmo2, synth.BATCH)
    patches = media["pixel_values"].shape[1]
    tokens = int(media["image_grids"][0, :2].prod())
    assert tokens * POOL * POOL == patches
    pooling = media["image_token_pooling"].view(synth.BATCH, tokens, POOL * POOL)
    for sample in range(synth.BATCH):  # every patch of the sample pooled exactly once
        assert sorted(pooling[sample].flatten().tolist()) == list(range(sample * patches, (sample + 1) * patches))


def test_the_prompt_gets_one_placeholder_per_pooled_token(molmo2):
    given = make_inputs(molmo2, "multimodal-lm")
    tokens = int(given["image_grids"][0, :2].prod())
    assert given["input_ids"].eq(molmo2.config.image_token_id).sum(-1).tolist() == [tokens] * synth.BATCH
    with torch.no_grad():
        assert molmo2(**given).logits.shape[:2] == given["input_ids"].shape


def test_models_without_token_pooling_get_none():
    torch.manual_seed(0)
    model = transformers.LlavaForConditionalGeneration(tiny_config("LlavaConfig", "llava")).eval()
    assert pooled_patches(model, synth.BATCH) is None
