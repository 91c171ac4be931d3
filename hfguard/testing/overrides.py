"""ONE reviewed table of per-model-type quirks, as data.

Each entry maps a model type to tiny-config overrides (applied after the generic shrinker,
before the registry entry's ``tiny``; a nested table overrides a sub-config) plus reserved keys:

- ``needs``: an optional package the model requires; its tests skip when it is missing;
- ``skip`` / ``xfail``: a reason; the generated tests are skipped / expected to fail;
- ``inputs``: hints for the synthetic inputs (e.g. ``{"seq_len": 16}``).

Values are learnt from the model testers in transformers' own test suite.
"""

from __future__ import annotations

from typing import Any

RESERVED = ("needs", "skip", "xfail", "inputs")

_FORECAST = {"prediction_length": 4, "context_length": 8, "lags_sequence": [1, 2], "num_time_features": 1}
_SWIN = {"window_size": 4, "image_size": 128}  # every stage keeps at least one full window

_TIMM = {"needs": "timm"}  # a timm backbone by default
_PIL = {"needs": "PIL"}  # a TimmWrapper vision tower, which needs Pillow (and timm)
_SCIPY = {"needs": "scipy"}  # Hungarian-matching losses built with the model

OVERRIDES: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("detr", "conditional_detr", "dab-detr", "deformable_detr", "omdet-turbo", "table-transformer",
                     "timm_backbone"), _TIMM),
    **dict.fromkeys(("timm_wrapper", "fast_vlm", "gemma3n", "gemma3n_vision", "edgetam", "edgetam_vision_model",
                     "perception_lm", "pe_audio_video", "pe_audio_video_encoder", "pe_video", "pe_video_encoder"), _PIL),
    **dict.fromkeys(("mask2former", "oneformer", "inkling_mm_model"), _SCIPY),
    "dinat": {"needs": "natten"},
    "layoutlmv2": {"needs": "detectron2"},
    "autoformer": _FORECAST,
    "informer": _FORECAST,
    "time_series_transformer": _FORECAST,
    "esm": {"vocab_size": 33, "pad_token_id": 1},  # the default config has no vocabulary
    "bamba": {"attn_layer_indices": [1]},  # the default has no attention layer, so no cache to generate with
    "swin": _SWIN,
    "swinv2": _SWIN,
    "donut-swin": _SWIN,
    "maskformer-swin": _SWIN,
    "swin2sr": {"window_size": 4, "image_size": 16},
}


def config_overrides(model_type: str) -> dict[str, Any]:
    """Tiny-config overrides of ``model_type`` (without the reserved keys)."""
    return {k: v for k, v in OVERRIDES.get(model_type, {}).items() if k not in RESERVED}


def known_issue(model_type: str) -> dict[str, str]:
    """The ``needs`` / ``skip`` / ``xfail`` data of ``model_type``."""
    return {k: v for k, v in OVERRIDES.get(model_type, {}).items() if k in ("needs", "skip", "xfail")}


def input_hints(model_type: str) -> dict[str, Any]:
    """Hints for the synthetic inputs of ``model_type``."""
    return dict(OVERRIDES.get(model_type, {}).get("inputs", {}))
