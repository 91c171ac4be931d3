"""``hfguard compare A B``: what changed between two sweeps (two transformers versions, or two nights)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hfguard.errors import run_reporting_errors


def build_parser() -> argparse.ArgumentParser:
    """Options of ``hfguard compare``."""
    parser = argparse.ArgumentParser(
        prog="hfguard compare",
        description=(
            "Compare two sweeps per model type and per check: newly failing, fixed, other status changes, new and "
            "removed model types (not model types of the other side's transformers version), types swept in one run "
            "only (the other's transformers knows them, or its results do not say), changed families. A and B are "
            "sweep results (results.json or its folder) or coverage reports. Exit 1 with --fail-on-new-failures when a "
            "model type newly fails in B."
        ),
    )
    parser.add_argument("a", type=Path, metavar="A", help="the baseline (e.g. the sweep under the pinned transformers)")
    parser.add_argument("b", type=Path, metavar="B", help="the other (e.g. the sweep under the next transformers)")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--label-a", default="A", help="name of A in the output (default: A)")
    parser.add_argument("--label-b", default="B", help="name of B in the output (default: B)")
    parser.add_argument("--output", "-o", type=Path, help="write here (inside the repository, through no symbolic link) instead of printing")
    parser.add_argument("--fail-on-new-failures", action="store_true", help="exit 1 when a model type fails in B but not in A")
    return parser


def main(argv: list[str] | None = None) -> int:
    """0, or 1 with --fail-on-new-failures and a newly failing model type; 2 on bad input."""
    args = build_parser().parse_args(argv)

    def body() -> int:
        from hfguard import compare
        from hfguard.results import load_night

        comparison = compare.compare(load_night(args.a), load_night(args.b), args.label_a, args.label_b)
        render = {"text": compare.render_text, "markdown": compare.render_markdown, "json": compare.render_json}[args.format]
        text = render(comparison)
        if args.output:
            from hfguard.atomic import write_atomic
            from hfguard.paths import output_file, repository_root

            write_atomic(output_file(args.output, repository_root(Path.cwd()), "--output"), text)
        else:
            print(text, end="")
        return 1 if args.fail_on_new_failures and comparison["newly_failing"] else 0

    return run_reporting_errors(body)
