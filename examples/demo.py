"""``make demo``: play one pull request on the bundled example repository, offline.

The example (``examples/pr-demo``) is made into a real git repository in ``build/demo`` (replaced
on every run): ``main`` registers bert, gpt2, t5 and vit and adopts hfguard beside the team's own,
hand-written bert test; the PR branch adds wav2vec2 (speech), clip (vision-text) and llama
(decoder-only), removes t5, breaks vit with an activation transformers does not have, and carries a
hand-edited, broken gpt2 test. Every step runs the real command a user or CI would run and shows
its output; it ends with the dashboard of the pull request's coverage against main's
(``hfguard report``), whose path it prints last.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
EXAMPLE = HERE / "pr-demo"
BIN = Path(sys.executable).parent
WORKDIR = PROJECT / "build" / "demo"
REPO = "example-org/model-zoo"
PR_NUMBER = 42
WIDTH = 78


def banner(step: str) -> None:
    print(f"\n{'=' * WIDTH}\n{step}\n{'=' * WIDTH}", flush=True)


def run(
    *command: str, cwd: Path, env: dict[str, str] | None = None, expect: tuple[int, ...] = (0,), quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run a command as a user would, echo it and its output (unless quiet), and check its exit code."""
    shown = " ".join(Path(part).name if part.startswith(str(BIN)) else part for part in command)
    result = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, text=True, capture_output=True)
    output = (result.stdout + result.stderr).rstrip()
    if not quiet:
        print(f"\n$ {shown}", flush=True)
        if output:
            print(output, flush=True)
        print(f"[exit {result.returncode}]", flush=True)
    if result.returncode not in expect:
        raise SystemExit(f"demo: '{shown}' exited {result.returncode}, expected {expect}")
    return result


def stream(*command: str, cwd: Path) -> int:
    """Run a long command with its live output (the test run's progress display)."""
    print(f"\n$ {' '.join(Path(part).name if part.startswith(str(BIN)) else part for part in command)}", flush=True)
    return subprocess.call(command, cwd=cwd)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Demo", "-c", "user.email=demo@example.org", *args], cwd=repo, check=True, capture_output=True)


def hfguard(*args: str) -> tuple[str, ...]:
    return (str(BIN / "hfguard"), *args)


def pytest_run(repo: Path, junit: str, *paths: str) -> int:
    return stream(
        str(BIN / "python"), "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "--no-header",
        f"--junitxml={junit}", *paths, cwd=repo,
    )


