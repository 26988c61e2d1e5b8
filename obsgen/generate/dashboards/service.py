"""One dashboard per service: RED (rate, errors, duration), then one row per SLO."""

from __future__ import annotations

from typing import Any

from obsgen import conventions as C
from obsgen import promql as Q
from obsgen.generate.dashboards import links as L
from obsgen.generate.dashboards import panels as P
from obsgen.generate.dashboards import queries as q
from obsgen.model import SLO, Catalog, Service
from obsgen.policy import alerting as policy
from obsgen.render import FiniteJson
from obsgen.sli.model import Availability, Latency

RATE_UNIT = "reqps"
RATIO_UNIT = "percentunit"
SECONDS = "s"


def tags(service: Service) -> list[str]:
    return [C.DASHBOARD_TAG, C.team_tag(service.team), C.TAG_RED, C.TAG_SLO]


def percent_decimals(slo: SLO) -> int:
    """Decimals that show the objective's precision and one more (99.9 -> 2)."""
    text = f"{slo.objective_percent:g}"
    return (len(text.split(".")[1]) if "." in text else 0) + 1


def dashboard(catalog: Catalog, service: Service) -> FiniteJson:
    """The RED and SLO dashboard of ``service``."""
    src = service.source
    error_lines = _lines(s.error_budget for s in service.slos if isinstance(s.sli, Availability))
    latency_lines = _lines(
        s.sli.threshold.total_seconds() for s in service.slos if isinstance(s.sli, Latency)
    )
    error_logs = [
        P.link("Error logs (Loki)", L.loki_explore(service.name, level="error")),
        P.link(
            "Error logs (Elasticsearch)",
            L.elasticsearch_explore(service.name, **{C.LOG_LEVEL_FIELD: "error"}),
        ),
    ]
    route = src.route_label
    status = src.status_label
    # Panels need labels and metrics the source has: those it lacks are left out, never left empty.
    summary = P.even(
        4,
        [
            P.stat(
                "Requests / s now",
                [P.Query(q.request_rate(service))],
                unit=RATE_UNIT,
                sparkline=True,
                description="Requests per second served by the selected instances (probes and /metrics excluded).",
            ),
            P.stat(
                "Error ratio now",
                [P.Query(q.error_ratio(service))],
                unit=RATIO_UNIT,
                decimals=2,
                sparkline=True,
                thresholds=[P.Step(P.RED, v) for v in error_lines],
                description=f"Share of requests answered with a {status} matching {src.error_codes!r}.",
            ),
            P.stat(
                "p99 latency now",
                [P.Query(q.latency_quantile(service, 0.99))],
                unit=SECONDS,
                sparkline=True,
                thresholds=[P.Step(P.RED, v) for v in latency_lines],
                description="99th percentile of request duration, from the histogram buckets.",
            ),
            *(
                [
                    P.stat(
                        "In flight now",
                        [P.Query(q.in_flight(service), "{{instance}}")],
                        unit="short",
                        sparkline=True,
                        description="Requests being served right now: saturation of the service.",
                    )
                ]
                if src.in_flight
                else []
            ),
        ],
    )
    rate_row = P.even(
        8,
        [
            *(
                [
                    P.timeseries(
                        "Requests by route",
                        [P.Query(q.request_rate(service, (route,)), f"{{{{{route}}}}}")],
                        unit=RATE_UNIT,
                        stacked=True,
                        min_value=0,
                        description="Requests per second by route template (bounded cardinality).",
                    )
                ]
                if route
                else []
            ),
            P.timeseries(
                "Requests by status class",
                [
                    P.Query(
                        q.request_rate_by_status_class(service),
                        f"{{{{{C.LABEL_CODE_CLASS if src.codes == 'http' else status}}}}}",
                    )
                ],
                unit=RATE_UNIT,
                stacked=True,
                min_value=0,
                description="Requests per second by status class (2xx, 3xx, 4xx, 5xx).",
            ),
        ],
    )
    error_by = (route, status) if route else (status,)
    error_row = P.even(
        8,
        [
            P.timeseries(
                "Error ratio",
                [P.Query(q.error_ratio(service), "error ratio")],
                unit=RATIO_UNIT,
                min_value=0,
                thresholds=[P.Step(P.RED, v) for v in error_lines],
                links=error_logs,
                description="Failed / all requests. Dashed lines: the error budget (1 - objective) "
                "of each availability SLO.",
            ),
            P.timeseries(
                "Errors by route and code" if route else "Errors by code",
                [
                    P.Query(
                        q.error_rate(service, error_by), " ".join(f"{{{{{label}}}}}" for label in error_by)
                    )
                ],
                unit=RATE_UNIT,
                stacked=True,
                min_value=0,
                links=error_logs,
                description="Failed requests per second. Panel links open this service's error logs.",
            ),
        ],
    )
    duration_row = P.even(
        8,
        [
            P.timeseries(
                "Latency quantiles",
                [
                    P.Query(q.latency_quantile(service, quantile), f"p{quantile * 100:g}")
                    for quantile in q.QUANTILES
                ],
                unit=SECONDS,
                min_value=0,
                thresholds=[P.Step(P.RED, v) for v in latency_lines],
                description="Request duration quantiles, interpolated within histogram buckets. "
                "Dashed lines: thresholds of the latency SLOs.",
            ),
            P.heatmap(
                "Latency distribution",
                P.Query(q.latency_heatmap(service), "{{le}}", format="heatmap"),
                unit="ms" if src.duration_unit == "milliseconds" else SECONDS,
                description="Requests per histogram bucket: modes and outliers the quantiles hide.",
            ),
        ],
    )
    detail_row = P.even(
        8,
        [
            *(
                [
                    P.timeseries(
                        "p99 latency by route",
                        [P.Query(q.latency_quantile(service, 0.99, (route,)), f"{{{{{route}}}}}")],
                        unit=SECONDS,
                        min_value=0,
                        thresholds=[P.Step(P.RED, v) for v in latency_lines],
                        description="Which route is slow.",
                    )
                ]
                if route
                else []
            ),
            *(
                [
                    P.timeseries(
                        "In flight by instance",
                        [P.Query(q.in_flight(service), "{{instance}}")],
                        unit="short",
                        min_value=0,
                        description="Concurrent requests per instance: queueing shows here before latency.",
                    )
                ]
                if src.in_flight
                else []
            ),
        ],
    )
    # A service whose SLOs are all ratio SLOs has no request metrics: SLO panels only.
    red = q.has_red(service)
    rows = [r for r in (summary, rate_row, error_row, duration_row, detail_row) if red and r[1]]
    rows.extend(_slo_row(catalog, service, slo) for slo in service.slos)

    dashboard_links = [
        *([P.link("Runbook", service.runbook_url, icon="doc")] if service.runbook_url else []),
        P.link(
            "Logs (Loki)",
            L.loki_explore(service.name),
            icon="info",
            tooltip=f"This service's log lines in Loki ({L.loki_selector(service.name)})",
        ),
        P.link(
            "Logs (Elasticsearch)",
            L.elasticsearch_explore(service.name),
            icon="info",
            tooltip=f"This service's log documents in Elasticsearch ({L.elasticsearch_query(service.name)})",
        ),
        P.link(
            "Overview",
            L.dashboard_url(C.overview_dashboard_uid()),
            icon="dashboard",
            keep_time=True,
            new_tab=False,
        ),
        P.dashboards_link(f"Team {service.team}", [C.DASHBOARD_TAG, C.team_tag(service.team)]),
    ]
    return P.dashboard_json(
        title=f"{service.name}: RED and SLOs",
        uid=C.service_dashboard_uid(service.name),
        description=service.description or f"Requests, errors, duration and SLOs of {service.name}",
        tags=tags(service),
        panels=P.grid(rows),
        variables=[
            P.datasource_variable(),
            P.instance_variable(
                Q.selector(C.UP_METRIC, Q.eq(C.LABEL_JOB, service.up_job))
                if service.up_job
                else q.requests(service, per_instance=False)
            ),
            *(
                P.label_variable(label, q.requests(service, per_instance=False))
                for label in q.group_variables(service)
            ),
        ],
        links=dashboard_links,
        annotations=[P.alerts_annotation("Firing alerts", q.firing_alerts(service))],
    )


