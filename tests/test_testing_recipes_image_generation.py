"""The image-to-image generation recipe (GLM-Image) on a real tiny model (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing import synth  # noqa: E402
from hfguard.testing.recipes.image_generation import IMAGES_PER_SAMPLE  # noqa: E402
from tiny_models import run_check  # noqa: E402


@pytest.fixture(scope="module")
def glm_image():
    subject = ModelCase("glm_image", "vision-text", None, "GlmImageConfig", "GlmImageModel", {})
    return subject, subject.build()


def test_each_sample_has_a_marked_source_image_and_a_target_grid(glm_image):
    subject, model = glm_image
    inputs, config = subject.inputs(model), model.config
    grid = inputs["image_grid_thw"]
    assert grid.shape[0] == IMAGES_PER_SAMPLE * synth.BATCH and torch.equal(grid[0::2], grid[1::2])
    assert inputs["images_per_sample"].tolist() == [IMAGES_PER_SAMPLE] * synth.BATCH
    tokens = int(grid[0].prod())  # the tiny vision tower merges no patches
    assert inputs["pixel_values"].shape[0] == synth.BATCH * tokens  # the source images only
    ids = inputs["input_ids"]
    assert ids[:, 0].eq(config.image_start_token_id).all() and ids[:, tokens + 1].eq(config.image_end_token_id).all()
    assert ids.eq(config.image_token_id).sum(dim=1).tolist() == [tokens] * synth.BATCH


def test_source_images_change_the_hidden_states(glm_image):
    subject, model = glm_image
    run_check(subject, model, "output_shapes")
    run_check(subject, model, "media_changes_output")
