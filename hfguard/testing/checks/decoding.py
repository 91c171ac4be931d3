"""Decoding strategies beyond greedy: sampling repeats itself under a seed and follows other seeds; beam search picks
the same beams, step logits and sequence scores with and without the key/value cache.

Sampling compares runs of one computation in one process (exact tokens). It applies where the model's sampling
distribution has a real choice: from the scores of one sampled run the check learns the chance that three more seeds
repeat that run's tokens, and a check whose other seeds could honestly repeat them (a peaked distribution) cannot
fail, so it does not apply, with that chance as its reason.

Beam search runs on the float64 twin (``ModelCase.precise``): the cached and the uncached run compute the same
logits in other shapes, so their step logits agree to rounding (about 1e-16 of their scale) and are compared within
``BEAM_REL``. Its sequence scores are accumulated in float32 by transformers (whatever the model's dtype), so they are
compared within ``BEAM_REL`` of their scale too, far above float32's rounding (about 1e-7). Its selection is replayed
from the step scores: beams that never change places need no cache reordering (the check does not apply there), and
after a selection a near-tie decides the two runs may hold other beams, so logits are compared up to that step.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from hfguard.testing import capabilities
from hfguard.testing.checks.generation import NEW_TOKENS, _generate, greedy
from hfguard.testing.checks.registry import check
from hfguard.testing.shrink import first_line
from hfguard.testing.tensors import CheckFailure, assert_close, difference

SEEDS = (0, 1, 2, 3)
REPEAT_CHANCE = 1e-6  # the largest chance that the other seeds repeat the first one's tokens for which the check applies
SAME_SCORES = 1e-6  # relative to the scores' scale: one computation repeated in one process (threaded reductions only)
BEAMS = 3
BEAM_REL = 1e-5  # relative to the scale: float64 step logits, and sequence scores float32 accumulates


def sampled(case: Any, model: Any, seed: int) -> Any:
    """``generate(do_sample=True)`` of ``NEW_TOKENS`` tokens from the default inputs under ``seed`` (once per model)."""
    return case.memo(model, f"sampled-{seed}", lambda: sample(case, model, seed))


def sample(case: Any, model: Any, seed: int) -> Any:
    """One sampled run under ``seed`` (not memoized)."""
    return _generate(case, model, case.inputs(model), NEW_TOKENS, seed=seed, do_sample=True, temperature=1.0,
                     output_scores=True, use_cache=True)  # a temperature: some generate() sample only when given one


def repeat_chance(run: Any, others: int = len(SEEDS) - 1) -> float:
    """An upper bound of the chance that ``others`` more sampled runs repeat ``run``'s tokens: the product over its
    steps and rows of the most likely token's probability (of the processed scores), to the power ``others``."""
    import torch

    chance = 1.0
    for scores in run.scores or ():
        probabilities = torch.softmax(scores.double(), dim=-1).nan_to_num(nan=1.0)
        chance *= float(probabilities.max(dim=-1).values.prod()) ** others
    return chance


def samples_with_choice(case: Any, model: Any) -> str | None:
    """The model generates, and its sampling has a choice: other seeds would almost surely sample other tokens."""
    reason = capabilities.generates(case, model)
    if reason:
        return reason
    run = sampled(case, model, SEEDS[0])
    if not run.scores:
        return "generate(do_sample=True, output_scores=True) returns no scores to learn its sampling distribution from"
    chance = repeat_chance(run)
    if chance > REPEAT_CHANCE:
        return f"its sampling distribution is nearly certain: {len(SEEDS) - 1} more seeds repeat one run with a chance of {chance:.2g}"
    return None


@check(applies=samples_with_choice)
def sampling_reproducible(case: Any, model: Any) -> None:
    import torch

    first = sampled(case, model, SEEDS[0])
    again = sample(case, model, SEEDS[0])
    if not torch.equal(again.sequences, first.sequences):
        raise CheckFailure(f"{case.model_type}: sampling twice under seed {SEEDS[0]} gives other tokens "
                           f"({_first_difference(again.sequences, first.sequences)})")
    for step, (scores, expected) in enumerate(zip(again.scores, first.scores, strict=True)):
        problem = difference(scores, expected, SAME_SCORES)
        if problem:
            raise CheckFailure(f"{case.model_type}: step {step} scores of two runs under seed {SEEDS[0]}: {problem}")
    shape = tuple(greedy(case, model, NEW_TOKENS, use_cache=True).sequences.shape)
    if tuple(first.sequences.shape) != shape:
        raise CheckFailure(f"{case.model_type}: sampling returned {tuple(first.sequences.shape)}, greedy decoding of as many "
                           f"tokens {shape}")
    if all(torch.equal(sampled(case, model, seed).sequences, first.sequences) for seed in SEEDS[1:]):
        raise CheckFailure(f"{case.model_type}: seeds {', '.join(map(str, SEEDS))} all sample the same tokens (a sampler "
                           f"following its seed repeats them with a chance of {repeat_chance(first):.2g})")


