"""The sweep: generate and run the tests of the registry's entries (or of every standalone model type), and tabulate.

In a repository with a registry, the sweep reads it as every other run does: its entries with their settings
(``tiny``, ``skip``, ``xfail``, ``family``, ``task``) and its templates; ``target = "all"`` or ``--all`` adds
every other standalone type with default settings. Without a registry, every standalone type is swept with
default settings. Files are planned and rendered exactly as ``hfguard generate`` plans and renders them
(``hfguard.plan`` + ``hfguard.render``) into the sweep's folder (emptied when an earlier sweep
wrote it, refused when it holds anything else), then run in the one stated pytest setup
(``hfguard.test_run``) with pytest-xdist workers and a JUnit XML report.
"""

from __future__ import annotations

import difflib
import json
import shutil
import statistics
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hfguard.catalogue import FAMILIES, Catalogue
from hfguard.check_results import CheckResult, case_result, check_id, read_junit, tally
from hfguard.config import Config, NoRegistryError, find_config, load_config
from hfguard.errors import HfguardError, Problem, shown_path
from hfguard.escape import markdown_code, markdown_text
from hfguard.plan import PlannedFile, entries_for, plan_file
from hfguard.project import validate
from hfguard.stamp import python_identifier
from hfguard.test_run import TEST_TIMEOUT, install_for_tests, run_tests

STATUSES = ("passing", "failing", "error", "xfail", "skipped")
SCHEMA_VERSION = 2
MARKER = ".hfguard-sweep"  # in every folder a sweep writes: the next sweep into it may empty it


