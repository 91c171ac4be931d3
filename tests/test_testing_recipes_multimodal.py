"""Multimodal recipes on real tiny configs and models (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402
import transformers  # noqa: E402

from hfguard.testing import synth  # noqa: E402
from hfguard.testing.recipes import media as recipes_media  # noqa: E402
from hfguard.testing.inputs import make_inputs  # noqa: E402
from hfguard.testing.recipes import multimodal as recipes_multimodal  # noqa: E402
from hfguard.testing.recipes import vision as recipes_vision  # noqa: E402
from hfguard.testing.shrink import tiny_config  # noqa: E402


def test_anyres_pinpoints_follow_the_tiny_vision_tower():
    config = tiny_config("LlavaNextConfig", "llava_next")
    default = transformers.LlavaNextConfig()
    scale = config.vision_config.image_size / default.vision_config.image_size
    assert config.image_grid_pinpoints == [[int(side * scale) for side in point] for point in default.image_grid_pinpoints]


def test_anyres_inputs_carry_tiles_and_image_sizes():
    torch.manual_seed(0)
    model = transformers.LlavaNextForConditionalGeneration(tiny_config("LlavaNextConfig", "llava_next")).eval()
    media, _ = recipes_media.media_inputs(model)
    smallest = min(model.config.image_grid_pinpoints, key=lambda point: point[0] * point[1])
    assert media["image_sizes"].tolist() == [smallest] * synth.BATCH
    assert media["pixel_values"].dim() == 5 and media["pixel_values"].shape[0] == synth.BATCH


def test_naflex_models_get_flattened_patches_with_their_grid():
    torch.manual_seed(0)
    model = transformers.Siglip2Model(tiny_config("Siglip2Config", "siglip2")).eval()
    media = make_inputs(model, "vision-text")
    rows, columns = media["spatial_shapes"][0].tolist()
    assert media["pixel_values"].shape[:2] == (synth.BATCH, rows * columns)
    assert media["pixel_attention_mask"].shape == (synth.BATCH, rows * columns)
    with torch.no_grad():
        model(**media)


def test_mllama_tower_output_width_counts_its_intermediate_layers():
    vision = tiny_config("MllamaConfig", "mllama").vision_config
    assert vision.vision_output_dim == vision.hidden_size * (len(vision.intermediate_layers_indices) + 1)


def test_tiled_images_put_each_image_in_its_first_tile():
    torch.manual_seed(0)
    model = transformers.MllamaForConditionalGeneration(tiny_config("MllamaConfig", "mllama")).eval()
    media = make_inputs(model, "multimodal-lm")
    tiles = model.config.vision_config.max_num_tiles
    assert media["pixel_values"].shape[:3] == (synth.BATCH, 1, tiles)
    assert media["aspect_ratio_mask"].tolist() == [[[1] + [0] * (tiles - 1)]] * synth.BATCH


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
    media = make_inputs(transformers.Phi4MultimodalForCausalLM(config).eval(), "multimodal-lm")
    side = config.vision_config.crop_size
    assert media["image_pixel_values"].shape == (synth.BATCH, 2, 3, side, side)
    assert "pixel_values" not in media


@pytest.mark.parametrize(
    ("config_class", "model_type", "model_class", "vision"),
    [
        ("Gemma4Config", "gemma4", "Gemma4ForConditionalGeneration", {"model_type": "gemma4_vision"}),
        ("Gemma4UnifiedConfig", "gemma4_unified", "Gemma4UnifiedForConditionalGeneration",
         {"model_type": "gemma4_unified_vision", "mm_embed_dim": 32, "output_proj_dims": 32}),
    ],
)
def test_positioned_patch_models_get_packed_patches_and_their_positions(config_class, model_type, model_class, vision):
    config = tiny_config(config_class, model_type, {"vision_config": vision})
    torch.manual_seed(0)
    model = getattr(transformers, model_class)(config).eval()
    media = recipes_vision.positioned_image_patches(model)
    patch = getattr(config.vision_config, "model_patch_size", config.vision_config.patch_size)
    patches = media["pixel_values"].shape[1]
    assert media["pixel_values"].shape == (synth.BATCH, patches, 3 * patch * patch)
    assert media["image_position_ids"].shape == (synth.BATCH, patches, 2)
    full = recipes_media.media_token_inputs(model)
    assert full["input_ids"].eq(config.image_token_id).sum() > 0
    with torch.no_grad():
        model(**full)


def test_merged_token_patches_count_the_grid_in_tokens():
    grid = {"pixel_values": torch.randn(2 * 8 * 8, 3 * 4 * 4), "image_grid_thw": torch.tensor([[1, 8, 8]] * 2)}
    merged = recipes_multimodal.merged_token_patches(grid, 4, 2, 3)
    assert merged["image_grid_thw"].tolist() == [[1, 4, 4]] * 2
    assert merged["pixel_values"].shape == (2 * 4 * 4, 8, 8, 3)
    assert grid["image_grid_thw"].tolist() == [[1, 8, 8]] * 2  # the input is left as it was


def test_patch_cubes_hold_each_patch_still_over_the_temporal_patch():
    images = torch.arange(2 * 3 * 8 * 8, dtype=torch.float).view(2, 3, 8, 8)
    cubes = recipes_multimodal.patch_cubes(images, 4, 2)
    assert cubes.shape == (2 * 2 * 2, 2, 4, 4, 3)
    assert torch.equal(cubes[:, 0], cubes[:, 1])
    # the second cube is the first image's top-right patch, channels last
    assert torch.equal(cubes[1, 0], images[0, :, :4, 4:8].permute(1, 2, 0))


def test_pixel_shuffled_projector_input_follows_the_tiny_vision_tower():
    config = tiny_config("MuseGlimmerConfig", "muse_glimmer")
    vision = config.vision_config
    assert config.out_hidden_size == vision.hidden_size * vision.merge_size**2
