"""What a model supports, decided from the model itself: its forward signature, its config, its class attributes
(``_supports_sdpa``, ``supports_gradient_checkpointing``, ``can_generate()``) and the inputs its recipe gives it,
never from its name.

Each function takes ``(case, model)`` and returns None when the capability holds, else the reason it does not
(shown in reports as ``not applicable: <reason>``). Per-type exceptions are data in ``overrides.py``.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth

TOKEN_KEYS = ("input_ids", "decoder_input_ids")
# inputs a model reads as a signal: media, and the past values of a time series
SIGNAL_KEYS = (*synth.MEDIA_KEYS, "past_values", "latents", "audio_mel")


def token_inputs(case: Any, model: Any) -> list[str]:
    """The token-id inputs (batch-first integer tensors) the model's inputs carry."""
    inputs = case.inputs(model)
    return [key for key in TOKEN_KEYS if key in inputs and not inputs[key].is_floating_point() and inputs[key].dim() >= 2]


def signal_inputs(case: Any, model: Any) -> list[str]:
    """The media (and other signal) inputs the model's inputs carry."""
    inputs = case.inputs(model)
    return [key for key in SIGNAL_KEYS if key in inputs and hasattr(inputs[key], "is_floating_point")]


def reads_tokens(case: Any, model: Any) -> str | None:
    """The model reads token ids."""
    return None if token_inputs(case, model) else f"it reads no token ids ({_main_input(case, model)})"


def reads_signal(case: Any, model: Any) -> str | None:
    """The model reads media (images, audio, video, proteins) or another signal."""
    return None if signal_inputs(case, model) else f"it reads no media or signal input ({_main_input(case, model)})"


def masks_tokens(case: Any, model: Any) -> str | None:
    """The model reads token ids with an attention mask over them."""
    inputs = case.inputs(model)
    if "input_ids" not in inputs or inputs["input_ids"].dim() != 2:
        return f"it reads no token ids ({_main_input(case, model)})"
    if "attention_mask" not in synth.forward_params(model):
        return "its forward takes no attention_mask"
    mask = inputs.get("attention_mask")
    return None if mask is not None and mask.shape == inputs["input_ids"].shape else "its attention_mask is not one per token"


def batched(case: Any, model: Any) -> str | None:
    """The inputs hold several samples, each a block of rows of every tensor (batch-first, or packed in equal blocks)."""
    inputs = case.inputs(model)
    batch = case.batch_size()
    if batch < 2:
        return "it runs one sample at a time (its overrides' batch hint)"
    ragged = [key for key, value in inputs.items() if hasattr(value, "shape") and (value.dim() == 0 or value.shape[0] % batch)]
    return f"its inputs {', '.join(ragged)} are not split by sample along their first axis" if ragged else None


def trains(case: Any, model: Any) -> str | None:
    """The model has trainable parameters and a floating output to learn from."""
    if not any(p.requires_grad for p in model.parameters()):
        return "it has no trainable parameter"
    from hfguard.testing.tensors import floating

    return None if floating(case.reference(model)) else "its outputs are all discrete (codes): no loss to learn from"


def checkpoints_gradients(case: Any, model: Any) -> str | None:
    """The model class supports gradient checkpointing."""
    if not getattr(model, "supports_gradient_checkpointing", False):
        return f"{type(model).__name__}.supports_gradient_checkpointing is False"
    return trains(case, model)


def sdpa_and_eager(case: Any, model: Any) -> str | None:
    """The model supports both SDPA and eager attention."""
    if not getattr(model, "_supports_sdpa", False):
        return f"{type(model).__name__}._supports_sdpa is False"
    lacking = sorted({type(m).__name__ for m in model.modules() if hasattr(m, "set_attn_implementation")
                      and getattr(type(m), "_supports_sdpa", None) is False})
    if lacking:
        return f"its {', '.join(lacking)} ({'does' if len(lacking) == 1 else 'do'} not support SDPA)"
    current = getattr(model.config, "_attn_implementation", None)
    return None if current in ("sdpa", "eager") else f"it runs {current} attention"


def embeds_tokens(case: Any, model: Any) -> str | None:
    """The model takes ``inputs_embeds`` instead of ``input_ids`` and exposes its input embedding."""
    if reads_tokens(case, model) or "input_ids" not in case.inputs(model):
        return reads_tokens(case, model) or "it reads decoder tokens only"
    if "inputs_embeds" not in synth.forward_params(model):
        return "its forward takes no inputs_embeds"
    embedding = _input_embeddings(model)
    return None if embedding is not None else f"{type(model).__name__}.get_input_embeddings() gives no embedding module"


