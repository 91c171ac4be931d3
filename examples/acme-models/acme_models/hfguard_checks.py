"""The example team's hfguard team checks (named in the registry: ``checks = ["acme_models.hfguard_checks"]``).

Every generated test file of the registry runs each check for its model type, as ``test_team_check[<id>]``; the
two mutation kinds below break this package on purpose, so that ``hfguard mutate`` measures what the checks catch.
"""

from __future__ import annotations

import inspect
import tempfile
from typing import Any

import numpy as np
import torch

import acme_models
from hfguard.testing import team_check, team_mutation

TOLERANCE = 1e-6  # of the output's scale: both sides run the same model on the same tensors


def served(case: Any, model: Any) -> str | None:
    """acme_models serves the families of ``SERVED_FAMILIES`` only."""
    return None if case.family in acme_models.SERVED_FAMILIES else f"acme_models does not serve the {case.family} family"


def request_from(inputs: dict[str, Any]) -> dict[str, Any]:
    """The request a client sends for the synthetic inputs: each text as its own token-id list (its padding cut off),
    every other tensor as an array."""
    request: dict[str, Any] = {"features": {}}
    ids, mask = inputs.get("input_ids"), inputs.get("attention_mask")
    if ids is not None:
        request["texts"] = [row[: int(row_mask.sum())].tolist() if mask is not None else row.tolist()
                            for row, row_mask in zip(ids, mask if mask is not None else ids, strict=True)]
    for name, value in inputs.items():
        if hasattr(value, "numpy") and not (ids is not None and name in ("input_ids", "attention_mask")):
            request["features"][name] = value.numpy()
    return request


def reference(output: Any) -> np.ndarray:
    """What predict() promises: the logits as probabilities over their last axis, else the first output."""
    logits = getattr(output, "logits", None)
    values = (logits if logits is not None else output[0]).detach().to(torch.float64)
    return (torch.softmax(values, dim=-1) if logits is not None else values).numpy()


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Same shape, and every value within ``TOLERANCE`` of the expected's scale (NaN never is)."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    bound = TOLERANCE * max(float(np.nanmax(np.abs(expected), initial=0.0)), 1e-12)
    off = ~(np.abs(actual - expected) <= bound)
    if off.any():
        worst = float(np.nanmax(np.abs(actual - expected), initial=float("nan")))
        raise AssertionError(f"{what}: {int(off.sum())} of {off.size} values differ (up to {worst:.3g}, bound {bound:.3g})")


@team_check(applies=served)
def predict_matches_forward(case: Any, model: Any) -> None:
    """Our predict() gives the model's own forward output (logits as probabilities) for the same inputs."""
    inputs = case.inputs(model)
    torch.manual_seed(0)
    with torch.no_grad():
        expected = reference(model(**inputs))
    torch.manual_seed(0)
    actual = acme_models.predict(model, request_from(inputs))
    assert_close(actual, expected, f"{case.model_type}: predict() against the forward")


@team_check(applies=served)
def loader_round_trip(case: Any, model: Any) -> None:
    """Our loader round-trips through our save format: the same class, identical weights and buffers, the same predictions."""
    with tempfile.TemporaryDirectory() as folder:
        acme_models.save(model, folder)
        loaded = acme_models.load(folder)
    assert type(loaded).__name__ == type(model).__name__, f"{case.model_type}: loaded a {type(loaded).__name__}"
    before = {**dict(model.named_parameters(remove_duplicate=False)), **dict(model.named_buffers(remove_duplicate=False))}
    after = {**dict(loaded.named_parameters(remove_duplicate=False)), **dict(loaded.named_buffers(remove_duplicate=False))}
    stored = sorted(name for name in model.state_dict() if name in before)  # what the format keeps
    differing = [name for name in stored if name not in after or not torch.equal(before[name], after[name])]
    assert not differing, f"{case.model_type}: {len(differing)} of {len(stored)} stored tensors differ after our save/load (first: {differing[0]})"
    request = request_from(case.inputs(model))
    torch.manual_seed(0)
    original = acme_models.predict(model, request)
    torch.manual_seed(0)
    assert_close(acme_models.predict(loaded, request), original, f"{case.model_type}: predict() of the loaded model")


def masks_text(case: Any, model: Any) -> str | None:
    """The model reads token ids under an attention mask (the masks predict() builds)."""
    if "input_ids" not in case.inputs(model):
        return "its inputs hold no token ids"
    return None if "attention_mask" in inspect.signature(model.forward).parameters else "its forward takes no attention mask"


@team_mutation(applies=masks_text, checks=["predict_matches_forward"])
def mask_drops_first_token(patch: Any) -> None:
    """predict()'s attention mask leaves out each text's first token (an off-by-one)."""
    def off_by_one(lengths: list[int], width: int) -> torch.Tensor:
        mask = torch.zeros((len(lengths), width), dtype=torch.long)
        for row, length in enumerate(lengths):
            mask[row, 1:length] = 1
        return mask

    patch.setattr(acme_models, "attention_mask", off_by_one)


@team_mutation(checks=["loader_round_trip"])
def weights_stored_in_half_precision(patch: Any) -> None:
    """Our save format stores floating weights in float16 (read back in their own dtype)."""
    def half(tensor: torch.Tensor) -> torch.Tensor:
        copy = tensor.detach().clone().contiguous()
        return copy.half().to(copy.dtype) if copy.is_floating_point() else copy

    patch.setattr(acme_models, "stored", half)
