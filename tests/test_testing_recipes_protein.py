"""Protein inputs of protein-text models on a real tiny Evolla (no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

from hfguard.testing import ModelCase  # noqa: E402
from hfguard.testing import synth  # noqa: E402
from hfguard.testing.recipes.protein import PROTEIN_LENGTH, protein_inputs  # noqa: E402
from tiny_models import run_check  # noqa: E402


@pytest.fixture(scope="module")
def evolla():
    subject = ModelCase("evolla", "multimodal-lm", "image-text-to-text", "EvollaConfig", "EvollaForProteinText2Text")
    return subject, subject.build()


def test_protein_tokens_stay_inside_the_protein_vocabulary(evolla):
    subject, model = evolla
    inputs = subject.inputs(model)
    protein = model.config.protein_encoder_config
    ids = inputs["protein_input_ids"]
    assert tuple(ids.shape) == (synth.BATCH, PROTEIN_LENGTH) and inputs["protein_attention_mask"].eq(1).all()
    assert 0 <= ids.min() and ids.max() < protein.vocab_size
    assert not set(ids.flatten().tolist()) & {protein.pad_token_id, protein.mask_token_id}
    assert "pixel_values" not in inputs


def test_zero_gates_of_the_protein_cross_attention_are_woken(evolla):
    _, model = evolla
    gates = [p for name, p in model.named_parameters() if name.rsplit(".", 1)[-1].startswith("gate_")]
    assert gates and all(gate.any() for gate in gates)


def test_other_proteins_change_the_output(evolla):
    subject, model = evolla
    run_check(subject, model, "media_changes_output")


def test_models_without_protein_input_get_none():
    subject = ModelCase("bert", "encoder-only", None, "BertConfig", "BertModel")
    assert protein_inputs(subject.build(), synth.BATCH) is None
