"""``obsgen explain``: what each SLO alert means, before it wakes anyone.

Per SLO, one row per multiwindow condition: its burn rate, windows, the error ratio it needs,
the share of the error budget spent when it fires, and how long it takes to fire when 100 %,
10 % and 1 % of requests fail (after a clean long window; SRE workbook: window x threshold /
error ratio).  The numbers come from the same plan the rules are generated from.
"""

from __future__ import annotations

from obsgen import durations, policy
from obsgen.generate.alerting.plan import base_window, human, percent, slo_plans, slow_interval, window_name
from obsgen.generate.alerting.rules import targets_severity
from obsgen.generate.discovery import scrape
from obsgen.model import Catalog

#: Error ratios of the detection columns (the SRE workbook quotes 100 %, 10 %, 2 % and 1 %).
ERROR_RATIOS = (1.0, 0.1, 0.02, 0.01)

__all__ = ["explain"]


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
    for service in catalog.services:
        for p in slo_plans(catalog, service):
            slo = p.slo
            what = f" ({slo.description})" if slo.description else ""
            out.append(f"## {service.name} / {slo.name}: {slo.sli.kind}, objective {slo.objective_percent:g}%{what}")
            base = base_window(catalog)
            groups = f" per {', '.join(slo.sli.group_by)}" if slo.sli.group_by else ""
            out.append(f"an event is bad when {slo.sli.describe()}{groups}")
            out.append(f"  bad events/s:  {slo.sli.bad(base)}")
            out.append(f"  all events/s:  {slo.sli.total(base)}")
            out.append(f"error budget {percent(slo.error_budget)} of requests over {period} "
                       f"(a total outage spends it in {human(catalog.slo_period * slo.error_budget)})")
            if not p.pairs:
                out += ["no burn-rate alerts: alerting.page and alerting.ticket are both off", ""]
                continue
            header = ["severity", "burn rate", "long / short window", "fires above", "budget spent",
                      *(f"detect @{r * 100:g}%" for r in ERROR_RATIOS)]
            rows = []
            for pair in p.pairs:
                burn = f"{pair.effective_burn_rate:.3g}x" + (f" (capped, not {pair.burn_rate:g}x)" if pair.capped else "")
                detect = []
                for ratio in ERROR_RATIOS:
                    t = pair.time_to_detect(ratio)
                    detect.append(human(t) if t is not None else "never")
                rows.append([pair.severity, burn, f"{window_name(pair.long)} / {window_name(pair.short)}",
                             percent(pair.threshold), percent(pair.budget_consumed), *detect])
            out += _table(header, rows)
            first = [
                f"first {sev} at {r * 100:g}% errors: {human(t) if (t := p.time_to_detect(sev, r)) else 'never'}"
                for sev in p.severities for r in ERROR_RATIOS
            ]
            out += ["", "; ".join(first), ""]
        out += [f"{service.name}: {scrape(catalog, service).why}", ""]
        severity = targets_severity(service)
        if severity is not None and service.up_job is None:
            out += [f"{service.name}: no targets-down alerts: it has no scrape targets of its own that obsgen "
                    "can name (measured at an edge proxy, or a selector without job)", ""]
        elif severity is not None:
            wait = durations.format_prometheus(policy.targets_down_for(catalog.scrape_interval))
            out += [f"{service.name}: every target down, or the job gone from discovery: {severity} after {wait} "
                    f"({policy.TARGETS_DOWN_SCRAPES} scrapes)", ""]
    return "\n".join(out).rstrip("\n") + "\n"
