"""Input recipes of the vision families (vision, vision-dense), chosen by the forward signature.

Images are (batch, channels, height, width) pixels at the config's image size, unless the model
reads another layout: flattened patches with a (t, h, w) grid (Qwen-VL style), native-resolution
patches with their spatial shapes and a patch mask (NaFlex style), or the colour-cluster token ids
of pixel-token models. An ``inputs.image_size`` hint in the overrides table gives models whose
config names no image size (e.g. OCR recognisers reading wide text lines) their input size.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import inputs as synth


def vision_inputs(model: Any, hints: dict[str, Any]) -> dict[str, Any]:
    """The synthetic inputs of a vision or vision-dense model."""
    params = synth.forward_params(model)
    if params & {"grid_thw", "image_grid_thw"}:
        return synth.grid_pixels(model)
    if "spatial_shapes" in params and "pixel_attention_mask" in params:
        return naflex_pixels(model)
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
