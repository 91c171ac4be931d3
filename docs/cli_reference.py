"""Write docs/cli.md from the subcommands' own argument parsers (``--check``: is it current?).

Run ``python docs/cli_reference.py`` after changing a flag; ``make test`` fails while it is stale.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from hfguard.cli import SUBCOMMANDS, _help_text

TARGET = Path(__file__).resolve().parent / "cli.md"
HEADER = (
    "# CLI reference\n\n"
    "Generated from the argument parsers by `python docs/cli_reference.py`; do not edit by hand.\n"
    "Every subcommand exits 0 when all is well, 1 on findings (what `--check`-style options look for),\n"
    "and 2 on a usage or configuration error, with one `path:line: message` line per problem.\n"
)


def render() -> str:
    """The whole reference: the top-level help, then each subcommand's ``--help``."""
    os.environ["COLUMNS"] = "100"  # argparse wraps help text to the terminal width
    parts = [HEADER, "## hfguard\n", f"```text\n{_help_text()}\n```\n"]
    for name, (module_name, _) in SUBCOMMANDS.items():
        module = importlib.import_module(f"hfguard.commands.{module_name}")
        parsers: list[argparse.ArgumentParser] = [module.build_parser()]
        extra = getattr(module, "build_merge_parser", None)
        if extra is not None:
            parsers.append(extra())
        for parser in parsers:
            parts.append(f"## {parser.prog}\n")
            parts.append(f"```text\n{parser.format_help().rstrip()}\n```\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the reference, or with ``--check`` exit 1 when it is out of date."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if docs/cli.md is stale")
    args = parser.parse_args(argv)
    text = render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
    if args.check:
        if current != text:
            print(f"{TARGET}: out of date; run 'python docs/cli_reference.py'")
            return 1
        return 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
