"""The only code that touches output files: compare, write all or nothing, prune what obsgen owns.

A plan is ``{relative path: bytes}``, or a stream of ``(relative path, bytes)`` pairs
consumed one file at a time: everything obsgen owns for this run.  obsgen
records what it wrote in a manifest (``.obsgen-manifest.json``) so it can delete files
it generated that are no longer planned — but only files it still recognises as its
own (``ownership``), inside the directories it generates into, reached without a
symlink (``tree``).  Changes are committed through a journal (``journal``) so a
killed run leaves the old tree or, after the next run, the new one; one run at a time
holds the output directory (``lock``).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from obsgen import conventions as C
from obsgen.errors import OutputError
from obsgen.render import to_json
from obsgen.writer import journal, ownership
from obsgen.writer.lock import lock
from obsgen.writer.tree import Tree, parts_of

__all__ = [
    "Drift",
    "Files",
    "Plan",
    "diff",
    "manifest",
    "owned_files",
    "with_manifest",
    "write",
    "write_file",
]

Plan = Mapping[str, bytes]
#: A plan as a stream: each file's bytes once, as a generator produces them (``obsgen.generate.stream``).
Files = Iterable[tuple[str, bytes]]

#: Names obsgen keeps for itself in the output directory; no plan may use them.
_RESERVED = {journal.JOURNAL_FILE, journal.STAGING_DIR}


@dataclass
class Drift:
    """How the files on disk differ from a plan."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    #: Files in obsgen's directories that look generated but neither the plan nor the manifest explains:
    #: ``generate`` prunes those carrying the generated-by header and keeps (and names) JSON ones.
    orphaned: list[str] = field(default_factory=list)
    #: Orphaned files ``generate`` kept because only a header proves a file is obsgen's.
    kept: list[str] = field(default_factory=list)
    #: An interrupted run left a journal that the next ``generate`` finishes.
    interrupted: bool = False

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.stale or self.orphaned or self.interrupted)

    @property
    def removed(self) -> list[str]:
        return sorted(set(self.stale + self.orphaned) - set(self.kept))

    def summary(self) -> str:
        lines: list[str] = []
        if self.interrupted:
            lines.append(f"interrupted: a previous generate did not finish ({journal.JOURNAL_FILE})")
        for label, paths in (
            ("differs", self.changed),
            ("missing", self.missing),
            ("stale", self.stale),
            ("orphaned", self.orphaned),
        ):
            lines.extend(f"{label}: {p}" for p in paths)
        return "\n".join(lines)


class Manifest(TypedDict):
    """``.obsgen-manifest.json``: every file the run wrote (read back by :func:`owned_files`)."""

    generated_by: str
    files: list[str]


def with_manifest(plan: Plan) -> dict[str, bytes]:
    """The plan plus the manifest that lists every file in it."""
    _check_paths(plan)
    full = dict(plan)
    full[C.MANIFEST_FILE] = manifest(plan)
    return full


def manifest(paths: Iterable[str]) -> bytes:
    """The manifest's bytes for a run that writes ``paths``."""
    doc: Manifest = {"generated_by": "obsgen", "files": sorted(paths)}
    return to_json(doc)


def owned_files(out: Path) -> list[str]:
    """Files the previous run wrote, from its manifest (empty when there is none)."""
    if not out.is_dir():
        return []
    with Tree(out, create=False) as tree:
        return _owned(tree)


def _owned(tree: Tree) -> list[str]:
    data = tree.read(C.MANIFEST_FILE, ownership.MAX_RECOGNISED_BYTES)
    if data is None:
        if tree.lstat(C.MANIFEST_FILE) is not None:
            raise OutputError(
                f"{tree.root / C.MANIFEST_FILE}: not a regular file; remove it and run "
                "`obsgen generate` again"
            )
        return []
    try:
        files = json.loads(data)["files"]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise OutputError(
            f"{tree.root / C.MANIFEST_FILE}: not a manifest obsgen wrote; delete it and run `obsgen generate` again"
        ) from None
    safe = []
    for f in files:
        try:
            parts_of(f)
        except OutputError:
            continue  # a tampered manifest must not make us delete outside the output directory
        safe.append(f)
    return safe


def diff(out: Path, plan: Plan | Files) -> Drift:
    """Compare the files under ``out`` with ``plan`` (manifest included); read only.

    ``plan`` may be a stream of ``(path, bytes)``: each file is compared as it arrives and let go.
    """
    files = _files(plan)
    if not out.is_dir():
        seen: set[str] = set()
        for rel, _ in files:
            _check_path(rel, seen)
        return Drift(missing=sorted([*seen, C.MANIFEST_FILE]))
    with Tree(out, create=False) as tree:
        lock(tree.fd, out, exclusive=False)
        drift = Drift()
        seen = set()
        for rel, content in files:
            _check_path(rel, seen)
            _compare(tree, rel, content, drift)
        _compare(tree, C.MANIFEST_FILE, manifest(seen), drift)
        _unexplained(tree, seen, drift)
        drift.interrupted = journal.pending(tree)
        return drift


