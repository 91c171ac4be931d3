"""Team checks: checks of a team's own code (its loader, preprocessing, inference handler), written once in the
team's module and run, reported and measured for every model type of the registry like the built-in checks.

The public API (``from hfguard.testing import team_check, team_mutation``; see docs/team-checks.md):

- ``@team_check`` or ``@team_check(applies=..., id=...)`` registers a function of ``(case, model)``: its id is the
  function's name unless given, the first line of its docstring is its meaning, and ``applies(case, model)``
  returns None or the reason the check does not apply to that model.
- ``@team_mutation`` or ``@team_mutation(applies=..., id=..., checks=...)`` registers a function of ``(patch)`` that
  breaks the team's code through ``patch`` (a ``pytest.MonkeyPatch``, undone after the model type's tests), so
  ``hfguard mutate`` can measure what the team checks catch.
- ``case`` is a :class:`TeamCase`: ``model_type``, ``family``, ``task``, ``config()`` and ``inputs(model)``.

The registry names the modules (``checks = ["acme_models.hfguard_checks"]``); a generated file imports them when
pytest collects it (``ModelCase.team_checks``), never the light commands. Whatever goes wrong in the team's code
(a module that does not import, a duplicate id, an ``applies`` that raises, a check slower than the per-test
deadline) is one line naming the module and the check. Importing this module is light: no torch.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hfguard.testing.checks.registry import SUMMARIES, Check

GROUP = "team"  # the group of every team check in reports
TEST_NAME = "test_team_check"  # the generated test: test_team_check[<team check id>], one per id and model type
INSTALL_HINT = "install the team's package where the tests run (the Action's 'install' input; docs/team-checks.md)"

Applies = Callable[[Any, Any], "str | None"]


class TeamCheckError(Exception):
    """A team module registers something hfguard cannot use (a duplicate id, a check without a meaning, ...)."""


@dataclass(frozen=True)
class TeamCheck:
    """One check of the team's own code."""

    id: str
    summary: str
    run: Callable[[Any, Any], None]
    applies: Applies | None
    module: str

    @property
    def where(self) -> str:
        return f"team check '{self.id}' ({self.module})"


@dataclass(frozen=True)
class TeamKind:
    """One kind of breakage of the team's own code, for ``hfguard mutate``."""

    id: str
    meaning: str  # "the team's code is broken so that ..."
    apply: Callable[[Any], None]  # (patch: pytest.MonkeyPatch) -> None
    applies: Applies | None
    checks: tuple[str, ...]  # the team checks written to catch it (ids), for the report
    module: str

    @property
    def where(self) -> str:
        return f"team mutation '{self.id}' ({self.module})"


TEAM_CHECKS: dict[str, TeamCheck] = {}
TEAM_KINDS: dict[str, TeamKind] = {}
_IMPORTED: dict[str, str | None] = {}  # module -> None (imported) or the one line saying why it does not import


class TeamCase:
    """What a team check sees of the model type under test: the stable part of the generated file's ``CASE``."""

    __slots__ = ("_case",)

    def __init__(self, case: Any) -> None:
        self._case = case

    @property
    def model_type(self) -> str:
        """The model type, e.g. ``"bert"``."""
        return self._case.model_type

    @property
    def family(self) -> str:
        """Its architecture family, e.g. ``"encoder-only"`` (docs/families.md)."""
        return self._case.family

    @property
    def task(self) -> str | None:
        """The task its model class serves, e.g. ``"masked-lm"`` (None for a base model)."""
        return self._case.task

    def config(self) -> Any:
        """The tiny config the model was built from (a fresh copy on every call)."""
        return self._case.config()

    def inputs(self, model: Any) -> dict[str, Any]:
        """The family's synthetic inputs for ``model``: keyword arguments of its forward (fresh tensors every call)."""
        return self._case.inputs(model)

    def __repr__(self) -> str:
        return f"TeamCase({self.model_type!r}, family={self.family!r}, task={self.task!r})"


