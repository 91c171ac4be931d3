"""Wall time of ``hfguard generate --all`` in a temp project: cold (empty tests dir) and warm (nothing to change).

The project's ``hfguard.lock`` is written once by ``hfguard lock`` (not timed) unless lock text is given.

    python benchmarks/bench_generate.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_cli import HFGUARD, Row, median_wall

TESTS_DIR = "tests/models"


def make_project(root: Path, lock_text: str | None = None) -> Path:
    """Write an entry-less registry and its lock (``hfguard lock`` when no text is given) under ``root``; the registry path."""
    config = root / "hfguard.toml"
    config.write_text(f'tests_dir = "{TESTS_DIR}"\n', encoding="utf-8")
    if lock_text is None:
        subprocess.run([HFGUARD, "lock", "--config", str(config)], check=True, stdout=subprocess.DEVNULL)
    else:
        (root / "hfguard.lock").write_text(lock_text, encoding="utf-8")
    return config


def bench_generate(runs: int = 3, lock_text: str | None = None) -> list[Row]:
    """Median cold and warm wall time of ``hfguard generate --all`` and the number of files it writes."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = make_project(root, lock_text)
        tests = root / TESTS_DIR
        command = [HFGUARD, "generate", "--all", "--config", str(config)]
        cold = median_wall(command, runs, before=lambda: shutil.rmtree(tests, ignore_errors=True))
        files = len(list(tests.glob("test_hf_*.py")))
        warm = median_wall(command, runs)
    return [
        Row("generate", f"generate --all, cold ({files} files)", cold, f"median of {runs}; empty tests dir"),
        Row("generate", f"generate --all, warm ({files} files)", warm, f"median of {runs}; nothing to change"),
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the generate rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (the median is kept)")
    args = parser.parse_args(argv)
    for row in bench_generate(args.runs):
        print(f"{row.measurement}: {row.seconds:.3f} s ({row.note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
