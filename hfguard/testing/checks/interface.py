"""The model's interface beyond one forward pass: the tuple a forward returns with ``return_dict=False`` holds what its
dict output holds, a classification loss follows ``problem_type``, and gradients reach the hidden states and
attention maps it returns (transformers' testers' ``test_model_outputs_equivalence``, ``test_problem_types`` and
``test_retain_grad_hidden_states_attentions``).

The two output formats are compared on the float64 twin (``ModelCase.precise``) within 1e-6 of the scale, the
``deterministic`` bound; a loss is compared in float64 with the loss recomputed from the logits the model returned.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from hfguard.testing import capabilities, synth
from hfguard.testing.checks.attention import run_with
from hfguard.testing.checks.outputs import layer_tensors, per_layer
from hfguard.testing.checks.registry import check
from hfguard.testing.checks.training import task_labels
from hfguard.testing.model_state import restored
from hfguard.testing.precision import in_dtype_of
from hfguard.testing.tensors import CheckFailure, assert_close, main_output

SAME = 1e-6  # relative to each output's scale: the same computation twice (the deterministic bound)
LOSS_REL = 1e-6  # a loss recomputed in float64 from the returned logits
_BROADCAST = "that is different to the input size"  # torch: "Using a target size (S) that is different to the input size (S)"


def returns_tuples(case: Any, model: Any) -> str | None:
    """The forward takes ``return_dict`` (by name, or among the keyword arguments a decorator reads)."""
    import inspect

    parameters = inspect.signature(model.forward).parameters.values()
    if "return_dict" in synth.forward_params(model) or any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return "its forward takes no return_dict"


def _compare(case: Any, actual: Any, expected: Any, where: str) -> None:
    """``actual`` (from ``return_dict=False``) holds ``expected`` (the dict output's ``to_tuple()``), element by element:
    the tuple's values that are not None are the dict's values that are set; non-tensor objects (a cache) are not
    compared, as in transformers' test."""
    import torch

    if isinstance(actual, dict) and not isinstance(expected, dict):
        actual = tuple(actual.values())
    if isinstance(actual, (tuple, list)) and isinstance(expected, (tuple, list)):
        # the values that are set, as in upstream's comparison: to_tuple() leaves out None (a plain tuple inside keeps
        # its Nones on both sides: llava's image_outputs), and a nested output that holds nothing (a losses output
        # without labels) is nothing the tuple leaves out
        actual = tuple(value for value in actual if value is not None)
        expected = tuple(value for value in expected if value is not None and not (isinstance(value, dict) and not value))
    if isinstance(actual, (tuple, list)) or isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)) or not isinstance(expected, (tuple, list)) or len(actual) != len(expected):
            raise CheckFailure(f"{case.model_type}: with return_dict=False {where} is "
                               f"{_describe(actual)}, the dict output's to_tuple() gives {_describe(expected)}")
        for index, (a, e) in enumerate(zip(actual, expected)):
            _compare(case, a, e, f"{where}[{index}]")
    elif isinstance(expected, dict):
        _compare(case, tuple(actual.values()) if isinstance(actual, dict) else actual, tuple(expected.values()), where)
    elif isinstance(expected, torch.Tensor):
        if not isinstance(actual, torch.Tensor):
            raise CheckFailure(f"{case.model_type}: with return_dict=False {where} is {_describe(actual)}, the dict output has a tensor")
        if expected.is_floating_point():
            assert_close(actual.nan_to_num(0.0), expected.nan_to_num(0.0), f"{case.model_type}: {where} with return_dict=False "
                         "vs the dict output", SAME)
        elif not torch.equal(actual, expected):
            raise CheckFailure(f"{case.model_type}: {where} with return_dict=False differs from the dict output")


