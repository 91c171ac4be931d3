"""Adopting a repository that already has per-model tests, as a pipeline whose every stage is data the next reads:

1. **find** every tracked ``test_hf_*.py`` in any folder (``git ls-files``; a walk outside git), its hash, whether
   its content is the tracked one, and whether it compiles (``hfguard.verify``'s check, cache and pool);
2. **map** each name to a model type, or a reason (``hfguard.naming``);
3. **plan** the registry entries (model types ``generate`` accepts; the others get the reason it gives), the few
   files that collide with a generated one, the files already broken, the ``team_tests`` globs;
4. **apply** (skipped by ``--dry-run``): add the entries to the registry (its lines kept), move only the colliding
   files to their ``_extra`` name in the same folder (``git mv``; not a byte changes), record the files already
   broken in the baseline (``hfguard.baseline``);
5. **report**: counts per reason, the first few broken files, and one summary line; the full plan goes to a log file.

A file's content is never rewritten; nothing is deleted.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hfguard.atomic import write_atomic
from hfguard.baseline import BASELINE_NAME, Debt, load_baseline, write_baseline
from hfguard.catalogue import Catalogue
from hfguard.config import Config, ModelEntry, parse_config
from hfguard.errors import HfguardError, Problem, shown_path
from hfguard.naming import MAPPED, Namer, Naming, file_name_of
from hfguard.names import printable
from hfguard.plan import plan_file
from hfguard.stamp import Stamp, extra_test_file_name, is_hand_edited, test_file_name
from hfguard.verify import CompileCache, Finding, check_files

PATTERN = "test_hf_*.py"
LOG_DIR = ".hfguard-logs"  # git-ignored by its own .gitignore, like the backups
LOG_NAME = "adopt.log"
CANNOT_GENERATE = "cannot-generate"  # a name that maps to a model type generate refuses
SHOWN_PER_REASON = 6  # names printed per reason (the log has them all)
SHOWN_BROKEN = 5  # broken files printed (the log and the baseline have them all)


@dataclass(frozen=True)
class TestFile:
    """One ``test_hf_*.py`` of the repository (stage find)."""

    path: Path
    relative: str  # from the registry's folder, with '/'
    sha256: str
    tracked: bool  # its content is the one git tracks (outside git: always)
    stamp: Stamp | None
    finding: Finding | None  # why it does not compile; None when it does

    @property
    def name(self) -> str:
        return file_name_of(self.path.stem)

    @property
    def generated(self) -> bool:
        return self.stamp is not None


@dataclass(frozen=True)
class Move:
    """A hand-written file where ``generate`` will write one, and its ``_extra`` name in the same folder."""

    source: TestFile
    target: Path
    blocked: bool  # the ``_extra`` name is taken too: merge by hand


@dataclass
class Plan:
    """What adopting does (stage plan): everything apply writes and report counts."""

    files: list[TestFile]
    links: list[str]  # tracked test_hf_*.py that are symbolic links: never followed
    namings: dict[str, Naming]  # name -> how it maps
    refused: dict[str, str]  # model type -> why generate refuses it
    registered: set[str]  # model types the registry has already
    entries: list[str]  # model types to add
    moves: list[Move]
    broken: list[TestFile]  # already broken and tracked as they are: the baseline
    untracked_broken: list[TestFile]  # broken, but not as git tracks them: to fix, not debt
    baselined_before: int  # of ``broken``, already in the baseline
    team_globs: list[str]  # globs covering the team's own files outside the tests dir
    transformers_version: str

    def how(self, name: str) -> str:
        """The reason key of a name: a ``hfguard.naming`` one, or ``CANNOT_GENERATE``."""
        naming = self.namings[name]
        return CANNOT_GENERATE if naming.mapped and naming.model_type in self.refused else naming.how

    def mapped_types(self) -> set[str]:
        return {n.model_type for n in self.namings.values() if n.model_type is not None and n.model_type not in self.refused}


# ---- stage 1: find ---------------------------------------------------------------------------------------------


def list_test_files(root: Path) -> tuple[dict[str, str | None], list[str]]:
    """Tracked ``test_hf_*.py`` below ``root``: (relative path -> git blob id, links). Outside git: a walk, no ids."""
    try:
        listed = subprocess.run(["git", "ls-files", "-s", "-z", "--", f":(glob)**/{PATTERN}"], cwd=root,
                                capture_output=True, text=True, check=False)
    except OSError:
        listed = None
    if listed is None or listed.returncode != 0:
        return _walk_test_files(root), []
    files: dict[str, str | None] = {}
    links = []
    for record in filter(None, listed.stdout.split("\0")):
        info, _, relative = record.partition("\t")
        mode, blob = info.split()[:2]
        if mode == "120000":
            links.append(relative)
        elif mode.startswith("100") and os.path.lexists(root / relative):
            files.setdefault(relative, blob)
    return files, links


def _walk_test_files(root: Path) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for top, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            path = Path(top) / name
            if re.fullmatch(r"test_hf_.*\.py", name) and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = None
    return found


def git_blob_id(data: bytes) -> str:
    """The id git gives a file of this content (so 'is it as tracked' needs no further git call)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def find(config: Config) -> tuple[list[TestFile], list[str]]:
    """Every ``test_hf_*.py`` below the registry's folder, compiled (cached) unless the baseline holds it; and links."""
    root = config.root
    listed, links = list_test_files(root)
    names = [shown_path(root / relative) for relative in listed]
    baseline = load_baseline(config.root)
    debts = baseline.expected(names)
    cache, _ = CompileCache.for_root(root)
    checked = check_files(names, frozenset(cache.clean) if cache is not None else frozenset(), baselined=debts)
    files = []
    for (relative, blob), name, result in zip(listed.items(), names, checked):
        if not result.key:
            continue  # unreadable (a folder where a file belongs): verify reports it
        data = Path(name).read_bytes()
        finding = result.finding
        if result.baselined:
            debt = baseline.files[baseline.relative(name)]
            code, _, message = debt.finding.partition(" ")
            finding = Finding(name, debt.line, 1, code, message)
        elif finding is None and cache is not None:
            cache.add(result.key)
        files.append(TestFile(Path(name), relative, result.key, blob is None or git_blob_id(data) == blob, result.stamp, finding))
    if cache is not None:
        cache.save()
    return files, links


