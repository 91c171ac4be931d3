"""Molmo 2 style images: patch sequences whose image tokens each pool a block of patches.

The processor cuts each image into crops of flattened patches (crops, patches, p x p x C) and tells the
model which patches every image token pools (``image_token_pooling``: one row of flat patch indices per
token, over the patches of all crops in turn), how many tokens each image has (``image_grids``: rows x
columns of the low-resolution grid plus rows x columns of the high-resolution one) and how many crops it
has (``image_num_crops``). Here every image is one crop pooled in 2 x 2 patch blocks, its tokens all
on the low-resolution grid. Up to transformers 5.24 the indices run over the patches of the whole batch; from
5.25, whose ``get_image_features`` takes ``image_num_crops``, over each image's own patches (the model adds the
offsets).
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth

POOL = 2  # patches per side of the block one image token pools


def pooled_patches(model: Any, batch: int, seed: int = 1) -> dict[str, Any] | None:
    """One single-crop image per sample as flattened patches, with the 2 x 2 patch blocks its tokens pool;
    ``None`` for models without ``image_token_pooling``."""
    import torch

    if "image_token_pooling" not in synth.forward_params(model):
        return None
    patch = synth.vision_config(model.config).patch_size
    channels, height, width = synth.image_shape(model.config)
    rows, columns = height // patch, width // patch
    grid = torch.arange(rows * columns).view(rows // POOL, POOL, columns // POOL, POOL)
    blocks = grid.permute(0, 2, 1, 3).reshape(-1, POOL * POOL)  # one row of patch indices per token
    per_image = _indexes_each_image(model)
    pooling = torch.cat([blocks + (0 if per_image else sample * rows * columns) for sample in range(batch)])
    return {
        "pixel_values": torch.randn(batch, rows * columns, channels * patch * patch, generator=synth.generator(seed)),
        "image_token_pooling": pooling,
        "image_grids": torch.tensor([[rows // POOL, columns // POOL, 0, 0]] * batch),
        "image_num_crops": torch.ones(batch, dtype=torch.long),
    }


def _indexes_each_image(model: Any) -> bool:
    """Whether ``image_token_pooling`` indexes each image's own patches: the model's ``get_image_features`` takes
    ``image_num_crops`` to offset them (transformers 5.25)."""
    import inspect

    for owner in (model, getattr(model, "model", None)):
        features = getattr(owner, "get_image_features", None)
        if features is not None:
            return "image_num_crops" in inspect.signature(features).parameters
    return False
