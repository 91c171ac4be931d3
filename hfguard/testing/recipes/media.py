"""Media placeholder layouts of multimodal language models: the media (images, audio, proteins) and as many
placeholder tokens in the text as the media encoder yields features.

Processors differ in layout (optional image sizes, an images-per-sample axis, tiles, patches as images, masks),
so the layouts are tried in turn with one forward pass each; the feature count comes from the (t, h, w) grid,
the model's own ``get_audio_features``, or the count its mismatch message names.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from hfguard.testing import synth
from hfguard.testing.recipes.audio import fitted_audio_inputs
from hfguard.testing.recipes.multimodal import (
    anyres_pixels,
    cropped_images,
    cross_attended_images,
    embeds_position_inputs,
    extra_layouts,
    flattened_patches,
    patch_pixels,
)
from hfguard.testing.recipes.pooled import pooled_patches
from hfguard.testing.recipes.protein import protein_inputs
from hfguard.testing.recipes.vision import positioned_image_patches

_MISMATCH = re.compile(r"(?:tokens:?\s*(\d+)\D+features:?|value tensor of shape \[)\s*(\d+)", re.I)


def media_inputs(model: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Images (or, for audio language models, audio; for protein-text models, proteins) and the config
    names of their placeholder token."""
    import torch

    config, params = model.config, synth.forward_params(model)
    proteins = protein_inputs(model, synth.BATCH)
    if proteins is not None:  # the text cross-attends to the protein: no placeholder tokens
        return proteins, ()
    audio_only = getattr(config, "vision_config", None) is None and not params & {"pixel_values", "grid_thw"}
    if audio_only and params & {"input_features", "input_values"} or getattr(config, "audio_config", None) is not None \
            and getattr(config, "vision_config", None) is None:
        return fitted_audio_inputs(model, synth.text_inputs(model), passed=_MISMATCH), ("audio_token_id", "audio_token_index")
    pixels = synth.grid_pixels(model) if params & {"grid_thw", "image_grid_thw"} else \
        patch_pixels(model, synth.BATCH) or positioned_image_patches(model) or pooled_patches(model, synth.BATCH) \
        or flattened_patches(model, synth.BATCH) or {"pixel_values": synth.pixel_values(config)}
    if "image_sizes" in params and getattr(config, "image_grid_pinpoints", None) is None:  # pixtral style
        pixels["image_sizes"] = torch.tensor([list(synth.image_shape(config)[1:])] * synth.BATCH)
    elif "image_sizes" in params and "pixel_values" in pixels:  # anyres tiles
        pixels = anyres_pixels(model, pixels, synth.BATCH)
    if "image_pixel_values" in params and "pixel_values" not in params:  # global view and crops
        pixels = cropped_images(model, pixels["pixel_values"])
    if "high_res_pixel_values" in params:  # DeepSeek-VL hybrid: images for its high-resolution (SAM) tower too
        pixels["high_res_pixel_values"] = synth.pixel_values(config.high_res_vision_config, seed=2)
    return pixels, synth.IMAGE_TOKENS


def media_token_inputs(model: Any, seq: int = synth.SEQ, least_tokens: int = 1) -> dict[str, Any]:
    """Text with as many media placeholder tokens as the media encoder yields features (at least
    ``least_tokens``, see ``_features_per_image``), plus the media."""
    config, params = model.config, synth.forward_params(model)
    media, token_names = media_inputs(model)
    owners = (config, synth.vision_config(config))  # some name the image token in the vision config (Phi-4 multimodal)
    token = next((getattr(c, k) for c in owners for k in token_names if isinstance(getattr(c, k, None), int)), None)
    text = synth.text_inputs(model, seq)
    # encoder-decoder VLMs (Florence-2, T5Gemma 2, UDOP): the decoder reads tokens too (InstructBLIP's forward
    # takes decoder inputs only for its optional T5 language model)
    if "decoder_input_ids" in params and getattr(config, "is_encoder_decoder", False):
        text.update(synth.decoder_inputs(model, seq))
    if token is None:  # media without placeholder tokens: positions marked by a mask, or cross-attention
        text = embeds_position_inputs(model, text)
        return {**text, **cross_attended_images(model, text, media)}
    first_error = None
    # processors differ: optional image sizes, an images-per-sample axis, tiles, patches as images
    for layout in _layouts(media) + extra_layouts(model, media) + _without_masks(media):
        try:
            count = _features_per_image(model, token, text, layout, least_tokens)
            media = layout
            break
        except Exception as error:  # noqa: BLE001 - try the next layout, report the first failure
            first_error = first_error or error
    else:
        raise first_error
    inputs = {**synth.with_image_tokens(text, token, count), **media}
    if "mm_token_type_ids" in params:
        inputs["mm_token_type_ids"] = inputs["input_ids"].eq(token).long()
    return inputs