def _describe(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a tensor {tuple(value.shape)}" if hasattr(value, "shape") else type(value).__name__


@check(applies=returns_tuples)
def tuple_matches_dict(case: Any, model: Any) -> None:
    model = case.precise(model)
    inputs = case.inputs(model)
    variants: list[tuple[str, dict[str, Any]]] = [("the output", {})]
    labels = task_labels(case, model, inputs)
    if labels is not None:
        labels = labels.to(next(model.parameters()).dtype) if labels.is_floating_point() else labels
        variants.append(("the output with labels", {"labels": labels}))
    if capabilities.records_outputs("hidden_states")(case, model) is None and _sound(case, "hidden_states"):
        variants.append(("the output with hidden states", {"output_hidden_states": True}))
    attentions = capabilities.records_outputs("attentions")(case, model) is None and _sound(case, "attentions")
    for where, options in variants:
        pair = [case.forward(model, {**inputs, **copy.deepcopy(options)}, return_dict=flag) for flag in (False, True)]
        _compare(case, pair[0], pair[1].to_tuple(), where)
    if attentions:
        def both(eager: Any) -> list[Any]:
            return [case.forward(eager, dict(inputs), return_dict=flag, output_attentions=True) for flag in (False, True)]

        pair = run_with(case, model, "eager", both)
        _compare(case, pair[0], pair[1].to_tuple(), "the output with attentions")


def _sound(case: Any, check_id: str) -> bool:
    """The outputs ``check_id`` checks are not turned off or a recorded failure for this model type (one record, read
    here too: a forward asked for them that crashes upstream fails that check, not this one)."""
    return not case.turned_off(check_id) and case._expected(check_id) is None


def _classification_heads() -> set[str]:
    """The classes transformers' auto classes register as a sequence, image, audio, video or time-series classifier:
    the heads whose loss follows ``config.problem_type``."""
    from transformers.models.auto import modeling_auto

    mappings = [getattr(modeling_auto, name) for name in dir(modeling_auto) if name.startswith("MODEL_FOR_")
                and name.endswith("_CLASSIFICATION_MAPPING_NAMES") and "ZERO_SHOT" not in name and "TOKEN" not in name]
    return {cls for mapping in mappings for value in mapping.values() for cls in ((value,) if isinstance(value, str) else value)}


def classifies_sequences(case: Any, model: Any) -> str | None:
    """A classification head with labels: a class the auto classes register as a classifier (as transformers'
    ``test_problem_types`` selects them), logits of one row of ``config.num_labels`` per sample, and a forward that
    takes ``labels``."""
    if "labels" not in synth.forward_params(model):
        return "its forward takes no labels"
    if type(model).__name__ not in _classification_heads():
        return f"{type(model).__name__} is not registered as a classification head (its loss is its own task's)"
    output = case.reference(model)
    logits = output.get("logits") if isinstance(output, dict) else None
    labels = getattr(model.config, "num_labels", None)
    if logits is None or not hasattr(logits, "shape"):
        return "it returns no logits"
    shape = (case.batch_size(), labels)
    return None if tuple(logits.shape) == shape else f"its logits {tuple(logits.shape)} are not one row of num_labels per sample {shape}"


PROBLEMS = ("single_label_classification", "multi_label_classification", "regression")


def _expected_loss(problem: str, logits: Any, labels: Any, num_labels: int) -> Any:
    """The loss ``problem`` defines on these logits, in float64 (transformers' ``ForSequenceClassificationLoss``)."""
    import torch

    logits = logits.detach().double()
    if problem == "regression":
        target = labels.double()
        return torch.nn.functional.mse_loss(logits.squeeze(), target.squeeze()) if num_labels == 1 else \
            torch.nn.functional.mse_loss(logits, target)
    if problem == "single_label_classification":
        return torch.nn.functional.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.double())


@check(applies=classifies_sequences)
def problem_type_losses(case: Any, model: Any) -> None:
    import torch

    from hfguard.testing.checks.loading import fresh_config, model_class, quiet

    batch = case.batch_size()
    precise = case.precise(model)
    one_label = fresh_config(model)
    one_label.num_labels = 1
    with quiet():
        torch.manual_seed(0)
        regressor = in_dtype_of(model_class(model)(one_label), precise).eval()
    generator = torch.Generator().manual_seed(7)
    for problem, subject in [*((p, precise) for p in PROBLEMS[:2]), (PROBLEMS[2], regressor)]:
        labels_count = subject.config.num_labels
        if problem == "single_label_classification":
            labels = torch.randint(labels_count, (batch,), generator=generator)
        elif problem == "multi_label_classification":
            labels = torch.randint(2, (batch, labels_count), generator=generator).to(torch.float64)
        else:
            labels = torch.randn(batch, generator=generator, dtype=torch.float64)
        with restored(subject), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            subject.config.problem_type = problem
            torch.manual_seed(0)
            output = subject(**case.inputs(precise), labels=labels)
            loss = getattr(output, "loss", None)
            if loss is None:
                raise CheckFailure(f"{case.model_type}: with problem_type={problem} and labels the model returns no loss")
            expected = _expected_loss(problem, output.logits, labels, labels_count)
            broadcast = [str(w.message) for w in caught if _BROADCAST in str(w.message)]
            if broadcast:
                raise CheckFailure(f"{case.model_type}: its {problem} loss broadcasts labels {tuple(labels.shape)} against "
                                   f"logits {tuple(output.logits.shape)} (torch warns: {broadcast[0][:120]})")
            gap = abs(float(loss.detach().double()) - float(expected))
            if gap > LOSS_REL * max(abs(float(expected)), 1e-30) + 1e-12:
                raise CheckFailure(f"{case.model_type}: with problem_type={problem} its loss is {float(loss):.6g}, the "
                                   f"{problem} loss of its logits is {float(expected):.6g}")
            if loss.requires_grad:
                loss.backward()


