"""Nothing is read or written outside the repository (issue 12, case 3; and the cache of case 6).

Real ``hfguard`` subprocesses in real git repositories whose settings, test files and templates point
out of the repository; an outside file holds a secret that must never show in any output or file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from hfguard import __version__, verify

from tests.conftest import run_hfguard
from tests.gitrepo import GitRepo

SECRET = "SECRET-8f1c0d: never print me"


@pytest.fixture
def repo(tmp_path: Path, lock_text: str) -> GitRepo:
    """A repository registering bert, with a real lock; beside it an outside folder holding a secret file."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET + "\n")
    repo = GitRepo(tmp_path / "repo")
    repo.write("hfguard.toml", "[models.bert]\n")
    repo.write("hfguard.lock", lock_text)
    return repo


def outputs(result) -> str:
    return result.stdout + result.stderr


def no_secret_anywhere(repo: GitRepo, *results) -> None:
    assert all(SECRET not in outputs(result) for result in results)
    for path in repo.path.rglob("*"):
        if path.is_file() and not path.is_symlink() and ".git" not in path.parts:
            assert SECRET not in path.read_text(errors="replace"), path


@pytest.mark.parametrize("tests_dir", ["../outside/tests", "ABSOLUTE", "link/tests"])
def test_tests_dir_outside_the_repository_is_refused(repo: GitRepo, tests_dir: str) -> None:
    outside = repo.path.parent / "outside"
    (repo.path / "link").symlink_to(outside)
    value = str(outside / "tests") if tests_dir == "ABSOLUTE" else tests_dir
    repo.write("hfguard.toml", f'tests_dir = "{value}"\n\n[models.bert]\n')
    result = run_hfguard("generate", cwd=repo.path)
    assert result.returncode == 2 and result.stdout == ""
    expected = ("'tests_dir' must be a relative path inside the repository" if tests_dir == "ABSOLUTE"
                else f"tests_dir '{tests_dir}' resolves to {(outside / 'tests').resolve()}, outside the repository")
    assert expected in result.stderr and result.stderr.count("\n") == 1
    assert not (outside / "tests").exists()


def test_a_test_file_linked_to_an_outside_file_is_refused_by_every_command(repo: GitRepo) -> None:
    link = repo.path / "tests/models/test_hf_bert.py"
    link.parent.mkdir(parents=True)
    link.symlink_to(repo.path.parent / "outside" / "secret.txt")
    results = [run_hfguard(*command, cwd=repo.path) for command in (["generate", "--check"], ["generate"], ["coverage"])]
    for result in results:
        assert result.returncode == 2, outputs(result)
        assert "test_hf_bert.py: " in result.stderr and "is a symbolic link, which hfguard does not follow" in result.stderr
    verified = [run_hfguard(*command, cwd=repo.path) for command in (["verify"], ["verify", "tests/models/test_hf_bert.py"])]
    for result in verified:  # verify goes on past a link: one finding, never read
        assert result.returncode == 1, outputs(result)
        assert "test_hf_bert.py:1:1: HFG105 is a symbolic link, which hfguard does not follow" in result.stdout
    no_secret_anywhere(repo, *results, *verified)
    assert link.is_symlink() and not (repo.path / ".hfguard-backup").exists()


def test_a_dangling_link_is_refused_too(repo: GitRepo) -> None:
    link = repo.path / "tests/models/test_hf_bert.py"
    link.parent.mkdir(parents=True)
    link.symlink_to(repo.path / "nowhere.py")
    result = run_hfguard("generate", cwd=repo.path)
    assert result.returncode == 2 and "is a symbolic link" in result.stderr and not (repo.path / "nowhere.py").exists()


