"""The separate environment of ``hfguard sweep --transformers``: its spec, reuse, constraints, and the forwarded sweep."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from hfguard import environment
from hfguard.commands.sweep import _without_environment_options
from hfguard.errors import HfguardError
from hfguard.test_run import WITHHELD
from tests.conftest import run_hfguard


def test_versions_and_the_spec_of_this_environment() -> None:
    assert environment.check_version("5.23.0") == "5.23.0" and environment.check_version("latest") == "latest"
    for bad in ("5.23; rm -rf /", ">=5", "", "5.23.0 --index-url x"):
        with pytest.raises(HfguardError, match="--transformers must be a version"):
            environment.check_version(bad)
    spec = environment.default_spec("5.23.0")
    assert spec.torch.startswith("torch==2.13.0") and spec.requirement() == "transformers==5.23.0"
    assert Path(spec.hfguard, "pyproject.toml").is_file()  # this checkout, installed as it is
    assert environment.default_spec("latest").requirement() == "transformers"


def test_environments_live_outside_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 22, point 4: in the user's cache, or in $RUNNER_TEMP in a workflow; never .hfguard-envs/ in the repository."""
    monkeypatch.delenv("RUNNER_TEMP", raising=False)
    monkeypatch.setenv("HFGUARD_CACHE_DIR", str(tmp_path / "cache"))
    assert environment.default_path("5.23.0") == tmp_path / "cache/envs/transformers-5.23.0"
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path / "runner"))
    assert environment.default_path("5.23.0") == tmp_path / "runner/hfguard-envs/transformers-5.23.0"
    with pytest.raises(HfguardError, match="no user cache folder .* pass --env-dir DIR"):
        environment.default_root({"HOME": ""})


def test_a_matching_environment_is_reused_without_installing(tmp_path: Path) -> None:
    spec = environment.default_spec("5.23.0")
    (tmp_path / "env/bin").mkdir(parents=True)
    (tmp_path / "env" / environment.STAMP).write_text(json.dumps({"spec": asdict(spec), "transformers_version": "5.23.0"}))
    said: list[str] = []
    env = environment.ensure(spec, tmp_path / "env", log=said.append)
    assert env.transformers_version == "5.23.0" and env.python == (tmp_path / "env/bin/python").resolve()
    assert said == [f"hfguard: reusing {(tmp_path / 'env').resolve()} (transformers 5.23.0)"]


def test_a_folder_that_is_not_an_environment_is_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/notes.txt").write_text("my notes")
    with pytest.raises(HfguardError, match="is not a virtual environment; choose another --env-dir"):
        environment.ensure(environment.default_spec("5.23.0"), tmp_path / "mine", log=lambda _: None)
    assert (tmp_path / "mine/notes.txt").read_text() == "my notes"


def test_constraints_lose_their_transformers_and_torch_pins(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("torch==2.13.0\ntransformers==5.24.0\njinja2==3.1.6\n")
    spec = environment.default_spec("5.23.0", tmp_path / "c.txt")
    (tmp_path / "env").mkdir()
    written = environment._constraints_without_transformers(spec, tmp_path / "env")
    assert written.read_text() == "jinja2==3.1.6\n"


def test_the_inner_sweep_gets_every_option_but_the_environment_ones(tmp_path: Path) -> None:
    argv = ["bert", "--transformers", "5.23.0", "--out", "o", "--env-dir=e", "--installer", "uv", "--constraints", "c", "-n", "2"]
    assert _without_environment_options(argv) == ["bert", "--out", "o", "-n", "2"]
    bad = run_hfguard("sweep", "--transformers", "five", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr == "hfguard: --transformers must be a version like 5.23.0 or 'latest', not 'five'\n"
    assert not (tmp_path / ".hfguard-envs").exists()


def test_the_other_environment_never_sees_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installs and the inner sweep (which runs the generated tests: the repository's code) get no token, from the one list
    the generated tests' own run withholds."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_RUNTIME_TOKEN", "GITHUB_ENV", "VIRTUAL_ENV"):
        monkeypatch.setenv(name, "secret")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    env = environment._environ()
    assert not set(env) & set(WITHHELD) and env["HF_HUB_OFFLINE"] == "1"
    assert environment.WITHHELD is WITHHELD


# Packages a repository could ship to run in place of the ones an install starts with 'python -m' in its folder.
HOSTILE_MODULES = {f"{name}/{part}.py": "import os, pathlib; pathlib.Path(os.environ['PWNED']).write_text(__file__)\n"
                   for name in ("venv", "pip", "ensurepip") for part in ("__init__", "__main__")}


def test_building_an_environment_runs_nothing_of_the_repository_and_leaves_nothing_in_it(tmp_path: Path) -> None:
    """Issue 19, case 1 (the first half) and issue 22, point 4: 'python -m venv' and '-m pip' run isolated, outside the
    repository, and the environment is made in the user's cache with a .gitignore, never in .hfguard-envs/."""
    repo = tmp_path / "repo"
    for name, text in HOSTILE_MODULES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    (repo / ".git").mkdir()
    env = {"PWNED": str(tmp_path / "PWNED"), "HFGUARD_CACHE_DIR": str(tmp_path / "cache"), "PIP_NO_INDEX": "1", "RUNNER_TEMP": ""}
    # torch==0.0.1 exists nowhere: the install stops right after the environment was made, in a second or two
    result = run_hfguard("sweep", "bert", "--transformers", "5.23.0", "--torch", "torch==0.0.1", "--out", "o", cwd=repo, env=env)
    assert result.returncode == 2 and "installing torch failed" in result.stderr, result.stderr
    assert not (tmp_path / "PWNED").exists()
    assert sorted(path.name for path in repo.iterdir()) == [".git", "ensurepip", "pip", "venv"]
    built = tmp_path / "cache/envs/transformers-5.23.0"
    assert (built / "pyvenv.cfg").is_file() and (built / ".gitignore").read_text().endswith("\n*\n")
