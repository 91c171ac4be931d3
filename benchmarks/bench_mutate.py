"""Mutation benchmark: ``hfguard mutate`` over model types of every family; writes ``benchmarks/mutate-results.md``.

The model types are chosen from the lock without looking at results: per family, up to ``--per-family`` types
spread evenly over its sorted generatable types (all of a family that has fewer), so every family is in.

    python benchmarks/bench_mutate.py --lock hfguard.lock [--per-family 6] [--also TYPE ...] [--kinds K,K] [--out DIR] [--jobs 2]

``--also`` adds named types to the spread; the table keeps the previous results file's caught % beside the new one.
``--kinds`` measures only those kinds; the other kinds keep their previous rows, marked "not re-run".
``--own-checks`` runs only each kind's own checks on the broken models (a lower bound of the suite's catch, far cheaper:
the nightly tier's checks make a whole test file cost seconds per kind and type).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def choose(lock: dict, per_family: int) -> list[str]:
    """Up to ``per_family`` generatable standalone types of each family, evenly spread over its sorted types."""
    by_family: dict[str, list[str]] = {}
    for name, info in lock["models"].items():
        if info["kind"] == "standalone" and info["family"] != "unsupported":
            by_family.setdefault(info["family"], []).append(name)
    chosen = []
    for names in by_family.values():
        names.sort()
        step = max(1, len(names) / per_family)
        chosen += sorted({names[int(i * step)] for i in range(min(per_family, len(names)))})
    return sorted(chosen)


ROW = re.compile(r"^\| ([^|]+) \| `(\w+)` \| (\d+) \| (\d+) \| ([\d.]+%|-) \| ([^|]*) \|", re.M)


def previous(results: str) -> dict[str, str]:
    """kind -> its "caught / applies (caught %)" in an earlier results file of this benchmark."""
    return {row[2]: f"{row[4]} / {row[3]} ({row[5]})" for row in ROW.finditer(results)}


def previous_rows(results: str) -> dict[str, str]:
    """kind -> its row in an earlier results file, as a row of this table whose last column says "not re-run"."""
    return {row[2]: f"| {row[1]} | `{row[2]}` | {row[3]} | {row[4]} | {row[5]} | {row[6].strip()} | not re-run |"
            for row in ROW.finditer(results)}


def report(data: dict, command: str, before: dict[str, str] | None = None, kept: dict[str, str] | None = None) -> str:
    """The benchmark's Markdown: the per-kind table (with the earlier results' figures, and ``kept``: the earlier rows
    of kinds this run did not measure) and the types per family."""
    families: dict[str, list[str]] = {}
    for name, family in data["families"].items():
        families.setdefault(family, []).append(name)
    before = before or {}
    mode = ", each kind's own checks only (a lower bound of the whole suite's catch)" if data.get("own_checks") else ""
    lines = [f"# Mutation benchmark: {len(data['model_types'])} model types of {len(families)} families, "
             f"transformers {data['transformers_version']}, {data['wall_seconds']:.0f}s{mode}", "",
             f"Command: `{command}`", "",
             "| the model is broken so that ... | kind | applies to | caught | caught % | missed | before |",
             "|---|---|---|---|---|---|---|"]
    for kind, k in data["kinds"].items():
        share = f"{100 * k['caught'] / k['applies']:.1f}%" if k["applies"] else "-"
        lines.append(f"| {k['meaning']} | `{kind}` | {k['applies']} | {k['caught']} | {share} | "
                     f"{', '.join(k['missed']) or '-'} | {before.get(kind, 'new')} |")
    lines += [row for kind, row in (kept or {}).items() if kind not in data["kinds"]]
    lines += ["", "| family | model types |", "|---|---|"]
    lines += [f"| {family} | {', '.join(sorted(names))} |" for family, names in sorted(families.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, required=True)
    parser.add_argument("--per-family", type=int, default=6)
    parser.add_argument("--also", nargs="*", default=[], help="model types added to the spread")
    parser.add_argument("--out", type=Path, default=Path("hfguard-mutate-bench"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--results", type=Path, default=HERE / "mutate-results.md")
    parser.add_argument("--kinds", default="", help="comma-separated kinds to measure (default: every kind)")
    parser.add_argument("--own-checks", action="store_true", help="each broken model runs only its kind's own checks")
    args = parser.parse_args(argv)
    types = sorted({*choose(json.loads(args.lock.read_text(encoding="utf-8")), args.per_family), *args.also})
    earlier = args.results.read_text(encoding="utf-8") if args.results.is_file() else ""
    kinds = ["--kinds", args.kinds] if args.kinds else []
    command = [sys.executable, "-m", "hfguard", "mutate", *types, "--lock", str(args.lock), "--out", str(args.out),
               "--jobs", str(args.jobs), *kinds, *(["--own-checks"] if args.own_checks else [])]
    code = subprocess.run(command, stdout=subprocess.DEVNULL, check=False).returncode
    if code not in (0, 1):
        raise SystemExit(f"hfguard mutate exited {code}")
    data = json.loads((args.out / "mutate.json").read_text(encoding="utf-8"))
    also = f" --also {' '.join(args.also)}" if args.also else ""
    tier = os.environ.get("HFGUARD_TIER")  # the pull-request tier: the nightly tier's checks skip
    shown = (f"HFGUARD_TIER={tier} " if tier else "") + (
        f"python benchmarks/bench_mutate.py --lock {args.lock} --per-family {args.per_family}{also} --jobs {args.jobs}"
        + (f" --kinds {args.kinds}" if args.kinds else "") + (" --own-checks" if args.own_checks else ""))
    kept = previous_rows(earlier) if args.kinds else {}
    args.results.write_text(report(data, shown, previous(earlier), kept), encoding="utf-8")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
