"""acme_models: the example team's wrapper around Hugging Face models.

- ``save(model, folder)`` / ``load(folder)``: the team's own save format (``acme.json`` + ``weights.safetensors``);
- ``predict(model, request)``: a request as a service receives it (token-id lists of any lengths, media as arrays)
  is padded and batched (``preprocess``), run, and post-processed (logits as probabilities; ``postprocess``).

Its hfguard team checks live in ``acme_models.hfguard_checks``.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from safetensors.torch import load_file, save_file

SAVE_FORMAT = 1
PAD_ID = 0
SERVED_FAMILIES = ("encoder-only", "decoder-only", "encoder-decoder", "vision", "speech", "vision-text")


def save(model: Any, folder: str | Path) -> Path:
    """Write ``model`` in the team's format: its class, config and every weight and stored buffer."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"format": SAVE_FORMAT, "class": type(model).__name__, "config_class": type(model.config).__name__,
            "config": model.config.to_dict()}
    (folder / "acme.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    save_file({name: stored(tensor) for name, tensor in model.state_dict().items()}, str(folder / "weights.safetensors"))
    return folder


def stored(tensor: torch.Tensor) -> torch.Tensor:
    """A weight as the format stores it: its own copy (tied weights are stored under each name)."""
    return tensor.detach().clone().contiguous()


def load(folder: str | Path) -> Any:
    """The model saved in ``folder`` by ``save``, in eval mode."""
    folder = Path(folder)
    meta = json.loads((folder / "acme.json").read_text(encoding="utf-8"))
    if meta.get("format") != SAVE_FORMAT:
        raise ValueError(f"{folder}: acme format {meta.get('format')!r}, expected {SAVE_FORMAT}")
    config = getattr(transformers, meta["config_class"]).from_dict(meta["config"])
    model = getattr(transformers, meta["class"])(config)
    model.load_state_dict(load_file(str(folder / "weights.safetensors")), strict=True)
    return model.eval()


def predict(model: Any, request: dict[str, Any]) -> np.ndarray:
    """The service's answer to ``request``: ``{"texts": [[token id, ...], ...], "features": {name: array}}``."""
    batch = preprocess(model, request)
    with torch.no_grad():
        output = model(**batch)
    return postprocess(output)


def preprocess(model: Any, request: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The forward's keyword arguments: texts right-padded with ``PAD_ID`` and masked (when the model takes a mask),
    the other features as tensors."""
    batch: dict[str, torch.Tensor] = {}
    texts = request.get("texts")
    if texts is not None:
        lengths = [len(tokens) for tokens in texts]
        ids = torch.full((len(texts), max(lengths)), PAD_ID, dtype=torch.long)
        for row, tokens in enumerate(texts):
            ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        batch["input_ids"] = ids
        if "attention_mask" in inspect.signature(model.forward).parameters:
            batch["attention_mask"] = attention_mask(lengths, max(lengths))
    for name, values in request.get("features", {}).items():
        batch[name] = torch.as_tensor(np.asarray(values))
    return batch


def attention_mask(lengths: list[int], width: int) -> torch.Tensor:
    """1 over each text's own tokens, 0 over its padding."""
    mask = torch.zeros((len(lengths), width), dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    return mask


def postprocess(output: Any) -> np.ndarray:
    """Logits as probabilities over their last axis; a model without logits gives its first output as it is."""
    logits = getattr(output, "logits", None)
    first = logits if logits is not None else output[0]
    values = first.detach().to(torch.float64)
    return (torch.softmax(values, dim=-1) if logits is not None else values).numpy()
