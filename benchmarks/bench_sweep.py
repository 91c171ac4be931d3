"""Sweep cost against a baseline revision: the full sweep of this tree and of ``--baseline`` (by default c76fa7d,
the four-test suite before the checks of issue 11), alternated in the same hour on the same catalogue, so that
the ratio holds on a machine whose speed drifts; writes ``benchmarks/sweep-results.md``.

    python benchmarks/bench_sweep.py --lock hfguard.lock [--baseline REV] [--pairs 2] [--jobs 2] [--out DIR] [--tiers pr,nightly]

Each tier of ``--tiers`` sweeps this tree once per pair with ``HFGUARD_TIER`` set to it (``pr``: the pull-request run,
which skips the nightly tier's checks; ``nightly``: every check); its ratio to the baseline is reported per tier.

The baseline runs from its files (``git archive``) on ``PYTHONPATH``, so its generated tests import its own
runtime; its ``templates`` and ``hooks`` folders are linked where its package layout expects them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = "c76fa7d"  # the last revision before issue 11's checks: output shapes, finiteness, determinism, batching


def sweep_seconds(lock: Path, out: Path, jobs: int, tree: Path, tier: str | None = None) -> tuple[float, dict]:
    """Wall seconds of one full sweep by the hfguard of ``tree`` (``results.json``'s own figure) and its summary,
    with ``HFGUARD_TIER`` set to ``tier`` (unset without one)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}  # before the installed hfguard (python -m puts only the working directory first)
    env.pop("HFGUARD_TIER", None)
    if tier:
        env["HFGUARD_TIER"] = tier
    command = [sys.executable, "-m", "hfguard", "sweep", "--lock", str(lock.resolve()), "--jobs", str(jobs),
               "--out", str(out.resolve())]
    out.parent.mkdir(parents=True, exist_ok=True)  # the sweep writes only inside the folder it runs in
    subprocess.run(command, env=env, cwd=out.parent, stdout=subprocess.DEVNULL, check=False)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return data["wall_seconds"], data["summary"]["all"]


def baseline_tree(revision: str, folder: Path) -> Path:
    """The files of ``revision`` (``git archive``), its package finding its templates and hooks when imported from source."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    for name in ("templates", "hooks"):
        link = folder / "hfguard" / name
        if (folder / name).is_dir() and not link.exists():
            link.symlink_to(Path("..") / name)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, required=True, help="the catalogue both sweeps read")
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--pairs", type=int, default=2, help="baseline and current sweeps, alternated (default 2)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "hfguard-bench-sweep")
    parser.add_argument("--results", type=Path, default=HERE / "sweep-results.md")
    parser.add_argument("--tiers", default="nightly", help="comma-separated tiers this tree is swept in (pr, nightly)")
    args = parser.parse_args(argv)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    tiers = [tier.strip() for tier in args.tiers.split(",") if tier.strip()]
    sides = [("baseline", None), *((f"current ({tier})", tier) for tier in tiers)]
    rows: list[str] = []
    times: dict[str, list[float]] = {side: [] for side, _ in sides}
    with tempfile.TemporaryDirectory(prefix="hfguard-baseline-") as scratch:
        tree = baseline_tree(args.baseline, Path(scratch) / "tree")
        for pair in range(1, args.pairs + 1):
            for side, tier in sides[pair - 1:] + sides[:pair - 1]:  # each pair starts with another side: drift spreads
                folder = args.out / f"{tier or 'baseline'}-{pair}"
                seconds, counts = sweep_seconds(args.lock, folder, args.jobs, ROOT if tier else tree, tier)
                times[side].append(seconds)
                rows.append(f"| {pair} | {side} | {seconds:.0f} | {counts['passing']} of {counts['total']} |")
                print(rows[-1], flush=True)
    baseline = statistics.median(times["baseline"])
    ratios = [f"{side} {statistics.median(times[side]):.0f} s: **{statistics.median(times[side]) / baseline:.2f}x**"
              for side, tier in sides if tier]
    text = "\n".join([
        f"# Sweep cost: {head} against {args.baseline}, {args.pairs} alternated pairs, {args.jobs} workers", "",
        f"Command: `python benchmarks/bench_sweep.py --lock {args.lock} --baseline {args.baseline} --pairs {args.pairs} "
        f"--jobs {args.jobs} --tiers {','.join(tiers)}`", "",
        "| pair | tree | wall s | passing |", "|---|---|---:|---|", *rows, "",
        f"Median wall time: baseline {baseline:.0f} s; {'; '.join(ratios)} "
        "(issue 23's goal: the pull-request tier at most 3.5x).", ""])
    args.results.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
