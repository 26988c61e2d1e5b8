"""Grafana dashboards (RED per service, USE per resource, an overview), their provisioning and ConfigMaps.

Layers: :mod:`queries` (PromQL from the model), :mod:`panels` (house-style panel
factories and the final JSON), one module per dashboard kind, and
:mod:`provisioning`.  ``generate`` is the pipeline's entry point.
"""

from __future__ import annotations

from typing import Any

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Json, Yaml
from obsgen.generate.dashboards import overview, provisioning, service, use
from obsgen.model import Catalog

__all__ = ["dashboards", "generate"]


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
    out: dict[str, Artifact] = {path: Json(board) for path, board in dashboards(catalog).items()}
    out[C.GRAFANA_DATASOURCES_FILE] = Yaml(provisioning.datasources(catalog))
    out[C.GRAFANA_DASHBOARD_PROVIDER_FILE] = Yaml(provisioning.dashboard_provider())
    return dict(sorted(out.items()))
