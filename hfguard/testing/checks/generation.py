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

from typing import Any

from hfguard.testing import capabilities, synth
from hfguard.testing.checks.registry import check
from hfguard.testing.overrides import input_hints
from hfguard.testing.tensors import CheckFailure, assert_close, difference, main_output, scale

NEW_TOKENS = 4
STEPS = 3  # one-token steps after the prefill
CACHE_REL = 1e-3  # relative to the logits' scale: the same computation in other shapes (a recurrent step vs a scan)
CONTINUED_REL = 1e-5  # a run continued from the returned cache repeats the same step on the same cache


@check(applies=capabilities.generates)
def generates_new_tokens(case: Any, model: Any) -> None:
    inputs = case.inputs(model)
    sequences = greedy(case, model, NEW_TOKENS, use_cache=True).sequences
    block = input_hints(case.model_type).get("generation_block")  # block-diffusion models add whole blocks
    size = getattr(model.config, block) if block else 1
    prompt = inputs["decoder_input_ids"] if "decoder_input_ids" in inputs and not block else inputs["input_ids"]
    new = -(-NEW_TOKENS // size) * size
    expected = (prompt.shape[0], prompt.shape[1] + new)
    if tuple(sequences.shape) != expected:
        raise CheckFailure(f"{case.model_type}: generate() returned {tuple(sequences.shape)}, not prompt + {new} tokens {expected}")
    if not bool((sequences[:, : prompt.shape[1]] == prompt).all()):
        raise CheckFailure(f"{case.model_type}: generate() changed the prompt")


@check(applies=capabilities.decoder_starts)
def generate_starts_from_decoder_start(case: Any, model: Any) -> None:
    inputs = {k: v for k, v in case.inputs(model).items() if not k.startswith("decoder_")}
    start = model.generation_config.decoder_start_token_id
    start = synth.decoder_start(model.config) if start is None else start
    out = model.generate(**inputs, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                         decoder_start_token_id=start)
    sequences = getattr(out, "sequences", out)
    if not bool((sequences[:, 0] == start).all()):
        raise CheckFailure(f"{case.model_type}: the decoder did not start from {start}: {sequences[:, 0].tolist()}")


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
    first = greedy(case, model, NEW_TOKENS - 1, use_cache=True)
    key = "decoder_input_ids" if "decoder_input_ids" in inputs else "input_ids"
    mask_key = "decoder_attention_mask" if key == "decoder_input_ids" else "attention_mask"
    ids = inputs[key]
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


def greedy(case: Any, model: Any, tokens: int, use_cache: bool) -> Any:
    """Greedy generation of exactly ``tokens`` new tokens from the default inputs (computed once per model)."""
    return case.memo(model, f"greedy-{tokens}-{use_cache}",
                     lambda: _generate(case, model, case.inputs(model), tokens, use_cache=use_cache))


def returned_cache(output: Any) -> Any:
    """The key/value cache a forward or ``generate`` returned (``cache``, formerly ``past_key_values``)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


def _generate(case: Any, model: Any, inputs: dict[str, Any], tokens: int, **options: Any) -> Any:
    import torch

    config = model.generation_config
    pad = config.pad_token_id if config.pad_token_id is not None else config.eos_token_id
    pad = pad[0] if isinstance(pad, list) else pad
    if getattr(model.config, "is_encoder_decoder", False) and config.decoder_start_token_id is None:
        options.setdefault("decoder_start_token_id", synth.generation_start(model))
    forced = getattr(config, "forced_eos_token_id", None)
    if forced is not None:
        config.forced_eos_token_id = None  # it would end runs of other lengths differently
    torch.manual_seed(0)
    try:
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, num_beams=1,
                                 pad_token_id=pad, return_dict_in_generate=True, output_logits=True, **options)
    finally:
        if forced is not None:
            config.forced_eos_token_id = forced
    if not hasattr(out, "sequences"):
        raise CheckFailure(f"{case.model_type}: generate(return_dict_in_generate=True) returned no sequences")
    return out


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
    """The tokens both runs generated after their common prompt, aligned by position."""
    length = min(actual.sequences.shape[1], expected.sequences.shape[1])
    prompt = length - len(expected.logits or ()) if expected.sequences.shape[1] == length else \
        expected.sequences.shape[1] - len(expected.logits or ())
    return actual.sequences[:, prompt:length], expected.sequences[:, prompt:length]


def _near_tie(logits: Any, picked: Any, other: Any, rel: float) -> bool:
    rows = logits.gather(-1, picked.unsqueeze(-1)) - logits.gather(-1, other.unsqueeze(-1))
    return bool((rows.abs() <= rel * scale(logits)).all())


def _per_position(value: Any, ids: Any) -> bool:
    """A tensor with one entry per token of ``ids`` (a mask, token types, boxes)."""
    return hasattr(value, "shape") and value.dim() >= 2 and value.shape[:2] == ids.shape[:2]
