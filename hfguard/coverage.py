"""Model-type coverage: levels, JUnit parsing, the JSON report, its delta, shard merge, Markdown, SVG.

Levels of one model type, from worst to best:

- ``missing``: no test file, or one that fails verification;
- ``generated``: a test file that passes verification, but no test results for it;
- ``failing``: at least one of its tests failed or errored (collection errors included);
- ``skipped``: it has results, all skipped (xfail counts as skipped);
- ``passing``: at least one test passed and none failed (skips beside a pass are allowed).

A model type is *covered* when its level is not ``missing``. The denominator is the registry's
entries (``target = "registry"``) or the catalogue's standalone model types (``target = "all"``).

The tests of a model type, in one place: the checks of its generated file, the results of its
``test_hf_<type>_extra.py`` (ids under ``extra::``), and the team's own per-model files that the registry's
``team_tests`` globs name and whose file name maps to it (``team_test_files``, by ``hfguard.naming`` as
``hfguard adopt`` maps them). The level comes from the results; the team's files are listed beside it, and the
names that map to no counted model type are listed with their reasons.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfguard import __version__, check_results
from hfguard.atomic import write_atomic
from hfguard.catalogue import FAMILIES, Catalogue, load_catalogue
from hfguard.config import Config, load_config
from hfguard.errors import HfguardError, Problem
from hfguard.escape import GITHUB, Markup
from hfguard.naming import LABELS, UNKNOWN, Namer, file_name_of
from hfguard.names import printable
from hfguard.paths import refuse_link
from hfguard.stamp import EXTRA_SUFFIX, python_identifier, test_file_name
from hfguard.verify import compile_finding

SCHEMA_VERSION = 1
LEVELS = ("missing", "generated", "failing", "skipped", "passing")
OUTCOMES = ("passed", "failed", "skipped")

Reader = Callable[[Path], "str | None"]


def check_source(text: str, path: Path) -> str | None:
    """Why a generated file fails verification (``hfguard.verify``'s compile check), or None."""
    finding = compile_finding(str(path), text.encode("utf-8", "surrogateescape"))
    return None if finding is None else f"does not compile (line {finding.line}): {finding.code} {finding.message}"


@dataclass
class ModelCoverage:
    """Coverage facts of one model type."""

    family: str
    file: str
    verified: bool
    detail: str = ""
    tests: dict[str, str] = field(default_factory=dict)  # test id -> passed / failed / skipped / not-applicable
    # failed test id -> the first line of its failure, in the order the tests ran (the first is often the cause)
    errors: dict[str, str] = field(default_factory=dict)
    team_files: list[str] = field(default_factory=list)  # the team's own test files of this model type (``team_tests``)

    @property
    def level(self) -> str:
        """The level, decided only here (see the module docstring)."""
        outcomes = set(self.tests.values())
        if not self.verified:
            return "missing"
        if not outcomes:
            return "generated"
        if "failed" in outcomes:
            return "failing"
        return "passing" if "passed" in outcomes else "skipped"

    def first_failure(self) -> tuple[str, str] | None:
        """(test id, first line of its failure) of the test that failed first as they ran; None when none failed."""
        failed = [test for test in self.errors if self.tests.get(test) == "failed"]
        failed += sorted(test for test, outcome in self.tests.items() if outcome == "failed" and test not in self.errors)
        return (failed[0], self.errors.get(failed[0]) or "failed") if failed else None

    def to_dict(self) -> dict[str, Any]:
        data = {"family": self.family, "file": self.file, "verified": self.verified, "level": self.level,
                "detail": self.detail, "tests": dict(sorted(self.tests.items())), "errors": [[test, line] for test, line in self.errors.items()]}
        return {**data, "team_files": self.team_files} if self.team_files else data


@dataclass
class Report:
    """Coverage of every model type of a denominator."""

    denominator: str  # "registry" or "all"
    transformers_version: str | None
    has_results: bool
    models: dict[str, ModelCoverage]
    team: TeamFiles | None = None  # the team's own files (None: no ``team_tests`` globs, or read from git objects)
    nightly_skipped: int = 0  # tests of nightly-tier checks a pull-request run (HFGUARD_TIER=pr) skipped

    @property
    def denominator_label(self) -> str:
        if self.denominator == "all":
            return f"standalone model types of transformers {self.transformers_version}"
        return "registry entries"

    def headline(self) -> tuple[str, float]:
        """The figure a badge shows: ``passing`` with test results, else ``generated``."""
        counts = summarize(self.models.values())
        measure = "passing" if self.has_results else "generated"
        return measure, counts[f"{measure}_pct"]

    def to_dict(self) -> dict[str, Any]:
        families = group_by_family(self.models)
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": f"hfguard {__version__}",
            "denominator": self.denominator,
            "denominator_label": self.denominator_label,
            "transformers_version": self.transformers_version,
            "has_results": self.has_results,
            "summary": {
                "overall": summarize(self.models.values()),
                "families": {family: summarize(items.values()) for family, items in families.items()},
            },
            "models": {name: self.models[name].to_dict() for name in sorted(self.models)},
            **({"team_tests": self.team.to_dict()} if self.team is not None else {}),
            **({"nightly_checks_skipped": self.nightly_skipped} if self.nightly_skipped else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> Report:
        """A report read back from JSON; a clear error for another schema or damaged data."""
        if data.get("schema_version") != SCHEMA_VERSION:
            raise HfguardError(Problem(f"coverage report schema_version {data.get('schema_version')!r}, expected {SCHEMA_VERSION}", source))
        try:
            models = {
                name: ModelCoverage(m["family"], m["file"], m["verified"], m.get("detail", ""), dict(m.get("tests", {})),
                                    {str(test): str(line) for test, line in m.get("errors", [])},
                                    [str(path) for path in m.get("team_files", [])])
                for name, m in data["models"].items()
            }
            team = TeamFiles.from_dict(data["team_tests"]) if isinstance(data.get("team_tests"), dict) else None
            return cls(data["denominator"], data.get("transformers_version"), bool(data["has_results"]), models, team,
                       int(data.get("nightly_checks_skipped", 0)))
        except (KeyError, TypeError, AttributeError) as error:
            raise HfguardError(Problem(f"damaged coverage report (missing {error})", source)) from None


def load_report(path: Path) -> Report:
    """Read a coverage report JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HfguardError(Problem(f"cannot read coverage report: {error.strerror}", path)) from None
    except json.JSONDecodeError as error:
        raise HfguardError(Problem(f"not JSON: {error.msg}", path, error.lineno, error.colno)) from None
    return Report.from_dict(data, str(path))


def report_json(report: Report, delta: dict[str, Any] | None = None) -> str:
    """The report as JSON text (with the delta, when there is one)."""
    data = report.to_dict()
    if delta is not None:
        data["delta"] = delta
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write_report(report: Report, path: Path, delta: dict[str, Any] | None = None) -> None:
    """Write the report JSON file (atomically: a link there is replaced, not written through)."""
    write_atomic(path, report_json(report, delta))


def summarize(items: Iterable[ModelCoverage]) -> dict[str, Any]:
    """Counts per level, covered (not missing) and the two percentages, for a group of model types."""
    items = list(items)
    counts: dict[str, Any] = {level: 0 for level in LEVELS}
    for item in items:
        counts[item.level] += 1
    total = len(items)
    covered = total - counts["missing"]
    counts.update(total=total, covered=covered, generated_pct=_pct(covered, total), passing_pct=_pct(counts["passing"], total))
    return counts


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def group_by_family(models: dict[str, ModelCoverage]) -> dict[str, dict[str, ModelCoverage]]:
    """Model types by family, families in ``FAMILIES`` order (unknown ones last)."""
    order = {family: rank for rank, family in enumerate(FAMILIES)}
    groups: dict[str, dict[str, ModelCoverage]] = {}
    for name in sorted(models, key=lambda n: (order.get(models[n].family, len(order)), models[n].family, n)):
        groups.setdefault(models[name].family, {})[name] = models[name]
    return groups


def denominator(config: Config, catalogue: Catalogue) -> dict[str, str]:
    """Model type -> family of everything coverage counts."""
    if config.target == "all":
        return {info.model_type: info.family for info in catalogue.standalone()}
    return {
        name: entry.family or (catalogue.get(name).family if name in catalogue else "unknown")
        for name, entry in config.models.items()
    }


def build_report(config: Config, catalogue: Catalogue, read: Reader, junit: Iterable[Path] = (),
                 team: TeamFiles | None = None) -> Report:
    """Coverage of ``config``'s denominator, files read through ``read``, results from JUnit files, the team's own
    files (``team``) beside them."""
    families = denominator(config, catalogue)
    junit = list(junit)
    results = parse_junit(junit, {python_identifier(name): name for name in families})
    models = {}
    for name, family in sorted(families.items()):
        path = config.tests_dir / test_file_name(name)
        text = read(path)
        problem = "no test file" if text is None else check_source(text, path)
        shown = path.relative_to(config.root).as_posix()
        cases = results.get(name, {}) if problem is None else {}
        models[name] = ModelCoverage(family, shown, problem is None, problem or "", {test: case.outcome for test, case in cases.items()},
                                     {test: case.message for test, case in cases.items() if case.outcome == "failed"},
                                     team.by_type.get(name, []) if team is not None else [])
    nightly = sum(case.nightly_tier for name, cases in results.items() if name in families for case in cases.values())
    return Report(config.target, catalogue.transformers_version, bool(junit), models,
                  team.outside(set(families)) if team is not None else None, nightly)


@dataclass
class TeamFiles:
    """The team's own per-model test files (``team_tests`` globs), attributed to model types by their names."""

    globs: list[str]
    by_type: dict[str, list[str]]  # model type -> files (relative to the registry's folder)
    unattributed: dict[str, dict[str, Any]]  # name (known suffixes dropped) -> {"reason": key, "detail": why, "files": [...]}
    outside_reason: dict[str, tuple[str, str]] = field(default_factory=dict)  # model type -> (reason, detail) without an entry

    def outside(self, counted: set[str]) -> TeamFiles:
        """This, with the files of model types coverage does not count moved to ``unattributed``."""
        unattributed = dict(self.unattributed)
        for model_type, files in self.by_type.items():
            if model_type not in counted:
                reason, detail = self.outside_reason.get(model_type, (NOT_REGISTERED, ""))
                unattributed[model_type] = {"reason": reason, "detail": detail, "files": files}
        inside = {name: files for name, files in self.by_type.items() if name in counted}
        return TeamFiles(self.globs, inside, dict(sorted(unattributed.items())), self.outside_reason)

    def to_dict(self) -> dict[str, Any]:
        return {"globs": self.globs, "attributed_files": sum(len(files) for files in self.by_type.values()),
                "unattributed": self.unattributed}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TeamFiles:
        unattributed = data.get("unattributed", {})
        return cls([str(glob) for glob in data.get("globs", [])], {},
                   {str(name): dict(item) for name, item in unattributed.items()} if isinstance(unattributed, dict) else {})


NOT_REGISTERED, CANNOT_GENERATE = "not-registered", "cannot-generate"
TEAM_LABELS = {**LABELS, NOT_REGISTERED: "model type without a registry entry", CANNOT_GENERATE: "cannot be generated"}


def team_test_files(config: Config, catalogue: Catalogue) -> TeamFiles | None:
    """The files ``team_tests`` names (links and the generated tests folder left out), by the model type their name
    maps to (``hfguard.naming``, as ``hfguard adopt`` maps them); None when the registry names no globs."""
    if not config.team_tests:
        return None
    namer = Namer(catalogue.models, catalogue.transformers_version)
    by_type: dict[str, list[str]] = {}
    unattributed: dict[str, dict[str, Any]] = {}
    outside: dict[str, tuple[str, str]] = {}
    for relative in glob_files(config.root, config.team_tests, exclude=config.tests_dir):
        naming = namer.name(file_name_of(Path(relative).stem))
        if naming.model_type is not None:
            by_type.setdefault(naming.model_type, []).append(relative)
            info = catalogue.get(naming.model_type)
            outside[naming.model_type] = ((NOT_REGISTERED, "") if info.generatable and info.model_class() is not None
                                          else (CANNOT_GENERATE, f"{info.kind}: {info.reason}"))
        else:
            item = unattributed.setdefault(naming.core or naming.name, {"reason": naming.how, "detail": naming.reason, "files": []})
            item["files"].append(relative)
    return TeamFiles(list(config.team_tests), by_type, unattributed, outside)


def glob_files(root: Path, globs: Iterable[str], exclude: Path | None = None) -> list[str]:
    """Files below ``root`` matching any of ``globs`` (``**`` spans folders), relative with '/', sorted; links, folders
    whose name starts with a dot, and everything below ``exclude`` are left out."""
    globs = list(globs)
    patterns = [_glob_pattern(glob) for glob in globs]
    skip = os.path.abspath(exclude) if exclude is not None else None
    found: set[str] = set()
    for glob in globs:
        top = root / _fixed_start(glob)
        if top.is_symlink() or not top.is_dir():
            continue
        depth = None if "**" in glob else glob.count("/") - _fixed_start(glob).count("/") - bool(_fixed_start(glob))
        for folder, folders, names in os.walk(top):
            below = len(Path(folder).relative_to(top).parts)
            folders[:] = [] if depth is not None and below >= depth else [
                name for name in folders if not name.startswith(".") and os.path.join(os.path.abspath(folder), name) != skip]
            for name in names:
                path = Path(folder) / name
                relative = path.relative_to(root).as_posix()
                if any(pattern.fullmatch(relative) for pattern in patterns) and not path.is_symlink():
                    found.add(relative)
    return sorted(found)


def _fixed_start(glob: str) -> str:
    """The folder a glob starts in: its leading parts without wildcards."""
    fixed = []
    for part in glob.split("/")[:-1]:
        if any(char in part for char in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


def _glob_pattern(glob: str) -> re.Pattern[str]:
    """A glob as a regex over '/'-separated relative paths: ``**/`` any folders (none too), ``*`` and ``?`` within one."""
    out, index = "", 0
    while index < len(glob):
        if glob.startswith("**/", index):
            out, index = out + "(?:[^/]+/)*", index + 3
        elif glob.startswith("**", index):
            out, index = out + ".*", index + 2
        elif glob[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif glob[index] == "?":
            out, index = out + "[^/]", index + 1
        else:
            out, index = out + re.escape(glob[index]), index + 1
    return re.compile(out)


def read_worktree(path: Path) -> str | None:
    """A ``Reader`` of files in the working tree; a link is refused, bytes that are not UTF-8 are kept for the compile."""
    refuse_link(path, "test file")
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one test case, and for a failure the first line of its message."""

    outcome: str
    message: str = ""
    nightly_tier: bool = False  # a check of the nightly tier that a pull-request run skipped


def parse_junit(paths: Iterable[Path], idents: dict[str, str]) -> dict[str, dict[str, CaseResult]]:
    """Results of the test cases of per-model files: model type -> {test id: result}.

    A test case belongs to the model type whose ``test_hf_<ident>`` module appears in its ``classname``
    (or, for collection errors, its ``name``); cases of the team's own ``test_hf_<ident>_extra`` module
    count for the model type too, with ids under ``extra::``. Others are ignored.
    """
    results: dict[str, dict[str, CaseResult]] = {}
    seen: dict[tuple[str, str], Path] = {}
    for path in paths:
        for case in check_results.read_junit(path).iter("testcase"):
            located = _locate(case)
            if located is None:
                continue
            ident, test_id = located[0], printable(located[1])  # ids come from the tested code
            if ident not in idents and ident.endswith(EXTRA_SUFFIX) and ident.removesuffix(EXTRA_SUFFIX) in idents:
                ident, test_id = ident.removesuffix(EXTRA_SUFFIX), f"extra::{test_id}"
            if ident not in idents:
                continue
            model_type, result = idents[ident], _case_result(case)
            earlier = results.setdefault(model_type, {}).setdefault(test_id, result)
            if earlier.outcome != result.outcome:
                raise HfguardError(Problem(f"test '{test_id}' of '{model_type}' is {earlier.outcome} in {seen[(model_type, test_id)]} but {result.outcome} here", path))
            seen[(model_type, test_id)] = path
    return results


_MODULE = re.compile(r"^test_hf_(\w+)$")
MESSAGE_WIDTH = 200  # characters kept of a failure's first line
LOST_CHECKS_SHOWN = 5  # checks named per model type in the delta (a newly failing type loses them all)


def _locate(case: ET.Element) -> tuple[str, str] | None:
    """(identifier, test id) of a test case, from its ``classname`` or collection-error ``name``."""
    classname, name = case.get("classname", ""), case.get("name", "")
    parts = classname.split(".") if classname else []
    for index, part in enumerate(parts):
        if match := _MODULE.match(part):
            return match.group(1), "::".join([*parts[index + 1 :], name])
    for part in re.split(r"[./\\]", name.removesuffix(".py")):
        if match := _MODULE.match(part):
            return match.group(1), "<collection>"
    return None


def _case_result(case: ET.Element) -> CaseResult:
    """A test case's coverage outcome (errors count as failed, xfail as skipped) and a failure's first line."""
    result = check_results.case_result(case)
    outcome = {"error": "failed", "xfail": "skipped"}.get(result.status, result.status)
    return CaseResult(outcome, _clip(result.message) if outcome == "failed" else "", check_results.skipped_for_tier(result))


def _clip(line: str) -> str:
    """A failure's first line, at most ``MESSAGE_WIDTH`` characters."""
    return line if len(line) <= MESSAGE_WIDTH else line[: MESSAGE_WIDTH - 1] + "…"


def merge_reports(reports: list[tuple[str, Report]]) -> Report:
    """Join shard reports of one revision: the same model types, test outcomes united.

    Shards must agree on the denominator and on each model type's family, file and verification,
    and no test may have two outcomes; anything else is a clear error naming both reports.
    """
    if not reports:
        raise HfguardError("nothing to merge")
    first_name, first = reports[0]
    merged = Report(first.denominator, first.transformers_version, first.has_results,
                    {name: ModelCoverage(m.family, m.file, m.verified, m.detail, dict(m.tests), dict(m.errors), list(m.team_files))
                     for name, m in first.models.items()}, first.team)
    for source, report in reports[1:]:
        for attribute in ("denominator", "transformers_version"):
            if getattr(report, attribute) != getattr(first, attribute):
                raise HfguardError(f"{first_name} and {source} disagree on {attribute}: {getattr(first, attribute)!r} vs {getattr(report, attribute)!r}")
        if set(report.models) != set(merged.models):
            extra = sorted(set(report.models) ^ set(merged.models))
            raise HfguardError(f"{first_name} and {source} count different model types ({', '.join(extra[:5])}); were they made from the same revision?")
        for name, item in report.models.items():
            into = merged.models[name]
            if (item.family, item.file, item.verified) != (into.family, into.file, into.verified):
                raise HfguardError(f"{first_name} and {source} disagree on '{name}': {into.family}/{into.file}/verified={into.verified} vs {item.family}/{item.file}/verified={item.verified}")
            for test_id, outcome in item.tests.items():
                if into.tests.setdefault(test_id, outcome) != outcome:
                    raise HfguardError(f"{first_name} and {source} disagree on test '{test_id}' of '{name}': {into.tests[test_id]} vs {outcome}")
            into.errors.update(item.errors)
        merged.has_results = merged.has_results or report.has_results
    return merged


CATEGORIES = {
    "newly_covered": "Newly covered",
    "lost": "Lost (still registered, no longer covered)",
    "removed": "Removed from the registry",
    "newly_failing": "Newly failing",
    "fixed": "Fixed (failing before, passing now)",
}
DROPS = ("lost", "newly_failing")  # the categories --fail-on-drop counts; a removal is intended


def compute_delta(base: Report, head: Report, base_label: str) -> dict[str, Any]:
    """How ``head`` differs from ``base``; a model type absent from a side counts as ``missing`` there,
    and one that only ``base`` counts was removed from the registry (not lost)."""
    def level(report: Report, name: str) -> str:
        return report.models[name].level if name in report.models else "missing"

    pairs = {name: (level(base, name), item.level) for name, item in sorted(head.models.items())}
    categories = {
        "newly_covered": [n for n, (b, h) in pairs.items() if b == "missing" and h != "missing"],
        "lost": [n for n, (b, h) in pairs.items() if b != "missing" and h == "missing"],
        "removed": sorted(set(base.models) - set(head.models)),
        "newly_failing": [n for n, (b, h) in pairs.items() if h == "failing" and b != "failing"],
        "fixed": [n for n, (b, h) in pairs.items() if b == "failing" and h == "passing"],
    }
    lost_checks = {n: lost for n in sorted(set(base.models) & set(head.models))
                   if (lost := check_results.lost_checks(base.models[n].tests, head.models[n].tests))}
    check_counts = {}  # per model type both ran checks of: passing of the checks both ran, one denominator on each side
    for name in sorted(set(base.models) & set(head.models)):
        before, after = base.models[name].tests, head.models[name].tests
        if both := check_results.ran_checks(before) & check_results.ran_checks(after):
            check_counts[name] = {"base": list(check_results.passing_of_applicable(before, both)),
                                  "head": list(check_results.passing_of_applicable(after, both))}
    base_families, head_families = group_by_family(base.models), group_by_family(head.models)
    families = {
        family: {"base": summarize(base_families.get(family, {}).values()), "head": summarize(head_families.get(family, {}).values())}
        for family in [*head_families, *(f for f in base_families if f not in head_families)]
    }
    common = set(base.models) & set(head.models)
    return {
        "base_label": base_label,
        "base_has_results": base.has_results,
        "overall": {"base": summarize(base.models.values()), "head": summarize(head.models.values())},
        "common": {side: summarize(m for name, m in report.models.items() if name in common) for side, report in (("base", base), ("head", head))},
        "families": families,
        **categories,
        "lost_checks": lost_checks,
        "check_counts": check_counts,
    }


def drop_reasons(delta: dict[str, Any]) -> list[str]:
    """Why ``delta`` is a coverage drop (empty: it is not): registered model types lost or newly failing (only
    against a base with test results), or a lower percentage on a comparable measure. Model types removed from
    the registry never count; failing tests fail a run on their own."""
    # "newly" needs a base with results: against git objects, a failing type may have failed there too
    drops = DROPS if delta["base_has_results"] else tuple(key for key in DROPS if key != "newly_failing")
    reasons = [f"{CATEGORIES[key].split(' (')[0].lower()}: {', '.join(delta[key])}" for key in drops if delta[key]]
    if delta.get("lost_checks"):
        reasons.append("checks lost: " + "; ".join(f"{name} ({', '.join(checks)})" for name, checks in delta["lost_checks"].items()))
    compared = delta.get("common", delta["overall"])  # percentages over the model types both sides count
    base, head = compared["base"], compared["head"]
    if head["generated_pct"] < base["generated_pct"]:
        reasons.append(f"generated {base['generated_pct']}% -> {head['generated_pct']}% of the model types both count")
    if delta["base_has_results"] and head["passing_pct"] < base["passing_pct"]:
        reasons.append(f"passing {base['passing_pct']}% -> {head['passing_pct']}% of the model types both count")
    return reasons


def is_drop(delta: dict[str, Any]) -> bool:
    """A coverage drop (see ``drop_reasons``)."""
    return bool(drop_reasons(delta))


def delta_points(delta: dict[str, Any], measure: str) -> tuple[str, str]:
    """The measure compared with the base and its change in points (``+2.5``).

    That is ``measure``, or ``generated`` when the base has no test results: it has no passing figure.
    """
    compared = measure if delta["base_has_results"] else "generated"
    base, head = delta["overall"]["base"], delta["overall"]["head"]
    return compared, f"{head[f'{compared}_pct'] - base[f'{compared}_pct']:+.1f}"


def render_markdown(report: Report, delta: dict[str, Any] | None = None, max_items: int | None = None,
                    run_url: str | None = None, markup: Markup = GITHUB) -> str:
    """The report (and delta) as Markdown for ``markup``'s reader (GitHub, or a terminal); ``max_items`` caps each list
    of model types; ``run_url`` links the job log.

    Nothing is compared that the base cannot say: without test results in the base, only the generated
    measure gets changes, and sections with nothing in them are left out.
    """
    overall = summarize(report.models.values())
    n, label = overall["total"], markup.text(report.denominator_label)
    lines = ["### hfguard coverage", ""]
    if report.has_results:
        lines.append(f"**passing: {overall['passing']} of {n} {label} ({overall['passing_pct']}%)**{_change(delta, 'passing')}  ")
    else:
        lines.append("passing: not run (no test results)  ")
    lines.append(f"test files generated (they compile; not a coverage figure): {overall['covered']} of {n} {label} "
                 f"({overall['generated_pct']}%){_change(delta, 'generated')}")
    if report.nightly_skipped:
        lines.append(f"checks run: the pull-request tier (`HFGUARD_TIER=pr`); {report.nightly_skipped} tests of the nightly "
                     "tier's checks were skipped here and run in the nightly sweep")
    lines += ["", "| family | model types | generated | passing | failing | skipped | missing | passing % |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    compared = delta is not None and delta["base_has_results"]
    for family, items in group_by_family(report.models).items():
        change = delta["families"].get(family) if delta else None
        lines.append(_row(markup.text(family), summarize(items.values()), change, report.has_results, compared))
    lines.append(_row("**all**", overall, delta["overall"] if delta else None, report.has_results, compared))
    failing = {name: item for name, item in sorted(report.models.items()) if item.level == "failing"}
    if failing:
        lines += ["", f"#### Failing ({len(failing)})", ""]
        lines += [f"- {markup.code(name)}{_checks(name, item, delta, ' ({} of {} checks{})')}: {_failure(item, markup)}"
                  for name, item in _capped(failing, max_items)]
        if max_items is not None and len(failing) > max_items:
            lines.append(f"- … and {len(failing) - max_items} more")
    if delta is not None:
        lines += _changes(delta, max_items, markup)
    lines += _team_check_table(report, max_items, markup)
    if report.team is not None:
        lines += _team_section(report, max_items, markup)
    if max_items != 0:
        lines += _model_table(report, max_items, markup, delta)
    if run_url:
        lines += ["", f"[Job log]({run_url})"]
    lines += ["", f"_passing: model types with at least one passed test and no failed one (skips allowed); test files "
              f"generated: model types whose generated file compiles, which says nothing about whether it passes; both out "
              f"of {n} {label}. Percentage changes are in points._"]
    return "\n".join(lines) + "\n"


def _changes(delta: dict[str, Any], max_items: int | None, markup: Markup) -> list[str]:
    """The 'Changes against' section: one line per non-empty category, or one line saying nothing changed."""
    keys = [key for key in CATEGORIES if delta[key] and (delta["base_has_results"] or key not in ("newly_failing", "fixed"))]
    lines = ["", f"#### Changes against {_label(delta['base_label'], markup)}", ""]
    lines += [f"- {CATEGORIES[key]} ({len(delta[key])}): {_names(delta[key], max_items, markup)}" for key in keys]
    if lost := delta.get("lost_checks"):
        named = [f"{markup.code(name)}: {_names(checks, LOST_CHECKS_SHOWN, markup)}" for name, checks in lost.items()]
        rest = len(named) - len(named[:max_items] if max_items is not None else named)
        lines.append(f"- Checks lost ({len(named)}): {'; '.join(named[:max_items] if max_items is not None else named)}"
                     + (f" … and {rest} more" if rest else ""))
    if len(lines) == 3:
        lines.append("No model type changed level.")
    if not delta["base_has_results"]:
        lines += ["", "_The base has no test results (it was read from git objects), so only the generated files are "
                  "compared: failing model types are listed above, not as newly failing or fixed._"]
    return lines


TEAM_SYMBOLS = {"passed": "✓", "failed": "✗", "skipped": "–", "not-applicable": "n/a"}


def team_check_results(item: ModelCoverage) -> dict[str, str]:
    """Team check id (``team:<id>``) -> outcome, of one model type's test results."""
    checks = {check_results.check_id(test.split("::")[-1]): outcome for test, outcome in item.tests.items()
              if not test.startswith("extra::")}
    return {check: outcome for check, outcome in checks.items() if check and check_results.is_team_check(check)}


def _team_check_table(report: Report, max_items: int | None, markup: Markup) -> list[str]:
    """The team's checks (learnt from the test results) per model type, and how many model types pass each; nothing
    when no team check ran."""
    per_model = {name: found for name, item in sorted(report.models.items()) if (found := team_check_results(item))}
    checks = sorted({check for found in per_model.values() for check in found})
    if not checks:
        return []
    ids = [check.removeprefix(check_results.TEAM_PREFIX) for check in checks]
    lines = ["", f"#### Team checks ({len(checks)}: {', '.join(markup.code(i) for i in ids)})", "",
             "| model type | " + " | ".join(markup.code(i, in_table=True) for i in ids) + " |", "|---" * (len(ids) + 1) + "|"]
    for name, found in _capped(per_model, max_items):
        lines.append(f"| {markup.code(name, in_table=True)} | " + " | ".join(TEAM_SYMBOLS.get(found.get(c, ""), "") for c in checks) + " |")
    if max_items is not None and len(per_model) > max_items:
        lines.append(f"| … {len(per_model) - max_items} more |" + " |" * len(ids))
    passing = [sum(found.get(check) == "passed" for found in per_model.values()) for check in checks]
    ran = [sum(found.get(check) in ("passed", "failed") for found in per_model.values()) for check in checks]
    lines.append("| **passing** | " + " | ".join(f"{p} of {r}" for p, r in zip(passing, ran, strict=True)) + " |")
    lines += ["", "_The team's own checks (`hfguard.testing.team_check`), one test per check and model type: ✓ passed, ✗ failed, "
              "– skipped, n/a not applicable._"]
    return lines


def _team_section(report: Report, max_items: int | None, markup: Markup) -> list[str]:
    """The team's own test files: how many count for counted model types, and every name that counts for none, by reason."""
    team = report.team
    assert team is not None
    attributed = sum(len(item.team_files) for item in report.models.values())
    types = sum(bool(item.team_files) for item in report.models.values())
    outside = sum(len(item["files"]) for item in team.unattributed.values())
    globs = ", ".join(markup.code(glob) for glob in team.globs)
    lines = ["", f"#### The team's own test files ({globs})", "",
             f"{attributed} files count for {types} of {len(report.models)} {markup.text(report.denominator_label)} "
             f"(listed per model type below); {outside} files ({len(team.unattributed)} names, known suffixes dropped) "
             "count for none:", ""]
    by_reason: dict[str, list[str]] = {}
    for name, item in team.unattributed.items():
        by_reason.setdefault(str(item.get("reason", "")), []).append(name)
    for reason, names in sorted(by_reason.items(), key=lambda pair: (-len(pair[1]), pair[0])):
        details = {str(team.unattributed[name].get("detail", "")) for name in names}
        shared = details.pop() if len(details) == 1 else None  # said once for the group
        shown = [markup.code(name) + ("" if shared is not None else _why(team.unattributed[name], markup)) for name in names]
        kept = shown if max_items is None else shown[:max_items]
        rest = f" … and {len(shown) - len(kept)} more" if len(kept) < len(shown) else ""
        why = f" ({markup.text(printable(shared, 160))})" if shared else ""
        lines.append(f"- {markup.text(TEAM_LABELS.get(reason, reason))}{why} ({len(names)}): {', '.join(kept)}{rest}")
    return lines


def _why(item: dict[str, Any], markup: Markup) -> str:
    """A name's own reason in parentheses (of an unknown name, only its suggestion: the group says the rest)."""
    detail = str(item.get("detail", ""))
    if item.get("reason") == UNKNOWN:
        detail = detail.partition(" (")[2].removesuffix(")")
    return f" ({markup.text(printable(detail, 120))})" if detail else ""


def _model_table(report: Report, max_items: int | None, markup: Markup, delta: dict[str, Any] | None = None) -> list[str]:
    """Every model type with its level, test tally and first problem, folded in a details block."""
    team = report.team is not None
    lines = ["", f"<details><summary>Model types ({len(report.models)})</summary>", "",
             "| model type | family | level | checks (passing of those that ran) | tests (passed/failed/skipped) | "
             + ("team's own files | " if team else "") + "note |",
             "|---|---|---|---|---|" + ("---|" if team else "") + "---|"]
    for name, item in _capped(dict(sorted(report.models.items())), max_items):
        tally = "/".join(str(list(item.tests.values()).count(o)) for o in OUTCOMES) if item.tests else ""
        checks = _checks(name, item, delta, "{} of {}{}")
        own = f"{_team_cell(item, markup)} | " if team else ""
        lines.append(f"| {markup.code(name, in_table=True)} | {markup.text(item.family)} | {item.level} | {checks} | {tally} | "
                     f"{own}{_cell(item.detail, markup) if item.detail else _failure(item, markup, in_table=True)} |")
    if max_items is not None and len(report.models) > max_items:
        lines.append(f"| … {len(report.models) - max_items} more | | | | | |" + (" |" if team else ""))
    return [*lines, "", "</details>"]


def _team_cell(item: ModelCoverage, markup: Markup) -> str:
    """The team's own files of a model type: how many, and the first one."""
    if not item.team_files:
        return ""
    first = markup.code(item.team_files[0], in_table=True)
    return first if len(item.team_files) == 1 else f"{len(item.team_files)}: {first}, …"


def _capped(items: dict[str, Any], max_items: int | None) -> list[tuple[str, Any]]:
    return list(items.items())[: max_items if max_items is not None else None]


def _change(delta: dict[str, Any] | None, measure: str) -> str:
    if delta is None or measure == "passing" and not delta["base_has_results"]:
        return ""
    base, head = delta["overall"]["base"], delta["overall"]["head"]
    count = "passing" if measure == "passing" else "covered"
    return f" ({head[count] - base[count]:+d}, {head[f'{measure}_pct'] - base[f'{measure}_pct']:+.1f} pts)"


def _row(family: str, counts: dict[str, Any], change: dict[str, Any] | None, has_results: bool, compared: bool) -> str:
    """A family row: counts, the generated change against any base, the passing change only against a base with results."""
    generated = str(counts["covered"])
    if change is not None and counts["covered"] != change["base"]["covered"]:
        generated += f" ({counts['covered'] - change['base']['covered']:+d})"
    if not has_results:
        return "| " + " | ".join([family, str(counts["total"]), generated, "–", "–", "–", str(counts["missing"]), "not run"]) + " |"
    pct = f"{counts['passing_pct']}%"
    if change is not None and compared:
        pct += f" ({counts['passing_pct'] - change['base']['passing_pct']:+.1f})"
    cells = [family, counts["total"], generated, counts["passing"], counts["failing"], counts["skipped"], counts["missing"], pct]
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _names(names: list[str], max_items: int | None, markup: Markup) -> str:
    shown = names if max_items is None else names[:max_items]
    rest = len(names) - len(shown)
    return ", ".join(markup.code(name) for name in shown) + (f" … and {rest} more" if rest else "")


def _failure(item: ModelCoverage, markup: Markup, in_table: bool = False) -> str:
    """The first failure of ``item`` as Markdown: its test id as code, then the first line of the message."""
    failure = item.first_failure()
    if failure is None:
        return ""
    test_id, message = failure
    return f"{markup.code(test_id, in_table=in_table)}: {markup.text(printable(message, 160))}"


def _checks(name: str, item: ModelCoverage, delta: dict[str, Any] | None, form: str) -> str:
    """``form`` filled with the passing checks and the checks that apply (``14 of 14``); against a base that ran checks
    of it too, over the checks both ran, with the base's figure (``0 of 21; 21 of 21 at the base``); empty without results."""
    both = (delta or {}).get("check_counts", {}).get(name)
    if both is not None:
        return form.format(*both["head"], f"; {both['base'][0]} of {both['base'][1]} at the base")
    passing, applicable = check_results.passing_of_applicable(item.tests)
    return form.format(passing, applicable, "") if applicable else ""


def _cell(text: str, markup: Markup) -> str:
    return markup.text(printable(text, 160))


def _label(label: str, markup: Markup) -> str:
    """A base label (``report `x.json```, ``merge base `sha` of `ref```): its backquoted parts as code, the rest as text."""
    parts = re.split(r"`([^`]*)`", label)
    return "".join(markup.code(part) if odd else markup.text(part) for odd, part in zip([0, 1] * len(parts), parts))


def render_badge(report: Report) -> str:
    """A flat SVG badge of the headline figure."""
    measure, pct = report.headline()
    label, value = "hf passing" if measure == "passing" else "hf files generated", f"{pct:g}%"
    color = "#4c1" if pct >= 90 else "#dfb317" if pct >= 60 else "#e05d44"
    left, right = 7 * len(label) + 10, 7 * len(value) + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + right}" height="20" role="img" aria-label="{label}: {value}">'
        f"<title>{label}: {value}</title>"
        f'<rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{label}</text><text x="{left + right / 2}" y="14">{value}</text></g></svg>\n'
    )


def report_at_revision(project: Path, ref: str, head_catalogue: Catalogue) -> tuple[Report, str]:
    """Coverage without results at the merge base of ``ref`` and HEAD, read from git objects."""
    from hfguard.changes import Revision, compare, open_repo

    project = project.resolve()
    repo = open_repo(project)
    comparison = compare(repo, ref)
    if comparison.base is None:
        return Report("registry", head_catalogue.transformers_version, False, {}), f"'{ref}' (nothing: a new branch)"
    revision = Revision(comparison.base, Path(repo.working_tree_dir).resolve())
    config = revision.config(project)
    label = f"merge base `{comparison.base.hexsha[:10]}` of `{ref}`"
    if config is None:
        return Report("registry", head_catalogue.transformers_version, False, {}), label
    catalogue = revision.catalogue(project) or head_catalogue
    return build_report(config, catalogue, revision.read), label


def current_report(config_path: Path | None = None, junit: Iterable[Path] = ()) -> Report:
    """Coverage of the working tree's registry (the catalogue from ``hfguard.lock`` when present), with the team's
    own test files."""
    config = load_config(config_path)
    catalogue = load_catalogue(config.lock_path)
    return build_report(config, catalogue, read_worktree, junit, team_test_files(config, catalogue))


def delta_against(head: Report, base_ref: str | None, base_report: Path | None, config_path: Path | None = None) -> dict[str, Any] | None:
    """The delta of ``head`` against a stored report or a git revision; None when neither is given."""
    if base_report is not None:
        return compute_delta(load_report(base_report), head, f"report `{base_report.name}`")
    if base_ref is None:
        return None
    config = load_config(config_path)
    base, label = report_at_revision(config.root, base_ref, load_catalogue(config.lock_path))
    return compute_delta(base, head, label)