def beams(case: Any, model: Any, use_cache: bool) -> Any:
    """Beam search of ``NEW_TOKENS`` tokens with ``BEAMS`` beams, with its step logits and scores (once per model)."""
    return case.memo(model, f"beams-{use_cache}", lambda: _generate(
        case, model, case.inputs(model), NEW_TOKENS, use_cache=use_cache, num_beams=BEAMS, output_scores=True,
        early_stopping=False, length_penalty=1.0))


def reorders_beams(case: Any, model: Any) -> str | None:
    """The model generates with a key/value cache, and its cached beam search moves beams between slots, so the cache
    must be reordered (learned by replaying its selection from the step scores). A generate() that refuses beam search
    (a ValueError naming it) does not apply."""
    reason = capabilities.caches_keys_and_values(case, model)
    if reason:
        return reason
    try:
        run = beams(case, case.precise(model), True)
    except ValueError as error:
        if "beam" not in str(error).lower():
            raise
        return f"its generate() refuses beam search: {first_line(error)[:160]}"
    batch = greedy(case, model, NEW_TOKENS, use_cache=True).sequences.shape[0]
    if len(run.scores or ()) != NEW_TOKENS or run.scores[0].shape[0] != batch * BEAMS:
        return f"generate(num_beams={BEAMS}) logs no scores of {BEAMS} beams per sample to replay its selection from"
    return None if replayed(run.scores, batch).reordered else "its beams never change places: no cache reordering to compare"


@check(applies=reorders_beams)
def beam_search(case: Any, model: Any) -> None:
    model = case.precise(model)
    cached, plain = beams(case, model, True), beams(case, model, False)
    prompt = greedy(case, model, NEW_TOKENS, use_cache=True).sequences
    if tuple(cached.sequences.shape) != tuple(prompt.shape):
        raise CheckFailure(f"{case.model_type}: beam search returned {tuple(cached.sequences.shape)}, greedy decoding of as "
                           f"many tokens {tuple(prompt.shape)}")
    steps = len(plain.logits or ())
    if len(cached.logits or ()) != steps or steps != NEW_TOKENS or len(cached.scores or ()) != steps:
        raise CheckFailure(f"{case.model_type}: beam search logged {len(cached.logits or ())} steps with the cache, {steps} "
                           f"without it, for {NEW_TOKENS} new tokens")
    ties = [step for step in (replayed(run.scores, prompt.shape[0]).tie for run in (cached, plain)) if step is not None]
    for step in range(steps):  # the beams' slots hold the same beams in both runs until a selection a near-tie decides
        problem = difference(cached.logits[step], plain.logits[step], BEAM_REL)
        if problem:
            raise CheckFailure(f"{case.model_type}: beam search step {step} logits with the cache vs without it: {problem}")
        if ties and step >= min(ties):
            return
    if not bool((cached.sequences == plain.sequences).all()):
        raise CheckFailure(f"{case.model_type}: beam search with the cache picks other beams than without it, from the "
                           f"same step logits")
    assert_close(cached.sequences_scores, plain.sequences_scores,
                 f"{case.model_type}: beam search sequence scores with the cache vs without it", BEAM_REL)


class Replayed(NamedTuple):
    """Beam search's selection replayed from its step scores: the first step a near-tie decides (None: none), and whether
    a beam took another beam's place before the last step (the cache then had to be reordered)."""

    tie: int | None
    reordered: bool


def replayed(scores: Any, batch: int) -> Replayed:
    """Replay beam search's selection from its step scores (log-probabilities after the logits processors; no beam
    finishes before the last step): at each step the best ``BEAMS`` of the beams' accumulated scores go on. A near-tie
    is two of the best ``BEAMS + 1`` within ``BEAM_REL`` of their scale (which beams go on, or in which slots)."""
    import torch

    running = torch.full((batch, BEAMS), -1e9, dtype=torch.float64)
    running[:, 0] = 0.0  # every beam starts as the prompt: only the first is live
    tie, reordered = None, False
    for step, log_probs in enumerate(scores):
        candidates = log_probs.double().reshape(batch, BEAMS, -1) + running[:, :, None]
        vocab = candidates.shape[-1]
        best = candidates.reshape(batch, -1).topk(BEAMS + 1)
        gaps = best.values[:, :-1] - best.values[:, 1:]
        if tie is None and bool((gaps <= BEAM_REL * float(best.values.abs().max())).any()):
            tie = step
        sources = best.indices[:, :BEAMS] // vocab
        if step < len(scores) - 1 and step > 0 and bool((sources != torch.arange(BEAMS)).any()):
            reordered = True  # a slot now holds another beam's history (at step 0 every beam is the prompt)
        running = best.values[:, :BEAMS]
    return Replayed(tie, reordered)


def _first_difference(actual: Any, expected: Any) -> str:
    """Where two token tensors first differ, in words."""
    where = (actual != expected).nonzero()[0].tolist() if actual.shape == expected.shape else None
    if where is None:
        return f"shape {tuple(actual.shape)} vs {tuple(expected.shape)}"
    row, column = where
    return f"row {row}, position {column}: {int(actual[row, column])} vs {int(expected[row, column])}"
