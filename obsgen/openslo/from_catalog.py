"""A catalog (the model) -> OpenSLO v1 documents, one YAML stream, deterministic.

Per team: its notification targets and one AlertPolicy per burn-rate window it alerts with;
per service: a Service; per SLO: an SLO with its ratio SLI inline.  obsgen-only settings that
change the generated rules travel as ``obsgen.dev/*`` annotations (docs/openslo.md), so that
``export`` then ``import`` gives a catalog that generates the same rules.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import yaml

from obsgen import conventions as C
from obsgen import durations, promql
from obsgen.errors import ObsgenError
from obsgen.model import SLO, Catalog, Service, Team
from obsgen.openslo import names
from obsgen.openslo.schema import API_VERSION
from obsgen.policy import alerting as policy
from obsgen.sli.model import Availability, Latency, Ratio
from obsgen.sli.presets import PRESETS


def from_catalog(catalog: Catalog) -> str:
    """The OpenSLO documents of ``catalog``; raise ObsgenError for what OpenSLO cannot carry."""
    docs: list[dict[str, Any]] = []
    services_by_team: dict[str, list[Service]] = {}
    for s in catalog.services:
        services_by_team.setdefault(s.team, []).append(s)
    targets: dict[str, list[str]] = {}
    for team in catalog.teams:
        if any(s.slos for s in services_by_team.get(team.name, [])):
            found = _targets(team)
            docs += found
            targets[team.name] = [t["metadata"]["name"] for t in found]
    # One AlertPolicy per team and window pair, shared by every SLO of the team that alerts with it.
    policies: dict[tuple[str, policy.BurnRateWindow], str] = {}
    slo_docs: list[dict[str, Any]] = []
    for s in catalog.services:
        slo_docs.append(_service(s, catalog))
        for slo in s.slos:
            refs = []
            for w in _windows(slo, catalog):
                key = (s.team, w)
                if key not in policies:
                    policies[key] = _policy_name(s.team, w, set(policies.values()))
                    docs.append(_policy(policies[key], w, targets[s.team]))
                refs.append(policies[key])
            slo_docs.append(_slo(s, slo, catalog, refs))
    docs += slo_docs
    header = (
        "# OpenSLO v1 documents exported by `obsgen export openslo` from an obsgen catalog.\n"
        "# `obsgen import openslo` reads them back; docs/openslo.md has the mapping.\n"
    )
    body = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=1000, explicit_start=True)
    return header + body


def _shorthand(value: timedelta, what: str) -> str:
    """An OpenSLO duration shorthand (whole minutes, hours or days)."""
    seconds = int(value.total_seconds())
    if seconds != value.total_seconds() or seconds % 60:
        raise ObsgenError(
            f"the {what} {durations.format_prometheus(value)} is not a whole number of minutes, "
            "which OpenSLO durations cannot express; choose an slo_period whose windows are whole "
            "minutes (e.g. 28d, 30d, 7d)"
        )
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable")


def _targets(team: Team) -> list[dict[str, Any]]:
    out = []
    if team.slack_channel:
        out.append(
            _doc(
                "AlertNotificationTarget",
                f"{team.name}-slack",
                {
                    "description": f"Slack receiver of team {team.name}",
                    "target": f"{names.TARGET_SLACK}:{team.slack_channel}",
                },
            )
        )
    if team.pagerduty_service:
        out.append(
            _doc(
                "AlertNotificationTarget",
                f"{team.name}-pagerduty",
                {
                    "description": f"PagerDuty receiver of team {team.name}",
                    "target": f"{names.TARGET_PAGERDUTY}:{team.pagerduty_service}",
                },
            )
        )
    if not out:
        out.append(
            _doc(
                "AlertNotificationTarget",
                f"{team.name}-alertmanager",
                {
                    "description": f"Alertmanager routes of team {team.name} (no contact point in the catalog)",
                    "target": names.TARGET_ALERTMANAGER,
                },
            )
        )
    return out


def _windows(slo: SLO, catalog: Catalog) -> list[policy.BurnRateWindow]:
    """The window pairs the SLO alerts with: its own table, or the workbook's scaled to the period."""
    table = (
        slo.alerting.windows if slo.alerting.windows is not None else policy.windows_for(catalog.slo_period)
    )
    return [w for w in table if getattr(slo.alerting, w.severity)]


def _policy_name(team: str, w: policy.BurnRateWindow, taken: set[str]) -> str:
    name = f"{team}-{w.severity}-{_shorthand(w.long, 'burn-rate window')}"
    if name in taken:
        name += f"-{w.burn_rate:g}x-{durations.format_prometheus(w.short)}"
    return name


def _default_short(long: timedelta) -> timedelta:
    return timedelta(seconds=max(1, round(long.total_seconds() / names.SHORT_WINDOW_DIVISOR)))


