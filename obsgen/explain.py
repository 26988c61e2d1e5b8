"""``obsgen explain``: what each SLO alert means, before it wakes anyone.

Per SLO, one row per multiwindow condition: its burn rate, windows, the error ratio it needs,
the share of the error budget spent when it fires, and how long it takes to fire when 100 %,
10 % and 1 % of requests fail (after a clean long window; SRE workbook: window x threshold /
error ratio).  The numbers come from the same plan the rules are generated from.

Then the low-traffic guard (how long a total outage takes to alert at 10 requests an hour), the
budget-exhausted ticket, and the cost of the rules before they are deployed: recording and alert
rules, the series they produce (times ``group_by_cardinality``), the samples they read per
evaluation, and what a Sloth-style rule set would read (``obsgen.generate.alerting.cost``).
``explain_json`` returns the same as data (``obsgen explain --format json``; schema:
``obsgen/explain.schema.json``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from obsgen import durations
from obsgen.generate.alerting.cost import ZERO, Cost, SloCost, rule_count, slo_costs
from obsgen.generate.alerting.plan import (
    SloPlan,
    base_window,
    budget_interval,
    human,
    percent,
    slo_plans,
    slow_interval,
    window_name,
)
from obsgen.generate.alerting.rules import targets_severity
from obsgen.generate.discovery import scrape
from obsgen.model import Catalog
from obsgen.policy import alerting as policy

#: Error ratios of the detection columns (the SRE workbook quotes 100 %, 10 %, 2 % and 1 %).
ERROR_RATIOS = (1.0, 0.1, 0.02, 0.01)
#: The low-traffic example: 10 requests an hour.
LOW_TRAFFIC_RPS = 10 / 3600

__all__ = ["explain", "explain_json"]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)]


def explain(catalog: Catalog) -> str:
    """A plain-text report of every SLO's alerts (Markdown tables)."""
    period = window_name(catalog.slo_period)
    out = [
        f"SLO period {period}; rates recorded over {window_name(base_window(catalog))} every "
        f"{durations.format_prometheus(catalog.evaluation_interval)}; ticket windows evaluated every "
        f"{durations.format_prometheus(slow_interval(catalog))}.",
        "Time to detect assumes a clean long window before the errors start; add up to one "
        "evaluation interval (and the slow interval for tickets).",
        "",
    ]
    total, sloth_total = ZERO, ZERO
    for service in catalog.services:
        costs = {c.slo: c for c in slo_costs(catalog, service)}
        for c in costs.values():
            total, sloth_total = total + c.obsgen, sloth_total + c.sloth
        for p in slo_plans(catalog, service):
            slo = p.slo
            what = f" ({slo.description})" if slo.description else ""
            out.append(
                f"## {service.name} / {slo.name}: {slo.sli.kind}, objective {slo.objective_percent:g}%{what}"
            )
            base = base_window(catalog)
            groups = f" per {', '.join(slo.sli.group_by)}" if slo.sli.group_by else ""
            out.append(f"an event is bad when {slo.sli.describe()}{groups}")
            out.append(f"  bad events/s:  {slo.sli.bad(base)}")
            out.append(f"  all events/s:  {slo.sli.total(base)}")
            out.append(
                f"error budget {percent(slo.error_budget)} of requests over {period} "
                f"(a total outage spends it in {human(catalog.slo_period * slo.error_budget)})"
            )
            if not p.pairs:
                out += ["no burn-rate alerts: alerting.page and alerting.ticket are both off"]
                out += [*_cost_lines(costs[slo.name]), ""]
                continue
            header = [
                "severity",
                "burn rate",
                "long / short window",
                "fires above",
                "budget spent",
                *(f"detect @{r * 100:g}%" for r in ERROR_RATIOS),
            ]
            rows = []
            for pair in p.pairs:
                burn = f"{pair.effective_burn_rate:.3g}x" + (
                    f" (capped, not {pair.burn_rate:g}x)" if pair.capped else ""
                )
                detect = []
                for ratio in ERROR_RATIOS:
                    t = pair.time_to_detect(ratio)
                    detect.append(human(t) if t is not None else "never")
                rows.append(
                    [
                        pair.severity,
                        burn,
                        f"{window_name(pair.long)} / {window_name(pair.short)}",
                        percent(pair.threshold),
                        percent(pair.budget_consumed),
                        *detect,
                    ]
                )
            out += _table(header, rows)
            first = [
                f"first {sev} at {r * 100:g}% errors: {human(t) if (t := p.time_to_detect(sev, r)) else 'never'}"
                for sev in p.severities
                for r in ERROR_RATIOS
            ]
            out += [
                "",
                "; ".join(first),
                *_guard_lines(p),
                *_budget_lines(catalog, p),
                *_cost_lines(costs[slo.name]),
                "",
            ]
        out += [f"{service.name}: {scrape(catalog, service).why}", ""]
        severity = targets_severity(service)
        if severity is not None and service.up_job is None:
            out += [
                f"{service.name}: no targets-down alerts: it has no scrape targets of its own that obsgen "
                "can name (measured at an edge proxy, or a selector without job)",
                "",
            ]
        elif severity is not None:
            wait = durations.format_prometheus(policy.targets_down_for(catalog.scrape_interval))
            out += [
                f"{service.name}: every target down, or the job gone from discovery: {severity} after {wait} "
                f"({policy.TARGETS_DOWN_SCRAPES} scrapes)",
                "",
            ]
    out += ["## Total", *_cost_lines_total(total, sloth_total, catalog)]
    return "\n".join(out).rstrip("\n") + "\n"


