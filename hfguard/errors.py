"""One error type for every user-facing failure, printed as ``path:line:col: message``."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Problem:
    """One finding about a file: where it is and what to do about it."""

    message: str
    path: Path | str | None = None
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        where = [shown_path(self.path)] if self.path is not None else []
        if self.path is not None and self.line is not None:
            where.append(str(self.line))
            if self.col is not None:
                where.append(str(self.col))
        prefix = ":".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


def shown_path(path: Path | str) -> str:
    """A path as the user should see it: relative to the working directory when below it, else as given."""
    relative = os.path.relpath(os.path.abspath(path))
    return str(path) if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


class HfguardError(Exception):
    """A failure the user can fix; carries one or more problems, never a traceback."""

    def __init__(self, *problems: Problem | str) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


# what to do about the file-system errors a user can fix, by errno
OS_ADVICE = {
    errno.ENOSPC: "free some disk space and run again (files written before this one are complete)",
    errno.EDQUOT: "free some space in your quota and run again",
    errno.EROFS: "run where hfguard may write",
    errno.EACCES: "check the permissions of the file and its folder",
    errno.EPERM: "check the permissions of the file and its folder",
    errno.EISDIR: "a folder is in the way; rename or remove it",
    errno.ENOTDIR: "a file is in the way of a folder; rename or remove it",
    errno.ENOENT: "it does not exist (a dangling symbolic link?)",
    errno.ELOOP: "a loop of symbolic links; remove the links",
    errno.ENAMETOOLONG: "use a shorter path",
}


def os_problem(error: OSError) -> Problem:
    """One line for a file-system error: where, what the system said, and what to do."""
    advice = OS_ADVICE.get(error.errno, "check the path and run again")
    return Problem(f"{error.strerror or error}; {advice}", error.filename)


def run_reporting_errors(body: Callable[[], int]) -> int:
    """Run a subcommand body; print an HfguardError or a file-system error as plain lines and return exit code 2."""
    try:
        return body()
    except HfguardError as error:
        problems = error.problems
    except BrokenPipeError:
        raise
    except OSError as error:
        problems = [os_problem(error)]
    for problem in problems:
        print(f"hfguard: {problem}", file=sys.stderr)
    return 2
