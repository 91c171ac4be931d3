"""Verdicts across machines: compare full sweeps of the same tree run under other CPU kernel sets and thread counts
(``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``, ``OMP_NUM_THREADS``), check by check; writes
``benchmarks/verdicts-results.md``.

``compare``: each run is ``LABEL=FOLDER``, a sweep's output folder (its ``results.json``; its ``junit.xml`` names the
comparisons made in float32 because the model does not run in float64). The first run is the reference.

``rerun``: the stated pytest setup (``hfguard.test_run``) pins one thread per worker; this runs a sweep's rendered tests
again in that setup with only ``OMP_NUM_THREADS`` changed (kernel variables pass through from the environment), and
writes ``results.json`` and ``junit.xml`` as the sweep does.

    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 hfguard sweep --lock hfguard.lock --out sweep-avx2
    python benchmarks/bench_verdicts.py rerun sweep-default sweep-2threads --threads 2
    python benchmarks/bench_verdicts.py compare default=sweep-default avx2=sweep-avx2 threads2=sweep-2threads \
        [--types biogpt,d_fine] [--results FILE]
"""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOAT32_PROPERTY = "hfguard_float32"  # hfguard.testing.precision.FLOAT32_PROPERTY


def load(folder: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """model type -> check id -> (status, message) of one sweep."""
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return {m["model_type"]: {check: (r["status"], r["message"]) for check, r in m["checks"].items()} for m in data["models"]}


def statuses(folder: Path) -> dict[str, str]:
    """model type -> its status in one sweep."""
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return {m["model_type"]: m["status"] for m in data["models"]}


def float32_comparisons(folder: Path) -> dict[str, str]:
    """model type -> why its comparisons ran in float32, from the JUnit properties of a sweep."""
    junit = folder / "junit.xml"
    found: dict[str, str] = {}
    if not junit.is_file():
        return found
    for case in ET.parse(junit).iter("testcase"):
        for prop in case.iter("property"):
            if prop.get("name") == FLOAT32_PROPERTY:
                module = case.get("classname", "").split(".")[-1]
                found.setdefault(module.removeprefix("test_hf_"), prop.get("value", ""))
    return found


def report(runs: dict[str, Path], types: list[str], command: str) -> str:
    """The Markdown: per run its counts, every check result that differs from the first run, and the named types."""
    results = {label: load(folder) for label, folder in runs.items()}
    model_statuses = {label: statuses(folder) for label, folder in runs.items()}
    labels = list(runs)
    reference = results[labels[0]]
    lines = ["# Verdicts across CPU kernel sets and thread counts", "", f"Command: `{command}`", "",
             "| run | model types | passing types | check results | passed | failed | error | xfail |", "|---|---|---|---|---|---|---|---|"]
    for label in labels:
        checks = [status for model in results[label].values() for status, _ in model.values()]
        passing = sum(status == "passing" for status in model_statuses[label].values())
        lines.append(f"| {label} | {len(results[label])} | {passing} | {len(checks)} | {checks.count('passed')} | "
                     f"{checks.count('failed')} | {checks.count('error')} | {checks.count('xfail')} |")
    differences = []
    for model_type in sorted(set().union(*(set(r) for r in results.values()))):
        for check in sorted(set().union(*(set(r.get(model_type, {})) for r in results.values()))):
            seen = [results[label].get(model_type, {}).get(check, ("-", ""))[0] for label in labels]
            if len(set(seen)) > 1:
                message = next((results[label][model_type][check][1] for label in labels
                                if results[label].get(model_type, {}).get(check, ("", ""))[0] in ("failed", "error")), "")
                differences.append(f"| {model_type} | {check} | {' | '.join(seen)} | {message[:160]} |")
    total = sum(len(model) for model in reference.values())
    lines += ["", f"**Check results that differ from `{labels[0]}`: {len(differences)} of {total}.**", ""]
    if differences:
        lines += [f"| model type | check | {' | '.join(labels)} | first error |", "|---|---|" + "---|" * len(labels) + "---|", *differences]
    if types:
        lines += ["", "| model type | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
        for model_type in types:
            lines.append(f"| {model_type} | " + " | ".join(model_statuses[label].get(model_type, "-") for label in labels) + " |")
    float32 = float32_comparisons(runs[labels[0]])
    lines += ["", f"Model types whose comparisons ran in float32 (the model does not run in float64): {len(float32)}", ""]
    lines += [f"- {model_type}: {why}" for model_type, why in sorted(float32.items())]
    return "\n".join(lines) + "\n"


def rerun(sweep: Path, out: Path, threads: int) -> dict:
    """Run ``sweep``'s rendered tests again with ``threads`` OpenMP threads per worker; the results written to ``out``."""
    import os
    import subprocess
    import time
    from importlib import metadata

    from hfguard.check_results import tally
    from hfguard.sweep import SCHEMA_VERSION, parse_junit, summary
    from hfguard.test_run import TEST_TIMEOUT, pytest_command, test_environment

    out.mkdir(parents=True, exist_ok=True)
    tests, junit = (sweep / "tests").resolve(), (out / "junit.xml").resolve()
    env = {**test_environment(os.environ, TEST_TIMEOUT), "OMP_NUM_THREADS": str(threads)}
    start = time.monotonic()
    subprocess.run(pytest_command(tests, junit, 2), env=env, cwd=tests, stdout=subprocess.DEVNULL, check=False)
    swept = json.loads((sweep / "results.json").read_text(encoding="utf-8"))["models"]
    results = parse_junit(junit, {model["model_type"]: model["family"] for model in swept})
    data = {"schema_version": SCHEMA_VERSION, "transformers_version": metadata.version("transformers"),
            "wall_seconds": round(time.monotonic() - start, 1), "summary": summary(results),
            "checks": tally(r.checks for r in results), "models": [r.to_dict() for r in results]}
    (out / "results.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    again = commands.add_parser("rerun", help="run a sweep's rendered tests again with another thread count")
    again.add_argument("sweep", type=Path)
    again.add_argument("out", type=Path)
    again.add_argument("--threads", type=int, required=True)
    compared = commands.add_parser("compare", help="compare sweeps check by check")
    compared.add_argument("runs", nargs="+", metavar="LABEL=FOLDER")
    compared.add_argument("--types", default="", help="comma-separated model types to show run by run")
    compared.add_argument("--results", type=Path, default=HERE / "verdicts-results.md")
    args = parser.parse_args(argv)
    if args.command == "rerun":
        data = rerun(args.sweep, args.out, args.threads)
        print(f"{args.out}: {data['summary']['all']} in {data['wall_seconds']}s")
        return 0
    runs = {}
    for run in args.runs:
        label, _, folder = run.partition("=")
        runs[label] = Path(folder)
    command = "python benchmarks/bench_verdicts.py compare " + " ".join(args.runs) + (f" --types {args.types}" if args.types else "")
    text = report(runs, [t for t in args.types.split(",") if t], command)
    args.results.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
