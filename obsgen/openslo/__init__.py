"""OpenSLO v1 in and out: ``obsgen import openslo`` and ``obsgen export openslo``.

``load`` reads YAML safely, ``schema`` validates against the OpenSLO project's v1 JSON schema,
``read`` resolves documents into the OpenSLO model (``model``) and refuses what cannot be mapped,
``sli`` decides what each ratio SLI means, ``to_catalog`` writes the obsgen catalog and
``from_catalog`` writes OpenSLO documents from a catalog.  docs/openslo.md has the mapping.
"""

from __future__ import annotations

from collections.abc import Sequence

from obsgen.model import Catalog


def import_openslo(paths: Sequence[str]) -> tuple[str, list[str]]:
    """The catalog text for the OpenSLO files and directories in ``paths``, and what was not mapped."""
    from obsgen.openslo.read import read
    from obsgen.openslo.to_catalog import to_catalog

    bundle, notes = read(paths)
    notes = list(notes)
    return to_catalog(bundle, notes, paths), notes


def export_openslo(catalog: Catalog) -> str:
    """OpenSLO v1 documents (one YAML stream) describing the SLOs of ``catalog``."""
    from obsgen.openslo.from_catalog import from_catalog

    return from_catalog(catalog)


__all__ = ["export_openslo", "import_openslo"]
