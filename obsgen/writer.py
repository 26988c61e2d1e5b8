"""The only code that touches output files: compare, write atomically, prune.

A plan is ``{relative path: bytes}``.  obsgen records what it wrote in a manifest
(``.obsgen-manifest.json``) so it can delete files it generated for services that
have since been removed, while never touching files it does not own.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from obsgen import conventions as C
from obsgen.errors import OutputError
from obsgen.render import to_json

Plan = Mapping[str, bytes]


@dataclass
class Drift:
    """How the files on disk differ from a plan."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.stale)

    def summary(self) -> str:
        lines: list[str] = []
        for label, paths in (("differs", self.changed), ("missing", self.missing), ("stale", self.stale)):
            lines.extend(f"{label}: {p}" for p in paths)
        return "\n".join(lines)


def with_manifest(plan: Plan) -> dict[str, bytes]:
    """The plan plus the manifest that lists every file in it."""
    _check_paths(plan)
    full = dict(plan)
    full[C.MANIFEST_FILE] = to_json({"generated_by": "obsgen", "files": sorted(plan)})
    return full


def owned_files(out: Path) -> list[str]:
    """Files the previous run wrote, from its manifest (empty when there is none)."""
    try:
        data = json.loads((out / C.MANIFEST_FILE).read_text("utf-8"))
        files = data["files"]
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ValueError
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise OutputError(
            f"{out / C.MANIFEST_FILE}: not a manifest obsgen wrote; delete it and run `obsgen generate` again"
        ) from None
    safe = []
    for f in files:
        try:
            _check_paths({f: b""})
        except OutputError:
            continue  # a tampered manifest must not make us delete outside the output directory
        safe.append(f)
    return safe


def diff(out: Path, plan: Plan) -> Drift:
    """Compare the files under ``out`` with ``plan`` (manifest included)."""
    full = with_manifest(plan)
    drift = Drift()
    for rel, content in sorted(full.items()):
        target = out / rel
        try:
            if target.read_bytes() != content:
                drift.changed.append(rel)
        except FileNotFoundError:
            drift.missing.append(rel)
        except (IsADirectoryError, NotADirectoryError):
            drift.changed.append(rel)
    for rel in owned_files(out):
        if rel not in full and (out / rel).exists():
            drift.stale.append(rel)
    return drift


def write(out: Path, plan: Plan, *, force: bool = False) -> Drift:
    """Make ``out`` match ``plan``: all files or none, then prune what we owned and no longer generate.

    Refuses (OutputError, nothing changed) to overwrite a file that exists, differs,
    and is not listed in the previous manifest, unless ``force``.
    """
    full = with_manifest(plan)
    drift = diff(out, plan)
    owned = set(owned_files(out))
    foreign = [rel for rel in drift.changed if rel not in owned and rel != C.MANIFEST_FILE]
    if foreign and not force:
        raise OutputError(
            "refusing to overwrite files obsgen did not write: "
            + ", ".join(foreign[:5])
            + (" ..." if len(foreign) > 5 else "")
            + "; move them away or pass --force"
        )
    to_write = sorted(set(drift.changed) | set(drift.missing))
    _commit(out, {rel: full[rel] for rel in to_write})
    for rel in drift.stale:
        _remove(out, rel)
    return drift


def write_file(path: Path, content: bytes) -> None:
    """Write one file atomically (temp file + rename)."""
    _commit(path.parent, {path.name: content})


def _commit(out: Path, files: Mapping[str, bytes]) -> None:
    """Stage every file next to its target, then rename them all; roll back on failure."""
    staged: list[tuple[Path, Path]] = []
    try:
        for rel, content in files.items():
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".obsgen-tmp-", dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp_name, 0o644)
            staged.append((Path(tmp_name), target))
    except OSError as exc:
        for staged_tmp, _ in staged:
            staged_tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}; nothing was changed") from None
    previous: list[tuple[Path, bytes | None]] = []
    try:
        for tmp, target in staged:
            try:
                old: bytes | None = target.read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                old = None
            os.replace(tmp, target)
            previous.append((target, old))
    except OSError as exc:
        for target, old in reversed(previous):
            if old is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(old)
        for staged_tmp, _ in staged:
            staged_tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}; changes were rolled back") from None


def _remove(out: Path, rel: str) -> None:
    target = out / rel
    target.unlink(missing_ok=True)
    parent = target.parent
    while parent != out and parent.is_relative_to(out):
        try:
            parent.rmdir()  # only succeeds when empty
        except OSError:
            break
        parent = parent.parent


def _check_paths(plan: Plan) -> None:
    for rel in plan:
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or not p.parts or rel != str(p):
            raise OutputError(f"refusing to write outside the output directory: {rel!r}")
