"""Alerts: a total outage pages through real Prometheus and Alertmanager within a derived bound, then resolves.

The generated rules (alerts/demo.yaml) and routing (alertmanager.yml) run as
generated; only addresses were rewritten (see conftest.py).  The outage is the
demo's ERROR_RATE fault switched to 1 at runtime on both instances (through
/admin/faults, so the targets stay up and the counters keep their history), with
every request of the load counted by the SLO.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from obsgen import conventions as C
from obsgen import durations
from obsgen.model import SLO, Service
from obsgen.policy import alerting as policy
from tests.instrument_helpers import wait_for

from .conftest import Stack
from .harness import Notification

pytestmark = pytest.mark.e2e

#: Alertmanager's own defaults (https://prometheus.io/docs/alerting/latest/configuration/#route).
AM_DEFAULT_GROUP_WAIT = timedelta(seconds=30)
AM_DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
#: Prometheus' --rules.alert.resend-delay as the stack starts it.
RESEND_DELAY = timedelta(seconds=1)
#: Allowance for four processes and the load generator sharing a small CI machine: a late
#: scrape, a slow rule evaluation, a webhook call queued behind another.
SCHEDULING_SLACK = timedelta(seconds=10)
#: The outage: every request the SLO counts fails (the stack's load does not call /model).
OUTAGE_ERROR_RATIO = 1.0


@dataclass(frozen=True)
class Bounds:
    """How long the page may take to arrive and to resolve, from the catalog's windows and intervals."""

    fire: timedelta
    resolve: timedelta
    explanation: str


def _seconds(value: timedelta) -> str:
    return f"{value.total_seconds():g}s"


