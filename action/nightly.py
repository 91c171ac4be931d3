"""The nightly modes of the action: ``sweep`` (one shard), ``report`` (merge, history, dashboard, issue), ``save-history``.

A shard leaves one folder (``hfguard-report/``): its coverage report, its sweep results and generated
tests (``sweep/``), and ``shard.json`` saying which shard of how many it is, under which transformers
(``pinned`` or ``latest``), and which model types every shard runs. The report works from the shards
that exist: a missing shard is named ("shard 2 of 4 missing") and its model types are left out of every
figure, so a lost runner never shows as a coverage drop. With both ``pinned`` and ``latest`` shards,
the report compares them (the upgrade view). History lives on a data branch (``data-branch``), read
back trusting only records of this branch and of scheduled or manual runs; a damaged line is left out with
a note, and a previous night of another branch is never compared with.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from protocol import BADGE, ISSUE_BODY, MARKDOWN, REPORT, REPORT_DIR

from hfguard.errors import HfguardError

if TYPE_CHECKING:
    from inputs import Inputs
    from protocol import Run

    from hfguard import history as history_module
    from hfguard.coverage import Report
    from hfguard.results import Night

SHARD_FILE = "shard.json"
SWEEP = "sweep"
HISTORY = "history.jsonl"
HISTORY_CHART = "coverage-history.svg"
RESULTS = "results.json"
UPGRADE = "upgrade"
DASHBOARD = "dashboard"
DATA_COMMIT = "data-commit"
BASELINE = "baseline"  # what the next night compares with: tonight, plus the last known result of types without one


def sweep_shard(inputs: Inputs, run: Run) -> None:
    """Generate the registry's files, sweep shard ``inputs.shard`` of the registry (its entries with their settings, as
    the pull request's tests run them), and write its coverage report and shard.json."""
    from hfguard.catalogue import load_catalogue
    from hfguard.config import load_config
    from hfguard.sweep import parse_shard, select

    config = load_config(inputs.config)
    if inputs.transformers == "latest" and config.lock_path.is_file():
        check = run.hfguard("lock", "--check", *inputs.config_args, capture=True, ok_codes=(0, 1)).stdout
        print(check, end="")
        new = [m.group(1) for m in re.finditer(r": new model type (\S+) ", check)]
        run.outputs["changed-models"] = " ".join(new)
        run.summary.append(f"New model types in the latest transformers: {', '.join(new) or 'none'}\n")
    if inputs.transformers == "latest" or not config.lock_path.is_file():
        run.hfguard("lock", *inputs.config_args)
    run.hfguard("generate", *inputs.config_args)
    out = (REPORT_DIR / SWEEP).resolve()
    run.hfguard("sweep", *inputs.config_args, "--shard", inputs.shard, "--out", str(out), "--lock", str(config.lock_path),
                "--jobs", str(os.cpu_count() or 2) if inputs.jobs == "auto" else inputs.jobs,
                *(["--install", shlex.join(inputs.install)] if inputs.install else []), ok_codes=(0, 1))
    REPORT_DIR.mkdir(exist_ok=True)
    run.hfguard("coverage", *inputs.config_args, "--junit", str(out / "junit.xml"), "--json", str(REPORT),
                "--markdown", str(MARKDOWN), "--badge", str(BADGE))
    index, count = parse_shard(inputs.shard)
    selection = select(load_catalogue(config.lock_path), out, config)
    plan = {str(k): [item.model_type for item in selection.shard((k, count))] for k in range(1, count + 1)}
    (REPORT_DIR / SHARD_FILE).write_text(json.dumps({"shard": index, "of": count, "transformers": inputs.transformers,
                                                     "plan": plan}, indent=1) + "\n", encoding="utf-8")
    run.outputs["report-path"] = str(REPORT)
    run.summary.insert(0, (out / "results.md").read_text(encoding="utf-8") if (out / "results.md").is_file() else "")