@dataclass
class ModelResult:
    """How the generated tests of one model type fared."""

    model_type: str
    family: str
    status: str
    seconds: float
    tests: int
    message: str = ""
    file: str = ""  # the generated test file, relative to the sweep's output directory
    checks: dict[str, CheckResult] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"model_type": self.model_type, "family": self.family, "status": self.status, "seconds": self.seconds,
                "tests": self.tests, "message": self.message, "file": self.file,
                "checks": {check: result.to_dict() for check, result in self.checks.items()}}


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` (1 <= I <= N) -> (I, N); ValueError otherwise."""
    index, _, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        raise ValueError(f"--shard must look like I/N, not '{text}'") from None
    if not 1 <= i <= n:
        raise ValueError(f"--shard {text}: need 1 <= I <= N")
    return i, n


@dataclass(frozen=True)
class Selection:
    """What a sweep runs: the planned files (as ``hfguard generate`` plans them) and what it leaves out, and why."""

    config: Config  # the registry (its templates and settings), its tests dir moved into the sweep's folder
    planned: list[PlannedFile]  # sorted by model type
    source: str  # "registry", "registry+all" or "catalogue" (no registry: every standalone type, default settings)
    not_model_types: list[str] = field(default_factory=list)  # registry entries this transformers does not know

    def shard(self, shard: tuple[int, int]) -> list[PlannedFile]:
        """A stable round-robin shard (I of N) of the planned files."""
        index, count = shard
        return self.planned[index - 1 :: count]


def sweep_config(root: Path) -> Config:
    """A registry targeting every model type, its tests under ``root/tests`` (the sweep outside a repository)."""
    return Config(path=root / "hfguard.toml", root=root, tests_dir=root / "tests", templates_dir=None,
                  target="all", orphans="off", models={})


def registry_here(config_path: Path | str | None = None) -> Config | None:
    """The registry named by ``config_path``, else the one found from the working directory; None when there is none."""
    if config_path is not None:
        return load_config(config_path)
    try:
        return load_config(find_config())
    except NoRegistryError:
        return None


def select(catalogue: Catalogue, out: Path, registry: Config | None = None, model_types: list[str] | None = None,
           all_types: bool = False, family: str | None = None) -> Selection:
    """The files a sweep renders into ``out/tests``, planned exactly as ``hfguard generate`` plans them.

    With a registry: its entries with their settings (with ``target = "all"`` or ``all_types``, every other
    standalone type too, with default settings); entries this transformers does not know are left out and
    named. Without one: every standalone type with default settings. ``model_types`` narrows either to the
    named ones (a name the selection lacks is an error, with a close match), ``family`` to one family.
    """
    config = sweep_config(out) if registry is None else replace(registry, tests_dir=out / "tests")
    unknown = sorted(name for name in config.models if name not in catalogue)
    known = replace(config, models={name: entry for name, entry in config.models.items() if name not in unknown})
    validate(known, catalogue)  # the same registry errors as 'hfguard generate'
    entries = {entry.model_type: entry for entry in entries_for(known, catalogue, all_types)}
    if model_types:
        missing = [name for name in model_types if name not in entries and name not in unknown]
        if missing:
            raise HfguardError(*(_not_selectable(name, catalogue, registry) for name in missing))
        unknown = [name for name in unknown if name in model_types]
        entries = {name: entry for name, entry in entries.items() if name in model_types}
    planned = [plan_file(known, catalogue, entries[name]) for name in sorted(entries)]
    if family is not None:
        planned = [item for item in planned if item.family == family]
    source = "catalogue" if registry is None else "registry+all" if all_types or registry.target == "all" else "registry"
    return Selection(known, planned, source, unknown)


def _not_selectable(name: str, catalogue: Catalogue, registry: Config | None) -> Problem:
    """Why ``name`` is not in the sweep's selection, and what to do."""
    if name not in catalogue:
        close = difflib.get_close_matches(name, list(catalogue.models), n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        return Problem(f"unknown model type '{name}'{hint}; 'hfguard models' lists the known ones")
    info = catalogue.get(name)
    if registry is not None and info.generatable and info.standalone:
        return Problem(f"'{name}' has no registry entry; add [models.{name}], or sweep beyond the registry with --all",
                       registry.path)
    why = info.reason or info.kind
    return Problem(f"'{name}' is not swept: it is not a standalone model type hfguard can generate ({why}); "
                   "register it with an explicit 'family' to test it")


def render_tests(selection: Selection, planned: list[PlannedFile]) -> dict[str, Path]:
    """Render ``planned`` (files of ``selection``) with the registry's templates, as ``hfguard generate`` renders them;
    model type -> path."""
    from hfguard.render import Renderer
    from hfguard.writer import check_compiles

    renderer = Renderer(selection.config)
    selection.config.tests_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for item in planned:
        text = renderer.render(item)
        check_compiles(text, item.path)
        item.path.write_text(text, encoding="utf-8")
        paths[item.model_type] = item.path
    return paths


def parse_junit(junit: Path, families: dict[str, str], tests_dir: str = "tests") -> list[ModelResult]:
    """Per-model results (``families``: model type -> family) from a JUnit XML report (a model with no test case is an
    error); each check's result from its ``test_<check id>`` case."""
    module_of = {f"test_hf_{python_identifier(name)}": name for name in families}
    cases: dict[str, list[ET.Element]] = {module: [] for module in module_of}
    if junit.is_file():
        for case in read_junit(junit).iter("testcase"):
            module = case.get("classname", "").split(".")[-1]
            if module in cases:
                cases[module].append(case)
    return [_result(module_of[module], families[module_of[module]], found, f"{tests_dir}/{module}.py")
            for module, found in cases.items()]


def _result(model_type: str, family: str, cases: list[ET.Element], file: str) -> ModelResult:
    """One model type's result; a broken one's message is its first failing or erroring test, as it ran, and that test's
    first line (``test_save_load: ...``), as the coverage report and the PR comment name it."""
    seconds = round(sum(float(case.get("time", 0)) for case in cases), 2)
    results = [(case.get("name", ""), case_result(case)) for case in cases]
    checks = {check: result for name, result in results if (check := check_id(name)) is not None}
    result = ModelResult(model_type, family, "skipped", seconds, len(cases), "", file, checks)
    statuses = [r.status for _, r in results]
    if not cases:
        result.status, result.message = "error", "no test ran (collection failed?)"
        return result
    broken = [(name, r) for name, r in results if r.status in ("error", "failed")]
    if broken:
        name, first = broken[0]
        result.status = "error" if "error" in statuses else "failing"
        result.message = f"{name}: {first.message}"
        return result
    if "passed" in statuses:
        result.status = "passing"
    elif "xfail" in statuses:
        result.status, result.message = "xfail", next(r.message for _, r in results if r.status == "xfail")
    else:
        result.message = results[0][1].message
    return result


def summary(results: list[ModelResult]) -> dict[str, dict[str, int]]:
    """family -> {total, passing, failing, error, skipped}, plus an ``all`` row."""
    table: dict[str, dict[str, int]] = {}
    for family in (*FAMILIES, "all"):
        rows = [r for r in results if family in ("all", r.family)]
        if rows:
            table[family] = {"total": len(rows), **{s: sum(r.status == s for r in rows) for s in STATUSES}}
    return table


def markdown(results: list[ModelResult], wall_seconds: float, selection: Selection | None = None) -> str:
    """What was swept, the sweep table (per family), the table of checks, and one row per model type or check that did
    not pass."""
    times = [r.seconds for r in results if r.status == "passing"]
    lines = [
        f"# hfguard sweep: {len(results)} model types in {wall_seconds:.0f}s "
        f"(median passing model {statistics.median(times) if times else 0:.2f}s)",
        "",
        *([described(selection), ""] if selection is not None else []),
        "| family | total | passing | failing | error | xfail | skipped | passing % |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for family, row in summary(results).items():
        share = 100 * row["passing"] / row["total"]
        lines.append(f"| {family} | {row['total']} | {row['passing']} | {row['failing']} | {row['error']} | "
                     f"{row['xfail']} | {row['skipped']} | {share:.0f}% |")
    lines += ["", "| model type | family | status | seconds | first error |", "|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r.status == "passing", r.family, r.model_type)):
        if r.status != "passing":
            lines.append(f"| {markdown_code(r.model_type, in_table=True)} | {r.family} | {r.status} | {r.seconds} | "
                         f"{markdown_text(r.message)} |")
    return "\n".join(lines + [""] + check_table(results)) + "\n"


def described(selection: Selection) -> str:
    """One line: where the swept model types and their settings come from, and the entries left out."""
    where = markdown_code(shown_path(selection.config.path))
    text = {"registry": f"The registry's entries ({where}), with their settings.",
            "registry+all": f"The registry's entries ({where}) with their settings, and every other standalone model type.",
            "catalogue": "Every standalone model type, with default settings (no registry here; in a repository with one, "
                         "'hfguard sweep' sweeps its entries)."}[selection.source]
    if selection.not_model_types:
        text += (f" Not model types of this transformers, so not swept ({len(selection.not_model_types)}): "
                 f"{', '.join(map(markdown_code, selection.not_model_types))}.")
    return text


def check_table(results: list[ModelResult]) -> list[str]:
    """Per check: the model types it applies to, how many pass, fail or are expected to fail, the reasons it does
    not apply (grouped), and each failure."""
    counts = tally(r.checks for r in results)
    lines = ["## Checks", "",
             "| check | applies to | passing | failing | error | xfail | skipped | not applicable |",
             "|---|---|---|---|---|---|---|---|"]
    for check, row in counts.items():
        applies = sum(row.values()) - row["not_applicable"]
        lines.append(f"| {check} | {applies} | {row['passed']} | {row['failed']} | {row['error']} | {row['xfail']} | "
                     f"{row['skipped']} | {row['not_applicable']} |")
    for check in counts:
        reasons: dict[str, list[str]] = {}
        problems = []
        for r in sorted(results, key=lambda r: r.model_type):
            result = r.checks.get(check)
            if result is not None and result.status == "not-applicable":
                reasons.setdefault(result.message, []).append(r.model_type)
            elif result is not None and result.status in ("failed", "error", "xfail"):
                problems.append(f"- {result.status}: {markdown_code(r.model_type)}: {markdown_text(result.message)}")
        if not reasons and not problems:
            continue
        lines += ["", f"### {check}", ""]
        lines += [f"- not applicable ({len(names)}): {markdown_text(reason)}: {', '.join(map(markdown_code, names))}"
                  for reason, names in sorted(reasons.items(), key=lambda item: -len(item[1]))]
        lines += problems
    return lines


def _installed(package: str) -> str | None:
    """Version of ``package`` in this environment (the one the tests ran with), or None."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def fresh_folder(out: Path) -> None:
    """Make ``out`` an empty folder of this sweep: one an earlier sweep wrote (its ``MARKER``) is emptied; one holding
    files hfguard did not write is refused, so nothing in it (a committed ``tests/conftest.py``) is run, or lost."""
    if out.exists() and not out.is_dir():
        raise HfguardError(f"--out {out} is a file, not a folder; choose another --out")
    found = sorted(out.iterdir()) if out.is_dir() else []
    if found and not (out / MARKER).is_file():
        raise HfguardError(f"--out {out} holds files no sweep wrote (e.g. {found[0].name}); choose a new or empty folder, "
                           "so that none of them is run with the generated tests or lost")
    for child in found:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by hfguard sweep; the next sweep into this folder empties it\n", encoding="utf-8")


def sweep(catalogue: Catalogue, out: Path, jobs: int = 2, family: str | None = None, shard: tuple[int, int] = (1, 1),
          limit: int | None = None, timeout: int = TEST_TIMEOUT, model_types: list[str] | None = None,
          registry: Config | None = None, all_types: bool = False, install: tuple[str, ...] = ()) -> list[ModelResult]:
    """Select (see ``select``), render, run and tabulate; writes ``results.json`` and ``results.md`` into ``out``.
    ``install``: pip arguments installed where the tests run, right before them (the team's package its check modules
    come from)."""
    out = out.resolve()  # pytest runs inside the tests folder
    selection = select(catalogue, out, registry, model_types, all_types, family)
    planned = selection.shard(shard)[:limit]
    if not planned:
        raise HfguardError("no model type matches the sweep's selection")
    fresh_folder(out)
    start = time.monotonic()
    render_tests(selection, planned)
    junit = out / "junit.xml"
    junit.unlink(missing_ok=True)
    if install:
        install_for_tests(install, timeout)
    # xdist hands out whole files: one file, one process
    run_tests(selection.config.tests_dir, junit, jobs if len(planned) > 1 else 0, timeout)
    results = parse_junit(junit, {item.model_type: item.family for item in planned})
    wall = time.monotonic() - start
    data = {"schema_version": SCHEMA_VERSION, "transformers_version": _installed("transformers"),
            "wall_seconds": round(wall, 1), "selection": selection.source,
            "registry": str(registry.path) if registry is not None else None,
            "not_model_types": selection.not_model_types, "known_model_types": sorted(catalogue.models),
            "summary": summary(results), "checks": tally(r.checks for r in results), "models": [r.to_dict() for r in results]}
    (out / "results.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results, wall, selection), encoding="utf-8")
    return results