def _lines(values: Any) -> list[float]:
    return sorted(set(values))


def _slo_row(catalog: Catalog, service: Service, slo: SLO) -> P.Row:
    period = catalog.slo_period
    period_text = Q.window(period).strip("[]")
    decimals = percent_decimals(slo)
    what = slo.description or slo.name
    objective = f"{slo.objective_percent:g}%"
    windows = policy.window_table(period, slo.alerting.windows)
    enabled = {C.SEVERITY_PAGE: slo.alerting.page, C.SEVERITY_TICKET: slo.alerting.ticket}
    seen: set[str] = set()
    burn_queries = []
    for w in windows:
        text = Q.window(w.long).strip("[]")
        if text in seen:
            continue
        seen.add(text)
        burn_queries.append(
            P.Query(
                q.burn_rate(service, slo, w.long), f"over {text} ({w.severity} at {Q.number(w.burn_rate)}x)"
            )
        )
    burn_colours = {C.SEVERITY_PAGE: P.RED, C.SEVERITY_TICKET: P.ORANGE}
    burn_steps = sorted(
        {w.burn_rate: burn_colours[w.severity] for w in windows if enabled[w.severity]}.items()
    )
    return (
        7,
        [
            (
                4,
                P.stat(
                    f"{slo.name}: SLI over the time range",
                    [P.Query(q.sli(service, slo, q.RANGE), instant=True)],
                    unit=RATIO_UNIT,
                    decimals=decimals,
                    thresholds=[P.Step(P.RED), P.Step(P.GREEN, slo.objective)],
                    no_value="no traffic",
                    description=f"{what}. Objective {objective} over {period_text}; green when the SLI "
                    "over the dashboard's time range meets it.",
                ),
            ),
            (
                8,
                P.timeseries(
                    f"{slo.name}: SLI vs objective ({objective})",
                    [P.Query(q.sli(service, slo, q.RATE_INTERVAL), "SLI")],
                    unit=RATIO_UNIT,
                    thresholds=[P.Step(P.TRANSPARENT), P.Step(P.RED, slo.objective)],
                    legend_calcs=("mean", "min", "lastNotNull"),
                    description=f"{what}. Dashed line: the objective, {objective}.",
                ),
            ),
            (
                4,
                P.stat(
                    f"{slo.name}: error budget left ({period_text})",
                    [P.Query(q.budget_remaining(service, slo, period), instant=True)],
                    unit=RATIO_UNIT,
                    decimals=1,
                    no_value="no traffic",
                    thresholds=[
                        P.Step(P.RED),
                        P.Step(P.ORANGE, 0.0),
                        P.Step(P.YELLOW, 0.25),
                        P.Step(P.GREEN, 0.5),
                    ],
                    description=f"Share of the {period_text} error budget ({Q.number(slo.error_budget * 100)}% "
                    "of requests) not yet spent. Reads the whole period of raw samples: an "
                    "instant query, evaluated once per refresh.",
                ),
            ),
            (
                8,
                P.timeseries(
                    f"{slo.name}: burn rate",
                    burn_queries,
                    unit="x",
                    min_value=0,
                    min_step="1m",
                    thresholds=[P.Step(P.TRANSPARENT), *(P.Step(c, v) for v, c in burn_steps)],
                    legend_calcs=("max", "lastNotNull"),
                    description="Error ratio / error budget over each alert's long window: 1 spends the "
                    "budget in exactly one SLO period. Dashed lines: burn rates at which "
                    "the multiwindow alerts fire (SRE workbook, table 5-8).",
                ),
            ),
        ],
    )
