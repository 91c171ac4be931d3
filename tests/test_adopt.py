"""``hfguard adopt``: from a repository's own per-model tests to a registry ``generate`` accepts, losing nothing.

The small cases use a few files; the rest run the whole pipeline once on the seed-shaped repository of
``tests/messy_repo.py`` (1,000+ files in 34 folders, a quarter broken, every kind of name, a foreign pytest setup).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import run_hfguard
from gitrepo import GIT_ENV, GitRepo
from hfguard.config import load_config
from messy_repo import CANNOT_GENERATE, REMOVED
from test_hooks import hook_repo, pre_commit_home  # noqa: F401 - the hook environment of that module, built once

ACTION = ("--action", "acme/hfguard@0123456789abcdef0123456789abcdef01234567")
OWN_BERT = "import pytest\n\n\ndef test_my_bert_wrapper():\n    assert 'bert'.upper() == 'BERT'  # the team's own check\n"
BROKEN = "def test_x():\n    x = 1\n      y = 2\n"
SUMMARY = re.compile(
    r"^hfguard adopt: (?P<files>[\d,]+) files? found in (?P<folders>\d+) folders?; (?P<names>[\d,]+) names?: (?P<mapped>[\d,]+) "
    r"mapped to (?P<types>[\d,]+) model types? \((?P<how>[^)]*)\), (?P<explained>[\d,]+) explained \((?P<why>[^)]*)\); "
    r"(?P<entries>[\d,]+) entr(?:y|ies) added to hfguard.toml; (?P<moved>[\d,]+) files? moved; (?P<broken>[\d,]+) files? already "
    r"broken \(in the baseline hfguard-baseline.json\)$", re.M)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_adopt_moves_only_what_collides_and_generate_writes_beside_it(project_dir: Path) -> None:
    repo = GitRepo(project_dir, init=True)
    repo.write("tests/models/test_hf_bert.py", OWN_BERT)
    repo.write("tests/models/test_hf_opt.py", "def test_opt():\n    pass\n")  # a model type, not registered yet
    repo.write("tests/models/test_hf_helpers.py", "def test_helper():\n    pass\n")  # named after no model type
    repo.write("test/test_hf_bert.py", "def test_elsewhere():\n    pass\n")  # another folder: never moved
    repo.commit("own tests")

    dry = run_hfguard("adopt", "--dry-run", cwd=project_dir)
    assert dry.returncode == 0, dry.stderr
    assert "  tests/models/test_hf_bert.py -> test_hf_bert_extra.py\n" in dry.stdout
    assert (project_dir / "tests/models/test_hf_bert.py").read_text() == OWN_BERT and "[models.opt]" not in (project_dir / "hfguard.toml").read_text()

    adopted = run_hfguard("adopt", cwd=project_dir)
    assert adopted.returncode == 0, adopted.stderr
    assert "moved 2 files where a generated one will be written" in adopted.stdout
    assert "helpers (not a model type of transformers" in adopted.stdout
    assert (project_dir / "tests/models/test_hf_bert_extra.py").read_text() == OWN_BERT
    assert (project_dir / "test/test_hf_bert.py").is_file()
    status = repo.git("status", "--porcelain")
    assert "R  tests/models/test_hf_bert.py -> tests/models/test_hf_bert_extra.py" in status  # git mv keeps history
    config = load_config(project_dir / "hfguard.toml")
    assert "opt" in config.models and config.team_tests == ("test/**/test_hf_*.py",)

    generated = run_hfguard("generate", cwd=project_dir)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "created tests/models/test_hf_bert.py" in generated.stdout and "created tests/models/conftest.py" in generated.stdout
    again = run_hfguard("adopt", cwd=project_dir)
    assert again.returncode == 0 and "0 entries added to hfguard.toml; 0 files moved; 0 files already broken" in again.stdout
    assert "tests/models/test_hf_bert.py -> " not in again.stdout
    assert run_hfguard("verify", cwd=project_dir).returncode == 0


def test_adopt_never_overwrites_an_existing_extra_file(project_dir: Path) -> None:
    tests = project_dir / "tests/models"
    tests.mkdir(parents=True)
    (tests / "test_hf_bert.py").write_text(OWN_BERT)
    (tests / "test_hf_bert_extra.py").write_text("def test_other():\n    pass\n")
    result = run_hfguard("adopt", cwd=project_dir)
    assert result.returncode == 1
    assert "test_hf_bert_extra.py exists too: merge the two by hand" in result.stdout
    assert (tests / "test_hf_bert.py").read_text() == OWN_BERT
    assert (tests / "test_hf_bert_extra.py").read_text() == "def test_other():\n    pass\n"


def test_only_breakage_git_already_holds_is_debt(project_dir: Path) -> None:
    repo = GitRepo(project_dir, init=True)
    repo.write("test/test_hf_bert.py", BROKEN)
    repo.write("test/test_hf_gpt2.py", "def test_x():\n    pass\n")
    repo.commit("team tests")
    repo.write("test/test_hf_gpt2.py", BROKEN)  # broken in the working tree only: new breakage, not debt
    result = run_hfguard("adopt", cwd=project_dir)
    assert result.returncode == 0, result.stderr
    debts = json.loads((project_dir / "hfguard-baseline.json").read_text())["files"]
    assert list(debts) == ["test/test_hf_bert.py"]
    assert "broken and not as git tracks them: 1 file " in result.stdout and "  test/test_hf_gpt2.py:3: HFG101" in result.stdout
    verified = run_hfguard("verify", "test/test_hf_bert.py", "test/test_hf_gpt2.py", cwd=project_dir)
    assert verified.returncode == 1 and "test/test_hf_gpt2.py:3:6: HFG101" in verified.stdout and "test_hf_bert.py:" not in verified.stdout


def test_a_pyproject_registry_gets_its_tables_in_tool_hfguard(tmp_path: Path, lock_text: str) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("pyproject.toml", '[project]\nname = "zoo"\n\n[tool.hfguard.models.bert]\n\n[tool.black]\nline-length = 100\n')
    repo.write("hfguard.lock", lock_text)
    repo.write("test/test_hf_gpt2_medium.py", "def test_x():\n    pass\n")
    repo.commit("zoo")
    before = (repo.path / "pyproject.toml").read_text()
    result = run_hfguard("adopt", cwd=repo.path)
    assert result.returncode == 0, result.stderr
    after = (repo.path / "pyproject.toml").read_text()
    assert after.startswith(before) or all(line in after.splitlines() for line in before.splitlines())
    config = load_config(repo.path / "pyproject.toml")
    assert sorted(config.models) == ["bert", "gpt2"] and config.team_tests == ("test/**/test_hf_*.py",)
    assert "[tool.hfguard.models.gpt2]" in after


# ---- the seed-shaped repository -----------------------------------------------------------------------------------


def _hashes(root: Path) -> Counter[str]:
    """SHA-256 of every regular file's bytes (links, git's own files and hfguard's logs left out)."""
    found: Counter[str] = Counter()
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if name not in (".git", ".hfguard-logs")]
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                found[hashlib.sha256(path.read_bytes()).hexdigest()] += 1
    return found


