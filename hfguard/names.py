"""Names that come from outside (registry, lock, JUnit XML, the GitHub API): validated where they enter.

A model type is what transformers names its configs (``bert``, ``gpt-sw3``, ``kosmos-2.5``,
``EvollaModel``): letters, digits and ``. _ -``, starting with a letter or digit, at most 100
characters. Anything else is refused where it is read, so no name can carry a newline into a
generated file's header, a Markdown comment or a workflow command. Free text that cannot be
refused (a test id chosen by the tested code) is made printable and bounded instead.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MODEL_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
CLASS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
TASK = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+!_-]{0,63}")
MODEL_TYPE_RULE = "letters, digits and . _ - (starting with a letter or digit, at most 100 characters)"
SHOWN_LIMIT = 60
TEST_ID_LIMIT = 200


def is_model_type(name: object) -> bool:
    """Whether ``name`` is a model type name hfguard accepts."""
    return isinstance(name, str) and MODEL_TYPE.fullmatch(name) is not None


def shown(value: str, limit: int = SHOWN_LIMIT) -> str:
    """``value`` quoted for a message: control characters escaped, at most ``limit`` characters kept."""
    text = repr(value[:limit])
    return f"{text}… ({len(value):,} characters)" if len(value) > limit else text


def printable(text: str, limit: int = TEST_ID_LIMIT) -> str:
    """``text`` with control, format and separator characters (newlines, bidi overrides) as ``?``, cut to ``limit`` with a hash so cut texts stay distinct."""
    clean = "".join("?" if ch != " " and unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    if len(clean) <= limit:
        return clean
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{clean[: limit - 10]}…{digest}"
