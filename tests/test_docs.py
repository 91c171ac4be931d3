"""Every example in README.md and docs/ is exercised: configs parse, commands parse, snippets render."""

from __future__ import annotations

import importlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hfguard.catalogue import FAMILIES, TASK_FAMILIES, Catalogue
from hfguard.cli import SUBCOMMANDS
from hfguard.config import parse_config
from tests.test_generated_lint import duplicate_tests, ruff_findings

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.S | re.M)


def blocks(language: str) -> list[tuple[str, str]]:
    """(where, text) of every fenced block of ``language`` in the docs."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(2) == language:
                line = text[: match.start()].count("\n") + 1
                body = "\n".join(row[len(match.group(1)) :] for row in match.group(3).splitlines())
                found.append((f"{path.name}:{line}", body))
    return found


def ids(items: list[tuple[str, str]]) -> list[str]:
    return [where for where, _ in items]


TOML = blocks("toml")
SHELL = blocks("sh") + blocks("console")
YAML = blocks("yaml")
JINJA = blocks("jinja")


def test_docs_have_examples() -> None:
    assert len(TOML) >= 5 and len(SHELL) >= 2 and JINJA


@pytest.mark.parametrize(("where", "text"), TOML, ids=ids(TOML))
def test_toml_examples_are_valid_registries(where: str, text: str, real_catalogue: Catalogue) -> None:
    name = "pyproject.toml" if "[tool.hfguard" in text else "hfguard.toml"
    config = parse_config(text, Path("/repo") / name)
    config.check_model_types(real_catalogue.models, FAMILIES)


@pytest.mark.parametrize(("where", "text"), SHELL, ids=ids(SHELL))
def test_shell_examples_use_real_flags(where: str, text: str) -> None:
    for line in text.splitlines():
        words = shlex.split(line.removeprefix("$ "), comments=True)
        if not words or words[0] != "hfguard" or len(words) == 1:
            continue
        name, argv = words[1], words[2:]
        if name.startswith("-"):
            continue
        assert name in SUBCOMMANDS, f"{where}: unknown command 'hfguard {name}'"
        module = importlib.import_module(f"hfguard.commands.{SUBCOMMANDS[name][0]}")
        parser = module.build_merge_parser() if argv[:1] == ["merge"] and hasattr(module, "build_merge_parser") else module.build_parser()
        if argv[:1] == ["merge"]:
            argv = argv[1:]
        try:
            parser.parse_args(argv)
        except SystemExit as exit:
            pytest.fail(f"{where}: 'hfguard {name} {' '.join(argv)}' does not parse (exit {exit.code})")


@pytest.mark.parametrize(("where", "text"), YAML, ids=ids(YAML))
def test_yaml_examples_parse_and_name_real_hooks(where: str, text: str) -> None:
    document = yaml.safe_load(text)
    assert document, where
    published = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    if isinstance(document, dict) and "repos" in document:
        for repo in document["repos"]:
            for hook in repo["hooks"]:
                if repo["repo"] not in ("local", "meta"):
                    assert hook["id"] in published, f"{where}: unknown hook id {hook['id']}"


@pytest.mark.parametrize(("where", "text"), JINJA, ids=ids(JINJA))
def test_template_examples_render_to_valid_python(where: str, text: str, tmp_path: Path, lock_text: str) -> None:
    from hfguard.plan import plan_file
    from hfguard.project import load_project
    from hfguard.render import Renderer

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "vision.j2").write_text(text + "\n")
    (tmp_path / "hfguard.toml").write_text('templates_dir = "mine"\n[models.vit]\n')
    (tmp_path / "hfguard.lock").write_text(lock_text)
    project = load_project(tmp_path / "hfguard.toml")
    rendered = Renderer(project.config).render(plan_file(project.config, project.catalogue, project.config.models["vit"]))
    compile(rendered, where, "exec")
    assert "ViTForImageClassification" in rendered
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "test_hf_vit.py").write_text(rendered)
    assert not duplicate_tests(rendered) and ruff_findings(tmp_path / "out") == [], where  # as lint-clean as ours


def test_cli_reference_is_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "cli_reference.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_families_doc_names_every_voting_task() -> None:
    text = (ROOT / "docs" / "families.md").read_text()
    missing = [task for task, _ in TASK_FAMILIES if task not in text]
    assert not missing
    assert all(family in text for family in FAMILIES if family != "unsupported")


def test_docs_name_the_backups_where_hfguard_keeps_them(tmp_path: Path) -> None:
    """A replaced file goes to ``.hfguard-backup/<its path>``, then ``.2``, ``.3``; the plain git hook keeps another hook
    as ``pre-commit.hfguard-backup``. The docs say nothing else."""
    from hfguard.commands.install_hook import BACKUP_NAME
    from hfguard.writer import BACKUP_DIR, back_up

    target = tmp_path / "tests" / "test_hf_bert.py"
    kept = [back_up(target, f"edit {n}\n", tmp_path).relative_to(tmp_path).as_posix() for n in (1, 2, 3)]
    assert kept == [f"{BACKUP_DIR}/tests/test_hf_bert.py", f"{BACKUP_DIR}/tests/test_hf_bert.py.2", f"{BACKUP_DIR}/tests/test_hf_bert.py.3"]
    named = {(path.name, name) for path in DOCS for name in re.findall(r"[\w<>./-]*hfguard-backup[\w<>./-]*", path.read_text())}
    wrong = sorted((where, name) for where, name in named if not name.startswith(f"{BACKUP_DIR}/") and name != BACKUP_NAME)
    assert not wrong, f"backups named where hfguard does not keep them: {wrong}"
    assert "`.2`, `.3`" in (ROOT / "README.md").read_text()