def _low_traffic_detection(p: SloPlan) -> tuple[str, timedelta | None] | None:
    if not p.severities:
        return None
    severity = p.severities[0]
    return severity, p.time_to_detect(severity, 1.0, LOW_TRAFFIC_RPS)


def _guard_lines(p: SloPlan) -> list[str]:
    if p.min_failures <= 0:
        return [
            "low-traffic guard: off (min_failures: 0): at 10 requests/hour one failed request is a "
            f"{1 / (LOW_TRAFFIC_RPS * 3600 * p.slo.error_budget):.3g}x burn over an hour and can alert"
        ]
    low = _low_traffic_detection(p)
    detail = ""
    if low is not None:
        severity, t = low
        detail = (
            f"; a total outage at 10 requests/hour: first {severity} after {human(t)}"
            if t
            else f"; a total outage at 10 requests/hour never raises a {severity} (no long window of it holds "
            f"{p.min_failures} requests at that traffic)"
        )
    return [
        f"low-traffic guard: alerts need at least {p.min_failures} failed requests in the long window{detail}"
    ]


def _budget_lines(catalog: Catalog, p: SloPlan) -> list[str]:
    if not p.budget_alert:
        return []
    return [
        f"budget exhausted: ticket when failed / all requests over {window_name(catalog.slo_period)} exceed "
        f"{percent(p.slo.error_budget)} (evaluated every {durations.format_prometheus(budget_interval(catalog))}; "
        "muted by Alertmanager while the SLO pages)"
    ]


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _cost_lines(c: SloCost) -> list[str]:
    o, s = c.obsgen, c.sloth
    groups = f" ({c.groups} groups)" if c.groups > 1 else ""
    if c.grouped and c.groups == 1:
        groups = " per group (set group_by_cardinality for a total)"
    return [
        f"cost: {rule_count(o.recording_rules)} recording + {rule_count(o.alert_rules)} alert rules, {_n(o.series)} series{groups}; per "
        f"evaluation {_n(o.raw_samples)} raw samples per matched series + {_n(o.recorded_samples)} recorded samples",
        f"Sloth-style: {s.recording_rules} recording + {s.alert_rules} alert rules, {_n(s.series)} series; per "
        f"evaluation {_n(s.raw_samples)} raw samples per matched series "
        f"({s.raw_samples / o.raw_samples if o.raw_samples else 0:,.0f}x)",
    ]