def generates(case: Any, model: Any) -> str | None:
    """The model can ``generate()``."""
    return None if model.can_generate() else f"{type(model).__name__}.can_generate() is False"


def caches_keys_and_values(case: Any, model: Any) -> str | None:
    """The model generates with a key/value cache it takes back (``cache``, formerly ``past_key_values``)."""
    reason = generates(case, model)
    if reason:
        return reason
    params = synth.forward_params(model)
    if cache_argument(model) is None:
        state = next((name for name in params if name.endswith(("cache_params", "state", "mems", "states"))
                      and not name.startswith("output_")), None)
        return f"its forward takes no key/value cache{f' (it keeps {state})' if state else ''}"
    return None if token_inputs(case, model) else "it reads no token ids to continue"


def cache_argument(model: Any) -> str | None:
    """The forward argument that takes the key/value cache: ``cache`` (transformers 5.24+) or ``past_key_values``."""
    params = synth.forward_params(model)
    return next((name for name in ("cache", "past_key_values") if name in params), None)


def has_decoder_inputs(case: Any, model: Any) -> str | None:
    """The model's inputs include decoder inputs (an encoder-decoder)."""
    return None if any(key.startswith("decoder_") for key in case.inputs(model)) else "it takes no decoder inputs"


def has_no_decoder_inputs(case: Any, model: Any) -> str | None:
    """The model's inputs hold no decoder inputs (a decoder-only model)."""
    return None if has_decoder_inputs(case, model) else "it is an encoder-decoder (its inputs hold decoder inputs)"


def decoder_starts(case: Any, model: Any) -> str | None:
    """An encoder-decoder that generates from a decoder start token."""
    return generates(case, model) or has_decoder_inputs(case, model)


def reads_images(case: Any, model: Any) -> str | None:
    """The model reads images with a channel axis."""
    pixels = case.inputs(model).get("pixel_values")
    if pixels is None or not pixels.is_floating_point():
        return "it reads no pixel_values"
    return None if pixels.dim() >= 4 else "its pixel_values are flattened patches with no channel axis"


def records_outputs(kind: str) -> Any:
    """A capability: the forward returns per-layer ``kind`` (``hidden_states`` or ``attentions``) on request: its
    output type (or one nested in it) has a field for them, and its forward takes ``output_<kind>`` or one of its
    modules records them (``_can_record_outputs``)."""
    def capability(case: Any, model: Any) -> str | None:
        output = case.reference(model)
        if not _declares(output, kind):
            return f"its output ({type(output).__name__}) has no {kind} field"
        if f"output_{kind}" in synth.forward_params(model) or any(
                kind in (getattr(type(module), "_can_record_outputs", None) or {}) for module in model.modules()):
            return None
        return f"its forward takes no output_{kind} and no module records {kind}"

    capability.__doc__ = f"The forward returns per-layer {kind} on request."
    return capability


def _declares(output: Any, kind: str) -> bool:
    fields = getattr(type(output), "__dataclass_fields__", {})
    if any(is_per_layer_field(name, kind) for name in fields):
        return True
    return any(_declares(value, kind) for value in (output.values() if isinstance(output, dict) else ()))


# per-layer outputs: plain, of an encoder or decoder, or of one modality's tower (not FPN levels or decoder iterations)
_PER_LAYER_PREFIXES = ("", "encoder_", "decoder_", "cross_", "vision_", "text_", "language_", "image_", "audio_", "speech_",
                       "video_", "qformer_")


def is_per_layer_field(name: str, kind: str) -> bool:
    """``name`` is an output field holding one ``kind`` per layer (``hidden_states``, ``encoder_attentions``, ...)."""
    return name.endswith(kind) and name[: -len(kind)] in _PER_LAYER_PREFIXES


def _input_embeddings(model: Any) -> Any:
    try:
        return model.get_input_embeddings()
    except (NotImplementedError, AttributeError):
        return None


def _main_input(case: Any, model: Any) -> str:
    keys = [key for key, value in case.inputs(model).items() if hasattr(value, "shape")]
    return f"its inputs: {', '.join(keys[:4])}"