def _policy(name: str, w: policy.BurnRateWindow, targets: list[str]) -> dict[str, Any]:
    long = _shorthand(w.long, "burn-rate window")
    short = durations.format_prometheus(w.short)
    metadata: dict[str, Any] = {"name": name}
    if w.short != _default_short(w.long):
        metadata["annotations"] = {names.SHORT_WINDOW: short}
    condition = {
        "kind": "AlertCondition",
        "metadata": metadata,
        "spec": {
            "description": f"{w.burn_rate:g}x burn rate over {long} and over {short} (obsgen's short window)",
            "severity": w.severity,
            # OpenSLO v1 durations start at 1m; obsgen fires as soon as both windows burn.
            "condition": {
                "kind": "burnrate",
                "op": "gt",
                "threshold": w.burn_rate,
                "lookbackWindow": long,
                "alertAfter": "1m",
            },
        },
    }
    return _doc(
        "AlertPolicy",
        name,
        {
            "description": f"obsgen {w.severity}: SRE workbook multiwindow burn-rate alert, long window {long}",
            "alertWhenNoData": False,
            "alertWhenResolved": True,
            "alertWhenBreaching": True,
            "conditions": [condition],
            "notificationTargets": [{"targetRef": t} for t in targets],
        },
    )


def _service(s: Service, catalog: Catalog) -> dict[str, Any]:
    annotations = {
        names.SCRAPE_INTERVAL: durations.format_prometheus(catalog.scrape_interval),
        names.EVALUATION_INTERVAL: durations.format_prometheus(catalog.evaluation_interval),
        names.GRAFANA_URL: catalog.grafana_url,
    }
    annotations[names.ALERTING] = ",".join(
        sev for sev in (C.SEVERITY_PAGE, C.SEVERITY_TICKET) if getattr(s.alerting, sev)
    )
    if s.runbook_url:
        annotations[names.RUNBOOK_URL] = s.runbook_url
    if s.source.preset != "obsgen":
        annotations[names.SOURCE] = s.source.preset
    if s.targets:
        annotations[names.TARGETS] = ",".join(s.targets)
    if s.source.buckets != PRESETS[s.source.preset].buckets:
        annotations[names.BUCKETS] = ",".join(f"{b:g}" for b in s.source.buckets)
    doc = _doc("Service", s.name, {"description": s.description} if s.description else {})
    doc["metadata"]["labels"] = {names.TEAM_LABEL: s.team}
    doc["metadata"]["annotations"] = dict(sorted(annotations.items()))
    return doc


def _slo(s: Service, slo: SLO, catalog: Catalog, policies: list[str]) -> dict[str, Any]:
    name = f"{s.name}-{slo.name}"
    spec: dict[str, Any] = {}
    if slo.description:
        spec["description"] = slo.description
    spec["service"] = s.name
    spec["indicator"] = {"metadata": {"name": name}, "spec": {"ratioMetric": _ratio(s, slo)}}
    spec["timeWindow"] = [{"duration": _shorthand(catalog.slo_period, "slo_period"), "isRolling": True}]
    spec["budgetingMethod"] = "Occurrences"
    spec["objectives"] = [{"target": float(Decimal(str(slo.objective_percent)) / 100)}]
    spec["alertPolicies"] = policies
    doc = _doc("SLO", name, spec)
    if slo.alerting.min_failures != policy.DEFAULT_MIN_FAILURES:
        doc["metadata"]["annotations"] = {names.MIN_FAILURES: str(slo.alerting.min_failures)}
    return doc


def _ratio(s: Service, slo: SLO) -> dict[str, Any]:
    """The SLI as two counter selectors, exactly those the generated rules read (obsgen.sli)."""
    sli = slo.sli
    if sli.group_by:
        raise ObsgenError(
            f"services.{s.name}.slos.{slo.name}: group_by ({', '.join(sli.group_by)}) makes one SLI "
            "per group, which one OpenSLO SLO cannot express; export a catalog without group_by"
        )
    if isinstance(sli, Ratio):
        return {"counter": True, "bad": _source(str(sli.errors)), "total": _source(str(sli.all))}
    if isinstance(sli, Latency):
        assert sli.source.duration is not None
        le = promql.re_match(C.LABEL_LE, C.le_matcher(sli.boundary))
        good = promql.selector(sli.source.duration + C.BUCKET_SUFFIX, *sli.selector.matchers, le)
        total = promql.selector(sli.source.duration + C.COUNT_SUFFIX, *sli.selector.matchers)
        return {"counter": True, "good": _source(good), "total": _source(total)}
    assert isinstance(sli, Availability), sli.kind
    src, matchers = sli.source, sli.selector.matchers
    total = promql.selector(src.requests, *matchers)
    bad = promql.selector(src.requests, *matchers, promql.re_match(src.status_label, src.error_codes))
    return {"counter": True, "bad": _source(bad), "total": _source(total)}


def _source(query: str) -> dict[str, Any]:
    return {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}


def _doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}
