"""``make demo``: play one pull request on the bundled example repository, offline.

The example (``examples/pr-demo``) is made into a real git repository in ``build/demo`` (replaced
on every run): ``main`` registers bert, gpt2, t5 and vit and adopts hfguard beside the team's own,
hand-written bert test; the PR branch adds wav2vec2 (speech), clip (vision-text) and llama
(decoder-only), removes t5, breaks vit with an activation transformers does not have, and carries a
hand-edited, broken gpt2 test. Every step runs the real command a user or CI would run.

The terminal shows one line per step and a summary; every command and its whole output go to
``build/demo/demo.log``, which the summary names. A step is a function ``step(demo) -> None`` in
``STEPS``; it runs commands with ``demo.run`` and adds what the summary should say with ``demo.note``.

The repository also holds the team's own package (``examples/acme-models``: a loader, its save format and a
``predict``), installed the documented way (``pip install .``, the Action's ``install`` input) and named in the
registry (``checks = ["acme_models.hfguard_checks"]``): its two team checks run for every model type, in the
comment and the dashboard; the last step plants a bug in the wrapper and shows that it fails exactly the team check
of every model type it affects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
EXAMPLE = HERE / "pr-demo"
TEAM_PACKAGE = HERE / "acme-models"  # the team's wrapper package, with its hfguard team checks
# A bug planted in the wrapper: predict()'s attention mask leaves out each text's first token.
PLANTED_BUG = ("        mask[row, :length] = 1\n", "        mask[row, 1:length] = 1\n")
BIN = Path(sys.executable).parent
WORKDIR = PROJECT / "build" / "demo"
REPO = "example-org/model-zoo"
PR_NUMBER = 42
WIDTH = 78
COMMENT_LINES = 24  # of the PR comment, in the summary (the whole comment is in the log)


class Demo:
    """One run: the example repository, the log every command writes to, and what the summary will say."""

    def __init__(self, workdir: Path, log: TextIO) -> None:
        self.workdir = workdir
        self.repo = workdir / "model-zoo"
        self.log = log
        self.summary: dict[str, str] = {}
        self.shown: list[str] = []  # text the summary shows after its table (e.g. the PR comment)

    def say(self, text: str) -> None:
        """A line for the terminal (and the log)."""
        print(text, flush=True)
        self.log.write(text + "\n")

    def write(self, text: str) -> None:
        """Text for the log only."""
        self.log.write(text + ("" if text.endswith("\n") else "\n"))
        self.log.flush()

    def run(self, *command: str, env: dict[str, str] | None = None, expect: tuple[int, ...] = (0,),
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command as a user would, its command line and whole output into the log, and check its exit code."""
        shown = " ".join(Path(part).name if part.startswith(str(BIN)) else part for part in command)
        result = subprocess.run(command, cwd=cwd or self.repo, env={**os.environ, **(env or {})}, text=True, capture_output=True)
        self.write(f"\n$ {shown}\n{(result.stdout + result.stderr).rstrip()}\n[exit {result.returncode}]")
        if result.returncode not in expect:
            raise SystemExit(f"demo: '{shown}' exited {result.returncode}, expected {expect}; see {self.log.name}")
        return result

    def git(self, *args: str) -> None:
        self.run("git", "-c", "user.name=Demo", "-c", "user.email=demo@example.org", *args)

    def note(self, key: str, value: str) -> None:
        """A row of the summary."""
        self.summary[key] = value


def hfguard(*args: str) -> tuple[str, ...]:
    return (str(BIN / "hfguard"), *args)


def pre_commit(hook: str) -> tuple[str, ...]:
    """``pre-commit try-repo`` of hfguard's own hooks, as a consumer repository runs them."""
    return (str(BIN / "pre-commit"), "try-repo", str(PROJECT), hook, "--all-files")


def pytest_run(demo: Demo, junit: Path) -> None:
    """The generated tests, for real: tiny random-weight models on CPU, offline (failures expected: vit)."""
    demo.run(str(BIN / "python"), "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "--no-header", "--tb=short",
             f"--junitxml={junit}", "tests/models", expect=(0, 1))


