"""Run hfguard's benchmarks and write ``benchmarks/results.md`` (``make bench``; not part of ``make test``).

Benchmarks: ``verify`` against pre-commit-hooks' check-ast (``bench_verify.py``), ``cli`` start-up
(``bench_cli.py``), ``generate --all`` (``bench_generate.py``), ``changed`` on a 5,000-commit repository
(``bench_changed.py``), ``adopt`` and whole-tree ``verify`` on the seed-shaped repository (``bench_adopt.py``),
the dashboard of the sweep in headless Chromium (``bench_dashboard.py``) and the ``sweep`` (re-run only with
``--sweep``; otherwise the latest results found in ``--sweep-dir`` are reported, with their date). Wall times are
medians of several runs of the real command lines; ratios come from one run, since other work on the machine
skews absolute times.

    python benchmarks/run.py [--only NAME ...] [--runs N] [--sweep [--sweep-limit N]] [--sweep-dir DIR] [--lock LOCK]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from bench_adopt import bench_adopt
from bench_changed import bench_changed
from bench_cli import HFGUARD, Row, bench_cli
from bench_dashboard import bench_dashboard
from bench_generate import bench_generate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
Outcome = tuple[list[Row], str]  # rows of the summary table, and an extra Markdown section


def run_verify(args: argparse.Namespace) -> Outcome:
    """``bench_verify.py``'s own table (cold/warm ``hfguard verify`` against check-ast, ratios from one run)."""
    import bench_verify

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        missed = bench_verify.main(["--repeat", str(args.runs or 3), *([str(args.verify_dir)] if args.verify_dir else [])])
    verdict = "\nSome ratio MISSED its limit (see the limit column).\n" if missed else ""
    return [], f"## verify vs pre-commit-hooks' check-ast (`benchmarks/bench_verify.py`, best of runs)\n\n{captured.getvalue()}{verdict}"


def run_sweep(args: argparse.Namespace) -> Outcome:
    """Run the sweep when asked (``--sweep``), then report wall time and median model time from its results."""
    directory = args.sweep_dir
    if args.sweep:
        command = [HFGUARD, "sweep", "--out", str(directory), *(["--limit", str(args.sweep_limit)] if args.sweep_limit else [])]
        code = subprocess.run(command, stdout=subprocess.DEVNULL, check=False).returncode
        if code not in (0, 1):  # 1: some model types failed, which is a result, not a benchmark failure
            raise SystemExit(f"{' '.join(command)} exited {code}")
    return sweep_rows(directory / "results.json", fresh=args.sweep), ""


def sweep_rows(results: Path, fresh: bool) -> list[Row]:
    """Rows from a sweep's ``results.json``: its wall time and the median seconds of a passing model type."""
    if not results.is_file():
        return [Row("sweep", "sweep", None, f"no results in {results.parent}; run `benchmarks/run.py --sweep`")]
    data = json.loads(results.read_text(encoding="utf-8"))
    models = data["models"]
    passing = [model["seconds"] for model in models if model["status"] == "passing"]
    written = datetime.fromtimestamp(results.stat().st_mtime, timezone.utc)
    origin = "this run" if fresh else f"not re-run: {results} of {written:%Y-%m-%d %H:%M} UTC"
    return [
        Row("sweep", f"sweep wall time ({len(models)} model types)", data["wall_seconds"],
            f"{len(passing)} passing; {origin}"),
        Row("sweep", "median test time of a passing model type", statistics.median(passing) if passing else None,
            "JUnit seconds summed per model type"),
    ]


BENCHMARKS: dict[str, Callable[[argparse.Namespace], Outcome]] = {
    "verify": run_verify,
    "cli": lambda args: (bench_cli(args.runs or 11), ""),
    "generate": lambda args: (bench_generate(args.runs or 3), ""),
    "changed": lambda args: (bench_changed(runs=args.runs or 5), ""),
    "adopt": lambda args: (bench_adopt(args.runs or 5, args.lock), ""),
    "sweep": run_sweep,
    "dashboard": lambda args: (bench_dashboard(args.sweep_dir / "results.json", args.runs or 5), ""),
}


def _first(path: str, key: str) -> str | None:
    """The value of the first ``key: value`` line of a /proc file."""
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit(root: Path) -> str:
    """Short commit of the project, marked when the work tree has uncommitted changes (read-only git)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never refresh the index
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, env=env, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def machine_info() -> list[str]:
    """Markdown bullet lines describing the machine and the software measured."""
    memory = _first("/proc/meminfo", "MemTotal")
    gib = f"{int(memory.split()[0]) / 2**20:.1f} GiB" if memory else "unknown"
    return [
        f"- CPU: {_first('/proc/cpuinfo', 'model name') or platform.processor() or 'unknown'}; "
        f"{os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable); memory {gib}",
        f"- {platform.platform()}; Python {platform.python_version()}; torch {_version('torch')}; "
        f"transformers {_version('transformers')}; hfguard {_version('hfguard')} at commit {git_commit(ROOT)}",
    ]


def render(rows: list[Row], sections: list[str], started: datetime, seconds: float, loads: tuple[float, float]) -> str:
    """The Markdown report: machine, the summary table, then the benchmarks' own sections."""
    lines = [
        "# hfguard benchmarks",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC in {seconds:.0f} s (`benchmarks/run.py`); "
        f"1-minute load average {loads[0]:.2f} at start, {loads[1]:.2f} at end.",
        "",
        *machine_info(),
        "",
        "Wall times of the real command lines. The machine may be shared with other work: absolute "
        "times are noisy, ratios measured in one run are the figures to compare.",
        "",
        "| benchmark | measurement | wall s | note |",
        "|---|---|---:|---|",
        *(f"| {r.benchmark} | {r.measurement} | {'—' if r.seconds is None else f'{r.seconds:.3f}'} | {r.note} |" for r in rows),
    ]
    return "\n".join([*lines, *("\n" + section.rstrip() for section in sections)]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks, write the report and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--runs", type=int, help="runs per median (default: each benchmark's own)")
    parser.add_argument("--verify-dir", type=Path, help="corpus of the verify benchmark (default: installed transformers)")
    parser.add_argument("--lock", type=Path, help="hfguard.lock for the adopt benchmark (default: 'hfguard lock' builds one)")
    parser.add_argument("--sweep", action="store_true", help="run the sweep (about 15 minutes in full)")
    parser.add_argument("--sweep-limit", type=int, help="with --sweep: at most this many model types")
    parser.add_argument("--sweep-dir", type=Path, default=ROOT / "hfguard-sweep", help="sweep results directory")
    parser.add_argument("--out", type=Path, default=HERE / "results.md", help="Markdown report to write")
    args = parser.parse_args(argv)
    started, start, load = datetime.now(timezone.utc), time.perf_counter(), os.getloadavg()[0]
    rows: list[Row] = []
    sections: list[str] = []
    for name in args.only or BENCHMARKS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        found, section = BENCHMARKS[name](args)
        rows += found
        sections += [section] if section else []
    report = render(rows, sections, started, time.perf_counter() - start, (load, os.getloadavg()[0]))
    args.out.write_text(report, encoding="utf-8")
    print(report, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
