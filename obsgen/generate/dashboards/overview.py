"""The overview: every service's rate, error ratio, p99, SLO status and budget left, worst first.

Sorting happens in Grafana (table ``sortBy``, PromQL ``sort()``), because "worst"
is only known at query time.  Each service's queries carry a ``service`` label
(label_replace) so one query can return every service.
"""

from __future__ import annotations

import sys
from typing import Any

from obsgen import conventions as C
from obsgen import promql as Q
from obsgen.generate.dashboards import links as L
from obsgen.generate.dashboards import panels as P
from obsgen.generate.dashboards import queries as q
from obsgen.model import Catalog, Service
from obsgen.render import FiniteJson

BUDGET = "Budget left"
STATUS = "SLO status"
#: An open end of a range mapping.  Not null: Grafana's range mapping tests
#: ``!isNaN(from)``, and ``isNaN(null)`` is false (null counts as 0), so null
#: would close the range at 0 and "OK" could never show.
UNBOUNDED = sys.float_info.max
#: Budget left -> status text (the same colours as the service dashboards' budget stat).
STATUS_MAPPINGS: tuple[dict[str, Any], ...] = (
    {
        "type": "range",
        "options": {
            "from": -UNBOUNDED,
            "to": 0.0,
            "result": {"text": "Breached", "color": P.RED, "index": 0},
        },
    },
    {
        "type": "range",
        "options": {"from": 0.0, "to": 0.25, "result": {"text": "At risk", "color": P.ORANGE, "index": 1}},
    },
    {
        "type": "range",
        "options": {"from": 0.25, "to": UNBOUNDED, "result": {"text": "OK", "color": P.GREEN, "index": 2}},
    },
)
_RED_TEXT = "Rate, error ratio and p99 over the last rate interval"
_RED_SOME = ", for services with request metrics (not those whose SLOs are all ratios)."
BUDGET_STEPS = (P.Step(P.RED), P.Step(P.ORANGE, 0.0), P.Step(P.YELLOW, 0.25), P.Step(P.GREEN, 0.5))


def tags(catalog: Catalog) -> list[str]:
    teams = sorted({s.team for s in catalog.services})
    return [C.DASHBOARD_TAG, C.TAG_OVERVIEW, *(C.team_tag(t) for t in teams)]


def _per_service(services: list[Service], build: Any) -> str:
    return q.union([q.labelled(build(s), **{C.LABEL_SERVICE: s.name}) for s in services])


def _worst_budget(catalog: Catalog, service: Service) -> str:
    budgets = [
        q.labelled(q.budget_remaining(service, slo, catalog.slo_period), **{C.LABEL_SLO: slo.name})
        for slo in service.slos
    ]
    return f"min({q.union(budgets)})"


def _per_slo(catalog: Catalog, build: Any) -> str:
    return q.union(
        [
            q.labelled(build(s, slo), **{C.LABEL_SERVICE: s.name, C.LABEL_SLO: slo.name})
            for s in catalog.services
            for slo in s.slos
        ]
    )


def _service_link(catalog: Catalog) -> dict[str, Any]:
    direct = all(
        C.service_dashboard_uid(s.name) == C.service_dashboard_uid("") + s.name for s in catalog.services
    )
    url = (
        L.dashboard_url(C.service_dashboard_uid("") + "${__value.raw}")
        if direct
        else f"/dashboards?tag={C.TAG_RED}&query=${{__value.raw}}"
    )
    return {
        "matcher": {"id": "byName", "options": C.LABEL_SERVICE},
        "properties": [{"id": "links", "value": [{"title": "Service dashboard", "url": url}]}],
    }


