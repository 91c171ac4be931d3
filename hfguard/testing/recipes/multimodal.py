"""Multimodal specifics of the shrinker and the input recipes: media sizes that depend on each other.

- anyres (LLaVA-NeXT style) models cut an image into tiles on a grid of pinpoint resolutions given
  in pixels of the vision tower's image size: the tiny config scales the pinpoints with that size,
  and the inputs carry the tiles of every image plus its ``image_sizes``, as the processor would;
- flattened-patch models (Fuyu, NaFlex/SigLIP 2) take patch sequences, not images; Gemma 4 style
  models take packed patches with their (x, y) ``image_position_ids``;
- Kosmos style models mark the image positions of the text with ``image_embeds_position_mask``;
- IDEFICS style models cross-attend to images under an ``image_attention_mask``;
- processors differ in layout: tiles with a (batch, tiles) ``pixel_attention_mask`` (Granite Docling),
  grid patches as small images for convolutional patch embeddings (Kimi K2.5), tiles with aspect
  ratio ids (Mllama), patch strips with their target sizes (MiniCPM-V), a global view plus crops
  (Phi-4 multimodal), Pix2Struct style flattened patches led by their row and column (Kosmos-2.5),
  grid patches grouped per merged token (Inkling 2), still patch cubes, one token each (Inkling).

The input recipes (``recipes.media``, ``recipes.vision``) call these where the forward signature asks for them.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth


def consistent_media(kwargs: dict[str, Any], values: dict[str, Any]) -> None:
    """Keep a shrunk composite config's media sizes consistent with its shrunk vision tower (edits ``kwargs``):
    anyres pinpoints scale with the tower's image size; a tower that concatenates its last state with
    the states of ``intermediate_layers_indices`` (Mllama) outputs that many times its width; a projector
    input sized the tower's width times its merged patches (Muse Glimmer's pixel shuffle) follows both."""
    pinpoints, vision = values.get("image_grid_pinpoints"), kwargs.get("vision_config")
    _follow_merged_width(kwargs, values)
    layers = getattr(vision, "intermediate_layers_indices", None)
    if isinstance(getattr(vision, "vision_output_dim", None), int) and isinstance(layers, list):
        vision.vision_output_dim = vision.hidden_size * (len(layers) + 1)
    old, new = getattr(values.get("vision_config"), "image_size", None), getattr(vision, "image_size", None)
    if "image_grid_pinpoints" in kwargs or not isinstance(pinpoints, list) or not pinpoints:
        return
    if isinstance(old, int) and isinstance(new, int) and old != new:
        kwargs["image_grid_pinpoints"] = [[side * new // old for side in point] for point in pinpoints]


def _follow_merged_width(kwargs: dict[str, Any], values: dict[str, Any]) -> None:
    """``out_hidden_size`` stays the vision tower's width x merge_size**2 when the default config has it so."""
    old, new = values.get("vision_config"), kwargs.get("vision_config")

    def merged(vision: Any) -> int | None:
        width, merge = getattr(vision, "hidden_size", None), getattr(vision, "merge_size", None)
        return width * merge**2 if isinstance(width, int) and isinstance(merge, int) else None

    if isinstance(values.get("out_hidden_size"), int) and values["out_hidden_size"] == merged(old) and merged(new):
        kwargs["out_hidden_size"] = merged(new)


