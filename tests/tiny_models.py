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


def run_check(subject: Any, model: Any, check_id: str) -> None:
    """Run one check of ``subject`` on ``model`` directly, asserting first that it applies (no silent skip)."""
    from hfguard.testing.checks import CHECKS

    spec = CHECKS[check_id]
    reason = spec.applies(subject, model)
    assert reason is None, f"{check_id} does not apply to {subject.model_type}: {reason}"
    spec.run(subject, model)
