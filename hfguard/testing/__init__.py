"""Runtime for generated tests: tiny configs, synthetic inputs, the checks.

Importing it is cheap: ``ModelCase`` and its checks load on first use, torch and transformers inside the
functions that need them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ModelCase", "hub_tests_enabled"]


def __getattr__(name: str) -> Any:
    """``ModelCase`` and ``hub_tests_enabled``, from ``hfguard.testing.case`` on first use."""
    if name not in __all__:
        raise AttributeError(name)
    from hfguard.testing import case

    return getattr(case, name)
