"""Prometheus rules per service: SLI recordings, multiwindow multi-burn-rate alerts, target alerts.

Per SLO (see docs/alerts.md for why each exists):

* two recordings read raw counters, over the base window only (``slo:sli_errors:rate1m``,
  ``slo:sli_requests:rate1m``), numerator and denominator aggregated separately;
* one error-ratio recording per window the page alert reads, derived from those with
  ``avg_over_time`` (the mean of evenly sampled rates over a window is the rate over that window),
  guarded so that no traffic gives no sample instead of NaN;
* one page and one ticket alert, each the OR of (long AND short window AND enough failed events
  in the long window: the low-traffic guard) conditions; windows only the ticket reads are
  computed inside it, in a slower group;
* one budget-exhausted ticket over the whole SLO period, from summed events, in the slowest group.

Per service, two page alerts catch what burn rates cannot see: every target down, and the job gone
from service discovery; with ``group_by``, a third: one group (a cluster) gone from service
discovery while others remain.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from obsgen import conventions as C
from obsgen import promql as Q
from obsgen import render
from obsgen.generate.alerting import kubernetes
from obsgen.generate.alerting.documents import AlertingRule, Rule, RuleFile, RuleGroup
from obsgen.generate.alerting.plan import (
    Pair,
    SloPlan,
    base_window,
    budget_interval,
    duration_text,
    human,
    percent,
    slo_plans,
    slow_interval,
    window_name,
)
from obsgen.generate.artifacts import Artifact, Text
from obsgen.model import Catalog, Service
from obsgen.policy import alerting as policy


def generate(catalog: Catalog) -> dict[str, Artifact]:
    """``alerts/<service>.yaml`` for every service that has something to alert on and, with the
    kubernetes output, the same groups as ``k8s/prometheusrules/<service>.yaml``."""
    return dict(files(catalog))


def files(catalog: Catalog) -> Iterator[tuple[str, Artifact]]:
    """What :func:`generate` returns, one service at a time (the pipeline streams it).

    Each service's groups are built and serialised once: the PrometheusRule carries the rule
    file's text as its ``spec``.
    """
    prometheus_rules = catalog.wants("kubernetes")
    for service in catalog.services:
        groups = rule_groups(catalog, service)
        if groups:
            rule_file: RuleFile = {"groups": groups}
            text = render.yaml_text(rule_file)
            yield C.alert_rules_path(service.name), Text(text)
            if prometheus_rules:
                yield (
                    C.k8s_prometheusrule_path(service.name),
                    kubernetes.prometheus_rule_file(service, groups, text),
                )


@dataclass(frozen=True)
class PlannedRule:
    """A rule, and per SLO it serves the expression it evaluates for that SLO (what ``cost`` reads).

    A rule shared by the SLOs of a service evaluates the union of its parts in one query.
    """

    rule: Rule
    parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PlannedGroup:
    name: str
    interval: timedelta
    rules: tuple[PlannedRule, ...]


def rule_groups(catalog: Catalog, service: Service) -> list[RuleGroup]:
    """The rule groups of one service (also what the PrometheusRule resources carry)."""
    return [_group(g.name, g.interval, [r.rule for r in g.rules]) for g in planned_groups(catalog, service)]


def has_rules(catalog: Catalog, service: Service) -> bool:
    """Whether ``rule_groups`` is non-empty, without building it: every SLO gives base recordings,
    and a service without SLOs has only its target alerts."""
    return bool(service.slos) or bool(target_alerts(catalog, service))


def planned_groups(catalog: Catalog, service: Service) -> list[PlannedGroup]:
    """The service's groups: every evaluation_interval rule in one group, tickets every 5 m, the
    budget every 30 m.

    Per evaluation a rule costs Prometheus a query (a querier over every block, a parse of its
    text) and a group a scheduling round: the recordings shared by the service's SLOs are one rule
    each (``label_replace`` gives each SLO's part its ``slo`` label; the windows read every SLO's
    recordings with one ``{service=...}`` selector), and the target alerts, evaluated as often,
    share the fast group (see docs/alerts.md).
    """
    plans = slo_plans(catalog, service)
    fast: list[PlannedRule] = [
        *base_recordings(catalog, service, plans),
        *ratio_recordings(catalog, service, plans),
    ]
    slow: list[PlannedRule] = []
    budget: list[PlannedRule] = []
    for p in plans:
        if p.severity_pairs(C.SEVERITY_PAGE):
            fast.append(_own(p, burn_alert(catalog, p, C.SEVERITY_PAGE)))
        if p.severity_pairs(C.SEVERITY_TICKET):
            slow.append(_own(p, burn_alert(catalog, p, C.SEVERITY_TICKET)))
        if p.budget_alert:
            budget.append(_own(p, budget_alert(catalog, p)))
    targets = [PlannedRule(r) for r in target_alerts(catalog, service)]
    groups: list[PlannedGroup] = []
    if fast:
        # Same interval as the SLO rules: one group less to schedule; the target alerts read no recording.
        groups.append(
            PlannedGroup(
                C.slo_rule_group(service.name, "fast"), catalog.evaluation_interval, (*fast, *targets)
            )
        )
    elif targets:
        groups.append(
            PlannedGroup(C.targets_rule_group(service.name), catalog.evaluation_interval, tuple(targets))
        )
    if slow:
        groups.append(
            PlannedGroup(C.slo_rule_group(service.name, "slow"), slow_interval(catalog), tuple(slow))
        )
    if budget:
        groups.append(
            PlannedGroup(C.slo_rule_group(service.name, "budget"), budget_interval(catalog), tuple(budget))
        )
    return groups


def _own(p: SloPlan, rule: Rule) -> PlannedRule:
    return PlannedRule(rule, ((p.slo.name, rule["expr"]),))


def _group(name: str, interval: timedelta, rules: Sequence[Rule]) -> RuleGroup:
    return {"name": name, "interval": duration_text(interval), "rules": list(rules)}


# --- SLIs ------------------------------------------------------------------------------


def _slo_labels(p: SloPlan) -> dict[str, str]:
    return {C.LABEL_SERVICE: p.service.name, C.LABEL_SLO: p.slo.name, C.LABEL_TEAM: p.team}


def _slo_matchers(p: SloPlan) -> tuple[Q.Matcher, ...]:
    return Q.eq(C.LABEL_SERVICE, p.service.name), Q.eq(C.LABEL_SLO, p.slo.name)


def _shared_recording(
    record: str, service: Service, parts: Sequence[tuple[SloPlan, str]], expr: str | None = None
) -> PlannedRule:
    """One recording for the SLOs of ``parts``: each SLO's expression with its ``slo`` label, joined
    with ``or`` (no two parts share a label set: their ``slo`` differs) unless ``expr`` already
    covers them all; a single SLO's is the expression with ``slo`` among the rule's labels."""
    if len(parts) == 1:
        ((p, text),) = parts
        return PlannedRule({"record": record, "expr": text, "labels": _slo_labels(p)}, ((p.slo.name, text),))
    if expr is None:
        expr = "\nor\n".join(Q.with_label(text, C.LABEL_SLO, p.slo.name) for p, text in parts)
    labels = {C.LABEL_SERVICE: service.name, C.LABEL_TEAM: service.team}
    return PlannedRule(
        {"record": record, "expr": expr, "labels": labels}, tuple((p.slo.name, t) for p, t in parts)
    )


def base_recordings(catalog: Catalog, service: Service, plans: Sequence[SloPlan]) -> list[PlannedRule]:
    """The only rules that read raw series: bad and all events over the base window, one rule each
    for every SLO of the service."""
    if not plans:
        return []
    window = base_window(catalog)
    name = window_name(window)
    return [
        _shared_recording(C.sli_errors_record(name), service, [(p, p.slo.sli.bad(window)) for p in plans]),
        _shared_recording(
            C.sli_requests_record(name), service, [(p, p.slo.sli.total(window)) for p in plans]
        ),
    ]


def _base_errors(catalog: Catalog, p: SloPlan) -> str:
    return Q.selector(C.sli_errors_record(window_name(base_window(catalog))), *_slo_matchers(p))


def _base_requests(catalog: Catalog, p: SloPlan) -> str:
    return Q.selector(C.sli_requests_record(window_name(base_window(catalog))), *_slo_matchers(p))


def _ratio_over(catalog: Catalog, matchers: Sequence[Q.Matcher], window: timedelta) -> str:
    base = window_name(base_window(catalog))
    errors = Q.selector(C.sli_errors_record(base), *matchers)
    requests = Q.selector(C.sli_requests_record(base), *matchers)
    # `> 0` drops windows without traffic: no sample instead of 0/0 = NaN.
    return f"avg_over_time({errors}{Q.window(window)})\n/\n(avg_over_time({requests}{Q.window(window)}) > 0)"


def ratio_expr(catalog: Catalog, p: SloPlan, window: timedelta) -> str:
    return _ratio_over(catalog, _slo_matchers(p), window)


def ratio_recordings(catalog: Catalog, service: Service, plans: Sequence[SloPlan]) -> list[PlannedRule]:
    """One error-ratio recording per window a page alert reads.

    A window every SLO of the service records is one rule reading all their base recordings by
    ``service`` (errors and requests of one SLO carry the same labels, so ``/`` pairs them one to
    one); a window only some SLOs record is one rule per SLO.
    """
    out: list[PlannedRule] = []
    for window in sorted({w for p in plans for w in p.recorded_windows}):
        record = C.sli_error_ratio_record(window_name(window))
        users = [p for p in plans if window in p.recorded_windows]
        if len(users) == len(plans) > 1:
            expr = _ratio_over(catalog, (Q.eq(C.LABEL_SERVICE, service.name),), window)
            out.append(
                _shared_recording(record, service, [(p, ratio_expr(catalog, p, window)) for p in users], expr)
            )
        else:
            out += [_shared_recording(record, service, [(p, ratio_expr(catalog, p, window))]) for p in users]
    return out


# --- Alerts ----------------------------------------------------------------------------


def _ratio(catalog: Catalog, p: SloPlan, window: timedelta) -> str:
    """The recorded error ratio over ``window``, or the same expression inline when only a ticket reads it."""
    if window in p.recorded_windows:
        return Q.selector(C.sli_error_ratio_record(window_name(window)), *_slo_matchers(p))
    return "(" + ratio_expr(catalog, p, window).replace("\n", " ") + ")"


def failed_events(catalog: Catalog, p: SloPlan, window: timedelta) -> str:
    """Failed events in ``window``: the recorded per-second error rate summed over its samples, times
    the seconds between them (the base recordings run every evaluation_interval).

    Each failure is spread over the base-window rates that see it, whose sum x step is that one
    event (rate() extrapolates an increase of 1 over the samples it spans to the whole window, and a
    window of that length sees it for that long); sum_over_time rather than avg_over_time x window,
    so a recording younger than the window is not stretched to its length.
    """
    step = Q.number(catalog.evaluation_interval.total_seconds())
    return f"sum_over_time({_base_errors(catalog, p)}{Q.window(window)}) * {step}"


def _guard(catalog: Catalog, p: SloPlan, window: timedelta) -> str | None:
    if p.min_failures <= 0:
        return None
    return f"{failed_events(catalog, p, window)} > {Q.number(p.min_failures - policy.FAILURE_COUNT_ROUNDING)}"


def burn_expr(catalog: Catalog, p: SloPlan, severity: str) -> str:
    """OR of the severity's pairs; each fires when both windows burn faster than its rate and the
    long window holds at least ``min_failures`` failed events (the low-traffic guard).

    The value is the long window's burn rate (error ratio / error budget), for the description.
    Every operand carries the same labels (service, slo, team and any group labels), so ``and``
    matches them one to one without ``on()``.
    """
    budget = Q.number(p.slo.error_budget)
    conditions = []
    for pair in p.severity_pairs(severity):
        rate = Q.number(pair.effective_burn_rate)
        terms = [
            f"{_ratio(catalog, p, pair.long)} / {budget} > {rate}",
            f"{_ratio(catalog, p, pair.short)} / {budget} > {rate}",
        ]
        guard = _guard(catalog, p, pair.long)
        if guard is not None:
            terms.append(guard)
        conditions.append("(\n  " + "\nand\n  ".join(terms) + "\n)")
    return "\nor\n".join(conditions)


def budget_expr(catalog: Catalog, p: SloPlan) -> str:
    """Share of the period's budget spent, when above 1: summed errors / summed requests over the
    period (events, not an average of ratios; the step between samples cancels) / error budget.

    The guard filters the numerator first (failed events over the period, as in ``failed_events``),
    so the period is read once per recording.
    """
    period = Q.window(catalog.slo_period)
    step = Q.number(catalog.evaluation_interval.total_seconds())
    errors = f"{failed_events(catalog, p, catalog.slo_period)}"
    if p.min_failures > 0:
        errors = f"({errors} > {Q.number(p.min_failures - policy.FAILURE_COUNT_ROUNDING)})"
    requests = f"(sum_over_time({_base_requests(catalog, p)}{period}) * {step})"
    return f"{errors}\n/\n{requests}\n/ {Q.number(p.slo.error_budget)} > 1"


def _guard_text(p: SloPlan, where: str = "the long window") -> str:
    if p.min_failures <= 0:
        return ""
    return f", and only once {where} holds at least {p.min_failures} failed requests (low-traffic guard)"


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
        f'the error budget is burning {{{{ printf "%.1f" $value }}}}x as fast as the objective allows '
        f"(over the alert's long window). It fires when {literal(p.slo.sli.describe())}: "
        + " or ".join(_pair_text(pair) for pair in pairs)
        + f"{_guard_text(p)}. {advice}"
    )
    return {
        "alert": C.ALERT_SLO_BURN,
        "expr": burn_expr(catalog, p, severity),
        "labels": {**_slo_labels(p), C.LABEL_SEVERITY: severity},
        "annotations": {
            "summary": f"{p.service.name} {p.slo.name} SLO is burning its error budget {speed}",
            "description": description,
            **_links(catalog, p.service),
        },
    }


def budget_alert(catalog: Catalog, p: SloPlan) -> Rule:
    period = window_name(catalog.slo_period)
    what = f" ({literal(p.slo.description)})" if p.slo.description else ""
    description = (
        f"{p.service.name} {p.slo.name} SLO{what}, objective {p.slo.objective_percent:g}% over {period}: "
        f'failed requests have spent {{{{ printf "%.1f" $value }}}}x the error budget (failed / all requests over the last '
        f"{period}, or since the recordings began, above {percent(p.slo.error_budget)}){_guard_text(p, 'the period')}. "
        "The SLO is missed for this period: stop risky changes and plan reliability work."
    )
    return {
        "alert": C.ALERT_BUDGET_EXHAUSTED,
        "expr": budget_expr(catalog, p),
        "labels": {**_slo_labels(p), C.LABEL_SEVERITY: C.SEVERITY_TICKET},
        "annotations": {
            "summary": f"{p.service.name} {p.slo.name} SLO has spent its {period} error budget",
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
    wait = duration_text(policy.targets_down_for(catalog.scrape_interval))
    labels = {C.LABEL_SERVICE: service.name, C.LABEL_TEAM: service.team, C.LABEL_SEVERITY: severity}
    blind = "its SLO alerts cannot fire: there are no requests to count"
    gone = group_gone_expr(service)
    group_text = ", ".join(
        f'{label}="{{{{ index $labels {Q.quote(label)} }}}}"' for label in service.group_by
    )
    per_group: list[AlertingRule] = (
        []
        if gone is None
        else [
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
    )
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
