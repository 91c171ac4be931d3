"""Training: one step of the model in train mode (then restored as it was), a loss from labels (or, for heads
without labels, the mean square of every output), backward, and a finite, non-zero gradient on every trainable parameter;
gradient checkpointing gives the same gradients where the model supports it.

A parameter may get no gradient only where the model itself says why, read from the backward pass:

- its module never ran, or never read it (an optional branch: a mask token for masked inputs);
- its module's output never reaches the loss while the module's input does: a branch the head discards
  (a pooler a token head skips, vision layers after the layer the language model reads, scores turned into
  indices);
- its module returns no floating output (discrete results such as routing indices).

A module whose output and every input get no gradient has its gradient blocked, and fails the check (a
``detach``, a ``no_grad`` forward); so does a linear or convolution weight with a gradient of zeros where its module
passed a gradient on and read a non-zero input (other parameters may get exact zeros: an embedding's padding row, a
bias a normalisation removes), and any non-finite gradient.
Exceptions beyond these are data in the overrides table (``unused_parameters``), with their reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hfguard.testing import capabilities
from hfguard.testing.checks.registry import check
from hfguard.testing.model_state import restored
from hfguard.testing.overrides import unused_parameters
from hfguard.testing.tensors import CheckFailure, assert_close, main_output, scale

SAME_GRADIENT = 1e-5  # relative to each gradient's scale: recomputation repeats the same operations
# a gradient that is zero in exact arithmetic (a key bias under softmax) is rounding noise of its own scale: gradients
# under sqrt(eps) of the model's largest (1.5e-8 in float64, 3.5e-4 in float32) are compared relative to that floor, so
# the bound is nine orders of magnitude (float64) or 300x (float32: biogpt's noise was 1.2e-11 of the largest) above it
_SHOWN = 4


@check(applies=capabilities.trains)
def training_step(case: Any, model: Any) -> None:
    inputs = case.inputs(model)
    with one_step(model):
        loss, source = training_loss(case, model, inputs)
        if not bool(loss.isfinite()):
            raise CheckFailure(f"{case.model_type}: {source} is {float(loss)}")
        loss.backward()
        gradients = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
        trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
        learns = all(p.grad is not None and bool(p.grad.isfinite().all()) and bool(p.grad.any()) for p in trainable.values())
    case.memo(model, "gradients", lambda: gradients)
    if learns:
        return  # every parameter learns: nothing to explain
    with one_step(model), GradientFlow(model) as flow:  # the same step again, watched module by module
        training_loss(case, model, inputs)[0].backward()
        problems = _gradient_problems(case, model, flow)
    for kind, names in problems.items():
        if names:
            shown = ", ".join(names[:_SHOWN]) + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
            raise CheckFailure(f"{case.model_type}: {len(names)} of {len(trainable)} trainable parameters get {kind} "
                               f"from the {source}: {shown}")


def _gradient_problems(case: Any, model: Any, flow: GradientFlow) -> dict[str, list[str]]:
    """The trainable parameters, by kind of problem, whose gradients the model does not explain."""
    exempt = [re.compile(pattern) for pattern in unused_parameters(case.model_type)]
    problems: dict[str, list[str]] = {"a non-finite gradient": [], "no gradient (blocked)": [], "a zero gradient": []}
    aside = flow.set_aside()
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad or any(pattern.search(name) for pattern in exempt):
            continue
        grad = parameter.grad
        if grad is not None and not bool(grad.isfinite().all()):
            problems["a non-finite gradient"].append(name)
        elif grad is None and flow.blocked(name, aside):
            problems["no gradient (blocked)"].append(name)
        elif grad is not None and not bool(grad.any()) and flow.due(name):
            problems["a zero gradient"].append(name)
    return problems


@contextmanager
def one_step(model: Any) -> Iterator[Any]:
    """``model`` in train mode for one training forward and backward, then exactly as it was."""
    with restored(model):
        yield model.train()


class GradientFlow:
    """Every module call of a training forward, and whether its outputs and inputs got gradients in the backward.

    Calls, not modules: a module called twice (a shared embedding read by the encoder and the decoder, one
    cross-attention layer run in both directions) can have one call's output live and the other's cut or discarded.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.ran: set[str] = set()  # modules that ran
        self.module_of: dict[int, str] = {}  # call -> its module
        self.parent: dict[int, int | None] = {}  # call -> the call it ran inside
        self.floating_out: set[int] = set()  # calls with a floating output
        self.reached: set[int] = set()  # ... one of whose outputs got a non-zero gradient
        self.input_reached: set[int] = set()  # calls one of whose floating inputs got a gradient
        self.discrete_out: set[int] = set()  # calls returning integer tensors (codes, indices) among their outputs
        self.live_out: set[int] = set()  # calls one of whose floating outputs requires grad
        self.producer: dict[Any, int] = {}  # autograd node of an output -> the innermost call returning it
        self.inputs_of: dict[int, list[Any]] = {}  # call -> the autograd nodes of its floating inputs
        self.input_scale: dict[str, float] = {}  # module -> the largest magnitude of its floating inputs
        self.output_grad_scale: dict[str, float] = {}  # ... and of the gradient reaching its outputs
        self._stack: list[int] = []
        self._handles: list[Any] = []

    def __enter__(self) -> GradientFlow:
        for name, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._enter(name)))
            self._handles.append(module.register_forward_hook(self._record(name), with_kwargs=True))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()

    def _enter(self, name: str) -> Any:
        def enter(module: Any, args: Any) -> None:
            call = len(self.module_of)
            self.module_of[call] = name
            self.parent[call] = self._stack[-1] if self._stack else None
            self._stack.append(call)
        return enter

    def _record(self, name: str) -> Any:
        def record(module: Any, args: Any, kwargs: Any, output: Any) -> None:
            call = self._stack.pop()
            self.ran.add(name)
            inputs = _floating((args, kwargs))
            if inputs:
                largest = max((float(t.detach().abs().max()) for t in inputs if t.numel()), default=0.0)
                self.input_scale[name] = max(self.input_scale.get(name, 0.0), largest)
            self.inputs_of[call] = [t.grad_fn for t in inputs if t.grad_fn is not None]
            for tensor in inputs:
                if tensor.requires_grad:
                    tensor.register_hook(lambda grad: self.input_reached.add(call))
            if _discrete(output):
                self.discrete_out.add(call)
            for tensor in _floating(output):
                self.floating_out.add(call)
                if tensor.grad_fn is not None:
                    self.producer.setdefault(tensor.grad_fn, call)  # hooks fire innermost first
                if tensor.requires_grad:
                    self.live_out.add(call)
                    tensor.register_hook(lambda grad: self._reached(call, grad))
        return record

    def _reached(self, call: int, grad: Any) -> None:
        largest = float(grad.abs().max()) if grad is not None and grad.numel() else 0.0  # an undefined gradient: None
        if largest:
            name = self.module_of[call]
            self.reached.add(call)
            self.output_grad_scale[name] = max(self.output_grad_scale.get(name, 0.0), largest)

    def _enclosing(self, call: int) -> set[int]:
        """The calls ``call`` ran inside (they see its output as theirs)."""
        found, current = set(), self.parent.get(call)
        while current is not None:
            found.add(current)
            current = self.parent.get(current)
        return found

    def set_aside(self) -> set[int]:
        """Calls whose output does not reach the loss by design: discrete (no floating output), discarded by the
        head (their input reaches the loss, their output does not), fed only by such calls (a norm after a
        discarded layer), or feeding only calls that turn them into codes (a VQ encoder before its quantizer)."""
        calls = set(self.inputs_of)
        sources = {c: [self._producers(node) for node in self.inputs_of[c]] for c in calls}
        # an input is live when it got a gradient, or when the call that made it passed one on (a slice of a live
        # output, e.g. a pooler's first token, gets none once the pooler's output is discarded)
        fed_live = {c for c, groups in sources.items() if c in self.input_reached or any(g & self.reached for g in groups)}
        aside = {c for c in calls if c not in self.floating_out or c not in self.reached and c in fed_live}
        consumers: dict[int, set[int]] = {}
        for consumer, groups in sources.items():
            for producer in set().union(*groups) if groups else ():
                consumers.setdefault(producer, set()).add(consumer)
        grown = True
        while grown:
            dead = {c for c in calls - aside if c not in self.reached}
            fed = {c for c in dead if sources[c] and all(producers and producers <= aside for producers in sources[c])}
            feeding = {c for c in dead if consumers.get(c) and all(k in aside or k in self.discrete_out and k not in self.input_reached
                                                                  for k in consumers[c] - {c} - self._enclosing(c))}
            grown = bool(fed | feeding)
            aside |= fed | feeding
        return aside

    def _producers(self, node: Any, limit: int = 64) -> set[int]:
        """The calls whose outputs an input was computed from: the nearest recorded nodes up its autograd graph
        (a slice or a reshape of a call's output leads back to that call)."""
        found, seen, pending = set(), set(), [node]
        while pending and len(seen) < limit:
            current = pending.pop()
            if current is None or current in seen:
                continue
            seen.add(current)
            if current in self.producer:
                found.add(self.producer[current])
            else:
                pending.extend(next_node for next_node, _ in current.next_functions)
        return found

    def cut(self) -> set[int]:
        """Calls that computed with gradients inside (a call they made returned an output requiring grad) but returned
        floating outputs none of which requires grad: a ``detach`` (or ``no_grad``) at their output."""
        found: set[int] = set()
        for call in self.live_out:
            for outer in self._enclosing(call):
                if outer in self.floating_out and outer not in self.live_out:
                    found.add(outer)
        return found

    def blocked(self, parameter: str, aside: set[int]) -> bool:
        """A call of the parameter's module returned a floating output that, like every input, got no gradient,
        inside no call set aside, or inside a call that cut the gradient at its output: the gradient was cut on its way."""
        owner = _owners(parameter)[0]
        cut = self.cut()
        return any(self.module_of[c] == owner and c in self.floating_out and c not in self.reached and c not in self.input_reached
                   and (c in cut or self._enclosing(c) & cut or c not in aside and not self._enclosing(c) & aside)
                   for c in self.inputs_of)

    def due(self, parameter: str) -> bool:
        """A linear or convolution weight whose module passed a gradient on and read an input whose product is
        representable in float32: its gradient (the output gradient times the input) cannot be all zeros. (Other
        parameters can: a padding row of an embedding, a bias after a normalisation; and products below 1e-30 underflow.)"""
        import torch

        owner = _owners(parameter)[0]
        module = self.model.get_submodule(owner)
        linear = isinstance(module, (torch.nn.Linear, torch.nn.modules.conv._ConvNd)) and parameter.endswith(".weight")
        return linear and self.output_grad_scale.get(owner, 0.0) * self.input_scale.get(owner, 0.0) > 1e-30


