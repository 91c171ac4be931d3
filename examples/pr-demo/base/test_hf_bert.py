"""The team's own bert test, written by hand before the team adopted hfguard."""

import torch
from transformers import BertConfig, BertModel


def test_pooler_output_is_bounded_by_tanh():
    config = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37, vocab_size=99)
    model = BertModel(config).eval()
    pooled = model(input_ids=torch.tensor([[1, 2, 3]])).pooler_output
    assert pooled.abs().max() <= 1.0
