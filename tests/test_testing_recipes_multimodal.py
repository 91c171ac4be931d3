"""Multimodal recipes on real tiny configs and models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
import transformers  # noqa: E402

from hfguard.testing import inputs, recipes_multimodal  # noqa: E402
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


def test_mllama_tower_output_width_counts_its_intermediate_layers():
    vision = tiny_config("MllamaConfig", "mllama").vision_config
    assert vision.vision_output_dim == vision.hidden_size * (len(vision.intermediate_layers_indices) + 1)


def test_tiled_images_put_each_image_in_its_first_tile():
    torch.manual_seed(0)
    model = transformers.MllamaForConditionalGeneration(tiny_config("MllamaConfig", "mllama")).eval()
    media = inputs.make_inputs(model, "multimodal-lm")
    tiles = model.config.vision_config.max_num_tiles
    assert media["pixel_values"].shape[:3] == (inputs.BATCH, 1, tiles)
    assert media["aspect_ratio_mask"].tolist() == [[[1] + [0] * (tiles - 1)]] * inputs.BATCH


def test_packed_patches_keep_every_patch():
    images = torch.arange(2 * 3 * 8 * 8, dtype=torch.float).view(2, 3, 8, 8)
    packed = recipes_multimodal.packed_patches(images, 4)
    assert packed["pixel_values"].shape == (1, 3, 4, 2 * 4 * 4)
    assert packed["target_sizes"].tolist() == [[2, 2], [2, 2]]
    # the second patch of the strip is the first image's top-right patch
    assert torch.equal(packed["pixel_values"][0, :, :, 4:8], images[0, :, :4, 4:8])


def test_crop_models_read_a_global_view_and_a_crop():
    torch.manual_seed(0)
    config = tiny_config("Phi4MultimodalConfig", "phi4_multimodal")
    media = inputs.make_inputs(transformers.Phi4MultimodalForCausalLM(config).eval(), "multimodal-lm")
    side = config.vision_config.crop_size
    assert media["image_pixel_values"].shape == (inputs.BATCH, 2, 3, side, side)
    assert "pixel_values" not in media
