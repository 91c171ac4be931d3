"""A model changed in place for one check is put back exactly as it was (real tiny models, no mocks)."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

import torch  # noqa: E402

from hfguard.testing.checks.training import enable_checkpointing  # noqa: E402
from hfguard.testing.model_state import restored  # noqa: E402
from tiny_models import build_tiny  # noqa: E402


def _state(model):
    return {name: tensor.detach().clone() for name, tensor in model.state_dict(keep_vars=True).items()}


def _same(before, model) -> bool:
    after = model.state_dict(keep_vars=True)
    return before.keys() == after.keys() and all(
        before[name].dtype == after[name].dtype and torch.equal(before[name], after[name].detach()) for name in before)


def test_a_training_step_with_batch_norms_leaves_nothing_behind():
    model = build_tiny("resnet", "ResNetConfig", "ResNetForImageClassification")
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before_output, before = model(pixel_values=pixels).logits, _state(model)
    with restored(model):
        model.train()
        model(pixel_values=pixels, labels=torch.tensor([0, 1])).loss.backward()  # sets config.problem_type
        assert not _same(before, model)  # the batch norms' running statistics moved
    assert _same(before, model) and not any(module.training for module in model.modules())
    assert model.config.problem_type is None and all(p.grad is None for p in model.parameters())
    with torch.no_grad():
        assert torch.equal(model(pixel_values=pixels).logits, before_output)


def test_a_conversion_checkpointing_and_a_hook_are_undone():
    model = build_tiny("bert", "BertConfig", "BertForMaskedLM")
    before, weight = _state(model), model.bert.embeddings.word_embeddings.weight
    hooks = len(model.bert.embeddings.word_embeddings._forward_hooks)
    with restored(model):
        model.to(torch.bfloat16)
        enable_checkpointing(model)  # flags on the layers, and a hook making embeddings require grad
        model.bert.embeddings.register_buffer("extra", torch.zeros(1))
    assert _same(before, model) and model.bert.embeddings.word_embeddings.weight is weight
    assert not any(getattr(module, "gradient_checkpointing", False) for module in model.modules())
    assert len(model.bert.embeddings.word_embeddings._forward_hooks) == hooks
