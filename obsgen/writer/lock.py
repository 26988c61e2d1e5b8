"""One obsgen run at a time per output directory."""

from __future__ import annotations

import fcntl
from pathlib import Path

from obsgen.errors import OutputError


def lock(fd: int, out: Path, *, exclusive: bool) -> None:
    """Lock the open output directory (``flock`` on its descriptor: no lock file to commit or clean).

    Fails at once with a clear message when another run holds it; the kernel releases
    the lock when a run exits, however it exits, so a killed run never leaves it behind.
    """
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputError(
            f"{out}: another obsgen run is writing this directory; wait for it to finish and run again"
        ) from None