def adopt(demo: Demo) -> None:
    """0. Adopting hfguard in a repository with a hand-written bert test: nothing of it is lost."""
    repo = demo.repo
    (repo / "tests/models").mkdir(parents=True)
    shutil.copy(EXAMPLE / "base" / "test_hf_bert.py", repo / "tests/models/test_hf_bert.py")
    add_team_package(demo)
    demo.git("init", "-q", "-b", "main")
    demo.git("add", "-A")
    demo.git("commit", "-qm", "The team's own bert test")
    shutil.copy(EXAMPLE / "base" / "hfguard.toml", repo / "hfguard.toml")
    demo.run(*hfguard("lock"))
    demo.run(*hfguard("generate"), expect=(1,))  # refuses to overwrite the hand-written file
    demo.run(*hfguard("adopt"))
    demo.run(*hfguard("generate"))
    if (repo / "tests/models/test_hf_bert_extra.py").read_text() != (EXAMPLE / "base" / "test_hf_bert.py").read_text():
        raise SystemExit("demo: the hand-written bert test changed on adoption")
    demo.note("adoption", "hand-written test_hf_bert.py kept as test_hf_bert_extra.py, byte for byte")
    demo.git("add", "-A")
    demo.git("commit", "-qm", "Register four core model types")
    pytest_run(demo, demo.workdir / "base.xml")  # main's nightly run gives the base coverage report
    demo.run(*hfguard("coverage", "--junit", str(demo.workdir / "base.xml"), "--json", str(demo.workdir / "base.json")))


