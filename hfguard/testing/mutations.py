"""Kinds of breakage injected into a built tiny model, to measure what the generated tests catch
(``hfguard mutate``; a test of hfguard's own per check).

``HFGUARD_MUTATION=<kind>`` makes ``ModelCase.build`` break the model in that way. A kind applies to a model
when the capability its checks need holds (and no overrides entry turns all of them off); otherwise the
model's tests skip with ``mutation <kind> does not apply``. With ``HFGUARD_MUTATION_LOG=<dir>`` each build
writes ``<dir>/<model type>.json``: the kind, whether it applied, and why not.

The model is broken through a subclass of its own class (so copies, ``generate`` and reloading keep the
breakage), except for weights changed across save/load, which a ``state_dict`` hook changes on the way out, and a
layer's gradient cut, which replaces that layer's ``forward``. A kind whose breakage can pass the model by (nested or
listed per-layer outputs, a layer off the gradient's path, a cache layer a custom cache keeps elsewhere) looks at what
it changed: where nothing changed, it does not apply to that model ("it does not take effect: ..."), rather than
counting as missed.

A team's own kinds (``hfguard.testing.team_mutation``, from the registry's team modules) break the team's code
instead, through a ``pytest.MonkeyPatch`` that ``undo_team_breakage`` undoes after the model type's tests.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfguard.testing import capabilities, synth, team
from hfguard.testing.checks import decoding, generation
from hfguard.testing.overrides import input_hints
from hfguard.testing.tensors import main_output, scale

MUTATION_ENV = "HFGUARD_MUTATION"
LOG_ENV = "HFGUARD_MUTATION_LOG"


@dataclass(frozen=True)
class Kind:
    """One kind of breakage."""

    id: str
    meaning: str  # "the model is broken so that ..."
    checks: tuple[str, ...]  # the checks written to catch it
    capability: Callable[[Any, Any], "str | None"]
    apply: Callable[[Any, Any], "str | None"]  # None, or why the breakage does not take effect on this model


def _always(case: Any, model: Any) -> None:
    return None


def _has_positions(case: Any, model: Any) -> str | None:
    main = main_output(case.forward(model))[1]
    return None if main is not None and main.dim() >= 2 and main.shape[1] > 1 else "its main output has no second axis to shorten"


def _reads_something(case: Any, model: Any) -> str | None:
    return None if capabilities.reads_tokens(case, model) is None or capabilities.reads_signal(case, model) is None \
        else "it reads neither tokens nor media"


def _main_key(output: Any) -> str | None:
    name = main_output(output)[0]
    return name.split(".", 1)[1] if name.startswith("output.") and isinstance(output, dict) else None


def _subclass(model: Any, attributes: dict[str, Any] | None = None, **methods: Callable[..., Any]) -> None:
    """Give ``model`` a subclass of its class (same name) whose ``methods`` wrap the originals, with ``attributes``
    added as they are."""
    base = type(model)
    namespace = dict(attributes or {})
    for name, wrapper in methods.items():
        namespace[name] = _method(wrapper, getattr(base, name))
    model.__class__ = type(base.__name__, (base,), {**namespace, "__module__": base.__module__})


def _method(wrapper: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return wrapper(original, self, *args, **kwargs)

    return method


def _rewriting_outputs(model: Any, rewrite: Callable[[Any, Any, dict[str, Any]], None]) -> None:
    """Give ``model`` a forward whose dict output ``rewrite(self, output, kwargs)`` changes in place; asked for a tuple
    (``return_dict=False``), it returns the rewritten dict output's ``to_tuple()``, broken alike."""
    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        as_tuple = kwargs.get("return_dict") is False
        if as_tuple:
            kwargs["return_dict"] = True
        output = original(self, *args, **kwargs)
        rewrite(self, output, kwargs)
        return output.to_tuple() if as_tuple and hasattr(output, "to_tuple") else output

    _subclass(model, forward=forward)


def _on_main(transform: Callable[[Any, Any, dict[str, Any]], Any]) -> Callable[[Any, Any], None]:
    """A breakage that rewrites the main output of every forward: ``transform(model, main, kwargs)``; asked for a
    tuple (``return_dict=False``), the forward returns the rewritten dict output's ``to_tuple()``, broken alike."""
    def apply(case: Any, model: Any) -> None:
        def rewrite(self: Any, output: Any, kwargs: dict[str, Any]) -> None:
            key = _main_key(output)
            if key is not None:
                changed = transform(self, output[key], kwargs)
                if changed is not None:
                    output[key] = changed

        _rewriting_outputs(model, rewrite)

    apply.on_main = True  # type: ignore[attr-defined]  # applies only where the main output is floating point
    return apply


def _on_inputs(transform: Callable[[Any, dict[str, Any]], None]) -> Callable[[Any, Any], None]:
    """A breakage that rewrites the forward's keyword inputs in place: ``transform(model, kwargs)``."""
    def apply(case: Any, model: Any) -> None:
        def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
            transform(self, kwargs)
            return original(self, *args, **kwargs)

        _subclass(model, forward=forward)

    return apply


