"""The family dispatcher: which recipe builds a model's synthetic inputs, chosen by its family, forward
signature and config. Primitives live in ``hfguard.testing.synth``, layouts in ``hfguard.testing.recipes``."""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth
from hfguard.testing.recipes.audio import codebook_inputs, fitted_audio_inputs
from hfguard.testing.recipes.diffusion import canvas_inputs
from hfguard.testing.recipes.image_generation import image_to_image_inputs
from hfguard.testing.recipes.media import media_token_inputs
from hfguard.testing.recipes.multimodal import patch_pixels
from hfguard.testing.recipes.robotics import action_inputs
from hfguard.testing.recipes.stand_in import embedding_inputs
from hfguard.testing.recipes.vision import vision_inputs


def make_inputs(model: Any, family: str, hints: dict[str, Any] | None = None, task: str | None = None) -> dict[str, Any]:
    """The synthetic inputs of ``family`` (and ``task``) for ``model`` (same values on every call)."""
    import torch

    inputs = _family_inputs(model, family, hints or {})
    params = synth.forward_params(model)
    required = synth.required_params(model)
    if "input_ids" in required and "input_ids" not in inputs:  # text-prompted vision models (open-set detection)
        inputs.update(synth.text_inputs(model))
    if task == "keypoint-matching":  # pairs of images
        inputs["pixel_values"] = torch.stack([inputs["pixel_values"], inputs["pixel_values"].flip(-1)], dim=1)
    if "pixel_values" in inputs and "pixel_values" not in params and "pixel_values_videos" in params:
        inputs["pixel_values_videos"] = inputs.pop("pixel_values")
    return inputs


def _family_inputs(model: Any, family: str, hints: dict[str, Any]) -> dict[str, Any]:
    """The recipe of one family, chosen by the forward signature where families vary."""
    seq = hints.get("seq_len", synth.SEQ)
    embedded = embedding_inputs(model, seq)  # a forward reading embeddings, no named input (Q-Former, drafters)
    if embedded is not None:
        return embedded
    params = synth.forward_params(model)
    if family in ("encoder-only", "decoder-only"):
        return synth.text_inputs(model, seq)
    if family == "encoder-decoder":
        return {**synth.text_inputs(model, seq), **synth.decoder_inputs(model, seq)}
    if family in ("vision", "vision-dense"):
        return vision_inputs(model, hints)
    if family == "video":
        return synth.video_inputs(model)
    if family in ("speech", "speech-seq2seq"):  # transducers (RNN-T/TDT) also read decoder tokens
        if family == "speech-seq2seq" and not params & {"input_features", "input_values"}:
            return codebook_inputs(model, seq)  # audio as codec tokens
        if family == "speech-seq2seq" and "input_ids" in params and "decoder_input_ids" not in params:
            return media_token_inputs(model, seq)  # audio language models
        tokens = synth.decoder_inputs(model, seq) if "decoder_input_ids" in params else \
            synth.text_inputs(model, seq) if "input_ids" in params else {}  # contrastive audio-text models read text
        return {**fitted_audio_inputs(model, tokens), **tokens}
    if family == "text-to-audio":
        inputs = synth.text_inputs(model, seq)
        return {**inputs, **synth.decoder_inputs(model, seq)} if "decoder_input_ids" in params else inputs
    if family == "vision-text":
        if "images_per_sample" in params:  # image-to-image generators: (source, target) image pairs
            return image_to_image_inputs(model, seq)
        if any(isinstance(getattr(model.config, name, None), int) for name in synth.IMAGE_TOKENS):  # encoders of image-text
            return media_token_inputs(model, seq)  # LMs (T5Gemma 2) read the images at their placeholder tokens
        video = any(isinstance(getattr(c, "num_frames", None), int) for c in (synth.vision_config(model.config), model.config))
        pixels = synth.video_inputs(model) if video else patch_pixels(model, synth.BATCH) or {"pixel_values": synth.pixel_values(model.config)}
        return {**synth.text_inputs(model, seq), **pixels}
    if family == "multimodal-lm":
        return action_inputs(model, synth.BATCH, seq) or canvas_inputs(model, synth.BATCH, seq) \
            or media_token_inputs(model, seq, hints.get("least_media_tokens", 1))
    if family == "time-series":
        return synth.time_series_inputs(model)
    raise ValueError(f"no input recipe for family '{family}'")
