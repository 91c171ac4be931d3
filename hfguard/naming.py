"""The name of a per-model test file (``test_hf_<name>.py``) as a model type, or the reason it is none.

One function decides it for ``hfguard adopt`` (which entries to write) and for coverage (which model type a
team's own test file counts for). The rules, in order, each tried again after a known suffix is dropped:

1. **exact**: the name is a model type of the catalogue;
2. **spelling**: it is one after normalising (lower case, letters and digits only: ``bert_generation`` is
   ``bert-generation``, ``layoutlm_v2`` is ``layoutlmv2``), and only one model type spells that way;
3. **suffix**: it is one of the above once a known suffix is dropped (``bert_improved``);
4. **checkpoint**: a well-known checkpoint family (``pythia`` loads as ``gpt_neox``), or a model type followed by
   size and variant words only (``bert_base_uncased``, ``whisper_tiny``, ``llama_7b``);

otherwise it is explained, never guessed: a model type transformers v5 **removed**, **not transformers** at all,
a **generic** word, or **unknown** (not a model type of this catalogue's transformers), with a suggestion only when
one is close enough to trust (see ``trusted_suggestion``). The tables are data, in ``hfguard.known_names``.
This module is light: no transformers, no git.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hfguard import known_names

EXACT, SPELLING, SUFFIX, CHECKPOINT = "exact", "spelling", "suffix", "checkpoint"
REMOVED, NOT_TRANSFORMERS, GENERIC, UNKNOWN = "removed", "not-transformers", "generic", "unknown"
MAPPED = (EXACT, SPELLING, SUFFIX, CHECKPOINT)
EXPLAINED = (REMOVED, NOT_TRANSFORMERS, GENERIC, UNKNOWN)
LABELS = {
    EXACT: "a model type",
    SPELLING: "spelling of a model type",
    SUFFIX: "model type with a known suffix",
    CHECKPOINT: "checkpoint or size name",
    REMOVED: "removed from transformers",
    NOT_TRANSFORMERS: "not a transformers model",
    GENERIC: "generic word, no model",
    UNKNOWN: "not a model type",
}
PREFIX = "test_hf_"
# A suggestion for an unknown name: at least this long (normalised), the same first letters and digits, and at most
# one edit (two from ``LONG_NAME`` characters on) from exactly one model type.
SUGGEST_MIN_LENGTH, SUGGEST_PREFIX, LONG_NAME = 5, 3, 9

_VARIANT = re.compile("|".join(f"(?:{pattern})" for pattern in known_names.VARIANT_PATTERNS))


@dataclass(frozen=True)
class Naming:
    """What a file name says: the model type it maps to (None: it maps to none) and how, or why not."""

    name: str
    model_type: str | None
    how: str
    reason: str = ""
    core: str = ""  # the name once known suffixes are dropped

    @property
    def mapped(self) -> bool:
        return self.model_type is not None


def normalise(name: str) -> str:
    """``name`` in lower case, letters and digits only: the form in which two spellings of one name agree."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def tokens(name: str) -> list[str]:
    """The words of a name (split at ``_``, ``-``, spaces and dots not inside a number)."""
    return [token for token in re.split(r"[^a-z0-9.]+|(?<![0-9])\.|\.(?![0-9])", name.lower()) if token]


def file_name_of(stem: str) -> str:
    """The name part of a test file's stem: ``test_hf_bert_base`` -> ``bert_base``."""
    return stem[len(PREFIX):] if stem.startswith(PREFIX) else stem


