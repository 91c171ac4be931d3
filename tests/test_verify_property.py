"""Differential property test: ``hfguard verify`` agrees with ``compile()`` on mutated real sources.

Real standard-library files get their indentation broken (``benchmarks/differential.py`` holds
the mutations); verify's verdict, code (error class), line and column must be compile()'s.
"""

from __future__ import annotations

import importlib.util
import os
import sysconfig
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfguard.verify import format_report, verify

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CODE_OF = {SyntaxError: "HFG100", IndentationError: "HFG101", TabError: "HFG102"}


def _load_mutations() -> dict:
    spec = importlib.util.spec_from_file_location("differential", PROJECT_ROOT / "benchmarks" / "differential.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MUTATIONS


MUTATIONS = _load_mutations()


def _corpus() -> list[Path]:
    """Standard-library modules of modest size that compile cleanly."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    chosen = []
    for path in sorted(stdlib.glob("*.py")):
        if 2_000 < path.stat().st_size < 40_000:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
            except SyntaxError:
                continue
            chosen.append(path)
    return chosen


CORPUS = _corpus()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("mutated")
    old_cwd, old_cache = Path.cwd(), os.environ.get("HFGUARD_CACHE_DIR")
    os.environ["HFGUARD_CACHE_DIR"] = str(folder / "cache")
    os.chdir(folder)
    yield folder
    os.chdir(old_cwd)
    if old_cache is None:
        del os.environ["HFGUARD_CACHE_DIR"]
    else:
        os.environ["HFGUARD_CACHE_DIR"] = old_cache


def test_corpus_is_substantial() -> None:
    assert len(CORPUS) >= 50


@settings(max_examples=200, deadline=None, database=None)
@given(
    original=st.sampled_from(CORPUS),
    mutation=st.sampled_from(sorted(MUTATIONS)),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    amount=st.integers(min_value=1, max_value=8),
)
def test_verify_agrees_with_compile(workdir: Path, original: Path, mutation: str, where: float, amount: int) -> None:
    lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
    source = "".join(MUTATIONS[mutation](lines, int(where * len(lines)), amount)).encode()
    target = Path("mutated.py")
    target.write_bytes(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "mutated.py", "exec", dont_inherit=True)
        expected = None
    except SyntaxError as error:
        expected = error
    report = verify([target], None)
    if expected is None:
        assert report.findings == []
        return
    assert len(report.findings) == 1
    finding = report.findings[0]
    assert finding.code == CODE_OF[type(expected)]
    col = max(expected.offset or 1, 1)  # CPython says 0 for some errors at a line's start; columns are 1-based
    assert (finding.line, finding.col, finding.message) == (expected.lineno, col, expected.msg)
    first_line = format_report(report, "text").splitlines()[0]
    assert first_line == f"mutated.py:{expected.lineno}:{col}: {finding.code} {expected.msg}"
