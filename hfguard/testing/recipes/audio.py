"""Audio input layouts: the synthetic waveform / features / latents a speech model actually accepts.

Speech models disagree on layouts that their configs do not spell out: waveforms as
``(batch, samples)`` or ``(batch, 1, samples)``, log-mel features as ``(batch, frames, mel)`` or
``(batch, mel, frames)``, lengths that must be a multiple of a window or hop, front ends whose
feature width is fixed in code. ``fitted_audio_inputs`` tries the plausible layouts in a fixed order
with one forward pass each and keeps the first that runs; a refusal that names what it wants ("a
multiple of N", "input too short", the input projection's width) resizes the layout accordingly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from hfguard.testing import synth
from hfguard.testing.recipes.stand_in import stand_in_waveform

_MULTIPLE = re.compile(r"multiple of([^,]{0,60})", re.I)  # "a multiple of `n_window * 2` (100), but got 16"
_TOO_SHORT = re.compile(r"Kernel size can't be greater than actual input size|Output size is too small", re.I)
MAX_SAMPLES = 16_000
MAX_TRIES = 12
# config attributes that may give the channel count of a decoder's continuous latents
_LATENT_WIDTHS = ("hidden_size", "codebook_dim", "latent_dim", "dimension", "hidden_dim")
_MASKS = ("feature_attention_mask", "input_features_mask", "attention_mask", "padding_mask")


def fitted_audio_inputs(model: Any, extra: dict[str, Any] | None = None, passed: re.Pattern[str] | None = None) -> dict[str, Any]:
    """The first audio layout ``model`` runs on (with ``extra`` inputs, e.g. decoder tokens).

    An error matching ``passed`` counts as running: the audio got through and something later
    refused (e.g. a language model's placeholder-token count, fitted afterwards).
    """
    import torch

    extra = extra or {}
    first_error: Exception | None = None
    pending = list(_candidates(model, extra))
    for _ in range(MAX_TRIES):
        if not pending:
            break
        inputs, key, axis = pending.pop(0)
        try:
            with torch.no_grad():
                model(**inputs, **extra)
            return inputs
        except Exception as error:  # noqa: BLE001 - try the next layout, report the first failure
            if passed is not None and passed.search(str(error)):
                return inputs
            first_error = first_error or error
            retry = _retry(inputs, key, axis, str(error))
            if retry is not None:
                pending.insert(0, retry)
    assert first_error is not None
    raise first_error


def _retry(inputs: dict[str, Any], key: str, axis: int, message: str) -> tuple[dict[str, Any], str, int] | None:
    """The resized layout a refusal asks for: a longer time axis, or the feature width the input projection reads."""
    value = inputs[key]
    length = value.shape[axis]
    multiple = _required_multiple(message)
    size = -(-length // multiple) * multiple if multiple > 1 and length % multiple else \
        2 * length if _TOO_SHORT.search(message) else 0
    if length < size <= MAX_SAMPLES:
        return _resized(inputs, key, axis, size, masks=True), key, axis
    product = synth.MATMUL.search(message)
    if key != "input_features" or product is None:
        return None
    # the projection after the front end read (features x k) values per frame but wants (width x k)
    got, wanted, features = int(product.group(2)), int(product.group(3)), value.shape[-1]
    width = wanted * features // got if got % features == 0 and wanted * features % got == 0 else 0
    return (_resized(inputs, key, value.dim() - 1, width, masks=False), key, axis) if 0 < width != features else None


def _required_multiple(message: str) -> int:
    """The N of a "length must be a multiple of N" refusal (the largest number named), else 0."""
    match = _MULTIPLE.search(message)
    numbers = [int(n) for n in re.findall(r"\d+", match.group(1))] if match else []
    return max(numbers, default=0)


def _candidates(model: Any, extra: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, int]]:
    """(inputs, media key, time axis) layouts, the shared recipe's own first."""
    import torch

    required = synth.required_params(model)
    if "latents" in required:  # codec decoders read continuous latents (batch, channels, frames)
        yield from _latent_candidates(model)
        return
    stand_in = synth.bare_main_input(type(model))  # a bare input for the class's input_values: a waveform, else codec latents
    if stand_in is not None:
        yield stand_in_waveform(model, stand_in), stand_in, 2
        yield from _latent_candidates(model, stand_in)
        return
    base = synth.audio_inputs(model)
    if "audio_mel" in required:  # Gemma 3n: mel frames and a padding mask (True marks padding)
        mel = base["input_features"]
        yield {"audio_mel": mel, "audio_mel_mask": torch.zeros(mel.shape[:2], dtype=torch.bool)}, "audio_mel", 1
        return
    if "input_values" in base and "input_features" in required:  # codecs with a semantic (mel) branch
        yield from _waveform_and_features(model, base)
        return
    key = "input_values" if "input_values" in base else "input_features"
    per_token = getattr(model.config, "audio_length_per_tok", None)
    if key == "input_features" and isinstance(per_token, int) and "input_ids" in extra:
        # audio embeddings are added to the text embeddings, one per token (Voxtral Realtime)
        base = _resized(base, key, 1, extra["input_ids"].shape[-1] * per_token, masks=True)
    value = base[key]
    yield base, key, value.dim() - 1 if key == "input_values" else 1
    if key == "input_values" and value.dim() == 2:
        yield {**base, key: value.unsqueeze(1)}, key, 2
    elif key == "input_features" and value.dim() == 3:  # (batch, mel, frames), conv front ends
        yield {**base, key: value.transpose(1, 2).contiguous()}, key, 2
        yield {**base, key: value.unsqueeze(1)}, key, 2  # (batch, 1, frames, mel): spectrograms as one-channel images (CLAP)
    if key == "input_values" and "padding_mask" in synth.forward_params(model):  # a mask some read unconditionally
        wave = value if value.dim() == 3 else value.unsqueeze(1)  # (VibeVoice): every sample is real audio
        yield {**base, key: wave, "padding_mask": torch.ones(wave.shape[0], wave.shape[-1], dtype=torch.bool)}, key, 2


def _latent_candidates(model: Any, key: str = "latents") -> Iterator[tuple[dict[str, Any], str, int]]:
    """Latents ``(batch, width, frames)`` under ``key`` for each width the config names."""
    import torch

    config = model.config
    widths = dict.fromkeys(getattr(config, k) for k in _LATENT_WIDTHS if isinstance(getattr(config, k, None), int))
    for width in widths:
        latents = torch.randn(synth.BATCH, width, synth.SEQ, generator=synth.generator(3))
        yield {key: latents}, key, 2


def _waveform_and_features(model: Any, base: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, int]]:
    """A mono waveform ``(batch, 1, samples)`` plus mel features ``(batch, mel, frames)`` of the same clip."""
    import torch

    config = model.config
    sub = synth.sub_config(config, ("semantic_model_config", "semantic_config", "encoder_config"))
    mel = synth.feature_size(sub)
    wave = base["input_values"]
    wave = wave.unsqueeze(1) if wave.dim() == 2 else wave
    ratios = getattr(config, "downsampling_ratios", None)
    hop = math.prod(ratios) if isinstance(ratios, list) else getattr(config, "hop_length", 320)
    frames = max(1, wave.shape[-1] // hop)
    for features in (torch.randn(synth.BATCH, mel, frames, generator=synth.generator(4)),
                     torch.randn(synth.BATCH, frames, mel, generator=synth.generator(4))):
        yield {"input_values": wave, "input_features": features}, "input_values", 2


def _resized(inputs: dict[str, Any], key: str, axis: int, size: int, masks: bool) -> dict[str, Any]:
    """``inputs`` with axis ``axis`` of ``key`` resized to ``size`` (and the frame masks, when it is time)."""
    import torch

    value = inputs[key]
    shape = list(value.shape)
    shape[axis] = size
    out = {**inputs, key: torch.randn(*shape, generator=synth.generator(3))}
    for mask in _MASKS if masks else ():
        if mask in inputs and inputs[mask].shape[-1] == value.shape[axis]:
            out[mask] = torch.ones(*inputs[mask].shape[:-1], size, dtype=inputs[mask].dtype)
    return out


def codebook_inputs(model: Any, seq: int = synth.SEQ) -> dict[str, Any]:
    """Inputs of a speech model whose forward reads audio as codec tokens, not as sound (its codec runs
    only outside the forward): text and the decoder's audio codes ``(batch, seq, channels)`` from the
    start token (Dia), or a text stream stacked with the audio codebook streams,
    ``input_ids (batch, seq, 1 + codebooks)`` (Kyutai speech-to-text)."""
    import torch

    config = model.config
    text = synth.text_inputs(model, seq)
    if "decoder_input_ids" in synth.forward_params(model):
        decoder = config.decoder_config
        # not the flat (batch x channels, seq) layout: DiaModel transposes it into a strided tensor that
        # DiaMultiChannelEmbedding.forward then .view()s, which fails
        codes = synth.token_ids(decoder, (synth.BATCH, seq, decoder.num_channels), seed=2)
        codes[:, 0] = decoder.bos_token_id
        return {**text, "decoder_input_ids": codes}
    # the last codebook id is the audio pad / start token (the tester draws below it too)
    codes = torch.randint(0, config.codebook_vocab_size - 1, (synth.BATCH, seq, config.num_codebooks),
                          generator=synth.generator(4))
    return {**text, "input_ids": torch.cat([text["input_ids"].unsqueeze(-1), codes], dim=-1)}
