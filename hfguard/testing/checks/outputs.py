"""Optional outputs and input paths: per-layer hidden states and attentions (how many, and their shapes), and
``inputs_embeds`` giving what ``input_ids`` give."""

from __future__ import annotations

from typing import Any

from hfguard.testing import capabilities, synth
from hfguard.testing.checks.attention import run_with
from hfguard.testing.checks.registry import check
from hfguard.testing.model_state import restored
from hfguard.testing.overrides import input_hints
from hfguard.testing.tensors import CheckFailure, assert_close, floating

SAME = 1e-4  # relative to each output's scale: the same embeddings through the same layers (other kernels may run)
ROW_SUM = 1e-4  # attention probabilities of a query sum to at most 1 (less with attention sinks) within rounding
_DEPTHS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "encoder_layers", "decoder_layers",
           "num_encoder_layers", "num_decoder_layers", "depth")
_STAGES = ("depths", "hidden_sizes", "embed_dims", "stage_names", "blocks_per_stage")  # staged models: one state per stage
_BLOCKS_PER_STAGE = ("depths", "blocks_per_stage")


@check(applies=capabilities.records_outputs("hidden_states"))
def hidden_states(case: Any, model: Any) -> None:
    hidden_forward(case, model)
    output, layers = case.memo(model, "hidden", lambda: None)  # the pass hidden_forward made
    groups = per_layer(output, "hidden_states")
    if not groups:
        raise CheckFailure(f"{case.model_type}: output_hidden_states=True returned no hidden states{_empty(output, 'hidden_states')}")
    for name, states in groups.items():
        _one_per_layer(case, "hidden_states", name, states, layers | layer_counts(model.config))
        _batch_first(case, name, states)
    watched, produced = stack_outputs(case, model)
    for name, states in per_layer(watched, "hidden_states").items():
        _ends_with_the_last_layer(case, name, states, produced)


@check(applies=capabilities.records_outputs("attentions"))
def attentions(case: Any, model: Any) -> None:
    output, layers = run_with(case, model, "eager", lambda m: recorded_forward(case, m, "attentions", inputs=case.inputs(model),
                                                                          output_attentions=True))
    groups = per_layer(output, "attentions")
    if not groups:
        raise CheckFailure(f"{case.model_type}: output_attentions=True returned no attentions{_empty(output, 'attentions')}")
    for name, maps in groups.items():
        _one_per_layer(case, "attentions", name, maps, layers | layer_counts(model.config))
        _batch_first(case, name, maps)
        for layer, weights in [(layer, w) for layer, m in enumerate(maps) for w in layer_tensors(m)]:
            values = weights.detach().double()
            sums = values.sum(-1)
            if float(values.min()) < -ROW_SUM or float(sums.max()) > 1 + ROW_SUM:
                raise CheckFailure(f"{case.model_type}: {name}[{layer}] is no attention distribution (weights from "
                                   f"{float(values.min()):.3g}, a query's weights summing to up to {float(sums.max()):.6g})")


@check(applies=capabilities.embeds_tokens)
def inputs_embeds_matches_ids(case: Any, model: Any) -> None:
    import torch

    model = case.precise(model)
    inputs = case.inputs(model)
    with torch.no_grad():
        embeds = model.get_input_embeddings()(inputs.pop("input_ids"))
    expected = floating(case.reference(model))
    positions = case.memo(model, "position-ids", lambda: position_ids_from_ids(case, model))
    if positions is not None:  # e.g. multimodal RoPE: 3-D positions the forward derives from where the image tokens are
        inputs["position_ids"] = positions
    actual = floating(case.forward(model, {**inputs, "inputs_embeds": embeds}))
    for name, tensor in expected.items():
        if name in actual:
            assert_close(actual[name], tensor, f"{case.model_type}: {name} from inputs_embeds vs input_ids", SAME)


