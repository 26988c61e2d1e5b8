"""Grafana dashboards (RED per service, USE per resource, an overview), their provisioning and ConfigMaps.

Layers: :mod:`queries` (PromQL from the model), :mod:`panels` (house-style panel
factories and the final JSON), one module per dashboard kind, and
:mod:`provisioning`.  ``generate`` is the pipeline's entry point.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Text, Yaml
from obsgen.generate.dashboards import configmaps, overview, provisioning, service, use
from obsgen.model import Catalog
from obsgen.render import FiniteJson, finite_to_json

__all__ = ["dashboard_texts", "dashboards", "generate"]


def dashboards(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Every dashboard of ``catalog`` as Grafana JSON, keyed by its path (conventions)."""
    return dict(_dashboards(catalog))


def _dashboards(catalog: Catalog) -> Iterator[tuple[str, FiniteJson]]:
    """The dashboards one at a time (so a caller can serialise each and let it go).

    Each is checked finite as it is built (:func:`panels.dashboard_json`): written without a second walk.
    """
    for svc in catalog.services:
        yield C.service_dashboard_path(svc.name), service.dashboard(catalog, svc)
    for resource in catalog.resources:
        yield C.use_dashboard_path(resource.name), use.dashboard(resource)
    if catalog.services:
        yield C.overview_dashboard_path(), overview.dashboard(catalog)


def generate(catalog: Catalog) -> dict[str, Artifact]:
    """dashboards/*.json, Grafana provisioning and, with the kubernetes output, the ConfigMaps.

    The ConfigMaps carry the same texts: each dashboard is built and serialised once for both.
    """
    return dict(sorted(files(catalog), key=lambda item: item[0]))


def files(catalog: Catalog) -> Iterator[tuple[str, Artifact]]:
    """What :func:`generate` returns, one dashboard (and its ConfigMap) at a time (the pipeline streams it)."""
    configmap = catalog.wants("kubernetes")
    for path, board in _dashboards(catalog):
        text = finite_to_json(board).decode("utf-8")
        del board  # serialised as soon as it is built: the text is a fraction of the dict's memory
        yield path, Text(text, comment=None)
        if configmap:
            yield from configmaps.configmaps({path: text}).items()
    yield C.GRAFANA_DATASOURCES_FILE, Yaml(provisioning.datasources(catalog))
    yield C.GRAFANA_DASHBOARD_PROVIDER_FILE, Yaml(provisioning.dashboard_provider())


def dashboard_texts(catalog: Catalog) -> dict[str, str]:
    """Every dashboard's JSON text (the file's bytes, decoded), keyed by its path.

    Each dashboard is serialised as soon as it is built: the texts are a fraction of the dicts'
    memory (at 1,000 services the dicts of every dashboard at once cost some 200 MiB).
    """
    return {path: finite_to_json(board).decode("utf-8") for path, board in _dashboards(catalog)}
