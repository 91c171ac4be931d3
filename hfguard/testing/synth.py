"""Input primitives shared by every recipe: sizes, seeded generators, token ids, images, audio, config lookups.

Recipes (``hfguard.testing.recipes``) build their layouts on these; the family dispatcher
(``hfguard.testing.inputs``) picks a recipe. Nothing here imports a recipe or the dispatcher.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

BATCH = 2
VOCAB_FALLBACK = 99
SEQ = 8
AUDIO_SAMPLES = 1600
FRAMES = 2

_TEXT_CONFIGS = ("text_config", "language_config", "llm_config", "decoder", "text_decoder_config")
_VISION_CONFIGS = ("vision_config", "backbone_config", "vision_encoder_config", "image_config", "encoder")


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
    """Every special token id in ``config`` and its sub-configs, and the image-code tokens of a VQ
    ``vocabulary_map`` (Chameleon, Emu3), kept out of random text."""
    ids: set[int] = set()
    for name, value in config.to_dict().items():
        if name == "vocabulary_map" and isinstance(value, dict):
            ids |= {v for v in value.values() if isinstance(v, int)}
        elif isinstance(value, dict):
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

    vocab, special = vocab_size(config), special_ids(config)
    allowed = torch.tensor([i for i in range(vocab) if i not in special] or [0])
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


def grid_tokens(config: Any, grid_row: Any) -> int:
    """Image tokens of one (t, h, w) patch grid: its patches, merged ``spatial_merge_size`` squared to a token."""
    merge = getattr(vision_config(config), "spatial_merge_size", 1)
    return int(grid_row.prod()) // merge**2


def with_image_tokens(text: dict[str, Any], image_token: int, count: int) -> dict[str, Any]:
    """``text`` with ``count`` image placeholder tokens in front of every sample."""
    import torch

    ids = torch.cat([torch.full((text["input_ids"].shape[0], count), image_token), text["input_ids"]], dim=1)
    return {**text, "input_ids": ids, **({"attention_mask": torch.ones_like(ids)} if "attention_mask" in text else {})}


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

# "mat1 and mat2 shapes cannot be multiplied (AxB and CxD)": the width an input projection wants
MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")


def bare_main_input(model_class: Any, mains: tuple[str, ...] = ("input_values",)) -> str | None:
    """The forward's first input when it is bare (required, with no type or a tensor type) and stands for the
    class's ``main_input_name`` (one of ``mains``, the main inputs the recipes build) under another name; else None."""
    import torch

    params = list(inspect.signature(model_class.forward).parameters.values())[1:]
    first = params[0] if params else None
    main = getattr(model_class, "main_input_name", None)
    if first is None or first.default is not first.empty or first.annotation not in (first.empty, torch.Tensor):
        return None
    return first.name if main in mains and first.name != main else None
