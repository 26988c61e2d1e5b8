"""Catalog format obsgen/v1: loading, checking and normalising into the model."""

from __future__ import annotations

from pathlib import Path

from obsgen.catalog.build import load_catalog
from obsgen.catalog.spec import json_schema
from obsgen.errors import CatalogError, Problem
from obsgen.model import Catalog, Output

__all__ = ["json_schema", "load_catalog", "load_catalog_file"]


def load_catalog_file(path: str | Path, outputs: tuple[Output, ...] | None = None) -> Catalog:
    """Read and validate the catalog at ``path``; raise CatalogError on any problem.

    ``outputs`` replaces the catalog's ``outputs`` block (the ``--outputs`` flag).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise CatalogError([Problem(str(p), 0, 0, "", "no such file; create one with `obsgen init`")]) from None
    except IsADirectoryError:
        raise CatalogError([Problem(str(p), 0, 0, "", "is a directory, not a catalog file")]) from None
    except OSError as exc:
        raise CatalogError([Problem(str(p), 0, 0, "", f"cannot read: {exc.strerror}")]) from None
    return load_catalog(data, str(p), outputs)
