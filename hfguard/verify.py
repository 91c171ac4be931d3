"""Verification of test files: what CPython refuses to compile, and stale or orphan generated files.

The compile check is ``compile(source_bytes, path, "exec", dont_inherit=True)`` itself, so it
rejects exactly what the interpreter rejects: parser, symbol-table and compiler errors alike
(``'return' outside function`` is a compiler error, not a parse error). Clean results are cached
by content hash. This module never imports torch, transformers, git or github.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hfguard import __version__
from hfguard.atomic import write_atomic
from hfguard.baseline import Debt, load_baseline, write_baseline
from hfguard.catalogue import Catalogue, load_catalogue
from hfguard.config import Config, ModelEntry
from hfguard.errors import HfguardError, Problem, shown_path
from hfguard.escape import workflow_data, workflow_property
from hfguard.paths import CACHE_DIR_ENV, is_inside, repository_root, user_cache_dir
from hfguard.plan import entries_for, plan_file
from hfguard.project import validate
from hfguard.stamp import Stamp, extra_test_file_name, is_hand_edited, read_stamp, test_file_name

if TYPE_CHECKING:
    from concurrent.futures import Future

CODES = {
    "HFG100": "syntax error",
    "HFG101": "indentation error",
    "HFG102": "inconsistent use of tabs and spaces",
    "HFG103": "source the compiler cannot take (null bytes, nesting too deep)",
    "HFG104": "import-time error while pytest collects the file (--collect)",
    "HFG105": "symbolic link: hfguard never follows one, so it is not verified",
    "HFG106": "cannot be read as a file (a folder where a file belongs, no permission)",
    "HFG110": "generated file edited by hand",
    "HFG111": "generated file rendered from an older template or registry entry",
    "HFG112": "your own file (no hfguard header) where the registry generates one",
    "HFG120": "generated file with no registry entry",
    "HFG121": "registry entry with no test file",
}
FORMATS = ("text", "json", "github")
CACHE_MAX_ENTRIES = 200_000
# The Python build and hfguard version a cached verdict holds for: it comes from a compile by exactly these.
BUILD = f"{sys.version} {sys.implementation.cache_tag} hfguard {__version__}"
_CACHE_KEY = re.compile(r"[0-9a-f]{64}")
# Below this much uncached source, a process pool costs more than it saves.
POOL_MIN_BYTES = 4_000_000
POOL_BATCH = 8  # files per pool task
PYTHON_VERSION = ".".join(map(str, sys.version_info[:3]))
STAMP_HEAD_BYTES = 4096


@dataclass(frozen=True)
class Finding:
    """One problem with one file, located at the line the interpreter (or the registry) blames."""

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str = "error"
    source: str | None = None
    end_col: int | None = None
    fix: str | None = None

    def __str__(self) -> str:
        return str(Problem(f"{self.code} {self.message}", self.path, self.line, self.col))

    def excerpt(self) -> str:
        """The offending source line, indented, with carets under the blamed columns."""
        if self.source is None:
            return ""
        text = self.source.rstrip("\r\n")
        start = min(self.col - 1, len(text))
        width = max(1, (self.end_col or 0) - self.col)
        pad = "".join("\t" if char == "\t" else " " for char in text[:start])
        return f"    {text}\n    {pad}{'^' * width}\n"


@dataclass
class Report:
    """Everything one verification run found."""

    findings: list[Finding]
    notes: list[str]
    files: int
    cached: int
    baselined: int = 0  # files the baseline holds unchanged: old breakage, counted, not failed
    baseline: str | None = None  # the baseline file, as shown
    stale_debts: int = 0  # baseline entries of the checked files whose file changed (fixed, or to fix)

    @property
    def exit_code(self) -> int:
        """1 when any finding is an error, else 0 (warnings do not fail)."""
        return int(any(finding.severity == "error" for finding in self.findings))

    def summary(self) -> str:
        """One line with the counts: files checked, findings per code, files in the baseline."""
        parts = [f"{self.files:,} file{'s' * (self.files != 1)} checked ({self.cached:,} from the cache)"]
        codes = sorted({finding.code for finding in self.findings})
        counts = ", ".join(f"{sum(f.code == code for f in self.findings):,} {code}" for code in codes)
        parts.append(f"{len(self.findings):,} finding{'s' * (len(self.findings) != 1)}: {counts}" if codes else "no findings")
        if self.baseline is not None:
            debt = f"{self.baselined:,} already broken, unchanged since the baseline {self.baseline}"
            if self.stale_debts:
                debt += (f"; {self.stale_debts:,} baselined file{'s' * (self.stale_debts != 1)} changed "
                         "(once they compile, 'hfguard verify --prune-baseline' counts the debt down)")
            parts.append(debt)
        return "hfguard verify: " + "; ".join(parts)


def compile_finding(path: str, source: bytes) -> Finding | None:
    """What ``compile()`` says about ``source``: None when it compiles, else one finding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        return _syntax_finding(path, source, error)
    except (ValueError, MemoryError, RecursionError) as error:
        line, col = _null_byte_position(source)
        return Finding(path, line, col, "HFG103", f"{type(error).__name__}: {error or 'the compiler gave up'}")
    return None


