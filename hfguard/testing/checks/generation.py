"""Generation and the key/value cache: greedy ``generate`` adds exactly the requested tokens; a prefill followed
by one-token steps on the cache gives the full forward's logits; greedy decoding with and without the cache
picks the same tokens; continuing from the returned cache gives what one longer run gives.

Greedy tokens may legitimately differ where two logits tie within float rounding, so generated runs are
compared by their step logits, and a token difference counts only where the chosen logits differ by more
than the tolerance x the logits' scale: ``CACHE_REL`` between other computations (with and without a cache),
``CONTINUED_REL`` where a continued run repeats the same step on the same cache. The three cache checks run on the
float64 twin (``ModelCase.precise``), so float32 rounding of other shapes and kernels decides neither a bound nor a tie.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from hfguard.testing import capabilities, synth
from hfguard.testing.checks.registry import check
from hfguard.testing.overrides import input_hints
from hfguard.testing.tensors import CheckFailure, assert_changed, assert_close, difference, main_output, scale

NEW_TOKENS = 4
STEPS = 3  # one-token steps after the prefill
CACHE_REL = 1e-3  # relative to the logits' scale: the same computation in other shapes (a recurrent step vs a scan)
CONTINUED_REL = 1e-5  # a run continued from the returned cache repeats the same step on the same cache
STATIC_REL = 1e-5  # a static cache: the same attention over more (masked) positions, in float64
EMBEDS_REL = 1e-5  # the first step from inputs_embeds: the same embeddings through the same layers, in float64


@check(applies=capabilities.generates)
def generates_new_tokens(case: Any, model: Any) -> None:
    block = input_hints(case.model_type).get("generation_block")  # block-diffusion models add whole blocks
    size = getattr(model.config, block) if block else 1
    fewer, new = (-(-tokens // size) * size for tokens in (NEW_TOKENS - 1, NEW_TOKENS))
    shorter = greedy(case, model, NEW_TOKENS - 1, use_cache=True).sequences
    run = greedy_recorded(case, model, NEW_TOKENS, use_cache=True)
    longer, inputs = run.output.sequences, run.inputs  # the prompt it was given
    subject = f"{case.model_type}: generate() of {NEW_TOKENS} tokens returned {tuple(longer.shape)}"
    if 0 in longer.shape or longer.dim() != shorter.dim():
        raise CheckFailure(f"{subject}, of {NEW_TOKENS - 1} tokens {tuple(shorter.shape)}")
    grown = [axis for axis in range(longer.dim()) if longer.shape[axis] != shorter.shape[axis]]
    if longer.is_floating_point():  # audio: a number of samples per token along one axis
        if len(grown) != 1 or longer.shape[grown[0]] <= shorter.shape[grown[0]]:
            raise CheckFailure(f"{subject}, of {NEW_TOKENS - 1} tokens {tuple(shorter.shape)}: no one axis grows by the samples of a token")
        return
    axis = grown[0] if len(grown) == 1 else 1  # the token axis: the one that grows with the tokens asked for
    if len(grown) > 1 or longer.shape[axis] - shorter.shape[axis] != new - fewer:
        raise CheckFailure(f"{subject}, of {NEW_TOKENS - 1} tokens {tuple(shorter.shape)}: not {new - fewer} more along one axis")
    prompts = [inputs[key] for key in (() if block else ("decoder_input_ids",)) + ("input_ids",) if key in inputs]
    prompt = next((ids for ids in prompts if ids.dim() == longer.dim()), None)
    length = longer.shape[axis]
    if length == new:
        return  # the new tokens alone
    if prompt is None or length != prompt.shape[axis] + new:
        held = f"the prompt ({prompt.shape[axis]}) + " if prompt is not None else ""
        raise CheckFailure(f"{subject}: {length} along its token axis {axis}, not {held}{new} new tokens")
    if prompt.shape != longer.narrow(axis, 0, prompt.shape[axis]).shape or \
            not bool((longer.narrow(axis, 0, prompt.shape[axis]) == prompt).all()):
        raise CheckFailure(f"{case.model_type}: generate() changed the prompt")


@check(applies=capabilities.decoder_starts)
def generate_starts_from_decoder_start(case: Any, model: Any) -> None:
    inputs = {k: v for k, v in case.inputs(model).items() if not k.startswith("decoder_")}
    start = getattr(model.generation_config, "decoder_start_token_id", None)
    start = synth.decoder_start(model.config) if start is None else start
    run = _generate_recorded(case, model, inputs, NEW_TOKENS, decoder_start_token_id=start)
    sequences = run.output.sequences
    if sequences.is_floating_point():  # audio: the start is the decoder's first input of the prefill
        sequences = run.prefill.get("decoder_input_ids")
        if sequences is None:
            raise CheckFailure(f"{case.model_type}: generate() returned audio and fed its decoder no decoder_input_ids")
    first = sequences.reshape(sequences.shape[0], -1)[:, 0] if sequences.dim() > 2 else sequences[:, 0]
    if not bool((first == start).all()):
        raise CheckFailure(f"{case.model_type}: the decoder did not start from {start}: {first.tolist()}")


@check(applies=capabilities.caches_keys_and_values)
def cache_matches_full_forward(case: Any, model: Any) -> None:
    model = case.precise(model)
    inputs = case.inputs(model)
    key = "decoder_input_ids" if "decoder_input_ids" in inputs else "input_ids"
    ids = inputs[key]
    length = ids.shape[1]
    name, full = main_output(case.reference(model))
    if full.dim() < 3 or full.shape[1] != length:
        raise CheckFailure(f"{case.model_type}: {name} {tuple(full.shape)} has no logits per {key} position ({length})")
    mask_key = "decoder_attention_mask" if key == "decoder_input_ids" else "attention_mask"
    prefix = length - STEPS

    def aligned(name: str, value: Any) -> bool:  # one entry per position of the ids being extended
        return name.startswith("decoder_") if key == "decoder_input_ids" else _per_position(value, ids)

    prefill = {k: v[:, :prefix] if aligned(k, v) else v for k, v in inputs.items()}
    argument = capabilities.cache_argument(model)
    output = case.forward(model, prefill, use_cache=True)
    past = returned_cache(output)
    if past is None:
        raise CheckFailure(f"{case.model_type}: forward(use_cache=True) returned no cache")
    assert_close(output.logits[:, -1], full[:, prefix - 1], f"{case.model_type}: logits of the prefill's last position", CACHE_REL)
    # a step feeds the next position only, without its all-ones mask (recurrent models read a mask over the new
    # positions, attention models one over all so far); an encoder-decoder keeps its encoder inputs
    fixed = {k: v for k, v in inputs.items() if not aligned(k, v)} if key == "decoder_input_ids" else {}
    for position in range(prefix, length):
        step = {**fixed, **{k: v[:, position : position + 1] for k, v in inputs.items() if aligned(k, v) and k != mask_key}}
        output = case.forward(model, step, **{argument: past}, use_cache=True)
        assert_close(output.logits[:, -1], full[:, position],
                     f"{case.model_type}: logits at position {position} from the cache vs the full forward", CACHE_REL)
        past = returned_cache(output)


@check(applies=capabilities.caches_keys_and_values)
def generate_cache_consistent(case: Any, model: Any) -> None:
    model = case.precise(model)
    cached = greedy(case, model, NEW_TOKENS, use_cache=True)
    plain = greedy(case, model, NEW_TOKENS, use_cache=False)
    same_run(case, cached, plain, "with the cache", "without it")


@check(applies=capabilities.caches_keys_and_values)
def generate_continues_from_cache(case: Any, model: Any) -> None:
    import torch

    model = case.precise(model)
    inputs = case.inputs(model)
    first, prefill, given = greedy_recorded(case, model, NEW_TOKENS - 1, use_cache=True)
    holds_its_prefill(case, model, first, prefill)  # before the continuation below grows the same cache
    key = "decoder_input_ids" if "decoder_input_ids" in inputs else "input_ids"
    mask_key = "decoder_attention_mask" if key == "decoder_input_ids" else "attention_mask"
    ids = given[key]
    if not _continuable(first, ids):
        return  # it returns no prompt-and-tokens to continue from (audio, new frames only): its cache was compared above
    grown = first.sequences.shape[1] - ids.shape[1]
    if key == "decoder_input_ids":  # an encoder-decoder keeps its encoder inputs; only the decoder's grow
        kept = inputs
        grows = lambda name, value: name.startswith("decoder_") and _per_position(value, ids)  # noqa: E731
    else:  # the media are in the cache: a decoder continues from its tokens alone
        signals = capabilities.signal_inputs(case, model)
        kept = {k: v for k, v in inputs.items() if k not in signals}
        grows = lambda name, value: _per_position(value, ids)  # noqa: E731
    # the new positions are real text: mask 1, token types 0
    more = {k: torch.cat([v, (v.new_ones if k == mask_key else v.new_zeros)(v.shape[0], grown, *v.shape[2:])], dim=1)
            if grows(k, v) else v for k, v in kept.items()}
    more[key] = first.sequences
    if mask_key not in more and mask_key in synth.forward_params(model):  # a mask over all tokens so far, as transformers' own test
        more[mask_key] = torch.ones(first.sequences.shape[:2], dtype=torch.long)
    continued = _generate(case, model, more, 1, use_cache=True, **{capabilities.cache_argument(model): returned_cache(first)})
    whole = greedy(case, model, NEW_TOKENS, use_cache=True)
    same_run(case, continued, whole, "continued from the returned cache", "in one run", CONTINUED_REL)
    _same_caches(case, returned_cache(continued), returned_cache(whole))


def _same_caches(case: Any, actual: Any, expected: Any) -> None:
    """The attention layers of two caches that hold the same positions hold the same keys and values (``CONTINUED_REL``)."""
    pairs = zip(getattr(getattr(actual, "self_attention_cache", actual), "layers", ()),
                getattr(getattr(expected, "self_attention_cache", expected), "layers", ()))
    for index, (layer, reference) in enumerate(pairs):
        for name in ("keys", "values"):
            tensor, wanted = getattr(layer, name, None), getattr(reference, name, None)
            if hasattr(tensor, "shape") and hasattr(wanted, "shape") and tensor.dim() == 4 and tensor.shape == wanted.shape:
                assert_close(tensor, wanted, f"{case.model_type}: the {name} of layer {index} of the continued run's cache vs "
                             f"the one run's", CONTINUED_REL)


def holds_its_prefill(case: Any, model: Any, run: Any, prefill: dict[str, Any]) -> None:
    """The cache ``generate`` returned holds, at its first positions, the keys and values of its own prefill: the first
    forward call it made, replayed with the same arguments (learned from the run, so any layout of tokens, codebooks or
    audio), for every attention layer that kept all its positions (``CONTINUED_REL``: the same computation again)."""
    cache = returned_cache(run)
    if cache is None:
        raise CheckFailure(f"{case.model_type}: generate(return_dict_in_generate=True) returned no cache")
    if not prefill:
        return  # its generate() never called its own forward (it chains sub-models): nothing to replay
    replayed = returned_cache(case.forward(model, {**{k: v for k, v in prefill.items() if k not in ("cache", "past_key_values")},
                                                   "use_cache": True}))
    if replayed is None:
        return
    returned, expected = getattr(cache, "self_attention_cache", cache), getattr(replayed, "self_attention_cache", replayed)
    cached = len(run.logits or ()) - 1  # the last token's keys are never computed
    for index, (layer, reference) in enumerate(zip(getattr(returned, "layers", ()), getattr(expected, "layers", ()))):
        for name in ("keys", "values"):
            actual, wanted = getattr(layer, name, None), getattr(reference, name, None)
            if not hasattr(actual, "shape") or not hasattr(wanted, "shape") or actual.dim() != 4 or wanted.dim() != 4 \
                    or actual.shape[2] != wanted.shape[2] + cached:
                continue  # not an attention layer, or one that dropped positions (a sliding window)
            assert_close(actual[:, :, : wanted.shape[2]], wanted, f"{case.model_type}: the {name} of layer {index} generate() "
                         f"returned vs its prefill's, replayed", CONTINUED_REL)


def _continuable(output: Any, ids: Any) -> bool:
    """``generate`` returned the prompt and its tokens along axis 1, to be fed back as the next prompt, and nothing else
    it generated (a field beyond transformers' generate outputs, e.g. audio codes or latents, would be lost)."""
    from transformers.generation.utils import GenerateDecoderOnlyOutput, GenerateEncoderDecoderOutput

    sequences = output.sequences
    fields = {*GenerateDecoderOnlyOutput.__dataclass_fields__, *GenerateEncoderDecoderOutput.__dataclass_fields__, "cache"}
    return set(output.keys()) <= fields and not sequences.is_floating_point() and sequences.dim() == ids.dim() \
        and sequences.shape[1] > ids.shape[1] and bool((sequences[:, : ids.shape[1]] == ids).all())


def greedy(case: Any, model: Any, tokens: int, use_cache: bool) -> Any:
    """Greedy generation of exactly ``tokens`` new tokens from the default inputs (computed once per model)."""
    return greedy_recorded(case, model, tokens, use_cache)[0]


class Generated(NamedTuple):
    """A ``generate`` run: its dict output, the keyword arguments of the first forward call it made (its prefill,
    tensors cloned), and the inputs it was given (a model that refused the default prompt got its own)."""

    output: Any
    prefill: dict[str, Any]
    inputs: dict[str, Any]


def greedy_recorded(case: Any, model: Any, tokens: int, use_cache: bool) -> Generated:
    """``greedy``'s run with its prefill and inputs (computed once per model)."""
    return case.memo(model, f"greedy-{tokens}-{use_cache}",
                     lambda: _generate_recorded(case, model, case.inputs(model), tokens, use_cache=use_cache))


def returned_cache(output: Any) -> Any:
    """The key/value cache a forward or ``generate`` returned (``cache``, formerly ``past_key_values``)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


def _generate(case: Any, model: Any, inputs: dict[str, Any], tokens: int, seed: int = 0, **options: Any) -> Any:
    """``generate()`` of exactly ``tokens`` new tokens from ``inputs`` under ``seed``, greedy unless ``options`` say
    otherwise (``do_sample``, ``num_beams``, ...), returning its dict output with the step logits."""
    return _generate_recorded(case, model, inputs, tokens, seed, **options).output


def _generate_recorded(case: Any, model: Any, inputs: dict[str, Any], tokens: int, seed: int = 0, **options: Any) -> Generated:
    """``_generate``'s run with its prefill and inputs.

    A model that refuses the run as asked is asked the way it declares: one that refuses the minimum-length logits
    processors (it generates codebook logits) gets an exact length by ``max_new_tokens`` with no end-of-sequence token;
    one whose config declares where audio starts (``audio_bos_token_id``) gets prompts ending there."""
    config = model.generation_config
    pad = config.pad_token_id if config.pad_token_id is not None else config.eos_token_id
    pad = pad[0] if isinstance(pad, list) else pad
    if getattr(model.config, "is_encoder_decoder", False) and config.decoder_start_token_id is None:
        options.setdefault("decoder_start_token_id", synth.generation_start(model))
    settings = {"max_new_tokens": tokens, "min_new_tokens": tokens, "do_sample": False, "num_beams": 1, "pad_token_id": pad,
                "return_dict_in_generate": True, "output_logits": True, **options}
    banned = unsampled_tokens(model, pad)
    if banned and "bad_words_ids" not in settings:
        settings["bad_words_ids"] = [[token] for token in banned]
    try:
        out, prefill = _run_generate(model, inputs, seed, settings)
    except ValueError as error:
        retry = _as_declared(model, inputs, settings, error)
        if retry is None:
            raise
        inputs, settings = retry
        out, prefill = _run_generate(model, inputs, seed, settings)
    if not hasattr(out, "sequences"):
        raise CheckFailure(f"{case.model_type}: generate(return_dict_in_generate=True) returned no sequences")
    return Generated(out, prefill, inputs)


# media placeholders: generating one would ask the model for media features it does not have (transformers' own testers
# ban them too: a trained model never generates them)
_PLACEHOLDERS = ("image_token_id", "image_token_index", "video_token_id", "video_token_index", "audio_token_id",
                 "audio_token_index", "vision_start_token_id", "vision_end_token_id", "audio_start_token_id", "audio_end_token_id")


def unsampled_tokens(model: Any, pad: Any) -> list[int]:
    """Tokens generation must not produce on a tiny random model: the media placeholders its config declares and its pad
    token (a codebook decoder drops pad codes from its output), those inside the vocabulary."""
    config, vocab = model.config, synth.vocab_size(model.config)
    found = {getattr(source, name, None) for source in (config, synth.text_config(config)) for name in _PLACEHOLDERS}
    found.add(pad)
    return sorted(token for token in found if isinstance(token, int) and 0 <= token < vocab)


def _run_generate(model: Any, inputs: dict[str, Any], seed: int, settings: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import torch

    config = model.generation_config
    forced = getattr(config, "forced_eos_token_id", None)
    if forced is not None:
        config.forced_eos_token_id = None  # it would end runs of other lengths differently
    prefill: dict[str, Any] = {}

    def record(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        if not prefill:
            prefill.update({k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()})

    handle = model.register_forward_pre_hook(record, with_kwargs=True)
    torch.manual_seed(seed)
    try:
        with torch.no_grad():
            out = model.generate(**inputs, **settings)
    finally:
        handle.remove()
        if forced is not None:
            config.forced_eos_token_id = forced
    return out, prefill


def _as_declared(model: Any, inputs: dict[str, Any], settings: dict[str, Any],
                 error: Exception) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The inputs and settings of a second try after ``generate`` refused the first (None: nothing else to try)."""
    if "LogitsProcessor" in str(error) and settings.get("min_new_tokens") is not None:  # max_new_tokens alone is exact then
        return inputs, {**{k: v for k, v in settings.items() if k != "bad_words_ids"}, "min_new_tokens": None, "eos_token_id": None}
    start = next((getattr(source, "audio_bos_token_id", None) for source in (model.config, synth.text_config(model.config))
                  if isinstance(getattr(source, "audio_bos_token_id", None), int)), None)
    ids = inputs.get("input_ids")
    if isinstance(start, int) and ids is not None and ids.dim() == 2 and not bool((ids[:, -1] == start).all()):
        return {**inputs, "input_ids": ids.clone().index_fill_(1, ids.new_tensor([ids.shape[1] - 1]), start)}, settings
    return None


def same_run(case: Any, actual: Any, expected: Any, how: str, other: str, rel: float = CACHE_REL) -> None:
    """Fail where two greedy runs pick different tokens and the step logits say it was no near-tie, or where the
    step logits of runs that agree so far differ beyond ``rel`` x their scale."""
    new_actual, new_expected = _new_tokens(actual, expected)
    steps_actual, steps_expected = actual.logits or (), expected.logits or ()
    offset = len(steps_expected) - len(steps_actual)  # a continued run logs only its own steps
    for step in range(new_expected.shape[1]):
        own = step - offset
        logits = steps_expected[step] if step < len(steps_expected) else None
        if 0 <= own < len(steps_actual) and logits is not None:
            problem = difference(steps_actual[own], logits, rel)
            if problem:
                raise CheckFailure(f"{case.model_type}: step {step} logits {how} vs {other}: {problem}")
        if not bool((new_actual[:, step] == new_expected[:, step]).all()):
            if logits is not None and _near_tie(logits, new_actual[:, step], new_expected[:, step], rel):
                return  # the runs part at a tie within rounding: later steps read other tokens
            raise CheckFailure(f"{case.model_type}: generate() {how} picks {new_actual[:, step].tolist()} at step {step}, "
                               f"{other} {new_expected[:, step].tolist()}")


def _new_tokens(actual: Any, expected: Any) -> tuple[Any, Any]:
    """The tokens both runs generated, aligned from their ends: the last ``len(expected.logits)`` of each (a run from
    ``inputs_embeds`` alone returns its new tokens only, others the prompt too)."""
    steps = min(len(expected.logits or ()), actual.sequences.shape[1], expected.sequences.shape[1])
    return actual.sequences[:, actual.sequences.shape[1] - steps:], expected.sequences[:, expected.sequences.shape[1] - steps:]


def _near_tie(logits: Any, picked: Any, other: Any, rel: float) -> bool:
    rows = logits.gather(-1, picked.unsqueeze(-1)) - logits.gather(-1, other.unsqueeze(-1))
    return bool((rows.abs() <= rel * scale(logits)).all())


def _per_position(value: Any, ids: Any) -> bool:
    """A tensor with one entry per token of ``ids`` (a mask, token types, boxes)."""
    return hasattr(value, "shape") and value.dim() >= 2 and value.shape[:2] == ids.shape[:2]


@check(applies=capabilities.caches_keys_and_values)
def cache_format(case: Any, model: Any) -> None:
    from transformers.cache_utils import Cache

    inputs = case.inputs(model)
    key = "decoder_input_ids" if "decoder_input_ids" in inputs else "input_ids"
    rows, length = inputs[key].shape[:2]
    batch = {rows, case.batch_size()}  # a decoder of codebook rows (batch x codebooks) may cache per sample
    with cache_writes() as written:
        output = case.forward(model, use_cache=True)
    cache = returned_cache(output)
    if cache is None:
        raise CheckFailure(f"{case.model_type}: forward(use_cache=True) returned no cache")
    if not isinstance(cache, Cache):
        raise CheckFailure(f"{case.model_type}: forward(use_cache=True) returned a {type(cache).__name__}, not a transformers Cache")
    own = getattr(cache, "self_attention_cache", cache)  # an encoder-decoder's: the decoder's own, then its cross-attention's
    depths = decoder_depths(model.config)
    if depths and len(own) not in depths:
        raise CheckFailure(f"{case.model_type}: the returned cache holds {len(own)} layers, its decoder "
                           f"{' or '.join(map(str, sorted(depths)))} (num_hidden_layers, or less the layers sharing another's "
                           f"keys and values)")
    missing = sorted(index for index in written.get(id(own), ()) if index >= len(own))
    if missing:
        raise CheckFailure(f"{case.model_type}: the forward wrote layers {missing} of its cache, the returned cache holds {len(own)}")
    _layer_shapes(case, own, batch, length, "cache")
    cross = getattr(cache, "cross_attention_cache", None)
    if cross is not None:
        _layer_shapes(case, cross, batch, None, "cross-attention cache")


def decoder_depths(config: Any) -> set[int]:
    """The layer counts a decoder's cache may hold, by transformers' own rule: its text config's ``num_hidden_layers``,
    or that less the layers that share another layer's keys and values (``num_kv_shared_layers``, which a cache may
    hold as placeholders or leave out); empty where the config declares no depth."""
    text = config.get_text_config(decoder=True)
    depth = getattr(text, "num_hidden_layers", None)
    if not isinstance(depth, int):
        return set()
    return {depth, depth - (getattr(text, "num_kv_shared_layers", None) or 0)}


@contextmanager
def cache_writes() -> Iterator[dict[int, set[int]]]:
    """The layers each cache (by ``id``) is written at through ``Cache.update`` while the block runs."""
    from transformers.cache_utils import Cache

    written: dict[int, set[int]] = {}
    original = Cache.update

    def update(self: Any, key_states: Any, value_states: Any, layer_idx: int, *args: Any, **kwargs: Any) -> Any:
        written.setdefault(id(self), set()).add(layer_idx)
        return original(self, key_states, value_states, layer_idx, *args, **kwargs)

    Cache.update = update  # type: ignore[method-assign]
    try:
        yield written
    finally:
        Cache.update = original  # type: ignore[method-assign]


def _layer_shapes(case: Any, cache: Any, batch: set[int], length: int | None, what: str) -> None:
    """Every attention layer of ``cache`` holds keys and values ``(batch, heads, positions, head size)`` (one of the
    ``batch`` sizes): ``length``
    positions (a sliding-window layer: at most its window; ``None``: the same number in every layer), and one number of
    heads and one head size per layer class (learned from its first layer)."""
    shapes: dict[tuple[str, str], tuple[int, ...]] = {}
    positions = None
    for index, layer in enumerate(getattr(cache, "layers", ())):
        for name in ("keys", "values"):
            tensor = getattr(layer, name, None) if getattr(layer, "is_initialized", False) else None
            if tensor is None or not hasattr(tensor, "shape") or not tensor.numel():
                continue
            subject = f"{case.model_type}: {what} layer {index} ({type(layer).__name__}) {name} {tuple(tensor.shape)}"
            if tensor.dim() != 4 or tensor.shape[0] not in batch:
                raise CheckFailure(f"{subject} is not (batch {' or '.join(map(str, sorted(batch)))}, heads, positions, head size)")
            expected = length if length is not None else positions
            if expected is not None and getattr(layer, "is_sliding", False):
                expected = min(expected, _window(layer))
            if expected is not None and tensor.shape[2] != expected:
                raise CheckFailure(f"{subject} holds {tensor.shape[2]} positions, not {expected}")
            positions = tensor.shape[2] if positions is None else positions
            seen = shapes.setdefault((type(layer).__name__, name), (tensor.shape[1], tensor.shape[3]))
            if seen != (tensor.shape[1], tensor.shape[3]):
                raise CheckFailure(f"{subject}: {tensor.shape[1]} heads of size {tensor.shape[3]}, the layer class's first "
                                   f"layer {seen[0]} of size {seen[1]}")


def _window(layer: Any) -> int:
    """The positions a sliding-window cache layer keeps at most: a static layer its window, a dynamic one its window less
    one (the next token's own key completes it)."""
    static = getattr(layer, "max_cache_len", None)
    return static if isinstance(static, int) else layer.sliding_window - 1


def generates_statically(case: Any, model: Any) -> str | None:
    """A decoder-only model with a key/value cache whose class declares it runs a static cache
    (``_can_compile_fullgraph``, transformers' own criterion)."""
    reason = capabilities.caches_keys_and_values(case, model) or capabilities.has_no_decoder_inputs(case, model)
    if reason:
        return reason
    return None if getattr(type(model), "_can_compile_fullgraph", False) else \
        f"{type(model).__name__}._can_compile_fullgraph is False: it builds masks a static cache cannot serve"


@check(applies=generates_statically)
def static_cache(case: Any, model: Any) -> None:
    from transformers.cache_utils import StaticCache

    model = case.precise(model)
    inputs = case.inputs(model)
    dynamic = greedy(case, model, NEW_TOKENS, use_cache=True)
    static = _generate(case, model, inputs, NEW_TOKENS, use_cache=True, cache_implementation="static")
    cache = returned_cache(static)
    if not isinstance(cache, StaticCache):
        raise CheckFailure(f"{case.model_type}: generate(cache_implementation='static') returned a {type(cache).__name__}")
    batch, length = inputs["input_ids"].shape[:2]
    _layer_shapes(case, cache, {batch}, length + NEW_TOKENS - 1, "static cache")  # the last token is never cached
    same_run(case, static, dynamic, "with a static cache", "with the dynamic cache", STATIC_REL)


def generates_from_embeds(case: Any, model: Any) -> str | None:
    """A decoder-only generating model that takes ``inputs_embeds`` in generation (``prepare_inputs_for_generation``
    names it) and exposes its input embedding."""
    import inspect

    reason = capabilities.generates(case, model) or capabilities.has_no_decoder_inputs(case, model) or \
        capabilities.embeds_tokens(case, model)
    if reason:
        return reason
    if "inputs_embeds" not in inspect.signature(model.prepare_inputs_for_generation).parameters:
        return f"{type(model).__name__}.prepare_inputs_for_generation takes no inputs_embeds"
    return None


@check(applies=generates_from_embeds)
def generate_from_inputs_embeds(case: Any, model: Any) -> None:
    import torch

    model = case.precise(model)
    inputs = case.inputs(model)
    ids = inputs.pop("input_ids")
    with torch.no_grad():
        embeds = model.get_input_embeddings()(ids)
    from_ids = greedy(case, model, NEW_TOKENS, use_cache=True)
    both = _generate(case, model, {**inputs, "input_ids": ids, "inputs_embeds": embeds}, NEW_TOKENS, use_cache=True)
    same_run(case, both, from_ids, "from inputs_embeds (and the ids)", "from input_ids", EMBEDS_REL)
    # other embeddings before the embeddings alone: a generate() that reads the ids instead fails here with its
    # reason, rather than crashing on the empty ids it gets without them
    special = sorted(synth.special_ids(model.config))  # media placeholders keep their embeddings
    ordinary = ~torch.isin(ids, torch.tensor(special, dtype=ids.dtype)) if special else torch.ones_like(ids, dtype=torch.bool)
    noise = torch.randn(embeds.shape, generator=synth.generator(6)).to(embeds.dtype) * embeds.std()
    other = _generate(case, model, {**inputs, "input_ids": ids, "inputs_embeds": embeds + noise * ordinary.unsqueeze(-1)},
                      NEW_TOKENS, use_cache=True)
    assert_changed(other.logits[0], from_ids.logits[0], f"{case.model_type}: other inputs_embeds give the first step "
                   "logits of the input_ids", EMBEDS_REL)
    if "attention_mask" in inputs:  # without ids, generate() derives no mask from them
        alone = _generate(case, model, {**inputs, "inputs_embeds": embeds}, NEW_TOKENS, use_cache=True)
        same_run(case, alone, from_ids, "from inputs_embeds alone", "from input_ids", EMBEDS_REL)
