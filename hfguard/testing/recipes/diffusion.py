"""Block-diffusion language models (DiffusionGemma): an encoder reads the multimodal prompt into a cache and
a decoder refines a canvas of ``canvas_length`` tokens that reads the cache.

Their forward hands the media to the encoder through ``**kwargs``, so the prompt (placeholder tokens and
media) is built for the encoder, whose forward names them, and the canvas is given as ``decoder_input_ids``
(the model would sample a random canvas when it is missing).
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth
from hfguard.testing.recipes.media import media_token_inputs


def canvas_inputs(model: Any, batch: int, seq: int) -> dict[str, Any] | None:
    """The encoder's multimodal prompt plus a random canvas; ``None`` unless the model's forward takes a
    canvas but leaves the media to its encoder."""
    params = synth.forward_params(model)
    if "pixel_values" in params or "decoder_input_ids" not in params or not hasattr(model, "get_encoder"):
        return None
    encoder = model.get_encoder()
    if encoder is model or "pixel_values" not in synth.forward_params(encoder):
        return None
    canvas = synth.token_ids(model.config, (batch, getattr(model.config, "canvas_length", synth.SEQ)), seed=2)
    return {**media_token_inputs(encoder, seq), "decoder_input_ids": canvas}
