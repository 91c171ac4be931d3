"""Every input that matters changes the output: the token ids, the attention mask over them, each media input.

A change counts when the main output moves by more than ``CHANGED`` x its scale; a model whose output
ignores its inputs (a constant, a path cut off) fails here. The outputs come from the float64 twin
(``ModelCase.precise``): an input that does not reach the output moves it by rounding at most, about 1e-16 of
the scale there, never near the bound, on any CPU.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import capabilities, synth
from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import assert_changed, main_output

CHANGED = 1e-6  # relative to the output's scale: far above float rounding of a same-input rerun (0)
MASKED = 2  # leading text positions masked out in each sample


@check(applies=capabilities.reads_tokens)
def text_changes_output(case: Any, model: Any) -> None:
    model = case.precise(model)
    name, before = main_output(case.reference(model))
    special = synth.special_ids(model.config)
    for key in capabilities.token_inputs(case, model):
        inputs = case.inputs(model)
        inputs[key] = other_tokens(inputs[key], special)
        after = main_output(case.forward(model, inputs))[1]
        assert_changed(after, before, f"{case.model_type}: {name} ignores {key} (other tokens, same output)", CHANGED)


@check(applies=capabilities.masks_tokens)
def attention_mask_changes_output(case: Any, model: Any) -> None:
    model = case.precise(model)
    name, before = main_output(case.reference(model))
    inputs = case.inputs(model)
    inputs["attention_mask"] = masked_text(inputs["input_ids"], inputs["attention_mask"], synth.special_ids(model.config))
    after = main_output(case.forward(model, inputs))[1]
    assert_changed(after, before, f"{case.model_type}: {name} ignores the attention mask ({MASKED} positions masked, same output)",
                   CHANGED)


@check(applies=capabilities.reads_signal)
def media_changes_output(case: Any, model: Any) -> None:
    import torch

    model = case.precise(model)
    name, before = main_output(case.reference(model))
    for key in capabilities.signal_inputs(case, model):
        inputs = case.inputs(model)
        value = inputs[key]
        # token media (protein residues): the same valid tokens in reverse order, another sequence
        other = torch.randn(value.shape, generator=synth.generator(10)) * 3 if value.is_floating_point() else value.flip(-1)
        if key == "flattened_patches":  # each patch leads with its (row, column) indices: keep them
            other[..., :2] = value[..., :2]
        inputs[key] = other.to(value.dtype)
        after = main_output(case.forward(model, inputs))[1]
        assert_changed(after, before, f"{case.model_type}: {name} ignores {key} (other values, same output)", CHANGED)


def other_tokens(ids: Any, special: set[int]) -> Any:
    """``ids`` with every ordinary token replaced by the ordinary token before it in its row (rolled along the
    sequence), so the ids stay valid while nearly every position changes; special tokens stay in place."""
    import torch

    ordinary = ~torch.isin(ids, torch.tensor(sorted(special), dtype=ids.dtype)) if special else torch.ones_like(ids, dtype=torch.bool)
    out = ids.clone()
    for index in range(ids.shape[0]):
        row, keep = out[index], ordinary[index]
        values = row[keep]
        if values.numel() > 1:
            shifted = values.roll(1, dims=0)
            if torch.equal(shifted, values):  # one repeated token: any other ordinary id
                shifted = (values + 1) % max(int(values.max()) + 2, 2)
            row[keep] = shifted
    return out


def masked_text(ids: Any, mask: Any, special: set[int]) -> Any:
    """``mask`` with the first ``MASKED`` ordinary (non-special) token positions of every sample masked out."""
    import torch

    out = mask.clone()
    ordinary = ~torch.isin(ids, torch.tensor(sorted(special), dtype=ids.dtype)) if special else torch.ones_like(ids, dtype=torch.bool)
    for index in range(ids.shape[0]):
        positions = ordinary[index].nonzero().flatten()[:MASKED]
        out[index, positions] = 0
    return out
