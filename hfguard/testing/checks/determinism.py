"""Determinism: two forward passes in eval mode give the same outputs, with the global generator seeded once
before the first and NOT reseeded between them, so dropout left active in eval mode or noise no seed controls
shows. A model that samples on purpose says so in the overrides table (``off``), with its reason."""

from __future__ import annotations

from typing import Any

from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import CheckFailure, assert_close, floating

SAME = 1e-6  # relative to each output's scale: CPU reruns agree to the bit, this only forgives threaded reductions


@check()
def deterministic(case: Any, model: Any) -> None:
    import torch

    inputs = case.inputs(model)
    torch.manual_seed(0)
    first = floating(case.forward(model, inputs, seed=None))
    second = floating(case.forward(model, case.inputs(model), seed=None))
    if first.keys() != second.keys():
        raise CheckFailure(f"{case.model_type}: the two runs return different outputs ({sorted(first.keys() ^ second.keys())})")
    for name, tensor in first.items():
        assert_close(second[name], tensor, f"{case.model_type}: {name} differs between two runs", SAME)
