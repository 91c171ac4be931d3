"""Change detection: what a registry, its templates and its lock say at two git revisions.

Everything is read from git objects (GitPython, imported lazily); the worktree is never touched.
The head defaults to ``HEAD`` -- the last commit, not uncommitted edits -- so that a CI job and a
developer see the same answer. The base side is the merge base of base and head, the commit the
head's branch grew from, so that changes made meanwhile on the base branch are not reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from hfguard.catalogue import Catalogue
from hfguard.config import CONFIG_NAME, LOCK_NAME, PYPROJECT_NAME, Config, ModelEntry, parse_config
from hfguard.errors import HfguardError, Problem
from hfguard.plan import entries_for
from hfguard.stamp import is_hand_edited, read_stamp, test_file_name

if TYPE_CHECKING:
    from git import Blob, Commit, Repo

SCHEMA_VERSION = 1
ZERO_SHA = "0" * 40
ZERO_SHAS = (ZERO_SHA, "0" * 64)  # "before" of a push that created a branch (SHA-1 and SHA-256 repositories)
DEFAULT_BRANCHES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")
BUILTIN_TEMPLATES = PurePosixPath("templates")  # where hfguard's own repo keeps its templates
FETCH_HINT = (
    "fetch more history: with actions/checkout set 'fetch-depth: 0', "
    "or run 'git fetch --deepen=<N>' or 'git fetch --unshallow'"
)


class Revision:
    """The files of one commit, read from git objects, addressed by worktree paths."""

    def __init__(self, commit: Commit, worktree: Path) -> None:
        self.commit = commit
        self.worktree = worktree

    def key(self, path: Path | PurePosixPath) -> str:
        """The repository-relative POSIX path of a worktree path; an error for a path outside the repository."""
        path = Path(path)
        if path.is_absolute() and not path.is_relative_to(self.worktree):
            raise HfguardError(f"{path} is outside the repository {self.worktree}; keep the registry and its folders inside it")
        relative = path.relative_to(self.worktree) if path.is_absolute() else path
        return PurePosixPath(relative).as_posix()

    def read(self, path: Path | PurePosixPath) -> str | None:
        """Text of a file at this revision, None when it does not exist there."""
        try:
            blob = self.commit.tree / self.key(path)
        except KeyError:
            return None
        return text_of(blob) if blob.type == "blob" else None

    def files(self, folder: Path | PurePosixPath, suffix: str) -> dict[str, Blob]:
        """The files directly in ``folder`` whose names end with ``suffix`` (one tree read)."""
        try:
            tree = self.commit.tree / self.key(folder)
        except KeyError:
            return {}
        if tree.type != "tree":
            return {}
        return {blob.name: blob for blob in tree.blobs if blob.name.endswith(suffix)}

    def listing(self, folder: Path | PurePosixPath, suffix: str) -> dict[str, str]:
        """Blob ids of the files directly in ``folder`` whose names end with ``suffix``."""
        return {name: blob.hexsha for name, blob in self.files(folder, suffix).items()}

    def config(self, project: Path) -> Config | None:
        """The registry of ``project`` (a worktree directory) at this revision, if it has one."""
        for name in (CONFIG_NAME, PYPROJECT_NAME):
            text = self.read(project / name)
            if text is None or name == PYPROJECT_NAME and "[tool.hfguard" not in text:
                continue
            label = f"{self.commit.hexsha[:10]}:{self.key(project / name)}"
            try:
                return parse_config(text, project / name)
            except HfguardError as error:
                raise HfguardError(*(Problem(p.message, label, p.line, p.col) for p in error.problems)) from None
        return None

    def catalogue(self, project: Path) -> Catalogue | None:
        """The catalogue snapshotted in ``hfguard.lock`` at this revision, if there is one."""
        text = self.read(project / LOCK_NAME)
        return None if text is None else Catalogue.from_json(text, project / LOCK_NAME)

    def templates(self, project: Path, config: Config | None) -> dict[str, str]:
        """Effective template files (name -> blob id): hfguard's own, overridden by ``templates_dir``."""
        found: dict[str, str] = {}
        if _is_hfguard_repo(self):
            found.update(self.listing(BUILTIN_TEMPLATES, ".j2"))
        if config is not None and config.templates_dir is not None:
            found.update(self.listing(config.templates_dir, ".j2"))
        return found


