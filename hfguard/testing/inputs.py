"""Synthetic, deterministic inputs for a tiny model, driven by its forward signature and config."""

from __future__ import annotations

import inspect
import re
from typing import Any

from hfguard.testing.recipes_multimodal import (
    anyres_pixels,
    cropped_images,
    cross_attended_images,
    embeds_position_inputs,
    extra_layouts,
    flattened_patches,
    patch_pixels,
    positioned_image_patches,
)
from hfguard.testing.recipes_pooled import pooled_patches

BATCH = 2
VOCAB_FALLBACK = 99
SEQ = 8
AUDIO_SAMPLES = 1600
FRAMES = 2

_TEXT_CONFIGS = ("text_config", "language_config", "llm_config", "decoder", "text_decoder_config")
_VISION_CONFIGS = ("vision_config", "backbone_config", "vision_encoder_config", "image_config", "encoder")
# a model's image token / feature count mismatch: its own message, or scattering the features (index_put)
_MISMATCH = re.compile(r"(?:tokens:?\s*(\d+)\D+features:?|value tensor of shape \[)\s*(\d+)", re.I)


def forward_params(model: Any) -> set[str]:
    """Names the model's forward accepts."""
    return set(inspect.signature(model.forward).parameters)


def required_params(model: Any) -> set[str]:
    """Names the model's forward cannot do without."""
    return {name for name, p in inspect.signature(model.forward).parameters.items() if p.default is p.empty
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def sub_config(config: Any, names: tuple[str, ...]) -> Any:
    """The first of ``names`` that is a sub-config of ``config``, else ``config`` itself."""
    for name in names:
        sub = getattr(config, name, None)
        if sub is not None and hasattr(sub, "to_dict"):
            return sub
    return config


def text_config(config: Any) -> Any:
    """The config holding the vocabulary (the text sub-config of composite models)."""
    return config if isinstance(getattr(config, "vocab_size", None), int) else sub_config(config, _TEXT_CONFIGS)


def vocab_size(config: Any) -> int:
    """The text vocabulary size (models over bytes or code points have none: any small id works)."""
    size = getattr(text_config(config), "vocab_size", None)
    return size if isinstance(size, int) else VOCAB_FALLBACK


def vision_config(config: Any) -> Any:
    """The config describing the pixels (the vision sub-config of composite models)."""
    return sub_config(config, _VISION_CONFIGS)


def special_ids(config: Any) -> set[int]:
    """Every special token id in ``config`` and its sub-configs (kept out of random text)."""
    ids: set[int] = set()
    for name, value in config.to_dict().items():
        if isinstance(value, dict):
            ids |= {v for k, v in value.items() if _is_token_key(k) and isinstance(v, int)}
        elif _is_token_key(name):
            ids |= {v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int)}
    return ids


def _is_token_key(name: object) -> bool:
    return isinstance(name, str) and name.endswith(("token_id", "token_index", "token_ids", "_start_id", "_end_id", "_patch_id"))


def generator(seed: int = 0) -> Any:
    """A seeded CPU torch generator."""
    import torch

    return torch.Generator().manual_seed(seed)


def token_ids(config: Any, shape: tuple[int, ...], seed: int = 0) -> Any:
    """Random token ids inside the vocabulary, avoiding special tokens."""
    import torch

    vocab = vocab_size(config)
    allowed = torch.tensor([i for i in range(vocab) if i not in special_ids(config)] or [0])
    picks = torch.randint(0, len(allowed), shape, generator=generator(seed))
    return allowed[picks]


def image_shape(config: Any) -> tuple[int, int, int]:
    """(channels, height, width) of one image for ``config``."""
    vision = vision_config(config)
    channels = next((getattr(vision, k) for k in ("num_channels", "in_channels", "input_channels", "in_chans")
                     if isinstance(getattr(vision, k, None), int)), 3)
    backbone = getattr(vision, "backbone_config", None)
    size = getattr(vision, "image_size", None) or getattr(backbone, "image_size", None) or getattr(config, "image_size", None) \
        or getattr(config, "max_img_size", None) or 32
    height, width = (size, size) if isinstance(size, int) else (size[0], size[-1])
    return channels, height, width