@dataclass
class Flavour:
    """The shards of one transformers flavour (``pinned`` or ``latest``) that reached the report."""

    name: str
    count: int = 0
    folders: dict[int, Path] = field(default_factory=dict)
    plan: dict[str, list[str]] = field(default_factory=dict)

    @property
    def missing(self) -> list[int]:
        return [k for k in range(1, self.count + 1) if k not in self.folders]

    def unknown(self) -> dict[str, str]:
        """Model types of the missing shards -> why they have no result."""
        return {name: f"no result tonight: shard {k} of {self.count} ({self.name}) is missing"
                for k in self.missing for name in self.plan.get(str(k), [])}

    def night(self) -> Night:
        from hfguard.results import load_night, merge_nights

        if not self.folders:
            raise HfguardError(f"every {self.name} shard is missing or has no sweep results ({SWEEP}/{RESULTS})")
        return merge_nights([load_night(folder / SWEEP / RESULTS) for folder in self.folders.values()])


def find_shards(root: Path) -> dict[str, Flavour]:
    """The shards under ``root`` (each a folder with shard.json), by flavour."""
    flavours: dict[str, Flavour] = {}
    for marker in sorted(root.glob(f"**/{SHARD_FILE}")):
        data = _shard_marker(marker)
        flavour = flavours.setdefault(data["transformers"], Flavour(data["transformers"]))
        if flavour.count and flavour.count != data["of"]:
            raise HfguardError(f"{marker}: shard of {data['of']}, but other {flavour.name} shards are of {flavour.count}")
        if data["shard"] in flavour.folders:
            raise HfguardError(f"{marker}: shard {data['shard']} of {data['of']} ({flavour.name}) is there twice")
        flavour.count, flavour.plan = data["of"], flavour.plan or data["plan"]
        if (marker.parent / SWEEP / RESULTS).is_file():  # a shard whose sweep wrote no results counts as missing
            flavour.folders[data["shard"]] = marker.parent
    return flavours


def _shard_marker(marker: Path) -> dict:
    """A shard.json as ``sweep_shard`` writes it; one line naming the file otherwise."""
    from hfguard.names import is_model_type

    try:
        data = json.loads(marker.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HfguardError(f"{marker}: unreadable shard marker ({type(error).__name__}); was it written by run 'sweep'?") from None
    whole = (lambda v: isinstance(v, int) and not isinstance(v, bool))
    plan = data.get("plan") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and whole(data.get("shard")) and whole(data.get("of")) and 1 <= data["shard"] <= data["of"] <= 1000
            and data.get("transformers") in ("pinned", "latest") and isinstance(plan, dict)
            and all(isinstance(names, list) and all(map(is_model_type, names)) for names in plan.values())):
        raise HfguardError(f"{marker}: not a shard marker of run 'sweep' ({{\"shard\": I, \"of\": N, \"transformers\": "
                           "\"pinned\" or \"latest\", \"plan\": {...}}, 1 <= I <= N <= 1000)")
    return data


def _without(report: Report, names: set[str]) -> Report:
    from hfguard.coverage import Report

    return Report(report.denominator, report.transformers_version, report.has_results,
                  {name: item for name, item in report.models.items() if name not in names})


