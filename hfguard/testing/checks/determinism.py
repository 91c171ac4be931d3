"""Determinism: two forward passes in eval mode give the same outputs, with the global generator seeded once
before the first and NOT reseeded between them, so dropout left active in eval mode or noise no seed controls
shows. The first pass is the case's seeded reference pass; the second continues the generator from the state
the reference left. Both run on the float64 twin (``ModelCase.precise``), like every comparison of two computations.
A model that samples on purpose says so in the overrides table (``off``), with its reason."""

from __future__ import annotations

from typing import Any

from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import CheckFailure, assert_close, floating

SAME = 1e-6  # relative to each output's scale: CPU reruns agree to the bit, this only forgives threaded reductions


@check()
def deterministic(case: Any, model: Any) -> None:
    import torch

    model = case.precise(model)
    first = floating(case.reference(model))  # the pass right after seeding: its generator state goes on from there
    torch.set_rng_state(case.generator_after_reference(model))
    second = floating(case.forward(model, case.inputs(model), seed=None))
    if first.keys() != second.keys():
        raise CheckFailure(f"{case.model_type}: the two runs return different outputs ({sorted(first.keys() ^ second.keys())})")
    for name, tensor in first.items():
        assert_close(second[name], tensor, f"{case.model_type}: {name} differs between two runs", SAME)
