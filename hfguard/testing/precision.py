"""float64 twins: where a check compares two computations that should agree (cache vs full forward, a sample alone vs
in the batch, eager vs SDPA, a reloaded model, checkpointed gradients, ...), float32 rounding differs between CPUs
(AVX2, AVX-512, NEON), thread counts and memory alignments, so a bound near float32's rounding would give another
verdict on another machine. On a float64 copy of the tiny model, the same comparison has nine more digits between
rounding (about 1e-16 of the scale) and the check's bound (1e-6 .. 1e-3 of the scale): rounding cannot decide it.

The twin is a deep copy of the built model (same weights, state and, under ``hfguard mutate``, the same breakage)
converted to float64, with the inputs converted alike. A model that does not run in float64 is compared in float32,
as before, and the check says why in its report (the JUnit property ``hfguard_float32``): its float64 forward fails (a
float32 tensor made inside it meets float64 weights) or gives non-finite values where float32 gives finite ones. So is
one check whose float64 run crashes or meets such values (``Float64Unusable``): an eager softmax computed in float32
turns float64's mask value (-1.8e308) into -inf, and a fully masked row (a left-padded position) into NaN.
"""

from __future__ import annotations

from typing import Any

FLOAT32_PROPERTY = "hfguard_float32"  # JUnit property of a comparison made in float32: why not in float64


class Float64Unusable(Exception):
    """A comparison of float64 tensors where one side is finite and the other not: the float64 run cannot judge (not a
    check failure: the check runs again in float32)."""


def float64_copy(model: Any) -> Any:
    """A deep copy of ``model`` with every floating parameter and buffer in float64 (complex ones, e.g. rotary
    frequencies, stay complex; ``Module.to(torch.float64)`` would drop their imaginary part)."""
    import copy

    return copy.deepcopy(model).double()


def in_dtype_of(model: Any, reference: Any) -> Any:
    """``model`` in float64 when ``reference`` is a float64 twin, else unchanged."""
    import torch

    return model.double() if reference.dtype == torch.float64 else model


def non_finite_where_finite(actual: Any, expected: Any) -> int:
    """How many values of ``actual`` are non-finite where ``expected``'s are finite (same shapes)."""
    return int((~actual.isfinite() & expected.isfinite()).sum())


def to_float64(inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` with every floating tensor in float64 (ids, masks of integers and other values unchanged)."""
    import torch

    return {key: value.to(torch.float64) if isinstance(value, torch.Tensor) and value.is_floating_point() else value
            for key, value in inputs.items()}
