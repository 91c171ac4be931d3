"""Multimodal recipes on real tiny configs and models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
import transformers  # noqa: E402

from hfguard.testing import inputs  # noqa: E402
from hfguard.testing.shrink import tiny_config  # noqa: E402


def test_anyres_pinpoints_follow_the_tiny_vision_tower():
    config = tiny_config("LlavaNextConfig", "llava_next")
    default = transformers.LlavaNextConfig()
    scale = config.vision_config.image_size / default.vision_config.image_size
    assert config.image_grid_pinpoints == [[int(side * scale) for side in point] for point in default.image_grid_pinpoints]


def test_anyres_inputs_carry_tiles_and_image_sizes():
    torch.manual_seed(0)
    model = transformers.LlavaNextForConditionalGeneration(tiny_config("LlavaNextConfig", "llava_next")).eval()
    media, _ = inputs.media_inputs(model)
    smallest = min(model.config.image_grid_pinpoints, key=lambda point: point[0] * point[1])
    assert media["image_sizes"].tolist() == [smallest] * inputs.BATCH
    assert media["pixel_values"].dim() == 5 and media["pixel_values"].shape[0] == inputs.BATCH


def test_naflex_models_get_flattened_patches_with_their_grid():
    torch.manual_seed(0)
    model = transformers.Siglip2Model(tiny_config("Siglip2Config", "siglip2")).eval()
    media = inputs.make_inputs(model, "vision-text")
    rows, columns = media["spatial_shapes"][0].tolist()
    assert media["pixel_values"].shape[:2] == (inputs.BATCH, rows * columns)
    assert media["pixel_attention_mask"].shape == (inputs.BATCH, rows * columns)
    with torch.no_grad():
        model(**media)