def _first_of_each(output: Any) -> tuple[dict[str, Any], list[str]]:
    """The first entry in the graph of every per-layer hidden state and attention field (nested outputs too), by name;
    and the fields none of whose entries is in the graph (returned detached). A stack that starts outside the graph (the
    model's input itself, a detector's constant object queries, queries a two-stage detector detaches by design) has
    nothing to pass a gradient to there: its first entry in the graph is checked (the tensor it views, if it is a view)."""
    found, detached = {}, []
    for kind in ("hidden_states", "attentions"):
        for name, tensors in per_layer(output, kind).items():
            entries = [(index, parts[0]) for index, parts in enumerate(map(layer_tensors, tensors)) if parts]
            in_graph = [(index, entry) for index, entry in entries if entry.is_floating_point() and entry.requires_grad]
            if in_graph:
                index, entry = in_graph[0]
                # a view (a reshaped or unpadded copy of the layer's tensor) receives its gradient through its base
                found[f"{name}[{index}]"] = entry if entry._base is None else entry._base
            elif any(entry.is_floating_point() for _, entry in entries):
                detached.append(f"{name}[0]")
    return found, detached


def _predictions(output: Any) -> dict[str, Any]:
    """Every returned floating tensor in the graph outside the per-layer hidden state and attention fields (nested
    outputs too): what a loss is computed from."""
    import torch

    found = {}
    for key, value in (output.items() if isinstance(output, dict) else enumerate(output)):
        if any(capabilities.is_per_layer_field(str(key), kind) for kind in ("hidden_states", "attentions")):
            continue
        if isinstance(value, torch.Tensor):
            if value.is_floating_point() and value.requires_grad:
                found[str(key)] = value
        elif isinstance(value, (dict, tuple, list)):
            found.update({f"{key}.{name}": tensor for name, tensor in _predictions(value).items()})
    return found


def retains_gradients(case: Any, model: Any) -> str | None:
    """The model returns per-layer hidden states, has trainable parameters and a floating main output."""
    reason = capabilities.records_outputs("hidden_states")(case, model) or capabilities.trains(case, model)
    if reason:
        return reason
    if not _sound(case, "hidden_states"):
        return "its hidden states are turned off or a recorded failure of hidden_states for this model type"
    name, main = main_output(case.reference(model))
    return None if main is not None and main.is_floating_point() else f"its main output {name} is not floating point"


@check(applies=retains_gradients)
def retain_grad_outputs(case: Any, model: Any) -> None:
    import torch

    options = {"output_hidden_states": True}
    if capabilities.records_outputs("attentions")(case, model) is None and _sound(case, "attentions"):
        options["output_attentions"] = True
    if "use_cache" in synth.forward_params(model):
        options["use_cache"] = False  # as in training (upstream's tester runs it in train mode): no cache updated in place

    def run(subject: Any) -> dict[str, Any]:
        torch.manual_seed(0)
        inputs = case.inputs(model)
        with torch.enable_grad():
            output = subject(**inputs, **options)
            firsts, detached = _first_of_each(output)
            if detached:
                raise CheckFailure(f"{case.model_type}: the returned {', '.join(detached[:4])} carry no gradient (returned "
                                   "detached): a loss on them cannot train the model")
            for tensor in firsts.values():
                tensor.retain_grad()
            # a loss on every returned prediction: a contrastive model's two towers each feed only their own embeddings
            total = sum(tensor.float()[tensor.isfinite()].sum() for tensor in _predictions(output).values())
            if isinstance(total, torch.Tensor):
                total.backward()
        return firsts

    with restored(model):
        firsts = run_with(case, model, "eager", run) if "output_attentions" in options else run(model)
        missing = [field for field, tensor in firsts.items() if tensor.grad is None]
        broken = [field for field, tensor in firsts.items() if tensor.grad is not None and not bool(tensor.grad.isfinite().all())]
    if missing:
        raise CheckFailure(f"{case.model_type}: the backward of its returned predictions does not reach {', '.join(missing[:4])}"
                           f"{f' and {len(missing) - 4} more' if len(missing) > 4 else ''}")
    if broken:
        raise CheckFailure(f"{case.model_type}: the backward of its returned predictions gives non-finite gradients on "
                           f"{', '.join(broken[:4])}")


