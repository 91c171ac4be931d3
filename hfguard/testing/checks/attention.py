"""Attention implementations: eager attention equals SDPA in fp32 wherever the model supports both.

The inputs mask out the first positions of the first sample (when the model takes a mask), so the masking
paths of both implementations are compared too. Tolerances follow transformers' own eager-vs-SDPA test
(fp32 on CPU: 1e-6 absolute, 1e-4 relative), the absolute part taken relative to the output's scale.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import capabilities
from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import CheckFailure, assert_close, floating

SCALE_REL, VALUE_REL = 1e-5, 1e-4
MASKED = 2


@check(applies=capabilities.sdpa_and_eager)
def eager_matches_sdpa(case: Any, model: Any) -> None:
    inputs = case.inputs(model)
    if "attention_mask" in inputs and inputs["attention_mask"].dim() == 2 and inputs["attention_mask"].shape[1] > MASKED:
        inputs["attention_mask"][0, :MASKED] = 0
    outputs = {implementation: floating(run_with(case, model, implementation, inputs)) for implementation in ("sdpa", "eager")}
    for name, expected in outputs["sdpa"].items():
        if name in outputs["eager"] and ".attentions" not in name:
            actual, expected = outputs["eager"][name], unmasked(expected, inputs)
            assert_close(unmasked(actual, inputs), expected, f"{case.model_type}: {name} with eager vs sdpa attention",
                         SCALE_REL, VALUE_REL)


def unmasked(tensor: Any, inputs: dict[str, Any]) -> Any:
    """``tensor`` with its masked positions zeroed when it has one entry per token: what padding queries see is
    unspecified (a fully masked softmax row), only the real positions have to agree."""
    mask = inputs.get("attention_mask")
    if mask is None or mask.dim() != 2 or tensor.dim() < 2 or tuple(tensor.shape[:2]) != tuple(mask.shape):
        return tensor
    return tensor * mask.reshape(*mask.shape, *([1] * (tensor.dim() - 2))).to(tensor.dtype)


def run_with(case: Any, model: Any, implementation: str, inputs: dict[str, Any], **options: Any) -> Any:
    """A forward pass with ``implementation`` attention, the model's own implementation restored afterwards."""
    current = model.config._attn_implementation
    try:
        model.set_attn_implementation(implementation)
        if model.config._attn_implementation != implementation:
            raise CheckFailure(f"{case.model_type}: set_attn_implementation('{implementation}') left {model.config._attn_implementation}")
        return case.forward(model, {k: v.clone() if hasattr(v, "clone") else v for k, v in inputs.items()}, **options)
    finally:
        model.set_attn_implementation(current)