def text_of(blob: Blob) -> str:
    """The text of a git blob."""
    return blob.data_stream.read().decode("utf-8", errors="replace")


def _is_hfguard_repo(revision: Revision) -> bool:
    text = revision.read(PurePosixPath(PYPROJECT_NAME)) or ""
    return 'name = "hfguard"' in text and bool(revision.listing(BUILTIN_TEMPLATES, ".j2"))


@dataclass
class Comparison:
    """Which two commits are compared, and why."""

    base_ref: str
    head_ref: str
    head: Commit
    base: Commit | None  # None: every entry counts as new
    mode: str  # "merge-base", "default-branch" or "everything-new"
    notes: list[str] = field(default_factory=list)


def open_repo(path: Path) -> Repo:
    """The git repository containing ``path``; a clear error when there is none."""
    import git

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HfguardError(f"{path} is not inside a git repository") from None
    if repo.bare or repo.working_tree_dir is None:
        raise HfguardError(f"{repo.git_dir} is a bare repository (no work tree); run hfguard in a checkout of it")
    return repo


def _is_shallow(repo: Repo) -> bool:
    return (Path(repo.git_dir) / "shallow").is_file()


def _commit(repo: Repo, ref: str) -> Commit | None:
    """The commit ``ref`` names, as ``git rev-parse`` resolves it (``HEAD@{100}``, ``main~2``, ...), or None."""
    import git

    try:
        sha = repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except git.GitCommandError:
        return None
    return repo.commit(sha)


def _missing(repo: Repo, role: str, ref: str) -> HfguardError:
    if not repo.head.is_valid():
        return HfguardError("this repository has no commits yet; commit the registry first, then compare")
    if "@{" in ref:
        return HfguardError(f"{role} revision '{ref}' is not in this repository's reflog; pass a commit, branch or tag that exists")
    if _is_shallow(repo):
        return HfguardError(f"{role} revision '{ref}' is not in this shallow clone; {FETCH_HINT}")
    if ref.startswith("-"):  # an option, not a revision: never suggest it to git
        return HfguardError(f"{role} revision '{ref}' looks like an option; pass a commit, branch or tag")
    return HfguardError(
        f"{role} revision '{ref}' is not in this repository (never fetched, or dropped by a force push); "
        f"run 'git fetch origin {ref}' or pass a revision that exists"
    )


def compare(repo: Repo, base: str, head: str | None = None, default_branch: str | None = None) -> Comparison:
    """Resolve base and head to the two commits to compare (the base side is their merge base)."""
    head_ref = head or "HEAD"
    for role, ref in (("base", base), ("head", head_ref)):
        if not ref.strip():
            raise HfguardError(f"the {role} revision is empty; pass a commit, branch or tag (in a workflow: is the event's SHA set?)")
    head_commit = _commit(repo, head_ref)
    if head_commit is None:
        raise _missing(repo, "head", head_ref)
    if base in ZERO_SHAS:  # the all-zeros "before" SHA of a push that created a branch
        return _new_branch(repo, base, head_ref, head_commit, default_branch)
    base_commit = _commit(repo, base)
    if base_commit is None:
        raise _missing(repo, "base", base)
    bases = repo.merge_base(base_commit, head_commit)
    if not bases:
        if _is_shallow(repo):
            raise HfguardError(f"no common history of '{base}' and '{head_ref}' in this shallow clone; {FETCH_HINT}")
        raise HfguardError(f"'{base}' and '{head_ref}' have no common history; pass a base on the same history")
    notes = []
    if bases[0] != base_commit:
        notes.append(
            f"base {base_commit.hexsha[:10]} is not an ancestor of head (diverged branches or a force push); "
            f"compared with their merge base {bases[0].hexsha[:10]}"
        )
    return Comparison(base, head_ref, head_commit, bases[0], "merge-base", notes)