# ---- stages 2 and 3: map and plan -------------------------------------------------------------------------------


def make_plan(config: Config, catalogue: Catalogue) -> Plan:
    """Find, map and plan; writes nothing."""
    files, links = find(config)
    namer = Namer(catalogue.models, catalogue.transformers_version)
    namings = {}
    for item in files:
        if item.name not in namings:
            namings[item.name] = namer.name(item.name)
    refused = {}
    for model_type in sorted({n.model_type for n in namings.values() if n.model_type is not None} - set(config.models)):
        why = generation_refusal(config, catalogue, model_type)
        if why is not None:
            refused[model_type] = why
    mapped = {n.model_type for n in namings.values() if n.model_type is not None and n.model_type not in refused}
    entries = sorted(mapped - set(config.models))
    moves = collisions(files, config, mapped | set(config.models))
    moved = {move.source.relative: move for move in moves if not move.blocked}
    broken = [_after_move(item, moved) for item in files if item.finding is not None and not item.generated and item.tracked]
    untracked = [item for item in files if item.finding is not None and not item.generated and not item.tracked]
    baseline = load_baseline(config.root)
    before = sum(1 for item in broken if baseline.files.get(item.relative, None) is not None
                 and baseline.files[item.relative].sha256 == item.sha256)
    team = [item for item in files if not item.generated and not _inside(item.path, config.tests_dir)]
    return Plan(files, links, namings, refused, set(config.models), entries, moves, broken, untracked, before,
                team_globs(team), catalogue.transformers_version)


def generation_refusal(config: Config, catalogue: Catalogue, model_type: str) -> str | None:
    """Why ``generate`` would refuse a bare ``[models.<model_type>]`` entry (it is asked), or None."""
    try:
        plan_file(config, catalogue, ModelEntry(model_type=model_type, line=0))
    except HfguardError as error:
        info = catalogue.get(model_type)
        return f"{info.kind}: {info.reason}" if info.reason else "; ".join(problem.message for problem in error.problems)
    return None


def collisions(files: list[TestFile], config: Config, registered: set[str]) -> list[Move]:
    """Hand-written files exactly where ``generate`` will write a registered model type's file: move to ``_extra``."""
    expected = {os.path.abspath(config.tests_dir / test_file_name(name)): name for name in registered}
    moves = []
    for item in files:
        model_type = expected.get(os.path.abspath(item.path))
        if model_type is None or item.stamp is not None:
            continue
        target = item.path.with_name(extra_test_file_name(model_type))
        moves.append(Move(item, target, os.path.lexists(target)))
    return moves


def _after_move(item: TestFile, moved: dict[str, Move]) -> TestFile:
    """The file where it will be once its move is applied (the baseline keys it there)."""
    move = moved.get(item.relative)
    if move is None:
        return item
    relative = str(Path(item.relative).with_name(move.target.name).as_posix())
    return TestFile(move.target, relative, item.sha256, item.tracked, item.stamp, item.finding)


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))


