"""Tensor helpers of the checks: the named tensors of a model output, its main tensor, and comparisons whose
failure is one line with the numbers that matter (never a tensor repr).

Tolerances are relative to the scale of the expected tensor (its largest finite magnitude), so one bound
serves logits near 1 and waveforms near 0.01 alike.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing.precision import Float64Unusable

MAIN_OUTPUTS = ("logits", "last_hidden_state", "logits_per_image", "prediction_outputs", "waveform", "spectrogram",
                "audio_values", "audio_embeds", "speech_embeds")  # contrastive models: the media's embeddings


# a check found the model broken: one line with the numbers that matter (a plain AssertionError reads best in reports)
CheckFailure = AssertionError


def named_tensors(output: Any, prefix: str = "output") -> list[tuple[str, Any]]:
    """(name, tensor) pairs of a model output, recursing into tuples, lists and dicts."""
    import torch

    if isinstance(output, torch.Tensor):
        return [(prefix, output)]
    if isinstance(output, dict):
        items = output.items()
    elif isinstance(output, (tuple, list)):
        items = ((str(i), v) for i, v in enumerate(output))
    else:
        return []
    return [pair for key, value in items for pair in named_tensors(value, f"{prefix}.{key}")]


def floating(output: Any) -> dict[str, Any]:
    """The floating tensors of an output by name."""
    return {name: tensor for name, tensor in named_tensors(output) if tensor.is_floating_point()}


def main_output(output: Any) -> tuple[str, Any]:
    """(name, tensor) of the output a user reads first: logits, else the last hidden state, else the first
    tensor with an axis (not a batch-mean loss)."""
    for name in MAIN_OUTPUTS:
        value = output.get(name) if isinstance(output, dict) else None
        if value is not None and hasattr(value, "shape"):
            return f"output.{name}", value
    pairs = [pair for pair in named_tensors(output) if pair[1].dim() > 0] or named_tensors(output)
    return pairs[0] if pairs else ("output", None)


def main_tensor(output: Any) -> Any:
    """The tensor of ``main_output``."""
    return main_output(output)[1]


SENTINEL = 1e30  # magnitudes beyond this are masking sentinels (finfo.min logits of suppressed tokens), not values


def scale(tensor: Any) -> float:
    """The largest magnitude of ``tensor``'s values (not infinities or masking sentinels), at least a tiny positive number."""
    values = tensor.detach().double().abs()
    values = values[values < SENTINEL]
    return max(float(values.max()) if values.numel() else 0.0, 1e-30)


def index_of(flat: int, shape: Any) -> list[int]:
    """The multi-dimensional index of flat position ``flat`` in ``shape``."""
    index = []
    for size in reversed(tuple(shape)):
        index.append(flat % size)
        flat //= size
    return index[::-1]


def assert_finite(tensor: Any, subject: str) -> None:
    """Fail with the count and first position of non-finite values in ``tensor``."""
    bad = ~tensor.detach().isfinite()
    count = int(bad.sum())
    if count:
        first = index_of(int(bad.flatten().nonzero()[0]), tensor.shape)
        raise CheckFailure(f"{subject}: {count} non-finite value{'s' * (count > 1)} (first at {first})")


def difference(actual: Any, expected: Any, rel: float, rtol: float = 0.0) -> str | None:
    """Why ``actual`` is not ``expected`` within ``rel`` x scale(expected) + ``rtol`` x |expected|, or None. Between
    float64 tensors finite on one side only, ``Float64Unusable`` (the float64 run cannot judge; see precision.py)."""
    import torch

    if tuple(actual.shape) != tuple(expected.shape):
        return f"shape {tuple(actual.shape)} instead of {tuple(expected.shape)}"
    if actual.dtype == expected.dtype and torch.equal(actual, expected):  # identical (NaNs take the long way)
        return None
    a, e = actual.detach().double(), expected.detach().double()
    _usable_in_float64(actual, expected)
    both_nan = a.isnan() & e.isnan()
    same_inf = a.isinf() & e.isinf() & (a == e)
    allowed = rel * scale(expected) + rtol * e.abs()
    gap = (a - e).abs()
    bad = ~(both_nan | same_inf) & ~(gap <= allowed)
    count = int(bad.sum())
    if not count:
        return None
    gap = gap.masked_fill(~bad, -1.0).nan_to_num(nan=float("inf"))
    worst = int(gap.flatten().argmax())
    return (f"{count} of {bad.numel()} values differ, greatest difference {float(gap.flatten()[worst]):.3g} at "
            f"{index_of(worst, bad.shape)} (allowed {rel:.0e} x scale {scale(expected):.3g}"
            f"{f' + {rtol:.0e} x |value|' if rtol else ''})")


def _usable_in_float64(actual: Any, expected: Any) -> None:
    import torch

    if actual.dtype == expected.dtype == torch.float64 and bool((actual.isfinite() != expected.isfinite()).any()):
        count = int((actual.isfinite() != expected.isfinite()).sum())
        raise Float64Unusable(f"{count} of {actual.numel()} values are finite on one side only in float64")


def assert_close(actual: Any, expected: Any, subject: str, rel: float, rtol: float = 0.0) -> None:
    """Fail with ``subject`` and the numbers when ``actual`` differs from ``expected`` beyond the tolerance."""
    problem = difference(actual, expected, rel, rtol)
    if problem is not None:
        raise CheckFailure(f"{subject}: {problem}")


def assert_changed(after: Any, before: Any, subject: str, rel: float) -> None:
    """Fail when ``after`` equals ``before`` within ``rel`` x scale: the change made did not reach the output."""
    if tuple(after.shape) != tuple(before.shape):
        return
    _usable_in_float64(after, before)
    gap = float((after.detach().double() - before.detach().double()).abs().nan_to_num(nan=float("inf")).max()) \
        if after.numel() else 0.0
    if gap <= rel * scale(before):
        raise CheckFailure(f"{subject} (greatest difference {gap:.3g}, scale {scale(before):.3g})")
