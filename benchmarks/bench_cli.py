"""CLI start-up time: ``hfguard --help`` and ``hfguard verify`` on one file, with ``python -c pass`` as the floor.

Each command runs as a real subprocess; the median wall time of ``--runs`` runs is kept. Also holds
the small helpers the other benchmarks share (``Row``, ``median_wall``, ``HFGUARD``).

    python benchmarks/bench_cli.py [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench_verify import timed

HFGUARD = str(Path(sys.executable).with_name("hfguard"))  # the console script users run


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    benchmark: str
    measurement: str
    seconds: float | None
    note: str = ""


def median_wall(command: list[str], runs: int, env: dict[str, str] | None = None,
                before: Callable[[], None] | None = None) -> float:
    """Median wall seconds of ``runs`` runs of ``command`` (each must exit 0); ``before`` runs untimed before each."""
    walls = []
    for _ in range(max(runs, 1)):
        if before is not None:
            before()
        walls.append(timed(command, env if env is not None else dict(os.environ))[0])
    return statistics.median(walls)


def bench_cli(runs: int = 11) -> list[Row]:
    """Median start-up wall time of the floor, ``hfguard --help`` and ``hfguard verify`` on one file."""
    sample = Path(__file__)  # a real ~100-line module; verified without the cache, so it is compiled each run
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HFGUARD_CACHE_DIR": cache}
        floor = median_wall([sys.executable, "-c", "pass"], runs, env)
        rows = [Row("cli", "python -c pass (floor)", floor, f"median of {runs}")]
        for name, command in (
            ("hfguard --help", [HFGUARD, "--help"]),
            ("hfguard verify, one file (--no-cache)", [HFGUARD, "verify", "--no-cache", str(sample)]),
        ):
            seconds = median_wall(command, runs, env)
            rows.append(Row("cli", name, seconds, f"median of {runs}; {1000 * (seconds - floor):+.0f} ms over the floor"))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the start-up rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per command (the median is kept)")
    args = parser.parse_args(argv)
    for row in bench_cli(args.runs):
        print(f"{row.measurement}: {row.seconds:.3f} s ({row.note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
