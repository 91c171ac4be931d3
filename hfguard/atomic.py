"""Atomic file writes that neither a full disk nor Ctrl-C can leave half done.

The text goes to a temp file in the target's folder, which then replaces the target in one
``os.replace``: a reader sees the old file or the new one, never a part, and a link at the
target is replaced, never written through. Ctrl-C during a write is held until the write is
complete or undone, so an interrupted run leaves no ``.tmp`` file behind.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold SIGINT until the block ends, then deliver it to the handler it would have reached.

    Off the main thread, where Python delivers no signal, this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        signal.raise_signal(signal.SIGINT)  # now handled as it would have been: KeyboardInterrupt by default


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` in one step; text is written as UTF-8 (newlines as given, bytes that
    ``surrogateescape`` kept as they were)."""
    payload = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    with interrupts_held():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as error:  # name the file meant, not the temp file
            raise OSError(error.errno, error.strerror, str(path)) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            mode = path.stat().st_mode & 0o777 if path.is_file() and not path.is_symlink() else 0o644
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException as error:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise OSError(error.errno, error.strerror, str(path)) from None
            raise