def report(inputs: Inputs, run: Run) -> None:
    """Merge the shards that exist; compare with the previous night; history, chart, dashboard, upgrade view; tracking issue."""
    from hfguard import compare, coverage, dashboard
    from hfguard.escape import markdown_text
    from hfguard.paths import output_folder
    from hfguard.results import TypeResult, load_night, to_json

    output_folder(REPORT_DIR, Path.cwd(), "the report folder").mkdir(exist_ok=True)
    previous_dir = _read_previous(inputs, run, REPORT_DIR)
    main_flavour, other, notes = _flavours(find_shards(inputs.shard_reports), inputs)
    history, baseline_notes = _read_history(run, previous_dir)
    notes += baseline_notes
    compared = history.last is None or history.last.get("branch") == run.env.get("GITHUB_REF_NAME", "")  # a night of this branch
    unknown = main_flavour.unknown()
    run.hfguard("coverage", "merge", *(str(folder / REPORT.name) for folder in main_flavour.folders.values()), "-o", str(REPORT))
    merged = coverage.load_report(REPORT)
    counted = _without(merged, set(unknown))
    previous = coverage.load_report(previous_dir / REPORT.name) if compared and (previous_dir / REPORT.name).is_file() else None
    delta = coverage.compute_delta(_without(previous, set(unknown)), counted, "the previous nightly run") if previous else None
    coverage.write_report(merged, REPORT, delta)
    markdown = "".join(f"> **{markdown_text(note)}**\n\n" for note in notes) + coverage.render_markdown(counted, delta)
    BADGE.write_text(coverage.render_badge(counted), encoding="utf-8")

    night = main_flavour.night()
    last = load_night(previous_dir / RESULTS) if compared and (previous_dir / RESULTS).is_file() else None
    (REPORT_DIR / RESULTS).write_text(json.dumps(to_json(night), indent=1) + "\n", encoding="utf-8")
    _write_baseline(REPORT_DIR / BASELINE, merged, previous, night, last, set(unknown), REPORT.name)
    for name, why in unknown.items():  # listed, with the reason they have no result
        family = merged.models[name].family if name in merged.models else "unknown"
        night.models.setdefault(name, TypeResult(name, family, "no-result", why))
    records = _record_night(run, night, history.records, previous_dir, REPORT_DIR, main_flavour, set(unknown))

    upgrade = None
    if other is not None:
        left_out = set(unknown) | set(other.unknown())
        upgrade = compare.compare(night.without(left_out), other.night().without(left_out),
                                  f"{main_flavour.name} transformers", f"{other.name} transformers")
        (REPORT_DIR / f"{UPGRADE}.json").write_text(compare.render_json(upgrade), encoding="utf-8")
        upgrade_markdown = compare.render_markdown(upgrade, max_items=50)
        (REPORT_DIR / f"{UPGRADE}.md").write_text(upgrade_markdown, encoding="utf-8")
        markdown += "\n" + upgrade_markdown
    MARKDOWN.write_text(markdown, encoding="utf-8")
    page = dashboard.build(dashboard.Dashboard(night, last, records, upgrade, unknown, notes,
                                               title=f"hfguard: {run.env.get('GITHUB_REPOSITORY', 'nightly')}"), REPORT_DIR / DASHBOARD)
    shutil.copyfile(REPORT_DIR / HISTORY, page.parent / HISTORY)
    measure, pct = counted.headline()
    run.outputs.update({"coverage": f"{pct:g}", "report-path": str(REPORT), "dashboard-path": str(page.parent)})
    run.summary.insert(0, markdown)
    if delta is not None:
        run.outputs["delta"] = coverage.delta_points(delta, measure)[1]
    dropped = delta is not None and coverage.is_drop(delta)
    if dropped or (upgrade is not None and upgrade["newly_failing"]):  # the GitHub step opens or updates the tracking issue
        why = "Coverage dropped against the previous nightly run." if dropped else "Model types fail under the latest transformers."
        ISSUE_BODY.write_text(f"{why}\n\n{markdown}", encoding="utf-8")
        run.outputs["github"] = "issue"


def _read_previous(inputs: Inputs, run: Run, report_dir: Path) -> Path:
    """The folder of the previous night: read from the data branch (its commit noted for save-history), or ``previous-dir``."""
    if not inputs.data_branch:
        return inputs.previous_dir
    from data_branch import read

    folder = report_dir / "previous"
    commit = read(run.env, inputs.data_branch, folder)
    (report_dir / DATA_COMMIT).write_text(commit + "\n", encoding="utf-8")
    run.outputs["data-commit"] = commit
    print(f"hfguard: history from {inputs.data_branch} at {commit[:10]}" if commit else f"hfguard: no {inputs.data_branch} branch yet")
    return folder


def _flavours(flavours: dict[str, Flavour], inputs: Inputs) -> tuple[Flavour, Flavour | None, list[str]]:
    """The flavour the night is about (``transformers`` input), the other one (the upgrade view), and what is missing."""
    if not flavours:
        raise HfguardError(f"no shard ({SHARD_FILE}) under {inputs.shard_reports}: every sweep shard failed to upload")
    main_flavour = flavours.get(inputs.transformers) or flavours[sorted(flavours)[0]]
    if not main_flavour.folders:
        raise HfguardError(f"all {main_flavour.count} {main_flavour.name} shards are missing or have no sweep results: no night to report")
    other = next((f for name, f in sorted(flavours.items()) if name != main_flavour.name), None)
    notes = [] if main_flavour.name == inputs.transformers else [
        f"No {inputs.transformers} shard arrived: tonight's figures are those of the {main_flavour.name} transformers."]
    if other is not None and not other.folders:
        notes.append(f"Every {other.name} shard is missing: no upgrade view tonight.")
        other = None
    notes += [f"Shard {k} of {main_flavour.count} ({main_flavour.name}) is missing: its "
              f"{len(main_flavour.plan.get(str(k), []))} model types have no result tonight and are left out of every figure "
              "(not a coverage drop)." for k in main_flavour.missing]
    if other is not None:
        notes += [f"Shard {k} of {other.count} ({other.name}) is missing: the upgrade view leaves its model types out." for k in other.missing]
    return main_flavour, other, notes