def team_globs(files: list[TestFile]) -> list[str]:
    """Globs covering the team's own test files: one per top-level folder holding some, and the root's own."""
    tops = sorted({item.relative.split("/", 1)[0] if "/" in item.relative else "" for item in files})
    return [f"{top}/**/{PATTERN}" if top else PATTERN for top in tops]


# ---- stage 4: apply ---------------------------------------------------------------------------------------------


def apply(plan: Plan, config: Config) -> list[str]:
    """Write the registry, move the colliding files, record the baseline; lines saying what could not be done."""
    notes = add_to_registry(config, plan.entries, plan.team_globs)
    for move in plan.moves:
        if not move.blocked:
            move_file(move)
    baseline = load_baseline(config.root)
    debts = dict(baseline.files)
    for item in plan.broken:
        assert item.finding is not None
        debts[item.relative] = Debt(item.relative, item.sha256, item.finding.line, printable(f"{item.finding.code} {item.finding.message}", 300))
    if debts != baseline.files:
        write_baseline(baseline.path, debts)
    return notes


def add_to_registry(config: Config, entries: list[str], globs: list[str]) -> list[str]:
    """Add ``[models.<type>]`` tables (and ``team_tests`` when the registry has none) keeping every line of the file.

    The result must parse to the old registry plus exactly these; otherwise the file stays as it is and the
    returned lines say what to add by hand.
    """
    text = config.path.read_text(encoding="utf-8")
    prefix = "tool.hfguard." if config.path.name == "pyproject.toml" else ""
    added = text
    notes = []
    wanted_globs = globs if not config.team_tests and globs else []
    if wanted_globs:
        with_globs = _with_top_level_key(added, "team_tests", _toml_list(wanted_globs), pyproject=bool(prefix))
        if with_globs is None:
            notes.append(f"add team_tests = {_toml_list(wanted_globs)} to the top of {config.path.name} yourself, so coverage "
                         "counts the team's own test files")
            wanted_globs = []
        else:
            added = with_globs
    if entries:
        block = "".join(f"\n[{prefix}models.{_toml_key(name)}]\n" for name in entries)
        added = added + ("" if added.endswith("\n") or not added else "\n") + \
            "\n# Added by 'hfguard adopt': model types the team's test_hf_*.py files are named after.\n" + block.lstrip("\n")
    if added == text:
        return notes
    new = parse_config(added, config.path)
    old = parse_config(text, config.path)
    if set(new.models) != set(old.models) | set(entries) or new.team_tests != (tuple(wanted_globs) or old.team_tests):
        raise HfguardError(Problem("cannot add the entries without changing what the registry says; add them by hand "
                                   "(see the log)", config.path))
    write_atomic(config.path, added)
    return notes


def _with_top_level_key(text: str, key: str, value: str, pyproject: bool) -> str | None:
    """``text`` with ``key = value`` among the registry's top-level keys, every other line kept; None if unsure."""
    lines = text.splitlines(keepends=True)
    header = re.compile(r"^\s*\[\s*tool\s*\.\s*hfguard\s*\]\s*(#.*)?$") if pyproject else re.compile(r"^\s*\[")
    index = next((i for i, line in enumerate(lines) if header.match(line.rstrip("\r\n"))), None)
    row = f"{key} = {value}\n"
    if index is None:
        if pyproject:
            return text + ("" if text.endswith("\n") or not text else "\n") + f"\n[tool.hfguard]\n{row}"
        return text + ("" if text.endswith("\n") or not text else "\n") + row
    at = index + 1 if pyproject else index
    return "".join(lines[:at]) + row + ("" if pyproject else "\n") + "".join(lines[at:])


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_string(value) for value in values) + "]"


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_string(name)


def move_file(move: Move) -> None:
    """Move a hand-written file to its ``_extra`` name in the same folder (``git mv`` when tracked), byte for byte."""
    path, target = move.source.path, move.target
    before = path.read_bytes()
    if _tracked(path):
        done = subprocess.run(["git", "mv", "--", path.name, target.name], cwd=path.parent, capture_output=True, text=True)
        if done.returncode != 0:
            raise HfguardError(Problem(f"git mv failed: {done.stderr.strip().splitlines()[-1]}", path))
    else:
        os.rename(path, target)
    if target.read_bytes() != before:  # cannot happen with a rename; checked because it must never
        raise HfguardError(Problem("moved file differs from the original", target))


def _tracked(path: Path) -> bool:
    try:
        result = subprocess.run(["git", "ls-files", "--error-unmatch", "--", path.name], cwd=path.parent, capture_output=True)
    except OSError:
        return False
    return result.returncode == 0