def team_check(function: Callable[[Any, Any], None] | None = None, /, *, applies: Applies | None = None,
               id: str | None = None) -> Any:
    """Register a team check: ``@team_check`` or ``@team_check(applies=..., id=...)`` on a function of ``(case, model)``."""
    def register(run: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        check = TeamCheck(_id(run, id, "team check"), _meaning(run, "team check", "what it checks"), run,
                          _applies(applies, run), run.__module__)
        _signature(run, ("case", "model"), check.where)
        if check.id in SUMMARIES:
            raise TeamCheckError(f"{check.where}: '{check.id}' is a built-in check's id; give it another (id=...)")
        _add(TEAM_CHECKS, check, run)
        return run

    return register(function) if function is not None else register


def team_mutation(function: Callable[[Any], None] | None = None, /, *, applies: Applies | None = None, id: str | None = None,
                  checks: Sequence[str] = ()) -> Any:
    """Register a kind of breakage of the team's code: ``@team_mutation`` or ``@team_mutation(applies=..., id=...,
    checks=[...])`` on a function of ``(patch)`` that breaks it through ``patch.setattr(...)`` (undone afterwards)."""
    def register(apply: Callable[[Any], None]) -> Callable[[Any], None]:
        kind = TeamKind(_id(apply, id, "team mutation"), _meaning(apply, "team mutation", "what it breaks"), apply,
                        _applies(applies, apply), tuple(checks), apply.__module__)
        _signature(apply, ("patch",), kind.where)
        _add(TEAM_KINDS, kind, apply)  # an id of a built-in kind is refused by hfguard mutate (the built-in one wins)
        return apply

    return register(function) if function is not None else register


def _id(function: Callable[..., Any], given: str | None, what: str) -> str:
    name = function.__name__ if given is None else given
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise TeamCheckError(f"{what} {name!r} ({function.__module__}): an id must be a Python identifier (letters, digits, _)")
    return name


def _meaning(function: Callable[..., Any], what: str, says: str) -> str:
    lines = [line.strip() for line in (inspect.getdoc(function) or "").splitlines() if line.strip()]
    if not lines:
        raise TeamCheckError(f"{what} '{function.__name__}' ({function.__module__}) needs a docstring: its first line says {says}")
    return lines[0]


def _applies(applies: Applies | None, function: Callable[..., Any]) -> Applies | None:
    if applies is not None and not callable(applies):
        raise TeamCheckError(f"'{function.__name__}' ({function.__module__}): applies must be a function of (case, model)")
    return applies


def _signature(function: Callable[..., Any], parameters: tuple[str, ...], where: str) -> None:
    try:
        inspect.signature(function).bind(*parameters)
    except TypeError:
        raise TeamCheckError(f"{where} must be a function of ({', '.join(parameters)})") from None
    except ValueError:  # a builtin without a signature: called as it is
        pass


def _add(table: dict[str, Any], item: TeamCheck | TeamKind, function: Callable[..., Any]) -> None:
    """Register ``item``; the same function registered again (a module imported twice) replaces itself."""
    earlier = table.get(item.id)
    if earlier is not None:
        earlier_function = earlier.run if isinstance(earlier, TeamCheck) else earlier.apply
        if (earlier.module, earlier_function.__qualname__) != (item.module, function.__qualname__):
            raise TeamCheckError(f"{item.where}: duplicate id, already registered by {earlier.module}.{earlier_function.__qualname__}")
    table[item.id] = item


def import_modules(modules: Sequence[str]) -> dict[str, str]:
    """Import the team's modules (once per process); module -> the one line saying why it does not import."""
    for name in modules:
        if name in _IMPORTED:
            continue
        try:
            importlib.import_module(name)
            _IMPORTED[name] = None
        except TeamCheckError as error:
            _IMPORTED[name] = f"team module '{name}': {error}"
        except ModuleNotFoundError as error:
            _IMPORTED[name] = f"team module '{name}' does not import: {_line(error)}; {INSTALL_HINT}"
        except (Exception, SystemExit) as error:  # noqa: BLE001 - whatever the team's module raised, one line
            _IMPORTED[name] = f"team module '{name}' does not import: {_line(error)}"
    return {name: reason for name in modules if (reason := _IMPORTED.get(name))}


def collected_ids(modules: Sequence[str], named: Sequence[str] = ()) -> list[str]:
    """The ids of ``test_team_check`` in a generated file: every registered team check, then each module that does
    not import (its test fails with the reason), then ids the registry's ``off``/``xfail`` tables name that no check
    has (their tests fail: a stale exception); the first module when the modules register no check at all."""
    errors = import_modules(modules)
    ids = [*TEAM_CHECKS, *(name for name in modules if name in errors)]
    ids += [name for name in dict.fromkeys(named) if name not in ids and name not in SUMMARIES]
    if not ids and modules:
        ids = [modules[0]]  # its test fails: the modules register no team check
    return ids


def as_check(modules: Sequence[str], check_id: str) -> Check:
    """The team check ``check_id`` as a check the generated file's ``CASE.check`` runs (``TeamCheckError`` when there
    is none); what goes wrong in the team's code becomes a ``TeamCheckError`` naming the check and its module."""
    check = find(modules, check_id)

    def applies(case: Any, model: Any) -> str | None:
        return decide(check, case, model)

    def run(case: Any, model: Any) -> None:
        check.run(TeamCase(case), model)

    return Check(check.id, GROUP, check.summary, run, applies)


def timed_out(check_id: str, error: Exception, setting: str) -> str:
    """The one line of a team check that gave no result within the per-test deadline (``setting``: where it is set)."""
    return f"{TEAM_CHECKS[check_id].where}: {error}, the per-test deadline (${setting})"


def find(modules: Sequence[str], check_id: str) -> TeamCheck:
    """The team check ``check_id``, or ``TeamCheckError`` with the one line that says why there is none."""
    errors = import_modules(modules)
    if check_id in TEAM_CHECKS:
        return TEAM_CHECKS[check_id]
    if check_id in errors:
        raise TeamCheckError(errors[check_id])
    if check_id in modules:
        raise TeamCheckError(f"team module '{check_id}' registers no team check: decorate a function of (case, model) "
                             "with @hfguard.testing.team_check")
    known = ", ".join(TEAM_CHECKS) or "none"
    raise TeamCheckError(f"unknown check '{check_id}': neither built-in (docs/checks.md) nor a team check of "
                         f"{', '.join(modules) or 'no team module'} (team checks: {known})")


def find_kind(modules: Sequence[str], kind_id: str) -> TeamKind | None:
    """The team's mutation kind ``kind_id`` (its modules imported), or None."""
    import_modules(modules)
    return TEAM_KINDS.get(kind_id)


def decide(check: TeamCheck | TeamKind, case: Any, model: Any) -> str | None:
    """``applies(case, model)`` of a team check or kind: None or the reason; ``TeamCheckError`` when it raises or
    returns something else than None or a reason."""
    if check.applies is None:
        return None
    try:
        reason = check.applies(TeamCase(case), model)
    except Exception as error:  # noqa: BLE001 - the team's code: one line naming it
        raise TeamCheckError(f"{check.where}: its applies raised {_line(error)}") from None
    if reason is not None and not (isinstance(reason, str) and reason.strip()):
        raise TeamCheckError(f"{check.where}: its applies must return None or the reason it does not apply, not {reason!r}")
    return reason


def _line(error: BaseException) -> str:
    """``Type: first line of the message``."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200]}" if lines else type(error).__name__