def _write_baseline(folder: Path, merged: Report, previous: Report | None, night: Night, last: Night | None,
                    unknown: set[str], report_name: str) -> None:
    """What the next night compares with (the data branch's files): tonight, plus the last known result of ``unknown`` types."""
    from hfguard import coverage
    from hfguard.coverage import Report
    from hfguard.results import Night, to_json

    folder.mkdir(exist_ok=True)
    kept = {name: previous.models[name] for name in unknown if previous is not None and name in previous.models}
    coverage.write_report(Report(merged.denominator, merged.transformers_version, merged.has_results, {**merged.models, **kept}),
                          folder / report_name)
    known = {name: last.models[name] for name in unknown if last is not None and name in last.models}
    carried = Night({**night.models, **known}, night.transformers_version, night.wall_seconds)
    (folder / RESULTS).write_text(json.dumps(to_json(carried), indent=1) + "\n", encoding="utf-8")


def _read_history(run: Run, previous_dir: Path) -> tuple[history_module.History, list[str]]:
    """The previous nights (trusting only this branch's scheduled and manual nights), and notes on what was left out:
    damaged lines, and a previous night of another branch, which tonight is not compared with."""
    from hfguard import history

    branch = run.env.get("GITHUB_REF_NAME", "")
    found = history.read_history(previous_dir / HISTORY, branch, history.TRUSTED_EVENTS)
    if found.untrusted:
        print(f"hfguard: {found.untrusted} history records of another branch or event are not trusted and left out")
    notes = [history.damaged_note(HISTORY, found.damaged) + "."] if found.damaged else []
    if found.last is not None and found.last.get("branch") != branch:
        notes.append(f"The previous night on record is of branch '{found.last.get('branch')}', not of '{branch}': tonight is not "
                     "compared with it (no delta, no tracking issue for a drop).")
    for note in notes:
        print(f"hfguard: {note}")
    return found, notes


def _record_night(run: Run, night: Night, records: list[dict], previous_dir: Path, report_dir: Path, flavour: Flavour,
                  unknown: set[str]) -> list[dict]:
    """Append tonight to the history after the trusted ``records``; the trusted records, tonight last."""
    from hfguard import charts, history

    branch, event = run.env.get("GITHUB_REF_NAME", ""), run.env.get("GITHUB_EVENT_NAME", "")
    record = history.make_record(night, records, date=time.strftime("%Y-%m-%d"), sha=run.env.get("GITHUB_SHA", ""),
                                 run_id=run.env.get("GITHUB_RUN_ID", ""), branch=branch, event=event, unknown=unknown,
                                 missing_shards=flavour.missing, shards=flavour.count)
    if (previous_dir / HISTORY).is_file():  # every earlier line is kept as it is, damaged ones too (they are only left out)
        shutil.copyfile(previous_dir / HISTORY, report_dir / HISTORY)
    history.append_record(report_dir / HISTORY, record)
    shutil.copyfile(report_dir / HISTORY, report_dir / BASELINE / HISTORY)
    (report_dir / HISTORY_CHART).write_text(charts.render_trend([*records, record]), encoding="utf-8")
    return [*records, record]


def save_history(inputs: Inputs, run: Run) -> None:
    """Commit the night's history and results (``previous-dir``: the report job's folder) on the data branch."""
    from data_branch import save

    if not inputs.data_branch:
        raise HfguardError("run 'save-history' needs the input 'data-branch'")
    source = inputs.previous_dir / BASELINE
    base_file = inputs.previous_dir / DATA_COMMIT
    if not base_file.is_file():
        raise HfguardError(f"no {DATA_COMMIT} in {source}: is it the folder the report job uploaded?")
    base = base_file.read_text(encoding="utf-8").strip()
    commit = save(run.env, inputs.data_branch, base, source, f"hfguard nightly run {run.env.get('GITHUB_RUN_ID', '')}".strip())
    print(f"hfguard: {inputs.data_branch} is now {commit[:10]}")