def _owners(parameter: str) -> list[str]:
    """The parameter's module and its ancestors, innermost first."""
    parts = parameter.split(".")[:-1]
    return [".".join(parts[:end]) for end in range(len(parts), -1, -1)]


def _discrete(value: Any) -> bool:
    """Whether an output holds an integer tensor (codes, indices)."""
    import torch

    if isinstance(value, torch.Tensor):
        return not value.is_floating_point() and not value.is_complex() and value.dtype != torch.bool
    if isinstance(value, dict):
        return any(_discrete(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(_discrete(v) for v in value)
    return any(_discrete(v) for v in vars(value).values()) if hasattr(value, "__dataclass_fields__") else False


def _floating(value: Any) -> list[Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value] if value.is_floating_point() else []
    if isinstance(value, dict):
        return [t for v in value.values() for t in _floating(v)]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _floating(v)]
    return [t for v in vars(value).values() for t in _floating(v)] if hasattr(value, "__dataclass_fields__") else []


@check(applies=capabilities.checkpoints_gradients)
def gradient_checkpointing(case: Any, model: Any) -> None:
    # both backward passes run on the float64 twin (ModelCase.precise): in float32, a gradient that is zero in exact
    # arithmetic (biogpt's key bias) came out 5e-12 on one CPU's kernels and another value on another's
    model = case.precise(model)
    inputs = case.inputs(model)
    expected = case.memo(model, "gradients", lambda: plain_gradients(case, model, inputs))
    with one_step(model):
        enable_checkpointing(model)
        if not any(getattr(module, "gradient_checkpointing", False) for module in model.modules()):
            raise CheckFailure(f"{case.model_type}: checkpointing was enabled but no layer checkpoints")
        actual = _gradients(case, model, inputs)
    import torch

    largest = max((scale(grad) for grad in expected.values()), default=0.0)
    floor = largest * torch.finfo(next(iter(expected.values())).dtype).eps ** 0.5 if expected else 0.0
    for name, grad in expected.items():
        if name not in actual:
            raise CheckFailure(f"{case.model_type}: {name} gets no gradient with gradient checkpointing")
        rel = SAME_GRADIENT * max(1.0, floor / scale(grad))  # a gradient of rounding noise is compared on the floor
        assert_close(actual[name], grad, f"{case.model_type}: gradient of {name} with checkpointing", rel)


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

    import numpy

    labels = task_labels(case, model, inputs)
    torch.manual_seed(seed)
    numpy.random.seed(seed)  # SpecAugment masks are drawn with numpy (wav2vec2 and its kin)
    output = model(**inputs, labels=labels) if labels is not None else model(**inputs)
    loss = getattr(output, "loss", None) if labels is not None else None
    carries_gradient(case, output, loss)
    if isinstance(loss, torch.Tensor):
        return loss.float().mean(), "loss from labels"
    parts = [(t.float()[t.isfinite()] ** 2).mean() for _, t in named_tensors(output)  # a documented -inf padding aside
             if t.is_floating_point() and t.requires_grad and bool(t.isfinite().any())]
    if not parts:
        raise CheckFailure(f"{case.model_type}: no output of the training forward carries a gradient")
    return torch.stack(parts).sum(), "mean square of the outputs"


def carries_gradient(case: Any, output: Any, loss: Any) -> None:
    """What a training forward returns carries the gradient to the weights: the loss it computed from labels, and its
    main output where that is floating point (side outputs never stand in for them: a detached loss or logits beside a
    live tower's embeddings would still train that tower)."""
    import torch

    if isinstance(loss, torch.Tensor) and not loss.requires_grad:
        raise CheckFailure(f"{case.model_type}: the loss from labels carries no gradient: it is detached from the weights")
    name, main = main_output(output)
    if main is not None and main.is_floating_point() and not main.requires_grad:
        raise CheckFailure(f"{case.model_type}: {name} carries no gradient in train mode: it is detached from the weights")


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
        special = sorted(synth.special_ids(config))  # media placeholders and special tokens are not predicted (-100)
        return ids.masked_fill(torch.isin(ids, torch.tensor(special, dtype=ids.dtype)), -100) if special else ids.clone()
    if task.endswith("-classification") and task != "token-classification":
        labels = getattr(config, "num_labels", 2)
        return torch.zeros(batch) if labels == 1 else torch.zeros(batch, dtype=torch.long)
    if task == "token-classification" and "input_ids" in inputs:
        return torch.zeros_like(inputs["input_ids"])
    if task == "ctc":
        return synth.token_ids(config, (batch, 4), seed=12).clamp(min=1)
    return None


def plain_gradients(case: Any, model: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """The gradients one training step gives ``model``'s parameters (``model`` itself is left as it was)."""
    with one_step(model):
        return _gradients(case, model, inputs)


def _gradients(case: Any, model: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    loss, _ = training_loss(case, model, {k: v.clone() if hasattr(v, "clone") else v for k, v in inputs.items()})
    loss.backward()
    return {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
