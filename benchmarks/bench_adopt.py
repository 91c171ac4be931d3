"""Adoption on the seed-shaped repository (``tests/messy_repo.py``): ``hfguard adopt`` and whole-tree ``hfguard verify``.

The repository (1,000+ ``test_hf_*.py`` in 34 folders, a quarter broken) is written into a temp folder, then
``hfguard init``, the lock (``--lock`` copies one; else ``hfguard lock`` builds it from the installed transformers,
untimed), and the timed commands as real subprocesses: ``adopt`` (once: it changes the repository), ``verify .``
with a cold cache and warm (median of runs), and ``verify`` of the tests folder warm. Goals (issue 20): adopt
within 5 s, whole-tree verify warm within 3 s, on two cores.

    python benchmarks/bench_adopt.py [--runs 5] [--lock hfguard.lock] [--results benchmarks/adopt-results.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_cli import HFGUARD, Row

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from messy_repo import write_repository  # noqa: E402

GOALS = {"adopt": 5.0, "verify warm": 3.0}  # seconds
ACTION = "acme/hfguard@0123456789abcdef0123456789abcdef01234567"


def _run(command: list[str], cwd: Path, env: dict[str, str], codes: tuple[int, ...] = (0,)) -> float:
    """Wall seconds of one run; stop unless it exits with one of ``codes``."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in codes:
        raise SystemExit(f"{' '.join(command[1:])} exited {result.returncode}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def bench_adopt(runs: int, lock: Path | None = None, repo: Path | None = None) -> list[Row]:
    """Rows for adopt and verify on a fresh copy of the seed-shaped repository (``repo``, or one written here)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        if repo is not None:
            shutil.copytree(repo, root, symlinks=True)
            counts = None
        else:
            counts = write_repository(root)
        env = {**os.environ, "HFGUARD_CACHE_DIR": str(Path(folder) / "cache")}
        _run([HFGUARD, "init", "--action", ACTION], root, env)
        if lock is not None:
            shutil.copyfile(lock, root / "hfguard.lock")
        else:
            _run([HFGUARD, "lock"], root, env)
        adopt = _run([HFGUARD, "adopt"], root, env)
        _run([HFGUARD, "generate"], root, env)
        cold = _run([HFGUARD, "verify", "--no-cache", "."], root, env, codes=(0, 1))
        _run([HFGUARD, "verify", "."], root, env, codes=(0, 1))  # fills the cache
        warm = statistics.median(_run([HFGUARD, "verify", "."], root, env, codes=(0, 1)) for _ in range(max(runs, 1)))
        tests = statistics.median(_run([HFGUARD, "verify"], root, env) for _ in range(max(runs, 1)))
    size = f"{counts['files']:,} test_hf_*.py files in {counts['folders']} folders, {counts['broken']:,} broken" if counts else "given repository"
    return [
        Row("adopt", f"adopt ({size})", adopt, _goal("adopt", adopt)),
        Row("adopt", "verify . (whole tree), cold (--no-cache)", cold, "one run; dangling links and a folder are findings"),
        Row("adopt", "verify . (whole tree), warm cache", warm, f"median of {runs}; {_goal('verify warm', warm)}"),
        Row("adopt", "verify (the tests folder), warm cache", tests, f"median of {runs}"),
    ]


def _goal(name: str, seconds: float) -> str:
    return f"goal ≤ {GOALS[name]:g} s: {'ok' if seconds <= GOALS[name] else 'MISSED'}"


def main(argv: list[str] | None = None) -> int:
    """Write the rows as a Markdown table (``--results``) and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per warm median")
    parser.add_argument("--lock", type=Path, help="an hfguard.lock to use (default: 'hfguard lock' builds one, untimed)")
    parser.add_argument("--results", type=Path, default=Path(__file__).resolve().parent / "adopt-results.md")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    rows = bench_adopt(args.runs, args.lock)
    lines = ["# Adoption on the seed-shaped repository (`benchmarks/bench_adopt.py`)", "",
             f"Python {sys.version.split()[0]}, {len(os.sched_getaffinity(0))} cores; 1-minute load average {load:.2f} at start, "
             f"{os.getloadavg()[0]:.2f} at end (the machine is shared: wall times are noisy).", "",
             "| measurement | wall s | note |", "|---|---:|---|",
             *(f"| {row.measurement} | {row.seconds:.3f} | {row.note} |" for row in rows)]
    args.results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
