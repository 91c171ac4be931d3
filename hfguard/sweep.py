"""The sweep: generate and run the tests of every standalone model type, and tabulate the results.

Files are planned and rendered exactly as ``hfguard generate --all`` would (``hfguard.plan`` +
``hfguard.render``) into a fresh output folder (emptied when an earlier sweep wrote it, refused when it holds
anything else), then run by pytest with pytest-xdist workers (one long-lived process per worker, whole files
per worker) in the one stated setup of ``hfguard.test_run``, and a JUnit XML report.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard.catalogue import FAMILIES, Catalogue, ModelInfo
from hfguard.check_results import CheckResult, case_result, check_id, read_junit, tally
from hfguard.config import Config, ModelEntry
from hfguard.errors import HfguardError
from hfguard.escape import markdown_code, markdown_text
from hfguard.plan import plan_file
from hfguard.stamp import python_identifier
from hfguard.test_run import TEST_TIMEOUT, run_tests

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


def select(catalogue: Catalogue, family: str | None = None, shard: tuple[int, int] = (1, 1),
           limit: int | None = None, model_types: list[str] | None = None) -> list[ModelInfo]:
    """Standalone, generatable model types (or just ``model_types``), sorted; a stable round-robin shard."""
    infos = [info for info in catalogue.standalone() if info.generatable]
    if model_types:
        infos = [info for info in infos if info.model_type in model_types]
    if family is not None:
        infos = [info for info in infos if info.family == family]
    index, count = shard
    chosen = infos[index - 1 :: count]
    return chosen[:limit] if limit is not None else chosen


def sweep_config(root: Path) -> Config:
    """A registry targeting every model type, its tests under ``root/tests``."""
    return Config(path=root / "hfguard.toml", root=root, tests_dir=root / "tests", templates_dir=None,
                  target="all", orphans="off", models={})


def render_tests(catalogue: Catalogue, infos: list[ModelInfo], root: Path) -> dict[str, Path]:
    """Render one test file per model type under ``root/tests``; model type -> path."""
    from hfguard.render import Renderer
    from hfguard.writer import check_compiles

    config = sweep_config(root)
    renderer = Renderer(config)
    config.tests_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for info in infos:
        planned = plan_file(config, catalogue, ModelEntry(model_type=info.model_type, line=0))
        text = renderer.render(planned)
        check_compiles(text, planned.path)
        planned.path.write_text(text, encoding="utf-8")
        paths[info.model_type] = planned.path
    return paths


def parse_junit(junit: Path, infos: list[ModelInfo], tests_dir: str = "tests") -> list[ModelResult]:
    """Per-model results from a JUnit XML report (a model with no test case is an error); each check's result
    from its ``test_<check id>`` case."""
    module_of = {f"test_hf_{python_identifier(info.model_type)}": info for info in infos}
    cases: dict[str, list[ET.Element]] = {name: [] for name in module_of}
    if junit.is_file():
        for case in read_junit(junit).iter("testcase"):
            module = case.get("classname", "").split(".")[-1]
            if module in cases:
                cases[module].append(case)
    return [_result(module_of[module], found, f"{tests_dir}/{module}.py") for module, found in cases.items()]


def _result(info: ModelInfo, cases: list[ET.Element], file: str) -> ModelResult:
    seconds = round(sum(float(case.get("time", 0)) for case in cases), 2)
    results = [(case.get("name", ""), case_result(case)) for case in cases]
    checks = {check: result for name, result in results if (check := check_id(name)) is not None}
    result = ModelResult(info.model_type, info.family, "skipped", seconds, len(cases), "", file, checks)
    statuses = [r.status for _, r in results]
    if not cases:
        result.status, result.message = "error", "no test ran (collection failed?)"
        return result
    for status, model_status in (("error", "error"), ("failed", "failing")):
        if status in statuses:
            result.status, result.message = model_status, next(r.message for _, r in results if r.status == status)
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


def markdown(results: list[ModelResult], wall_seconds: float) -> str:
    """The sweep table (per family), the table of checks, and one row per model type or check that did not pass."""
    times = [r.seconds for r in results if r.status == "passing"]
    lines = [
        f"# hfguard sweep: {len(results)} model types in {wall_seconds:.0f}s "
        f"(median passing model {statistics.median(times) if times else 0:.2f}s)",
        "",
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
          limit: int | None = None, timeout: int = TEST_TIMEOUT, model_types: list[str] | None = None) -> list[ModelResult]:
    """Generate, run and tabulate; writes ``results.json`` and ``results.md`` into ``out``."""
    infos = select(catalogue, family, shard, limit, model_types)
    if not infos:
        raise HfguardError("no model type matches the sweep's selection")
    out = out.resolve()  # pytest runs inside the tests folder
    fresh_folder(out)
    start = time.monotonic()
    render_tests(catalogue, infos, out)
    junit = out / "junit.xml"
    junit.unlink(missing_ok=True)
    run_tests(out / "tests", junit, jobs if len(infos) > 1 else 0, timeout)  # xdist hands out whole files: one file, one process
    results = parse_junit(junit, infos)
    wall = time.monotonic() - start
    data = {"schema_version": SCHEMA_VERSION, "transformers_version": _installed("transformers"),
            "wall_seconds": round(wall, 1), "summary": summary(results), "checks": tally(r.checks for r in results),
            "models": [r.to_dict() for r in results]}
    (out / "results.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    (out / "results.md").write_text(markdown(results, wall), encoding="utf-8")
    return results
