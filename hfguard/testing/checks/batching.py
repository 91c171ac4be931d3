"""Batch independence: each sample gives the same outputs alone as inside the batch, also when it is padded
(with its attention mask) to the length of a longer sample.

Matrix products of other shapes round differently (transformers#25420), so outputs agree within
``BATCH_REL`` x the output's scale, the bound transformers' own batching test uses; a leak between samples
or a padding that reaches the real tokens moves outputs by far more. Both compare on the float64 twin
(``ModelCase.precise``), where that rounding is about 1e-16 of the scale on every CPU.
"""

from __future__ import annotations

from typing import Any

from hfguard.testing import capabilities
from hfguard.testing.checks.registry import check
from hfguard.testing.tensors import CheckFailure, assert_close, main_output, named_tensors

BATCH_REL = 1e-3
PADS = 2  # padding positions of the shortened sample


@check(applies=capabilities.batched)
def batch_independent(case: Any, model: Any) -> None:
    model = case.precise(model)
    batch = case.batch_size()
    full = per_sample_outputs(case.reference(model))
    main_name = main_output(case.reference(model))[0]
    for index in range(batch):
        single = per_sample_outputs(case.forward(model, sample(case.inputs(model), index, batch)))
        compared = False
        for name, alone in single.items():
            together = full.get(name)
            part = sample_of(together, alone, index, batch) if together is not None else None
            if part is None:
                continue
            compared |= name == main_name
            subject = f"{case.model_type}: sample {index} of {batch}: {name} alone vs in the batch"
            if alone.is_floating_point():
                assert_close(alone, part, subject, BATCH_REL)
            elif not bool((alone == part).all()):  # codes, indices: exactly the same
                raise CheckFailure(f"{subject}: {int((alone != part).sum())} of {alone.numel()} values differ")
        if not compared:
            raise CheckFailure(f"{case.model_type}: {main_name} of sample {index} cannot be found in the batch's output")


@check(applies=capabilities.masks_tokens)
def padding_independent(case: Any, model: Any) -> None:
    import torch

    model = case.precise(model)
    inputs = case.inputs(model)
    ids, batch = inputs["input_ids"], inputs["input_ids"].shape[0]
    length = ids.shape[1]
    left = is_causal_decoder(model)
    short = length - PADS
    pad = _pad_id(model.config)
    alone = {key: _cut(value, ids.shape, 0, short) for key, value in sample(inputs, 0, batch).items()}
    padded = dict(inputs)
    for key, value in inputs.items():
        if _per_token(value, ids.shape):
            value = value.clone()
            real = value[0, :short].clone()
            filler = pad if key == "input_ids" else 0
            value[0] = torch.cat([torch.full_like(value[0, :PADS], filler), real]) if left else \
                torch.cat([real, torch.full_like(value[0, :PADS], filler)])
            padded[key] = value
    padded["attention_mask"][0] = torch.tensor([0] * PADS + [1] * short if left else [1] * short + [0] * PADS)
    if left and "position_ids" in _params(model) and "position_ids" not in inputs and not capabilities.signal_inputs(case, model):
        padded["position_ids"] = (padded["attention_mask"].cumsum(-1) - 1).clamp(min=0)
    name, together = main_output(case.forward(model, padded))
    expected = main_output(case.forward(model, alone))[1]
    row = together[:1]
    if row.dim() >= 2 and row.shape[1] == length and expected.shape[1] == short:  # one output per token: the real ones
        row = row[:, PADS:] if left else row[:, :short]
    side = "left" if left else "right"
    assert_close(row, expected, f"{case.model_type}: {name} of a {side}-padded sample vs unpadded", BATCH_REL)


def sample(inputs: dict[str, Any], index: int, batch: int) -> dict[str, Any]:
    """Sample ``index`` of batched ``inputs``: its block of rows of every tensor (one row when batch-first)."""
    out = {}
    for key, value in inputs.items():
        if hasattr(value, "shape") and value.dim() > 0 and value.shape[0] % batch == 0:
            rows = value.shape[0] // batch
            out[key] = value[index * rows : (index + 1) * rows]
        else:
            out[key] = value
    return out


def per_sample_outputs(output: Any) -> dict[str, Any]:
    """The output tensors that hold something per sample: all but losses (a batch mean) and scalars."""
    return {name: tensor for name, tensor in named_tensors(output) if tensor.dim() > 0 and not name.endswith("loss")}


def sample_of(together: Any, alone: Any, index: int, batch: int) -> Any:
    """The part of a batched output that belongs to sample ``index``: on every axis that is ``batch`` times as
    long as in the sample's own output (rows; a similarity matrix's both axes; codec chunks before the batch),
    its block; on an axis padded to the longest sample (a waveform whose length the model predicts), its first
    positions; None when the shapes do not relate that way."""
    if together.dim() != alone.dim():
        return None
    index_by_axis, per_sample = [], False
    for axis, (size, own) in enumerate(zip(together.shape, alone.shape, strict=True)):
        if size == own * batch and size != own:
            index_by_axis.append(slice(index * own, (index + 1) * own))
            per_sample = True
        elif size == own:
            index_by_axis.append(slice(None))
        elif size > own and per_sample and axis > 0:  # padded to the longest sample of the batch
            index_by_axis.append(slice(0, own))
        else:
            return None
    return together[tuple(index_by_axis)] if per_sample else None


def is_causal_decoder(model: Any) -> bool:
    """A decoder-only model that generates, padded on the left as ``generate`` pads batches."""
    return model.can_generate() and not getattr(model.config, "is_encoder_decoder", False)


def _cut(value: Any, shape: Any, start: int, stop: int) -> Any:
    return value[:, start:stop] if _per_token(value, (1, shape[1])) or _per_token(value, shape) else value


def _per_token(value: Any, shape: Any) -> bool:
    return hasattr(value, "shape") and value.dim() >= 2 and tuple(value.shape[1:2]) == tuple(shape[1:2]) and \
        value.shape[0] in (1, shape[0])


def _pad_id(config: Any) -> int:
    from hfguard.testing import synth

    for source in (config, synth.text_config(config)):
        pad = getattr(source, "pad_token_id", None)
        if isinstance(pad, int):
            return pad
    return 0


def _params(model: Any) -> set[str]:
    from hfguard.testing import synth

    return synth.forward_params(model)
