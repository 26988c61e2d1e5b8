"""All-or-nothing changes to a whole tree, surviving SIGKILL and power loss.

1. Every new file is written to a staging directory inside the output directory as it
   arrives (:class:`Staging`: the run holds one file's bytes at a time, not the tree).
2. One ``syncfs`` makes them durable (not one fsync per file), then the journal — the
   list of renames and deletions — is written, synced and renamed into place.  That
   rename is the commit point: before it the old tree stands and the staging directory
   is garbage; after it the change is decided.
3. The renames and deletions are applied (the manifest last), every touched directory
   is fsynced once, then the journal and the staging directory are removed.

A run that finds a journal finishes it (replay is idempotent: a staged file that is
gone was already renamed) before doing anything else; a run that finds only a
staging directory removes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

from obsgen import conventions as C
from obsgen.errors import OutputError
from obsgen.writer import ownership
from obsgen.writer.tree import Parts, Tree, parts_of, sync_filesystem

JOURNAL_FILE = ".obsgen-journal.json"
STAGING_DIR = ".obsgen-staging"
#: The previous writer staged files next to their targets under this prefix.
LEGACY_TMP_PREFIX = ".obsgen-tmp-"
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class Journal:
    """What one run changes: staged name -> target (manifest last), then files to delete."""

    renames: tuple[tuple[str, str], ...]
    deletes: tuple[str, ...]

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"generated_by": "obsgen", "renames": self.renames, "deletes": self.deletes}
        ).encode()

    @classmethod
    def parse(cls, data: bytes) -> Journal:
        doc = json.loads(data)
        renames = tuple((str(s), str(t)) for s, t in doc["renames"])
        deletes = tuple(str(d) for d in doc["deletes"])
        for stage, target in renames:
            if "/" in stage or stage in ("", ".", ".."):
                raise ValueError(stage)
            parts_of(target)
        for rel in deletes:
            parts_of(rel)
        return cls(renames, deletes)


class Staging:
    """One run's new files, staged as they arrive; nothing outside the staging directory changes
    until :meth:`commit`.  Only the staged names and their targets are kept."""

    def __init__(self, tree: Tree, signals: _Signals) -> None:
        self._tree = tree
        self._signals = signals
        self._fd: int | None = None
        self._renames: list[tuple[str, str]] = []
        self.committed = False

    def __len__(self) -> int:
        return len(self._renames)

    def add(self, rel: str, content: bytes) -> None:
        """Stage ``content`` for ``rel`` (refusing an unsafe tree before a byte of it is staged)."""
        self._tree.dir(parts_of(rel)[:-1])
        if self._fd is None:
            self._fd = _fresh_staging(self._tree)
        name = f"{len(self._renames)}"
        fd = os.open(name, _WRITE_FLAGS, 0o644, dir_fd=self._fd)
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        self._renames.append((name, rel))

    def commit(self, deletes: list[str]) -> None:
        """Make the staged files (the manifest applied last) and ``deletes`` happen all or nothing."""
        if self._fd is None:
            self._fd = _fresh_staging(self._tree)
        renames = sorted(self._renames, key=lambda r: r[1] == C.MANIFEST_FILE)  # stable: arrival order
        journal = Journal(tuple(renames), tuple(deletes))
        fd = os.open("journal", _WRITE_FLAGS, 0o644, dir_fd=self._fd)
        try:
            os.write(fd, journal.to_bytes())
        finally:
            os.close(fd)
        sync_filesystem(self._fd)  # every staged byte durable before the commit point
        self._signals.defer = True
        os.replace("journal", JOURNAL_FILE, src_dir_fd=self._fd, dst_dir_fd=self._tree.fd)
        self.committed = True
        os.fsync(self._tree.fd)
        apply(self._tree, journal)


@contextlib.contextmanager
def staging(tree: Tree) -> Iterator[Staging]:
    """A :class:`Staging` for one run: leaving the block before its commit (an error, a signal)
    removes what was staged, so the tree is as it was."""
    with _signals_deferred() as signals:
        stage = Staging(tree, signals)
        try:
            yield stage
        except BaseException:
            if not stage.committed:
                remove_staging(tree)
            raise


def recover(tree: Tree) -> bool:
    """Finish an interrupted run's journal, or clean up what it staged; True when there was one."""
    st = _lstat(tree, JOURNAL_FILE)
    if st is None:
        remove_staging(tree)
        return False
    data = tree.read(JOURNAL_FILE, 64 * 1024 * 1024)
    try:
        if data is None:
            raise ValueError
        journal = Journal.parse(data)
    except (ValueError, KeyError, TypeError, OutputError):
        raise OutputError(
            f"{tree.root / JOURNAL_FILE}: an interrupted run's journal is unreadable; delete it and "
            f"{tree.root / STAGING_DIR}, then run `obsgen generate` again"
        ) from None
    with _signals_deferred() as signals:
        signals.defer = True
        apply(tree, journal)
    return True


