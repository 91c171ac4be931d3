"""The generated tests folder's own files, so its tests collect under any pytest setup, not only hfguard's.

hfguard's own runs (``hfguard.test_run``) pass hfguard's ini and import by path; a team runs
``pytest -m hfguard <tests_dir>`` under *its* configuration. Two files beside the generated ones make that work:

- ``__init__.py`` makes the folder a package, so under ``--import-mode=prepend`` (pytest's default) a generated
  ``test_hf_bert.py`` imports as ``<folder>.test_hf_bert``, never clashing with the team's own ``test_hf_bert.py``
  elsewhere ("import file mismatch");
- ``conftest.py`` collects ``test_hf_*.py`` and their ``test_*`` functions whatever ``python_files`` and
  ``python_functions`` say, leaves out a file of the team's that the baseline holds as already broken (it cannot be
  imported; ``verify`` counts it), declares the ``hfguard`` and ``hub`` markers when hfguard's plugin is not loaded
  (``--strict-markers``), and keeps warnings from failing the tests (``filterwarnings = error``), as hfguard's
  own ini does. In hfguard's own runs it changes nothing.

Both carry hfguard's header with a content hash (``hfguard.stamp``), so they are never confused with a user's file:
a file of the same name that is not hfguard's is left as it is (and said so); one of hfguard's edited by hand is
backed up before it is rewritten. One question stays the team's: a folder whose package name is taken (by hfguard,
the standard library, an installed package or a top-level folder of the repository) is named in a note.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from hfguard.atomic import write_atomic
from hfguard.paths import read_text
from hfguard.stamp import content_hash, seal

_LAYOUT_STAMP = re.compile(r"^# hfguard: layout=(?P<name>[a-z_]+) content=(?P<content>[0-9a-f]{16})$", re.M)
_BLANK = "0" * 16


def _header(name: str) -> str:
    return (f"# Written by hfguard for the generated tests of this folder; 'hfguard generate' keeps it current.\n"
            f"# hfguard: layout={name} content={_BLANK}\n")


INIT = _header("init") + '"""Generated tests of hfguard, a package: their modules have names of their own in any import mode."""\n'

CONFTEST = _header("conftest") + '''\
"""Generated tests collect and run under any pytest configuration of the repository (see hfguard/layout.py)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _per_model_file(path: Path) -> bool:
    return fnmatch.fnmatch(path.name, "test_hf_*.py") and Path(path).resolve().parent == HERE


def pytest_configure(config: pytest.Config) -> None:
    """Declare hfguard's markers when its plugin is not loaded (plugin autoload off), for --strict-markers."""
    if not config.pluginmanager.has_plugin("hfguard"):
        from hfguard.testing import pytest_plugin

        pytest_plugin.pytest_configure(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """A generated file the repository's python_files does not name is collected all the same."""
    if not _per_model_file(file_path) or parent.session.isinitpath(file_path):
        return None
    patterns = parent.config.getini("python_files")
    if any(fnmatch.fnmatch(file_path.name if "/" not in pattern else str(file_path), pattern) for pattern in patterns):
        return None  # pytest's own collector takes it
    return pytest.Module.from_parent(parent, path=file_path)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A file of the team's here that hfguard's baseline holds as already broken is not imported (it cannot be)."""
    from hfguard.baseline import is_known_broken

    if not _per_model_file(collection_path) or not is_known_broken(collection_path):
        return None
    return True


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> pytest.Function | None:
    """A generated test_* function the repository's python_functions does not name is collected all the same."""
    if not isinstance(collector, pytest.Module) or not _per_model_file(collector.path) or not name.startswith("test_"):
        return None
    if not callable(obj) or collector.funcnamefilter(name):
        return None  # not a test, or pytest's own collector takes it
    return pytest.Function.from_parent(collector, name=name, callobj=obj)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Warnings never fail a generated test (hfguard's own ini ignores them too)."""
    for item in items:
        if _per_model_file(item.path):
            item.add_marker(pytest.mark.filterwarnings("ignore"))
'''

FILES = {"__init__.py": INIT, "conftest.py": CONFTEST}


@dataclass(frozen=True)
class LayoutResult:
    """What happened to one layout file: created, updated, unchanged, or kept (a file of the user's is there)."""

    path: Path
    action: str
    backup: Path | None = None


def is_hfguards(text: str) -> bool:
    """Whether ``text`` is a layout file hfguard wrote and nobody edited since."""
    match = _LAYOUT_STAMP.search("\n".join(text.splitlines()[:2]))
    return match is not None and content_hash(text) == match.group("content")


def wrote_once(text: str) -> bool:
    """Whether ``text`` carries hfguard's layout header (edited since or not)."""
    return _LAYOUT_STAMP.search("\n".join(text.splitlines()[:2])) is not None


def expected_files(tests_dir: Path) -> dict[Path, str]:
    """The layout files of ``tests_dir`` and their text (sealed with their content hash)."""
    return {tests_dir / name: seal(text) for name, text in FILES.items()}


def write_layout(tests_dir: Path, root: Path) -> list[LayoutResult]:
    """Write the layout files that are missing or outdated; a user's own file is kept; an edited one of hfguard's is
    backed up (under ``root``) before it is rewritten."""
    from hfguard.writer import back_up

    results = []
    for path, text in expected_files(tests_dir).items():
        current = read_text(path, "test folder file")
        if current == text:
            results.append(LayoutResult(path, "unchanged"))
        elif current is not None and not wrote_once(current):
            results.append(LayoutResult(path, "kept"))
        else:
            backup = back_up(path, current, root) if current is not None and not is_hfguards(current) else None
            write_atomic(path, text)
            results.append(LayoutResult(path, "created" if current is None else "updated", backup))
    return results


def package_clash(tests_dir: Path, root: Path) -> str | None:
    """Why the package ``tests_dir`` imports as under pytest's prepend mode may be another's, or None.

    pytest names a module by the folders above it that hold an ``__init__.py``; the top one is the package.
    """
    top = tests_dir
    while (top.parent / "__init__.py").is_file() and top.parent != root and root in top.parent.parents:
        top = top.parent
    name = top.name
    if name == "hfguard":
        return f"it imports as package '{name}', which is hfguard itself"
    if name in sys.stdlib_module_names:
        return f"it imports as package '{name}', a module of Python's standard library"
    if (root / name) != top and ((root / name).is_dir() or (root / f"{name}.py").is_file()):
        return f"it imports as package '{name}', as does {name} at the top of the repository"
    spec = importlib.util.find_spec(name) if name.isidentifier() else None
    if spec is not None and not any(root.resolve() in Path(place).resolve().parents for place in _places(spec)):
        return f"it imports as package '{name}', an installed package"
    return None


def _places(spec: importlib.machinery.ModuleSpec) -> list[str]:
    """Where a found module or package lives."""
    return [*(spec.submodule_search_locations or []), *([spec.origin] if spec.origin else [])]
