"""Python literals for registry values: the only way a value reaches generated code.

Plain data only (strings, booleans, integers, finite floats, lists and tables of them); anything
else, a TOML date or ``inf`` for example, is refused, so the registry check and the renderer agree
on what a value may be.
"""

from __future__ import annotations

import math
from typing import Any


def py_literal(value: Any) -> str:
    """A Python literal for plain data; anything else is refused (TypeError or ValueError)."""
    if isinstance(value, str):
        text = repr(value)
        # black's quote style: double quotes unless the string holds one (repr then escapes safely)
        return f'"{text[1:-1]}"' if text.startswith("'") and '"' not in value else text
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite float {value!r} cannot be a literal")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{py_literal(str(key))}: {py_literal(item)}" for key, item in value.items())
        return "{" + items + "}"
    raise TypeError(f"{type(value).__name__} values cannot enter generated code")
