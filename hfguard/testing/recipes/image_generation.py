"""Input recipe of image-to-image generators (GLM-Image), chosen by the forward signature (``images_per_sample``).

Each sample holds a source image and the grid of the target image the model will generate, so its
``image_grid_thw`` rows come in (source, target) pairs counted by ``images_per_sample``. The model encodes
only the source images; their features, quantized into VQ codebook ids, replace the image placeholder
tokens, which the text marks between the image start and end tokens.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth

IMAGES_PER_SAMPLE = 2  # one source image and the target grid


def image_to_image_inputs(model: Any, seq: int = synth.SEQ) -> dict[str, Any]:
    """Text led by one source image per sample (start token, a placeholder per image token, end token),
    the flattened patches of the source images, and the (source, target) grids of every sample."""
    import torch

    config = model.config
    source = synth.grid_pixels(model)  # one image per sample: flattened patches and its (t, h, w) grid
    grid = source["image_grid_thw"]
    count = synth.grid_tokens(config, grid[0])
    text = synth.text_inputs(model, seq)
    image = torch.tensor([config.image_start_token_id] + [config.image_token_id] * count + [config.image_end_token_id])
    ids = torch.cat([image.expand(synth.BATCH, -1), text["input_ids"]], dim=1)
    return {
        **text,
        "input_ids": ids,
        **({"attention_mask": torch.ones_like(ids)} if "attention_mask" in text else {}),
        "pixel_values": source["pixel_values"],
        "image_grid_thw": grid.repeat_interleave(IMAGES_PER_SAMPLE, dim=0),
        "images_per_sample": torch.full((synth.BATCH,), IMAGES_PER_SAMPLE),
    }