class Namer:
    """Maps names to the model types of one catalogue (built once, then cheap per name)."""

    def __init__(self, model_types: Iterable[str], transformers_version: str) -> None:
        self.model_types = sorted(model_types)
        self.version = transformers_version
        self._exact = set(self.model_types)
        self._by_normal: dict[str, list[str]] = {}
        for model_type in self.model_types:
            self._by_normal.setdefault(normalise(model_type), []).append(model_type)
        self._families = {key: value for key, value in known_names.CHECKPOINT_FAMILIES.items() if value[0] in self._exact}
        self._removed = {normalise(key): reason for key, reason in known_names.REMOVED.items()}
        self._suffixes = sorted(known_names.SUFFIXES, key=len, reverse=True)

    def name(self, name: str) -> Naming:
        """How ``name`` (a file's name without ``test_hf_`` and ``.py``) maps to a model type, or why it does not."""
        dropped: list[str] = []
        current = name
        while True:
            found = self._type_of(current) or self._checkpoint(current)
            if found is not None:
                return self._mapped(name, current, found, dropped)
            shorter = self._drop_suffix(current)
            if shorter is None:
                break
            dropped.append(current[len(shorter):].lstrip("_-"))
            current = shorter
        return self._explained(name, current)

    def _mapped(self, name: str, core: str, found: tuple[str, str, str], dropped: list[str]) -> Naming:
        model_type, how, why = found
        if dropped:
            suffixes = ", ".join(f"'_{word}'" for word in dropped)
            why = f"known suffix {suffixes}" + (f"; {why}" if why else "")
            how = CHECKPOINT if how == CHECKPOINT else SUFFIX
        return Naming(name, model_type, how, why, core)

    def _type_of(self, name: str) -> tuple[str, str, str] | None:
        """(model type, exact or spelling, why) when ``name`` is or spells exactly one model type."""
        if name in self._exact:
            return name, EXACT, ""
        spelled = self._by_normal.get(normalise(name), [])
        if len(spelled) == 1:
            return spelled[0], SPELLING, f"spelling of '{spelled[0]}'"
        return None

    def _checkpoint(self, name: str) -> tuple[str, str, str] | None:
        """(model type, checkpoint, why) for a checkpoint family or a model type followed by variant words only."""
        words = tokens(name)
        for cut in range(len(words), 0, -1):
            head, rest = words[:cut], words[cut:]
            if not all(word in known_names.VARIANT_WORDS or _VARIANT.fullmatch(word) for word in rest):
                continue
            family = self._families.get(normalise("".join(head)))
            if family is not None:
                return family[0], CHECKPOINT, f"checkpoint family: {family[1]}"
            typed = self._type_of("_".join(head)) if rest else None
            if typed is not None:
                return typed[0], CHECKPOINT, f"checkpoint or size name of '{typed[0]}' ({'_'.join(rest)})"
        return None

    def _drop_suffix(self, name: str) -> str | None:
        lowered = name.lower()
        for suffix in self._suffixes:
            for separator in ("_", "-"):
                if lowered.endswith(separator + suffix) and len(name) > len(suffix) + 1:
                    return name[: -len(suffix) - 1]
        return None

    def _explained(self, name: str, core: str) -> Naming:
        """Why ``name`` (``core`` once known suffixes are dropped) maps to no model type."""
        normal = normalise(core)
        if normal in self._removed:
            return Naming(name, None, REMOVED, self._removed[normal], core)
        words = tokens(core)
        for key, what in known_names.NOT_TRANSFORMERS.items():
            if normal == key or normal.startswith(key) and _starts_a_word_after(normal, key, words):
                return Naming(name, None, NOT_TRANSFORMERS, what, core)
        if all(word in known_names.GENERIC_WORDS for word in words):
            return Naming(name, None, GENERIC, "names a modality, family or tool, not a model" if words else "no name", core)
        reason = f"not a model type of transformers {self.version}"
        close = self._ambiguous(core) or trusted_suggestion(core, self.model_types)
        return Naming(name, None, UNKNOWN, f"{reason}{close and f' ({close})'}", core)

    def _ambiguous(self, name: str) -> str:
        spelled = self._by_normal.get(normalise(name), [])
        return f"spells {len(spelled)} model types: {', '.join(spelled)}" if len(spelled) > 1 else ""


def _starts_a_word_after(normal: str, key: str, words: list[str]) -> bool:
    """Whether ``key`` ends where a word or a number starts in the name: ``claude3_haiku`` for ``claude``."""
    rest = normal[len(key):]
    if rest[:1].isdigit():
        return True
    joined = ""
    for word in words:
        joined += word.replace(".", "")
        if joined == key:
            return True
        if len(joined) > len(key):
            return False
    return False


def trusted_suggestion(name: str, model_types: Iterable[str]) -> str:
    """``did you mean 'x'?`` for a name close enough to one model type to trust, else ''.

    Close enough: the normalised name has at least ``SUGGEST_MIN_LENGTH`` characters, shares its first
    ``SUGGEST_PREFIX`` characters and all its digits (in order) with the model type, and is at most one edit
    away (two for names of ``LONG_NAME`` characters or more; a swap of neighbours is one edit); and no other
    model type is as close. So ``camenbert`` suggests ``camembert``, but ``retribert`` does not suggest ``rembert``
    (another start), ``tgi`` not ``git`` (too short), ``pythia`` not ``phi``, ``gpt3`` not ``gpt2`` (digits).
    """
    normal = normalise(name)
    if len(normal) < SUGGEST_MIN_LENGTH:
        return ""
    limit = 2 if len(normal) >= LONG_NAME else 1
    digits = re.sub(r"\D", "", normal)
    close: dict[int, set[str]] = {}
    for model_type in model_types:
        other = normalise(model_type)
        if other[:SUGGEST_PREFIX] != normal[:SUGGEST_PREFIX] or re.sub(r"\D", "", other) != digits:
            continue
        if abs(len(other) - len(normal)) > limit:
            continue
        distance = edit_distance(normal, other)
        if distance <= limit:
            close.setdefault(distance, set()).add(model_type)
    if not close:
        return ""
    best = close[min(close)]
    return f"did you mean '{next(iter(best))}'?" if len(best) == 1 else ""


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap of neighbours) that turn ``a`` into ``b`` (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
