"""One way for unit tests to build a tiny random-weight model straight from the shrinker (no ModelCase)."""

from __future__ import annotations

from typing import Any


def build_tiny(model_type: str, config_class: str, model_class: str) -> Any:
    """``model_class`` on the tiny config of ``model_type``, seeded, in eval mode."""
    import torch
    import transformers

    from hfguard.testing.shrink import tiny_config

    torch.manual_seed(0)
    return getattr(transformers, model_class)(tiny_config(config_class, model_type)).eval()