def _nan(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    if not main.is_floating_point() or not main.numel():
        return None
    out = main.clone()
    out.view(-1)[min(7, out.numel() - 1)] = float("nan")
    return out


def _noise(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    import torch

    if not main.is_floating_point():
        return None
    generator = torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
    return main + torch.randn(main.shape, generator=generator).to(main.dtype) * 1e-3 * scale(main)


def _constant(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    return main * 0 + 0.5 if main.is_floating_point() else None


def _short(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    return main.narrow(1, 0, main.shape[1] - 1) if main.dim() >= 2 and main.shape[1] > 1 else None


def _leak(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    batch = next((v.shape[0] for v in kwargs.values() if hasattr(v, "shape") and v.dim() > 0), 1)
    if batch < 2 or not main.is_floating_point() or main.shape[0] % batch:
        return None
    rows = main.shape[0] // batch
    out = main.clone()
    out[:rows] = main[:rows] + 0.1 * main[-rows:]
    return out


def _drift_on_cache(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    past = kwargs.get("cache", kwargs.get("past_key_values"))
    length = past.get_seq_length() if hasattr(past, "get_seq_length") else 0
    return main + 0.01 * scale(main) if length and main.is_floating_point() else None


def _eager_differs(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    eager = getattr(model.config, "_attn_implementation", None) == "eager"
    return main + 1e-3 * scale(main) if eager and main.is_floating_point() else None


def _bf16_differs(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    import torch

    low = any(p.dtype == torch.bfloat16 for p in model.parameters())
    return main + 0.5 * scale(main) if low and main.is_floating_point() else None


def _checkpointing_differs(case: Any, model: Any) -> None:
    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        output = original(self, *args, **kwargs)
        on = any(getattr(module, "gradient_checkpointing", False) for module in self.modules()) and self.training
        for key in ("loss", _main_key(output)) if on and isinstance(output, dict) else ():
            if key is not None and output.get(key) is not None:
                output[key] = output[key] * 1.01
        return output

    _subclass(model, forward=forward)


def _ignore_mask(model: Any, kwargs: dict[str, Any]) -> None:
    import torch

    if kwargs.get("attention_mask") is not None:
        kwargs["attention_mask"] = torch.ones_like(kwargs["attention_mask"])


def _skew_embeds(model: Any, kwargs: dict[str, Any]) -> None:
    if kwargs.get("inputs_embeds") is not None and kwargs.get("input_ids") is None:
        kwargs["inputs_embeds"] = kwargs["inputs_embeds"] * 1.05


def _crop_channels(model: Any, kwargs: dict[str, Any]) -> None:
    pixels = kwargs.get("pixel_values")
    channels = synth.image_shape(model.config)[0]
    if pixels is not None and pixels.dim() >= 4 and pixels.shape[-3] > channels:
        kwargs["pixel_values"] = pixels.narrow(-3, 0, channels)


def _refuses_channels(case: Any, model: Any) -> str | None:
    reason = capabilities.reads_images(case, model)
    if reason is None and input_hints(case.model_type).get("reads_first_channel"):
        return "it reads channel 0 only (its overrides' reads_first_channel): any channel count is its contract"
    return reason


def _crash_without_decoder_inputs(model: Any, kwargs: dict[str, Any]) -> None:
    if all(kwargs.get(name) is None for name in ("decoder_input_ids", "decoder_inputs_embeds", "labels")):
        raise TypeError("'NoneType' object is not subscriptable (hfguard mutation: no decoder inputs)")


def _dropout_in_eval(case: Any, model: Any) -> None:
    import torch

    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        layers = [m for m in self.modules() if isinstance(m, torch.nn.Dropout) and m.p > 0]
        if self.training:
            return original(self, *args, **kwargs)
        for layer in layers:
            layer.train()
        try:
            output = original(self, *args, **kwargs)
        finally:
            for layer in layers:
                layer.eval()
        key = _main_key(output)
        if not layers and key is not None and output[key].is_floating_point():  # no dropout layer: drop on the output
            output[key] = torch.nn.functional.dropout(output[key], p=0.1, training=True)
        return output

    _subclass(model, forward=forward)


def _no_gradient(case: Any, model: Any) -> None:
    import torch

    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        if not torch.is_grad_enabled():
            return original(self, *args, **kwargs)
        with torch.no_grad():
            output = original(self, *args, **kwargs)
        for key in list(output.keys()) if isinstance(output, dict) else ():
            value = output[key]
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                output[key] = value.detach().requires_grad_()
        return output

    _subclass(model, forward=forward)


def _detached_returns(case: Any, model: Any) -> None:
    import torch

    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        output = original(self, *args, **kwargs)
        for key in ("loss", _main_key(output)) if torch.is_grad_enabled() and isinstance(output, dict) else ():
            value = output.get(key) if key is not None else None
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                output[key] = value.detach()  # the towers and side outputs stay live
        return output

    _subclass(model, forward=forward)


def _first_layers(model: Any) -> list[Any]:
    """The first layer of each stack of layers (a ``ModuleList``) of the model, in module order."""
    import torch

    return [stack[0] for stack in model.modules() if isinstance(stack, torch.nn.ModuleList) and len(stack)]


def _has_layers(case: Any, model: Any) -> str | None:
    return capabilities.trains(case, model) or (None if _first_layers(model) else "it has no stack of layers")


def _detached(value: Any) -> Any:
    """``value`` with every floating tensor in it detached: a tensor, a tuple, list or dict of them, a model output."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach() if value.is_floating_point() else value
    if isinstance(value, dict):  # a ModelOutput too: its fields are set in place
        for key in list(value.keys()):
            value[key] = _detached(value[key])
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(item) for item in value) if not hasattr(value, "_fields") else \
            type(value)(*(_detached(item) for item in value))
    return value


def learning_parameters(case: Any, model: Any) -> frozenset[str]:
    """The trainable parameters one training step gives a non-zero gradient (``model`` is left as it was)."""
    from hfguard.testing.checks.training import one_step, training_loss

    with one_step(model):
        training_loss(case, model, case.inputs(model))[0].backward()
        return frozenset(name for name, p in model.named_parameters() if p.grad is not None and bool(p.grad.any()))


def _detached_first_layer(case: Any, model: Any) -> str | None:
    """Replace the ``forward`` of the first layer of a stack whose cut changes the gradients (so that direct
    ``layer.forward(...)`` calls and output-capturing hooks see the detached output): the first stack's, or the next."""
    try:
        unbroken = learning_parameters(case, model)
    except Exception as error:  # noqa: BLE001 - a model that cannot train unbroken: its suite reports that
        return f"its training step fails unbroken ({type(error).__name__})"
    for layer in _first_layers(model)[:8]:
        original = layer.forward
        layer.forward = functools.wraps(original)(lambda *args, _original=original, **kwargs: _detached(_original(*args, **kwargs)))
        try:
            if learning_parameters(case, model) != unbroken:
                return None
        except Exception:  # noqa: BLE001 - the cut breaks the training step outright: it took effect
            return None
        del layer.forward  # the class's forward again
    return "a detach after the first layer of each stack leaves every gradient as it was"


def _weight_changes_on_save(case: Any, model: Any) -> None:
    def hook(module: Any, state: dict[str, Any], prefix: str, metadata: Any) -> None:
        name = next((k for k, v in state.items() if hasattr(v, "is_floating_point") and v.is_floating_point() and v.numel()), None)
        if name is not None:
            state[name] = state[name] + 0.01 * scale(state[name])

    model.register_state_dict_post_hook(hook)


def _per_layer_rewriting(kind: str, rewrite: Callable[[tuple[Any, ...] | list[Any]], Any]) -> Callable[[Any, Any], "str | None"]:
    """A breakage that rewrites every per-layer ``kind`` field (``hidden_states``, ``attentions``) the forward returns,
    also in nested outputs (a contrastive model's towers), in lists and in the tuple output (``return_dict=False``: the
    rewritten dict output's ``to_tuple()``); it does not take effect where the forward returns no such field to rewrite."""
    def walk(output: Any) -> None:
        for key in list(output.keys()) if isinstance(output, dict) else ():
            value = output[key]
            if capabilities.is_per_layer_field(key, kind) and isinstance(value, (tuple, list)) and value:
                output[key] = rewrite(value)
            elif isinstance(value, dict):
                walk(value)

    def apply(case: Any, model: Any) -> str | None:
        _rewriting_outputs(model, lambda self, output, kwargs: walk(output))
        return _effect(case, model, lambda: _per_layer_shapes(case, model, kind), f"its output_{kind} are rewritten nowhere")

    return apply


def _per_layer_shapes(case: Any, model: Any, kind: str) -> Any:
    """What a forward returns as per-layer ``kind``: each field's count and value sums (rounded)."""
    from hfguard.testing.checks.attention import run_with
    from hfguard.testing.checks.outputs import layer_tensors, per_layer

    options = {f"output_{kind}": True}
    forward = (lambda m: case.forward(m, **options))
    output = run_with(case, model, "eager", forward) if kind == "attentions" else forward(model)
    return {name: (len(items), round(sum(float(t.double().sum()) for item in items for t in layer_tensors(item)), 3))
            for name, items in per_layer(output, kind).items()}


def _effect(case: Any, model: Any, observe: Callable[[], Any], unchanged: str) -> str | None:
    """None when ``observe()`` sees the broken model otherwise than the unbroken one it was given before, else why not."""
    base = type(model).__mro__[1]
    broken = type(model)
    try:
        after = observe()
        model.__class__ = base
        case.forget(model)
        before = observe()
    except Exception:  # noqa: BLE001 - the breakage makes the model fail outright: it took effect
        return None
    finally:
        model.__class__ = broken
        case.forget(model)
    return None if after != before else f"it does not take effect: {unchanged}"


def _scaled_attentions(maps: Any) -> Any:
    """Every map of every layer scaled by 1.5: a layer's tensor, its tuple (one per stream) or its dict (one per kind)."""
    def scaled(layer: Any) -> Any:
        if isinstance(layer, dict):
            return {key: scaled(value) for key, value in layer.items()}
        return tuple(scaled(part) for part in layer) if isinstance(layer, tuple) else layer * 1.5

    return type(maps)(scaled(m) for m in maps)


def _generate_rewriting(rewrite: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def apply(case: Any, model: Any) -> None:
        def generate(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
            output = original(self, *args, **kwargs)
            rewrite(self, output)
            return output

        _subclass(model, generate=generate)

    return apply


def _shorter_generation(model: Any, output: Any) -> None:
    if hasattr(output, "sequences"):
        output.sequences = output.sequences[:, :-1]


def _stale_cache(model: Any, output: Any) -> None:
    cache = getattr(output, "cache", None) or getattr(output, "past_key_values", None)
    cache = getattr(cache, "self_attention_cache", cache)  # an encoder-decoder's: the decoder's own
    for layer in getattr(cache, "layers", ()):
        values = getattr(layer, "values", None)
        if hasattr(values, "mul_"):
            values.mul_(1.05)


def _fixed_seed(case: Any, model: Any) -> None:
    import torch

    def generate(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        sampling = kwargs.get("do_sample")
        if sampling or sampling is None and getattr(self.generation_config, "do_sample", False):
            torch.manual_seed(1234)
        return original(self, *args, **kwargs)

    _subclass(model, generate=generate)


def _unordered_beam_cache(case: Any, model: Any) -> None:
    _subclass(model, {"_reorder_cache": staticmethod(lambda cache, beam_idx: cache)})  # generate() asks the model first


def _cache_layer_dropped(case: Any, model: Any) -> str | None:
    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        output = original(self, *args, **kwargs)
        cache = _returned_cache(output)
        own = getattr(cache, "self_attention_cache", cache)
        if len(getattr(own, "layers", ())) > 1:
            own.layers.pop()
        return output

    _subclass(model, forward=forward)
    return _effect(case, model, lambda: len(_returned_cache(case.forward(model, use_cache=True)) or ()),
                   "its cache keeps its layers elsewhere (dropping the last one changes its length nowhere)")


def _returned_cache(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


def _embeds_ignored_in_generation(case: Any, model: Any) -> None:
    def prepare(original: Callable[..., Any], self: Any, input_ids: Any, *args: Any, **kwargs: Any) -> Any:
        inputs = original(self, input_ids, *args, **kwargs)
        if inputs.get("inputs_embeds") is not None:  # the first step reads the ids so far instead
            inputs["inputs_embeds"] = None
            inputs["input_ids"] = input_ids
        return inputs

    _subclass(model, prepare_inputs_for_generation=prepare)


def _drift_on_static_cache(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    from transformers.cache_utils import StaticCache

    past = kwargs.get("cache", kwargs.get("past_key_values"))
    static = isinstance(past, StaticCache) and past.get_seq_length() > 0
    return main + 1e-3 * scale(main) if static and main.is_floating_point() else None


def _other_start(case: Any, model: Any) -> None:
    def generate(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        start = kwargs.get("decoder_start_token_id")
        start = synth.generation_start(self) if start is None else start
        kwargs["decoder_start_token_id"] = (start + 1) % synth.vocab_size(self.config)
        return original(self, *args, **kwargs)

    _subclass(model, generate=generate)


KINDS: dict[str, Kind] = {kind.id: kind for kind in (
    Kind("nan_element", "one output element is NaN", ("outputs_finite",), _always, _on_main(_nan)),
    Kind("unseeded_noise", "its output gets noise that no seed controls", ("deterministic",), _always, _on_main(_noise)),
    Kind("dropout_in_eval", "dropout stays active in eval mode", ("deterministic",), _always, _dropout_in_eval),
    Kind("constant_output", "its output ignores its inputs (a constant)", ("text_changes_output", "media_changes_output"),
         _reads_something, _on_main(_constant)),
    Kind("short_output", "its main output is one position short", ("output_shapes",), _has_positions, _on_main(_short)),
    Kind("batch_leak", "other samples of the batch leak into sample 0", ("batch_independent",), capabilities.batched,
         _on_main(_leak)),
    Kind("no_gradient", "no gradient reaches the weights", ("training_step",), capabilities.trains, _no_gradient),
    Kind("returned_outputs_detached", "the loss and main output it returns carry no gradient (side outputs still do)",
         ("training_step",), capabilities.trains, _detached_returns),
    Kind("gradient_cut", "a detach after the first layer cuts the gradient to everything before it", ("training_step",),
         _has_layers, _detached_first_layer),
    Kind("weight_changed_on_load", "a weight changes across save_pretrained -> from_pretrained", ("save_load",), _always,
         _weight_changes_on_save),
    Kind("kv_cache_drift", "a non-empty key/value cache makes the logits drift",
         ("cache_matches_full_forward", "generate_cache_consistent"), capabilities.caches_keys_and_values,
         _on_main(_drift_on_cache)),
    Kind("attention_mask_ignored", "the attention mask is ignored", ("attention_mask_changes_output", "padding_independent"),
         capabilities.masks_tokens, _on_inputs(_ignore_mask)),
    Kind("embeds_path_differs", "the inputs_embeds path differs from the input_ids path", ("inputs_embeds_matches_ids",),
         capabilities.embeds_tokens, _on_inputs(_skew_embeds)),
    Kind("eager_differs_from_sdpa", "eager attention gives other outputs than SDPA", ("eager_matches_sdpa",),
         capabilities.sdpa_and_eager, _on_main(_eager_differs)),
    Kind("hidden_state_missing", "output_hidden_states drops the last layer's state", ("hidden_states",),
         capabilities.records_outputs("hidden_states"), _per_layer_rewriting("hidden_states", lambda states: states[:-1])),
    Kind("attentions_unnormalized", "returned attention weights do not sum to 1", ("attentions",),
         capabilities.records_outputs("attentions"), _per_layer_rewriting("attentions", _scaled_attentions)),
    Kind("bf16_broken", "its bfloat16 forward is far off fp32", ("bf16_forward",), _always, _on_main(_bf16_differs)),
    Kind("checkpointing_changes_gradients", "gradient checkpointing changes the gradients", ("gradient_checkpointing",),
         capabilities.checkpoints_gradients, _checkpointing_differs),
    Kind("extra_channel_accepted", "images with an extra channel are silently cropped", ("rejects_wrong_channel_count",),
         _refuses_channels, _on_inputs(_crop_channels)),
    Kind("decoder_inputs_crash", "a missing decoder input crashes with a TypeError", ("missing_decoder_inputs",),
         capabilities.has_decoder_inputs, _on_inputs(_crash_without_decoder_inputs)),
    Kind("decoder_start_ignored", "generate() starts the decoder from another token", ("generate_starts_from_decoder_start",),
         capabilities.decoder_starts, _other_start),
    Kind("generation_short", "generate() returns one token fewer than asked", ("generates_new_tokens",),
         capabilities.generates, _generate_rewriting(_shorter_generation)),
    Kind("returned_cache_stale", "the cache generate() returns holds other values than it used", ("generate_continues_from_cache",),
         capabilities.caches_keys_and_values, _generate_rewriting(_stale_cache)),
    Kind("sampling_ignores_seed", "sampling ignores the seed (generate reseeds itself)", ("sampling_reproducible",),
         decoding.samples_with_choice, _fixed_seed),
    Kind("beam_cache_not_reordered", "beam search's cache reordering does nothing", ("beam_search",), decoding.reorders_beams,
         _unordered_beam_cache),
    Kind("cache_layer_dropped", "the cache a forward returns lacks its last layer", ("cache_format",),
         capabilities.caches_keys_and_values, _cache_layer_dropped),
    Kind("generate_ignores_inputs_embeds", "generate() reads the ids instead of the inputs_embeds it is given",
         ("generate_from_inputs_embeds",), generation.generates_from_embeds, _embeds_ignored_in_generation),
    Kind("static_cache_drift", "a non-empty static cache makes the logits drift", ("static_cache",),
         generation.generates_statically, _on_main(_drift_on_static_cache)),
)}
# the kinds of breakage of issue 11's table (the others exist so that every check has one)
TABLE = ("nan_element", "unseeded_noise", "dropout_in_eval", "constant_output", "short_output", "batch_leak",
         "no_gradient", "weight_changed_on_load", "kv_cache_drift", "attention_mask_ignored", "embeds_path_differs")


def applies(kind: Kind | team.TeamKind, case: Any, model: Any) -> str | None:
    """None when ``kind`` applies to ``model``, else why not: its capability (a team kind: its ``applies``) is
    missing, or the overrides or the registry entry turn every check written for it off."""
    turned_off = [case.turned_off(check) for check in kind.checks]
    if turned_off and all(turned_off):
        return f"{', '.join(kind.checks)} turned off for {case.model_type}: {turned_off[0]}"
    if isinstance(kind, team.TeamKind):
        return team.decide(kind, case, model)
    if getattr(kind.apply, "on_main", False):
        name, main = main_output(case.reference(model))
        if main is None or not main.is_floating_point():
            return f"its main output {name} is not floating point (indices): there is nothing to perturb"
    return kind.capability(case, model)


def apply_from_env(case: Any, model: Any) -> Any:
    """``model`` broken in the way ``HFGUARD_MUTATION`` names (unchanged when it is unset)."""
    name = os.environ.get(MUTATION_ENV)
    if not name:
        return model
    import pytest

    kind = KINDS.get(name) or team.find_kind(case.team, name)
    if kind is None:
        pytest.fail(f"unknown mutation '{name}' (known: {', '.join([*KINDS, *team.TEAM_KINDS])})", pytrace=False)
    try:
        reason = applies(kind, case, model)
    except team.TeamCheckError as error:
        pytest.fail(str(error), pytrace=False)
    if reason is None and isinstance(kind, team.TeamKind):
        _break_team_code(kind)
    elif reason is None:
        reason = kind.apply(case, model)
        case.forget(model)  # what the capability computed came from the unbroken model (its inputs stay)
    log = os.environ.get(LOG_ENV)
    if log:
        record = {"model_type": case.model_type, "kind": name, "applied": reason is None, "reason": reason or ""}
        Path(log, f"{case.model_type}.json").write_text(json.dumps(record), encoding="utf-8")
    if reason:
        pytest.skip(f"mutation {name} does not apply: {reason}")
    return model


_TEAM_PATCHES: list[Any] = []  # the monkeypatches of the team kind applied in this process, until undone


def _break_team_code(kind: team.TeamKind) -> None:
    """Break the team's code in the way ``kind`` says, through a monkeypatch ``undo_team_breakage`` undoes."""
    import pytest

    patch = pytest.MonkeyPatch()
    _TEAM_PATCHES.append(patch)
    try:
        kind.apply(patch)
    except Exception as error:  # noqa: BLE001 - the team's code: one line naming it
        pytest.fail(f"{kind.where}: it raised {type(error).__name__}: {error}", pytrace=False)


def undo_team_breakage() -> None:
    """Undo every team kind applied in this process (``hfguard mutate``'s conftest, after each test module)."""
    while _TEAM_PATCHES:
        _TEAM_PATCHES.pop().undo()


# --- loading and initialisation, configuration, embeddings, interface and export (issue 23, part A) -------------------
# These break the model's class (its __init__, its loading and saving machinery, its declarations), so that every
# fresh build and load of the checks meets the breakage, and the case's own model is changed alike where it matters.


def _subclass_declaring(model: Any, attributes: dict[str, Any], **methods: Callable[..., Any]) -> None:
    """``_subclass`` that also sets class ``attributes`` (declarations such as ``_tied_weights_keys``)."""
    _subclass(model, **methods)
    for name, value in attributes.items():
        setattr(type(model), name, value)


def _weight_matrix(model: Any, excluding: Any = ()) -> tuple[str, Any] | None:
    """(name, parameter) of the model's first weight matrix that no other name shares (not a tied weight), leaving
    out the names in ``excluding``."""
    names: dict[int, int] = {}
    for _, parameter in model.named_parameters(remove_duplicate=False):
        names[id(parameter)] = names.get(id(parameter), 0) + 1
    return next(((name, p) for name, p in model.named_parameters()
                 if p.dim() == 2 and names[id(p)] == 1 and name not in excluding), None)


def _has_weight_matrix(case: Any, model: Any) -> str | None:
    return None if _weight_matrix(model) is not None else "it has no (untied) weight matrix"


def _init_skips_weight(case: Any, model: Any) -> None:
    def initialize_weights(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        found = _weight_matrix(self)
        if found is not None:
            found[1]._is_hf_initialized = True  # every init function leaves a weight so marked alone
        return original(self, *args, **kwargs)

    _subclass(model, initialize_weights=initialize_weights)


def _buffer_owner(model: Any) -> Any:
    """The first module that owns a non-empty buffer itself, or None."""
    return next((module for module in model.modules() if any(b is not None and b.numel() for b in module._buffers.values())), None)


def _has_buffers(case: Any, model: Any) -> str | None:
    return None if _buffer_owner(model) is not None else "it holds no buffers"


def _init_skips_buffer(case: Any, model: Any) -> None:
    def initialize_weights(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        owner = _buffer_owner(self)
        if owner is not None:
            owner._is_hf_initialized = True  # _init_weights never runs for it, nor sets its buffers
        return original(self, *args, **kwargs)

    _subclass(model, initialize_weights=initialize_weights)


def _plain_tensor_attribute(case: Any, model: Any) -> None:
    import torch

    def init(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._hfguard_gain = torch.ones(())  # a plain attribute, not a buffer: built on meta it stays there

    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        output = original(self, *args, **kwargs)
        key = _main_key(output)
        if key is not None and output[key].is_floating_point():
            output[key] = output[key] * self._hfguard_gain
        return output

    _subclass(model, __init__=init, forward=forward)
    model._hfguard_gain = torch.ones(())


def _noncontiguous_weight(case: Any, model: Any) -> None:
    def transposed_view(module: Any) -> None:
        found = _weight_matrix(module)
        if found is not None:
            found[1].data = found[1].data.t().contiguous().t()  # the same values, stored transposed

    def init(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        transposed_view(self)

    _subclass(model, __init__=init)
    transposed_view(model)


def _keep_in_fp32_typo(case: Any, model: Any) -> None:
    entries = sorted(getattr(model, "_keep_in_fp32_modules", None) or ())
    misspelt = {f"{entries[0]}_"} if entries else {"hfguard_no_such_module"}
    _subclass_declaring(model, {"_keep_in_fp32_modules": [*entries[1:], *misspelt]})
    model._keep_in_fp32_modules = set(entries[1:]) | misspelt


def _classifies(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.loading import classifies

    return classifies(case, model)


def _mismatch_loaded_silently(case: Any, model: Any) -> None:
    base = type(model)
    load = base.from_pretrained.__func__

    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return load(cls, *args, **{**kwargs, "ignore_mismatched_sizes": True})

    _subclass_declaring(model, {"from_pretrained": classmethod(from_pretrained)})


def _embeddings_of_one_shape(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.loading import _input_embeddings, _output_embeddings

    source, target = _input_embeddings(model), _output_embeddings(model)
    weights = [getattr(module, "weight", None) for module in (source, target)]
    if any(weight is None for weight in weights):
        return "it has no input and output embeddings"
    return None if weights[0].shape == weights[1].shape else "its input and output embeddings differ in shape"


def _hardcoded_tie(case: Any, model: Any) -> None:
    def tie(module: Any) -> None:
        module.get_output_embeddings().weight = module.get_input_embeddings().weight

    def init(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        tie(self)

    _subclass_declaring(model, {"_tied_weights_keys": None}, __init__=init)
    tie(model)


def _weight_left_out_of_checkpoint(case: Any, model: Any) -> None:
    name = _weight_matrix(model, excluding=set(getattr(model, "_keys_to_ignore_on_save", None) or ()))[0]
    declared = sorted(getattr(type(model), "_keys_to_ignore_on_save", None) or ())
    _subclass_declaring(model, {"_keys_to_ignore_on_save": [*declared, name]})
    model._keys_to_ignore_on_save = set(getattr(model, "_keys_to_ignore_on_save", None) or ()) | {name}


KINDS.update({kind.id: kind for kind in (
    Kind("init_skips_weight", "_init_weights leaves a weight matrix uninitialised", ("init_weights_complete",),
         _has_weight_matrix, _init_skips_weight),
    Kind("init_skips_buffer", "init_weights() leaves a module's buffers unset", ("init_weights_buffers",), _has_buffers,
         _init_skips_buffer),
    Kind("plain_tensor_attribute", "it reads a tensor that is neither a parameter nor a buffer", ("meta_device_build",),
         _always, _plain_tensor_attribute),
    Kind("noncontiguous_weight", "a weight is stored as a transposed (non-contiguous) view", ("state_dict_round_trip",),
         _has_weight_matrix, _noncontiguous_weight),
    Kind("keep_in_fp32_typo", "a _keep_in_fp32_modules entry names no module", ("dtype_on_load",), _always, _keep_in_fp32_typo),
    Kind("mismatch_loaded_silently", "loading ignores mismatched shapes without being asked", ("mismatched_shapes_load",),
         _classifies, _mismatch_loaded_silently),
    Kind("hardcoded_tie", "its embeddings are tied in __init__, undeclared and whatever the config says",
         ("tied_weights_declared", "untied_save_load"), _embeddings_of_one_shape, _hardcoded_tie),
    Kind("weight_left_out_of_checkpoint", "a learned weight is left out of its checkpoints (_keys_to_ignore_on_save)",
         ("keys_to_ignore_on_save",), _has_weight_matrix, _weight_left_out_of_checkpoint),
)})


def _ignored_setting(config: Any) -> str | None:
    """The first plain setting (a number, string or flag) the config holds apart from its class defaults (dropping one
    that equals its class's own default, such as a DETR config's is_encoder_decoder, would change nothing)."""
    from hfguard.testing.checks.configuration import settings
    from hfguard.testing.checks.loading import quiet

    try:
        with quiet():
            defaults = type(config)().to_dict()
    except Exception:  # noqa: BLE001 - a config class without defaults (has_no_defaults_at_init)
        defaults = {}
    return next((key for key, value in settings(config).items()
                 if isinstance(value, (bool, int, float, str)) and (key not in defaults or defaults[key] != value)), None)


def _has_setting(case: Any, model: Any) -> str | None:
    return None if _ignored_setting(model.config) is not None else "its config holds no setting apart from its defaults"


def _config_setting_ignored(case: Any, model: Any) -> None:
    config_class, key = type(model.config), _ignored_setting(model.config)

    def init(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.pop(key, None)  # the setting is dropped: the default takes its place
        original(self, *args, **kwargs)

    namespace = {"__init__": _method(init, config_class.__init__), "__module__": config_class.__module__}
    model.config.__class__ = type(config_class.__name__, (config_class,), namespace)


def _switches_attention(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.configuration import _dynamic

    return None if _dynamic(model) else "parts of it cannot switch their attention at run time (or lack SDPA)"


def _attn_switch_unchecked(case: Any, model: Any) -> None:
    def set_attn_implementation(original: Callable[..., Any], self: Any, implementation: Any, *args: Any, **kwargs: Any) -> None:
        value = implementation.get("", self.config._attn_implementation) if isinstance(implementation, dict) else implementation
        self.config._attn_implementation_internal = value  # the top config only, whatever the name

    _subclass(model, set_attn_implementation=set_attn_implementation)


def _embeds_module(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.embeddings import embeds

    return embeds(case, model)


def _set_embeddings_ignored(case: Any, model: Any) -> None:
    _subclass(model, set_input_embeddings=lambda original, self, *args, **kwargs: None)


def _resizes_vocabulary(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.embeddings import resizes_vocabulary

    return resizes_vocabulary(case, model)


def _resize_records_size_only(case: Any, model: Any) -> None:
    def resize_token_embeddings(original: Callable[..., Any], self: Any, new_num_tokens: Any = None, *args: Any, **kwargs: Any) -> Any:
        if new_num_tokens is not None:
            self.config.get_text_config().vocab_size = new_num_tokens
        return self.get_input_embeddings()

    _subclass(model, resize_token_embeddings=resize_token_embeddings)


def _resizes_untied(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.embeddings import resizes_untied

    return resizes_untied(case, model)


def _resize_skips_output_embeddings(case: Any, model: Any) -> None:
    def resize_token_embeddings(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        output = self.get_output_embeddings()
        resized = original(self, *args, **kwargs)
        if output is not None and output.weight is not resized.weight:  # untied: the output embedding keeps its size
            self.set_output_embeddings(output)
        return resized

    _subclass(model, resize_token_embeddings=resize_token_embeddings)


def _resizes_positions(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.embeddings import resizes_positions

    return resizes_positions(case, model)


def _position_resize_records_size_only(case: Any, model: Any) -> None:
    def resize_position_embeddings(original: Callable[..., Any], self: Any, new_num_position_embeddings: int) -> None:
        self.config.max_position_embeddings = new_num_position_embeddings

    _subclass(model, resize_position_embeddings=resize_position_embeddings)


def _tuple_output_shifted(case: Any, model: Any) -> None:
    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        output = original(self, *args, **kwargs)
        return output[1:] if isinstance(output, tuple) and output else output  # an off-by-one slice of the tuple

    _subclass(model, forward=forward)


def _returns_tuples(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.interface import returns_tuples

    return returns_tuples(case, model)


def _classifies_sequences(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.interface import classifies_sequences

    return classifies_sequences(case, model)


def _regression_loss_broadcast(case: Any, model: Any) -> None:
    import torch

    def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        output = original(self, *args, **kwargs)
        labels = kwargs.get("labels")
        if labels is not None and self.config.problem_type == "regression" and isinstance(output, dict):
            output["loss"] = torch.nn.functional.mse_loss(output["logits"], labels.to(output["logits"].dtype))  # not squeezed
        return output

    _subclass(model, forward=forward)


def _retains_gradients(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.interface import retains_gradients

    return retains_gradients(case, model)


def _detached_states(value: Any) -> Any:
    """``value`` with every per-layer hidden state and attention map detached, in nested outputs too."""
    if isinstance(value, dict):
        for key in list(value.keys()):
            if (capabilities.is_per_layer_field(key, "hidden_states") or capabilities.is_per_layer_field(key, "attentions")) \
                    and isinstance(value[key], (tuple, list)):
                value[key] = type(value[key])(_detached(item) for item in value[key])
            elif isinstance(value[key], dict):
                _detached_states(value[key])
    return value


def _returned_states_detached(case: Any, model: Any) -> None:
    _subclass(model, forward=lambda original, self, *args, **kwargs: _detached_states(original(self, *args, **kwargs)))


def _value_read_in_python(model: Any, main: Any, kwargs: dict[str, Any]) -> Any:
    return main * 0 if float(main.detach().abs().max()) > 1e30 else None  # a branch on a tensor's value: untraceable


KINDS.update({kind.id: kind for kind in (
    Kind("config_setting_ignored", "its config's __init__ drops a setting it is given (the default takes its place)",
         ("config_round_trip",), _has_setting, _config_setting_ignored),
    Kind("attn_switch_unchecked", "set_attn_implementation sets the top config only, whatever name it is given",
         ("attn_implementation_switch",), _switches_attention, _attn_switch_unchecked),
    Kind("set_embeddings_ignored", "set_input_embeddings does nothing", ("input_embeddings_get_set",), _embeds_module,
         _set_embeddings_ignored),
    Kind("resize_records_size_only", "resize_token_embeddings records the new size but keeps the old matrices",
         ("resize_token_embeddings", "resize_embeddings_untied"), _resizes_vocabulary, _resize_records_size_only),
    Kind("resize_skips_output_embeddings", "resize_token_embeddings leaves untied output embeddings at the old size",
         ("resize_embeddings_untied",), _resizes_untied, _resize_skips_output_embeddings),
    Kind("position_resize_records_size_only", "resize_position_embeddings records the new size but keeps the old matrices",
         ("resize_position_embeddings",), _resizes_positions, _position_resize_records_size_only),
    Kind("tuple_output_shifted", "with return_dict=False it leaves out the first output", ("tuple_matches_dict",),
         _returns_tuples, _tuple_output_shifted),
    Kind("regression_loss_broadcast", "its regression loss broadcasts the labels against unsqueezed logits",
         ("problem_type_losses",), _classifies_sequences, _regression_loss_broadcast),
    Kind("returned_states_detached", "the hidden states and attention maps it returns are detached from the graph",
         ("retain_grad_outputs",), _retains_gradients, _returned_states_detached),
    Kind("value_read_in_python", "its forward branches on a tensor's value read in Python", ("torch_export_matches_eager",),
         _always, _on_main(_value_read_in_python)),
)})


def _checkpoints(case: Any, model: Any) -> str | None:
    return capabilities.checkpoints_gradients(case, model)


def _checkpointing_flag_partial(case: Any, model: Any) -> None:
    def disable(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        flagged = [module for module in self.modules() if hasattr(module, "gradient_checkpointing")]
        if flagged:
            flagged[-1].gradient_checkpointing = True  # the last layer keeps checkpointing
        return result

    name = "activation_checkpointing_disable" if hasattr(model, "activation_checkpointing_disable") else "gradient_checkpointing_disable"
    _subclass(model, **{name: disable})


def _named_arguments(model: Any) -> list[str]:
    import inspect

    return [p.name for p in inspect.signature(model.forward).parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _main_input_name_wrong(case: Any, model: Any) -> None:
    _subclass_declaring(model, {"main_input_name": _named_arguments(model)[1]})


def _two_forward_arguments(case: Any, model: Any) -> str | None:
    return None if len(_named_arguments(model)) >= 2 else "its forward takes one named argument"


def _has_head(case: Any, model: Any) -> str | None:
    from hfguard.testing.checks.loading import head_weights

    return None if head_weights(model) else "it is no head on a base model (base_model is the model, or no weight is the head's)"


def _missing_keys_hidden(case: Any, model: Any) -> None:
    _subclass_declaring(model, {"_keys_to_ignore_on_load_missing": [r".*"]})  # an over-broad pattern hides every missing weight
    model._keys_to_ignore_on_load_missing = {r".*"}


KINDS.update({kind.id: kind for kind in (
    Kind("checkpointing_flag_partial", "disabling gradient checkpointing leaves the last layer checkpointing",
         ("checkpointing_switch",), _checkpoints, _checkpointing_flag_partial),
    Kind("main_input_name_wrong", "its main_input_name names the forward's second argument", ("main_input_name",),
         _two_forward_arguments, _main_input_name_wrong),
    Kind("missing_keys_hidden", "an over-broad _keys_to_ignore_on_load_missing hides every missing weight",
         ("missing_keys_reported",), _has_head, _missing_keys_hidden),
)})


def _runs_sdpa(case: Any, model: Any) -> str | None:
    current = getattr(model.config, "_attn_implementation", None)
    return None if current == "sdpa" else f"it runs {current} attention by default (asking for eager changes nothing)"


def _attn_request_ignored_on_load(case: Any, model: Any) -> None:
    load = type(model).from_pretrained.__func__

    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("attn_implementation", None)  # the requested implementation is dropped: the default loads
        return load(cls, *args, **kwargs)

    _subclass_declaring(model, {"from_pretrained": classmethod(from_pretrained)})


KINDS.update({kind.id: kind for kind in (
    Kind("attn_request_ignored_on_load", "from_pretrained ignores the attention implementation it is asked for",
         ("attn_implementation_on_load",), _runs_sdpa, _attn_request_ignored_on_load),
)})
