"""A separate Python environment for one transformers version, to sweep under it (the upgrade monitor).

The environment is a virtual environment (``python -m venv`` + pip, or ``uv`` when asked) at
``.hfguard-envs/transformers-<version>`` by default. Installed into it, in this order: the torch that
runs here (same version, so no other build is ever pulled; pip's own configuration decides where it
comes from), hfguard from the same source as this one, pytest and pytest-xdist, then the requested
transformers. A stamp file records what was installed; an environment whose stamp matches is reused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from hfguard import __version__
from hfguard.errors import HfguardError

STAMP = ".hfguard-env.json"
DEFAULT_ROOT = Path(".hfguard-envs")
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
    """Where this hfguard comes from, as a pip requirement: its source checkout, else ``hfguard==<version>``."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "hfguard" / "__init__.py").is_file():
        return str(checkout)
    return f"hfguard=={__version__}"


def default_path(transformers: str, root: Path = DEFAULT_ROOT) -> Path:
    return root / f"transformers-{transformers}"


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
    _run([*install, *(["--index-url", spec.torch_index] if spec.torch_index else []), spec.torch], "torch")
    hfguard = f"hfguard[hf,hf-optional]=={__version__}" if spec.hfguard.startswith("hfguard==") else f"{spec.hfguard}[hf,hf-optional]"
    _run([*install, hfguard, spec.requirement(), "pytest", "pytest-xdist"], f"hfguard and {spec.requirement()}")
    version = subprocess.run([str(environment.python), "-c", "import transformers; print(transformers.__version__)"],
                             capture_output=True, text=True, check=False)
    if version.returncode != 0:
        raise HfguardError(f"transformers does not import in {path}: {(version.stderr.strip().splitlines() or ['?'])[-1]}")
    installed = version.stdout.strip()
    stamp.write_text(json.dumps({"spec": asdict(spec), "transformers_version": installed}, indent=1) + "\n", encoding="utf-8")
    log(f"hfguard: {path} has transformers {installed}")
    return Environment(path, installed)


# Never handed to installs or to the sweep's tests (code from the repository): no token, no interpreter override.
_WITHHELD = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "GITHUB_TOKEN", "GH_TOKEN", "INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN",
             "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")


def _environ() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in _WITHHELD}


def run_hfguard(environment: Environment, args: list[str]) -> int:
    """Run ``hfguard ARGS`` with the environment's Python, without tokens in its environment; its exit code."""
    return subprocess.run([str(environment.python), "-m", "hfguard", *args], env=_environ(), check=False).returncode


def _create(path: Path, installer: str) -> None:
    if path.exists():
        if not (path / "pyvenv.cfg").is_file():
            raise HfguardError(f"{path} exists and is not a virtual environment; choose another --env-dir")
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if installer == "uv":
        _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(path)], "the environment")
    else:
        _run([sys.executable, "-m", "venv", str(path)], "the environment")


def _installer(environment: Environment, installer: str, constraints: Path | None) -> list[str]:
    extra = ["-c", str(constraints)] if constraints else []
    if installer == "uv":
        links = [arg for link in os.environ.get("PIP_FIND_LINKS", "").split() for arg in ("--find-links", link)]
        return [_uv(), "pip", "install", "--quiet", "--python", str(environment.python), *links, *extra]
    return [str(environment.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *extra]


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


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=_environ(), check=False)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip() and not line.startswith("WARNING: Location")]
        raise HfguardError(f"installing {what} failed ({' '.join(command[:4])} ...): {lines[-1] if lines else 'exit ' + str(result.returncode)}")
