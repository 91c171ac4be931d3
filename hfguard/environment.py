"""A separate Python environment for one transformers version, to sweep under it (the upgrade monitor).

The environment is a virtual environment (``python -m venv`` + pip, or ``uv`` when asked) at
``<root>/transformers-<version>``, the root outside any repository: ``$RUNNER_TEMP/hfguard-envs`` in a GitHub
Actions job, else ``hfguard/envs`` in the user's cache folder (``paths.user_cache_dir``). A ``.gitignore`` in it
keeps even an ``--env-dir`` inside a repository out of ``git add -A``. Installed into it, in this order: the
torch that runs here (same version, so no other build is ever pulled; pip's own configuration decides where it
comes from), hfguard from the same source as this one, pytest and pytest-xdist, then the requested
transformers. A stamp file records what was installed; an environment whose stamp matches is reused.

Every process started here runs isolated (``python -I``, ``uv --no-config``) from a working directory outside
the repository, and without tokens or interpreter overrides (``test_run.WITHHELD``): nothing of the repository
is imported or configures an install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hfguard import __version__
from hfguard.errors import HfguardError
from hfguard.paths import user_cache_dir
from hfguard.test_run import WITHHELD

STAMP = ".hfguard-env.json"
INSTALLERS = ("pip", "uv")
_VERSION = re.compile(r"^(latest|\d+(\.\d+)*([a-z]+\d+)?(\.dev\d+)?)$")


@dataclass(frozen=True)
class Spec:
    """What an environment holds: a transformers version (or ``latest``), a torch requirement, hfguard's source."""

    transformers: str
    torch: str
    hfguard: str
    constraints: str = ""
    torch_index: str = ""  # where torch comes from (e.g. PyTorch's CPU index); empty: pip's configuration

    def requirement(self) -> str:
        return "transformers" if self.transformers == "latest" else f"transformers=={self.transformers}"


@dataclass(frozen=True)
class Environment:
    """A ready environment: its folder and the transformers version installed in it."""

    path: Path
    transformers_version: str

    @property
    def python(self) -> Path:
        return self.path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def check_version(text: str) -> str:
    """A transformers version as given to ``--transformers`` (``5.23.0``, ``latest``); HfguardError otherwise."""
    if not _VERSION.match(text):
        raise HfguardError(f"--transformers must be a version like 5.23.0 or 'latest', not '{text}'")
    return text


def default_spec(transformers: str, constraints: Path | None = None, torch: str | None = None, torch_index: str = "") -> Spec:
    """The spec for ``transformers`` with ``torch`` (default: this environment's torch version) and this hfguard."""
    if torch is None:
        try:
            torch = f"torch=={metadata.version('torch')}"
        except metadata.PackageNotFoundError:
            raise HfguardError("torch is not installed here: pass --torch torch==VERSION (and --torch-index URL for a CPU build)") from None
    if not re.fullmatch(r"torch==[\w.+]+", torch):
        raise HfguardError(f"--torch must pin one version (torch==X.Y.Z), not '{torch}': an open range pulls other builds")
    return Spec(check_version(transformers), torch, hfguard_source(), str(constraints.resolve()) if constraints else "", torch_index)


def hfguard_source() -> str:
    """Where this hfguard comes from, as a pip requirement: its source checkout, the folder pip installed it from
    (the Action's own checkout), else ``hfguard==<version>``."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "hfguard" / "__init__.py").is_file():
        return str(checkout)
    try:
        direct = json.loads(metadata.distribution("hfguard").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, json.JSONDecodeError):
        direct = {}
    url = urlsplit(str(direct.get("url", ""))) if isinstance(direct, dict) else urlsplit("")
    folder = Path(unquote(url.path))
    if url.scheme == "file" and (folder / "pyproject.toml").is_file():
        return str(folder)
    return f"hfguard=={__version__}"


def default_root(env: Mapping[str, str] = os.environ) -> Path:
    """Where environments live by default: ``$RUNNER_TEMP/hfguard-envs`` in a workflow, else the user's cache."""
    if env.get("RUNNER_TEMP"):
        return Path(env["RUNNER_TEMP"]) / "hfguard-envs"
    cache = user_cache_dir(env)
    if cache is None:
        raise HfguardError("no user cache folder (HOME is not set) for the transformers environment: pass --env-dir DIR "
                           "(a folder outside the repository)")
    return cache / "envs"


def default_path(transformers: str, root: Path | None = None) -> Path:
    """The environment of ``transformers`` under ``root`` (default: ``default_root()``)."""
    return (root or default_root()) / f"transformers-{transformers}"


