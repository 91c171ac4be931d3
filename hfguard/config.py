"""The registry: ``hfguard.toml`` (or ``[tool.hfguard]`` in ``pyproject.toml``), validated.

Errors name the file and line and say what to do. This module never imports transformers:
model types are checked against a catalogue handed in by the caller.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError, Problem
from hfguard.literal import py_literal
from hfguard.names import MODEL_TYPE_RULE, is_model_type, shown
from hfguard.paths import check_folder, read_text, repository_root

CONFIG_NAME = "hfguard.toml"
PYPROJECT_NAME = "pyproject.toml"
LOCK_NAME = "hfguard.lock"

TARGETS = ("registry", "all")
SEVERITIES = ("error", "warning", "off")

# key -> (accepted python types, description used in error messages)
GLOBAL_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "tests_dir": ((str,), "a path relative to the config file"),
    "templates_dir": ((str,), "a directory of your own family templates"),
    "target": ((str,), f"one of {', '.join(TARGETS)}"),
    "orphans": ((str,), f"one of {', '.join(SEVERITIES)}"),
    "team_tests": ((list,), "a list of globs of your own per-model test files, e.g. [\"test/**/test_hf_*.py\"]"),
    "models": ((dict,), "tables [models.<model_type>]"),
    "checks": ((list,), 'a list of the team\'s check modules, e.g. ["acme_models.hfguard_checks"]'),
}
ENTRY_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "family": ((str,), "an architecture family name"),
    "task": ((str,), "a task name of the model type, e.g. 'causal-lm'"),
    "checkpoint": ((str,), "a hub id, used only by opt-in hub tests"),
    "tiny": ((dict,), "a table of config overrides, e.g. { hidden_size = 32 }"),
    "skip": ((str,), "the reason the generated test is skipped"),
    "xfail": ((str, dict), "the reason every check is expected to fail, or a table of check id = reason"),
    "off": ((dict,), 'a table of check id = the reason it is turned off, e.g. { save_load = "..." }'),
}
FOLDER_KEYS = ("tests_dir", "templates_dir")


class NoRegistryError(HfguardError):
    """No registry in the folder or above it (commands that also work without one catch this, and only this)."""


@dataclass(frozen=True)
class ModelEntry:
    """One ``[models.<model_type>]`` table of the registry."""

    model_type: str
    line: int
    family: str | None = None
    task: str | None = None
    checkpoint: str | None = None
    tiny: dict[str, Any] = field(default_factory=dict)
    skip: str | None = None
    xfail: str | None = None
    off: dict[str, str] = field(default_factory=dict)  # check id -> why it is turned off for this model type
    xfail_checks: dict[str, str] = field(default_factory=dict)  # check id -> why it is expected to fail (``xfail`` table)
    key_lines: dict[str, int | None] = field(default_factory=dict, compare=False, repr=False)  # key -> its line

    def as_dict(self) -> dict[str, Any]:
        """The entry's settings as plain data (no line number), for hashing and diffs."""
        data = {key: getattr(self, key) for key in ENTRY_KEYS}
        data["xfail"] = self.xfail or self.xfail_checks
        return {key: value for key, value in data.items() if value not in (None, {})}


@dataclass(frozen=True)
class Config:
    """A loaded registry."""

    path: Path
    root: Path
    tests_dir: Path
    templates_dir: Path | None
    target: str
    orphans: str
    models: dict[str, ModelEntry]
    checks: tuple[str, ...] = ()  # the team's check modules, imported only by the generated tests
    team_tests: tuple[str, ...] = ()  # globs (relative to ``root``) of the team's own per-model test files

    @property
    def lock_path(self) -> Path:
        """``hfguard.lock`` lives beside the config file."""
        return self.root / LOCK_NAME

    def check_model_types(self, known: Iterable[str], families: Iterable[str]) -> None:
        """Raise one error per entry whose model type or family the catalogue does not know."""
        known = set(known)
        families = set(families)
        problems = []
        for entry in self.models.values():
            if entry.model_type not in known:
                problems.append(
                    Problem(
                        f"unknown model type '{entry.model_type}'{_suggest(entry.model_type, known)}; "
                        "run 'hfguard models' to list the known ones",
                        self.path,
                        entry.line,
                    )
                )
            if entry.family is not None and entry.family not in families:
                problems.append(
                    Problem(
                        f"unknown family {shown(entry.family)} for '{entry.model_type}'"
                        f"{_suggest(entry.family, families)}; known: {', '.join(sorted(families))}",
                        self.path,
                        entry.key_lines.get("family") or entry.line,
                    )
                )
        if problems:
            raise HfguardError(*problems)


