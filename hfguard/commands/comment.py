"""``hfguard comment``: post the coverage (and its delta) as one sticky pull-request comment."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from hfguard import github
from hfguard.commands.coverage import add_report_arguments
from hfguard.errors import run_reporting_errors
from hfguard.github import ATTEMPTS, COMMENT_FILE, META_SUFFIX

DEFAULT_SCOPE = "default"

FORK_HELP = (
    "This is usual for pull requests from forks: their GITHUB_TOKEN cannot write. To publish it, upload "
    "{file} and {meta} as an artifact, and post them from a second workflow triggered by 'workflow_run' "
    "(it runs with write access): 'hfguard comment --publish-from DIR --pr N' (the hfguard Action's 'publish' mode "
    "does this)."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hfguard comment",
        description=(
            "Post the coverage report and its delta as one sticky PR comment (found by a hidden marker, edited in "
            "place, not written when unchanged; only a comment written by the token's own identity is ours: HFGUARD_GITHUB_LOGIN, "
            "else GET /user, which installation tokens may not read: set HFGUARD_GITHUB_LOGIN=github-actions[bot] for the "
            "workflow's token). Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, "
            "GITHUB_EVENT_PATH; writes GITHUB_STEP_SUMMARY and GITHUB_OUTPUT when set. "
            "Backoff of retries: ${HFGUARD_GITHUB_BACKOFF:-1} seconds, doubling."
        ),
    )
    add_report_arguments(parser)
    parser.add_argument("--report", type=Path, help="head coverage JSON (default: computed from the working tree)")
    parser.add_argument("--pr", type=int, help="pull request number (default: from GITHUB_EVENT_PATH); with --publish-from, the "
                        "one to post on, refusing a comment saved for another (default: the saved number)")
    parser.add_argument("--scope", help=f"id of this comment, so several jobs keep their own (default: {DEFAULT_SCOPE}); with "
                        "--publish-from, refuse a comment saved for another scope")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print the body, post nothing")
    mode.add_argument("--save", type=Path, metavar="DIR", help=f"save the body for --publish-from ({COMMENT_FILE} and its "
                      f"{META_SUFFIX} in DIR), post nothing")
    mode.add_argument("--publish-from", type=Path, metavar="DIR", help=f"post a body saved by --save or a forbidden run "
                      f"({COMMENT_FILE} and its {META_SUFFIX} in DIR)")
    parser.add_argument("--comment-file", type=Path, default=Path(COMMENT_FILE), help=f"where the body goes when GitHub refuses to write (default: {COMMENT_FILE})")
    parser.add_argument("--on-forbidden", choices=("file", "fail"), default="file", help="on 403: write the file and exit 0 (file) or 1 (fail)")
    parser.add_argument("--upgrade", type=Path, metavar="FILE", help="add the transformers upgrade check: an 'hfguard compare "
                        "--format json' of the registry swept under the old and the new pin")
    parser.add_argument("--attempts", type=int, default=ATTEMPTS, help=f"tries for 5xx, rate limits and connection errors (default: {ATTEMPTS})")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: _run(args, os.environ))


def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.publish_from is not None:
        comment = github.StickyComment.load(args.publish_from, args.pr, args.scope)
        outputs: dict[str, str] = {}
    else:
        scope = args.scope or DEFAULT_SCOPE
        body, summary, outputs = _compose(args, scope)
        if env.get("GITHUB_STEP_SUMMARY"):
            with Path(env["GITHUB_STEP_SUMMARY"]).open("a", encoding="utf-8") as handle:
                handle.write(summary + "\n")
        if args.dry_run:
            print(body, end="")
            return 0
        comment = github.StickyComment(body, github.pr_number(args.pr, env), scope)
    code = 0
    if args.save is not None:
        path = args.save / COMMENT_FILE
        _keep(comment, path, outputs)
        print(f"hfguard: comment for pull request {comment.pr} saved in {path}; post it with "
              f"'hfguard comment --publish-from {args.save} --pr {comment.pr}' from a workflow with write access.")
    else:
        code = _post(comment, args, env, outputs)
    if env.get("GITHUB_OUTPUT"):
        github.write_outputs(Path(env["GITHUB_OUTPUT"]), outputs)
    return code


def _post(comment: github.StickyComment, args: argparse.Namespace, env: Mapping[str, str], outputs: dict[str, str]) -> int:
    """Post ``comment``; on a 403 save it to ``--comment-file`` instead (exit 0, or 1 with ``--on-forbidden fail``)."""
    connection = github.Connection.from_env(env, attempts=args.attempts)
    try:
        posted = github.post_sticky(connection, comment)
    except github.Forbidden as error:
        meta = _keep(comment, args.comment_file, outputs)
        print(f"hfguard: GitHub refused to write the comment ({error}); it is saved in {args.comment_file}.")
        print("hfguard: " + FORK_HELP.format(file=args.comment_file, meta=meta))
        return 0 if args.on_forbidden == "file" else 1
    outputs.update({"comment-url": posted.url, "comment-action": posted.action})
    print(f"hfguard: comment {posted.action}: {posted.url}")
    return 0


def _keep(comment: github.StickyComment, path: Path, outputs: dict[str, str]) -> Path:
    """Save ``comment`` at ``path`` for a later ``--publish-from``, noted in ``outputs``; the meta file's path."""
    meta = comment.save(path)
    outputs.update({"comment-file": str(path), "comment-action": "saved"})
    return meta


def _compose(args: argparse.Namespace, scope: str) -> tuple[str, str, dict[str, str]]:
    """The comment body (fitted to GitHub's limit), the full summary, and the key figures."""
    from hfguard import coverage

    report = coverage.load_report(args.report) if args.report else coverage.current_report(args.config, args.junit)
    delta = coverage.delta_against(report, args.base, args.base_report, args.config)
    url = github.run_url(os.environ)
    sections = _sections(args)
    body = github.fit_body(lambda max_items: coverage.render_markdown(report, delta, max_items, url) + sections(max_items), scope)
    measure, pct = report.headline()
    figures = {"coverage": f"{pct}", "coverage-measure": measure}
    if delta is not None:
        figures["coverage-delta-measure"], figures["coverage-delta"] = coverage.delta_points(delta, measure)
        figures["changes"] = "\n".join(f"{key}: {' '.join(delta[key])}" for key in coverage.CATEGORIES)
    return body, coverage.render_markdown(report, delta, run_url=url) + sections(None), figures


def _sections(args: argparse.Namespace) -> Callable[[int | None], str]:
    """Sections other modules add to the comment (today: the transformers upgrade check), by ``max_items``."""
    if args.upgrade is None:
        return lambda max_items: ""
    from hfguard import upgrade

    comparison = upgrade.load_comparison(args.upgrade)
    return lambda max_items: "\n" + upgrade.comment_section(comparison, max_items)
