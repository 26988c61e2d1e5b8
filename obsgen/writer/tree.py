"""The output directory seen through directory file descriptors, never through a symlink.

Every path below the output directory is opened one component at a time with
``O_NOFOLLOW``, so a symlink committed as ``dashboards -> /elsewhere`` (or swapped in
while obsgen runs) can never make obsgen write, rename or delete outside the tree.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from obsgen.errors import OutputError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: O_NONBLOCK: opening a FIFO must not hang; the fstat check then refuses it.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

Parts = tuple[str, ...]


def parts_of(rel: str) -> Parts:
    """``"k8s/prod/pay.yaml"`` -> ``("k8s", "prod", "pay.yaml")``, refusing anything outside the tree.

    Only the normal form is accepted: no leading or doubled ``/``, no ``.`` or ``..`` component.
    """
    parts = tuple(rel.split("/"))
    if "\0" in rel or any(part in ("", ".", "..") for part in parts):
        raise OutputError(f"refusing to write outside the output directory: {rel!r}")
    return parts


class UnsafePath(OutputError):
    """A component of a path is a symlink or not a directory."""


class Tree:
    """An open output directory; paths are relative to it and resolved without following links."""

    def __init__(self, root: Path, *, create: bool) -> None:
        self.root = root
        if create:
            root.mkdir(parents=True, exist_ok=True)
        # The root itself is the user's choice (--out may be a link); nothing below it may be.
        self.fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._dirs: dict[Parts, int] = {(): self.fd}

    def close(self) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def dir(self, parts: Parts, *, create: bool = False) -> int | None:
        """The directory at ``parts``; None when it does not exist (and ``create`` is false)."""
        if parts in self._dirs:
            return self._dirs[parts]
        parent = self.dir(parts[:-1], create=create)
        if parent is None:
            return None
        name = parts[-1]
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o755, dir_fd=parent)
            fd = self._open_dir(name, parent, parts)
        except OSError as exc:
            raise self._unsafe(parts, exc, parent) from None
        self._dirs[parts] = fd
        return fd

    def _open_dir(self, name: str, parent: int, parts: Parts) -> int:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            raise self._unsafe(parts, exc, parent) from None

    def _unsafe(self, parts: Parts, exc: OSError, parent: int) -> OutputError:
        where = self.root / "/".join(parts)
        try:
            is_link = stat.S_ISLNK(os.stat(parts[-1], dir_fd=parent, follow_symlinks=False).st_mode)
        except OSError:
            is_link = False
        if is_link or exc.errno == errno.ELOOP:
            return UnsafePath(
                f"{where}: is a symlink; obsgen never writes or deletes through links, "
                "replace it with a real directory"
            )
        if exc.errno == errno.ENOTDIR:
            return UnsafePath(
                f"{where}: is not a directory, but obsgen must write files below it; move it away"
            )
        return OutputError(f"{where}: {exc.strerror}")

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry itself (a link is not followed); None when it or a parent directory is missing."""
        parts = parts_of(rel)
        parent = self.dir(parts[:-1])
        if parent is None:
            return None
        try:
            return os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def read(self, rel: str, limit: int) -> bytes | None:
        """At most ``limit`` bytes of a regular file; None when it is missing, a link or not a regular file."""
        parts = parts_of(rel)
        parent = self.dir(parts[:-1])
        if parent is None:
            return None
        try:
            fd = os.open(parts[-1], _READ_FLAGS, dir_fd=parent)
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENXIO):  # a symlink; a FIFO without a writer
                return None
            raise
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            chunks: list[bytes] = []
            left = limit
            while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def unlink(self, rel: str) -> None:
        parts = parts_of(rel)
        parent = self.dir(parts[:-1])
        if parent is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(parts[-1], dir_fd=parent)

    def remove_empty_parents(self, rel: str) -> None:
        """Remove the directories above ``rel`` that are now empty, up to (not including) the root."""
        parts = parts_of(rel)[:-1]
        while parts:
            parent = self.dir(parts[:-1])
            if parent is None:
                return
            fd = self._dirs.pop(parts, None)
            if fd is not None:
                os.close(fd)
            try:
                os.rmdir(parts[-1], dir_fd=parent)
            except OSError:
                return  # not empty (or gone): stop
            parts = parts[:-1]

    def walk_files(self, top: Parts) -> Iterator[str]:
        """Regular files below ``top`` (relative paths), not descending into links."""
        fd = self.dir(top)
        if fd is None:
            return
        for entry in sorted(os.listdir(fd)):
            st = os.stat(entry, dir_fd=fd, follow_symlinks=False)
            rel = "/".join((*top, entry))
            if stat.S_ISDIR(st.st_mode):
                yield from self.walk_files((*top, entry))
            elif stat.S_ISREG(st.st_mode):
                yield rel

    def fsync_dir(self, parts: Parts) -> None:
        fd = self.dir(parts)
        if fd is not None:
            os.fsync(fd)


def sync_filesystem(fd: int) -> None:
    """Flush every dirty page of the filesystem holding ``fd``: one syncfs instead of one fsync per file."""
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        syncfs = getattr(libc, "syncfs", None)
        if syncfs is not None and syncfs(fd) == 0:
            return
    os.sync()