def _cost_lines_total(total: Cost, sloth: Cost, catalog: Catalog) -> list[str]:
    step = durations.format_prometheus(catalog.evaluation_interval)
    return [
        f"obsgen: {rule_count(total.rules)} SLO rules ({rule_count(total.recording_rules)} recording, "
        f"{rule_count(total.alert_rules)} alert), "
        f"{_n(total.series)} series; per {step} evaluation {_n(total.raw_samples)} raw samples per matched series "
        f"+ {_n(total.recorded_samples)} recorded samples",
        f"Sloth-style: {sloth.rules} rules, {_n(sloth.series)} series; per {step} evaluation "
        f"{_n(sloth.raw_samples)} raw samples per matched series",
        "Raw samples scale with the series each selector matches (instances x routes x codes, x buckets for "
        "latency); slower groups are amortised to the evaluation interval.",
    ]


def _seconds(t: timedelta | None) -> float | None:
    return None if t is None else t.total_seconds()


def explain_json(catalog: Catalog) -> dict[str, Any]:
    """What ``explain`` prints, as data (schema: obsgen/explain.schema.json)."""
    slos: list[dict[str, Any]] = []
    total, sloth_total = ZERO, ZERO
    services = []
    for service in catalog.services:
        costs = {c.slo: c for c in slo_costs(catalog, service)}
        for p in slo_plans(catalog, service):
            c = costs[p.slo.name]
            total, sloth_total = total + c.obsgen, sloth_total + c.sloth
            low = _low_traffic_detection(p)
            slos.append(
                {
                    "service": service.name,
                    "slo": p.slo.name,
                    "kind": p.slo.kind,
                    "objective_percent": p.slo.objective_percent,
                    "error_budget": p.slo.error_budget,
                    "min_failures": p.min_failures,
                    "pairs": [
                        {
                            "severity": pair.severity,
                            "burn_rate": pair.burn_rate,
                            "effective_burn_rate": pair.effective_burn_rate,
                            "capped": pair.capped,
                            "long_seconds": pair.long.total_seconds(),
                            "short_seconds": pair.short.total_seconds(),
                            "error_ratio_threshold": pair.threshold,
                            "budget_consumed": pair.budget_consumed,
                            "detect_seconds": {
                                f"{r:g}": _seconds(pair.time_to_detect(r)) for r in ERROR_RATIOS
                            },
                        }
                        for pair in p.pairs
                    ],
                    "first_alert_seconds": {
                        sev: {f"{r:g}": _seconds(p.time_to_detect(sev, r)) for r in ERROR_RATIOS}
                        for sev in p.severities
                    },
                    "low_traffic_outage": None
                    if low is None
                    else {
                        "requests_per_hour": LOW_TRAFFIC_RPS * 3600,
                        "severity": low[0],
                        "seconds": _seconds(low[1]),
                    },
                    "budget_alert": p.budget_alert,
                    "cost": {
                        "groups": c.groups,
                        "grouped": c.grouped,
                        "obsgen": c.obsgen.as_json(),
                        "sloth_style": c.sloth.as_json(),
                    },
                }
            )
        severity = targets_severity(service)
        services.append({"service": service.name, "targets_alert_severity": severity})
    return {
        "slo_period_seconds": catalog.slo_period.total_seconds(),
        "scrape_interval_seconds": catalog.scrape_interval.total_seconds(),
        "evaluation_interval_seconds": catalog.evaluation_interval.total_seconds(),
        "base_window_seconds": base_window(catalog).total_seconds(),
        "slos": slos,
        "services": services,
        "total": {"obsgen": total.as_json(), "sloth_style": sloth_total.as_json()},
    }
