"""``hfguard adopt``: register the model types a repository's own ``test_hf_*.py`` files are named after, losing nothing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from hfguard.errors import run_reporting_errors, shown_path

if TYPE_CHECKING:
    from hfguard.adopt import Plan, TestFile
    from hfguard.config import Config


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard adopt``."""
    parser = argparse.ArgumentParser(
        prog="hfguard adopt",
        description=(
            "Find every tracked test_hf_*.py of the repository, map each name to a model type (or say why it is none), "
            "add the model types 'hfguard generate' accepts to the registry, move only the files that would collide with "
            "a generated one to test_hf_<type>_extra.py in the same folder (git mv; content unchanged), and record the "
            "files already broken in hfguard-baseline.json, so the hooks block new breakage and count the old. "
            "Ends with one summary line; the full plan goes to .hfguard-logs/adopt.log."
        ),
    )
    parser.add_argument("--dry-run", action="store_true", help="show the plan; change nothing in the repository (the log is written)")
    parser.add_argument("--config", type=Path, help="registry file (default: found from the working directory)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Find, map, plan, apply (unless --dry-run), report; 0 done, 1 when a file could not move (both names taken)."""
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from hfguard import adopt
    from hfguard.project import load_project

    project = load_project(args.config)
    config = project.config
    plan = adopt.make_plan(config, project.catalogue)
    notes = [] if args.dry_run else adopt.apply(plan, config)
    log = adopt.write_log(config.root, adopt.log_text(plan, config))
    for line in describe(plan, config, applied=not args.dry_run):
        print(line)
    for note in notes:
        print(f"note: {note}")
    print(f"full plan: {shown_path(log)}")
    print(adopt.summary_line(plan, config, applied=not args.dry_run))
    if not args.dry_run and plan.files:
        print("next: 'hfguard generate', then commit everything (the hooks verify the generated files; the baseline "
              "keeps the files already broken from failing the commit)")
    return 1 if any(move.blocked for move in plan.moves) else 0


def describe(plan: Plan, config: Config, applied: bool) -> list[str]:
    """What adopting found and does (or did): counts per reason with the first names, the registry, moves, debt."""
    from hfguard import adopt
    from hfguard.baseline import baseline_path
    from hfguard.naming import EXPLAINED, LABELS, MAPPED
    from hfguard.names import printable

    if not plan.files:
        return [f"no {adopt.PATTERN} files tracked in {shown_path(config.root)}; nothing to adopt"]
    folders = len({str(Path(item.relative).parent) for item in plan.files})
    lines = [f"found {adopt.counted(len(plan.files), 'file')} named {adopt.PATTERN} in {adopt.counted(folders, 'folder')}: "
             f"{adopt.counted(len(plan.namings), 'distinct name')} "
             f"(model types of transformers {plan.transformers_version})"]
    by_reason: dict[str, list[str]] = {}
    for name in sorted(plan.namings):
        by_reason.setdefault(plan.how(name), []).append(name)
    labels = {**LABELS, adopt.CANNOT_GENERATE: "cannot be generated"}
    width = max(len(label) for label in labels.values())
    for title, keys in (("mapped to a model type:", MAPPED), ("explained, no registry entry:", (*EXPLAINED, adopt.CANNOT_GENERATE))):
        rows = [key for key in keys if by_reason.get(key)]
        if rows:
            lines.append(title)
        for key in rows:
            shown = list(dict.fromkeys(_named(plan, name, key) for name in by_reason[key]))  # suffixed variants once
            listed = ", ".join(shown[: adopt.SHOWN_PER_REASON])
            more = f", ... {len(shown) - adopt.SHOWN_PER_REASON:,} more" if len(shown) > adopt.SHOWN_PER_REASON else ""
            common = _common_reason(plan, by_reason[key], key)
            lines.append(printable(f"  {labels[key]:<{width}} {len(by_reason[key]):>5,}  {listed}{more}{common}", 2000))
    verb = "added" if applied else "to add"
    lines.append(f"registry {shown_path(config.path)}: {adopt.counted(len(plan.entries), 'entry')} {verb} ({len(plan.registered):,} there "
                 "already; your lines are kept)" + (f"; team_tests = {plan.team_globs} {verb}" if plan.team_globs and not config.team_tests else ""))
    moves = [move for move in plan.moves if not move.blocked]
    if moves:
        lines.append(f"{'moved' if applied else 'to move'} {adopt.counted(len(moves), 'file')} where a generated one will be written, "
                     "to their _extra name in the same folder (content unchanged):")
        lines += [f"  {shown_path(move.source.path)} -> {move.target.name}" for move in moves]
    for move in plan.moves:
        if move.blocked:
            lines.append(f"{shown_path(move.source.path)}: hand-written, but {shown_path(move.target)} exists too: merge the two "
                         "by hand, then run 'hfguard adopt' again")
    for item in adopt.edited_generated(plan):
        lines.append(f"{shown_path(item.path)}: generated by hfguard and edited by hand; 'hfguard generate' backs up the edit "
                     "before it rewrites the file (put your own tests in the _extra file)")
    if plan.broken:
        where = "recorded in" if applied else "to record in"
        lines.append(f"already broken: {adopt.counted(len(plan.broken), 'file')}, {where} {shown_path(baseline_path(config.root))} "
                     f"({plan.baselined_before:,} there already): 'hfguard verify' counts them and fails only new breakage; "
                     "docs/adoption.md says how to pay them down")
        lines += [f"  {_finding_line(item)}" for item in plan.broken[: adopt.SHOWN_BROKEN]]
        if len(plan.broken) > adopt.SHOWN_BROKEN:
            lines.append(f"  ... {len(plan.broken) - adopt.SHOWN_BROKEN:,} more (all in the log)")
    if plan.untracked_broken:
        lines.append(f"broken and not as git tracks them: {adopt.counted(len(plan.untracked_broken), 'file')} (not debt: fix them before "
                     "committing, or commit them first and run 'hfguard adopt' again):")
        lines += [f"  {_finding_line(item)}" for item in plan.untracked_broken[: adopt.SHOWN_BROKEN]]
    if plan.links:
        lines.append(f"symbolic links named {adopt.PATTERN}: {len(plan.links):,}, not followed (listed in the log; "
                     "'hfguard verify' reports them too)")
    return lines


def _named(plan: Plan, name: str, key: str) -> str:
    """A name as listed under its reason: the model type it maps to, or what explains it when that differs per name."""
    from hfguard import naming as rules
    from hfguard.adopt import CANNOT_GENERATE

    found = plan.namings[name]
    core = found.core
    if key == CANNOT_GENERATE:
        why = plan.refused[found.model_type or ""].split(";")[0]
        return f"{core} ({why if len(why) <= 50 else why[:49] + '…'})"
    if found.model_type is not None:
        shown = core if key == rules.CHECKPOINT else name
        return shown if found.model_type == shown else f"{shown} -> {found.model_type}"
    if key == rules.UNKNOWN and "(" in found.reason:
        return f"{core} ({found.reason.split('(', 1)[1].rstrip(')')})"
    return f"{core} ({found.reason})" if key == rules.NOT_TRANSFORMERS else core


def _common_reason(plan: Plan, names: list[str], key: str) -> str:
    """The reason every name of a group shares (removed, generic, unknown), said once."""
    from hfguard import naming as rules

    if key not in (rules.REMOVED, rules.GENERIC, rules.UNKNOWN):
        return ""
    reasons = {plan.namings[name].reason.split(" (")[0].split(";")[0] for name in names}
    return f" ({reasons.pop()})" if len(reasons) == 1 else ""


def _finding_line(item: TestFile) -> str:
    """``path:line: CODE message`` of a broken file."""
    from hfguard.names import printable

    finding = item.finding
    return printable(f"{shown_path(item.path)}:{finding.line}: {finding.code} {finding.message}" if finding else shown_path(item.path), 300)
