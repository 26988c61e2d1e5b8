"""Prometheus rules per service: SLI recordings, multiwindow multi-burn-rate alerts, target alerts.

Per SLO (see docs/alerts.md for why each exists):

* two recordings read raw counters, over the base window only (``slo:sli_errors:rate1m``,
  ``slo:sli_requests:rate1m``), numerator and denominator aggregated separately;
* one error-ratio recording per alert window, derived from those with ``avg_over_time`` (the mean
  of evenly sampled rates over a window is the rate over that window), guarded so that no traffic
  gives no sample instead of NaN;
* one page and one ticket alert, each the OR of two (long AND short window) conditions.

Windows only tickets read live in a slower group.  Per service, two page alerts catch what burn
rates cannot see: every target down, and the job gone from service discovery; with ``group_by``, a
third: one group (a cluster) gone from service discovery while others remain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from obsgen import conventions as C
from obsgen import durations, policy
from obsgen import promql as Q
from obsgen.generate.alerting.documents import AlertingRule, RecordingRule, Rule, RuleFile, RuleGroup
from obsgen.generate.alerting.plan import (
    Pair,
    SloPlan,
    base_window,
    fast_windows,
    human,
    percent,
    slo_plans,
    slow_interval,
    slow_windows,
    window_name,
)
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.model import Catalog, Service


def generate(catalog: Catalog) -> dict[str, Artifact]:
    """``alerts/<service>.yaml`` for every service that has something to alert on."""
    out: dict[str, Artifact] = {}
    for service in catalog.services:
        groups = rule_groups(catalog, service)
        if groups:
            rule_file: RuleFile = {"groups": groups}
            out[C.alert_rules_path(service.name)] = Yaml(rule_file)
    return out


def rule_groups(catalog: Catalog, service: Service) -> list[RuleGroup]:
    """The rule groups of one service (also what the PrometheusRule resources carry)."""
    plans = slo_plans(catalog, service)
    fast: list[Rule] = []
    slow: list[Rule] = []
    for p in plans:
        fast += base_recordings(catalog, p)
    for p in plans:
        fast += [ratio_recording(catalog, p, w) for w in fast_windows(catalog)]
    for p in plans:
        slow += [ratio_recording(catalog, p, w) for w in slow_windows(catalog)]
    for p in plans:
        if p.severity_pairs(C.SEVERITY_PAGE):
            fast.append(burn_alert(catalog, p, C.SEVERITY_PAGE))
        if p.severity_pairs(C.SEVERITY_TICKET):
            slow.append(burn_alert(catalog, p, C.SEVERITY_TICKET))
    groups: list[RuleGroup] = []
    if fast:
        groups.append(_group(C.slo_rule_group(service.name, "fast"), catalog.evaluation_interval, fast))
    if slow:
        groups.append(_group(C.slo_rule_group(service.name, "slow"), slow_interval(catalog), slow))
    targets = target_alerts(catalog, service)
    if targets:
        groups.append(_group(C.targets_rule_group(service.name), catalog.evaluation_interval, targets))
    return groups


def _group(name: str, interval: timedelta, rules: Sequence[Rule]) -> RuleGroup:
    return {"name": name, "interval": durations.format_prometheus(interval), "rules": list(rules)}


# --- SLIs ------------------------------------------------------------------------------


def _slo_labels(p: SloPlan) -> dict[str, str]:
    return {C.LABEL_SERVICE: p.service.name, C.LABEL_SLO: p.slo.name, C.LABEL_TEAM: p.team}


def _slo_matchers(p: SloPlan) -> tuple[Q.Matcher, ...]:
    return Q.eq(C.LABEL_SERVICE, p.service.name), Q.eq(C.LABEL_SLO, p.slo.name)


def base_recordings(catalog: Catalog, p: SloPlan) -> list[RecordingRule]:
    """The only rules that read raw series: bad and all events over the base window."""
    window = base_window(catalog)
    errors, requests = p.slo.sli.bad(window), p.slo.sli.total(window)
    name = window_name(window)
    return [
        {"record": C.sli_errors_record(name), "expr": errors, "labels": _slo_labels(p)},
        {"record": C.sli_requests_record(name), "expr": requests, "labels": _slo_labels(p)},
    ]


def ratio_expr(catalog: Catalog, p: SloPlan, window: timedelta) -> str:
    base = window_name(base_window(catalog))
    errors = Q.selector(C.sli_errors_record(base), *_slo_matchers(p))
    requests = Q.selector(C.sli_requests_record(base), *_slo_matchers(p))
    # `> 0` drops windows without traffic: no sample instead of 0/0 = NaN.
    return f"avg_over_time({errors}{Q.window(window)})\n/\n(avg_over_time({requests}{Q.window(window)}) > 0)"


def ratio_recording(catalog: Catalog, p: SloPlan, window: timedelta) -> RecordingRule:
    return {
        "record": C.sli_error_ratio_record(window_name(window)),
        "expr": ratio_expr(catalog, p, window),
        "labels": _slo_labels(p),
    }


# --- Alerts ----------------------------------------------------------------------------


def _ratio(p: SloPlan, window: timedelta) -> str:
    return Q.selector(C.sli_error_ratio_record(window_name(window)), *_slo_matchers(p))


def burn_expr(p: SloPlan, severity: str) -> str:
    """OR of the severity's pairs; each fires when both windows burn faster than its rate.

    The value is the long window's burn rate (error ratio / error budget), for the description.
    """
    budget = Q.number(p.slo.error_budget)
    conditions = []
    for pair in p.severity_pairs(severity):
        rate = Q.number(pair.effective_burn_rate)
        conditions.append(
            f"(\n  {_ratio(p, pair.long)} / {budget} > {rate}\nand\n  {_ratio(p, pair.short)} / {budget} > {rate}\n)"
        )
    return "\nor\n".join(conditions)


def _pair_text(pair: Pair) -> str:
    capped = f", capped from {pair.burn_rate:g}x" if pair.capped else ""
    return (
        f"more than {percent(pair.threshold)} of them over both the last {window_name(pair.long)} and "
        f"{window_name(pair.short)} ({pair.effective_burn_rate:.3g}x{capped}; "
        f"{percent(pair.budget_consumed)} of the budget spent when it fires)"
    )


def literal(text: str) -> str:
    """Catalog text inside an annotation: Prometheus expands {{ }} as a Go template action."""
    return text.replace("{{", '{{ "{{" }}')


def _links(catalog: Catalog, service: Service) -> dict[str, str]:
    links = {"dashboard_url": literal(f"{catalog.grafana_url}/d/{C.service_dashboard_uid(service.name)}")}
    if service.runbook_url:
        links["runbook_url"] = literal(service.runbook_url)
    return links


def burn_alert(catalog: Catalog, p: SloPlan, severity: str) -> AlertingRule:
    pairs = p.severity_pairs(severity)
    period = window_name(catalog.slo_period)
    speed = "fast" if severity == C.SEVERITY_PAGE else "slowly"
    what = f" ({literal(p.slo.description)})" if p.slo.description else ""
    fastest = pairs[0]
    lasts = human(catalog.slo_period / fastest.effective_burn_rate)
    advice = (
        f"Act now: at {fastest.effective_burn_rate:.3g}x the whole {period} budget is gone in {lasts}."
        if severity == C.SEVERITY_PAGE
        else "Plan a fix: at this rate the budget will not last the period."
    )
    description = (
        f"{p.service.name} {p.slo.name} SLO{what}, objective {p.slo.objective_percent:g}% over {period}: "
        f"the error budget is burning {{{{ printf \"%.1f\" $value }}}}x as fast as the objective allows "
        f"(over the alert's long window). It fires when {literal(p.slo.sli.describe())}: "
        + " or ".join(_pair_text(pair) for pair in pairs)
        + f". {advice}"
    )
    return {
        "alert": C.ALERT_SLO_BURN,
        "expr": burn_expr(p, severity),
        "labels": {**_slo_labels(p), C.LABEL_SEVERITY: severity},
        "annotations": {
            "summary": f"{p.service.name} {p.slo.name} SLO is burning its error budget {speed}",
            "description": description,
            **_links(catalog, p.service),
        },
    }


#: How far back ServiceGroupGone remembers a group: a group scraped within this window and gone now
#: pages (after the targets-down wait).  A group gone for longer is taken as removed on purpose and the
#: alert resolves.  Long enough to outlast an incident (Alertmanager re-notifies every 4 h by
#: default), short enough that a cluster retired without a silence is not paged about for days; the
#: price is reading this window of ``up`` (one sample per scrape per target) each evaluation.
GROUP_GONE_WINDOW = timedelta(hours=6)


def group_gone_expr(service: Service, window: timedelta = GROUP_GONE_WINDOW) -> str | None:
    """Groups (values of group_by) seen in ``window`` and without a target now; None ungrouped.

    ``present_over_time`` over the window, not ``offset``: a group that appeared less than a window
    ago is remembered too.  At first deploy every group seen is also present, so nothing fires; a
    group that returns leaves the ``unless`` right hand side empty for it, so the alert resolves.
    """
    if not service.group_by or service.up_job is None:
        return None
    up = Q.selector(C.UP_METRIC, Q.eq(C.LABEL_JOB, service.up_job))
    by = Q.by(service.group_by)
    return f"group {by} (present_over_time({up}{Q.window(window)}))\nunless\ngroup {by} ({up})"


def targets_severity(service: Service) -> str | None:
    if service.alerting.page:
        return C.SEVERITY_PAGE
    if service.alerting.ticket:
        return C.SEVERITY_TICKET
    return None


def target_alerts(catalog: Catalog, service: Service) -> list[AlertingRule]:
    """What burn rates miss: with every target down or gone there is no error ratio at all."""
    severity = targets_severity(service)
    if severity is None or service.up_job is None:
        return []
    up = Q.selector(C.UP_METRIC, Q.eq(C.LABEL_JOB, service.up_job))
    # Per group (e.g. per cluster) when the targets carry the group labels; one group otherwise.
    down = f"max {Q.by(service.group_by)} ({up}) == 0" if service.group_by else f"max({up}) == 0"
    wait = durations.format_prometheus(policy.targets_down_for(catalog.scrape_interval))
    labels = {C.LABEL_SERVICE: service.name, C.LABEL_TEAM: service.team, C.LABEL_SEVERITY: severity}
    blind = "its SLO alerts cannot fire: there are no requests to count"
    gone = group_gone_expr(service)
    group_text = ", ".join(f'{label}="{{{{ index $labels {Q.quote(label)} }}}}"' for label in service.group_by)
    per_group: list[AlertingRule] = [] if gone is None else [
        {
            "alert": C.ALERT_GROUP_GONE,
            "expr": gone,
            "for": wait,
            "labels": labels,
            "annotations": {
                "summary": f"{service.name}: no scrape target left in {group_text}",
                "description": (
                    f"Job {literal(service.up_job)} had targets with {group_text} in the last "
                    f"{window_name(GROUP_GONE_WINDOW)} and has had none for {wait}: that group disappeared "
                    f"from service discovery (cluster lost, deleted, relabelled), and {blind} there. Resolves when the group is back, or once it has been gone for "
                    f"{window_name(GROUP_GONE_WINDOW)} (then it counts as removed on purpose)."
                ),
                **_links(catalog, service),
            },
        },
    ]
    return [
        {
            "alert": C.ALERT_TARGETS_DOWN,
            "expr": down,
            "for": wait,
            "labels": labels,
            "annotations": {
                "summary": f"{service.name}: every scrape target is down",
                "description": (
                    f"Prometheus has failed to scrape every target of job {literal(service.up_job)} for {wait} "
                    f"({policy.TARGETS_DOWN_SCRAPES} scrapes): clients most likely cannot reach "
                    f"{service.name} at all, and {blind}."
                ),
                **_links(catalog, service),
            },
        },
        {
            "alert": C.ALERT_SERVICE_ABSENT,
            "expr": f"absent({up})",
            "for": wait,
            "labels": labels,
            "annotations": {
                "summary": f"{service.name}: no scrape target at all",
                "description": (
                    f"Prometheus has had no target for job {literal(service.up_job)} for {wait}: the service "
                    f"disappeared from service discovery (deleted, scaled to zero, relabelled), and {blind}."
                ),
                **_links(catalog, service),
            },
        },
        *per_group,
    ]
