"""Differential check of ``hfguard verify`` against ``compile()`` on mutated real sources.

Takes real Python files (default: the installed transformers package), breaks their indentation
the ways hands and string-built generators do (see ``MUTATIONS``), runs the real ``hfguard verify``
command over the mutated corpus, and compares each verdict, error class and line with what
``compile()`` says. Also counts false positives on the unmutated sources. Prints a Markdown table.

    python benchmarks/differential.py [--count 3000] [--seed 0] [SOURCE_DIR]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import random
import re
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

Lines = list[str]
_INDENT = re.compile(r"^[ \t]*")


def _indent(line: str) -> str:
    return _INDENT.match(line).group(0)  # type: ignore[union-attr]


def _find(lines: Lines, start: int, pattern: str) -> int | None:
    """The first line at or after ``start`` (wrapping around) matching ``pattern``."""
    regex = re.compile(pattern)
    for offset in range(len(lines)):
        index = (start + offset) % len(lines)
        if regex.match(lines[index]):
            return index
    return None


def _body_end(lines: Lines, head: int) -> int:
    """Index after the indented block that follows line ``head`` (blank lines belong to it)."""
    width = len(_indent(lines[head]).expandtabs())
    end = head + 1
    while end < len(lines) and (not lines[end].strip() or len(_indent(lines[end]).expandtabs()) > width):
        end += 1
    return end


def dedent_line(lines: Lines, index: int, amount: int) -> Lines:
    """Remove up to ``amount`` leading spaces from an indented line."""
    found = _find(lines, index, r"^ +\S")
    if found is None:
        return lines
    line = lines[found]
    cut = min(amount, len(line) - len(line.lstrip(" ")))
    return [*lines[:found], line[cut:], *lines[found + 1 :]]


def add_stray_spaces(lines: Lines, index: int, amount: int) -> Lines:
    """Put ``amount`` extra spaces in front of a non-blank line."""
    found = _find(lines, index, r"^\s*\S")
    if found is None:
        return lines
    return [*lines[:found], " " * amount + lines[found], *lines[found + 1 :]]


def join_lines(lines: Lines, index: int, amount: int) -> Lines:
    """Join a line with the next one, as a lost newline does."""
    found = _find(lines, index, r"^\s*\S")
    if found is None or found + 1 >= len(lines):
        return lines
    joined = lines[found].rstrip("\r\n") + " " * (amount % 2) + lines[found + 1].lstrip()
    return [*lines[:found], joined, *lines[found + 2 :]]


def mix_tabs(lines: Lines, index: int, amount: int) -> Lines:
    """Replace the first 4 or 8 spaces of an indented line with a tab."""
    width = 8 if amount % 2 else 4
    found = _find(lines, index, rf"^ {{{width}}}")
    if found is None:
        return lines
    return [*lines[:found], "\t" + lines[found][width:], *lines[found + 1 :]]


def dedent_method_body(lines: Lines, index: int, amount: int) -> Lines:
    """Dedent the whole body of a function or method by ``amount`` spaces."""
    found = _find(lines, index, r"^\s*(async\s+)?def\s")
    if found is None:
        return lines
    end = _body_end(lines, found)
    body = [line[min(amount, len(line) - len(line.lstrip(" "))) :] for line in lines[found + 1 : end]]
    return [*lines[: found + 1], *body, *lines[end:]]


def empty_try_body(lines: Lines, index: int, amount: int) -> Lines:
    """Delete the body of a ``try:`` (or, failing that, any block header)."""
    found = _find(lines, index, r"^\s*try\s*:\s*(#.*)?$")
    if found is None:
        found = _find(lines, index, r"^\s*(if|for|while|with|else|def|class)\b.*:\s*(#.*)?$")
    if found is None:
        return lines
    return [*lines[: found + 1], *lines[_body_end(lines, found) :]]


def delete_line(lines: Lines, index: int, amount: int) -> Lines:
    """Delete one non-blank line."""
    found = _find(lines, index, r"^\s*\S")
    if found is None:
        return lines
    return [*lines[:found], *lines[found + 1 :]]


MUTATIONS: dict[str, Callable[[Lines, int, int], Lines]] = {
    "dedent_line": dedent_line,
    "add_stray_spaces": add_stray_spaces,
    "join_lines": join_lines,
    "mix_tabs": mix_tabs,
    "dedent_method_body": dedent_method_body,
    "empty_try_body": empty_try_body,
    "delete_line": delete_line,
}


def compile_verdict(source: bytes, flags: int = 0) -> tuple[str, int | None]:
    """(error class name or "ok", line) as ``compile()`` decides (``ast.parse`` with PyCF_ONLY_AST)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<mutated>", "exec", flags, dont_inherit=True)
    except SyntaxError as error:
        return type(error).__name__, error.lineno
    except (ValueError, MemoryError, RecursionError) as error:
        return type(error).__name__, None
    return "ok", None


