"""One night's results, read from a sweep's ``results.json`` (schema 1 or 2) or a coverage report, in one shape.

A :class:`Night` maps each model type to its family, status, first error line, generated test file and
per-check outcomes. Sweep results give all of these (schema 1 has no ``checks``); a coverage report
gives levels and test outcomes, read as checks (test id ``test_<check>``), its files relative to the current
directory. A generated-test path that leaves its folder (``..``, absolute, a symlink out) is dropped. Shards merge.

Statuses: ``passing``, ``failing``, ``error``, ``xfail``, ``skipped`` (as the sweep writes them), plus
``no-result`` (a test file but no results, e.g. its shard is missing) and ``missing`` (no test file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hfguard.check_results import check_id
from hfguard.errors import HfguardError, Problem
from hfguard.stamp import test_file_name

STATUSES = ("passing", "failing", "error", "xfail", "skipped", "no-result", "missing")
BROKEN = ("failing", "error")
CHECK_STATUSES = ("passed", "failed", "error", "skipped", "xfail", "not-applicable")
_COVERAGE_LEVELS = {"passing": "passing", "failing": "failing", "skipped": "skipped", "generated": "no-result", "missing": "missing"}
_COVERAGE_OUTCOMES = {"passed": "passed", "failed": "failed", "skipped": "skipped", "not-applicable": "not-applicable"}


@dataclass(frozen=True)
class Check:
    """The outcome of one check of one model type."""

    status: str
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class TypeResult:
    """How one model type fared."""

    model_type: str
    family: str
    status: str
    message: str = ""
    seconds: float = 0.0
    file: str = ""  # the generated test, relative to ``Night.root``
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def broken(self) -> bool:
        return self.status in BROKEN


@dataclass
class Night:
    """The results of one sweep (or coverage run): model type -> result."""

    models: dict[str, TypeResult]
    transformers_version: str | None = None
    wall_seconds: float | None = None
    source: str = ""
    root: Path | None = None  # folder the ``file`` paths are relative to
    # every model type of the transformers it ran (a sweep's ``known_model_types``; None: the results do not say),
    # so a type it did not run can be told apart: not swept, or not a model type of that transformers version
    known_types: frozenset[str] | None = None

    def checks(self) -> list[str]:
        """Every check id any model type reports, sorted."""
        return sorted({check for result in self.models.values() for check in result.checks})

    def without(self, names: set[str]) -> Night:
        """This night minus ``names`` (e.g. the model types of a missing shard)."""
        return replace(self, models={name: r for name, r in self.models.items() if name not in names})


def load_night(path: Path) -> Night:
    """A sweep's ``results.json`` (or its folder) or a coverage report JSON, as a :class:`Night`."""
    if path.is_dir():
        path = path / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HfguardError(Problem(f"cannot read results: {error.strerror}", path)) from None
    except json.JSONDecodeError as error:
        raise HfguardError(Problem(f"not JSON: {error.msg}", path, error.lineno, error.colno)) from None
    try:
        if isinstance(data, dict) and isinstance(data.get("models"), list):
            return _from_sweep(data, path)
        if isinstance(data, dict) and "denominator" in data and isinstance(data.get("models"), dict):
            return _from_coverage(data, path)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise HfguardError(Problem(f"damaged results ({type(error).__name__}: {error})", path)) from None
    raise HfguardError(Problem("neither sweep results (results.json) nor a coverage report", path))


def _from_sweep(data: dict[str, Any], path: Path) -> Night:
    version = data.get("schema_version", 1)
    if version not in (1, 2):
        raise HfguardError(Problem(f"sweep results schema_version {version!r}, expected 1 or 2", path))
    root = path.parent
    models = {}
    for item in data["models"]:
        name = str(item["model_type"])
        file = _inside(root, str(item.get("file") or "") or f"tests/{test_file_name(name)}")
        checks = {str(check): Check(_known(str(c["status"]), CHECK_STATUSES, f"check {check} of {name}"), _line(c.get("message")),
                                    float(c.get("seconds") or 0.0))
                  for check, c in (item.get("checks") or {}).items()}
        models[name] = TypeResult(name, str(item["family"]), _known(str(item["status"]), STATUSES, name), _line(item.get("message")),
                                  float(item.get("seconds") or 0.0), str(file), checks)
    known = data.get("known_model_types")
    known_types = frozenset(map(str, known)) if isinstance(known, list) else None
    return Night(models, data.get("transformers_version"), data.get("wall_seconds"), str(path), root, known_types)


