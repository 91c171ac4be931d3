"""Test helpers: real git repositories in temp dirs, a small catalogue, sealed generated files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hfguard.catalogue import Catalogue, ModelInfo
from hfguard.stamp import header, seal

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}

FAMILY_OF = {
    "bert": "encoder-only",
    "roberta": "encoder-only",
    "gpt2": "decoder-only",
    "llama": "decoder-only",
    "mistral": "decoder-only",
    "qwen2": "decoder-only",
    "t5": "encoder-decoder",
    "bart": "encoder-decoder",
    "vit": "vision",
    "wav2vec2": "speech",
}


def catalogue(version: str = "5.0.0", **families: str) -> Catalogue:
    """A hand-built catalogue of standalone model types (``FAMILY_OF`` plus overrides)."""
    models = {
        name: ModelInfo(model_type=name, family=family, kind="standalone", config_class=f"{name.title()}Config", base_class=f"{name.title()}Model")
        for name, family in {**FAMILY_OF, **families}.items()
    }
    models["clip_text_model"] = ModelInfo(model_type="clip_text_model", family="encoder-only", kind="sub-config", config_class="CLIPTextConfig")
    return Catalogue(transformers_version=version, models=models)


def registry(*names: str, **extra: str) -> str:
    """``hfguard.toml`` text with one table per name; ``extra`` maps a name to raw lines of its table."""
    lines = ['tests_dir = "tests/models"', 'templates_dir = "hfguard-templates"', ""]
    for name in names:
        lines += [f"[models.{name}]", *([extra[name]] if name in extra else []), ""]
    return "\n".join(lines)


def generated_file(model_type: str, body: str = "def test_forward():\n    assert True\n") -> str:
    """A sealed generated test file, as ``hfguard generate`` would write it."""
    family = FAMILY_OF.get(model_type, "encoder-only")
    return seal(header(model_type, family, family, 1, "0123456789abcdef") + "\n" + body)


class GitRepo:
    """A real git repository in a directory, driven with the git command line."""

    def __init__(self, path: Path, init: bool = True) -> None:
        self.path = path
        if init:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.path, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
        )
        return result.stdout.strip()

    def write(self, relative: str, text: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def remove(self, relative: str) -> None:
        (self.path / relative).unlink()

    def commit(self, message: str, files: dict[str, str] | None = None) -> str:
        """Write ``files`` (relative path -> text), commit everything, return the commit SHA."""
        for name, text in (files or {}).items():
            self.write(name, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")
