"""The files ``hfguard init`` writes into a repository: a starter registry, pre-commit hooks, three workflows.

The workflows use the hfguard Action at ``ACTION_PLACEHOLDER`` and the hooks come from ``HOOKS_PLACEHOLDER``,
both replaced by the real repository hfguard was installed from (or ``--action OWNER/REPO@SHA``), pinned
by commit SHA with the tag in a comment, as every other action here is. Without a reference (hfguard installed
from a registry or a local path), or on request, the hooks run the installed hfguard (``repo: local``,
``language: system``: no network at commit time) and the workflows wait for the reference.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from hfguard import __version__
from hfguard.errors import HfguardError

ACTION_PLACEHOLDER = "@@HFGUARD_ACTION@@"
HOOKS_PLACEHOLDER = "@@HFGUARD_HOOKS@@"
_REFERENCE = re.compile(r"^(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)@(?P<ref>[0-9a-f]{40})$")
_GITHUB_URL = re.compile(r"^(?:git\+)?(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")
_TAG = re.compile(r"^v?\d+(\.\d+)*\S*$")


@dataclass(frozen=True)
class ActionReference:
    """Where hfguard's action and hooks come from: ``owner/repo`` at a commit, and the tag that commit is."""

    repository: str
    sha: str
    tag: str

    @property
    def uses(self) -> str:
        return f"{self.repository}@{self.sha} # {self.tag}"


EXAMPLE = ActionReference("your-org/hfguard", "0" * 40, f"v{__version__}")  # the shipped examples only


def parse_reference(text: str, tag: str | None = None) -> ActionReference:
    """``OWNER/REPO@SHA`` (a full commit SHA) as a reference; the tag defaults to this version's."""
    match = _REFERENCE.match(text.strip())
    if match is None:
        raise HfguardError(f"--action must be OWNER/REPO@SHA with the full 40-character commit SHA, not '{text}' "
                           "(git ls-remote https://github.com/OWNER/REPO refs/tags/TAG prints it)")
    return ActionReference(match["repo"], match["ref"], tag or f"v{__version__}")


def installed_reference() -> ActionReference | None:
    """The GitHub repository and commit this hfguard was installed from, if known (pip's record, else its checkout)."""
    try:
        direct = json.loads(metadata.distribution("hfguard").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, json.JSONDecodeError):
        direct = {}
    return reference_from_direct_url(direct) or reference_from_checkout(Path(__file__).resolve().parent.parent)


def reference_from_direct_url(direct: dict[str, Any]) -> ActionReference | None:
    """From pip's ``direct_url.json`` of a ``pip install git+https://github.com/OWNER/REPO@TAG``."""
    vcs = direct.get("vcs_info") or {}
    match = _GITHUB_URL.match(direct.get("url", ""))
    if vcs.get("vcs") != "git" or match is None or not re.fullmatch(r"[0-9a-f]{40}", vcs.get("commit_id", "")):
        return None
    requested = vcs.get("requested_revision") or ""
    return ActionReference(match["repo"], vcs["commit_id"], requested if _TAG.match(requested) else f"v{__version__}")


def reference_from_checkout(checkout: Path) -> ActionReference | None:
    """From a git checkout of hfguard whose ``origin`` is on GitHub: its HEAD, and the tag at HEAD if any."""
    if not (checkout / ".git").exists():
        return None

    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    match = _GITHUB_URL.match(git("remote", "get-url", "origin"))
    sha = git("rev-parse", "HEAD")
    if match is None or not re.fullmatch(r"[0-9a-f]{40}", sha):
        return None
    tag = git("describe", "--tags", "--exact-match", "HEAD")
    return ActionReference(match["repo"], sha, tag if _TAG.match(tag) else f"v{__version__}")


CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
UPLOAD = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0"
DOWNLOAD = "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1"
CONFIGURE_PAGES = "actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b # v5.0.0"
UPLOAD_PAGES = "actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9 # v5.0.0"
DEPLOY_PAGES = "actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128 # v5.0.0"

REGISTRY = """\
# hfguard registry: one [models.<model_type>] table per model type you test.
# 'hfguard models' lists the known model types; 'hfguard lock' snapshots them into hfguard.lock.
tests_dir = "tests/models"
target = "registry"
orphans = "error"

[models.bert]

[models.gpt2]
task = "causal-lm"
"""

HOOK_IDS = ("hf-test-generate", "hf-test-verify", "hf-test-coverage")  # generate first: verify then sees the result


