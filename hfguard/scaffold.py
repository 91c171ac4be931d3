"""The files ``hfguard init`` writes into a repository: a starter registry, pre-commit hooks, three workflows.

The workflows use the hfguard Action at ``ACTION_PLACEHOLDER``, replaced by the reference the user
chooses (default: this version's tag). Actions of GitHub are pinned by commit SHA, tag in a comment.
"""

from __future__ import annotations

from hfguard import __version__

ACTION_PLACEHOLDER = "@@HFGUARD_ACTION@@"
DEFAULT_ACTION = f"hfguard/hfguard@v{__version__}"
HOOKS_REPO = "https://github.com/hfguard/hfguard"

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
UPLOAD = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0"
DOWNLOAD = "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1"

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

PRE_COMMIT = f"""\
# hfguard's hooks (see https://pre-commit.com). 'pre-commit run --hook-stage manual hf-test-coverage' prints coverage.
repos:
  - repo: {HOOKS_REPO}
    rev: v{__version__}
    hooks:
      - id: hf-test-verify
      - id: hf-test-generate
      - id: hf-test-coverage
"""

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

jobs:
  publish:
    if: github.event.workflow_run.event == 'pull_request'
    runs-on: ubuntu-24.04
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
# hfguard nightly: against the latest transformers, report model types new since hfguard.lock, generate
# and run the tests of the registry in shards, merge the reports, and publish report, badge and
# coverage-over-time chart as the 'hfguard-nightly' artifact. A drop opens or updates one tracking issue.
name: hfguard nightly

on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:

permissions: {{}}

jobs:
  sweep:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    strategy:
      fail-fast: false
      matrix:
        shard: [1, 2, 3, 4]
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - uses: {ACTION_PLACEHOLDER}
        with:
          run: sweep
          shard: ${{{{ matrix.shard }}}}/4
          transformers: latest
      - uses: {UPLOAD}
        with:
          name: hfguard-shard-${{{{ matrix.shard }}}}
          path: hfguard-report/coverage.json
          retention-days: 5

  report:
    needs: sweep
    runs-on: ubuntu-24.04
    permissions:
      actions: read
      issues: write
    steps:
      - uses: {DOWNLOAD}
        with:
          pattern: hfguard-shard-*
          path: hfguard-shards
      - name: Fetch the previous night's report
        shell: bash
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          GH_REPO: ${{{{ github.repository }}}}
          WORKFLOW: ${{{{ github.workflow }}}}
        run: |
          previous=$(gh run list --workflow "$WORKFLOW" --status success --limit 1 --json databaseId --jq '.[0].databaseId // empty')
          if [ -n "$previous" ]; then
            gh run download "$previous" --name hfguard-nightly --dir hfguard-previous || echo "no report in run $previous"
          fi
      - uses: {ACTION_PLACEHOLDER}
        with:
          run: report
      - uses: {UPLOAD}
        with:
          name: hfguard-nightly
          path: hfguard-report/
          retention-days: 90
"""

# relative path -> text (the action placeholder not yet replaced)
FILES: dict[str, str] = {
    "hfguard.toml": REGISTRY,
    ".pre-commit-config.yaml": PRE_COMMIT,
    ".github/workflows/hfguard.yml": PULL_REQUEST_WORKFLOW,
    ".github/workflows/hfguard-publish.yml": PUBLISH_WORKFLOW,
    ".github/workflows/hfguard-nightly.yml": NIGHTLY_WORKFLOW,
}


def render(action: str = DEFAULT_ACTION) -> dict[str, str]:
    """Every scaffold file with the hfguard Action reference ``action`` (e.g. ``owner/hfguard@<sha>``)."""
    return {path: text.replace(ACTION_PLACEHOLDER, action) for path, text in FILES.items()}