def main() -> int:
    started = time.monotonic()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    shutil.rmtree(WORKDIR, ignore_errors=True)  # one demo folder, replaced on every run
    workdir = WORKDIR
    repo = workdir / "model-zoo"
    repo.mkdir(parents=True)
    summary: dict[str, str] = {}

    banner("0. Adopting hfguard in a repository with a hand-written bert test: nothing of it is lost")
    (repo / "tests/models").mkdir(parents=True)
    shutil.copy(EXAMPLE / "base" / "test_hf_bert.py", repo / "tests/models/test_hf_bert.py")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "The team's own bert test")
    shutil.copy(EXAMPLE / "base" / "hfguard.toml", repo / "hfguard.toml")
    run(*hfguard("lock"), cwd=repo)
    run(*hfguard("generate"), cwd=repo, expect=(1,))  # refuses to overwrite the hand-written file
    run(*hfguard("adopt"), cwd=repo)
    run(*hfguard("generate"), cwd=repo)
    own = (repo / "tests/models/test_hf_bert_extra.py").read_text()
    if own != (EXAMPLE / "base" / "test_hf_bert.py").read_text():
        raise SystemExit("demo: the hand-written bert test changed on adoption")
    summary["adoption"] = "hand-written test_hf_bert.py kept as test_hf_bert_extra.py, byte for byte"
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Register four core model types")
    print("\nmain's nightly run of the generated tests gives the base coverage report:")
    pytest_run(repo, str(workdir / "base.xml"), "tests/models")
    run(*hfguard("coverage", "--junit", str(workdir / "base.xml"), "--json", str(workdir / "base.json")), cwd=repo)

    banner("1. A pull request: three new model types, t5 removed, vit broken, a hand-edited and broken gpt2 test")
    git(repo, "checkout", "-q", "-b", "add-models")
    shutil.copy(EXAMPLE / "pr" / "hfguard.toml", repo / "hfguard.toml")
    shutil.copy(EXAMPLE / "pr" / "test_hf_gpt2.py", repo / "tests/models/test_hf_gpt2.py")
    print((repo / "tests/models/test_hf_gpt2.py").read_text())

    banner("2. The hf-test-verify hook rejects the broken file (real pre-commit framework)")
    print("(the first run builds the hook environment: hfguard with jinja2 and GitPython, no torch)")
    verify = run(str(BIN / "pre-commit"), "try-repo", str(PROJECT), "hf-test-verify", "--all-files", cwd=repo, expect=(1,))
    blamed = [
        " ".join(line.split()[:2])
        for line in verify.stdout.splitlines()
        if line.startswith("tests/models/test_hf_gpt2.py:") and " HFG10" in line  # the compile error, not the stamp
    ]
    if not blamed:
        raise SystemExit("demo: hf-test-verify did not name the broken file")
    summary["hf-test-verify"] = f"rejected {blamed[0]}"

    banner("3. The hf-test-generate hook regenerates the new entries and the stale file")
    generate = run(str(BIN / "pre-commit"), "try-repo", str(PROJECT), "hf-test-generate", "--all-files", cwd=repo, expect=(1,))
    rewritten = [line.split()[-1] for line in generate.stdout.splitlines() if line.startswith(("created ", "updated "))]
    run(str(BIN / "pre-commit"), "try-repo", str(PROJECT), "hf-test-generate", "--all-files", cwd=repo)
    run(str(BIN / "pre-commit"), "try-repo", str(PROJECT), "hf-test-verify", "--all-files", cwd=repo)
    summary["hf-test-generate"] = f"rewrote {len(rewritten)} files, then passed"
    kept = sorted(str(path.relative_to(repo)) for path in (repo / ".hfguard-backup").rglob("*.py"))
    print(f"\nThe hand edit was kept aside, out of git's way: {', '.join(kept)}")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Add wav2vec2, clip and llama")

    banner("4. What changed against main (read from git objects)")
    run(*hfguard("changed", "--base", "main"), cwd=repo)
    changes = json.loads(run(*hfguard("changed", "--base", "main", "--json"), cwd=repo, quiet=True).stdout)

    banner("5. The generated tests, for real: tiny random-weight models on CPU, offline")
    pytest_run(repo, str(workdir / "head.xml"), "tests/models")

    banner("6. Coverage and its delta against main's report")
    run(
        *hfguard("coverage", "--junit", str(workdir / "head.xml"), "--base-report", str(workdir / "base.json"),
                 "--json", str(workdir / "head.json"), "--badge", str(workdir / "badge.svg")),
        cwd=repo,
    )
    head = json.loads((workdir / "head.json").read_text())
    failing = sorted(name for name, model in head["models"].items() if model["level"] == "failing")
    summary["generated tests"] = f"failing: {', '.join(failing) or 'none'} (the PR breaks vit on purpose)"

    banner("7. The sticky PR comment, posted to a local fake GitHub API (twice: the second is a no-op)")
    sys.path.insert(0, str(PROJECT / "tests"))
    from fake_github import TOKEN, FakeGitHub

    event = workdir / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR_NUMBER}}))
    with FakeGitHub() as github:
        github.add_pr(REPO, PR_NUMBER)
        env = {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": github.base_url,
            "GITHUB_EVENT_PATH": str(event),
            "HFGUARD_GITHUB_LOGIN": "github-actions[bot]",  # the workflow's token writes as it (GET /user is refused to it)
        }
        args = hfguard("comment", "--report", str(workdir / "head.json"), "--base-report", str(workdir / "base.json"))
        run(*args, cwd=repo, env=env)
        run(*args, cwd=repo, env=env)
        [comment] = github.comments_on(REPO, PR_NUMBER)
        print("\nThe comment on the pull request, as GitHub stores it:\n")
        print(comment["body"])
        print("\nAPI calls of the two runs:")
        for method, path, code in github.log:
            print(f"  {method:6} {path} -> {code}")
        summary["PR comment"] = f"1 comment, {len(github.writes())} write(s) over 2 runs"

    banner("8. The coverage dashboard: one static folder, opens from file:// or GitHub Pages")
    dashboard = workdir / "dashboard"
    run(*hfguard("report", "--results", str(workdir / "head.json"), "--previous", str(workdir / "base.json"),
                 "--title", f"hfguard: {REPO}", "--out", str(dashboard)), cwd=repo)
    summary["dashboard"] = str(dashboard / "index.html")

    banner("Summary")
    added = ", ".join(changes["entries"]["added"])
    rows = [
        ("example repository", str(repo)),
        ("entries added by the PR", str(added)),
        *summary.items(),
        ("coverage (head)", _headline(head)),
        ("wall time", f"{time.monotonic() - started:.0f} s"),
    ]
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    print(f"\nThe dashboard: {dashboard / 'index.html'}")
    return 0 if failing == ["vit"] else 1


def _headline(report: dict) -> str:
    overall = report["summary"]["overall"]
    return f"{overall['passing']} of {overall['total']} registry entries passing ({overall['passing_pct']}%)"


if __name__ == "__main__":
    sys.exit(main())
