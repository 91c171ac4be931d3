"""The generation checks on generators that are not text decoders (real tiny models, no mocks): a codebook generator
that returns new frames only (csm), one that returns audio (musicgen); what each check learns from generate(), and the
reasons a check gives where it does not apply."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing.checks import CHECKS  # noqa: E402
from hfguard.testing.checks.decoding import BEAMS, repeat_chance, replayed  # noqa: E402
from hfguard.testing.mutations import KINDS, applies  # noqa: E402

SUBJECTS = {
    "gpt2": ("decoder-only", "causal-lm", "GPT2Config", "GPT2LMHeadModel"),
    "csm": ("text-to-audio", "text-to-waveform", "CsmConfig", "CsmForConditionalGeneration"),  # (batch, frames, codebooks)
    "musicgen": ("text-to-audio", "text-to-waveform", "MusicgenConfig", "MusicgenForConditionalGeneration"),  # a waveform
}


@pytest.fixture(scope="module")
def built() -> dict[str, tuple[ModelCase, object]]:
    cases = {name: ModelCase(name, *facts) for name, facts in SUBJECTS.items()}
    return {name: (case, case.build()) for name, case in cases.items()}


def _caught(built: dict, model_type: str, kind: str) -> str:
    """The one-line failure of the checks written for ``kind`` on ``model_type`` broken that way (they pass unbroken)."""
    case, model = built[model_type]
    spec = KINDS[kind]
    assert applies(spec, case, model) is None
    fresh = ModelCase(case.model_type, case.family, case.task, case.config_class, case.model_class)
    broken = copy.deepcopy(model)
    assert spec.apply(fresh, broken) is None
    for check in spec.checks:
        CHECKS[check].run(case, model)
    with pytest.raises(AssertionError) as failure:
        for check in spec.checks:
            CHECKS[check].run(fresh, broken)
    return str(failure.value)


@pytest.mark.slow
@pytest.mark.parametrize(("model_type", "kind", "message"), [
    ("csm", "generation_short", "3 along its token axis 1, not 4 new tokens"),
    ("musicgen", "generation_short", r"returned \(2, 0, 2560\)"),
    ("musicgen", "returned_cache_stale", "the values of layer 0 generate.. returned vs its prefill's, replayed"),
    ("musicgen", "decoder_start_ignored", "the decoder did not start from"),
])
def test_generation_kinds_are_caught_on_codebook_and_audio_generators(built, model_type: str, kind: str, message: str):
    """The token axis is learned from two runs (csm returns new frames only), a waveform grows by its samples per token,
    the returned cache is compared with generate()'s own prefill replayed (no layout of tokens needed), and an audio
    generator's start token is read from the decoder inputs of its prefill."""
    import re

    assert re.search(message, _caught(built, model_type, kind))


@pytest.mark.slow
def test_a_generate_that_refuses_beam_search_is_not_applicable(built):
    case, model = built["csm"]
    reason = CHECKS["beam_search"].applies(case, model)
    assert reason.startswith("its generate() refuses beam search: ValueError: Generation mode GenerationMode.BEAM_SEARCH")


@pytest.mark.slow
def test_beam_search_replays_its_selection(built):
    """gpt2's cached beam search moves beams between slots (so its cache is reordered), with no near-tie; uniform step
    scores tie at once."""
    import torch

    from hfguard.testing.checks.decoding import beams

    case, model = built["gpt2"]
    run = beams(case, case.precise(model), True)
    assert replayed(run.scores, 2) == (None, True)
    uniform = [torch.zeros(2 * BEAMS, 5) for _ in range(3)]
    assert replayed(uniform, 2).tie == 0


def test_sampling_applies_where_other_seeds_would_sample_otherwise():
    """The chance that three more seeds repeat a run: near-uniform scores over 99 tokens make it negligible; a token
    every step is sure of, certain."""
    import torch

    class Run:  # a sampled run's step scores, as generate(output_scores=True) returns them
        def __init__(self, scores: list) -> None:
            self.scores = scores

    assert repeat_chance(Run([torch.zeros(2, 99)] * 4)) < 1e-40
    certain = torch.full((2, 99), float("-inf"))
    certain[:, 7] = 0.0
    assert repeat_chance(Run([certain] * 4)) == 1.0
