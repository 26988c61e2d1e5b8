"""Grafana dashboards (RED per service, USE per resource, an overview), their provisioning and ConfigMaps.

Layers: :mod:`queries` (PromQL from the model), :mod:`panels` (house-style panel
factories and the final JSON), one module per dashboard kind, and
:mod:`provisioning`.  ``generate`` is the pipeline's entry point.
"""

from __future__ import annotations

from typing import Any

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Text, Yaml
from obsgen.generate.dashboards import overview, provisioning, service, use
from obsgen.model import Catalog
from obsgen.render import to_json

__all__ = ["dashboard_texts", "dashboards", "generate", "take_dashboard_texts"]

#: The dashboard texts :func:`generate` made last, with their catalog: the ConfigMaps generator
#: (run right after it when both outputs are selected) takes them instead of building and
#: serialising every dashboard a second time, and empties the slot.
_handoff: tuple[Catalog, dict[str, str]] | None = None


def dashboards(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Every dashboard of ``catalog`` as Grafana JSON, keyed by its path (conventions)."""
    out: dict[str, dict[str, Any]] = {}
    for svc in catalog.services:
        out[C.service_dashboard_path(svc.name)] = service.dashboard(catalog, svc)
    for resource in catalog.resources:
        out[C.use_dashboard_path(resource.name)] = use.dashboard(resource)
    if catalog.services:
        out[C.overview_dashboard_path()] = overview.dashboard(catalog)
    return out


def generate(catalog: Catalog) -> dict[str, Artifact]:
    """dashboards/*.json and Grafana provisioning (ConfigMaps: :mod:`configmaps`)."""
    global _handoff
    texts = dashboard_texts(catalog)
    _handoff = (catalog, texts)
    out: dict[str, Artifact] = {path: Text(text, comment=None) for path, text in texts.items()}
    out[C.GRAFANA_DATASOURCES_FILE] = Yaml(provisioning.datasources(catalog))
    out[C.GRAFANA_DASHBOARD_PROVIDER_FILE] = Yaml(provisioning.dashboard_provider())
    return dict(sorted(out.items()))


def dashboard_texts(catalog: Catalog) -> dict[str, str]:
    """Every dashboard's JSON text (the file's bytes, decoded), keyed by its path."""
    return {path: to_json(board).decode("utf-8") for path, board in dashboards(catalog).items()}


def take_dashboard_texts(catalog: Catalog) -> dict[str, str]:
    """The texts :func:`generate` just made for ``catalog`` (and the slot emptied), else made anew."""
    global _handoff
    if _handoff is not None and _handoff[0] is catalog:
        texts = _handoff[1]
        _handoff = None
        return texts
    return dashboard_texts(catalog)
