"""Optional outputs and input paths: per-layer hidden states and attentions (how many, and their shapes), and
``inputs_embeds`` giving what ``input_ids`` give."""

from __future__ import annotations

from typing import Any

from hfguard.testing import capabilities
from hfguard.testing.checks.attention import run_with
from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import CheckFailure, assert_close, floating

SAME = 1e-5  # relative to each output's scale: the same embeddings through the same layers
ROW_SUM = 1e-4  # attention probabilities of a query sum to 1 within float rounding
_DEPTHS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "encoder_layers", "decoder_layers",
           "num_encoder_layers", "num_decoder_layers", "depth")
_STAGES = ("depths", "hidden_sizes", "embed_dims", "stage_names")


@check(applies=capabilities.records_outputs("hidden_states"))
def hidden_states(case: Any, model: Any) -> None:
    output = case.forward(model, output_hidden_states=True)
    groups = _per_layer(output, "hidden_states")
    if not groups:
        raise CheckFailure(f"{case.model_type}: output_hidden_states=True returned no hidden states")
    depths = layer_counts(model.config)
    for name, states in groups.items():
        if len(states) - 1 not in depths:
            raise CheckFailure(f"{case.model_type}: {name} holds {len(states)} states, not layers + 1 for the config's "
                               f"layer counts {sorted(depths)}")
        _batch_first(case, name, states)
        shapes = {tuple(state.shape) for state in states[1:]}
        if not _staged(model.config) and len(shapes) > 1:
            raise CheckFailure(f"{case.model_type}: {name} layers have different shapes {sorted(shapes)}")


@check(applies=capabilities.records_outputs("attentions"))
def attentions(case: Any, model: Any) -> None:
    switch = model.config._attn_implementation != "eager" and capabilities.sdpa_and_eager(case, model) is None
    output = run_with(case, model, "eager", case.inputs(model), output_attentions=True) if switch else \
        case.forward(model, output_attentions=True)
    groups = _per_layer(output, "attentions")
    if not groups:
        raise CheckFailure(f"{case.model_type}: output_attentions=True returned no attentions")
    depths = layer_counts(model.config)
    for name, maps in groups.items():
        if len(maps) not in depths:
            raise CheckFailure(f"{case.model_type}: {name} holds {len(maps)} maps, not one per layer {sorted(depths)}")
        _batch_first(case, name, maps)
        for layer, weights in enumerate(maps):
            if weights.dim() < 4:
                raise CheckFailure(f"{case.model_type}: {name}[{layer}] is {tuple(weights.shape)}, not (batch, heads, queries, keys)")
            sums = weights.detach().double().sum(-1)
            live = sums > 0.5  # rows of fully masked queries may be all zero
            off = (sums - 1).abs().masked_fill(~live, 0)
            if float(off.max()) > ROW_SUM:
                raise CheckFailure(f"{case.model_type}: {name}[{layer}] rows sum to {float(sums[live].min()):.6g}..."
                                   f"{float(sums[live].max()):.6g}, not 1")


@check(applies=capabilities.embeds_tokens)
def inputs_embeds_matches_ids(case: Any, model: Any) -> None:
    import torch

    inputs = case.inputs(model)
    with torch.no_grad():
        embeds = model.get_input_embeddings()(inputs.pop("input_ids"))
    expected = floating(case.reference(model))
    actual = floating(case.forward(model, {**inputs, "inputs_embeds": embeds}))
    for name, tensor in expected.items():
        if name in actual:
            assert_close(actual[name], tensor, f"{case.model_type}: {name} from inputs_embeds vs input_ids", SAME)


def layer_counts(config: Any) -> set[int]:
    """Every layer count the config (and its sub-configs) declares: depths, and the number of stages of staged models."""
    counts: set[int] = set()
    for values in _configs(config):
        for name in _DEPTHS:
            value = values.get(name)
            if isinstance(value, int) and value > 0:
                counts.add(value)
        for name in _STAGES:
            value = values.get(name)
            if isinstance(value, list) and value:
                counts.add(len(value))
    return counts


def _configs(config: Any) -> list[dict[str, Any]]:
    values = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    found = [values]
    for value in values.values():
        if isinstance(value, dict):
            found += _configs(value)
    return found


def _staged(config: Any) -> bool:
    return any(isinstance(values.get(name), list) and len(values[name]) > 1 for values in _configs(config) for name in _STAGES)


def _per_layer(output: Any, kind: str) -> dict[str, tuple[Any, ...]]:
    """Output fields ``*{kind}`` that hold one tensor per layer."""
    items = output.items() if isinstance(output, dict) else ()
    return {f"output.{key}": tuple(value) for key, value in items
            if key.endswith(kind) and isinstance(value, (tuple, list)) and value and all(hasattr(v, "shape") for v in value)}


def _batch_first(case: Any, name: str, tensors: tuple[Any, ...]) -> None:
    batch = case.batch_size()
    for layer, tensor in enumerate(tensors):
        if tensor.dim() == 0 or tensor.shape[0] % batch:
            raise CheckFailure(f"{case.model_type}: {name}[{layer}] {tuple(tensor.shape)} is not batch-first ({batch} samples)")

