"""The runtime's layout: ``hfguard.testing`` imports nothing of hfguard outside it, and its modules form no circle."""

from __future__ import annotations

import ast
from pathlib import Path

import hfguard.testing

RUNTIME = Path(hfguard.testing.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(RUNTIME.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Runtime module -> the hfguard modules it imports (at any depth of its code)."""
    graph = {}
    for path in RUNTIME.rglob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hfguard"):
                found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.startswith("hfguard")}
        graph[_module_name(path)] = found
    modules = set(graph)
    return {name: {m for m in found if m in modules} | {m for m in found if not m.startswith("hfguard.testing")}
            for name, found in graph.items()}


def test_the_runtime_imports_nothing_of_hfguard_outside_it():
    outside = {name: sorted(m for m in found if not m.startswith("hfguard.testing")) for name, found in _imports().items()}
    assert not {name: found for name, found in outside.items() if found}


def test_recipes_never_import_the_dispatcher_and_no_module_imports_itself_back():
    graph = {name: {m for m in found if m != name and m != "hfguard.testing"} for name, found in _imports().items()}
    assert not [name for name, found in graph.items() if name.startswith("hfguard.testing.recipes") and "hfguard.testing.inputs" in found]
    assert not [name for name, found in graph.items() if name == "hfguard.testing.synth" and found]

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(m == goal or m not in seen and (seen.add(m) or reaches(m, goal, seen)) for m in graph.get(start, ()))

    circles = sorted(name for name in graph if reaches(name, name, set()))
    assert not circles, f"import circles through {circles}"


def test_every_runtime_package_is_installed():
    """pyproject lists packages one by one: a runtime subpackage missing there is absent from installs."""
    import tomllib

    listed = set(tomllib.loads((RUNTIME.parents[1] / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {_module_name(path) for path in RUNTIME.rglob("__init__.py")}
    assert packages <= listed, sorted(packages - listed)
