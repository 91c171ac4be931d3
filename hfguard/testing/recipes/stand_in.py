"""Inputs of models whose forward names its main input generically, as ``hfguard.catalogue`` reads them.

Embeddings: a required ``*_embeds`` (a Q-Former's ``query_embeds``, a drafter's ``noise_embeds``, the
speech-encoder states ``inputs_embeds`` of a word-timestamp head) is ``(batch, seq, hidden_size)``. The
other tensors such a forward reads are sized from the config: the cross-attended ``encoder_hidden_states``
at ``encoder_hidden_size`` (given when the config names that width, so the cross-attention layers run),
and a required context ``*hidden_states`` at the width its own input projection reads (it says so when it
refuses another: a drafter reads several target layers' states concatenated).

A bare first input (``synth.bare_main_input``) stands for the class's ``main_input_name``: for
``input_values`` it is audio, a waveform ``(batch, channels, samples)`` for an acoustic encoder or
continuous latents ``(batch, width, frames)`` for its decoder; ``recipes.audio`` fits which one runs.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth

# inputs of the families' own recipes: a forward taking one of them is not read generically
_NAMED_INPUTS = frozenset({"input_ids", "pixel_values", "input_values", "input_features", "past_values"})
_MAX_WIDTH_TRIES = 3


def embedding_inputs(model: Any, seq: int = synth.SEQ) -> dict[str, Any] | None:
    """Embeddings (and the hidden states they attend to) for a forward that requires ``*_embeds``, else ``None``."""
    import torch

    params, required = synth.forward_params(model), synth.required_params(model)
    embeds = sorted(name for name in required if name.endswith("embeds"))
    if not embeds or params & _NAMED_INPUTS:
        return None
    config = model.config
    inputs = {name: torch.randn(synth.BATCH, seq, config.hidden_size, generator=synth.generator(i))
              for i, name in enumerate(embeds)}
    width = getattr(config, "encoder_hidden_size", None)
    if "encoder_hidden_states" in params and isinstance(width, int):
        inputs["encoder_hidden_states"] = torch.randn(synth.BATCH, seq, width, generator=synth.generator(5))
    context = sorted(name for name in required - set(inputs) if name.endswith("hidden_states"))
    return _fitted_context(model, inputs, context, seq) if context else inputs


def _fitted_context(model: Any, inputs: dict[str, Any], context: list[str], seq: int) -> dict[str, Any]:
    """``inputs`` plus required context hidden states, at ``hidden_size`` or at the width the model's
    input projection names when it refuses that one (``mat1 and mat2 shapes cannot be multiplied``)."""
    import torch

    width = model.config.hidden_size
    for _ in range(_MAX_WIDTH_TRIES):
        states = {name: torch.randn(synth.BATCH, seq, width, generator=synth.generator(6)) for name in context}
        try:
            with torch.no_grad():
                model(**inputs, **states)
            return {**inputs, **states}
        except RuntimeError as error:
            product = synth.MATMUL.search(str(error))
            if product is None or int(product.group(2)) != width:
                raise
            width = int(product.group(3))
    raise AssertionError(f"no context width of {model.__class__.__name__} runs after {_MAX_WIDTH_TRIES} tries")


def stand_in_waveform(model: Any, key: str, seed: int = 3) -> dict[str, Any]:
    """A waveform ``(batch, channels, samples)`` under ``key``, with the config's channel count (default mono)."""
    import torch

    config = model.config
    channels = next((getattr(config, k) for k in ("channels", "audio_channels") if isinstance(getattr(config, k, None), int)), 1)
    return {key: torch.randn(synth.BATCH, channels, synth.AUDIO_SAMPLES, generator=synth.generator(seed))}
