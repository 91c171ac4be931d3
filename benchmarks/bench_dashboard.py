"""The dashboard of a full sweep in headless Chromium: time to load from ``file://`` and to filter, and its size.

The dashboard is built by the real ``hfguard report`` from a sweep's ``results.json``. Results without
per-check data (sweep schema 1) are also measured with ``--checks N`` synthetic checks per model type
(every one passed, except one failed check for each non-passing type), the size the per-check sweep
will give. In the browser (Debian's Chromium, driven by Playwright): load = navigation start to the end
of the load event; filter = from setting a filter (family, status, check, a search of two letters) to
the next frame, the rows re-laid out. Medians of ``--runs`` fresh pages.

    python benchmarks/bench_dashboard.py RESULTS.json [--runs 5] [--checks 14]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_cli import HFGUARD, Row

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
FILTERS = """async ([selector, value]) => {
  const control = document.querySelector(selector);
  const start = performance.now();
  control.value = value;
  control.dispatchEvent(new Event(selector === '#q' ? 'input' : 'change'));
  document.body.offsetHeight;  // force the layout of the rows
  await new Promise(resolve => requestAnimationFrame(() => resolve()));
  const shown = document.querySelectorAll('#model-table tbody tr:not([hidden])').length;
  const ms = performance.now() - start;
  control.value = '';
  control.dispatchEvent(new Event(selector === '#q' ? 'input' : 'change'));
  return [ms, shown];
}"""


def with_checks(results: Path, count: int, target: Path) -> Path:
    """A copy of ``results`` (schema 1) with ``count`` synthetic checks per model type, as sweep schema 2 writes them."""
    data = json.loads(results.read_text(encoding="utf-8"))
    for model in data["models"]:
        broken = model["status"] in ("failing", "error")
        model["checks"] = {f"check_{i:02d}": {"status": "failed" if broken and i == 0 else "passed",
                                              "message": model["message"] if broken and i == 0 else "", "seconds": 0.01}
                           for i in range(count)}
        model["file"] = ""
    data["schema_version"] = 2
    target.mkdir(parents=True, exist_ok=True)
    (target / "results.json").write_text(json.dumps(data), encoding="utf-8")
    return target / "results.json"


def size(folder: Path) -> tuple[int, int]:
    """Total bytes and file count of a folder."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files), len(files)


def measure(index: Path, runs: int, browser: Any = None) -> dict[str, float]:
    """Median milliseconds to load and to apply each kind of filter, over ``runs`` fresh pages (in ``browser`` if given)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                return measure(index, runs, launched)
            finally:
                launched.close()
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(index.as_uri(), wait_until="load")
        if errors:
            raise SystemExit(f"page error in {index}: {errors[0]}")
        timing = page.evaluate("(() => { const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd; })()")
        samples.setdefault("load", []).append(timing)
        family = page.eval_on_selector("#family", "s => s.options[1].value")
        check = page.evaluate("(() => { const s = document.querySelector('#check'); return s ? s.options[1].value : ''; })()")
        for name, selector, value in (("filter by family", "#family", family), ("filter by status", "#status", "broken"),
                                      ("filter by check", "#check", check), ("search (2 letters)", "#q", "be")):
            if value:
                samples.setdefault(name, []).append(page.evaluate(FILTERS, [selector, value])[0])
        page.close()
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_dashboard(results: Path, runs: int = 5, checks: int = 14, browser: Any = None) -> list[Row]:
    """Rows for the dashboard of ``results`` (and, for schema-1 results, with ``checks`` synthetic checks per type)."""
    if not results.is_file():
        return [Row("dashboard", "dashboard", None, f"no sweep results at {results}; run `benchmarks/run.py --sweep`")]
    if not Path(CHROMIUM).is_file():
        return [Row("dashboard", "dashboard", None, f"{CHROMIUM} is missing: apt-get install chromium")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="hfguard-bench-dashboard-") as scratch:
        variants = [("as swept", results)]
        if "checks" not in json.loads(results.read_text(encoding="utf-8")):
            variants.append((f"{checks} checks per type", with_checks(results, checks, Path(scratch) / "checks")))
        for label, source in variants:
            out = Path(scratch) / label.replace(" ", "-")
            subprocess.run([HFGUARD, "report", "--results", str(source), "--out", str(out)], check=True, capture_output=True)
            models = len(json.loads(source.read_text(encoding="utf-8"))["models"])
            total, files = size(out)
            html = (out / "index.html").stat().st_size
            timings = measure(out / "index.html", runs, browser)
            note = f"{models} model types; folder {total / 1e6:.2f} MB in {files} files (index.html {html / 1e6:.2f} MB)"
            rows += [Row("dashboard", f"{label}: {name}", ms / 1000, note if name == "load" else "") for name, ms in timings.items()]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a sweep's results.json")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checks", type=int, default=14, help="synthetic checks per type for schema-1 results")
    args = parser.parse_args(argv)
    for row in bench_dashboard(args.results, args.runs, args.checks):
        print(f"{row.measurement:45} {'—' if row.seconds is None else f'{row.seconds * 1000:8.1f} ms'}  {row.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