def _from_coverage(data: dict[str, Any], path: Path) -> Night:
    root = Path.cwd()  # a coverage report names its files from the repository root, where it is read
    models = {}
    for name, item in data["models"].items():
        checks, errors = {}, dict(item.get("errors", []))  # [test id, first line] pairs, in the order the tests ran
        for test_id, outcome in item.get("tests", {}).items():
            if test_id.startswith("extra::"):  # the team's own tests count for the level, but are no check of hfguard's
                continue
            check = check_id(test_id.split("::")[-1]) or test_id.split("::")[-1]
            checks[check] = Check(_COVERAGE_OUTCOMES.get(outcome, "error"), _line(errors.get(test_id)))
        level = _COVERAGE_LEVELS.get(item["level"], "missing")
        failed = [test_id for test_id in errors if item.get("tests", {}).get(test_id) == "failed"]
        message = item.get("detail") or (f"{failed[0]}: {errors[failed[0]]}" if failed else "")
        models[name] = TypeResult(name, str(item["family"]), level, _line(message), 0.0, _inside(root, str(item.get("file", ""))), checks)
    return Night(models, data.get("transformers_version"), None, str(path), root)


def _inside(root: Path, relative: str) -> str:
    """``relative`` when it names a file inside ``root`` (symlinks resolved), else '' (never a file elsewhere)."""
    path = root / relative
    try:
        inside = path.resolve().is_relative_to(root.resolve()) and not Path(relative).is_absolute()
    except (OSError, ValueError):
        return ""
    return relative if inside and path.is_file() else ""


def _known(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"status '{value}' of {what} is not one of {', '.join(allowed)}")
    return value


def _line(text: Any) -> str:
    """The first non-empty line of ``text``, at most 300 characters."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def merge_nights(nights: list[Night]) -> Night:
    """Shards of one night as one; a model type in two shards must have one result."""
    if not nights:
        raise HfguardError("no results to merge")
    versions = {night.transformers_version for night in nights if night.transformers_version}
    if len(versions) > 1:
        raise HfguardError(f"shards ran different transformers versions: {', '.join(sorted(versions))}")
    models: dict[str, TypeResult] = {}
    origin: dict[str, str] = {}
    for night in nights:
        for name, result in night.models.items():
            if name in models and models[name].status not in ("no-result", "missing") and result.status not in ("no-result", "missing"):
                if models[name] != result:
                    raise HfguardError(f"'{name}' has two results: in {origin[name]} and in {night.source}")
                continue
            if name not in models or models[name].status in ("no-result", "missing"):
                models[name], origin[name] = _rooted(result, night.root), night.source
    walls = [night.wall_seconds for night in nights if night.wall_seconds is not None]
    known = [night.known_types for night in nights]
    return Night(dict(sorted(models.items())), versions.pop() if versions else None, max(walls) if walls else None,
                 " + ".join(night.source for night in nights), None,
                 frozenset().union(*known) if known and None not in known else None)


def _rooted(result: TypeResult, root: Path | None) -> TypeResult:
    """``result`` with its file path made absolute (shards live in different folders)."""
    if result.file and root is not None:
        return replace(result, file=str((root / result.file).resolve()))
    return result


def to_json(night: Night) -> dict[str, Any]:
    """A night as sweep results (schema 2) that ``load_night`` reads back (generated-test paths left out)."""
    known = {"known_model_types": sorted(night.known_types)} if night.known_types is not None else {}
    return {"schema_version": 2, "transformers_version": night.transformers_version, "wall_seconds": night.wall_seconds, **known,
            "models": [{"model_type": r.model_type, "family": r.family, "status": r.status, "seconds": r.seconds, "message": r.message,
                        "checks": {c: {"status": v.status, "message": v.message, "seconds": v.seconds} for c, v in r.checks.items()}}
                       for r in night.models.values()]}
