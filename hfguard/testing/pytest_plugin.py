"""pytest plugin (entry point ``pytest11``): registers the marker generated tests use.

Installed with hfguard, so a user's repository runs generated files without declaring
``hub`` in its own pytest configuration.
"""

from __future__ import annotations

from typing import Any

HUB_MARKER = "hub: downloads a checkpoint from the Hugging Face hub; opt in with HFGUARD_HUB_TESTS=1"


def pytest_configure(config: Any) -> None:
    """Declare the ``hub`` marker."""
    config.addinivalue_line("markers", HUB_MARKER)
