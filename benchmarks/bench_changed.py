"""Wall time of ``hfguard changed --base main`` on a big repository built with ``git fast-import``.

The repository (default: 5,000 commits, 600 registry entries with sealed generated test files) has a
long ``main`` whose every tenth commit edits the registry, a ``pr`` branch (checked out) that changes
the vision template, edits two entries and adds two, and ``main`` commits made after the fork.

    python benchmarks/bench_changed.py [--commits 5000] [--entries 600] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_cli import HFGUARD, Row, median_wall

from hfguard.catalogue import Catalogue, ModelInfo
from hfguard.stamp import header, seal

FAMILIES = ("encoder-only", "decoder-only", "encoder-decoder", "vision", "speech")
EXTRA = ("extra1", "extra2")  # entries the pr branch adds
TEST_BODY = "def test_forward():\n    assert True\n"


class FastImport:
    """A ``git fast-import`` stream of commits with inline file contents."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def _data(self, text: str) -> None:
        raw = text.encode()
        self.chunks += [f"data {len(raw)}\n".encode(), raw, b"\n"]

    def commit(self, branch: str, mark: int, parent: int | None, files: dict[str, str]) -> None:
        """Commit ``files`` (path -> text) as mark ``mark`` on ``branch`` (a child of mark ``parent``)."""
        self.chunks.append(f"commit refs/heads/{branch}\nmark :{mark}\ncommitter t <t@example.com> {1_700_000_000 + mark} +0000\n".encode())
        self._data(f"{branch} {mark}")
        if parent is not None:
            self.chunks.append(f"from :{parent}\n".encode())
        for path, text in files.items():
            self.chunks.append(f"M 100644 inline {path}\n".encode())
            self._data(text)

    def run(self, root: Path) -> None:
        """Feed the stream into a new repository at ``root``."""
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(self.chunks), check=True)


def build_repo(root: Path, commits: int = 5000, entries: int = 600) -> None:
    """Build the benchmark repository at ``root`` with ``commits`` commits and ``entries`` registry entries."""
    names = [f"model{i:04d}" for i in range(entries)]
    family = {name: FAMILIES[i % len(FAMILIES)] for i, name in enumerate([*names, *EXTRA])}
    catalogue = Catalogue("5.0.0", {n: ModelInfo(n, f, "standalone", "C", "M") for n, f in family.items()})

    def registry(tweak: int, extra: tuple[str, ...] = ()) -> str:
        """The registry with a tiny override on entry ``tweak % entries`` (its value ``tweak``)."""
        lines = ['tests_dir = "tests/models"', 'templates_dir = "hfguard-templates"', ""]
        for i, name in enumerate([*names, *extra]):
            lines += [f"[models.{name}]", *([f"tiny = {{ hidden_size = {tweak} }}"] if i == tweak % entries else []), ""]
        return "\n".join(lines)

    side = max(2, commits // 50)  # commits on pr, and on main after the fork
    fork = commits - 2 * side
    stream = FastImport()
    stream.commit("main", 1, None, {
        "hfguard.toml": registry(0),
        "hfguard.lock": catalogue.to_json(),
        "hfguard-templates/_base.j2": "base\n",
        **{f"hfguard-templates/{f}.j2": f"{{# {f} #}}\n" for f in FAMILIES},
        **{f"tests/models/test_hf_{n}.py": seal(header(n, family[n], family[n], 1, "0123456789abcdef") + "\n" + TEST_BODY)
           for n in names},
    })
    for mark in range(2, fork + 1):  # every main commit touches a source file, every tenth the registry too
        files = {f"src/mod{mark % 50}.py": f"x = {mark}\n"}
        if mark % 10 == 0:
            files["hfguard.toml"] = registry(mark)
        stream.commit("main", mark, mark - 1, files)
    for mark in range(fork + 1, fork + side + 1):  # pr: a template change, then two entries edited and two added
        files = {f"src/pr{mark % 7}.py": f"y = {mark}\n"}
        if mark == fork + side // 2:
            files["hfguard-templates/vision.j2"] = "{# vision v2 #}\n"
        if mark == fork + side:
            files["hfguard.toml"] = registry(fork // 10 * 10 + 1, EXTRA)
        stream.commit("pr", mark, mark - 1 if mark > fork + 1 else fork, files)
    for mark in range(fork + side + 1, commits + 1):  # main moves on after the fork
        stream.commit("main", mark, mark - 1 if mark > fork + side + 1 else fork, {"src/later.py": f"z = {mark}\n"})
    stream.run(root)
    subprocess.run(["git", "checkout", "-q", "pr"], cwd=root, check=True)


def bench_changed(commits: int = 5000, entries: int = 600, runs: int = 5) -> list[Row]:
    """Median wall time of ``hfguard changed --base main`` on a fresh big repository, and what it selects."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_repo(root, commits, entries)
        command = [HFGUARD, "changed", "--base", "main", "--root", str(root), "--json"]
        seconds = median_wall(command, runs)
        report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    selected, changed = len(report["regenerate"]), report["entries"]
    note = (f"median of {runs}; {selected} of {entries + len(EXTRA)} entries selected "
            f"({len(changed['added'])} added, {len(changed['changed'])} changed, template: {', '.join(report['templates']['families'])})")
    return [Row("changed", f"changed --base main ({commits} commits, {entries} entries)", seconds, note)]


def main(argv: list[str] | None = None) -> int:
    """Print the changed row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5, help="runs (the median is kept)")
    args = parser.parse_args(argv)
    for row in bench_changed(args.commits, args.entries, args.runs):
        print(f"{row.measurement}: {row.seconds:.3f} s ({row.note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