def _tree(root: Path) -> dict[str, str]:
    """Every path below ``root`` (git's files and hfguard's logs left out) with its content hash or link target."""
    state = {}
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if name not in (".git", ".hfguard-logs")]
        for name in [*files, *folders]:
            path = Path(folder) / name
            state[path.relative_to(root).as_posix()] = (os.readlink(path) if path.is_symlink() else "dir" if path.is_dir()
                                                        else hashlib.sha256(path.read_bytes()).hexdigest())
    return state


@dataclass
class Adopted:
    root: Path
    before: Counter[str]
    tracked: int  # tracked test_hf_*.py files that are no link
    adopt: subprocess.CompletedProcess[str]
    generate: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def adopted(messy_repo: Path, tmp_path_factory: pytest.TempPathFactory, lock_text: str) -> Adopted:
    """The seed-shaped repository after 'hfguard init', the lock, 'hfguard adopt --dry-run' (which changes nothing),
    'hfguard adopt' and 'hfguard generate'."""
    root = tmp_path_factory.mktemp("adopted") / "repo"
    shutil.copytree(messy_repo, root, symlinks=True)
    before = _hashes(root)
    listed = subprocess.run(["git", "ls-files", "-s", "--", ":(glob)**/test_hf_*.py"], cwd=root, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert run_hfguard("init", *ACTION, cwd=root).returncode == 0
    (root / "hfguard.lock").write_text(lock_text)
    state = _tree(root)
    dry = run_hfguard("adopt", "--dry-run", cwd=root)
    assert dry.returncode == 0, dry.stderr
    assert _tree(root) == state, "--dry-run changed the repository"
    adopt = run_hfguard("adopt", cwd=root)
    generate = run_hfguard("generate", cwd=root)
    return Adopted(root, before, sum(not line.startswith("120000") for line in listed), adopt, generate)


@pytest.mark.xdist_group("messy")
def test_adopt_maps_every_file_of_the_repository_in_one_pass(adopted: Adopted) -> None:
    assert adopted.adopt.returncode == 0, adopted.adopt.stdout + adopted.adopt.stderr
    match = SUMMARY.search(adopted.adopt.stdout)
    assert match is not None, adopted.adopt.stdout[-2000:]
    assert adopted.adopt.stdout.rstrip().splitlines()[-2] == match.group(0)  # the summary ends the output (then "next:")
    assert (_number(match["files"]), _number(match["folders"])) == (adopted.tracked, 34)
    assert _number(match["mapped"]) + _number(match["explained"]) == _number(match["names"])
    assert [part.split()[0] for part in match["how"].split(", ")] == ["exact", "spelling", "suffix", "checkpoint"]
    assert sorted(part.split()[0] for part in match["why"].split(", ")) == [
        "cannot-generate", "generic", "not-transformers", "removed", "unknown"]
    assert _number(match["moved"]) == 3
    log = (adopted.root / ".hfguard-logs/adopt.log").read_text()
    assert f"full plan: {Path('.hfguard-logs') / 'adopt.log'}" in adopted.adopt.stdout
    for name, expected in [("bert_generation", "bert_generation -> bert-generation (spelling"),
                           ("whisper_tiny", "whisper_tiny -> whisper (checkpoint"), ("pythia", "pythia -> gpt_neox (checkpoint"),
                           ("bert_improved", "bert_improved -> bert (suffix"), ("retribert", "retribert (removed: deprecated"),
                           ("tgi", "tgi (not-transformers: Text Generation Inference"), ("audio", "audio (generic"),
                           ("camenbert", "camenbert (unknown: not a model type of transformers 5"),
                           ("nougat", "nougat -> nougat (cannot-generate: no-model")]:
        assert re.search(rf"/test_hf_{name}\.py: {re.escape(expected)}", log), name
    assert "(did you mean 'rembert'?)" not in log and "(did you mean 'git'?)" not in log and "(did you mean 'phi'?)" not in log


@pytest.mark.xdist_group("messy")
def test_the_registry_holds_exactly_what_generate_accepts(adopted: Adopted) -> None:
    assert adopted.generate.returncode == 0, adopted.generate.stdout[-2000:] + adopted.generate.stderr
    config = load_config(adopted.root / "hfguard.toml")
    match = SUMMARY.search(adopted.adopt.stdout)
    assert match is not None
    assert len(config.models) == _number(match["types"]) == _number(match["entries"]) + 2  # bert and gpt2 came with init
    assert f"{len(config.models)} written, 0 unchanged" in adopted.generate.stdout
    assert not set(CANNOT_GENERATE) & set(config.models) and not set(REMOVED) & set(config.models)
    assert config.team_tests == ("duckdb_api/**/test_hf_*.py", "generators/**/test_hf_*.py", "test/**/test_hf_*.py")
    assert run_hfguard("generate", "--check", cwd=adopted.root).returncode == 0


@pytest.mark.xdist_group("messy")
def test_nothing_is_lost_and_only_collisions_moved(adopted: Adopted) -> None:
    after = _hashes(adopted.root)
    assert not adopted.before - after, "some original file's bytes are gone"
    renamed = [line for line in subprocess.run(["git", "status", "--porcelain"], cwd=adopted.root, capture_output=True,
                                               text=True, check=True).stdout.splitlines() if line.startswith("R")]
    assert renamed == [f"R  tests/models/test_hf_{name}.py -> tests/models/test_hf_{name}_extra.py" for name in ("bert", "gpt2", "t5")]


@pytest.mark.xdist_group("messy")
def test_old_breakage_is_counted_and_new_breakage_fails(adopted: Adopted) -> None:
    debts = json.loads((adopted.root / "hfguard-baseline.json").read_text())["files"]
    match = SUMMARY.search(adopted.adopt.stdout)
    assert match is not None and len(debts) == _number(match["broken"]) > adopted.tracked // 5
    assert "tests/models/test_hf_gpt2_extra.py" in debts  # keyed where the move put it
    whole = run_hfguard("verify", ".", cwd=adopted.root)
    codes = Counter(re.findall(r"^\S+:\d+:\d+: (HFG\d+)", whole.stdout, re.M))
    assert whole.returncode == 1 and codes == {"HFG105": 5, "HFG106": 1}, whole.stdout[-3000:]
    assert whole.stdout.splitlines()[-1].endswith(f"6 findings: 5 HFG105, 1 HFG106; {len(debts):,} already broken, unchanged "
                                                  "since the baseline hfguard-baseline.json")
    assert run_hfguard("verify", cwd=adopted.root).returncode == 0


@pytest.mark.xdist_group("messy")
def test_generated_tests_collect_under_the_teams_pytest_setup(adopted: Adopted) -> None:
    """Root pytest.ini (testpaths, --strict-markers), a broken _extra file in the folder: zero collection errors."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-m", "hfguard", "tests/models", "--collect-only", "-q",
                             "-p", "no:cacheprovider"], cwd=adopted.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"^\d+/\d+ tests collected \(\d+ deselected\) in ", result.stdout, re.M) and "error" not in result.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("pre-commit")
def test_the_adoption_commit_passes_hfguards_own_hooks(messy_repo: Path, tmp_path: Path, lock_text: str,
                                                        hook_repo: Path, pre_commit_home: Path) -> None:  # noqa: F811
    """init, lock, adopt, generate, then 'git commit' through the real pre-commit hooks: it passes."""
    root = tmp_path / "repo"
    shutil.copytree(messy_repo, root, symlinks=True)
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never"}
    env.pop("HFGUARD_CACHE_DIR", None)
    assert run_hfguard("init", *ACTION, cwd=root).returncode == 0
    (root / "hfguard.lock").write_text(lock_text)
    assert run_hfguard("adopt", cwd=root).returncode == 0
    assert run_hfguard("generate", cwd=root).returncode == 0
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True).stdout.strip()
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: hf-test-generate\n      - id: hf-test-verify\n")
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=root, env=env, check=True, capture_output=True)
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
    committed = subprocess.run(["git", "commit", "-m", "adopt hfguard"], cwd=root, env=env, capture_output=True, text=True)
    assert committed.returncode == 0, committed.stdout[-3000:] + committed.stderr[-3000:]
    hooks = committed.stdout + committed.stderr  # git shows the hook's output on stderr
    assert re.search(r"hfguard verify .*Passed", hooks) and re.search(r"hfguard generate .*Passed", hooks)


def test_a_type_without_a_model_class_is_refused_whatever_family_it_sets(project_dir: Path) -> None:
    """The old advice 'set family explicitly' for nougat generated tests that errored; now generate refuses it."""
    (project_dir / "hfguard.toml").write_text('[models.nougat]\nfamily = "vision"\n')
    result = run_hfguard("generate", cwd=project_dir)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "'nougat' cannot be generated (no-model, no model class in the auto mappings): it has no model class to test" in result.stderr
