"""Every file hfguard can generate is lint-clean: each test name once, and ``ruff check`` with its default rules passes.

Every standalone model type of the installed transformers is rendered in-process with the built-in templates (as
``hfguard generate --all`` renders them), plus, per family, the variants a registry entry can ask for (a checkpoint's
hub test, ``xfail``, ``skip``, ``tiny``); ruff then checks the folder once, from inside it, as a team's repository sees
the files (hfguard is a third-party package there).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from hfguard.catalogue import Catalogue
from hfguard.config import ModelEntry
from hfguard.plan import plan_file
from hfguard.render import Renderer
from hfguard.sweep import sweep_config

VARIANTS = {"hub": {"checkpoint": "acme/tiny", "xfail": "known upstream", "tiny": {"hidden_size": 8}}, "skipped": {"skip": "needs timm"}}


def render_everything(catalogue: Catalogue, root: Path) -> dict[Path, str]:
    """Every generatable standalone type's file, and each variant of one type per family; path -> text (written)."""
    config = sweep_config(root)
    renderer = Renderer(config)
    config.tests_dir.mkdir(parents=True)
    files, families = {}, set()
    for info in catalogue.standalone():
        if not info.generatable:
            continue
        variants = {"": {}} if info.family in families else {"": {}, **VARIANTS}
        families.add(info.family)
        for suffix, settings in variants.items():
            planned = plan_file(config, catalogue, ModelEntry(model_type=info.model_type, line=0, **settings))
            path = planned.path.with_name(f"{planned.path.stem}{'_' + suffix if suffix else ''}.py")
            files[path] = renderer.render(planned)
            path.write_text(files[path], encoding="utf-8")
    return files


def duplicate_tests(text: str) -> list[str]:
    """Test functions defined more than once in a module (pytest would collect only the last)."""
    names = Counter(node.name for node in ast.parse(text).body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"))
    return sorted(name for name, count in names.items() if count > 1)


def ruff_findings(folder: Path) -> list[str]:
    """``ruff check`` with its default rules (no configuration) over ``folder``, run from inside it: one line per finding."""
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--output-format", "json", "."],
                          cwd=folder, capture_output=True, text=True)
    assert lint.returncode in (0, 1) and lint.stdout, lint.stderr
    return [f"{Path(f['filename']).name}:{f['location']['row']}: {f['code']} {f['message']}" for f in json.loads(lint.stdout)]


def test_every_generated_file_has_unique_test_names_and_passes_ruff(real_catalogue: Catalogue, tmp_path: Path) -> None:
    files = render_everything(real_catalogue, tmp_path)
    families = {real_catalogue.get(info.model_type).family for info in real_catalogue.standalone() if info.generatable}
    assert len(files) > 600 and len(families) == 12, (len(files), sorted(families))
    duplicated = {path.name: names for path, text in files.items() if (names := duplicate_tests(text))}
    assert not duplicated, f"{len(duplicated)} files define a test twice, e.g. {next(iter(duplicated.items()))}"
    findings = ruff_findings(tmp_path / "tests")
    assert not findings, f"ruff: {len(findings)} findings in {len(files)} files, e.g. {findings[0]}"