# ---- stage 5: report --------------------------------------------------------------------------------------------


def reason_counts(plan: Plan) -> Counter[str]:
    """Names per reason key (``hfguard.naming``'s, plus ``CANNOT_GENERATE``)."""
    return Counter(plan.how(name) for name in plan.namings)


def counted(number: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``1 entry``, ``1,204 entries``."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number:,} {noun if number == 1 else plural}"


def summary_line(plan: Plan, config: Config, applied: bool) -> str:
    """The one line with the counts: files found, model types mapped, names explained by reason, moved, broken."""
    counts = reason_counts(plan)
    folders = len({str(Path(item.relative).parent) for item in plan.files})
    mapped = {key: counts[key] for key in MAPPED if counts[key]}
    explained = {key: count for key, count in counts.items() if key not in MAPPED}
    moved = sum(not move.blocked for move in plan.moves)
    per = ", ".join(f"{key} {count:,}" for key, count in mapped.items())
    why = ", ".join(f"{key} {count:,}" for key, count in sorted(explained.items(), key=lambda pair: -pair[1]))
    return (f"hfguard adopt: {counted(len(plan.files), 'file')} found in {counted(folders, 'folder')}; "
            f"{counted(len(plan.namings), 'name')}: {sum(mapped.values()):,} mapped to {counted(len(plan.mapped_types()), 'model type')} "
            f"({per or 'none'}), {sum(explained.values()):,} explained ({why or 'none'}); {counted(len(plan.entries), 'entry')} "
            f"{'added to' if applied else 'to add to'} {config.path.name}; {counted(moved, 'file')} {'moved' if applied else 'to move'}; "
            f"{counted(len(plan.broken), 'file')} already broken ({'in' if applied else 'for'} the baseline {BASELINE_NAME})")


def log_text(plan: Plan, config: Config) -> str:
    """The full plan: every file with its name's mapping, the entries, the moves and every broken file."""
    lines = [f"hfguard adopt: the full plan (transformers {plan.transformers_version})", "", "## files"]
    for item in plan.files:
        naming = plan.namings[item.name]
        key = plan.how(item.name)
        target = f" -> {naming.model_type}" if naming.model_type else ""
        why = plan.refused.get(naming.model_type or "", "") if key == CANNOT_GENERATE else naming.reason
        kind = " [generated by hfguard]" if item.generated else ""
        lines.append(printable(f"{item.relative}: {item.name}{target} ({key}{f': {why}' if why else ''}){kind}", 2000))
    lines += ["", f"## registry entries to add ({len(plan.entries)})", *plan.entries]
    lines += ["", f"## model types generate refuses ({len(plan.refused)})"]
    lines += [printable(f"{name}: {why}", 2000) for name, why in sorted(plan.refused.items())]
    lines += ["", f"## moves ({len(plan.moves)})"]
    lines += [f"{move.source.relative} -> {move.target.name}{' (blocked: both names taken)' if move.blocked else ''}"
              for move in plan.moves]
    lines += ["", f"## already broken ({len(plan.broken)}), recorded in the baseline"]
    lines += [printable(f"{item.relative}:{item.finding.line}: {item.finding.code} {item.finding.message}", 2000)
              for item in plan.broken if item.finding is not None]
    lines += ["", f"## broken, and not as git tracks them ({len(plan.untracked_broken)}): fix before committing"]
    lines += [printable(f"{item.relative}:{item.finding.line}: {item.finding.code} {item.finding.message}", 2000)
              for item in plan.untracked_broken if item.finding is not None]
    lines += ["", f"## symbolic links, not followed ({len(plan.links)})", *(printable(link, 2000) for link in plan.links)]
    lines += ["", f"## team_tests globs: {', '.join(plan.team_globs) or 'none'} (registry: {', '.join(config.team_tests) or 'none'})"]
    return "\n".join(lines) + "\n"


def write_log(root: Path, text: str) -> Path:
    """Write the plan to ``.hfguard-logs/adopt.log`` (the folder git-ignores itself); its path."""
    folder = root / LOG_DIR
    if not (folder / ".gitignore").exists():
        write_atomic(folder / ".gitignore", "# hfguard's logs: yours to read, not to commit\n*\n")
    path = folder / LOG_NAME
    write_atomic(path, text)
    return path


def edited_generated(plan: Plan) -> list[TestFile]:
    """Generated files edited by hand (``generate`` backs the edit up before it rewrites them)."""
    return [item for item in plan.files
            if item.stamp is not None and is_hand_edited(item.path.read_bytes().decode("utf-8", "replace"), item.stamp)]