CODE_OF = {"ok": None, "SyntaxError": "HFG100", "IndentationError": "HFG101", "TabError": "HFG102"}


def run_verify(paths: list[str], cwd: Path) -> dict[str, tuple[str, int]]:
    """Run the real ``hfguard verify --format json --no-cache``; path -> (code, line)."""
    result = subprocess.run(
        [sys.executable, "-m", "hfguard", "verify", "--format", "json", "--no-cache", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"hfguard verify failed:\n{result.stderr}")
    return {f["path"]: (f["code"], f["line"]) for f in json.loads(result.stdout)["findings"]}


def installed_package(name: str) -> Path:
    """The source folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed; pass a source folder")
    return Path(spec.submodule_search_locations[0])


def main(argv: list[str] | None = None) -> int:
    """Mutate, verify, compare; print the figures as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", nargs="?", type=Path, default=installed_package("transformers"))
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    originals = sorted(args.source_dir.rglob("*.py"))
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        expected: dict[str, tuple[str, int | None]] = {}
        per_mutation: dict[str, list[str]] = {name: [] for name in MUTATIONS}
        for number in range(args.count):
            original = rng.choice(originals)
            lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
            if not lines:
                continue
            name = rng.choice(sorted(MUTATIONS))
            mutated = MUTATIONS[name](lines, rng.randrange(len(lines)), rng.randint(1, 8))
            path = f"m{number:05d}.py"
            (root / path).write_text("".join(mutated), encoding="utf-8")
            expected[path] = compile_verdict((root / path).read_bytes())
            per_mutation[name].append(path)
        reported = run_verify(sorted(expected), root)
        parse_only = sum(
            kind != "ok" and compile_verdict((root / path).read_bytes(), ast.PyCF_ONLY_AST)[0] == "ok"
            for path, (kind, _) in expected.items()
        )
        agree = sum(CODE_OF.get(kind, "HFG103") == reported.get(path, (None,))[0] for path, (kind, _) in expected.items())
        broken = {path: line for path, (kind, line) in expected.items() if kind != "ok" and line is not None}
        line_hits = sum(reported.get(path, (None, None))[1] == line for path, line in broken.items())
        rows = [
            ("mutated files", f"{len(expected)}"),
            ("rejected by compile()", f"{sum(kind != 'ok' for kind, _ in expected.values())}"),
            ("verdict + code agreement", f"{agree}/{len(expected)} = {100 * agree / len(expected):.2f}%"),
            ("line accuracy (rejected files)", f"{line_hits}/{len(broken)} = {100 * line_hits / max(1, len(broken)):.2f}%"),
            ("rejected by compile() but accepted by ast.parse (check-ast)", f"{parse_only}"),
        ]
        for name, paths in per_mutation.items():
            rejected = sum(expected[p][0] != "ok" for p in paths)
            rows.append((f"  {name}: rejected / mutated", f"{rejected}/{len(paths)}"))
    clean = [str(path) for path in originals if compile_verdict(path.read_bytes())[0] == "ok"]
    false_positives = run_verify(clean, Path.cwd())
    rows.append(("false positives on unmutated sources", f"{len(false_positives)}/{len(clean)}"))
    print("| measure | value |\n|---|---|")
    print("\n".join(f"| {key} | {value} |" for key, value in rows))
    return 0 if agree == len(expected) and line_hits == len(broken) and not false_positives else 1


if __name__ == "__main__":
    sys.exit(main())
