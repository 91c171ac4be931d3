"""Input recipes of the vision families (vision, vision-dense), chosen by the forward signature.

Images are (batch, channels, height, width) pixels at the config's image size, unless the model
reads another layout: flattened patches with a (t, h, w) grid (Qwen-VL style; an ``inputs.patch_layout``
hint names other per-patch layouts), packed patches with their (x, y) positions (Gemma 4 style),
native-resolution patches with their spatial shapes and a patch mask (NaFlex style), the patches of
all images packed in one strip with their (rows, columns) target sizes (MiniCPM-V style), or the
colour-cluster token ids of pixel-token models. An ``inputs.image_size`` hint in the overrides table
gives models whose config names no image size (e.g. OCR recognisers reading wide text lines) their input size.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth
from hfguard.testing.recipes.multimodal import merged_token_patches, packed_patches


def vision_inputs(model: Any, hints: dict[str, Any]) -> dict[str, Any]:
    """The synthetic inputs of a vision or vision-dense model."""
    params = synth.forward_params(model)
    if params & {"grid_thw", "image_grid_thw"}:
        return grid_patches(model, hints.get("patch_layout"))
    if "pixel_position_ids" in params:
        return positioned_patches(model)
    if "spatial_shapes" in params and "pixel_attention_mask" in params:
        return naflex_pixels(model)
    if "target_sizes" in params:  # MiniCPM-V towers: the patches of all images packed in one strip
        return packed_patches(images(model, hints.get("image_size")), synth.vision_config(model.config).patch_size)
    if "pixel_values" not in params and "input_ids" in params:  # pixels as colour-cluster tokens
        return synth.text_inputs(model, synth.SEQ)
    size = hints.get("image_size")
    if "task_inputs" in params:  # universal segmentation: the tokenised task prompt
        length = getattr(model.config, "task_seq_len", synth.SEQ)
        return {"pixel_values": images(model, size), "task_inputs": synth.token_ids(model.config, (synth.BATCH, length))}
    if "prompt_pixel_values" not in params:
        return {"pixel_values": images(model, size)}
    # in-context segmentation: a prompt image and its mask, stacked above the image (each half the config height)
    _, height, width = synth.image_shape(model.config)
    size = size or [height // 2, width]
    return {"pixel_values": images(model, size), "prompt_pixel_values": images(model, size, seed=2),
            "prompt_masks": images(model, size, seed=3)}


def images(model: Any, size: list[int] | None = None, seed: int = 1) -> Any:
    """Random images (batch, channels, height, width) at ``size``, else at the config's image size."""
    import torch

    if size is None:
        return synth.pixel_values(model.config, seed=seed)
    channels = synth.image_shape(model.config)[0]
    return torch.randn(synth.BATCH, channels, *size, generator=synth.generator(seed))


def naflex_pixels(model: Any, seed: int = 1) -> dict[str, Any]:
    """Native-resolution patches (batch, patches, channels x patch x patch), their grid and an all-ones mask."""
    import torch

    vision = synth.vision_config(model.config)
    channels, patch = getattr(vision, "num_channels", 3), vision.patch_size
    side = int(vision.num_patches**0.5)
    patches = side * side
    flat = torch.randn(synth.BATCH, patches, channels * patch * patch, generator=synth.generator(seed))
    return {
        "pixel_values": flat,
        "pixel_attention_mask": torch.ones(synth.BATCH, patches, dtype=torch.long),
        "spatial_shapes": torch.tensor([[side, side]] * synth.BATCH),
    }


def positioned_patches(model: Any, seed: int = 1) -> dict[str, Any]:
    """Packed patches (batch, patches, channels x patch x patch) of a square grid and their (x, y) positions.

    The grid side is a multiple of the config's pooling kernel, so the pooled tokens tile it. Encoder-free
    embedders (Gemma 4 unified) pool in pixel space: a patch is one ``model_patch_size`` square, not pooled again.
    """
    import torch

    vision = synth.vision_config(model.config)
    merged = getattr(vision, "model_patch_size", None)
    channels = getattr(vision, "num_channels", 3)
    patch, kernel = (merged, 1) if isinstance(merged, int) else (vision.patch_size, getattr(vision, "pooling_kernel_size", 1))
    side = 2 * kernel
    ys, xs = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    positions = torch.stack([xs.flatten(), ys.flatten()], dim=-1)
    flat = torch.rand(synth.BATCH, side * side, channels * patch * patch, generator=synth.generator(seed))
    return {"pixel_values": flat, "pixel_position_ids": positions.expand(synth.BATCH, -1, -1).clone()}


def grid_patches(model: Any, layout: str | None) -> dict[str, Any]:
    """Flattened patches with their (t, h, w) grid (Qwen-VL style), in the patch ``layout`` the model reads.

    ``chw``: one (channels, patch, patch) image per patch, which the patch embedding convolves.
    ``merged_hwc``: one (patch x merge, patch x merge, channels) image per merged token, the grid counted in tokens.
    """
    import torch

    grid = synth.grid_pixels(model)
    vision = synth.vision_config(model.config)
    channels, patch = synth.image_shape(model.config)[0], vision.patch_size
    if layout == "chw":
        grid["pixel_values"] = grid["pixel_values"].view(-1, channels, patch, patch)
    elif layout == "merged_hwc":
        grid = merged_token_patches(grid, patch, vision.spatial_merge_size, channels)
    if "merge_sizes" in synth.forward_params(model):  # each image's spatial merge (downsampling) ratio
        grid["merge_sizes"] = torch.full((synth.BATCH,), getattr(vision, "spatial_merge_size", 1))
    return grid


def positioned_image_patches(model: Any) -> dict[str, Any] | None:
    """Gemma 4 style: packed patches with their (x, y) ``image_position_ids``; ``None`` for models without them."""
    if "image_position_ids" not in synth.forward_params(model):
        return None
    patches = positioned_patches(model)
    return {"pixel_values": patches["pixel_values"], "image_position_ids": patches["pixel_position_ids"]}