def _layouts(media: dict[str, Any]) -> list[dict[str, Any]]:
    """The media as given, without optional image sizes, and with one more (images per sample) axis."""
    layouts = [media]
    if "image_sizes" in media:
        layouts.append({k: v for k, v in media.items() if k != "image_sizes"})
    pixels = media.get("pixel_values")
    if pixels is not None and pixels.dim() == 4:
        layouts.append({**layouts[-1], "pixel_values": pixels.unsqueeze(1)})
    return layouts


def _without_masks(media: dict[str, Any]) -> list[dict[str, Any]]:
    """The media without its optional masks, when it has any: some mask the encoder's output positions,
    not the input frames (Granite Speech's ``input_features_mask``), and default to all positions."""
    masks = [key for key in media if key.endswith("_mask")]
    return [{k: v for k, v in media.items() if k not in masks}] if masks else []


def _own_audio_feature_count(model: Any, media: dict[str, Any]) -> int | None:
    """Features per sample that the model's own ``get_audio_features`` makes of ``media``
    (batch-first ``(batch, n, width)`` or packed ``(batch x n, width)``), else None."""
    import torch

    getter = getattr(model, "get_audio_features", None)
    if getter is None:
        return None
    params = inspect.signature(getter).parameters
    takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
    try:
        with torch.no_grad():
            output = getter(**{k: v for k, v in media.items() if takes_all or k in params})
    except Exception:  # noqa: BLE001 - the getter wants other arguments: no count from it
        return None
    features = getattr(output, "pooler_output", None) if not isinstance(output, torch.Tensor) else output
    if not isinstance(features, torch.Tensor):
        return None
    if features.dim() == 3 and features.shape[0] == synth.BATCH:
        return features.shape[1]
    return features.shape[0] // synth.BATCH if features.dim() == 2 and features.shape[0] % synth.BATCH == 0 else None


def _features_per_image(model: Any, image_token: int, text: dict[str, Any], pixels: dict[str, Any], least: int = 1) -> int:
    """Image features per image: from the (t, h, w) grid (when the model agrees), else learnt from the
    model's mismatch message (e.g. grids with extra row-separator features). The first try has at least
    ``least`` tokens (a model may expand a lone placeholder itself, a legacy path the processor never takes).

    Audio starts from the count the model's own ``get_audio_features`` gives. The message's feature
    number is rows x columns of the feature tensor, so it is either the token count or the token count
    times the hidden size; failing both, the audio count again (once a mask is gone). The candidate that runs wins.
    """
    import torch

    grid = pixels.get("image_grid_thw", pixels.get("grid_thw"))
    # audio: the encoder's own count first, as some models scatter the features unchecked (VibeVoice ASR)
    own = _own_audio_feature_count(model, pixels) if grid is None else None
    guess = max(least, synth.grid_tokens(model.config, grid[0]) if grid is not None else own or 1)
    try:
        _run_with_image_tokens(model, image_token, guess, text, pixels)
        return guess
    except Exception as error:  # noqa: BLE001 - the mismatch message carries the count
        match = _MISMATCH.search(str(error))
        if match is None:
            raise
        reported, mismatch = int(match.group(2)), error
    hidden = getattr(synth.text_config(model.config), "hidden_size", 1)
    candidates = [n for n in (reported // synth.BATCH, reported // (synth.BATCH * hidden), reported) if n > 0]
    candidates += [own] if own else []  # when the message counts samples, not features (Granite Speech)
    for count in dict.fromkeys(candidates):
        try:
            with torch.no_grad():
                _run_with_image_tokens(model, image_token, count, text, pixels)
            return count
        except Exception as error:  # noqa: BLE001
            if _MISMATCH.search(str(error)) is None:
                raise
    raise mismatch  # no count fits this layout: the caller tries the next one


def _run_with_image_tokens(model: Any, image_token: int, count: int, text: dict[str, Any], pixels: dict[str, Any]) -> None:
    import torch

    with torch.no_grad():
        inputs = {**synth.with_image_tokens(text, image_token, count), **pixels}
        if "mm_token_type_ids" in synth.forward_params(model):
            inputs["mm_token_type_ids"] = inputs["input_ids"].eq(image_token).long()
        model(**inputs)
