"""Catalog format obsgen/v1: loading, checking and normalising into the model."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from obsgen.catalog.build import load_catalog
from obsgen.catalog.loader import MAX_BYTES
from obsgen.catalog.spec import json_schema
from obsgen.errors import CatalogError, Problem
from obsgen.model import Catalog, Output

__all__ = ["json_schema", "load_catalog", "load_catalog_file"]


def load_catalog_file(path: str | Path, outputs: tuple[Output, ...] | None = None) -> Catalog:
    """Read and validate the catalog at ``path``; raise CatalogError on any problem.

    ``outputs`` replaces the catalog's ``outputs`` block (the ``--outputs`` flag).
    """
    return load_catalog(read_catalog_bytes(path), str(path), outputs)


def read_catalog_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file, refusing FIFOs, devices and directories before reading a byte.

    The size limit is enforced while reading (at most MAX_BYTES + 1 bytes are read), so a
    link to /dev/zero or a growing file cannot exhaust memory.
    """
    p = str(path)

    def problem(message: str) -> CatalogError:
        return CatalogError([Problem(p, 0, 0, "", message)])

    try:
        # O_NONBLOCK: opening a FIFO returns at once (the fstat below refuses it) instead of hanging.
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise problem("no such file; create one with `obsgen init`") from None
    except IsADirectoryError:
        raise problem("is a directory, not a catalog file") from None
    except OSError as exc:
        raise problem(f"cannot read: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise problem("is a directory, not a catalog file")
        if not stat.S_ISREG(mode):
            raise problem("is not a regular file (a FIFO, socket or device); point obsgen at a catalog file")
        chunks: list[bytes] = []
        left = MAX_BYTES + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise problem(f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise problem(f"file is larger than {MAX_BYTES // 2**20} MiB")
    return data
