"""Attention implementations: eager attention equals SDPA in fp32 wherever the model supports both.

The first sample is padded (its first two text tokens masked for decoders, its last two for encoders) when the
model takes a mask, so the masking paths of both implementations are compared too, at the real positions. Tolerances follow transformers' own eager-vs-SDPA test
(fp32 on CPU: 1e-6 absolute, 1e-4 relative), the absolute part taken relative to the output's scale; the comparison
runs on the float64 twin (``ModelCase.precise``), where both implementations round at about 1e-16 on every CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hfguard.testing import capabilities, synth
from hfguard.testing.checks.registry import check
from hfguard.testing.precision import in_dtype_of
from hfguard.testing.tensors import CheckFailure, assert_close, floating

SCALE_REL, VALUE_REL = 1e-5, 1e-4
MASKED = 2


@check(applies=capabilities.sdpa_and_eager)
def eager_matches_sdpa(case: Any, model: Any) -> None:
    model = case.precise(model)
    inputs = case.inputs(model)
    if capabilities.masks_tokens(case, model) is None:
        inputs["attention_mask"] = padded_first_sample(inputs, model)
    outputs = {implementation: floating(run_with(case, model, implementation, lambda m: case.forward(m, copied(inputs))))
               for implementation in ("sdpa", "eager")}
    for name, expected in outputs["sdpa"].items():
        if name in outputs["eager"] and ".attentions" not in name:
            actual, expected = outputs["eager"][name], unmasked(expected, inputs)
            assert_close(unmasked(actual, inputs), expected, f"{case.model_type}: {name} with eager vs sdpa attention",
                         SCALE_REL, VALUE_REL)


def padded_first_sample(inputs: dict[str, Any], model: Any) -> Any:
    """The attention mask with the first sample's first (decoders: left padding) or last (encoders: right padding)
    ``MASKED`` ordinary tokens masked out; special and media placeholder tokens stay visible."""
    import torch

    ids, mask = inputs["input_ids"], inputs["attention_mask"].clone()
    special = synth.special_ids(model.config)
    ordinary = ~torch.isin(ids[0], torch.tensor(sorted(special), dtype=ids.dtype)) if special else torch.ones_like(ids[0], dtype=torch.bool)
    positions = ordinary.nonzero().flatten()
    left = model.can_generate() and not getattr(model.config, "is_encoder_decoder", False)
    mask[0, positions[:MASKED] if left else positions[-MASKED:]] = 0
    return mask


def unmasked(tensor: Any, inputs: dict[str, Any]) -> Any:
    """``tensor`` with its masked positions zeroed when it has one entry per token: what padding queries see is
    unspecified (a fully masked softmax row), only the real positions have to agree."""
    mask = inputs.get("attention_mask")
    if mask is None or mask.dim() != 2 or tensor.dim() < 2 or tuple(tensor.shape[:2]) != tuple(mask.shape):
        return tensor
    return tensor * mask.reshape(*mask.shape, *([1] * (tensor.dim() - 2))).to(tensor.dtype)


def run_with(case: Any, model: Any, implementation: str, run: Callable[[Any], Any]) -> Any:
    """``run(m)`` on ``model`` switched to ``implementation`` attention (its own restored afterwards), or, for a
    model that cannot switch at run time (no attention interface), on a twin built with it and the same weights."""
    if model.config._attn_implementation == implementation:
        return run(model)
    configs = {id(m.config): m.config for m in model.modules() if hasattr(m, "config") and hasattr(m.config, "_attn_implementation")}
    saved = [(config, config._attn_implementation) for config in configs.values()]
    try:
        model.set_attn_implementation(implementation)
        if model.config._attn_implementation == implementation:
            return run(model)
    finally:
        for config, value in saved:  # per (sub-)config: a composite may mix implementations
            config._attn_implementation = value
    return run(case.memo(model, f"twin-{implementation}", lambda: _twin(case, model, implementation)))


def _twin(case: Any, model: Any, implementation: str) -> Any:
    """``model`` rebuilt with ``implementation`` attention, with its weights and stored buffers (in its dtype); from a
    copy of its config, which ``_from_config`` changes (its attention implementation and dtype)."""
    import copy

    from hfguard.testing.checks.persistence import stored_tensors

    twin = in_dtype_of(type(model)._from_config(copy.deepcopy(model.config), attn_implementation=implementation), model)
    twin.load_state_dict(stored_tensors(model), strict=False)
    twin.eval()
    if twin.config._attn_implementation != implementation:
        raise CheckFailure(f"{case.model_type}: built with attn_implementation='{implementation}' it runs "
                           f"{twin.config._attn_implementation}")
    return twin


def copied(inputs: dict[str, Any]) -> dict[str, Any]:
    """Fresh tensors of ``inputs`` (a forward may write into its inputs)."""
    return {k: v.clone() if hasattr(v, "clone") else v for k, v in inputs.items()}