def _new_branch(repo: Repo, base: str, head_ref: str, head: Commit, default_branch: str | None) -> Comparison:
    candidates = (default_branch,) if default_branch else DEFAULT_BRANCHES
    for name in candidates:
        branch = _commit(repo, name)
        bases = repo.merge_base(branch, head) if branch is not None else []
        if bases:
            note = (
                f"base is the all-zeros SHA (a push that created the branch): compared with the merge base "
                f"{bases[0].hexsha[:10]} of '{name}' and head"
            )
            return Comparison(base, head_ref, head, bases[0], "default-branch", [note])
    note = (
        "base is the all-zeros SHA (a push that created the branch) and no default branch "
        f"({', '.join(candidates)}) shares history with head: every entry counts as new"
    )
    return Comparison(base, head_ref, head, None, "everything-new", [note])


@dataclass
class ChangeReport:
    """What changed between the base side and the head, and which entries to regenerate."""

    comparison: Comparison
    added: list[str]
    changed: dict[str, list[str]]
    removed: list[str]
    templates: list[str]
    families: list[str]  # "*" when a shared template changed
    lock: tuple[str | None, str | None]
    hand_edited: list[str]
    regenerate: dict[str, list[str]]  # model type -> reasons
    leftover: list[str] = field(default_factory=list)  # removed entries whose generated file is still at head

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable form (``hfguard changed --json``)."""
        c = self.comparison
        return {
            "schema_version": SCHEMA_VERSION,
            "base": c.base_ref,
            "head": c.head_ref,
            "head_commit": c.head.hexsha,
            "base_commit": c.base.hexsha if c.base is not None else None,
            "mode": c.mode,
            "notes": c.notes,
            "entries": {"added": self.added, "changed": self.changed, "removed": self.removed,
                        "removed_with_file": self.leftover},
            "templates": {"changed": self.templates, "families": self.families},
            "lock": {"base": self.lock[0], "head": self.lock[1], "changed": self.lock[0] != self.lock[1]},
            "hand_edited": self.hand_edited,
            "regenerate": self.regenerate,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_text(self) -> str:
        """Human-readable form."""
        c = self.comparison
        base = c.base.hexsha[:10] if c.base is not None else "(nothing)"
        lines = [f"comparing {base} (base side of '{c.base_ref}') with {c.head.hexsha[:10]} ('{c.head_ref}')"]
        lines += [f"note: {note}" for note in c.notes]
        lines += [f"added: {name}" for name in self.added]
        lines += [f"changed: {name} ({', '.join(keys)})" for name, keys in self.changed.items()]
        lines += [f"removed: {name}" + (" (its generated file is still there: 'hfguard generate' removes it)"
                                         if name in self.leftover else "") for name in self.removed]
        if self.templates:
            families = "all families" if self.families == ["*"] else ", ".join(self.families)
            lines.append(f"templates changed: {', '.join(self.templates)} -> {families}")
        if self.lock[0] != self.lock[1]:
            lines.append(f"transformers in {LOCK_NAME}: {self.lock[0]} -> {self.lock[1]} -> every entry")
        lines += [f"hand-edited generated file: {path} (regenerate it, or move the edit into the registry)" for path in self.hand_edited]
        if self.regenerate:
            lines.append(f"regenerate ({len(self.regenerate)}): {' '.join(self.regenerate)}")
        else:
            lines.append("regenerate: nothing")
        return "\n".join(lines) + "\n"


def detect_changes(project: Path, base: str, head: str | None = None, default_branch: str | None = None) -> ChangeReport:
    """Compare the registry of ``project`` (its worktree directory) between two revisions."""
    project = project.resolve()
    repo = open_repo(project)
    worktree = Path(repo.working_tree_dir).resolve()
    comparison = compare(repo, base, head, default_branch)
    new = Revision(comparison.head, worktree)
    new_config = new.config(project)
    old = Revision(comparison.base, worktree) if comparison.base is not None else None
    old_config = old.config(project) if old is not None else None
    if new_config is None and old_config is None:
        raise HfguardError(f"no {CONFIG_NAME} or [tool.hfguard] in {PYPROJECT_NAME} under {project} at either revision")
    new_catalogue = new.catalogue(project)
    old_catalogue = old.catalogue(project) if old is not None else None

    old_models = old_config.models if old_config else {}
    new_models = new_config.models if new_config else {}
    added = sorted(set(new_models) - set(old_models))
    removed = sorted(set(old_models) - set(new_models))
    changed = {
        name: keys
        for name in sorted(set(old_models) & set(new_models))
        if (keys := _changed_keys(old_models[name], new_models[name]))
    }
    head_entries = _head_entries(new_config, new_catalogue)
    regenerate: dict[str, list[str]] = {}

    def flag(names: list[str], reason: str) -> None:
        for name in names:
            if name in head_entries:
                regenerate.setdefault(name, []).append(reason)

    flag(added, "added")
    for name, keys in changed.items():
        flag([name], f"changed: {', '.join(keys)}")

    old_templates = old.templates(project, old_config) if old is not None else {}
    new_templates = new.templates(project, new_config)
    templates = sorted(n for n in set(old_templates) | set(new_templates) if old_templates.get(n) != new_templates.get(n))
    families = ["*"] if any(n.startswith("_") for n in templates) else sorted(n.removesuffix(".j2") for n in templates)
    if templates:
        flag([n for n, e in head_entries.items() if _in_families(e, new_catalogue, families)], "template changed")

    lock = (
        old_catalogue.transformers_version if old_catalogue else None,
        new_catalogue.transformers_version if new_catalogue else None,
    )
    if old is not None and lock[0] != lock[1]:
        flag(list(head_entries), f"transformers {lock[0]} -> {lock[1]}")
    elif old_catalogue and new_catalogue:
        flag([n for n in head_entries if _info(old_catalogue, n) != _info(new_catalogue, n)], "catalogue facts changed")
    if old_config and new_config and old_config.tests_dir != new_config.tests_dir:
        flag(list(head_entries), "tests_dir changed")
    if old_config and new_config and old_config.checks != new_config.checks:
        flag(list(head_entries), "team check modules changed")

    hand_edited = _hand_edited(new, new_config, old, old_config) if new_config else []
    for path in hand_edited:
        flag([n for n in head_entries if path.endswith("/" + test_file_name(n))], "hand-edited")
    leftover = [name for name in removed if new_config is not None
                and new.read(new_config.tests_dir / test_file_name(name)) is not None]
    return ChangeReport(comparison, added, changed, removed, templates, families, lock, hand_edited, dict(sorted(regenerate.items())),
                        leftover)


def changed_model_types(repo_root: Path, base: str, head: str | None = None) -> list[str]:
    """The entries to regenerate between ``base`` and ``head`` (for ``generate --changed``)."""
    return list(detect_changes(repo_root, base, head).regenerate)


def _changed_keys(old: ModelEntry, new: ModelEntry) -> list[str]:
    before, after = old.as_dict(), new.as_dict()
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def _head_entries(config: Config | None, catalogue: Catalogue | None) -> dict[str, ModelEntry]:
    if config is None:
        return {}
    if catalogue is None:
        return dict(config.models)
    return {entry.model_type: entry for entry in entries_for(config, catalogue)}


def _in_families(entry: ModelEntry, catalogue: Catalogue | None, families: list[str]) -> bool:
    """Whether an entry renders from one of ``families``; unknown families count as affected."""
    if families == ["*"]:
        return True
    family = entry.family or (catalogue.get(entry.model_type).family if catalogue and entry.model_type in catalogue else None)
    return family is None or family in families


def _info(catalogue: Catalogue, model_type: str) -> dict[str, Any] | None:
    return catalogue.get(model_type).as_dict() if model_type in catalogue else None


def _hand_edited(new: Revision, config: Config, old: Revision | None, old_config: Config | None) -> list[str]:
    """Generated test files the change touched whose content no longer matches their stamp."""
    before = old.listing(old_config.tests_dir, ".py") if old is not None and old_config is not None else {}
    folder = new.key(config.tests_dir)
    flagged = []
    for name, blob in sorted(new.files(config.tests_dir, ".py").items()):
        if not name.startswith("test_hf_") or before.get(name) == blob.hexsha:
            continue
        text = text_of(blob)
        stamp = read_stamp(text)
        if stamp is not None and is_hand_edited(text, stamp):
            flagged.append(f"{folder}/{name}")
    return flagged