def _compare(tree: Tree, rel: str, content: bytes, drift: Drift) -> bool:
    """Record in ``drift`` whether ``rel`` on disk is missing or differs from ``content``; True if so."""
    st = tree.lstat(rel)
    if st is None:
        drift.missing.append(rel)
    elif not stat.S_ISREG(st.st_mode) or tree.read(rel, len(content) + 1) != content:
        drift.changed.append(rel)
    else:
        return False
    return True


def _unexplained(tree: Tree, planned: set[str], drift: Drift) -> None:
    """Sort what was compared; add stale files (the manifest's, no longer planned) and orphans."""
    drift.changed.sort()
    drift.missing.sort()
    owned = _owned(tree)
    full = planned | {C.MANIFEST_FILE}
    roots = ownership.output_roots(full)
    for rel in owned:
        if rel not in full and ownership.prunable_path(rel, roots) and journal.safe_to_delete(tree, rel):
            drift.stale.append(rel)
    explained = full | set(owned)
    for root in sorted(roots):
        if root in _RESERVED:
            continue
        for rel in tree.walk_files((root,)):
            if rel in explained or os.path.basename(rel).startswith(journal.LEGACY_TMP_PREFIX):
                continue
            head = tree.read(rel, 4096)
            if head is None:
                continue
            if ownership.has_header(head):
                drift.orphaned.append(rel)
            elif rel.endswith(".json") and journal.safe_to_delete(tree, rel):
                drift.orphaned.append(rel)
                drift.kept.append(rel)


def write(out: Path, plan: Plan | Files, *, force: bool = False) -> Drift:
    """Make ``out`` match ``plan``: every file or none, then prune what obsgen owned and no longer plans.

    ``plan`` may be a stream of ``(path, bytes)``: each file is compared as it arrives, staged
    when it differs, and let go; only paths are kept.  An error from the stream (or anything
    else before the commit) removes what was staged: the tree is as it was.

    Refuses (OutputError, nothing changed) to overwrite a file that exists, differs,
    and is not listed in the previous manifest, unless ``force``; refuses always to
    write through a symlink or over a directory or special file.
    """
    existed = out.is_dir()
    try:
        with Tree(out, create=True) as tree:
            lock(tree.fd, out, exclusive=True)
            journal.recover(tree)
            return _write(tree, out, _files(plan), force)
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                out.rmdir()  # created for this run and still empty
        raise


def _write(tree: Tree, out: Path, files: Files, force: bool) -> Drift:
    owned = set(_owned(tree))
    drift = Drift()
    seen: set[str] = set()
    foreign: list[str] = []
    with journal.staging(tree) as staged:

        def stage(rel: str, content: bytes) -> None:
            if not _compare(tree, rel, content, drift):
                return
            st = tree.lstat(rel)
            if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                raise OutputError(
                    f"{out / rel}: is a directory or special file where obsgen writes a file; "
                    "move it away; nothing was changed"
                )
            if st is not None and rel not in owned and rel != C.MANIFEST_FILE:
                foreign.append(rel)
            try:
                staged.add(rel, content)
            except OSError as exc:
                raise OutputError(f"cannot write {out}: {exc.strerror or exc}; nothing was changed") from None

        for rel, content in files:
            _check_path(rel, seen)
            stage(rel, content)
        stage(C.MANIFEST_FILE, manifest(seen))
        _unexplained(tree, seen, drift)
        if foreign and not force:
            foreign.sort()
            raise OutputError(
                "refusing to overwrite files obsgen did not write: "
                + ", ".join(foreign[:5])
                + (" ..." if len(foreign) > 5 else "")
                + "; move them away or pass --force"
            )
        journal.remove_legacy_temp_files(tree, [*seen, C.MANIFEST_FILE, *owned])
        if len(staged) or drift.removed:
            try:
                staged.commit(drift.removed)
            except OSError as exc:
                if not staged.committed:
                    raise OutputError(
                        f"cannot write {out}: {exc.strerror or exc}; nothing was changed"
                    ) from None
                raise
    return drift


def write_file(path: Path, content: bytes) -> None:
    """Write one file atomically (temp file, fsync, rename); never over a link, directory or device."""
    parent = path.parent
    name = path.name
    dir_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise OutputError(
                f"{path}: is not a regular file (a directory, link or device); "
                "obsgen only replaces regular files"
            )
        tmp = f".obsgen-tmp-{os.getpid()}-{name}"
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dir_fd
        )
        try:
            try:
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            os.unlink(tmp, dir_fd=dir_fd)
            raise
        os.fsync(dir_fd)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.close(dir_fd)


def _files(plan: Plan | Files) -> Files:
    return plan.items() if isinstance(plan, Mapping) else plan


def _check_paths(plan: Plan) -> None:
    seen: set[str] = set()
    for rel in plan:
        _check_path(rel, seen)


def _check_path(rel: str, seen: set[str]) -> None:
    """Refuse a path outside the tree, one of obsgen's own names, or one planned twice; remember it."""
    parts = parts_of(rel)
    if parts[0] in _RESERVED or rel == C.MANIFEST_FILE:
        raise OutputError(f"refusing to write {rel!r}: obsgen keeps that name for itself")
    if rel in seen:
        raise RuntimeError(f"{rel} is planned twice")
    seen.add(rel)
