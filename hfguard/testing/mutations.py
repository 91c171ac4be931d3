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
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfguard.testing import capabilities, synth
from hfguard.testing.checks import decoding, generation
from hfguard.testing.overrides import check_exception, input_hints
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


def _on_main(transform: Callable[[Any, Any, dict[str, Any]], Any]) -> Callable[[Any, Any], None]:
    """A breakage that rewrites the main output of every forward: ``transform(model, main, kwargs)``."""
    def apply(case: Any, model: Any) -> None:
        def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
            output = original(self, *args, **kwargs)
            key = _main_key(output)
            if key is not None:
                changed = transform(self, output[key], kwargs)
                if changed is not None:
                    output[key] = changed
            return output

        _subclass(model, forward=forward)

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
    also in nested outputs (a contrastive model's towers) and in lists; it does not take effect where the forward
    returns no such field to rewrite."""
    def walk(output: Any) -> None:
        for key in list(output.keys()) if isinstance(output, dict) else ():
            value = output[key]
            if capabilities.is_per_layer_field(key, kind) and isinstance(value, (tuple, list)) and value:
                output[key] = rewrite(value)
            elif isinstance(value, dict):
                walk(value)

    def apply(case: Any, model: Any) -> str | None:
        def forward(original: Callable[..., Any], self: Any, *args: Any, **kwargs: Any) -> Any:
            output = original(self, *args, **kwargs)
            walk(output)
            return output

        _subclass(model, forward=forward)
        return _effect(case, model, lambda: _per_layer_shapes(case, model, kind), f"its output_{kind} are rewritten nowhere")

    return apply


def _per_layer_shapes(case: Any, model: Any, kind: str) -> Any:
    """What a forward returns as per-layer ``kind``: each field's count and value sums (rounded)."""
    from hfguard.testing.checks.attention import run_with
    from hfguard.testing.checks.outputs import per_layer

    options = {f"output_{kind}": True}
    forward = (lambda m: case.forward(m, **options))
    output = run_with(case, model, "eager", forward) if kind == "attentions" else forward(model)
    return {name: (len(items), round(sum(float(t.double().sum()) for item in items for t in (item if isinstance(item, tuple) else (item,))), 3))
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
    return type(maps)(tuple(w * 1.5 for w in m) if isinstance(m, tuple) else m * 1.5 for m in maps)


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


def applies(kind: Kind, case: Any, model: Any) -> str | None:
    """None when ``kind`` applies to ``model``, else why not: its capability is missing, or the overrides turn
    every check written for it off."""
    turned_off = [check_exception(case.model_type, check) for check in kind.checks]
    if all(turned_off):
        return f"{', '.join(kind.checks)} turned off for {case.model_type}: {turned_off[0]}"
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

    kind = KINDS.get(name)
    if kind is None:
        pytest.fail(f"unknown mutation '{name}' (known: {', '.join(KINDS)})", pytrace=False)
    reason = applies(kind, case, model)
    if reason is None:
        reason = kind.apply(case, model)
        case.forget(model)  # what the capability computed came from the unbroken model (its inputs stay)
    log = os.environ.get(LOG_ENV)
    if log:
        record = {"model_type": case.model_type, "kind": name, "applied": reason is None, "reason": reason or ""}
        Path(log, f"{case.model_type}.json").write_text(json.dumps(record), encoding="utf-8")
    if reason:
        pytest.skip(f"mutation {name} does not apply: {reason}")
    return model