def pixel_values(config: Any, batch: int = BATCH, seed: int = 1, channels: int | None = None) -> Any:
    """Random images (batch, channels, height, width)."""
    import torch

    default, height, width = image_shape(config)
    return torch.randn(batch, channels or default, height, width, generator=generator(seed))


def text_inputs(model: Any, seq: int = SEQ) -> dict[str, Any]:
    """Token ids and attention mask."""
    import torch

    config, params = model.config, forward_params(model)
    ids = token_ids(config, (BATCH, seq))
    inputs = {"input_ids": ids}
    if "attention_mask" in params:
        inputs["attention_mask"] = torch.ones_like(ids)
    if "bbox" in params:  # layout models: one (empty) box per token
        inputs["bbox"] = torch.zeros(BATCH, seq, getattr(config, "dim_bbox", 4), dtype=torch.long)
    if "visual_feats" in params:  # region features of visual-language encoders
        inputs["visual_feats"] = torch.randn(BATCH, 4, config.visual_feat_dim, generator=generator(6))
        inputs["visual_pos"] = torch.rand(BATCH, 4, config.visual_pos_dim, generator=generator(7))
    if "lang_ids" in params:
        inputs["lang_ids"] = torch.zeros(BATCH, dtype=torch.long)
    if "qformer_input_ids" in params:  # Q-Former instructions: the text prompt again
        inputs["qformer_input_ids"] = ids.clone()
        inputs["qformer_attention_mask"] = torch.ones_like(ids)
    return inputs


def decoder_start(config: Any) -> int:
    """The token a decoder starts from."""
    for source in (config, text_config(config), getattr(config, "decoder", None)):
        for name in ("decoder_start_token_id", "pad_token_id", "bos_token_id"):
            value = getattr(source, name, None) if source is not None else None
            if isinstance(value, int):
                return value
    return 0


def decoder_inputs(model: Any, seq: int = SEQ) -> dict[str, Any]:
    """Decoder token ids starting with the decoder start token (one row per codebook for audio decoders)."""
    codebooks = getattr(sub_config(model.config, ("decoder",)), "num_codebooks", 1)
    ids = token_ids(model.config, (BATCH * codebooks, seq), seed=2)
    ids[:, 0] = generation_start(model)
    return {"decoder_input_ids": ids}


def generation_start(model: Any) -> int:
    """The token ``generate`` starts the decoder from (it prepends it to decoder prompts that lack it): the
    generation config's decoder start token, else its bos token (e.g. T5Gemma 2), else ``decoder_start``."""
    generation = getattr(model, "generation_config", None)
    starts = (getattr(generation, "decoder_start_token_id", None), getattr(generation, "bos_token_id", None))
    return next((start for start in starts if isinstance(start, int)), decoder_start(model.config))


def feature_size(config: Any) -> int:
    """Features per audio frame (stacked frames count once per stacked frame, e.g. w2v-BERT's 2 x 80)."""
    stacked = getattr(config, "num_stacked_frames", 1)
    return stacked * next((getattr(config, k) for k in ("feature_projection_input_dim", "num_mel_bins", "feature_size",
                                              "input_feat_per_channel", "n_mels", "input_feat_size", "input_dim")
                 if isinstance(getattr(config, k, None), int)), 80)


def audio_inputs(model: Any, seed: int = 3, samples: int = AUDIO_SAMPLES) -> dict[str, Any]:
    """Raw waveforms (``input_values``) or log-mel features (``input_features``)."""
    import torch

    params = forward_params(model)
    config = sub_config(model.config, ("audio_config", "encoder_config", "speech_config", "asr_config"))
    if "input_values" in params and isinstance(getattr(config, "num_mel_bins", None), int) \
            and isinstance(getattr(config, "max_length", None), int):  # spectrogram patches: (batch, frames, mel)
        return {"input_values": torch.randn(BATCH, config.max_length, config.num_mel_bins, generator=generator(seed))}
    if "input_values" in params:
        channels = getattr(config, "audio_channels", None)
        shape = (BATCH, samples) if not isinstance(channels, int) else (BATCH, channels, samples)
        return {"input_values": torch.randn(*shape, generator=generator(seed))}
    mel = feature_size(config)
    positions = getattr(config, "max_source_positions", None)
    if isinstance(positions, int) and hasattr(config, "num_mel_bins"):  # whisper style: (batch, mel, 2 * positions)
        features, frames = torch.randn(BATCH, mel, 2 * positions, generator=generator(seed)), 2 * positions
    else:
        channels = getattr(config, "input_channels", 1)
        features, frames = torch.randn(BATCH, 32, mel * channels, generator=generator(seed)), 32
    inputs = {"input_features": features}
    for mask in ("feature_attention_mask", "input_features_mask"):
        if mask in params:
            inputs[mask] = torch.ones(BATCH, frames, dtype=torch.long)
    return inputs


