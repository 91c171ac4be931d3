"""The ``hfguard`` command line: dispatches to one module per subcommand.

Subcommand modules are imported only when their subcommand runs, so ``hfguard --help``
and ``hfguard verify`` never load torch, transformers, git or github.
"""

from __future__ import annotations

import importlib
import os
import sys

from hfguard import __version__

# name -> (module under hfguard.commands, one-line summary). One place lists the subcommands.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "models": ("models", "list the model types the installed transformers (or hfguard.lock) knows"),
    "lock": ("lock", "snapshot the model catalogue into hfguard.lock (--check: is it current?)"),
    "generate": ("generate", "render the registry's test files from the architecture templates"),
    "verify": ("verify", "reject test files that do not compile, stale or orphan generated files"),
    "changed": ("changed", "model entries added/changed/removed between two git revisions"),
    "coverage": ("coverage", "model-type coverage report (JSON, Markdown, SVG badge) and its delta"),
    "comment": ("comment", "post the coverage delta as one sticky pull-request comment"),
    "sweep": ("sweep", "generate and run the registry's tests (--all: every standalone model type), sharded"),
    "compare": ("compare", "what changed between two sweeps: per model type and check (e.g. two transformers versions)"),
    "report": ("report", "build the static coverage dashboard (HTML) from sweep results and the history"),
    "mutate": ("mutate", "break tiny models in known ways and count what the generated tests catch"),
    "init": ("init", "write a starter hfguard.toml, pre-commit config and workflows"),
    "adopt": ("adopt", "move hand-written test_hf_<type>.py files to test_hf_<type>_extra.py, losing nothing"),
    "install-hook": ("install_hook", "install hfguard's plain git pre-commit hook"),
}

INTERRUPTED = 130  # the shell's code for a command stopped by SIGINT (128 + 2)
USAGE = "usage: hfguard [--version] [--help] <command> [<args>]"


def _help_text() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = [USAGE, "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in SUBCOMMANDS.items()]
    lines += ["", "Run 'hfguard <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hfguard`` console script."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_help_text())
        return 0 if args else 2
    if args[0] in ("-V", "--version"):
        print(f"hfguard {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        from difflib import get_close_matches

        hint = get_close_matches(name, SUBCOMMANDS, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        print(f"hfguard: unknown command '{name}'{suggestion}\n{USAGE}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(f"hfguard.commands.{SUBCOMMANDS[name][0]}")
        return module.main(rest)
    except KeyboardInterrupt:  # files are written atomically: an interrupt leaves no partial or temp file
        print(f"hfguard {name}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # the reader went away (``hfguard ... | head``): stop quietly, as if killed by SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more reaches the closed pipe
        return 128 + 13