# The hooks of .pre-commit-hooks.yaml as a 'repo: local' entry runs them (tests/test_init.py holds the two equal):
# id -> (name, entry, other settings as YAML)
LOCAL_HOOKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "hf-test-generate": ("hfguard generate (rewrite missing or stale generated test files)", "hfguard generate --exit-code --keep-edits",
                         (r"files: '(^|/)(hfguard\.toml|hfguard\.lock|pyproject\.toml|test_hf_[^/]*\.py|[^/]*\.j2)$'",
                          "pass_filenames: false", "require_serial: true")),
    "hf-test-verify": ("hfguard verify (generated test files compile and are current)", "hfguard verify",
                       ("types: [python]", r"files: '(^|/)test_hf_[^/]*\.py$'")),
    "hf-test-coverage": ("hfguard coverage (model-type coverage report)", "hfguard coverage",
                         ("always_run: true", "pass_filenames: false", "verbose: true", "stages: [manual]")),
}


def hooks_entry(reference: ActionReference | None, indent: str = "  ") -> str:
    """hfguard's entry of a pre-commit config's ``repos:`` list, its ``-`` at ``indent``: pinned to ``reference``, or
    with None, ``repo: local`` hooks that run the ``hfguard`` on the PATH (no network at commit time)."""
    if reference is None:
        lines = ["- repo: local  # the hfguard installed here (on PATH); no network at commit time", "  hooks:"]
        for hook in HOOK_IDS:
            name, entry, settings = LOCAL_HOOKS[hook]
            lines += [f"    - id: {hook}", f"      name: {name}", f"      entry: {entry}", "      language: system",
                      *(f"      {setting}" for setting in settings)]
    else:
        lines = [f"- repo: https://github.com/{reference.repository}", f"  rev: {reference.sha}  # frozen: {reference.tag}",
                 "  hooks:", *(f"    - id: {hook}" for hook in HOOK_IDS)]
    return "".join(f"{indent}{line}\n" for line in lines)


def has_hooks(pre_commit_config: str) -> bool:
    """Whether a pre-commit config already uses one of hfguard's hooks."""
    return any(re.search(rf"\bid:\s*['\"]?{hook}\b", pre_commit_config) for hook in HOOK_IDS)


PRE_COMMIT = (
    "# hfguard's hooks (see https://pre-commit.com). 'pre-commit run --hook-stage manual hf-test-coverage' prints coverage.\n"
    f"repos:\n{HOOKS_PLACEHOLDER}"
)

PULL_REQUEST_WORKFLOW = f"""\
# hfguard on pull requests: verify, check for stale files, run the generated tests, compute the coverage.
# The tests are code of the pull request, so this job has a read-only token and posts nothing: it saves the
# comment as an artifact, and hfguard-publish.yml, which never runs pull-request code, posts it.
name: hfguard

on:
  pull_request:

permissions: {{}}

concurrency:
  group: hfguard-${{{{ github.event.pull_request.number }}}}
  cancel-in-progress: true

jobs:
  hfguard:
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    permissions:
      contents: read
    steps:
      - uses: {CHECKOUT}
        with:
          fetch-depth: 0
          persist-credentials: false
      - id: hfguard
        uses: {ACTION_PLACEHOLDER}
        with:
          run: all
          run-tests: "true"
          fail-on-coverage-drop: "true"
          publish-mode: compute
      - name: Keep the comment for hfguard-publish.yml
        if: always() && steps.hfguard.outputs.comment-file != ''
        uses: {UPLOAD}
        with:
          name: hfguard-comment
          path: hfguard-comment/
          retention-days: 5
"""

PUBLISH_WORKFLOW = f"""\
# Posts the comment that hfguard.yml saved for a pull request (from a fork or not). It runs with write access,
# so it never checks out or runs code of the pull request: it downloads the saved Markdown, and the action
# finds the pull request through the GitHub API from the run's head branch and commit.
name: hfguard publish

on:
  workflow_run: # zizmor: ignore[dangerous-triggers] no code of the pull request is checked out or run
    workflows: [hfguard]
    types: [completed]

permissions: {{}}

# Comments of one pull request are posted in order, none cancelled.
concurrency:
  group: hfguard-publish-${{{{ github.event.workflow_run.head_repository.full_name }}}}-${{{{ github.event.workflow_run.head_branch }}}}
  cancel-in-progress: false

jobs:
  publish:
    if: github.event.workflow_run.event == 'pull_request'
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      actions: read
      pull-requests: write
    steps:
      - id: download
        continue-on-error: true # no artifact: the run stopped before the comment
        uses: {DOWNLOAD}
        with:
          name: hfguard-comment
          path: hfguard-comment
          run-id: ${{{{ github.event.workflow_run.id }}}}
          github-token: ${{{{ github.token }}}}
      - if: steps.download.outcome == 'success'
        uses: {ACTION_PLACEHOLDER}
        with:
          publish-mode: publish
"""

