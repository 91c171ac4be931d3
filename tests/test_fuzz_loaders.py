"""The fuzz property of ``fuzz/loaders.py`` inside ``make test``: any bytes as a registry or a lock give a valid
Config / Catalogue or one line per problem, never a traceback (the atheris targets run it without end).

Inputs: raw bytes; seeds from ``fuzz/corpus`` with bytes inserted, replaced or cut; and structured documents
built from hostile names and values (newlines, quotes, huge and non-finite numbers, dates, deep nesting).
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.loaders import check_lock, check_registry

CORPUS = Path(__file__).resolve().parent.parent / "fuzz" / "corpus"
REGISTRY_SEEDS = [path.read_bytes()[1:] for path in sorted((CORPUS / "registry").iterdir())]  # byte 0 picks the file name
LOCK_SEED = (CORPUS / "lock" / "hfguard.lock").read_bytes()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.text(max_size=12) | st.sampled_from(["bert", "gpt2", "a\nb", "x" * 300, "tests_dir", "tiny", "models", "", ".", "../x"])
SCALARS = (st.text(max_size=20) | st.integers() | st.floats() | st.booleans() | st.sampled_from(["/etc", "../../x", "\0", "inf"]))


def toml_value(value: object) -> str:
    """TOML for a scalar or (recursively) a list / inline table; strings as JSON strings, which TOML mostly reads."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value > 0 else "-inf") if value in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(key)} = {toml_value(item)}" for key, item in value.items()) + " }"
    return json.dumps(value) if isinstance(value, str) else str(value)


VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3), max_leaves=8)
TABLES = st.dictionaries(NAMES, VALUES, max_size=4)


@st.composite
def registries(draw: st.DrawFn) -> bytes:
    """A registry document: top-level keys, then [models."<name>"] tables, in TOML."""
    lines = [f"{json.dumps(key)} = {toml_value(value)}" for key, value in draw(TABLES).items()]
    for name, table in draw(st.dictionaries(NAMES, TABLES, max_size=4)).items():
        lines += [f"[models.{json.dumps(name)}]", *(f"{json.dumps(key)} = {toml_value(value)}" for key, value in table.items())]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a slice replaced by arbitrary bytes."""
    seed = draw(st.sampled_from(seeds))
    start = draw(st.integers(0, len(seed)))
    end = draw(st.integers(start, min(len(seed), start + 40)))
    return seed[:start] + draw(st.binary(max_size=40)) + seed[end:]


@st.composite
def locks(draw: st.DrawFn) -> bytes:
    """The seed lock with one model's field, or one model's name, replaced by a hostile value."""
    data = json.loads(LOCK_SEED)
    name = draw(st.sampled_from(sorted(data["models"])))
    field = draw(st.sampled_from(["model_type", "family", "kind", "config_class", "base_class", "heads", "task", "reason", "extra", "<name>"]))
    value = draw(VALUES | st.sampled_from(["bert\nimport os", "x" * 5000, None, {}, []]))
    if field == "<name>":
        data["models"][value if isinstance(value, str) else str(value)] = data["models"].pop(name)
    else:
        data["models"][name][field] = value
    if draw(st.booleans()):
        data[draw(st.sampled_from(["schema", "transformers_version", "models"]))] = draw(VALUES)
    return json.dumps(data).encode()


@SETTINGS
@given(st.binary(max_size=300) | mutated(REGISTRY_SEEDS) | registries(), st.sampled_from(["hfguard.toml", "pyproject.toml"]))
def test_any_bytes_as_a_registry(data: bytes, name: str) -> None:
    if name == "pyproject.toml":
        data = b"[tool.hfguard]\n" + data if len(data) % 2 else data
    check_registry(data, name)


@SETTINGS
@given(st.binary(max_size=300) | mutated([LOCK_SEED]) | locks())
def test_any_bytes_as_a_lock(data: bytes) -> None:
    check_lock(data)


def test_deep_nesting_and_odd_encodings() -> None:
    for data in (b"x = " + b"[" * 5000 + b"]" * 5000, b"[models.bert]\ntiny = { a = " + b"[" * 900 + b"1" + b"]" * 900 + b" }",
                 "tests_dir = 'é'".encode("latin-1"), b"\xef\xbb\xbf[models.bert]\n", b"\xff\xfe[\x00m\x00", b"tests_dir = '\\u0000'"):
        check_registry(data)
    for data in (b"[" * 100_000 + b"]" * 100_000, b'{"schema": 1, "models": {"a": ' * 2000, b"\xff", b'{"schema": 1e999}'):
        check_lock(data)
