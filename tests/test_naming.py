"""``hfguard.naming``: a test file's name as a model type of the real catalogue, or the reason it is none."""

from __future__ import annotations

import pytest

from hfguard import known_names
from hfguard.catalogue import Catalogue
from hfguard.naming import (CHECKPOINT, EXACT, GENERIC, NOT_TRANSFORMERS, REMOVED, SPELLING, SUFFIX, UNKNOWN, Namer,
                            edit_distance, normalise, trusted_suggestion)


@pytest.fixture(scope="module")
def namer(real_catalogue: Catalogue) -> Namer:
    return Namer(real_catalogue.models, real_catalogue.transformers_version)


@pytest.mark.parametrize(("name", "model_type", "how"), [
    ("bert", "bert", EXACT),
    ("bert_generation", "bert-generation", SPELLING),
    ("xlm_roberta", "xlm-roberta", SPELLING),
    ("layoutlm_v2", "layoutlmv2", SPELLING),
    ("gptneox", "gpt_neox", SPELLING),
    ("bert_improved", "bert", SUFFIX),
    ("mobilebert_standardized", "mobilebert", SUFFIX),
    ("gpt2_fixed_improved", "gpt2", SUFFIX),
    ("whisper_tiny", "whisper", CHECKPOINT),
    ("bert_base_uncased", "bert", CHECKPOINT),
    ("t5_small", "t5", CHECKPOINT),
    ("llama_7b", "llama", CHECKPOINT),
    ("vit_base_patch16_224", "vit", CHECKPOINT),
    ("bert_base_uncased_improved", "bert", CHECKPOINT),
    ("pythia", "gpt_neox", CHECKPOINT),
    ("pythia_70m", "gpt_neox", CHECKPOINT),
    ("codellama_7b_instruct", "llama", CHECKPOINT),
    ("tinyllama", "llama", CHECKPOINT),
    ("deberta_v3_base", "deberta-v2", CHECKPOINT),
])
def test_names_that_map_to_a_model_type(namer: Namer, name: str, model_type: str, how: str) -> None:
    naming = namer.name(name)
    assert (naming.model_type, naming.how) == (model_type, how), naming


@pytest.mark.parametrize(("name", "how", "reason"), [
    ("retribert", REMOVED, "removed in v5"),
    ("qdqbert_improved", REMOVED, "removed in v5"),
    ("transfo_xl", REMOVED, "removed in v5"),
    ("tgi", NOT_TRANSFORMERS, "Text Generation Inference"),
    ("tei", NOT_TRANSFORMERS, "Text Embeddings Inference"),
    ("claude3_haiku", NOT_TRANSFORMERS, "Claude"),
    ("stable-diffusion", NOT_TRANSFORMERS, "diffusers"),
    ("audioldm2", NOT_TRANSFORMERS, "diffusers"),
    ("graphsage", NOT_TRANSFORMERS, "graph"),
    ("audio", GENERIC, "modality"),
    ("encoder_only", GENERIC, "modality"),
    ("__help", GENERIC, "modality"),
    ("camenbert", UNKNOWN, "(did you mean 'camembert'?)"),
    ("distillbert_improved", UNKNOWN, "(did you mean 'distilbert'?)"),
    ("hindi_causal_lm", UNKNOWN, "not a model type of transformers"),
    ("roberta_large_mnli", UNKNOWN, "not a model type of transformers"),  # 'mnli' is no size or variant word
])
def test_names_that_map_to_none_are_explained(namer: Namer, name: str, how: str, reason: str) -> None:
    naming = namer.name(name)
    assert naming.model_type is None and naming.how == how and reason in naming.reason, naming


@pytest.mark.parametrize(("name", "wrong"), [("retribert", "rembert"), ("tgi", "git"), ("pythia", "phi"), ("gpt3", "gpt2"),
                                             ("qwen", "qwen2"), ("llama3", "llama")])
def test_no_suggestion_that_cannot_be_trusted(real_catalogue: Catalogue, name: str, wrong: str) -> None:
    """Tried on the rule alone (the tables explain most of these names before any suggestion is looked for)."""
    assert trusted_suggestion(name, real_catalogue.models) == "", name
    assert wrong in real_catalogue.models


@pytest.mark.parametrize(("name", "right"), [("camenbert", "camembert"), ("distillbert", "distilbert"), ("robreta", "roberta"),
                                             ("electraa", "electra"), ("llamma", "llama"), ("wave2vec2", "wav2vec2"),
                                             ("mobilvit", "mobilevit")])
def test_a_real_misspelling_gets_its_model_type(real_catalogue: Catalogue, name: str, right: str) -> None:
    assert trusted_suggestion(name, real_catalogue.models) == f"did you mean '{right}'?"


def test_the_suggestion_rule_fails_where_it_must() -> None:
    """Each condition of the rule, shown to refuse: too short, another start, other digits, too far, two as close."""
    assert trusted_suggestion("bertt", ["bert"]) == "did you mean 'bert'?"
    assert trusted_suggestion("brt", ["bert"]) == ""  # shorter than 5
    assert trusted_suggestion("xbertt", ["bertt"]) == ""  # another start
    assert trusted_suggestion("gemma3x", ["gemma2x"]) == ""  # other digits
    assert trusted_suggestion("robertaaa", ["roberta"]) == "did you mean 'roberta'?"  # 9 letters: two edits
    assert trusted_suggestion("robertaa", ["robert"]) == ""  # 8 letters: one edit only
    assert trusted_suggestion("bertaa", ["bertab", "bertac"]) == ""  # two as close


def test_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("roberta", "robreta") == 1
    assert edit_distance("retribert", "rembert") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "abc") == 0


def test_the_tables_agree_with_the_catalogue(real_catalogue: Catalogue) -> None:
    """Reviewed data: every checkpoint family names a model type; nothing removed or foreign is a model type."""
    normal = {normalise(name) for name in real_catalogue.models}
    assert [key for key, (model_type, _) in known_names.CHECKPOINT_FAMILIES.items() if model_type not in real_catalogue] == []
    assert [name for name in known_names.REMOVED if normalise(name) in normal] == []
    assert [name for name in known_names.NOT_TRANSFORMERS if name in normal] == []
    assert [word for word in known_names.GENERIC_WORDS if word in normal] == []
    assert all(reason for reason in known_names.REMOVED.values())