def anyres_pixels(model: Any, pixels: dict[str, Any], batch: int) -> dict[str, Any]:
    """``pixels`` as the tiles of one image per sample (batch, tiles, C, H, W) with its ``image_sizes``.

    The image has the size of the smallest pinpoint, so it is cut into that grid plus the base tile.
    """
    import torch

    config = model.config
    image = pixels["pixel_values"]
    tile = image.shape[-1]
    height, width = min(config.image_grid_pinpoints, key=lambda point: point[0] * point[1])
    tiles = 1 + (height // tile) * (width // tile)
    generator = torch.Generator().manual_seed(1)
    pixel_values = torch.randn(batch, tiles, *image.shape[1:], generator=generator)
    return {**pixels, "pixel_values": pixel_values, "image_sizes": torch.tensor([[height, width]] * batch)}


def flattened_patches(model: Any, batch: int, seed: int = 1) -> dict[str, Any] | None:
    """Pix2Struct style patches (batch, patches, 2 + C x p x p): a 4 x 4 grid, each patch led by its
    1-based row and column; ``None`` for models that take images.
    """
    import torch

    if "flattened_patches" not in synth.forward_params(model):
        return None
    side, width = 4, synth.vision_config(model.config).patch_embed_hidden_size
    rows, columns = torch.meshgrid(torch.arange(1, side + 1), torch.arange(1, side + 1), indexing="ij")
    positions = torch.stack([rows.flatten(), columns.flatten()], dim=-1).float().expand(batch, -1, -1)
    values = torch.randn(batch, side * side, width, generator=torch.Generator().manual_seed(seed))
    return {"flattened_patches": torch.cat([positions, values], dim=-1)}


def embeds_position_inputs(model: Any, text: dict[str, Any]) -> dict[str, Any]:
    """Kosmos style: ``latent_query_num`` image positions after the first token, marked by ``image_embeds_position_mask``.

    ``text`` unchanged for models without such a mask.
    """
    import torch

    if "image_embeds_position_mask" not in synth.forward_params(model):
        return text
    ids, count = text["input_ids"], model.config.latent_query_num
    ids = torch.cat([ids[:, :1], ids[:, 1:2].expand(-1, count), ids[:, 1:]], dim=1)
    mask = torch.zeros_like(ids)
    mask[:, 1 : count + 1] = 1
    extra = {"attention_mask": torch.ones_like(ids)} if "attention_mask" in text else {}
    return {**text, "input_ids": ids, **extra, "image_embeds_position_mask": mask}


def patch_pixels(model: Any, batch: int, seed: int = 1) -> dict[str, Any] | None:
    """Images as flattened patches (batch, patches, channels x patch x patch): Fuyu style (the forward still
    names them ``image_patches``) or NaFlex (SigLIP 2 style, with the valid-patch mask and (rows, columns) grid).

    ``None`` for models that take images, not patch sequences.
    """
    import torch

    params = synth.forward_params(model)
    if "spatial_shapes" not in params and "image_patches" not in params:
        return None
    patch = synth.vision_config(model.config).patch_size
    channels, height, width = synth.image_shape(model.config)
    rows, columns = height // patch, width // patch
    generator = torch.Generator().manual_seed(seed)
    pixels = {"pixel_values": torch.randn(batch, rows * columns, channels * patch * patch, generator=generator)}
    if "spatial_shapes" in params:
        pixels["pixel_attention_mask"] = torch.ones(batch, rows * columns, dtype=torch.long)
        pixels["spatial_shapes"] = torch.tensor([[rows, columns]] * batch)
    return pixels


def extra_layouts(model: Any, media: dict[str, Any]) -> list[dict[str, Any]]:
    """More layouts of the same media for processors that differ:

    - tiling processors: one tile per sample (batch, tiles, C, H, W) marked real by a (batch, tiles)
      ``pixel_attention_mask`` (for models with that mask);
    - grid models with a convolutional patch embedding: the flattened patches as small images (patches, C, p, p);
    - grid models that embed merged tokens (Inkling 2): one (p x merge, p x merge, C) image per token;
    - tiled cross-attention models (Mllama): one image per sample cut into ``max_num_tiles`` tiles
      (batch, images, tiles, C, H, W), its aspect ratio id (1: a single tile) and the mask of its real tiles;
    - packed-patch models (MiniCPM-V): the patches of all images in one row (1, C, p, patches x p) with
      their (rows, columns) ``target_sizes``;
    - patch-cube models (Inkling): every patch, one token each, as a (temporal patch, p, p, C) cube.
    """
    import torch

    layouts = []
    pixels = media.get("pixel_values")
    if "pixel_attention_mask" in synth.forward_params(model) and pixels is not None and pixels.dim() == 4:
        mask = torch.ones(pixels.shape[0], 1, dtype=torch.bool)
        layouts.append({**media, "pixel_values": pixels.unsqueeze(1), "pixel_attention_mask": mask})
    patch, channels = getattr(synth.vision_config(model.config), "patch_size", None), synth.image_shape(model.config)[0]
    key = next((k for k in ("pixel_values", "hidden_states") if k in media), None)
    flat = media.get(key) if key is not None and media.keys() & {"grid_thw", "image_grid_thw"} else None
    if isinstance(patch, int) and flat is not None and flat.dim() == 2 and flat.shape[1] == channels * patch * patch:
        layouts.append({**media, key: flat.view(-1, channels, patch, patch)})
        merge = getattr(synth.vision_config(model.config), "spatial_merge_size", 1)
        if isinstance(merge, int) and merge > 1:
            layouts.append(merged_token_patches(media, patch, merge, channels))
    if "aspect_ratio_ids" in synth.forward_params(model) and pixels is not None and pixels.dim() == 4:
        layouts.append({**media, **tiled_images(model, pixels)})
    if "target_sizes" in synth.forward_params(model) and isinstance(patch, int) and pixels is not None and pixels.dim() == 4:
        layouts.append({**media, **packed_patches(pixels, patch)})
    frames = getattr(synth.vision_config(model.config), "temporal_patch_size", None)
    if isinstance(frames, int) and isinstance(patch, int) and pixels is not None and pixels.dim() == 4:
        layouts.append({**media, "pixel_values": patch_cubes(pixels, patch, frames)})
    return layouts


def merged_token_patches(media: dict[str, Any], patch: int, merge: int, channels: int) -> dict[str, Any]:
    """Qwen-VL style grid patches ``media`` regrouped as one (patch x merge, patch x merge, channels) image per
    merged token, the (t, h, w) grid counted in tokens (Inkling 2's processor)."""
    key = "image_grid_thw" if "image_grid_thw" in media else "grid_thw"
    pixel_key = "pixel_values" if "pixel_values" in media else "hidden_states"
    grid = media[key].clone()
    grid[:, 1:] //= merge
    side = patch * merge
    return {**media, key: grid, pixel_key: media[pixel_key].reshape(-1, side, side, channels)}


def packed_patches(pixels: Any, patch: int) -> dict[str, Any]:
    """The ``patch`` x ``patch`` patches of ``pixels`` (batch, C, H, W), image after image in row-major order,
    side by side in one (1, C, patch, patches x patch) strip, and each image's (rows, columns)."""
    import torch

    grid = patch_grid(pixels, patch)
    batch, channels, rows, _, columns, _ = grid.shape
    strip = grid.permute(1, 3, 0, 2, 4, 5).reshape(1, channels, patch, -1)
    return {"pixel_values": strip, "target_sizes": torch.tensor([[rows, columns]] * batch)}


def patch_grid(pixels: Any, patch: int) -> Any:
    """``pixels`` (batch, C, H, W) cut into ``patch`` x ``patch`` patches: (batch, C, rows, patch, columns, patch)."""
    batch, channels, height, width = pixels.shape
    rows, columns = height // patch, width // patch
    return pixels[..., : rows * patch, : columns * patch].reshape(batch, channels, rows, patch, columns, patch)


def patch_cubes(pixels: Any, patch: int, frames: int) -> Any:
    """Inkling style: every patch of ``pixels`` (batch, C, H, W), image after image in row-major order, as a
    still (frames, patch, patch, C) cube, as its processor repeats an image over the temporal patch."""
    grid = patch_grid(pixels, patch)
    patches = grid.permute(0, 2, 4, 3, 5, 1).reshape(-1, patch, patch, grid.shape[1])
    return patches.unsqueeze(1).repeat(1, frames, 1, 1, 1)


def cropped_images(model: Any, pixels: Any) -> dict[str, Any]:
    """Phi-4 multimodal style crops: each image of ``pixels`` (batch, C, H, W), sized one ``crop_size`` crop,
    as its global view and that crop (batch, 2, C, H, W), with its size and the (crops, patch rows,
    patch columns) mask of real patches."""
    import torch

    vision = synth.vision_config(model.config)
    batch, side = pixels.shape[0], vision.crop_size
    crops = torch.nn.functional.interpolate(pixels, size=(side, side)).unsqueeze(1).repeat(1, 2, 1, 1, 1)
    crops[:, 0] = crops[:, 0].flip(-1)  # the global view differs from the crop
    patches = side // vision.patch_size
    return {"image_pixel_values": crops, "image_sizes": torch.tensor([[side, side]] * batch),
            "image_attention_mask": torch.ones(batch, 2, patches, patches, dtype=torch.long)}


def tiled_images(model: Any, pixels: Any) -> dict[str, Any]:
    """Mllama style tiles: each image of ``pixels`` (batch, C, H, W) as the first of ``max_num_tiles`` tiles."""
    import torch

    batch, tiles = pixels.shape[0], synth.vision_config(model.config).max_num_tiles
    tiled = torch.zeros(batch, 1, tiles, *pixels.shape[1:])
    tiled[:, 0, 0] = pixels
    mask = torch.zeros(batch, 1, tiles, dtype=torch.long)
    mask[:, :, 0] = 1
    return {"pixel_values": tiled, "aspect_ratio_ids": torch.ones(batch, 1, dtype=torch.long), "aspect_ratio_mask": mask}


def cross_attended_images(model: Any, text: dict[str, Any], media: dict[str, Any]) -> dict[str, Any]:
    """IDEFICS style (no placeholder tokens, text cross-attends to images): one image per sample
    (batch, images, C, H, W) that every text position sees through a (batch, text, images)
    ``image_attention_mask``; ``media`` unchanged for other models."""
    import torch

    pixels = media.get("pixel_values")
    if "image_attention_mask" not in synth.forward_params(model) or pixels is None or pixels.dim() != 4:
        return media
    mask = torch.ones(*text["input_ids"].shape, 1, dtype=torch.long)
    return {**media, "pixel_values": pixels.unsqueeze(1), "image_attention_mask": mask}
