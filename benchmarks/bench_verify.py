"""Wall time of ``hfguard verify`` (cold and warm cache) against pre-commit-hooks' ``check-ast``.

Both run as their real command lines on the same file list (default: every ``.py`` file of the
installed transformers package); also times ``hfguard verify`` on one file. Installs nothing
(``pre-commit-hooks`` comes with hfguard's ``dev`` extra). Prints a Markdown table.

    python benchmarks/bench_verify.py [--repeat 3] [SOURCE_DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from differential import installed_package

# (name, ratio to check-ast that hfguard must stay within)
LIMITS = {"cold": 1 / 2, "warm": 1 / 20}


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``command`` and its children; stop unless it exits 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{command[:4]} exited {result.returncode}:\n{result.stderr[-2000:]}")
    return elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main(argv: list[str] | None = None) -> int:
    """Time check-ast, hfguard verify cold, warm and on one file; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", nargs="?", type=Path, default=installed_package("transformers"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cheap measurement (best is kept)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    files = [str(path) for path in sorted(args.source_dir.rglob("*.py"))]
    hfguard = [sys.executable, "-m", "hfguard", "verify"]
    check_ast = [sys.executable, "-m", "pre_commit_hooks.check_ast"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HFGUARD_CACHE_DIR": cache}
        baseline = timed([*check_ast, *files], env)
        cold = min(timed([*hfguard, "--no-cache", *files], env) for _ in range(args.repeat))
        cold_cached = timed([*hfguard, *files], env)  # fills the cache
        warm = min(timed([*hfguard, *files], env) for _ in range(args.repeat))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HFGUARD_CACHE_DIR": cache}
        one_cold = timed([*hfguard, files[0]], env)
        one_warm = min(timed([*hfguard, files[0]], env) for _ in range(args.repeat))
    rows = [
        (f"check-ast ({len(files)} files)", baseline, None),
        ("hfguard verify, cold (--no-cache)", cold, LIMITS["cold"]),
        ("hfguard verify, cold, writing the cache", cold_cached, LIMITS["cold"]),
        ("hfguard verify, warm cache", warm, LIMITS["warm"]),
        ("hfguard verify, one file, cold", one_cold, None),
        ("hfguard verify, one file, warm", one_warm, None),
    ]
    print(f"Python {sys.version.split()[0]}, {len(os.sched_getaffinity(0))} cores, corpus {args.source_dir}\n")
    print(f"1-minute load average at start: {load:.2f} (other work on the machine skews wall times)\n")
    print("| run | wall s | wall ratio to check-ast | limit | CPU s | CPU ratio |\n|---|---:|---:|---:|---:|---:|")
    failed = False
    for name, (wall, cpu), limit in rows:
        ratio = wall / baseline[0]
        verdict = ""
        if limit is not None:
            failed |= ratio > limit
            verdict = f"≤ {limit:.3f} {'ok' if ratio <= limit else 'MISSED'}"
        print(f"| {name} | {wall:.3f} | {ratio:.3f} | {verdict} | {cpu:.3f} | {cpu / baseline[1]:.3f} |")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