def _syntax_finding(path: str, source: bytes, error: SyntaxError) -> Finding:
    if error.lineno is None:  # null bytes: the interpreter names no line, so point at the first one
        line, col = _null_byte_position(source)
        return Finding(path, line, col, "HFG103", error.msg)
    code = "HFG102" if isinstance(error, TabError) else "HFG101" if isinstance(error, IndentationError) else "HFG100"
    line = max(error.lineno, 1)
    col = max(error.offset or 1, 1)  # 1-based; CPython says 0 for some errors at a line's start
    text = error.text
    if text is None:  # compiler errors carry no text; take the line from the source
        lines = source.splitlines()
        text = lines[line - 1].decode("utf-8", "replace") if line <= len(lines) else None
    end_col = error.end_offset if error.end_lineno == error.lineno and (error.end_offset or 0) > col else None
    return Finding(path, line, col, code, error.msg, source=text, end_col=end_col)


def _null_byte_position(source: bytes) -> tuple[int, int]:
    index = source.find(b"\0")
    if index < 0:
        return 1, 1
    return source.count(b"\n", 0, index) + 1, index - source.rfind(b"\n", 0, index)


@dataclass(frozen=True)
class Checked:
    """One file after the compile check: its cache key, whether the cache or the baseline vouched for it, its stamp."""

    key: str
    cached: bool
    finding: Finding | None
    stamp: Stamp | None
    baselined: bool = False  # unchanged since the baseline recorded it broken: not compiled


def _compile_files(names: list[str]) -> list[tuple[str, Finding | None]]:
    """(cache key, finding) of each file, read afresh: the unit of work of a pool worker."""
    sources = [Path(name).read_bytes() for name in names]
    return [(CompileCache.key(source), compile_finding(name, source)) for name, source in zip(names, sources)]


def check_files(names: list[str], clean: frozenset[str], jobs: int | None = None,
                baselined: dict[str, str] | None = None) -> list[Checked]:
    """Read and hash each file; compile those whose hash ``clean`` lacks.

    A file whose hash is the one ``baselined`` holds for it (file name -> hash) is old breakage: not compiled.
    A file that cannot be read is one ``HFG106`` finding. With much source to read, compiling goes to a process
    pool (largest files first, in small batches) while this process goes on reading and hashing; the pool starts
    only if needed.
    """
    jobs = jobs or len(os.sched_getaffinity(0))
    baselined = baselined or {}
    sizes = {name: _size(name) for name in names}
    pool = None
    if jobs >= 2 and sum(sizes.values()) >= POOL_MIN_BYTES:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(jobs, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))  # Ctrl-C: this process
    results: dict[str, Checked] = {}
    stamps: dict[str, Stamp | None] = {}
    batches: list[tuple[list[str], Future[list[tuple[str, Finding | None]]]]] = []
    batch: list[str] = []
    try:
        for name in sorted(names, key=lambda name: -sizes[name]) if pool else names:
            try:
                source = Path(name).read_bytes()
            except OSError as error:
                results[name] = Checked("", False, unreadable_finding(name, error), None)
                continue
            key = CompileCache.key(source)
            stamps[name] = read_stamp(source[:STAMP_HEAD_BYTES].decode("utf-8", "replace"))
            if baselined.get(name) == key:
                results[name] = Checked(key, False, None, stamps[name], baselined=True)
            elif key in clean:
                results[name] = Checked(key, True, None, stamps[name])
            elif pool is None:
                results[name] = Checked(key, False, compile_finding(name, source), stamps[name])
            else:
                batch.append(name)
                if len(batch) == POOL_BATCH:
                    batches.append((batch, pool.submit(_compile_files, batch)))
                    batch = []
        if pool is not None and batch:
            batches.append((batch, pool.submit(_compile_files, batch)))
        for submitted, future in batches:
            for name, (key, finding) in zip(submitted, future.result()):
                results[name] = Checked(key, False, finding, stamps[name])
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return [results[name] for name in names]