NIGHTLY_WORKFLOW = f"""\
# hfguard nightly: the registry's tests generated and run in shards under the pinned transformers and the
# latest one. The report merges the shards that arrived (naming any that did not; a lost shard is never a
# coverage drop), compares pinned with latest (the upgrade view), keeps the history on the 'hfguard-data'
# branch, opens or updates one tracking issue, and publishes the dashboard to GitHub Pages (Settings >
# Pages > Source: GitHub Actions).
name: hfguard nightly

on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:

permissions: {{}}

# One night at a time: a manual run waits for the running one instead of racing it on the history and the
# tracking issue (GitHub keeps at most one more run pending in the group).
concurrency:
  group: hfguard-nightly-${{{{ github.ref }}}}
  cancel-in-progress: false

jobs:
  sweep:
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    permissions:
      contents: read
    strategy:
      fail-fast: false
      matrix:
        transformers: [pinned, latest]
        shard: [1, 2, 3, 4]
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - uses: {ACTION_PLACEHOLDER}
        with:
          run: sweep
          shard: ${{{{ matrix.shard }}}}/4
          transformers: ${{{{ matrix.transformers }}}}
      - name: Keep the shard, also when its sweep failed
        if: ${{{{ !cancelled() }}}}
        uses: {UPLOAD}
        with:
          name: hfguard-shard-${{{{ matrix.transformers }}}}-${{{{ matrix.shard }}}}
          path: hfguard-report/
          if-no-files-found: error
          retention-days: 5

  # Whenever the report was written (its job output 'dashboard'), the night is kept and published, also when a
  # shard failed or a later step of the report job did: an 'if:' without a status function would mean success()
  # of every job before, and one failing shard would lose the night.
  report:
    needs: sweep
    if: ${{{{ !cancelled() }}}}
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    permissions:
      contents: read
      issues: write
    outputs:
      dashboard: ${{{{ steps.report.outputs.dashboard-path }}}}
    steps:
      - uses: {DOWNLOAD}
        with:
          pattern: hfguard-shard-*
          path: hfguard-shards
      - id: report
        uses: {ACTION_PLACEHOLDER}
        with:
          run: report
          data-branch: hfguard-data
      - if: ${{{{ !cancelled() && steps.report.outputs.dashboard-path != '' }}}}
        uses: {UPLOAD}
        with:
          name: hfguard-nightly
          path: hfguard-report/
          if-no-files-found: error
          retention-days: 90
      - if: ${{{{ !cancelled() && steps.report.outputs.dashboard-path != '' }}}}
        uses: {UPLOAD_PAGES}
        with:
          path: hfguard-report/dashboard/

  history:
    needs: report
    if: ${{{{ !cancelled() && needs.report.outputs.dashboard != '' && (github.event_name == 'schedule' || github.ref_name == github.event.repository.default_branch) }}}}
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      contents: write
    steps:
      - uses: {DOWNLOAD}
        with:
          name: hfguard-nightly
          path: hfguard-report
      - uses: {ACTION_PLACEHOLDER}
        with:
          run: save-history
          data-branch: hfguard-data
          previous-dir: hfguard-report

  pages:
    needs: report
    if: ${{{{ !cancelled() && needs.report.outputs.dashboard != '' && (github.event_name == 'schedule' || github.ref_name == github.event.repository.default_branch) }}}}
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - uses: {CONFIGURE_PAGES}
      - id: deployment
        uses: {DEPLOY_PAGES}
"""

# relative path -> text (the action placeholder not yet replaced)
FILES: dict[str, str] = {
    "hfguard.toml": REGISTRY,
    ".pre-commit-config.yaml": PRE_COMMIT,
    ".github/workflows/hfguard.yml": PULL_REQUEST_WORKFLOW,
    ".github/workflows/hfguard-publish.yml": PUBLISH_WORKFLOW,
    ".github/workflows/hfguard-nightly.yml": NIGHTLY_WORKFLOW,
}


WORKFLOWS = tuple(path for path in FILES if path.startswith(".github/"))


def render(reference: ActionReference | None, local_hooks: bool = False) -> dict[str, str]:
    """Every scaffold file, the action and the hooks pinned to ``reference``; with ``local_hooks``, hooks that run the
    installed hfguard. Without a reference: the registry and local hooks only (the workflows cannot name the action)."""
    hooks = hooks_entry(None if local_hooks or reference is None else reference)
    chosen = {path: text for path, text in FILES.items() if reference is not None or path not in WORKFLOWS}
    return {path: text.replace(ACTION_PLACEHOLDER, reference.uses if reference else "").replace(HOOKS_PLACEHOLDER, hooks)
            for path, text in chosen.items()}
