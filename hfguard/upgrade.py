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

from hfguard.compare import SCHEMA_VERSION, differs, render_markdown
from hfguard.config import Config
from hfguard.errors import HfguardError, Problem

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
    return data


def comment_section(comparison: dict[str, Any], max_items: int | None = MAX_ITEMS) -> str:
    """The comment's section: what the pin change does to the registry's model types."""
    a, b = comparison["a"], comparison["b"]
    title = f"#### transformers {a['transformers_version'] or a['label']} → {b['transformers_version'] or b['label']}"
    verdict = ("Newly failing model types under the new pin: " + str(len(comparison["newly_failing"]))) if differs(comparison) \
        else "No model type of the registry changes."
    body = render_markdown(comparison, max_items).split("\n", 1)[1]  # without its own top heading
    return f"{title}\n\n{verdict}\n{body}"