def test_templates_never_read_outside_the_repository(repo: GitRepo) -> None:
    outside = repo.path.parent / "outside"
    repo.write("hfguard.toml", 'templates_dir = "templates"\n\n[models.bert]\n')
    templates = repo.path / "templates"
    templates.mkdir()
    (templates / "_leak.j2").symlink_to(outside / "secret.txt")
    linked = run_hfguard("generate", cwd=repo.path)
    assert linked.returncode == 2 and "_leak.j2: template is a symbolic link" in linked.stderr
    (templates / "_leak.j2").unlink()
    (templates / "shared").symlink_to(outside)
    (templates / "encoder-only.j2").write_text('{% extends "_base.j2" %}\n{% block family_tests %}{% include "shared/secret.txt" %}{% endblock %}\n')
    through_folder = run_hfguard("generate", cwd=repo.path)
    assert through_folder.returncode == 2 and "shared: template is a symbolic link" in through_folder.stderr
    (templates / "encoder-only.j2").write_text('{% extends "_base.j2" %}\n{% block family_tests %}{% include "../../outside/secret.txt" %}{% endblock %}\n')
    climbing = run_hfguard("generate", cwd=repo.path)
    assert climbing.returncode == 2 and "template error while rendering 'bert'" in climbing.stderr
    no_secret_anywhere(repo, linked, through_folder, climbing)


def test_template_code_runs_sandboxed(repo: GitRepo) -> None:
    """Server-side template injection: a template that reaches Python's internals to run a command."""
    repo.write("hfguard.toml", 'templates_dir = "templates"\n\n[models.bert]\n')
    payload = "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}{{ ''.__class__.__mro__[1].__subclasses__() }}"
    repo.write("templates/encoder-only.j2", '{% extends "_base.j2" %}\n{% block family_tests %}' + payload + "{% endblock %}\n")
    result = run_hfguard("generate", cwd=repo.path)
    assert result.returncode == 2 and "is unsafe" in result.stderr and result.stderr.count("\n") == 1
    assert not (repo.path / "PWNED").exists() and not (repo.path / "tests").exists()
    repo.write("templates/encoder-only.j2", '{% extends "_base.j2" %}\n{% block family_tests %}{{ "x" * 10**9 }}{% endblock %}\n')
    huge = run_hfguard("generate", cwd=repo.path)
    assert huge.returncode == 2 and "above the template limit" in huge.stderr


def test_a_missing_templates_dir_is_an_error_naming_the_setting(repo: GitRepo) -> None:
    repo.write("hfguard.toml", 'templates_dir = "my-templates"\n\n[models.bert]\n')
    result = run_hfguard("generate", cwd=repo.path)
    assert result.returncode == 2
    assert result.stderr.endswith("hfguard.toml:1: templates_dir 'my-templates' does not exist; create the folder or remove "
                                  "the templates_dir setting\n")


@pytest.mark.parametrize("name", ["hfguard.toml", "hfguard.lock"])
def test_a_linked_registry_or_lock_is_refused(repo: GitRepo, name: str) -> None:
    outside = repo.path.parent / "outside" / name
    (repo.path / name).rename(outside)
    (repo.path / name).symlink_to(outside)
    result = run_hfguard("generate", cwd=repo.path)
    assert result.returncode == 2 and f"{name}: " in result.stderr and "is a symbolic link" in result.stderr


