"""Persistence: ``save_pretrained`` (safetensors, into a temporary directory) then ``from_pretrained`` gives the
same model: no missing, unexpected or mismatched keys, every weight and stored buffer identical, tied weights
still tied, and the same outputs.

The weights are compared exactly, as saved (float32). The outputs are compared in float64 (the reloaded model and the
float64 twin, ``ModelCase.precise``): the same weights at other addresses (a reloaded tensor's alignment) take other
vector kernels on some CPUs, whose float32 rounding moved d_fine's logits by 2e-6 of their scale on AVX-512."""

from __future__ import annotations

import tempfile
from typing import Any

from hfguard.testing.checks.registry import check
from hfguard.testing.precision import in_dtype_of
from hfguard.testing.tensors import CheckFailure, assert_close, difference, floating

SAME = 1e-6  # relative to each output's scale: the same weights give the same outputs


def save(model: Any, folder: str) -> None:
    """``model.save_pretrained(folder)``, leaving the model's config as it was: ``save_pretrained`` writes its dtype
    back onto the live config as a string (transformers' modeling_utils.py:3443), which a module built from that
    config later may pass to torch as a dtype (XIELUActivation: "tensor(): argument 'dtype' must be torch.dtype")."""
    config = model.config
    dtype = config.dtype
    try:
        model.save_pretrained(folder)
    finally:
        config.dtype = dtype


@check()
def save_load(case: Any, model: Any) -> None:
    import transformers

    transformers.utils.logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="hfguard-") as folder:
        save(model, folder)
        loaded, info = type(model).from_pretrained(folder, output_loading_info=True)
    loaded.eval()
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        keys = sorted(str(key) for key in info.get(kind) or ())
        if keys:
            raise CheckFailure(f"{case.model_type}: from_pretrained reports {len(keys)} {kind.replace('_', ' ')}: {', '.join(keys[:4])}")
    before, after = stored_tensors(model), stored_tensors(loaded)
    if before.keys() != after.keys():
        raise CheckFailure(f"{case.model_type}: the reloaded model has other weights: {sorted(before.keys() ^ after.keys())[:4]}")
    for name, tensor in before.items():
        problem = difference(after[name].float(), tensor.float(), 0.0) if tensor.is_floating_point() else \
            None if bool((after[name] == tensor).all()) else "values differ"
        if problem:
            raise CheckFailure(f"{case.model_type}: weight {name} changed across save/load: {problem}")
    if tied_groups(model) != tied_groups(loaded):
        lost = sorted(tied_groups(model) - tied_groups(loaded))
        raise CheckFailure(f"{case.model_type}: tied weights are no longer tied after loading: {lost[:2]}")
    precise = case.precise(model)
    loaded = in_dtype_of(loaded, precise) if precise is not model else in_fresh_memory(loaded)
    expected = floating(case.reference(precise))
    actual = floating(case.forward(loaded, case.inputs(precise)))
    for name, tensor in expected.items():
        if name in actual:
            assert_close(actual[name], tensor, f"{case.model_type}: {name} of the reloaded model", SAME)


def in_fresh_memory(model: Any) -> Any:
    """``model`` with every parameter and buffer copied into fresh memory: the reloaded tensors are views into the
    loaded file, unaligned, and kernels round unaligned data otherwise (for a model compared in float32)."""
    import torch

    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            tensor.data = tensor.data.clone()
    return model


def stored_tensors(model: Any) -> dict[str, Any]:
    """Every parameter and persistent buffer by name, read directly (not through ``state_dict`` hooks)."""
    persistent = set(model.state_dict())
    tensors = {name: p.detach() for name, p in model.named_parameters(remove_duplicate=False)}
    tensors.update({name: b for name, b in model.named_buffers(remove_duplicate=False) if name in persistent})
    return tensors


def tied_groups(model: Any) -> set[tuple[str, ...]]:
    """Groups of parameter names that share one tensor (tied weights)."""
    groups: dict[int, list[str]] = {}
    for name, parameter in model.named_parameters(remove_duplicate=False):
        groups.setdefault(id(parameter), []).append(name)
    return {tuple(sorted(names)) for names in groups.values() if len(names) > 1}
