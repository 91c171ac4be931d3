"""``hfguard comment``: post the coverage (and its delta) as one sticky pull-request comment."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path

from hfguard.commands.coverage import add_report_arguments
from hfguard.errors import HfguardError, run_reporting_errors

COMMENT_FILE = "hfguard-comment.md"
META_SUFFIX = ".json"  # beside the comment file: {"pr": N, "scope": ID} for --publish-from

FORK_HELP = (
    "This is usual for pull requests from forks: their GITHUB_TOKEN cannot write. To publish it, upload "
    "{file} and {meta} as an artifact, and post them from a second workflow triggered by 'workflow_run' "
    "(it runs with write access): 'hfguard comment --publish-from DIR' (the hfguard Action's 'publish' mode "
    "does this)."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hfguard comment",
        description=(
            "Post the coverage report and its delta as one sticky PR comment (found by a hidden marker, edited in "
            "place, not written when unchanged). Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, "
            "GITHUB_EVENT_PATH; writes GITHUB_STEP_SUMMARY and GITHUB_OUTPUT when set. "
            "Backoff of retries: ${HFGUARD_GITHUB_BACKOFF:-1} seconds, doubling."
        ),
    )
    add_report_arguments(parser)
    parser.add_argument("--report", type=Path, help="head coverage JSON (default: computed from the working tree)")
    parser.add_argument("--pr", type=int, help="pull request number (default: from GITHUB_EVENT_PATH)")
    parser.add_argument("--scope", default="default", help="id of this comment, so several jobs keep their own (default: default)")
    parser.add_argument("--dry-run", action="store_true", help="print the body, post nothing")
    parser.add_argument("--comment-file", type=Path, default=Path(COMMENT_FILE), help=f"where the body goes when GitHub refuses to write (default: {COMMENT_FILE})")
    parser.add_argument("--on-forbidden", choices=("file", "fail"), default="file", help="on 403: write the file and exit 0 (file) or 1 (fail)")
    parser.add_argument("--attempts", type=int, default=5, help="tries for 5xx, rate limits and connection errors (default: 5)")
    parser.add_argument("--publish-from", type=Path, metavar="DIR", help=f"post a body saved by a forbidden run ({COMMENT_FILE} and its {META_SUFFIX} in DIR)")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args, os.environ))


def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from hfguard import github

    if args.publish_from is not None:
        body, scope, pr = _saved(args.publish_from)
        summary, figures = None, {}
    else:
        body, summary, figures = _compose(args)
        scope, pr = args.scope, args.pr
    if summary is not None and env.get("GITHUB_STEP_SUMMARY"):
        with Path(env["GITHUB_STEP_SUMMARY"]).open("a", encoding="utf-8") as handle:
            handle.write(summary + "\n")
    if args.dry_run:
        print(body, end="")
        return 0
    context = github.Context.from_env(env, pr)
    outputs = dict(figures)
    code = 0
    try:
        posted = github.post_sticky(context, scope, body, attempts=args.attempts)
        outputs.update({"comment-url": posted.url, "comment-action": posted.action})
        print(f"hfguard: comment {posted.action}: {posted.url}")
    except github.Forbidden as error:
        meta = args.comment_file.with_suffix(META_SUFFIX)
        args.comment_file.write_text(body, encoding="utf-8")
        meta.write_text(json.dumps({"pr": context.pr, "scope": scope}) + "\n", encoding="utf-8")
        outputs.update({"comment-file": str(args.comment_file), "comment-action": "saved"})
        print(f"hfguard: GitHub refused to write the comment ({error}); it is saved in {args.comment_file}.")
        print("hfguard: " + FORK_HELP.format(file=args.comment_file, meta=meta))
        code = 0 if args.on_forbidden == "file" else 1
    if env.get("GITHUB_OUTPUT"):
        github.write_outputs(Path(env["GITHUB_OUTPUT"]), outputs)
    return code


def _compose(args: argparse.Namespace) -> tuple[str, str, dict[str, str]]:
    """The comment body (fitted to GitHub's limit), the full summary, and the key figures."""
    from hfguard import coverage, github

    report = coverage.load_report(args.report) if args.report else coverage.current_report(args.config, args.junit)
    delta = coverage.delta_against(report, args.base, args.base_report, args.config)
    body = github.fit_body(lambda max_items: coverage.render_markdown(report, delta, max_items), args.scope)
    measure, pct = report.headline()
    figures = {"coverage": f"{pct}", "coverage-measure": measure}
    if delta is not None:
        base, head = delta["overall"]["base"], delta["overall"]["head"]
        compared = measure if delta["base_has_results"] else "generated"  # a base without results has no passing figure
        figures["coverage-delta"] = f"{head[f'{compared}_pct'] - base[f'{compared}_pct']:+.1f}"
        figures["coverage-delta-measure"] = compared
        figures["changes"] = "\n".join(f"{key}: {' '.join(delta[key])}" for key in coverage.CATEGORIES)
    return body, coverage.render_markdown(report, delta), figures


def _saved(folder: Path) -> tuple[str, str, int]:
    """Body, scope and PR number saved by a run GitHub refused to write for."""
    body_path, meta_path = folder / COMMENT_FILE, (folder / COMMENT_FILE).with_suffix(META_SUFFIX)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        body = body_path.read_text(encoding="utf-8")
        pr, scope = int(meta["pr"]), str(meta["scope"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise HfguardError(f"{folder}: no saved comment to publish ({error})") from None
    from hfguard.github import marker

    if not body.startswith(marker(scope) + "\n"):
        raise HfguardError(f"{body_path}: does not start with the marker of scope '{scope}'")
    return body, scope, pr
