"""Per-check results of generated tests, read from JUnit XML.

A generated test is named ``test_<check id>``; its JUnit case tells whether the check passed, failed, errored,
was skipped, was expected to fail (a recorded upstream bug), or does not apply to the model (a skip whose
message starts ``not applicable: ``, the reason after it). A check that does not apply never counts as passing.

A team check (``hfguard.testing.team_check``) runs as ``test_team_check[<id>]``; its results are the check
``team:<id>`` everywhere (coverage, the comment, the dashboard, ``compare``, ``mutate``), so that which team checks
exist is learnt from the test results alone and a team check is always marked as the team's.
A passed check's message is empty, except where an upstream bug is recorded for a transformers version other than
the one that ran: then it is the news ("fixed upstream in transformers 5.25.0: ...", the case's JUnit property
``hfguard_bug_passes``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hfguard.errors import HfguardError, Problem

# A full sweep's report is a few MB; a parse takes about ten times a file's size in memory, so a larger file is refused.
MAX_JUNIT_BYTES = 32 * 2**20
STATUSES = ("passed", "failed", "error", "skipped", "xfail", "not-applicable")
NOT_APPLICABLE = "not applicable: "  # hfguard.testing.case.NOT_APPLICABLE: the runtime's skip message for it
NIGHTLY_TIER = "nightly tier: "  # hfguard.testing.case.NIGHTLY_TIER: a nightly-tier check skipped by a pull-request run
_TEST = re.compile(r"^test_(\w+?)(?:\[.*\])?$")
_TEAM_TEST = re.compile(r"^test_team_check\[(.+)\]$")  # hfguard.testing.team.TEST_NAME, parametrized by the check id
TEAM_PREFIX = "team:"  # the check id of a team check in results: team:<its id>
_EXCEPTION_PREFIX = re.compile(r"^(?:AssertionError|Failed|[\w.]*CheckFailure): ")
BUG_PASSES_PROPERTY = "hfguard_bug_passes"  # hfguard.testing.case.BUG_PASSES_PROPERTY


@dataclass(frozen=True)
class CheckResult:
    """How one check of one model type fared."""

    status: str
    message: str = ""  # one line: the first error line, or the reason
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_junit(path: Path) -> ET.Element:
    """The root element of the JUnit XML file at ``path``; one line naming the file when it is unreadable, not XML, or
    larger than ``MAX_JUNIT_BYTES``."""
    try:
        size = path.stat().st_size
        if size > MAX_JUNIT_BYTES:
            raise HfguardError(Problem(f"JUnit XML of {size / 2**20:.0f} MiB, over hfguard's limit of {MAX_JUNIT_BYTES // 2**20} MiB: "
                                       "is it the report of the generated tests? Split the run (--shard) if it is", path))
        return ET.parse(path).getroot()
    except OSError as error:
        raise HfguardError(Problem(f"cannot read JUnit XML: {error.strerror}", path)) from None
    except ET.ParseError as error:
        raise HfguardError(Problem(f"not JUnit XML: {error}", path, *error.position)) from None


def check_id(test_name: str) -> str | None:
    """The check id of a generated test's name (``test_save_load`` -> ``save_load``,
    ``test_team_check[predict_matches_forward]`` -> ``team:predict_matches_forward``), or None."""
    if team := _TEAM_TEST.match(test_name):
        return TEAM_PREFIX + team.group(1)
    match = _TEST.match(test_name)
    return match.group(1) if match else None


def is_team_check(check: str) -> bool:
    """Whether a check id of the results is a team check's (``team:<id>``)."""
    return check.startswith(TEAM_PREFIX)


def split_checks(checks: Iterable[str]) -> tuple[list[str], list[str]]:
    """(built-in checks, team checks) of ``checks``, each in the order given."""
    checks = list(checks)
    return [c for c in checks if not is_team_check(c)], [c for c in checks if is_team_check(c)]


def case_result(case: ET.Element) -> CheckResult:
    """The result of one JUnit test case."""
    seconds = round(float(case.get("time", 0) or 0), 3)
    problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
    if problem is None:
        news = next((p.get("value", "") for p in case.iter("property") if p.get("name") == BUG_PASSES_PROPERTY), "")
        return CheckResult("passed", news[:300], seconds)
    message = first_line(problem)
    if problem.tag == "failure":
        return CheckResult("failed", message, seconds)
    if problem.tag == "error":
        return CheckResult("error", message, seconds)
    if problem.get("type") == "pytest.xfail":
        return CheckResult("xfail", message, seconds)
    if message.startswith(NOT_APPLICABLE):
        return CheckResult("not-applicable", message[len(NOT_APPLICABLE):], seconds)
    return CheckResult("skipped", message, seconds)


def outcome(case: ET.Element) -> str:
    """The coverage outcome of a test case: passed, failed (failures and errors), not-applicable or skipped (xfail too)."""
    status = case_result(case).status
    return {"error": "failed", "xfail": "skipped"}.get(status, status)


def first_line(element: ET.Element) -> str:
    """The first non-empty line of a failure, error or skip: its message attribute, else its text."""
    text = (element.get("message") or element.text or "").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = _EXCEPTION_PREFIX.sub("", lines[0]) if lines else element.tag
    return line[:300]


def tally(per_model: Iterable[Mapping[str, CheckResult]]) -> dict[str, dict[str, int]]:
    """check id -> count per status, over model types."""
    table: dict[str, dict[str, int]] = {}
    for checks in per_model:
        for check, result in checks.items():
            row = table.setdefault(check, dict.fromkeys(STATUSES, 0))
            row[result.status] += 1
    return {check: {status.replace("-", "_"): count for status, count in row.items()} for check, row in table.items()}


def _checks(outcomes: Mapping[str, str]) -> dict[str, str]:
    """check id -> outcome, from a model type's test outcomes (test id -> outcome); the team's own ``extra::`` tests
    are no checks."""
    checks = {}
    for test, result in outcomes.items():
        if not test.startswith("extra::") and (check := check_id(test.split("::")[-1])) is not None:
            checks[check] = result
    return checks


def ran_checks(outcomes: Mapping[str, str]) -> set[str]:
    """The checks of one model type that ran: a check that does not apply, or was skipped (no accelerator, a missing
    package, an expected upstream failure), did not."""
    return {check for check, result in _checks(outcomes).items() if result not in ("not-applicable", "skipped")}


def passing_of_applicable(outcomes: Mapping[str, str], among: Collection[str] | None = None) -> tuple[int, int]:
    """(passing checks, checks that apply and ran) of one model type (see ``ran_checks``), counted ``among`` these checks
    when given: two runs compared count over the checks both ran, so both figures have one denominator."""
    ran = ran_checks(outcomes) if among is None else ran_checks(outcomes) & set(among)
    checks = _checks(outcomes)
    return sum(checks[check] == "passed" for check in ran), len(ran)


def lost_checks(base: Mapping[str, str], head: Mapping[str, str]) -> list[str]:
    """Checks that passed at the base and do not pass at the head (failing, skipped or gone)."""
    before, after = _checks(base), _checks(head)
    return sorted(check for check, result in before.items() if result == "passed" and after.get(check) != "passed")


def skipped_for_tier(result: Any) -> bool:
    """A check result (status and message) of the nightly tier that a pull-request run (``HFGUARD_TIER=pr``) skipped."""
    return result.status == "skipped" and result.message.startswith(NIGHTLY_TIER)