def _size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:
        return 0  # unreadable: reported when it is read


def unreadable_finding(name: str, error: OSError) -> Finding:
    """``HFG106`` for a file that cannot be read (a folder where a file belongs, no permission, gone meanwhile)."""
    what = "a folder, where a test file belongs" if isinstance(error, IsADirectoryError) else error.strerror or str(error)
    return Finding(name, 1, 1, "HFG106", f"cannot be read: {what}; rename or remove it, or fix its permissions")


def link_finding(name: str) -> Finding:
    """``HFG105`` for a symbolic link: never followed, so never verified (its content may lie outside the repository)."""
    return Finding(name, 1, 1, "HFG105", "is a symbolic link, which hfguard does not follow; replace it with the file itself "
                   "(or remove it)")


class CompileCache:
    """Content hashes of sources that compiled cleanly, for one Python build and one hfguard version (``BUILD``).

    It lives in the user's cache folder (``hfguard.paths.user_cache_dir``), never in a repository, so a
    verdict only ever comes from this machine's own compile of that exact content: a cache file committed
    to a repository is never read. A damaged file is ignored. It is rewritten atomically after merging
    with what concurrent runs wrote meanwhile, so a reader never sees a partial file.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"verify-{hashlib.sha256(BUILD.encode()).hexdigest()[:16]}.json"
        self.clean = self._read()
        self.added: set[str] = set()

    @classmethod
    def for_root(cls, root: Path) -> tuple[CompileCache | None, str | None]:
        """The cache for verifying files of the repository at ``root``, or None and why (a note)."""
        folder = user_cache_dir()
        if folder is None:
            return None, None
        if is_inside(folder, repository_root(root)):
            return None, (f"the compile cache {folder} would be inside the repository, where it could be committed; "
                          f"caching is off (set ${CACHE_DIR_ENV} to a folder outside it)")
        return cls(folder), None

    @staticmethod
    def key(source: bytes) -> str:
        """The cache key of a source: its SHA-256."""
        return hashlib.sha256(source).hexdigest()

    def _read(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        if not isinstance(data, dict) or data.get("build") != BUILD or not isinstance(data.get("clean"), list):
            return set()
        return {key for key in data["clean"] if isinstance(key, str) and _CACHE_KEY.fullmatch(key)}

    def add(self, key: str) -> None:
        """Remember a source that compiled cleanly."""
        if key not in self.clean:
            self.added.add(key)

    def save(self) -> None:
        """Merge this run's clean hashes into the file; silently skip an unwritable cache."""
        if not self.added:
            return
        merged = sorted(self._read() | self.clean | self.added)[-CACHE_MAX_ENTRIES:]
        try:
            write_atomic(self.path, json.dumps({"build": BUILD, "clean": merged}))
        except OSError:
            return
        self.clean |= self.added
        self.added = set()


SKIPPED_FOLDER_PREFIX = "."  # folders a walk does not enter: .git, .venv, .tox, .hfguard-backup, ...


def python_files(paths: Iterable[Path]) -> tuple[list[Path], list[Finding]]:
    """The given files, plus every ``*.py`` below the given folders (not in folders whose name starts with a dot);
    and a finding for each link (never followed: its content may lie outside the repository) and each ``*.py``
    that is no regular file. A missing path is an error.
    """
    found: list[Path] = []
    findings: list[Finding] = []
    missing = []
    for path in paths:
        if path.is_symlink():
            findings.append(link_finding(shown_path(path)))
        elif path.is_dir():
            _walk(path, found, findings)
        elif path.exists():
            found.append(path)
        else:
            missing.append(Problem("no such file or directory", path))
    if missing:
        raise HfguardError(*missing)
    return list(dict.fromkeys(found)), findings


def _walk(folder: Path, found: list[Path], findings: list[Finding]) -> None:
    """Every ``*.py`` below ``folder`` in sorted order; links and folders named ``*.py`` become findings (``os.walk``
    never enters a linked folder)."""
    for top, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith(SKIPPED_FOLDER_PREFIX))
        here = Path(top)
        for name in sorted(name for name in [*files, *folders] if name.endswith(".py")):
            path = here / name
            if path.is_symlink():
                findings.append(link_finding(shown_path(path)))
            elif path.is_dir():
                findings.append(unreadable_finding(shown_path(path), IsADirectoryError(21, "Is a directory")))
            else:
                found.append(path)