def _matches(matcher: str, labels: dict[str, str]) -> bool:
    """One Alertmanager matcher (``name="value"``, ``!=``, ``=~``, ``!~``) against ``labels``."""
    m = re.fullmatch(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*', matcher)
    assert m, f"cannot read matcher {matcher!r}"
    name, op, value = m.groups()
    actual = labels.get(name, "")
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    found = re.fullmatch(value, actual) is not None
    return found if op == "=~" else not found


def routed(config: dict[str, Any], labels: dict[str, str]) -> list[tuple[str, timedelta, timedelta]]:
    """(receiver, group_wait, group_interval) of every route an alert with ``labels`` ends on.

    Alertmanager's routing: depth first, the first matching child wins unless it has ``continue``,
    a route without a matching child handles the alert itself; timings are inherited.
    """

    def match(route: dict[str, Any]) -> bool:
        conditions = [_matches(m, labels) for m in route.get("matchers") or []]
        conditions += [labels.get(k) == v for k, v in (route.get("match") or {}).items()]
        conditions += [
            re.fullmatch(v, labels.get(k, "")) is not None for k, v in (route.get("match_re") or {}).items()
        ]
        return all(conditions)

    def walk(route: dict[str, Any], inherited: dict[str, Any]) -> list[tuple[str, timedelta, timedelta]]:
        settings: dict[str, Any] = dict(inherited)
        settings.update({k: route[k] for k in ("receiver", "group_wait", "group_interval") if k in route})
        found: list[tuple[str, timedelta, timedelta]] = []
        for child in route.get("routes") or []:
            if match(child):
                found += walk(child, settings)
                if not child.get("continue"):
                    break
        if found:
            return found
        wait = (
            durations.parse(str(settings["group_wait"]))
            if "group_wait" in settings
            else AM_DEFAULT_GROUP_WAIT
        )
        interval = (
            durations.parse(str(settings["group_interval"]))
            if "group_interval" in settings
            else AM_DEFAULT_GROUP_INTERVAL
        )
        return [(str(settings["receiver"]), wait, interval)]

    return walk(config.get("route") or {}, {})


def page_bounds(stack: Stack, slo: SLO) -> Bounds:
    """Upper bounds on firing and resolving of the page alert of ``slo`` for a total outage.

    Fire: the workbook's time to detect (long window x burn-rate threshold / error ratio, the
    fastest page pair), plus the raw rate window every SLI recording reads, two scrape intervals
    (the first failing request lands between scrapes), one evaluation of the rule group, the resend
    delay, Alertmanager's group_wait, and scheduling slack.
    Resolve: the longest page short window must slide past the last error (plus the raw rate
    window), then a scrape, an evaluation, the resend, and the next group_interval flush.
    """
    catalog = stack.catalog
    pairs = [w for w in policy.windows_for(catalog.slo_period) if w.severity == C.SEVERITY_PAGE]
    assert pairs, "the policy has no page windows"
    detect = min(
        w.long * (policy.error_ratio_threshold(w.burn_rate, slo.error_budget) / OUTAGE_ERROR_RATIO)
        for w in pairs
    )
    base = policy.base_window(catalog.scrape_interval, catalog.evaluation_interval, catalog.slo_period)
    scrape, evaluation = catalog.scrape_interval, catalog.evaluation_interval
    assert stack.alertmanager_config is not None
    (service,) = catalog.services
    labels = {
        C.LABEL_ALERTNAME: C.ALERT_SLO_BURN,
        C.LABEL_SERVICE: service.name,
        C.LABEL_SLO: slo.name,
        C.LABEL_TEAM: service.team,
        C.LABEL_SEVERITY: C.SEVERITY_PAGE,
    }
    routes = routed(stack.alertmanager_config, labels)
    # The slowest of the routes the page takes (every one of them must deliver).
    group_wait = max(wait for _, wait, _ in routes)
    group_interval = max(interval for _, _, interval in routes)
    fire = detect + base + 2 * scrape + evaluation + RESEND_DELAY + group_wait + SCHEDULING_SLACK
    longest_short = max(w.short for w in pairs)
    resolve = longest_short + base + scrape + evaluation + RESEND_DELAY + group_interval + SCHEDULING_SLACK
    explanation = (
        f"fire <= detect {_seconds(detect)} + rate window {_seconds(base)} + 2 scrapes {_seconds(2 * scrape)} "
        f"+ evaluation {_seconds(evaluation)} + resend {_seconds(RESEND_DELAY)} + group_wait {_seconds(group_wait)} "
        f"+ slack {_seconds(SCHEDULING_SLACK)} = {_seconds(fire)}; "
        f"resolve <= short window {_seconds(longest_short)} + rate window {_seconds(base)} + scrape "
        f"{_seconds(scrape)} + evaluation {_seconds(evaluation)} + resend {_seconds(RESEND_DELAY)} + "
        f"group_interval {_seconds(group_interval)} + slack {_seconds(SCHEDULING_SLACK)} = {_seconds(resolve)}"
    )
    return Bounds(fire, resolve, explanation)


def _is_page(alert: dict[str, Any], service: Service, slo: SLO) -> bool:
    labels = alert.get("labels") or {}
    return (
        labels.get(C.LABEL_ALERTNAME) == C.ALERT_SLO_BURN
        and labels.get(C.LABEL_SERVICE) == service.name
        and labels.get(C.LABEL_SLO) == slo.name
        and labels.get(C.LABEL_SEVERITY) == C.SEVERITY_PAGE
    )


def page_notifications(
    stack: Stack, service: Service, slo: SLO, status: str, since: float
) -> list[Notification]:
    """Notifications received after ``since`` carrying the page alert of ``slo`` in ``status``."""
    return [
        n
        for n in stack.webhook.snapshot()
        if n.received >= since
        and any(_is_page(a, service, slo) and a.get("status") == status for a in n.alerts())
    ]


def prometheus_alerts(stack: Stack) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = httpx.get(f"{stack.prometheus_url}/api/v1/alerts", timeout=5).json()[
        "data"
    ]["alerts"]
    return alerts


def _state(stack: Stack) -> str:
    """What Prometheus and the webhook saw, for failure messages."""
    try:
        alerts = [(a["labels"], a["state"]) for a in prometheus_alerts(stack)]
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        alerts = [({"error": repr(exc)}, "")]
    return f"Prometheus alerts: {alerts}\nwebhook received:\n{stack.webhook.describe()}"


@pytest.fixture
def outage(stack: Stack) -> Iterator[None]:
    """Whatever happens in the test, the instances end up healthy again."""
    yield
    for demo in stack.demos:
        if demo.running:
            demo.set_error_rate(0.0)


def test_total_outage_pages_through_alertmanager_then_resolves(stack: Stack, outage: None) -> None:
    assert stack.alertmanager_config is not None, f"obsgen generated no {C.ALERTMANAGER_CONFIG_PATH}"
    assert stack.rule_files(), f"obsgen generated no rule files under {C.ALERTS_DIR}/"
    (service,) = stack.catalog.services
    slo = next(s for s in service.slos if s.kind == "availability")
    bounds = page_bounds(stack, slo)
    print(bounds.explanation)

    # Preconditions: the rules are loaded, Prometheus found Alertmanager, the SLI has data, nothing pages.
    rules = httpx.get(f"{stack.prometheus_url}/api/v1/rules", timeout=5).json()["data"]["groups"]
    loaded = [
        r
        for g in rules
        for r in g["rules"]
        if r["type"] == "alerting"
        and _is_page({"labels": {C.LABEL_ALERTNAME: r["name"], **r["labels"]}}, service, slo)
    ]
    assert loaded, f"no {C.ALERT_SLO_BURN} page alert for {service.name}/{slo.name} among the loaded rules"
    wait_for(
        lambda: httpx.get(f"{stack.prometheus_url}/api/v1/alertmanagers", timeout=5).json()["data"][
            "activeAlertmanagers"
        ],
        "Prometheus to discover Alertmanager",
        timeout=30,
    )
    long_ratio = C.sli_error_ratio_record(
        durations.format_prometheus(
            max(w.long for w in policy.windows_for(stack.catalog.slo_period) if w.severity == C.SEVERITY_PAGE)
        )
    )
    wait_for(
        lambda: stack.query(f'{long_ratio}{{{C.LABEL_SERVICE}="{service.name}",{C.LABEL_SLO}="{slo.name}"}}'),
        f"a {long_ratio} sample (traffic recorded by the SLI rules)",
        timeout=60,
    )
    assert not page_notifications(stack, service, slo, "firing", since=0), (
        f"paged before the outage:\n{_state(stack)}"
    )

    # Outage: every counted request fails.
    start = time.monotonic()
    for demo in stack.demos:
        demo.set_error_rate(1.0)
    try:
        wait_for(
            lambda: page_notifications(stack, service, slo, "firing", since=start),
            f"the page alert at the webhook within {bounds.fire.total_seconds():g}s",
            timeout=bounds.fire.total_seconds(),
            every=0.2,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{bounds.explanation}\n{_state(stack)}") from None
    firing = page_notifications(stack, service, slo, "firing", since=start)
    fired_after = firing[0].received - start
    print(
        f"page delivered {fired_after:.1f}s after the outage began (bound {bounds.fire.total_seconds():g}s)"
    )

    # The route: the owning team's page receiver got it, through every integration it has.
    page_receiver = C.alert_receiver(service.team, C.SEVERITY_PAGE)
    receivers = {n.receiver for n in firing}
    assert page_receiver in receivers, (
        f"page alert routed to {receivers}, expected {page_receiver}\n{_state(stack)}"
    )
    assert C.alert_receiver(service.team, C.SEVERITY_TICKET) not in receivers, (
        f"a page also went to tickets: {receivers}"
    )
    integrations = {
        n.path.strip("/").split("/")[1] for n in firing if n.path.startswith(f"/{page_receiver}/")
    }
    configured = {
        key.removesuffix("_configs")
        for r in stack.alertmanager_config["receivers"]
        if r["name"] == page_receiver
        for key in r
        if key.endswith("_configs")
    }
    wait_for(
        lambda: (
            configured
            <= {
                n.path.strip("/").split("/")[1]
                for n in stack.webhook.snapshot()
                if n.received >= start and n.path.startswith(f"/{page_receiver}/")
            }
        ),
        f"every integration of {page_receiver} ({sorted(configured)}) to post; so far {sorted(integrations)}",
        timeout=30,
    )

    # The labels and links an on-call engineer needs.
    alert = next(a for n in firing for a in n.alerts() if _is_page(a, service, slo))
    labels, annotations = alert["labels"], alert.get("annotations") or {}
    assert labels[C.LABEL_TEAM] == service.team, labels
    assert annotations.get("runbook_url") == service.runbook_url, annotations
    assert annotations.get("dashboard_url", "").endswith(f"/d/{C.service_dashboard_uid(service.name)}"), (
        annotations
    )
    assert annotations.get("summary") and annotations.get("description"), annotations

    # Recovery: the page resolves.
    recovered = time.monotonic()
    for demo in stack.demos:
        demo.set_error_rate(0.0)
    try:
        wait_for(
            lambda: page_notifications(stack, service, slo, "resolved", since=recovered),
            f"the page to resolve at the webhook within {bounds.resolve.total_seconds():g}s",
            timeout=bounds.resolve.total_seconds(),
            every=0.2,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{bounds.explanation}\n{_state(stack)}") from None
    resolved = page_notifications(stack, service, slo, "resolved", since=recovered)
    print(
        f"page resolved {resolved[0].received - recovered:.1f}s after recovery "
        f"(bound {bounds.resolve.total_seconds():g}s)"
    )
    assert page_receiver in {n.receiver for n in resolved}