def add_team_package(demo: Demo) -> None:
    """The team's own package in its repository, installed as CI installs it before the tests (the Action's
    ``install: .``; here offline: no build isolation, its dependencies are there)."""
    shutil.copytree(TEAM_PACKAGE, demo.repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build"))
    pip_install(demo)


def pip_install(demo: Demo) -> None:
    demo.run(str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-build-isolation",
             "--force-reinstall", ".")


def pull_request(demo: Demo) -> None:
    """1. A pull request: three new model types, t5 removed, vit broken, a hand-edited and broken gpt2 test."""
    demo.git("checkout", "-q", "-b", "add-models")
    shutil.copy(EXAMPLE / "pr" / "hfguard.toml", demo.repo / "hfguard.toml")
    shutil.copy(EXAMPLE / "pr" / "test_hf_gpt2.py", demo.repo / "tests/models/test_hf_gpt2.py")
    demo.write((demo.repo / "tests/models/test_hf_gpt2.py").read_text())


def verify_hook(demo: Demo) -> None:
    """2. The hf-test-verify hook rejects the broken file (real pre-commit framework; it builds its hook environment)."""
    verify = demo.run(*pre_commit("hf-test-verify"), expect=(1,))
    blamed = [" ".join(line.split()[:2]) for line in verify.stdout.splitlines()
              if line.startswith("tests/models/test_hf_gpt2.py:") and " HFG10" in line]  # the compile error, not the stamp
    if not blamed:
        raise SystemExit(f"demo: hf-test-verify did not name the broken file; see {demo.log.name}")
    demo.note("hf-test-verify", f"rejected {blamed[0]}")


def generate_hook(demo: Demo) -> None:
    """3. The hf-test-generate hook writes the new entries and keeps the hand edit; the team drops it on purpose."""
    hook = demo.run(*pre_commit("hf-test-generate"), expect=(1,))
    done = {action: [Path(line.split()[1]).stem.removeprefix("test_hf_") for line in hook.stdout.splitlines()
                     if line.startswith(f"{action} ")] for action in ("created", "updated", "removed")}
    if "tests/models/test_hf_gpt2.py: edited by hand, so left as it is" not in hook.stdout:
        raise SystemExit(f"demo: hf-test-generate did not keep the hand-edited gpt2 file; see {demo.log.name}")
    demo.run(*hfguard("generate", "gpt2"))  # the edit is dropped on purpose: hfguard keeps a backup
    demo.run(*pre_commit("hf-test-generate"))
    demo.run(*pre_commit("hf-test-verify"))
    kept = sorted(str(path.relative_to(demo.repo)) for path in (demo.repo / ".hfguard-backup").rglob("*.py"))
    demo.note("hf-test-generate", f"created {', '.join(done['created'])}; updated {', '.join(done['updated'])}; removed "
              f"{', '.join(done['removed'])}; left the "
              "hand-edited gpt2 file as it was, saying how to keep the edit (test_hf_gpt2_extra.py)")
    demo.note("dropping the edit", f"'hfguard generate gpt2' rewrote it, the edit kept in {', '.join(kept)}")
    demo.git("add", "-A")
    demo.git("commit", "-qm", "Add wav2vec2, clip and llama")


def changed(demo: Demo) -> None:
    """4. What changed against main (read from git objects)."""
    report = json.loads(demo.run(*hfguard("changed", "--base", "main", "--json")).stdout)
    demo.run(*hfguard("changed", "--base", "main"))
    demo.note("entries added by the PR", ", ".join(report["entries"]["added"]))


def tests_and_coverage(demo: Demo) -> None:
    """5. The generated tests for real (tiny random-weight models on CPU, offline), and coverage against main's."""
    pytest_run(demo, demo.workdir / "head.xml")
    demo.run(*hfguard("coverage", "--junit", str(demo.workdir / "head.xml"), "--base-report", str(demo.workdir / "base.json"),
                      "--json", str(demo.workdir / "head.json"), "--badge", str(demo.workdir / "badge.svg")))
    head = json.loads((demo.workdir / "head.json").read_text())
    failing = {name: model for name, model in head["models"].items() if model["level"] == "failing"}
    first = {name: next((f"{test}: {line}" for test, line in model["errors"]), "") for name, model in failing.items()}
    demo.note("generated tests", "; ".join(f"{name} fails (on purpose): {line[:100]}" for name, line in sorted(first.items())))
    overall = head["summary"]["overall"]
    demo.note("coverage (head)", f"{overall['passing']} of {overall['total']} registry entries passing ({overall['passing_pct']}%)")
    if sorted(failing) != ["vit"]:
        raise SystemExit(f"demo: expected only vit to fail (the PR breaks it on purpose), not {sorted(failing)}; see {demo.log.name}")


def comment(demo: Demo) -> None:
    """6. The sticky PR comment, posted to a local fake GitHub API (twice: the second is a no-op)."""
    sys.path.insert(0, str(PROJECT / "tests"))
    from fake_github import TOKEN, FakeGitHub

    event = demo.workdir / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR_NUMBER}}))
    with FakeGitHub() as github:
        github.add_pr(REPO, PR_NUMBER)
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.base_url, "GITHUB_EVENT_PATH": str(event),
               "HFGUARD_GITHUB_LOGIN": "github-actions[bot]"}  # the workflow's token writes as it (GET /user is refused to it)
        args = hfguard("comment", "--report", str(demo.workdir / "head.json"), "--base-report", str(demo.workdir / "base.json"))
        demo.run(*args, env=env)
        demo.run(*args, env=env)
        [posted] = github.comments_on(REPO, PR_NUMBER)
        (demo.workdir / "comment.md").write_text(posted["body"], encoding="utf-8")
        demo.write(f"\nThe comment on the pull request, as GitHub stores it:\n\n{posted['body']}\n\nAPI calls of the two runs:")
        demo.write("\n".join(f"  {method:6} {path} -> {code}" for method, path, code in github.log))
        demo.note("PR comment", f"1 comment, {len(github.writes())} write(s) over 2 runs")
    body = [line for line in posted["body"].splitlines() if line.strip() and not line.startswith("<!--")]
    demo.shown += ["The PR comment (first lines; all of it in the log):", *(f"  {line}" for line in body[:COMMENT_LINES])]


def dashboard(demo: Demo) -> None:
    """7. The coverage dashboard: one static folder, opens from file:// or GitHub Pages."""
    out = demo.workdir / "dashboard"
    demo.run(*hfguard("report", "--results", str(demo.workdir / "head.json"), "--previous", str(demo.workdir / "base.json"),
                      "--title", f"hfguard: {REPO}", "--out", str(out)))
    demo.note("dashboard", str(out / "index.html"))