def verify(
    paths: list[Path] | None,
    config: Config | None,
    *,
    use_cache: bool = True,
    collect: bool = False,
    jobs: int | None = None,
) -> Report:
    """Verify ``paths`` (None: the whole configured tests dir) against ``config`` (None: compile only).

    Files the registry's baseline holds unchanged are counted, not compiled; a baselined file that changed is
    verified again, its finding saying so.
    """
    if paths is None and config is None:
        raise HfguardError("no paths given and no registry found")
    catalogue = None
    if config is not None and config.lock_path.is_file():  # the registry first: a typo'd entry stops here, with its line
        catalogue = load_catalogue(config.lock_path)
        validate(config, catalogue)
    if paths is None:  # the whole tests dir; not there yet is no error (its entries have no file: HFG121)
        paths = [config.tests_dir] if config.tests_dir.exists() else []
        whole_dir = True
    else:
        whole_dir = False
    files, findings = python_files(paths)
    names = [shown_path(path) for path in files]
    baseline = load_baseline(config.root) if config is not None else None
    debts = baseline.expected(names) if baseline is not None else {}
    cache, note = CompileCache.for_root(config.root if config else Path.cwd()) if use_cache else (None, None)
    checked = check_files(names, frozenset(cache.clean) if cache is not None else frozenset(), jobs, debts)
    for name, result in zip(names, checked):
        if result.finding is None:
            continue
        findings.append(_changed_debt(result.finding) if name in debts and result.finding.code != "HFG106" else result.finding)
    if cache is not None:
        for result in checked:
            if result.finding is None and not result.baselined and result.key:
                cache.add(result.key)
        cache.save()
    notes: list[str] = [note] if note else []
    readable = [(name, result) for name, result in zip(names, checked) if result.key]
    if config is not None:
        stamps = {name: result.stamp for name, result in readable}
        findings += generated_findings(config, catalogue, stamps, whole_dir=whole_dir, notes=notes)
    if collect:
        broken = {finding.path for finding in findings} | {name for name, result in readable if result.baselined}
        findings += collect_findings([name for name, _ in readable if name not in broken])
    findings.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    return Report(findings=findings, notes=notes, files=len(names), cached=sum(result.cached for result in checked),
                  baselined=sum(result.baselined for result in checked),
                  baseline=shown_path(baseline.path) if baseline is not None and baseline.files else None,
                  stale_debts=sum(not result.baselined for name, result in zip(names, checked) if name in debts))


def _changed_debt(finding: Finding) -> Finding:
    """A finding of a baselined file that changed since: its breakage is new, and says so."""
    return Finding(finding.path, finding.line, finding.col, finding.code,
                   f"{finding.message} (this file changed since the baseline recorded it broken: a changed file must compile)",
                   finding.severity, finding.source, finding.end_col, finding.fix)


def prune_baseline(config: Config) -> tuple[int, int, int]:
    """Drop the baseline entries whose file is gone, unreadable or changed: (fixed or removed, changed and still broken,
    kept). A changed file that still does not compile now fails ``verify`` until it is fixed; the count only goes down."""
    baseline = load_baseline(config.root)
    kept: dict[str, Debt] = {}
    gone = still_broken = 0
    for relative, debt in baseline.files.items():
        path = config.root / relative
        try:
            source = None if path.is_symlink() else path.read_bytes()
        except OSError:
            source = None
        if source is not None and CompileCache.key(source) == debt.sha256:
            kept[relative] = debt
        elif source is not None and compile_finding(str(path), source) is not None:
            still_broken += 1
        else:
            gone += 1
    if len(kept) != len(baseline.files):
        write_baseline(baseline.path, kept)
    return gone, still_broken, len(kept)