def video_inputs(model: Any, seed: int = 4) -> dict[str, Any]:
    """Random videos (batch, frames, channels, height, width)."""
    import torch

    vision = vision_config(model.config)
    frames = next((getattr(c, k) for c in (vision, model.config) for k in ("num_frames", "frames_per_clip")
                   if isinstance(getattr(c, k, None), int)), FRAMES)
    channels, height, width = image_shape(model.config)
    return {"pixel_values": torch.randn(BATCH, frames, channels, height, width, generator=generator(seed))}


def time_series_inputs(model: Any, seed: int = 5) -> dict[str, Any]:
    """Past values (and masks, time features, future values) sized from the config."""
    import torch

    config, params = model.config, forward_params(model)
    context = getattr(config, "context_length", 32)
    lags = max(getattr(config, "lags_sequence", None) or [0])
    channels = getattr(config, "num_input_channels", None)
    gen = generator(seed)
    length = context + lags
    shape = (BATCH, length) if channels is None else (BATCH, length, channels)
    inputs = {"past_values": torch.randn(*shape, generator=gen)}
    if "past_observed_mask" in params:
        inputs["past_observed_mask"] = torch.ones(*shape)
    features = getattr(config, "num_time_features", 0)
    if "past_time_features" in params and features:
        inputs["past_time_features"] = torch.randn(BATCH, length, features, generator=gen)
    return inputs


MEDIA_KEYS = ("pixel_values", "image_pixel_values", "flattened_patches", "hidden_states", "pixel_values_videos", "input_features", "input_values",
              "protein_input_ids")
IMAGE_TOKENS = ("image_token_id", "image_token_index", "video_token_id", "video_token_index")  # config names of placeholders


