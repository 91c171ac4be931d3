"""The checks of generated tests, one module per group (``registry.GROUPS``), each registering its checks.

Importing this package is light (``hfguard verify`` reads the checks' meanings from ``registry``); ``CHECKS``,
the table with the functions, imports the group modules on first use. ``docs/checks.md`` lists every check.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CHECKS"]


def __getattr__(name: str) -> Any:
    """``CHECKS``: every registered check, its group modules imported on first use."""
    if name != "CHECKS":
        raise AttributeError(name)
    from hfguard.testing.checks import registry

    for group in registry.GROUPS:
        importlib.import_module(f"hfguard.testing.checks.{group}")
    return registry.CHECKS