def ensure(spec: Spec, path: Path, installer: str = "pip", log: Callable[[str], None] = print) -> Environment:
    """The environment at ``path`` for ``spec``: reused when its stamp matches, else (re)built."""
    if installer not in INSTALLERS:
        raise HfguardError(f"installer must be one of {', '.join(INSTALLERS)}, not '{installer}'")
    path = path.resolve()
    stamp = path / STAMP
    if stamp.is_file() and spec.transformers != "latest":
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded.get("spec") == asdict(spec) and (path / "bin").is_dir():
            log(f"hfguard: reusing {path} (transformers {recorded['transformers_version']})")
            return Environment(path, recorded["transformers_version"])
    log(f"hfguard: building {path} for {spec.requirement()} with {installer}")
    _create(path, installer)
    environment = Environment(path, "")
    constraints = _constraints_without_transformers(spec, path)
    install = _installer(environment, installer, constraints)
    _run([*install, *(["--index-url", spec.torch_index] if spec.torch_index else []), spec.torch], "torch", path)
    hfguard = f"hfguard[hf,hf-optional]=={__version__}" if spec.hfguard.startswith("hfguard==") else f"{spec.hfguard}[hf,hf-optional]"
    _run([*install, hfguard, spec.requirement(), "pytest", "pytest-xdist"], f"hfguard and {spec.requirement()}", path)
    version = subprocess.run([str(environment.python), "-I", "-c", "import transformers; print(transformers.__version__)"],
                             capture_output=True, text=True, env=_environ(), cwd=path, check=False)
    if version.returncode != 0:
        raise HfguardError(f"transformers does not import in {path}: {(version.stderr.strip().splitlines() or ['?'])[-1]}")
    installed = version.stdout.strip()
    stamp.write_text(json.dumps({"spec": asdict(spec), "transformers_version": installed}, indent=1) + "\n", encoding="utf-8")
    log(f"hfguard: {path} has transformers {installed}")
    return Environment(path, installed)


def _environ() -> dict[str, str]:
    """This process's environment without what generated tests never get (tokens, interpreter overrides)."""
    return {key: value for key, value in os.environ.items() if key not in WITHHELD}


def run_hfguard(environment: Environment, args: list[str]) -> int:
    """Run ``hfguard ARGS`` with the environment's Python, isolated and without tokens; its exit code."""
    return subprocess.run([str(environment.python), "-I", "-m", "hfguard", *args], env=_environ(), check=False).returncode


def _create(path: Path, installer: str) -> None:
    if path.exists():
        if not (path / "pyvenv.cfg").is_file():
            raise HfguardError(f"{path} exists and is not a virtual environment; choose another --env-dir")
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if installer == "uv":
        _run([_uv(), "venv", "--no-config", "--quiet", "--python", sys.executable, str(path)], "the environment", path.parent)
    else:
        _run([sys.executable, "-I", "-m", "venv", str(path)], "the environment", path.parent)
    (path / ".gitignore").write_text("# an hfguard environment: never committed\n*\n", encoding="utf-8")


def _installer(environment: Environment, installer: str, constraints: Path | None) -> list[str]:
    extra = ["-c", str(constraints)] if constraints else []
    if installer == "uv":
        links = [arg for link in os.environ.get("PIP_FIND_LINKS", "").split() for arg in ("--find-links", link)]
        return [_uv(), "pip", "install", "--no-config", "--quiet", "--python", str(environment.python), *links, *extra]
    return [str(environment.python), "-I", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *extra]


def _uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found is None:
        raise HfguardError("--installer uv: uv is not on PATH (pip install uv)")
    return found


def _constraints_without_transformers(spec: Spec, path: Path) -> Path | None:
    """The spec's constraints minus its transformers and torch pins (the spec decides those), inside ``path``."""
    if not spec.constraints:
        return None
    source = Path(spec.constraints)
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise HfguardError(f"{source}: cannot read constraints: {error.strerror}") from None
    kept = [line for line in lines if not re.match(r"^\s*(transformers|torch)\s*[=<>!~]", line, re.I)]
    target = path / "constraints.txt"
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


def _run(command: list[str], what: str, cwd: Path) -> None:
    """Run an install step in ``cwd`` (outside the repository); one line with its last error when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, env=_environ(), cwd=cwd, check=False)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip() and not line.startswith("WARNING: Location")]
        raise HfguardError(f"installing {what} failed ({' '.join(command[:4])} ...): {lines[-1] if lines else 'exit ' + str(result.returncode)}")
