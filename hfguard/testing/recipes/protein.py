"""Protein inputs of protein-text language models (Evolla).

transformers files Evolla under image-text-to-text, but its media is a protein, not an image: the
forward reads the structure-aware (SaProt) tokens of a protein sequence as ``protein_input_ids``
with their ``protein_attention_mask`` (it ignores either without the other), encodes and resamples
them, and the text cross-attends to the result; there are no placeholder tokens in the text.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import synth

PROTEIN_LENGTH = 10  # residues per protein (the upstream tester's protein_seq_length)


def protein_inputs(model: Any, batch: int, seed: int = 8) -> dict[str, Any] | None:
    """Random protein tokens (batch, residues) inside the protein encoder's vocabulary, avoiding its
    special tokens, with an all-ones mask; ``None`` for models without a protein input."""
    import torch

    if "protein_input_ids" not in synth.forward_params(model):
        return None
    ids = synth.token_ids(model.config.protein_encoder_config, (batch, PROTEIN_LENGTH), seed=seed)
    return {"protein_input_ids": ids, "protein_attention_mask": torch.ones_like(ids)}