def test_a_committed_cache_cannot_vouch_for_a_broken_file(repo: GitRepo, tmp_path: Path) -> None:
    """The old cache lived in the repository: a pull request could commit one that marks its broken file clean."""
    broken = b"def test_x(:\n    pass\n"
    repo.write("tests/models/test_custom.py", broken.decode())
    # what the old cache would have taken as its own (its file name, Python and hfguard version are public)
    old_name = f"verify-{'.'.join(map(str, sys.version_info[:3]))}.json"
    poisoned = {"python": sys.version, "hfguard": __version__, "build": verify.BUILD,
                "clean": [hashlib.sha1(broken).hexdigest(), hashlib.sha256(broken).hexdigest()]}
    for folder in (repo.path / ".hfguard-cache", tmp_path / "user-cache" / "hfguard"):
        folder.mkdir(parents=True)
        (folder / old_name).write_text(json.dumps(poisoned))
    env = {"XDG_CACHE_HOME": str(tmp_path / "user-cache"), "HFGUARD_CACHE_DIR": ""}
    result = run_hfguard("verify", "tests/models/test_custom.py", cwd=repo.path, env=env)
    assert result.returncode == 1 and "HFG100" in result.stdout
    inside = run_hfguard("verify", "tests/models/test_custom.py", cwd=repo.path, env={"HFGUARD_CACHE_DIR": str(repo.path / ".hfguard-cache")})
    assert inside.returncode == 1 and "HFG100" in inside.stdout and "the compile cache" in inside.stderr and "caching is off" in inside.stderr
    assert json.loads((repo.path / ".hfguard-cache" / old_name).read_text()) == poisoned  # never written either


def test_outputs_never_follow_a_link_the_pull_request_committed(repo: GitRepo, tmp_path: Path) -> None:
    """Issue 19, case 3: a committed 'hfguard-report/upgrade' link or 'upgrade.json' link out of the workspace; the sweep
    and compare refuse them (one line, exit 2) and write nothing anywhere."""
    from tests.nights import scenario

    outside = tmp_path / "outside"
    (repo.path / "hfguard-report").mkdir()
    (repo.path / "hfguard-report/upgrade").symlink_to(outside)
    (repo.path / "hfguard-report/upgrade.json").symlink_to(outside / "upgrade.json")
    (repo.path / "inside").symlink_to(repo.path / "hfguard-report")  # a link that stays inside is not followed either
    paths = scenario(tmp_path / "nights")
    results = [
        run_hfguard("sweep", "bert", "--out", "hfguard-report/upgrade/5.23.0", "--lock", "hfguard.lock", "--jobs", "0", cwd=repo.path),
        run_hfguard("sweep", "bert", "--out", "inside/x", "--lock", "hfguard.lock", cwd=repo.path),
        run_hfguard("sweep", "bert", "--out", "../outside/x", "--lock", "hfguard.lock", cwd=repo.path),
        run_hfguard("sweep", "bert", "--out", ".git/x", "--lock", "hfguard.lock", cwd=repo.path),
        run_hfguard("compare", str(paths["tonight"]), str(paths["upgrade"]), "-o", "hfguard-report/upgrade.json", cwd=repo.path),
        run_hfguard("compare", str(paths["tonight"]), str(paths["upgrade"]), "-o", "hfguard-report/upgrade/c.json", cwd=repo.path),
    ]
    for result in results:
        assert result.returncode == 2 and result.stderr.count("\n") == 1, outputs(result)
    assert "goes through this symbolic link, which hfguard does not follow" in results[0].stderr
    assert "hfguard-report/upgrade.json: --output is a symbolic link" in results[4].stderr
    assert "outside the repository" in results[2].stderr and "(or into its .git)" in results[3].stderr
    assert sorted(path.name for path in outside.iterdir()) == ["secret.txt"] and not (repo.path / ".git/x").exists()
    no_secret_anywhere(repo, *results)


def test_a_sweep_empties_its_own_folder_and_refuses_anyone_else_s(repo: GitRepo) -> None:
    """Issue 19: a committed 'tests/conftest.py' in the sweep's folder never loads: a folder an earlier sweep wrote is
    emptied first; a folder of other files is refused (one line, exit 2), nothing in it touched."""
    mine = repo.path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("mine")
    refused = run_hfguard("sweep", "bert", "--out", "notes", "--lock", "hfguard.lock", cwd=repo.path)
    assert refused.returncode == 2 and refused.stderr == (
        f"hfguard: --out {mine} holds files no sweep wrote (e.g. todo.txt); choose a new or empty folder, so that none of them "
        "is run with the generated tests or lost\n")
    assert (mine / "todo.txt").read_text() == "mine"
