"""Dashboards: every panel query of the generated dashboards returns data from the real stack.

The queries come out of the generated JSON through tests/dashboard_queries.py
(Grafana's variables substituted as Grafana sends them for "All" over a short
range) and run as instant queries against the stack's Prometheus, which scrapes
the demo under steady load and node_exporter, with the generated rules loaded.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import httpx
import pytest

from obsgen import conventions as C
from tests.dashboard_queries import panel_queries

from .conftest import Stack

pytestmark = pytest.mark.e2e

#: How long the queries may take to fill: the substituted rate window (1m) needs two scrapes,
#: the budget queries a few; this bounds the wait, a healthy run needs a fraction of it.
FILL_SECONDS = 90.0

#: Panels that may legitimately be empty on this stack, keyed by (dashboard file stem, panel
#: title), each with the reason.  Anything else without data fails the test.
EMPTY = "empty result"
MAY_BE_EMPTY: dict[tuple[str, str], str] = {
    ("demo", "Errors by route and code"): (
        "a breakdown of failed requests by route and code has no series until a request fails; "
        "empty under healthy load (it fills during test_alerts' outage)"
    ),
    ("demo", "annotation: Firing alerts"): "ALERTS of the service exist only while one of its alerts fires",
    ("use-nodes", "Memory: errors"): (
        "node_edac_* exist only where the kernel exposes an EDAC memory controller "
        "(/sys/devices/system/edac/mc); virtual machines and CI runners have none"
    ),
}


def dashboard_files(stack: Stack) -> list[str]:
    """The dashboards the issue names: the demo service's, the overview, and the node USE dashboard."""
    (service,) = stack.catalog.services
    nodes = [r for r in stack.catalog.resources if r.kind == "node"]
    return [
        C.service_dashboard_path(service.name),
        C.overview_dashboard_path(),
        *(C.use_dashboard_path(r.name) for r in nodes),
    ]


def run_query(stack: Stack, expr: str) -> tuple[bool, str]:
    """(has data, why not): data is at least one sample whose value is a number (not NaN)."""
    try:
        body = httpx.get(f"{stack.prometheus_url}/api/v1/query", params={"query": expr}, timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        return False, f"request failed: {exc!r}"
    if body.get("status") != "success":
        return False, f"error: {body.get('error')}"
    data: dict[str, Any] = body["data"]
    if data["resultType"] == "scalar":
        values = [data["result"][1]]
    else:
        values = [sample["value"][1] for sample in data["result"]]
    if not values:
        return False, EMPTY
    if all(math.isnan(float(v)) for v in values):
        return False, "only NaN"
    return True, ""


def test_every_panel_query_returns_data(stack: Stack) -> None:
    queries: list[tuple[str, str, str]] = []
    for path in dashboard_files(stack):
        file = stack.out / path
        assert file.exists(), f"obsgen generated no {path}"
        stem = file.stem
        found = panel_queries(json.loads(file.read_text()))
        assert found, f"{path} has no Prometheus query"
        queries += [(stem, title, expr) for title, expr in found]

    # Poll until every query that must have data has it (rate windows fill as scrapes arrive).
    deadline = time.monotonic() + FILL_SECONDS
    while True:
        empty = [
            (stem, title, expr, why)
            for stem, title, expr in queries
            for ok, why in [run_query(stack, expr)]
            if not ok
        ]
        # A query Prometheus rejects is a bug even on an allowed panel.
        unexpected = [e for e in empty if (e[0], e[1]) not in MAY_BE_EMPTY or e[3] != EMPTY]
        if not unexpected or time.monotonic() > deadline:
            break
        time.sleep(1.0)

    print(f"{len(queries)} panel queries, {len(empty)} without data:")
    for stem, title, _expr, why in empty:
        print(
            f"  {stem} / {title}: {why}"
            + (f" (allowed: {MAY_BE_EMPTY[stem, title]})" if (stem, title) in MAY_BE_EMPTY else "")
        )
    assert not unexpected, (
        f"{len(unexpected)} of {len(queries)} panel queries returned no data:\n"
        + "\n".join(f"- {stem} / {title}: {why}\n    {expr}" for stem, title, expr, why in unexpected)
    )