def _flagged(model: Any) -> dict[str, bool]:
    """Every module with a ``gradient_checkpointing`` flag, and its value."""
    return {name or "(the model)": bool(module.gradient_checkpointing) for name, module in model.named_modules()
            if hasattr(module, "gradient_checkpointing")}


def _disable_checkpointing(model: Any) -> None:
    """Turn gradient (activation) checkpointing off: ``activation_checkpointing_disable`` from transformers 5.24."""
    disable = getattr(model, "activation_checkpointing_disable", None) or model.gradient_checkpointing_disable
    disable()



def _reads_checkpointing_flag(module: Any) -> bool:
    """``module`` has a ``gradient_checkpointing`` flag that its forward reads (``if self.gradient_checkpointing ...``)."""
    import inspect

    if not hasattr(module, "gradient_checkpointing"):
        return False
    try:
        return "self.gradient_checkpointing" in inspect.getsource(type(module).forward)
    except (OSError, TypeError):
        return False

@check(applies=capabilities.checkpoints_gradients)
def checkpointing_switch(case: Any, model: Any) -> None:
    from transformers.modeling_layers import GradientCheckpointingLayer

    from hfguard.testing.checks.loading import fresh_config, model_class, quiet
    from hfguard.testing.checks.training import enable_checkpointing

    on = [name for name, flag in _flagged(model).items() if flag]
    if on:
        raise CheckFailure(f"{case.model_type}: gradient checkpointing is on after a plain build: {', '.join(on[:4])}")
    # a layer that checkpoints itself, or a sub-module with the flag that checkpoints its layers (the mechanism before
    # GradientCheckpointingLayer: ``if self.gradient_checkpointing and self.training``); the model's own flag alone does nothing
    if not any(isinstance(module, GradientCheckpointingLayer) or module is not model and _reads_checkpointing_flag(module)
               for module in model.modules()):
        raise CheckFailure(f"{case.model_type}: supports_gradient_checkpointing is True, but no layer is a GradientCheckpointingLayer "
                           "and no sub-module's forward reads a gradient_checkpointing flag")
    for adapter in (False, True):  # also as PEFT leaves a model: an adapter loaded, its inputs made to require grads
        with restored(model):
            if adapter:
                model._hf_peft_config_loaded = True
            enable_checkpointing(model)
            off = [name for name, flag in _flagged(model).items() if not flag]
            _disable_checkpointing(model)
            left = [name for name, flag in _flagged(model).items() if flag]
        how = " with an adapter loaded" if adapter else ""
        if off:
            raise CheckFailure(f"{case.model_type}: enabling gradient checkpointing{how} leaves {len(off)} modules off: {', '.join(off[:4])}")
        if left:
            raise CheckFailure(f"{case.model_type}: disabling gradient checkpointing{how} leaves {len(left)} modules on: {', '.join(left[:4])}")
    config = fresh_config(model)
    config.gradient_checkpointing = True  # how checkpoints saved before transformers 4.35 asked for it
    with quiet():
        built = model_class(model)(config)
    if not any(_flagged(built).values()):
        raise CheckFailure(f"{case.model_type}: built from a config with gradient_checkpointing=True, no module checkpoints")
    with restored(model):
        try:
            model.enable_input_require_grads()
        except NotImplementedError as error:
            raise CheckFailure(f"{case.model_type}: enable_input_require_grads() raises NotImplementedError: {error}") from None
        model.disable_input_require_grads()


@check()
def main_input_name(case: Any, model: Any) -> None:
    import inspect

    cls = type(model)  # a mutation's subclass included: what users of the broken class would get
    parameters = [p.name for p in inspect.signature(cls.forward).parameters.values()
                  if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    declared = cls.main_input_name
    # a model with several main inputs (an image and a task prompt) lists them, the forward's first argument first
    main = declared[0] if isinstance(declared, (list, tuple)) and declared and set(declared) <= set(parameters) else declared
    if parameters and main != parameters[0]:
        raise CheckFailure(f"{case.model_type}: {cls.__name__}.main_input_name is {cls.main_input_name!r}, but its forward's "
                           f"first argument is {parameters[0]!r}")