def find_config(start: Path | None = None) -> Path:
    """The nearest ``hfguard.toml``, or ``pyproject.toml`` with ``[tool.hfguard]``, upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        pyproject = folder / PYPROJECT_NAME
        in_pyproject = pyproject.is_file() and re.search(rb"^\[tool\.hfguard[.\]]", pyproject.read_bytes(), re.M) is not None
        if candidate.is_file() and in_pyproject:
            raise HfguardError(Problem(f"two registries here: {CONFIG_NAME} and [tool.hfguard] in {PYPROJECT_NAME}; keep one "
                                       "(or name the one to use with --config)", candidate))
        if candidate.is_file():
            return candidate
        if in_pyproject:
            return pyproject
    raise NoRegistryError(
        f"no {CONFIG_NAME} (or [tool.hfguard] in {PYPROJECT_NAME}) in {here} or above; "
        "run 'hfguard init' to write a starter one"
    )


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the registry at ``path`` (default: found from the working directory).

    Its folders must lie inside the repository (see ``hfguard.paths``); ``templates_dir`` must exist.
    """
    config_path = Path(path) if path is not None else find_config()
    text = read_text(config_path, "registry")
    if text is None:
        raise HfguardError(Problem("config file not found", config_path))
    config = parse_config(text, config_path)
    locator, root = _LineLocator(text, _table_prefix(config_path)), repository_root(config.root)
    for key in FOLDER_KEYS:
        folder = getattr(config, key)
        if folder is not None:
            value = str(folder.relative_to(config.root))  # as written: Path keeps '..'
            check_folder(folder, root, key, value, config_path, locator.line((), key), must_exist=key == "templates_dir")
    return config