def stack_outputs(case: Any, model: Any) -> tuple[Any, dict[tuple[int, tuple[int, ...]], list[tuple[str, int, int]]]]:
    """A forward with ``output_hidden_states=True``, and which layers of a stack (an element of a ``ModuleList``) output
    which of its tensors: (storage, shape) -> [(layer name, its index, the stack's length)]."""
    import torch

    produced: dict[tuple[int, tuple[int, ...]], list[tuple[str, int, int]]] = {}
    alive: list[Any] = []  # the outputs stay referenced until the forward ends, so no other tensor reuses their storage

    def hook(name: str, index: int, size: int) -> Any:
        def record(module: Any, args: Any, output: Any) -> None:
            first = output if isinstance(output, torch.Tensor) else next(
                (t for t in (output.values() if isinstance(output, dict) else output if isinstance(output, tuple) else ())
                 if isinstance(t, torch.Tensor)), None)
            if first is not None and first.is_floating_point() and first.numel():
                alive.append(first)
                produced.setdefault((first.data_ptr(), tuple(first.shape)), []).append((name, index, size))
        return record

    handles = []
    for stack_name, stack in model.named_modules():
        if isinstance(stack, torch.nn.ModuleList):
            for index, layer in enumerate(stack):
                if isinstance(layer, torch.nn.Module):
                    handles.append(layer.register_forward_hook(hook(f"{stack_name}.{index}", index, len(stack))))
    try:
        with restored(model):
            output = case.forward(model, output_hidden_states=True)
    finally:
        for handle in handles:
            handle.remove()
    return output, produced


def _ends_with_the_last_layer(case: Any, name: str, states: tuple[Any, ...],
                              produced: dict[tuple[int, tuple[int, ...]], list[tuple[str, int, int]]]) -> None:
    """Where the last state is the very output of a layer of a stack (the outermost stack that returned it: a stage
    holds its blocks), that layer is the stack's last: a state list that stops a layer early ends with another's output.
    States the model computes anew (a final norm, a transpose) name no layer, and a tuple of states per layer (one per
    stream) no one layer: neither is judged here."""
    last = states[-1]
    if not hasattr(last, "data_ptr"):  # one per stream, or a stage's several states: no one layer to name
        return
    producers = produced.get((last.data_ptr(), tuple(last.shape)), [])
    if not producers:
        return
    depth = min(layer.count(".") for layer, _, _ in producers)
    outermost = [(layer, index, size) for layer, index, size in producers if layer.count(".") == depth]
    if all(index != size - 1 for _, index, size in outermost):
        layer, index, size = outermost[0]
        raise CheckFailure(f"{case.model_type}: {name} ends with the output of {layer}, layer {index + 1} of {size}: "
                           f"the last layer's state is missing")