def pending(tree: Tree) -> bool:
    """An interrupted run left a journal that the next generate will finish."""
    return _lstat(tree, JOURNAL_FILE) is not None


def apply(tree: Tree, journal: Journal) -> None:
    """Apply a committed journal (idempotent), sync, then forget it."""
    staging = tree.dir((STAGING_DIR,))
    touched: set[Parts] = {()}
    for stage, rel in journal.renames:
        if rel == C.MANIFEST_FILE:
            continue
        _rename(tree, staging, stage, rel, touched)
    roots = ownership.output_roots(target for _, target in journal.renames)
    for rel in journal.deletes:
        if ownership.prunable_path(rel, roots) and safe_to_delete(tree, rel):
            tree.unlink(rel)
            touched.add(parts_of(rel)[:-1])
    for stage, rel in journal.renames:
        if rel == C.MANIFEST_FILE:
            _rename(tree, staging, stage, rel, touched)
    for parts in sorted(touched, key=len, reverse=True):
        tree.fsync_dir(parts)
    tree.unlink(JOURNAL_FILE)
    os.fsync(tree.fd)
    for rel in journal.deletes:
        tree.remove_empty_parents(rel)
    remove_staging(tree)


def safe_to_delete(tree: Tree, rel: str) -> bool:
    """A regular file, reached without a link, that obsgen recognises as its own."""
    content = tree.read(rel, ownership.MAX_RECOGNISED_BYTES)
    return content is not None and ownership.recognised(rel, content)


def _rename(tree: Tree, staging: int | None, stage: str, rel: str, touched: set[Parts]) -> None:
    if staging is None:
        return
    parts = parts_of(rel)
    try:
        os.stat(stage, dir_fd=staging, follow_symlinks=False)
    except FileNotFoundError:
        return  # renamed before the interruption
    parent = tree.dir(parts[:-1], create=True)
    try:
        os.replace(stage, parts[-1], src_dir_fd=staging, dst_dir_fd=parent)
    except OSError as exc:
        raise OutputError(
            f"cannot write {tree.root / rel}: {exc.strerror or exc}; the change is recorded in "
            f"{JOURNAL_FILE}: fix the cause and run `obsgen generate` again to finish it"
        ) from None
    touched.add(parts[:-1])


def _fresh_staging(tree: Tree) -> int:
    remove_staging(tree)
    os.mkdir(STAGING_DIR, 0o700, dir_fd=tree.fd)
    fd = tree.dir((STAGING_DIR,))
    assert fd is not None
    return fd


def remove_staging(tree: Tree) -> None:
    """Delete the staging directory and everything in it (never following links)."""
    st = _lstat(tree, STAGING_DIR)
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(STAGING_DIR, dir_fd=tree.fd)
        return
    fd = tree.dir((STAGING_DIR,))
    assert fd is not None
    for name in os.listdir(fd):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=fd)
    tree.remove_empty_parents(f"{STAGING_DIR}/x")


def remove_legacy_temp_files(tree: Tree, rels: list[str]) -> None:
    """Temp files the previous writer left next to its targets when it was killed."""
    for parts in sorted({parts_of(rel)[:-1] for rel in rels}):
        fd = tree.dir(parts)
        if fd is None:
            continue
        for name in os.listdir(fd):
            if name.startswith(LEGACY_TMP_PREFIX):
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISREG(st.st_mode):
                    os.unlink(name, dir_fd=fd)


def _lstat(tree: Tree, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=tree.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


class _Signals:
    def __init__(self) -> None:
        self.defer = False
        self.pending: int | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.defer:
            self.pending = signum  # the commit is decided: finish it, then stop
            return
        raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[_Signals]:
    """SIGINT/SIGTERM: before the commit point they stop the run and its staged files are removed;
    after it they wait until the tree is consistent."""
    state = _Signals()
    try:
        previous = {s: signal.signal(s, state.handle) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: leave signals alone
        yield state
        return
    try:
        yield state
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if state.pending is not None:
        raise KeyboardInterrupt if state.pending == signal.SIGINT else SystemExit(128 + state.pending)
