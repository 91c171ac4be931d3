"""Training: one step on a copy of the model in train mode, a loss from labels (or, for heads without labels,
the mean square of every output), backward, and a finite, non-zero gradient on every trainable parameter
(parameters the training forward does not reach are named, with the reason, in the overrides table);
gradient checkpointing gives the same gradients where the model supports it."""

from __future__ import annotations

import copy
import re
from typing import Any

from hfguard.testing import capabilities
from hfguard.testing.checks.registry import check
from hfguard.testing.overrides import unused_parameters
from hfguard.testing.tensors import CheckFailure, assert_close

SAME_GRADIENT = 1e-5  # relative to each gradient's scale: recomputation repeats the same operations
_SHOWN = 4


@check(applies=capabilities.trains)
def training_step(case: Any, model: Any) -> None:
    trained = copy.deepcopy(model).train()
    loss, source = training_loss(case, trained, case.inputs(model))
    if not bool(loss.isfinite()):
        raise CheckFailure(f"{case.model_type}: {source} is {float(loss)}")
    loss.backward()
    exempt = [re.compile(pattern) for pattern in unused_parameters(case.model_type)]
    problems: dict[str, list[str]] = {"no gradient": [], "a zero gradient": [], "a non-finite gradient": []}
    trainable = [(name, p) for name, p in trained.named_parameters() if p.requires_grad]
    for name, parameter in trainable:
        if any(pattern.search(name) for pattern in exempt):
            continue
        grad = parameter.grad
        kind = "no gradient" if grad is None else "a non-finite gradient" if not bool(grad.isfinite().all()) else \
            "a zero gradient" if not bool(grad.any()) else None
        if kind:
            problems[kind].append(name)
    found = [(kind, names) for kind, names in problems.items() if names]
    if found:
        kind, names = found[0]
        shown = ", ".join(names[:_SHOWN]) + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
        raise CheckFailure(f"{case.model_type}: {len(names)} of {len(trainable)} trainable parameters get {kind} "
                           f"from the {source}: {shown}")


@check(applies=capabilities.checkpoints_gradients)
def gradient_checkpointing(case: Any, model: Any) -> None:
    inputs = case.inputs(model)
    plain = copy.deepcopy(model).train()
    expected = _gradients(case, plain, inputs)
    checkpointed = copy.deepcopy(model).train()
    enable_checkpointing(checkpointed)
    if not any(getattr(module, "gradient_checkpointing", False) for module in checkpointed.modules()):
        raise CheckFailure(f"{case.model_type}: gradient_checkpointing_enable() turned on no layer")
    actual = _gradients(case, checkpointed, inputs)
    for name, grad in expected.items():
        if name not in actual:
            raise CheckFailure(f"{case.model_type}: {name} gets no gradient with gradient checkpointing")
        assert_close(actual[name], grad, f"{case.model_type}: gradient of {name} with checkpointing", SAME_GRADIENT)


def enable_checkpointing(model: Any) -> None:
    """Turn gradient (activation) checkpointing on, non-reentrant: ``activation_checkpointing_enable`` from
    transformers 5.24, ``gradient_checkpointing_enable`` before."""
    enable = getattr(model, "activation_checkpointing_enable", None)
    if enable is not None:
        enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def training_loss(case: Any, model: Any, inputs: dict[str, Any], seed: int = 0) -> tuple[Any, str]:
    """A seeded training forward of ``model`` on ``inputs``: (loss, what it is). The model's own loss from the task's labels
    when its forward takes ``labels`` and returns a loss, else the mean square of every floating output."""
    import torch

    from hfguard.testing.tensors import named_tensors

    labels = task_labels(case, model, inputs)
    torch.manual_seed(seed)
    if labels is not None:
        output = model(**inputs, labels=labels)
        loss = getattr(output, "loss", None)
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            return loss.float().mean(), "loss from labels"
    else:
        output = model(**inputs)
    parts = [(t.float() ** 2).mean() for _, t in named_tensors(output) if t.is_floating_point() and t.requires_grad]
    if not parts:
        raise CheckFailure(f"{case.model_type}: no output of the training forward carries a gradient")
    return torch.stack(parts).sum(), "mean square of the outputs"


def task_labels(case: Any, model: Any, inputs: dict[str, Any]) -> Any:
    """Labels of the model's task shaped as its loss expects, or None when its forward takes none (or the task has
    no plain labels: the loss then is the outputs' mean square)."""
    import torch

    from hfguard.testing import synth

    if "labels" not in synth.forward_params(model):
        return None
    config, task, batch = model.config, case.task or "", case.batch_size()
    ids = inputs.get("decoder_input_ids", inputs.get("input_ids"))
    if task in ("causal-lm", "masked-lm", "seq-to-seq-causal-lm", "image-text-to-text", "multimodal-lm", "speech-seq-2-seq") \
            and ids is not None and ids.dim() == 2:
        return ids.clone()
    if task.endswith("-classification") and task != "token-classification":
        labels = getattr(config, "num_labels", 2)
        return torch.zeros(batch) if labels == 1 else torch.zeros(batch, dtype=torch.long)
    if task == "token-classification" and "input_ids" in inputs:
        return torch.zeros_like(inputs["input_ids"])
    if task == "ctc":
        return synth.token_ids(config, (batch, 4), seed=12).clamp(min=1)
    return None


def _gradients(case: Any, model: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    loss, _ = training_loss(case, model, {k: v.clone() if hasattr(v, "clone") else v for k, v in inputs.items()})
    loss.backward()
    return {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