def team_checks(demo: Demo) -> None:
    """8. Team checks: a bug planted in the team's wrapper fails exactly its team check, for every model type it affects."""
    head = json.loads((demo.workdir / "head.json").read_text())
    team = sorted({test.removeprefix("test_team_check[").removesuffix("]") for model in head["models"].values()
                   for test in model["tests"] if test.startswith("test_team_check[")})
    posted = (demo.workdir / "comment.md").read_text(encoding="utf-8")
    page = (demo.workdir / "dashboard" / "index.html").read_text(encoding="utf-8")
    if f"#### Team checks ({len(team)}:" not in posted or not team or 'id="team-checks"' not in page or '<td class="team-checks"' not in page:
        raise SystemExit(f"demo: the team checks {team} are missing from the comment or the dashboard; see {demo.log.name}")
    demo.note("team checks", f"{len(team)} per model type ({', '.join(team)}): a table of the comment, a column and a table "
              "of the dashboard")
    source = demo.repo / "acme_models" / "__init__.py"
    source.write_text(source.read_text().replace(*PLANTED_BUG))
    demo.write(demo.run("git", "diff", "--", str(source)).stdout)
    try:
        pip_install(demo)
        pytest_run(demo, demo.workdir / "planted.xml")
        demo.run(*hfguard("coverage", "--junit", str(demo.workdir / "planted.xml"), "--json", str(demo.workdir / "planted.json")),
                 expect=(1, 0))
    finally:
        demo.run("git", "checkout", "--", str(source))
        demo.run(str(BIN / "python"), "-m", "pip", "uninstall", "--quiet", "--yes", "acme-models")
    planted = json.loads((demo.workdir / "planted.json").read_text())
    newly = sorted((name, test) for name, model in planted["models"].items() for test, outcome in model["tests"].items()
                   if outcome == "failed" and head["models"][name]["tests"].get(test) != "failed")
    demo.write("Tests failing now that passed before the bug:\n" + "\n".join(f"  {name}: {test}" for name, test in newly))
    affected = sorted(name for name, _ in newly)
    if {test for _, test in newly} != {"test_team_check[predict_matches_forward]"} or affected != ["bert", "clip", "gpt2", "llama"]:
        raise SystemExit(f"demo: the planted wrapper bug should fail predict_matches_forward of the text models only, not {newly}")
    demo.note("planted wrapper bug", f"fails only predict_matches_forward, of {', '.join(affected)}")


STEPS: list[Callable[[Demo], None]] = [adopt, pull_request, verify_hook, generate_hook, changed, tests_and_coverage, comment,
                                       dashboard, team_checks]


def main(steps: list[Callable[[Demo], None]] = STEPS, workdir: Path = WORKDIR) -> int:
    """Run ``steps`` in a fresh ``workdir``: a line per step, then the summary; everything else into ``workdir/demo.log``."""
    started = time.monotonic()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    shutil.rmtree(workdir, ignore_errors=True)  # one demo folder, replaced on every run
    workdir.mkdir(parents=True)
    log_path = workdir / "demo.log"
    with log_path.open("w", encoding="utf-8") as log:
        demo = Demo(workdir, log)
        demo.repo.mkdir()
        demo.note("example repository", str(demo.repo))
        demo.say(f"hfguard demo: one pull request on an example repository, offline; every command's output goes to {log_path}")
        for step in steps:
            title = (step.__doc__ or step.__name__).splitlines()[0]
            demo.write(f"\n{'=' * WIDTH}\n{title}\n{'=' * WIDTH}")
            begun = time.monotonic()
            print(f"  {title}", end="", flush=True)
            try:
                step(demo)
            finally:
                print(f" ({time.monotonic() - begun:.0f} s)", flush=True)
        demo.note("wall time", f"{time.monotonic() - started:.0f} s")
        demo.say(f"\n{'=' * WIDTH}\nSummary\n{'=' * WIDTH}")
        width = max(len(key) for key in demo.summary)
        for key, value in demo.summary.items():
            demo.say(f"  {key:<{width}}  {value}")
        if demo.shown:
            demo.say("\n" + "\n".join(demo.shown))
        demo.say(f"\nThe full log: {log_path}" + (f"\nThe dashboard: {demo.summary['dashboard']}" if "dashboard" in demo.summary else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
