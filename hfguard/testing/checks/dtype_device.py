"""Precision and devices: the model in bfloat16 (then restored) runs finite and close to fp32 (a loose bound:
bfloat16 keeps 8 bits of mantissa) on ATen's own kernels (oneDNN off: its bfloat16 primitives differ per instruction
set), and, with ``HFGUARD_DEVICE=cuda|mps|xpu``, the model on that accelerator agrees with CPU fp32. On a machine
without one, the device check skips and says why."""

from __future__ import annotations

import copy
import os
from typing import Any

from hfguard.testing.checks.registry import check
from hfguard.testing.model_state import restored
from hfguard.testing.tensors import CheckFailure, assert_close, assert_finite, main_output

DEVICE_ENV = "HFGUARD_DEVICE"
BF16_ERROR = 0.10  # relative RMS error of the main output against fp32 (8 bits of mantissa, compounded)
DEVICE_REL = 1e-3  # relative to the output's scale: other kernels (and TF32 matrix products) on the accelerator


@check()
def bf16_forward(case: Any, model: Any) -> None:
    import torch

    name, expected = main_output(case.reference(model))
    inputs = {k: v.to(torch.bfloat16) if hasattr(v, "is_floating_point") and v.is_floating_point() else v
              for k, v in case.inputs(model).items()}
    with restored(model), torch.backends.mkldnn.flags(enabled=False):
        actual = main_output(case.forward(to_dtype(model, torch.bfloat16), inputs))[1].float()
    if actual.shape != expected.shape:
        raise CheckFailure(f"{case.model_type}: bfloat16 {name} has shape {tuple(actual.shape)}, fp32 {tuple(expected.shape)}")
    assert_finite(actual[expected.isfinite()], f"{case.model_type}: bfloat16 {name} (where fp32 is finite)")
    usable = expected.isfinite() & actual.isfinite()
    error = float((actual - expected)[usable].norm() / expected[usable].norm().clamp(min=1e-30))
    if error > BF16_ERROR:
        raise CheckFailure(f"{case.model_type}: bfloat16 {name} is {error:.1%} off fp32 (relative RMS error, allowed {BF16_ERROR:.0%})")


@check()
def device_matches_cpu(case: Any, model: Any) -> None:
    import pytest
    import torch

    device = os.environ.get(DEVICE_ENV, "cpu")
    backend = getattr(torch, device, None)
    if device == "cpu" or backend is None or not backend.is_available():
        pytest.skip(f"no accelerator to compare with CPU: {DEVICE_ENV}={device} (set it to cuda, mps or xpu where one exists)")
    compare_on_device(case, model, copy.deepcopy(model).to(device), device)


def compare_on_device(case: Any, model: Any, moved: Any, device: str) -> None:
    """``moved`` (``model`` on ``device``) gives the main output of ``model`` on CPU in fp32."""
    inputs = {k: v.to(device) if hasattr(v, "to") else v for k, v in case.inputs(model).items()}
    name, expected = main_output(case.reference(model))
    actual = main_output(case.forward(moved, inputs))[1].cpu()
    assert_close(actual, expected, f"{case.model_type}: {name} on {device} vs CPU fp32", DEVICE_REL)


def to_dtype(model: Any, dtype: Any) -> Any:
    """``model`` converted in place to ``dtype``, except the modules its class keeps in fp32 (``_keep_in_fp32_modules``)."""
    import torch

    low = model.to(dtype)
    keep = set(getattr(model, "_keep_in_fp32_modules", None) or ()) | set(getattr(model, "_keep_in_fp32_modules_strict", None) or ())
    for name, module in low.named_modules():
        if keep & set(name.split(".")):
            module.to(torch.float32)
    return low
