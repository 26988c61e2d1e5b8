"""Every PromQL query of a Grafana dashboard, with Grafana's variables substituted.

For tests that parse the queries (promtool) or run them against a real
Prometheus (the end-to-end suite)::

    for title, expr in panel_queries(json.loads(path.read_text())):
        ...

Substitutions mirror what Grafana sends for "All" selections over a short range.
A variable the table does not know raises, so a new variable cannot silently
reach Prometheus unsubstituted.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from obsgen.catalog import load_catalog
from obsgen.generate.artifacts import Artifact, Json, Text
from obsgen.generate.dashboards import generate
from obsgen.model import Catalog

#: Grafana variable -> what the tests send instead.
DEFAULT_SUBSTITUTIONS: Mapping[str, str] = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "instance": ".*",
}

#: ``$name``, ``${name}``, ``${name:format}``.  ``${1}`` (a label_replace group) is no Grafana
#: variable: Grafana leaves names it does not know as they are, and so does this.
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)(?::\w+)?\}|([A-Za-z_]\w*))")


def substitute(expr: str, substitutions: Mapping[str, str] = DEFAULT_SUBSTITUTIONS) -> str:
    """``expr`` with Grafana variables replaced; raises KeyError on an unknown variable."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in substitutions:
            raise KeyError(f"no substitution for Grafana variable ${name} in {expr!r}")
        return substitutions[name]

    return _VARIABLE.sub(replace, expr)


def panel_queries(
    dashboard: Mapping[str, Any], substitutions: Mapping[str, str] = DEFAULT_SUBSTITUTIONS
) -> list[tuple[str, str]]:
    """``(panel title, expr)`` for every Prometheus target of every panel, variables substituted.

    Annotation queries are included with the title ``annotation: <name>``; the
    ``$datasource`` variable only ever appears in datasource references, never in
    an expression, so it needs no substitution.
    """
    out: list[tuple[str, str]] = []
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            if "expr" in target:
                out.append((panel.get("title", ""), substitute(target["expr"], substitutions)))
    for annotation in dashboard.get("annotations", {}).get("list", []):
        if "expr" in annotation:
            out.append((f"annotation: {annotation['name']}", substitute(annotation["expr"], substitutions)))
    return out


# --- Catalogs the dashboard tests run on -------------------------------------------------

#: Catalog files the dashboard tests cover: the repository's own and varied test catalogs.
CASES: tuple[str, ...] = ("catalog.yaml", "dashboards-varied.yaml", "dashboards-minimal.yaml", "e2e.yaml")


@functools.cache
def case_catalog(case: str) -> Catalog:
    """The model of one of :data:`CASES` (``catalog.yaml`` is the repository's own)."""
    from tests.conftest import REPO, TEST_CATALOGS

    path = REPO / case if case == "catalog.yaml" else TEST_CATALOGS / case
    return load_catalog(path.read_bytes(), case)


@functools.cache
def case_artifacts(case: str) -> Mapping[str, Artifact]:
    """What the dashboards generators (JSON and provisioning, sidecar ConfigMaps) return for one of :data:`CASES`."""
    catalog = case_catalog(case)
    return generate(catalog)


def case_dashboards(case: str) -> dict[str, dict[str, Any]]:
    """Dashboards of one of :data:`CASES`, keyed by file path."""
    # The generator hands dashboards over as their JSON text (serialised once, shared with the ConfigMaps).
    return {
        path: art.data if isinstance(art, Json) else json.loads(art.text)
        for path, art in case_artifacts(case).items()
        if path.endswith(".json") and isinstance(art, Json | Text)
    }