def dashboard(catalog: Catalog) -> FiniteJson:
    """The overview of every service in ``catalog``."""
    if not catalog.services:
        raise ValueError("the overview needs at least one service")
    with_slos = [s for s in catalog.services if s.slos]
    # RED columns and panels query only services with request metrics (not those whose SLOs are all
    # ratios): a service without them is left out of those queries, never shown as an empty cell.
    # Every service keeps its row in the table through its SLO columns.
    with_red = [s for s in catalog.services if q.has_red(s)]
    period = catalog.slo_period
    n_services, n_slos = len(catalog.services), sum(len(s.slos) for s in catalog.services)
    service_columns: list[P.Column] = []
    if with_red:
        rate = _per_service(with_red, lambda s: q.request_rate(s, per_instance=False))
        errors = _per_service(with_red, lambda s: q.error_ratio(s, per_instance=False))
        p99 = _per_service(with_red, lambda s: q.latency_quantile(s, 0.99, per_instance=False))
        service_columns += [
            P.Column("Requests / s", P.Query(rate), "reqps"),
            P.Column("Error ratio", P.Query(errors), "percentunit"),
            P.Column("p99", P.Query(p99), "s"),
        ]
    if with_slos:
        worst = q.union(
            [q.labelled(_worst_budget(catalog, s), **{C.LABEL_SERVICE: s.name}) for s in with_slos]
        )
        service_columns += [
            P.Column(STATUS, P.Query(worst), "percentunit", BUDGET_STEPS, STATUS_MAPPINGS),
            P.Column(BUDGET, P.Query(worst), "percentunit", BUDGET_STEPS),
        ]
    services_table = P.table(
        "Services, worst first",
        service_columns,
        join_on=[C.LABEL_SERVICE],
        sort_by=BUDGET if with_slos else "Error ratio",
        descending=not with_slos,
        extra_overrides=[_service_link(catalog)],
        description="One row per service, sorted by the error budget left of its worst SLO "
        f"(over {Q.window(period).strip('[]')}). "
        + (_RED_TEXT + ("." if len(with_red) == n_services else _RED_SOME) + " " if with_red else "")
        + "Click a service for its dashboard.",
    )
    rows: list[P.Row] = [(max(6, 3 + n_services), [(24, services_table)])]
    if with_slos:
        slo_table = P.table(
            "SLOs, worst first",
            [
                P.Column(
                    "Objective",
                    P.Query(_per_slo(catalog, lambda s, slo: f"vector({slo.objective})")),
                    "percentunit",
                ),
                P.Column(
                    "SLI (time range)",
                    P.Query(_per_slo(catalog, lambda s, slo: q.sli(s, slo, q.RANGE))),
                    "percentunit",
                ),
                P.Column(
                    STATUS,
                    P.Query(_per_slo(catalog, lambda s, slo: q.budget_remaining(s, slo, period))),
                    "percentunit",
                    BUDGET_STEPS,
                    STATUS_MAPPINGS,
                ),
                P.Column(
                    BUDGET,
                    P.Query(_per_slo(catalog, lambda s, slo: q.budget_remaining(s, slo, period))),
                    "percentunit",
                    BUDGET_STEPS,
                ),
            ],
            join_on=[C.LABEL_SERVICE, C.LABEL_SLO],
            sort_by=BUDGET,
            extra_overrides=[_service_link(catalog)],
            description="One row per SLO, least error budget left first.",
        )
        budget_stat = P.stat(
            "Error budget left, worst first",
            [
                P.Query(
                    f"sort({_per_slo(catalog, lambda s, slo: q.budget_remaining(s, slo, period))})",
                    "{{service}} / {{slo}}",
                    instant=True,
                )
            ],
            unit="percentunit",
            decimals=1,
            thresholds=BUDGET_STEPS,
            no_value="no traffic",
            description="Share of each SLO's error budget left over the SLO period, lowest first.",
        )
        rows.append((max(6, 3 + n_slos), [(14, slo_table), (10, budget_stat)]))
    if with_red:
        rows.append(
            P.even(
                8,
                [
                    P.timeseries(
                        "Requests / s by service",
                        [P.Query(rate, "{{service}}")],
                        unit="reqps",
                        min_value=0,
                        legend_sort="Max",
                        description="Requests per second of each service.",
                    ),
                    P.timeseries(
                        "Error ratio by service",
                        [P.Query(errors, "{{service}}")],
                        unit="percentunit",
                        min_value=0,
                        legend_sort="Max",
                        description="Failed / all requests of each service.",
                    ),
                    P.timeseries(
                        "p99 latency by service",
                        [P.Query(p99, "{{service}}")],
                        unit="s",
                        min_value=0,
                        legend_sort="Max",
                        description="99th percentile request duration of each service.",
                    ),
                ],
            )
        )
    return P.dashboard_json(
        title="Services overview",
        uid=C.overview_dashboard_uid(),
        description="Every service's rate, errors, latency and SLOs, worst first.",
        tags=tags(catalog),
        panels=P.grid(rows),
        variables=[P.datasource_variable()],
        links=[
            P.dashboards_link("Services", [C.DASHBOARD_TAG, C.TAG_RED]),
            P.dashboards_link("Resources", [C.DASHBOARD_TAG, C.TAG_USE]),
        ],
    )
