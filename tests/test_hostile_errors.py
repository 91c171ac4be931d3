"""Every bad input and broken environment gets one line and exit 2, never a traceback (issue 12, cases 5 and 6).

Real subprocesses on real file systems: a full disk and a read-only folder are real mounts in a private
mount namespace (``unshare``; skipped with the reason where the kernel refuses one), Ctrl-C is a real
SIGINT to a running ``hfguard generate --all``, git repositories are real.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_hfguard
from tests.gitrepo import GIT_ENV, GitRepo

HFGUARD = [sys.executable, "-m", "hfguard"]


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single error line of a failed run (exit 2, no traceback)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.fixture
def project(tmp_path: Path, lock_text: str) -> Path:
    root = tmp_path / "repo"
    GitRepo(root)
    (root / "hfguard.toml").write_text("[models.bert]\n\n[models.gpt2]\n")
    (root / "hfguard.lock").write_text(lock_text)
    return root


def in_mount_namespace(mount: str, command: list[str], cwd: Path, listed: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``command`` after ``mount`` (shell) in a private mount namespace, as root of a user namespace if need be;
    its result and the names in ``listed`` as the command left them (the mount is gone with the namespace)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    flags = ["--mount"] if os.geteuid() == 0 else ["--user", "--map-root-user", "--mount"]
    probe = subprocess.run([unshare, *flags, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode().strip()}")
    script = f"{mount} || exit 99; {shlex.join(command)}; code=$?; echo @@listing@@; ls -A {shlex.quote(str(listed))}; exit $code"
    result = subprocess.run([unshare, *flags, "sh", "-c", script], cwd=cwd, capture_output=True, text=True)
    if result.returncode == 99:
        pytest.skip(f"cannot mount here: {result.stderr.strip()}")
    result.stdout, _, listing = result.stdout.partition("@@listing@@\n")
    return result, listing.split()


def test_no_space_left_on_device_is_one_line_and_leaves_no_temp_file(project: Path) -> None:
    tests = project / "tests" / "models"
    tests.mkdir(parents=True)
    result, left = in_mount_namespace(f"mount -t tmpfs -o size=48k tmpfs {shlex.quote(str(tests))}",
                                      [*HFGUARD, "generate", "--all"], project, tests)
    line = one_line(result)
    assert "test_hf_" in line and "No space left on device; free some disk space and run again" in line
    assert left and not [name for name in left if not name.startswith("test_hf_") or not name.endswith(".py")]


def test_a_read_only_tests_folder_is_one_line(project: Path) -> None:
    tests = project / "tests" / "models"
    tests.mkdir(parents=True)
    folder = shlex.quote(str(tests))
    result, left = in_mount_namespace(f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}",
                                      [*HFGUARD, "generate"], project, tests)
    assert "test_hf_bert.py: Read-only file system; run where hfguard may write" in one_line(result)
    assert left == [] and list(tests.iterdir()) == []


def test_a_folder_or_a_file_where_the_other_belongs(project: Path) -> None:
    (project / "tests" / "models" / "test_hf_bert.py").mkdir(parents=True)
    assert "test_hf_bert.py: test file is a folder; rename or remove it" in one_line(run_hfguard("generate", cwd=project))
    assert not (project / "tests" / "models" / "test_hf_gpt2.py").exists()  # nothing written before the check
    shutil.rmtree(project / "tests")
    (project / "tests").write_text("not a folder\n")
    (project / "hfguard.toml").write_text('tests_dir = "tests"\n\n[models.bert]\n')
    assert "hfguard.toml:1: tests_dir 'tests' is a file, not a folder" in one_line(run_hfguard("generate", cwd=project))


@pytest.mark.parametrize(("base", "message"), [
    ("HEAD@{100}", "base revision 'HEAD@{100}' is not in this repository's reflog"),
    ("", "the base revision is empty; pass a commit, branch or tag"),
    ("0", "base revision '0' is not in this repository"),
    ("--output=/tmp/x", "base revision '--output=/tmp/x' looks like an option; pass a commit, branch or tag"),
])
def test_changed_with_odd_bases(project: Path, base: str, message: str) -> None:
    repo = GitRepo(project, init=False)
    repo.commit("base")
    assert message in one_line(run_hfguard("changed", f"--base={base}", cwd=project, env=GIT_ENV))


def test_changed_in_a_repository_without_commits_or_without_a_work_tree(project: Path, tmp_path: Path) -> None:
    assert "this repository has no commits yet; commit the registry first" in one_line(run_hfguard("changed", "--base", "main", cwd=project))
    GitRepo(project, init=False).commit("base")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(project), str(bare)], check=True, env={**os.environ, **GIT_ENV})
    line = one_line(run_hfguard("changed", "--base", "main", "--root", ".", cwd=bare))
    assert "is a bare repository (no work tree); run hfguard in a checkout of it" in line


def test_changed_with_an_absolute_tests_dir(project: Path) -> None:
    (project / "hfguard.toml").write_text(f'tests_dir = "{project / "tests"}"\n\n[models.bert]\n')
    GitRepo(project, init=False).commit("base")
    line = one_line(run_hfguard("changed", "--base", "HEAD", cwd=project))
    assert "hfguard.toml:1: 'tests_dir' must be a relative path inside the repository" in line


def test_a_malformed_cache_is_ignored(project: Path, tmp_path: Path) -> None:
    from hfguard.verify import BUILD, CompileCache

    (project / "tests" / "models").mkdir(parents=True)
    (project / "tests" / "models" / "test_custom.py").write_text("x = 1\n")
    cache = tmp_path / "cache"
    path = CompileCache(cache).path
    path.parent.mkdir(parents=True)
    for damaged in ({"build": BUILD, "clean": 5}, {"build": BUILD, "clean": [5, None, "x"]}, [1], "text"):
        path.write_text(json.dumps(damaged))
        result = run_hfguard("verify", "tests/models/test_custom.py", cwd=project, env={"HFGUARD_CACHE_DIR": str(cache)})
        assert result.returncode == 0 and result.stderr == "", result.stderr


def test_an_endless_template_loop_times_out(project: Path) -> None:
    (project / "hfguard.toml").write_text('templates_dir = "templates"\n\n[models.bert]\n')
    (project / "templates").mkdir()
    (project / "templates" / "encoder-only.j2").write_text(
        '{% extends "_base.j2" %}\n{% block family_tests %}{% for i in range(100000) %}{% for j in range(100000) %}'
        "{% endfor %}{% endfor %}{% endblock %}\n")
    started = time.monotonic()
    line = one_line(run_hfguard("generate", cwd=project, env={"HFGUARD_TEMPLATE_TIMEOUT": "1"}))
    assert "still rendering after 1 s (an endless loop?)" in line and time.monotonic() - started < 30


def test_ctrl_c_during_generate_all_exits_130_without_traceback_or_temp_files(project: Path) -> None:
    tests = project / "tests" / "models"
    for attempt, written in enumerate((1, 40, 200)):  # interrupt early, midway and late in the writes
        if tests.exists():
            shutil.rmtree(tests)
        process = subprocess.Popen([*HFGUARD, "generate", "--all"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if tests.is_dir() and len(os.listdir(tests)) >= written:
                break
            time.sleep(0.001)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        if process.returncode == 0:
            continue  # it finished before the signal: nothing to check on this attempt
        assert process.returncode == 130, (attempt, out, err)
        assert err == "hfguard generate: interrupted\n", err
        assert not [name for name in os.listdir(tests) if name.endswith(".tmp")] if tests.exists() else True
        for path in tests.glob("*.py") if tests.exists() else []:  # every file there is complete
            assert path.read_text().endswith("\n") and path.stat().st_size > 500, path
