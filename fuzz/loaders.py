"""The property the fuzz targets check: the registry and lock loaders take any bytes.

Any bytes give either a valid ``Config`` / ``Catalogue`` (every model type a valid name) or an
``HfguardError`` whose problems are one line each; never another exception, that is a traceback.
Used by the atheris targets beside this file and by ``tests/test_fuzz_loaders.py`` (hypothesis).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hfguard.catalogue import FAMILIES, Catalogue, ModelInfo, load_catalogue
from hfguard.config import load_config
from hfguard.errors import HfguardError
from hfguard.names import is_model_type

KNOWN = Catalogue("5.0.0", {name: ModelInfo(name, family, "standalone", "Config", "Model") for name, family in
                            (("bert", "encoder-only"), ("gpt2", "decoder-only"), ("t5", "encoder-decoder"))})
_FOLDER = Path(tempfile.mkdtemp(prefix="hfguard-fuzz-"))  # a repository root of its own (no .git above /tmp)


def check_registry(data: bytes, name: str = "hfguard.toml") -> None:
    """``data`` as a registry file (``hfguard.toml``, or ``pyproject.toml``) loaded and checked against a catalogue."""
    path = _FOLDER / name
    path.write_bytes(data)
    try:
        config = load_config(path)
        config.check_model_types(KNOWN.models, FAMILIES)
    except HfguardError as error:
        _one_line_each(error)
        return
    assert all(is_model_type(model_type) for model_type in config.models), config.models
    assert config.tests_dir.resolve().is_relative_to(_FOLDER.resolve())


def check_lock(data: bytes) -> None:
    """``data`` as ``hfguard.lock``."""
    path = _FOLDER / "hfguard.lock"
    path.write_bytes(data)
    try:
        catalogue = load_catalogue(path)
    except HfguardError as error:
        _one_line_each(error)
        return
    assert all(is_model_type(name) and info.family in FAMILIES for name, info in catalogue.models.items())


def _one_line_each(error: HfguardError) -> None:
    assert error.problems, "an HfguardError without a problem"
    for problem in error.problems:
        text = str(problem)
        assert text and "\n" not in text and "\r" not in text and len(text) < 2000, repr(text)
