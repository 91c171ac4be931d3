"""Mutation testing of generated test suites: break the tiny models of some model types in known ways and count,
per kind of breakage, the model types whose generated tests catch it.

The tests are rendered exactly as ``hfguard generate`` renders them (the registry's templates, built-in or the
user's own) into one folder per kind, plus an unbroken ``baseline`` folder. Each folder's ``conftest.py`` sets
``HFGUARD_MUTATION`` for its modules, so one pytest run (xdist workers, whole files per worker) covers every
kind. A kind applies to a model type when the capability its checks need holds (the runtime records it); it
is caught when a check that passes on the unbroken model fails or errors on the broken one.

The team's own checks are measured the same way, against the built-in kinds and against the team's own kinds
(``hfguard.testing.team_mutation``, which break the team's code, not the model): the report says, per team check,
which kinds of either it catches.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.catalogue import Catalogue
from hfguard.check_results import TEAM_PREFIX, CheckResult, case_result, check_id, is_team_check, read_junit
from hfguard.config import Config, ModelEntry
from hfguard.errors import HfguardError
from hfguard.plan import plan_file
from hfguard.stamp import python_identifier, test_file_name
from hfguard.test_run import run_tests

SCHEMA_VERSION = 1
BASELINE = "baseline"
_CONFTEST = '''"""Written by hfguard mutate: every test module in this folder builds its model broken in one way."""

import os

import pytest


OWN_CHECKS = {own_checks!r}  # with --own-checks: only the checks written to catch this kind run here


def pytest_collection_modifyitems(config, items):
    """With --own-checks, the other tests of this folder are deselected (they appear nowhere, not even as skips)."""
    from pathlib import Path

    from hfguard.check_results import check_id

    if OWN_CHECKS is None:
        return
    here = Path(__file__).parent
    other = [item for item in items if item.path.parent == here and check_id(item.name) not in OWN_CHECKS]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if item not in other]


@pytest.fixture(scope="module", autouse=True)
def hfguard_mutation():
    os.environ.update({{"HFGUARD_MUTATION": {kind!r}, "HFGUARD_MUTATION_LOG": {log!r}}})
    yield
    os.environ.pop("HFGUARD_MUTATION", None)
    os.environ.pop("HFGUARD_MUTATION_LOG", None)
    from hfguard.testing.mutations import undo_team_breakage

    undo_team_breakage()  # a team kind broke the team's code for this module's tests only
'''


@dataclass
class KindResult:
    """What the generated tests made of one kind of breakage."""

    kind: str
    meaning: str
    checks: tuple[str, ...]
    team: bool = False  # a kind of the team's (it breaks the team's code, not the model)
    caught: dict[str, list[str]] = field(default_factory=dict)  # model type -> the checks that failed
    missed: list[str] = field(default_factory=list)
    not_applicable: dict[str, list[str]] = field(default_factory=dict)  # reason -> model types
    not_measured: dict[str, str] = field(default_factory=dict)  # model type -> why (its unbroken tests do not pass)

    @property
    def applies(self) -> int:
        return len(self.caught) + len(self.missed)

    def to_dict(self) -> dict[str, Any]:
        caught_by: dict[str, int] = {}
        for checks in self.caught.values():
            for check in checks:
                caught_by[check] = caught_by.get(check, 0) + 1
        return {"meaning": self.meaning, "checks": list(self.checks), "team": self.team, "applies": self.applies, "caught": len(self.caught),
                "missed": sorted(self.missed), "caught_by": dict(sorted(caught_by.items(), key=lambda item: -item[1])),
                "caught_types": dict(sorted(self.caught.items())), "not_applicable": self.not_applicable,
                "not_measured": self.not_measured}


def render(config: Config, catalogue: Catalogue, model_types: list[str], out: Path, kinds: list[str],
           own_checks: bool = False) -> dict[str, Path]:
    """The test file of every model type, once per kind (and the baseline), each kind's folder with its conftest
    (with ``own_checks``, the conftest skips every test but those of the checks written to catch the kind)."""
    from hfguard.render import Renderer
    from hfguard.writer import check_compiles

    renderer = Renderer(config)
    texts = {}
    for model_type in model_types:
        entry = config.models.get(model_type) or ModelEntry(model_type=model_type, line=0)
        planned = plan_file(config, catalogue, entry)
        text = renderer.render(planned)
        check_compiles(text, planned.path)
        texts[model_type] = text
    folders = {}
    for kind in [BASELINE, *kinds]:
        folder = out / "tests" / kind
        log = out / "log" / kind
        folder.mkdir(parents=True)
        log.mkdir(parents=True)
        if kind != BASELINE:
            checks = sorted(_spec(kind)[1]) if own_checks else None
            (folder / "conftest.py").write_text(_CONFTEST.format(kind=kind, log=str(log), own_checks=checks), encoding="utf-8")
        for model_type, text in texts.items():
            (folder / test_file_name(model_type)).write_text(text, encoding="utf-8")
        folders[kind] = folder
    return folders


def parse_junit(junit: Path, model_types: list[str]) -> dict[str, dict[str, dict[str, CheckResult]]]:
    """kind -> model type -> check -> result."""
    module_of = {f"test_hf_{python_identifier(name)}": name for name in model_types}
    results: dict[str, dict[str, dict[str, CheckResult]]] = {}
    if not junit.is_file():
        return results
    for case in read_junit(junit).iter("testcase"):
        parts = case.get("classname", "").split(".")
        check = check_id(case.get("name", ""))
        if len(parts) >= 2 and parts[-1] in module_of and check is not None:
            results.setdefault(parts[-2], {}).setdefault(module_of[parts[-1]], {})[check] = case_result(case)
    return results


def team_kinds(config: Config) -> dict[str, Any]:
    """The team's mutation kinds (``hfguard.testing.team.TeamKind``) of the registry's team modules, imported here; a
    module that does not import, or a kind named like a built-in one, is an error naming it."""
    from hfguard.testing import team
    from hfguard.testing.mutations import KINDS

    errors = team.import_modules(config.checks)
    errors |= {kind.id: f"{kind.where}: '{kind.id}' is a built-in mutation kind's id; give it another (id=...)"
               for kind in team.TEAM_KINDS.values() if kind.id in KINDS}
    if errors:
        raise HfguardError(*errors.values())
    return dict(team.TEAM_KINDS)


def _spec(kind: str) -> tuple[str, tuple[str, ...], bool]:
    """(meaning, the checks written to catch it as the results name them, whether it is the team's) of a kind."""
    from hfguard.testing.mutations import KINDS
    from hfguard.testing.team import TEAM_KINDS

    if kind in KINDS:
        return KINDS[kind].meaning, KINDS[kind].checks, False
    spec = TEAM_KINDS[kind]
    return spec.meaning, tuple(TEAM_PREFIX + check for check in spec.checks), True


def judge(kinds: list[str], model_types: list[str], results: dict[str, dict[str, dict[str, CheckResult]]],
          logs: Path, own_checks: bool = False) -> list[KindResult]:
    """Per kind: the model types that caught it (with the checks), missed it, or to which it does not apply. A type
    whose unbroken tests fail is not measured (with ``own_checks``: where the kind's own checks fail)."""
    baseline = results.get(BASELINE, {})
    judged = []
    for kind in kinds:
        meaning, checks, team = _spec(kind)
        outcome = KindResult(kind, meaning, checks, team)
        for model_type in model_types:
            record = _record(logs / kind / f"{model_type}.json")
            unbroken = baseline.get(model_type, {})
            failing = sorted(check for check, r in unbroken.items()
                             if r.status in ("failed", "error") and (not own_checks or check in checks))
            if record is None:
                outcome.not_measured[model_type] = "the model was not built (skipped, or an error before the mutation)"
            elif not record["applied"]:
                outcome.not_applicable.setdefault(record["reason"], []).append(model_type)
            elif failing or not any(r.status == "passed" for r in unbroken.values()):
                outcome.not_measured[model_type] = f"its unbroken tests do not pass ({', '.join(failing) or 'none passes'})"
            elif (known := [check for check in checks if check in unbroken]) and \
                    all(unbroken[check].status == "xfail" for check in known):
                outcome.not_measured[model_type] = f"{', '.join(known)}: a recorded upstream failure (xfail) on the unbroken model"
            else:
                broken = results.get(kind, {}).get(model_type, {})
                caught = sorted(check for check, r in broken.items()
                                if r.status in ("failed", "error") and unbroken.get(check, r).status not in ("failed", "error"))
                if caught:
                    outcome.caught[model_type] = caught
                else:
                    outcome.missed.append(model_type)
        judged.append(outcome)
    return judged


def mutate(config: Config, catalogue: Catalogue, model_types: list[str], out: Path, kinds: list[str], jobs: int = 2,
           timeout: int = 90, own_checks: bool = False) -> list[KindResult]:
    """Render, run and judge; writes ``mutate.json`` and ``mutate.md`` into ``out``. With ``own_checks`` a broken
    model runs only the checks written to catch its kind (the unbroken baseline runs every check): what they catch is
    a lower bound of what the whole suite catches, at a fraction of the cost."""
    import time

    if not model_types:
        raise HfguardError("no model type to mutate: name some, or add entries to the registry")
    out = out.resolve()
    for stale in ("tests", "log"):
        shutil.rmtree(out / stale, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    render(config, catalogue, model_types, out, kinds, own_checks)
    junit = out / "junit.xml"
    junit.unlink(missing_ok=True)
    run_tests(out / "tests", junit, jobs, timeout)
    judged = judge(kinds, model_types, parse_junit(junit, model_types), out / "log", own_checks)
    wall = time.monotonic() - start
    data = {"schema_version": SCHEMA_VERSION, "transformers_version": catalogue.transformers_version,
            "wall_seconds": round(wall, 1), "own_checks": own_checks, "model_types": model_types,
            "families": {name: catalogue.get(name).family for name in model_types if name in catalogue},
            "kinds": {k.kind: k.to_dict() for k in judged}, "team_checks": team_check_catches(judged)}
    (out / "mutate.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    (out / "mutate.md").write_text(markdown(judged, len(model_types), wall, own_checks), encoding="utf-8")
    return judged


def team_check_catches(judged: list[KindResult]) -> dict[str, dict[str, Any]]:
    """Per team check (its own id): its meaning, and per kind it catches, team and built-in apart, the model types it
    caught it on and those the kind applies to."""
    from hfguard.testing.team import TEAM_CHECKS

    found = sorted({check for k in judged for checks in k.caught.values() for check in checks if is_team_check(check)}
                   | {TEAM_PREFIX + name for name in TEAM_CHECKS})
    table: dict[str, dict[str, Any]] = {}
    for check in found:
        name = check.removeprefix(TEAM_PREFIX)
        row: dict[str, Any] = {"meaning": TEAM_CHECKS[name].summary if name in TEAM_CHECKS else "", "team_kinds": {}, "builtin_kinds": {}}
        for k in judged:
            caught = sorted(model_type for model_type, checks in k.caught.items() if check in checks)
            if caught:
                row["team_kinds" if k.team else "builtin_kinds"][k.kind] = {"caught": caught, "applies": k.applies}
        table[name] = row
    return table


def markdown(judged: list[KindResult], types: int, wall: float, own_checks: bool = False) -> str:
    """Per kind: the model types it applies to, caught, missed (named), and why it does not apply elsewhere."""
    mode = ", each kind's own checks only (--own-checks: a lower bound)" if own_checks else ""
    lines = [f"# hfguard mutate: {types} model types, {len(judged)} kinds of breakage, {wall:.0f}s{mode}", "",
             "| the model is broken so that ... | kind | applies to | caught | caught % | missed |", "|---|---|---|---|---|---|"]
    for k in judged:
        share = f"{100 * len(k.caught) / k.applies:.0f}%" if k.applies else "-"
        kind = f"`{k.kind}` (team)" if k.team else f"`{k.kind}`"
        lines.append(f"| {k.meaning} | {kind} | {k.applies} | {len(k.caught)} | {share} | {', '.join(sorted(k.missed)) or '-'} |")
    lines += _team_check_lines(team_check_catches(judged))
    for k in judged:
        if k.not_applicable or k.not_measured:
            lines += ["", f"## `{k.kind}`: where it was not measured", ""]
            lines += [f"- does not apply ({len(names)}): {reason}: {', '.join(names)}" for reason, names in k.not_applicable.items()]
            lines += [f"- not measured: {name}: {why}" for name, why in sorted(k.not_measured.items())]
    return "\n".join(lines) + "\n"


def _team_check_lines(table: dict[str, dict[str, Any]]) -> list[str]:
    """Per team check: the team's kinds and the built-in kinds it catches, each with the model types it caught it on of
    those the kind applies to."""
    if not table:
        return []
    def kinds(caught: dict[str, dict[str, Any]]) -> str:
        return ", ".join(f"`{kind}` ({len(row['caught'])} of {row['applies']})" for kind, row in caught.items()) or "none"

    lines = ["", "## Team checks: the kinds of breakage each catches", "",
             "| team check | what it checks | team kinds caught (model types) | built-in kinds caught (model types) |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {row['meaning']} | {kinds(row['team_kinds'])} | {kinds(row['builtin_kinds'])} |" for name, row in table.items()]
    return lines


def _record(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