def position_ids_from_ids(case: Any, model: Any) -> Any:
    """The ``position_ids`` the forward derives from the ids and passes on to a sub-module (its language model), learned
    by watching a forward on the default inputs, where the forward takes ``position_ids`` and none were given: the
    ``inputs_embeds`` path is given the same positions. None where no sub-module was passed one per token id."""
    import torch

    if "position_ids" not in synth.forward_params(model) or "position_ids" in case.inputs(model):
        return None
    seen: list[Any] = []
    length = case.inputs(model)["input_ids"].shape[-1]

    def watch(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        positions = kwargs.get("position_ids")  # the text's: one per token id (a vision tower's count its patches)
        if not seen and isinstance(positions, torch.Tensor) and positions.shape[-1] == length:
            seen.append(positions.clone())

    handles = [module.register_forward_pre_hook(watch, with_kwargs=True) for module in model.modules() if module is not model]
    try:
        case.forward(model)
    finally:
        for handle in handles:
            handle.remove()
    return seen[0] if seen else None


def _one_per_layer(case: Any, kind: str, name: str, tensors: Any, layer_counts: set[int]) -> None:
    """``tensors`` hold one per layer (hidden states: plus the embeddings), for one of ``layer_counts``, or the count
    the overrides record for this layout (one per stage, one per block, ...)."""
    states = kind == "hidden_states"
    expected = _counted(case, kind, name) or {count + states for count in layer_counts}
    if len(tensors) not in expected:
        noun, rule, plus = ("states", "layers + 1", " + 1") if states else ("maps", "one per layer", "")
        raise CheckFailure(f"{case.model_type}: {name} holds {len(tensors)} {noun}, not {rule} "
                           f"(the config's and the forward's layer counts{plus}: {sorted(expected)})")


def _counted(case: Any, kind: str, name: str) -> set[int]:
    """The count the overrides record for ``kind`` of this model type: one for every field, or per field name."""
    counted = input_hints(case.model_type).get(kind)
    if isinstance(counted, dict):  # by field: the longest path suffix that names it (``qformer_outputs.attentions``)
        matches = sorted((key for key in counted if name.endswith(f".{key}")), key=len)
        counted = counted[matches[-1]] if matches else None
    return {counted} if isinstance(counted, int) else set()


def layer_counts(config: Any) -> set[int]:
    """Every layer count the config (and its sub-configs) declares: depths, and for staged models the number of
    stages and of blocks over all stages."""
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
                if name in _BLOCKS_PER_STAGE and all(isinstance(v, int) for v in value):
                    counts.add(sum(value))
    return counts


def _configs(config: Any) -> list[dict[str, Any]]:
    values = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    found = [values]
    for value in values.values():
        if isinstance(value, dict):
            found += _configs(value)
    return found


def per_layer(output: Any, kind: str, prefix: str = "output") -> dict[str, tuple[Any, ...]]:
    """Fields holding one ``kind`` per layer, also in nested outputs (a contrastive model's towers)."""
    found: dict[str, tuple[Any, ...]] = {}
    for key, value in (output.items() if isinstance(output, dict) else ()):
        if capabilities.is_per_layer_field(key, kind) and isinstance(value, (tuple, list)) and value \
                and all(layer_tensors(v) for v in value):
            found[f"{prefix}.{key}"] = tuple(value)  # per layer: a tensor, one per stream (text and image) or per kind
        elif isinstance(value, dict):
            found.update(per_layer(value, kind, f"{prefix}.{key}"))
    return found


def layer_tensors(item: Any) -> tuple[Any, ...]:
    """The tensors one layer's entry of a per-layer field holds: the tensor, one per stream (a tuple: text and image),
    or one per kind of attention (a dict: pegasus_x's encoder layers return their local and global maps); ``()`` where
    the entry holds anything else."""
    parts = tuple(item.values()) if isinstance(item, dict) else item if isinstance(item, tuple) else (item,)
    return parts if parts and all(hasattr(part, "shape") for part in parts) else ()


def hidden_forward(case: Any, model: Any) -> Any:
    """The output of a forward pass with ``output_hidden_states=True`` (once per model)."""
    return case.memo(model, "hidden", lambda: recorded_forward(case, model, "hidden_states", output_hidden_states=True))[0]


def recorded_forward(case: Any, model: Any, kind: str, **options: Any) -> tuple[Any, set[int]]:
    """A forward pass with ``options``, and how many times the layers recording ``kind`` ran in each module that
    records them (``_can_record_outputs``: a class, optionally only under a layer name)."""
    stacks = []
    for module in model.modules():
        recorded = (getattr(type(module), "_can_record_outputs", None) or {}).get(kind)
        target = getattr(recorded, "target_class", recorded)
        where = getattr(recorded, "layer_name", None) or ""
        if isinstance(target, type):
            stacks.append([m for name, m in module.named_modules() if isinstance(m, target) and name.endswith(where)])
    calls = [0] * len(stacks)
    handles = [layer.register_forward_hook(lambda *_, i=i: calls.__setitem__(i, calls[i] + 1))
               for i, layers in enumerate(stacks) for layer in layers]
    try:
        with restored(model):  # a forward that records outputs and crashes leaves its capturing hooks in (phi4_multimodal)
            output = case.forward(model, **options)
    finally:
        for handle in handles:
            handle.remove()
    return output, {count for count in calls if count}


def _empty(output: Any, kind: str, prefix: str = "output") -> str:
    """`` (output.x is an empty tuple)`` for fields of ``kind`` that came back empty, else ``""``."""
    empty = [f"{prefix}.{key}" for key, value in (output.items() if isinstance(output, dict) else ())
             if capabilities.is_per_layer_field(key, kind) and isinstance(value, (tuple, list)) and not value]
    nested = [_empty(value, kind, f"{prefix}.{key}") for key, value in (output.items() if isinstance(output, dict) else ())
              if isinstance(value, dict)]
    return f" ({', '.join(empty)} {'is an empty tuple' if len(empty) == 1 else 'are empty tuples'})" if empty else \
        next((text for text in nested if text), "")


def _batch_first(case: Any, name: str, tensors: tuple[Any, ...]) -> None:
    if input_hints(case.model_type).get("packed_output"):  # one sequence holds every sample's tokens
        return
    batch = case.batch_size()
    for layer, tensor in [(layer, t) for layer, item in enumerate(tensors) for t in layer_tensors(item)]:
        if tensor.dim() == 0 or tensor.shape[0] % batch:
            raise CheckFailure(f"{case.model_type}: {name}[{layer}] {tuple(tensor.shape)} is not batch-first ({batch} samples)")