def parse_config(text: str, path: Path) -> Config:
    """Validate registry ``text`` read from ``path`` (used for files and for git blobs)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise HfguardError(_toml_problem(error, path)) from None
    except RecursionError:
        raise HfguardError(Problem("invalid TOML: nested too deeply", path)) from None
    prefix = _table_prefix(path)
    if prefix:
        tool = document.get("tool")
        document = tool.get("hfguard") if isinstance(tool, dict) else None
        if not isinstance(document, dict):
            raise HfguardError(Problem("no [tool.hfguard] table", path))
    locator = _LineLocator(text, prefix)
    problems = _check_keys(document, GLOBAL_KEYS, path, locator, ()) + _check_folder_keys(document, path, locator)
    problems += _check_team_modules(document.get("checks"), path, locator)
    problems += _check_globs(document.get("team_tests"), path, locator)
    models_table = document.get("models", {})
    entries: dict[str, ModelEntry] = {}
    seen: dict[str, str] = {}
    if isinstance(models_table, dict):
        for name, table in models_table.items():
            line = locator.line(("models", name))
            if not is_model_type(name):
                problems.append(Problem(f"invalid model type {shown(name)}: a model type has {MODEL_TYPE_RULE}", path, line))
                continue
            if not isinstance(table, dict):
                problems.append(Problem(f"'models.{name}' must be a table [models.{name}]", path, line))
                continue
            table_problems = _check_keys(table, ENTRY_KEYS, path, locator, ("models", name))
            table_problems += _check_tiny(table.get("tiny", {}), path, locator, name)
            table_problems += _check_check_tables(table, bool(document.get("checks")), path, locator, name)
            problems += table_problems
            if table_problems:
                continue
            normal = name.lower().replace("-", "_")
            if normal in seen:
                problems.append(
                    Problem(f"duplicate entry: '{name}' and '{seen[normal]}' name the same model type", path, line)
                )
                continue
            seen[normal] = name
            key_lines = {key: locator.line(("models", name), key) for key in table}
            settings = {k: v for k, v in table.items() if k in ENTRY_KEYS}
            if isinstance(settings.get("xfail"), dict):
                settings["xfail_checks"] = settings.pop("xfail")
            entries[name] = ModelEntry(model_type=name, line=line, key_lines=key_lines, **settings)
        for name, entry in entries.items():
            for reason_key in ("skip", "xfail"):
                reason = getattr(entry, reason_key)
                if reason is not None and not reason.strip():
                    problems.append(Problem(f"'{reason_key}' of '{name}' needs a reason", path, entry.line))
    for key, allowed in (("target", TARGETS), ("orphans", SEVERITIES)):
        value = document.get(key)
        if isinstance(value, str) and value not in allowed:
            problems.append(
                Problem(f"'{key}' must be one of {', '.join(allowed)}, not '{value}'", path, locator.line((), key))
            )
    if problems:
        raise HfguardError(*problems)
    root = path.parent
    templates_dir = document.get("templates_dir")
    return Config(
        path=path,
        root=root,
        tests_dir=root / document.get("tests_dir", "tests/models"),
        templates_dir=root / templates_dir if templates_dir else None,
        target=document.get("target", "registry"),
        orphans=document.get("orphans", "error"),
        models=entries,
        checks=tuple(document.get("checks", ())),
        team_tests=tuple(document.get("team_tests", ())),
    )


def _check_keys(
    table: dict[str, Any],
    schema: dict[str, tuple[tuple[type, ...], str]],
    path: Path,
    locator: _LineLocator,
    where: tuple[str, ...],
) -> list[Problem]:
    problems = []
    label = ".".join(where) or "the top level"
    for key, value in table.items():
        line = locator.line(where, key)
        if key not in schema:
            problems.append(
                Problem(
                    f"unknown key {shown(key)} in {label}{_suggest(key, schema)}; allowed: {', '.join(schema)}",
                    path,
                    line,
                )
            )
            continue
        types, description = schema[key]
        if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
            problems.append(
                Problem(f"'{key}' in {label} must be {description}, not {type(value).__name__}", path, line)
            )
    return problems


def _check_tiny(tiny: Any, path: Path, locator: _LineLocator, name: str) -> list[Problem]:
    if not isinstance(tiny, dict):
        return []
    return [
        Problem(
            f"tiny.{key if key.isidentifier() else shown(key)} of '{name}' must be a finite number, string, boolean, "
            "list or table of them",
            path,
            locator.line(("models", name), "tiny"),
        )
        for key, value in tiny.items()
        if not _is_literal(value)
    ]


_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _check_team_modules(modules: Any, path: Path, locator: _LineLocator) -> list[Problem]:
    """``checks``: importable module names (dotted identifiers), each once."""
    if not isinstance(modules, list):
        return []
    line = locator.line((), "checks")
    problems = [Problem(f"'checks' must list module names like \"acme_models.hfguard_checks\", not {shown(str(module))}",
                        path, line)
                for module in modules if not isinstance(module, str) or not _MODULE_NAME.fullmatch(module)]
    twice = sorted({module for module in modules if isinstance(module, str) and modules.count(module) > 1})
    problems += [Problem(f"'checks' names '{module}' twice", path, line) for module in twice]
    return problems


def _check_check_tables(table: dict[str, Any], team_modules: bool, path: Path, locator: _LineLocator, name: str) -> list[Problem]:
    """An entry's ``off`` and ``xfail`` tables: check id = a reason; a check id hfguard knows (any id, once team modules
    are named: their ids are known only where the tests run), never both off and expected to fail."""
    from hfguard.testing.checks.registry import SUMMARIES

    problems = []
    for key in ("off", "xfail"):
        checks = table.get(key)
        if not isinstance(checks, dict):
            continue
        for check, reason in checks.items():
            line = locator.line(("models", name, key), check)
            if not check.isidentifier() or not check.isascii():
                problems.append(Problem(f"{key}.{shown(check)} of '{name}': a check id is a Python identifier", path, line))
            elif check not in SUMMARIES and not team_modules:
                problems.append(Problem(f"{key}.{check} of '{name}': unknown check{_suggest(check, SUMMARIES)}; name a built-in "
                                        "check (docs/checks.md) or a team check of a module listed in 'checks'", path, line))
            elif not isinstance(reason, str) or not reason.strip():
                problems.append(Problem(f"{key}.{check} of '{name}' needs a reason (a non-empty string)", path, line))
    both = sorted(set(table.get("off") or {}) & set(table.get("xfail") or {})) if isinstance(table.get("xfail"), dict) \
        and isinstance(table.get("off"), dict) else []
    problems += [Problem(f"'{check}' of '{name}' is both off and expected to fail: keep one", path, locator.line(("models", name), "off"))
                 for check in both]
    return problems


def _is_literal(value: Any) -> bool:
    """Whether ``value`` can enter generated code (see ``hfguard.literal``): no date, no inf or nan."""
    try:
        py_literal(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def _check_folder_keys(document: dict[str, Any], path: Path, locator: _LineLocator) -> list[Problem]:
    """Folder settings must be relative paths (inside the repository; ``load_config`` resolves them)."""
    return [
        Problem(f"'{key}' must be a relative path inside the repository, not {shown(value)}", path, locator.line((), key))
        for key in FOLDER_KEYS
        if isinstance(value := document.get(key), str) and ("\0" in value or os.path.isabs(value) or value.startswith(("\\", "~")))
    ]


def _check_globs(globs: Any, path: Path, locator: _LineLocator) -> list[Problem]:
    """``team_tests``: relative globs inside the repository (no '..', no absolute path)."""
    if not isinstance(globs, list):
        return []
    return [
        Problem(f"'team_tests' must list relative globs inside the repository, e.g. \"test/**/test_hf_*.py\", not {shown(str(glob))}",
                path, locator.line((), "team_tests"))
        for glob in globs
        if not isinstance(glob, str) or not glob.strip() or "\0" in glob or "\\" in glob or os.path.isabs(glob)
        or glob.startswith("~") or ".." in glob.split("/")
    ]


def _table_prefix(path: Path) -> tuple[str, ...]:
    """Where the registry's keys sit in the file: the top level, or [tool.hfguard] of a pyproject.toml."""
    return ("tool", "hfguard") if path.name == PYPROJECT_NAME else ()


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _toml_problem(error: tomllib.TOMLDecodeError, path: Path) -> Problem:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
    if match:
        return Problem(f"invalid TOML: {message}", path, int(match.group(1)), int(match.group(2)))
    return Problem(f"invalid TOML: {message}", path)


class _LineLocator:
    """Finds the line of a table header or key in TOML text (tomllib keeps no positions)."""

    _HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
    _KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")

    def __init__(self, text: str, prefix: tuple[str, ...]) -> None:
        self.prefix = prefix
        self.headers: dict[tuple[str, ...], int] = {}
        self.keys: dict[tuple[tuple[str, ...], str], int] = {}
        table: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(raw)
            if header:
                table = tuple(_unquote(part) for part in _split_dotted(header.group(1)))
                self.headers.setdefault(table, number)
                continue
            key = self._KEY.match(raw)
            if key:
                self.keys.setdefault((table, _unquote(key.group(1))), number)

    def line(self, where: tuple[str, ...], key: str | None = None) -> int | None:
        """Line of ``key`` in table ``where`` (or of the table's header); None if not found."""
        full = self.prefix + where
        if key is not None and (full, key) in self.keys:
            return self.keys[(full, key)]
        if full in self.headers:
            return self.headers[full]
        if where and (self.prefix + where[:-1], where[-1]) in self.keys:  # inline table
            return self.keys[(self.prefix + where[:-1], where[-1])]
        return None


def _split_dotted(name: str) -> list[str]:
    return [part.strip() for part in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", name)]


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part
