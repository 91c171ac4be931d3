"""The upgrade check of a pull request that moves the transformers pin (a Dependabot bump).

The pin is the transformers version ``hfguard.lock`` was made with. When it differs between the merge
base and the pull request, the registry's model types are swept under each version in their own
environment (``hfguard sweep --transformers``) and compared (``hfguard compare``); the comparison
becomes a section of the sticky comment (``hfguard comment --upgrade FILE``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hfguard.compare import CATEGORIES, SCHEMA_VERSION, differs, render_markdown
from hfguard.config import Config
from hfguard.errors import HfguardError, Problem
from hfguard.escape import markdown_text

MAX_ITEMS = 20


def pinned_versions(config: Config, base_ref: str) -> tuple[str | None, str | None]:
    """The transformers version of ``hfguard.lock`` at the merge base of ``base_ref`` and in the working tree."""
    from hfguard.catalogue import load_catalogue
    from hfguard.changes import Revision, compare, open_repo

    head = load_catalogue(config.lock_path).transformers_version if config.lock_path.is_file() else None
    repo = open_repo(config.root)
    comparison = compare(repo, base_ref)
    if comparison.base is None:
        return None, head
    catalogue = Revision(comparison.base, Path(repo.working_tree_dir).resolve()).catalogue(config.root.resolve())
    return (catalogue.transformers_version if catalogue else None), head


def load_comparison(path: Path) -> dict[str, Any]:
    """An ``hfguard compare --format json`` output."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise HfguardError(Problem(f"cannot read the upgrade comparison: {error.strerror}", path)) from None
    except json.JSONDecodeError as error:
        raise HfguardError(Problem(f"not JSON: {error.msg}", path, error.lineno, error.colno)) from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise HfguardError(Problem(f"not an 'hfguard compare --format json' output (schema_version {SCHEMA_VERSION})", path))
    problem = _shape_problem(data)
    if problem:
        raise HfguardError(Problem(f"damaged 'hfguard compare' output: {problem}", path))
    return data


def _shape_problem(data: dict[str, Any]) -> str:
    """What in a comparison does not have the shape ``hfguard compare`` writes ('' when nothing)."""
    for key in ("a", "b"):
        side = data.get(key)
        if not isinstance(side, dict) or not isinstance(side.get("label"), str) \
                or not isinstance(side.get("transformers_version"), (str, type(None))) \
                or not all(isinstance(side.get(count), int) for count in ("passing", "model_types")):
            return f"'{key}' is not an object with a label, a transformers_version and counts"
    for key in CATEGORIES:
        entries = data.get(key)
        if not isinstance(entries, list) or not all(_is_entry(entry) for entry in entries):
            return f"'{key}' is not a list of model types with family, status and message"
    totals = data.get("check_totals", {})
    if not isinstance(totals, dict) or not all(isinstance(counts, dict) and all(type(counts.get(side)) is int for side in ("a", "b"))
                                               for counts in totals.values()):
        return "'check_totals' is not an object of checks with the model types passing them in 'a' and 'b'"
    return ""


def _is_entry(entry: Any) -> bool:
    texts = (str, type(None))
    return (isinstance(entry, dict) and isinstance(entry.get("model_type"), str) and isinstance(entry.get("checks"), list)
            and all(isinstance(entry.get(part), dict) and all(isinstance(entry[part].get(side), texts) for side in ("a", "b"))
                    for part in ("family", "status", "message"))
            and all(isinstance(check, dict) and all(isinstance(check.get(k), texts) for k in ("check", "a", "b", "message"))
                    for check in entry["checks"]))


def comment_section(comparison: dict[str, Any], max_items: int | None = MAX_ITEMS) -> str:
    """The comment's section: what the pin change does to the registry's model types."""
    a, b = comparison["a"], comparison["b"]
    title = f"#### transformers {markdown_text(a['transformers_version'] or a['label'])} → {markdown_text(b['transformers_version'] or b['label'])}"
    verdict = ("Newly failing model types under the new pin: " + str(len(comparison["newly_failing"]))) if differs(comparison) \
        else "No model type of the registry changes."
    body = render_markdown(comparison, max_items).split("\n", 1)[1]  # without its own top heading
    return f"{title}\n\n{verdict}\n{body}"