def generated_findings(config: Config, catalogue: Catalogue | None, stamps: dict[str, Stamp | None], *, whole_dir: bool,
                       notes: list[str]) -> list[Finding]:
    """Stale (hand-edited or older inputs) and orphan generated files; own files where one is generated;
    entries without a file. ``stamps`` maps each checked file to its stamp (None: not generated by hfguard);
    ``catalogue`` is the lock's (None: there is no lock).
    """
    if catalogue is not None:
        entries = {entry.model_type: entry for entry in entries_for(config, catalogue)}
    else:
        entries = dict(config.models)
        if whole_dir or any(stamps.values()):
            notes.append(f"no {shown_path(config.lock_path)}: skipped the registry and stale-inputs checks (run 'hfguard lock')")
    expected = {os.path.abspath(_expected_path(config, entry)): entry for entry in entries.values()}
    findings = []
    for name, stamp in stamps.items():
        entry = expected.get(os.path.abspath(name))
        if stamp is None:
            if entry is not None:
                findings.append(_own_file_in_the_way(name, entry.model_type))
            continue
        try:
            text = Path(name).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # already reported by the compile check
        if is_hand_edited(text, stamp):
            extra = shown_path(Path(name).with_name(extra_test_file_name(stamp.model_type)))
            findings.append(_stale(name, stamp.model_type, f"generated file was edited by hand; put your own tests in {extra} "
                                   "(or change the template through 'templates_dir'), then", "HFG110", " (it backs up your edit)"))
        elif entry is None or entry.model_type != stamp.model_type:
            owner = entries.get(stamp.model_type)
            advice = (
                f"the entry generates {shown_path(_expected_path(config, owner))}; delete this copy"
                if owner is not None
                else f"'hfguard generate' removes it, or add [models.{stamp.model_type}] to {config.path.name}"
            )
            message = f"generated file for '{stamp.model_type}' has no registry entry here; {advice}"
            findings.append(Finding(name, 1, 1, "HFG120", message, severity=config.orphans))
        elif catalogue is not None and stamp.inputs != plan_file(config, catalogue, entry).inputs:
            findings.append(_stale(name, stamp.model_type, "stale: rendered from an older template or registry entry;", "HFG111"))
    if whole_dir:
        for path, entry in expected.items():
            if not os.path.isfile(path):
                fix = f"hfguard generate {entry.model_type}"
                message = f"entry '{entry.model_type}' has no test file {shown_path(Path(path))}; run '{fix}'"
                findings.append(
                    Finding(shown_path(config.path), entry.line or 1, 1, "HFG121", message, severity=config.orphans, fix=fix)
                )
    return [finding for finding in findings if finding.severity != "off"]


def _stale(name: str, model_type: str, what: str, code: str, after: str = "") -> Finding:
    """A finding about a generated file that ``hfguard generate <model_type>`` fixes."""
    fix = f"hfguard generate {model_type}"
    return Finding(name, 1, 1, code, f"{what} run '{fix}'{after}", fix=fix)


def _own_file_in_the_way(name: str, model_type: str) -> Finding:
    """A file hfguard did not write, at the path where the registry generates one."""
    extra = shown_path(Path(name).with_name(extra_test_file_name(model_type)))
    return Finding(name, 1, 1, "HFG112", f"your own file (no hfguard header) is where the entry '{model_type}' generates its "
                   f"tests; move it to {extra} ('hfguard adopt' does it), then run 'hfguard generate {model_type}'")


def collect_findings(names: list[str]) -> list[Finding]:
    """Import-time errors that ``pytest --collect-only`` meets in the files (one finding per file)."""
    if not names:
        return []
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *names],
        capture_output=True,
        text=True,
    )
    if result.returncode in (0, 5):  # 5: nothing collected
        return []
    sections = re.split(r"^_+ ERROR collecting (\S+) _+$", result.stdout, flags=re.M)
    if len(sections) < 3:
        raise HfguardError(f"pytest --collect-only failed (exit {result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    findings = []
    for name, body in zip(sections[1::2], sections[2::2]):
        raised = re.findall(r"^E\s+(.+)$", body, re.M)
        message = raised[-1] if raised else body.strip().splitlines()[0]
        findings.append(Finding(name, 1, 1, "HFG104", f"import-time error during collection: {message}"))
    return findings


def format_report(report: Report, fmt: str) -> str:
    """The report as ``text`` (with source excerpts), ``json`` or ``github`` workflow annotations."""
    if fmt == "json":
        data = {
            "schema_version": 1,
            "files": report.files,
            "cached": report.cached,
            "findings": [asdict(finding) for finding in report.findings],
            "notes": report.notes,
            "baselined": report.baselined,
            "baseline": report.baseline,
            "summary": report.summary(),
        }
        return json.dumps(data, indent=1) + "\n"
    if fmt == "github":
        lines = [
            f"::{'warning' if f.severity == 'warning' else 'error'} file={workflow_property(f.path)},line={f.line},"
            f"col={f.col},title={f.code}::{workflow_data(f.message)}"
            for f in report.findings
        ]
        lines += [f"::notice::{workflow_data(note)}" for note in report.notes]
        return "".join(line + "\n" for line in lines)
    return "".join(
        f"{finding}{' (warning)' if finding.severity == 'warning' else ''}\n{finding.excerpt()}" for finding in report.findings
    )


def _expected_path(config: Config, entry: ModelEntry) -> Path:
    return config.tests_dir / test_file_name(entry.model_type)