def media_inputs(model: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Images (or, for audio language models, audio; for protein-text models, proteins) and the config
    names of their placeholder token."""
    import torch

    from hfguard.testing.recipes_protein import protein_inputs  # it builds on this module

    config, params = model.config, forward_params(model)
    proteins = protein_inputs(model, BATCH)
    if proteins is not None:  # the text cross-attends to the protein: no placeholder tokens
        return proteins, ()
    audio_only = getattr(config, "vision_config", None) is None and not params & {"pixel_values", "grid_thw"}
    if audio_only and params & {"input_features", "input_values"} or getattr(config, "audio_config", None) is not None \
            and getattr(config, "vision_config", None) is None:
        from hfguard.testing.recipes_audio import fitted_audio_inputs

        return fitted_audio_inputs(model, text_inputs(model), passed=_MISMATCH), ("audio_token_id", "audio_token_index")
    pixels = grid_pixels(model) if params & {"grid_thw", "image_grid_thw"} else \
        patch_pixels(model, BATCH) or positioned_image_patches(model) or pooled_patches(model, BATCH) \
        or flattened_patches(model, BATCH) or {"pixel_values": pixel_values(config)}
    if "image_sizes" in params and getattr(config, "image_grid_pinpoints", None) is None:  # pixtral style
        pixels["image_sizes"] = torch.tensor([list(image_shape(config)[1:])] * BATCH)
    elif "image_sizes" in params and "pixel_values" in pixels:  # anyres tiles
        pixels = anyres_pixels(model, pixels, BATCH)
    if "image_pixel_values" in params and "pixel_values" not in params:  # global view and crops
        pixels = cropped_images(model, pixels["pixel_values"])
    if "high_res_pixel_values" in params:  # DeepSeek-VL hybrid: images for its high-resolution (SAM) tower too
        pixels["high_res_pixel_values"] = pixel_values(config.high_res_vision_config, seed=2)
    return pixels, IMAGE_TOKENS


def media_token_inputs(model: Any, seq: int = SEQ, least_tokens: int = 1) -> dict[str, Any]:
    """Text with as many media placeholder tokens as the media encoder yields features (at least
    ``least_tokens``, see ``_features_per_image``), plus the media."""
    config, params = model.config, forward_params(model)
    media, token_names = media_inputs(model)
    owners = (config, vision_config(config))  # some name the image token in the vision config (Phi-4 multimodal)
    token = next((getattr(c, k) for c in owners for k in token_names if isinstance(getattr(c, k, None), int)), None)
    text = text_inputs(model, seq)
    # encoder-decoder VLMs (Florence-2, T5Gemma 2, UDOP): the decoder reads tokens too (InstructBLIP's forward
    # takes decoder inputs only for its optional T5 language model)
    if "decoder_input_ids" in params and getattr(config, "is_encoder_decoder", False):
        text.update(decoder_inputs(model, seq))
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
    inputs = {**_with_image_tokens(text, token, count), **media}
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
    if features.dim() == 3 and features.shape[0] == BATCH:
        return features.shape[1]
    return features.shape[0] // BATCH if features.dim() == 2 and features.shape[0] % BATCH == 0 else None


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
    guess = max(least, grid_tokens(model.config, grid[0]) if grid is not None else own or 1)
    try:
        _run_with_image_tokens(model, image_token, guess, text, pixels)
        return guess
    except Exception as error:  # noqa: BLE001 - the mismatch message carries the count
        match = _MISMATCH.search(str(error))
        if match is None:
            raise
        reported, mismatch = int(match.group(2)), error
    hidden = getattr(text_config(model.config), "hidden_size", 1)
    candidates = [n for n in (reported // BATCH, reported // (BATCH * hidden), reported) if n > 0]
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


def grid_tokens(config: Any, grid_row: Any) -> int:
    """Image tokens of one (t, h, w) patch grid: its patches, merged ``spatial_merge_size`` squared to a token."""
    merge = getattr(vision_config(config), "spatial_merge_size", 1)
    return int(grid_row.prod()) // merge**2


def _with_image_tokens(text: dict[str, Any], image_token: int, count: int) -> dict[str, Any]:
    """``text`` with ``count`` image placeholder tokens in front of every sample."""
    import torch

    ids = torch.cat([torch.full((text["input_ids"].shape[0], count), image_token), text["input_ids"]], dim=1)
    return {**text, "input_ids": ids, **({"attention_mask": torch.ones_like(ids)} if "attention_mask" in text else {})}


def _run_with_image_tokens(model: Any, image_token: int, count: int, text: dict[str, Any], pixels: dict[str, Any]) -> None:
    import torch

    with torch.no_grad():
        inputs = {**_with_image_tokens(text, image_token, count), **pixels}
        if "mm_token_type_ids" in forward_params(model):
            inputs["mm_token_type_ids"] = inputs["input_ids"].eq(image_token).long()
        model(**inputs)


def grid_pixels(model: Any, seed: int = 1) -> dict[str, Any]:
    """Qwen-VL style flattened patches with their (t, h, w) grid, one image per sample."""
    import torch

    params = forward_params(model)
    vision = vision_config(model.config)
    channels, height, width = image_shape(model.config)
    patch = vision.patch_size
    temporal = getattr(vision, "temporal_patch_size", None) or getattr(vision, "patch_temporal", 1)
    grid = torch.tensor([[1, height // patch, width // patch]] * BATCH)
    patches = int(grid.prod(-1).sum())
    flat = torch.randn(patches, channels * temporal * patch * patch, generator=generator(seed))
    pixel_key = "pixel_values" if "pixel_values" in params else "hidden_states"
    grid_key = "image_grid_thw" if "image_grid_thw" in params else "grid_thw"
    pixels = {pixel_key: flat, grid_key: grid}
    if "image_merge_sizes" in params:  # VideoLLaMA 3: each image's own merge size (its processor merges none)
        pixels["image_merge_sizes"] = torch.full((BATCH,), getattr(vision, "spatial_merge_size", 1))
    return pixels


def make_inputs(model: Any, family: str, hints: dict[str, Any] | None = None, task: str | None = None) -> dict[str, Any]:
    """The synthetic inputs of ``family`` (and ``task``) for ``model`` (same values on every call)."""
    import torch

    inputs = _family_inputs(model, family, hints or {})
    params = forward_params(model)
    required = required_params(model)
    if "input_ids" in required and "input_ids" not in inputs:  # text-prompted vision models (open-set detection)
        inputs.update(text_inputs(model))
    if task == "keypoint-matching":  # pairs of images
        inputs["pixel_values"] = torch.stack([inputs["pixel_values"], inputs["pixel_values"].flip(-1)], dim=1)
    if "pixel_values" in inputs and "pixel_values" not in params and "pixel_values_videos" in params:
        inputs["pixel_values_videos"] = inputs.pop("pixel_values")
    return inputs


def _family_inputs(model: Any, family: str, hints: dict[str, Any]) -> dict[str, Any]:
    """The recipe of one family, chosen by the forward signature where families vary."""
    from hfguard.testing.recipes_stand_in import embedding_inputs  # it builds on this module

    seq = hints.get("seq_len", SEQ)
    embedded = embedding_inputs(model, seq)  # a forward reading embeddings, no named input (Q-Former, drafters)
    if embedded is not None:
        return embedded
    params = forward_params(model)
    if family in ("encoder-only", "decoder-only"):
        return text_inputs(model, seq)
    if family == "encoder-decoder":
        return {**text_inputs(model, seq), **decoder_inputs(model, seq)}
    if family in ("vision", "vision-dense"):
        from hfguard.testing.recipes_vision import vision_inputs  # it builds on this module

        return vision_inputs(model, hints)
    if family == "video":
        return video_inputs(model)
    if family in ("speech", "speech-seq2seq"):  # transducers (RNN-T/TDT) also read decoder tokens
        if family == "speech-seq2seq" and not params & {"input_features", "input_values"}:
            from hfguard.testing.recipes_audio import codebook_inputs

            return codebook_inputs(model, seq)  # audio as codec tokens
        if family == "speech-seq2seq" and "input_ids" in params and "decoder_input_ids" not in params:
            return media_token_inputs(model, seq)  # audio language models
        from hfguard.testing.recipes_audio import fitted_audio_inputs

        tokens = decoder_inputs(model, seq) if "decoder_input_ids" in params else \
            text_inputs(model, seq) if "input_ids" in params else {}  # contrastive audio-text models read text
        return {**fitted_audio_inputs(model, tokens), **tokens}
    if family == "text-to-audio":
        inputs = text_inputs(model, seq)
        return {**inputs, **decoder_inputs(model, seq)} if "decoder_input_ids" in params else inputs
    if family == "vision-text":
        if "images_per_sample" in params:  # image-to-image generators: (source, target) image pairs
            from hfguard.testing.recipes_image_generation import image_to_image_inputs  # it builds on this module

            return image_to_image_inputs(model, seq)
        if any(isinstance(getattr(model.config, name, None), int) for name in IMAGE_TOKENS):  # encoders of image-text
            return media_token_inputs(model, seq)  # LMs (T5Gemma 2) read the images at their placeholder tokens
        video = any(isinstance(getattr(c, "num_frames", None), int) for c in (vision_config(model.config), model.config))
        pixels = video_inputs(model) if video else patch_pixels(model, BATCH) or {"pixel_values": pixel_values(model.config)}
        return {**text_inputs(model, seq), **pixels}
    if family == "multimodal-lm":
        from hfguard.testing.recipes_diffusion import canvas_inputs  # these build on this module
        from hfguard.testing.recipes_robotics import action_inputs

        return action_inputs(model, BATCH, seq) or canvas_inputs(model, BATCH, seq) \
            or media_token_inputs(model, seq, hints.get("least_media_tokens", 1))
    if family == "time-series":
        return time_series_inputs(model)
    raise ValueError(f"no input recipe for family '{family}'")
