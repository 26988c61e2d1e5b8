"""promtool rule unit tests, generated with the rules: ``alerts/tests/<service>.yaml``.

Per SLO: a total outage pages (or tickets, when paging is off) within the time the plan
promises; a slow burn opens a ticket and never pages.  Per service: healthy traffic, zero
traffic, traffic that stops and no series at all stay silent and record no NaN; every target
down and the job gone from discovery page; with group_by, one group gone from discovery pages
with its labels and resolves when it returns.  ``promtool test rules alerts/tests/*.yaml`` runs them.

Note: promtool evaluates every group at the file's ``evaluation_interval`` and ignores group
intervals, so tickets are tested at the fast cadence; in Prometheus they can come up to
``policy.SLOW_GROUP_INTERVAL`` later.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from obsgen import conventions as C
from obsgen import promql as Q
from obsgen.generate.alerting.documents import InputSeries, PromqlExprTest, RuleTest, RuleTestFile
from obsgen.generate.alerting.plan import (
    SloPlan,
    base_window,
    duration_text,
    human,
    slo_plans,
    window_name,
)
from obsgen.generate.alerting.rules import group_gone_expr, has_rules, targets_severity
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.model import SLO, Catalog, Service
from obsgen.policy import alerting as policy
from obsgen.sli.model import SLI, Labels, SeriesShape, Share, Traffic, group_sample

#: Requests per second of the synthetic traffic.
TEST_RPS = 10.0
#: Healthy traffic before a test's incident starts.
WARMUP = timedelta(hours=1)
#: Healthy traffic before a slow burn, and how long the burn runs before its ticket is checked
#: (see slow_burn_test for why that suffices).
SLOW_WARMUP = timedelta(minutes=30)
SLOW_BURN = timedelta(minutes=90)
#: How long the silent scenarios run, and the healthy traffic before a service disappears.
SILENT = timedelta(hours=1)
BEFORE_GONE = timedelta(minutes=15)
#: Share of the non-failed synthetic requests answered with a client error (never an SLO error).
CLIENT_ERROR_SHARE = 0.1
#: Instance label of the synthetic series when the catalog lists no targets.
TEST_INSTANCE = "test:8000"
#: Low traffic for the guard's scenarios: 10 requests an hour (one every 6 minutes), counted in
#: whole requests as a real counter is.
LOW_RPS = 10 / 3600
LOW_WARMUP = timedelta(hours=1)
LOW_AFTER = timedelta(hours=2)
#: Clean traffic before the budget scenario's errors start, and the longest its crossing may take.
BUDGET_CLEAN = timedelta(hours=1)
BUDGET_MAX_CROSSING = timedelta(hours=6)


@dataclass(frozen=True)
class Phase:
    duration: timedelta
    rps: float = TEST_RPS
    error_ratio: float = 0.0
    #: Targets answer scrapes (``up`` is 1).
    up: bool = True
    #: The targets exist at all: False ends every series with a staleness marker.
    present: bool = True


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return dict(files(catalog))


def files(catalog: Catalog) -> Iterator[tuple[str, Artifact]]:
    """What :func:`generate` returns, one service at a time (the pipeline streams it)."""
    for service in catalog.services:
        if not has_rules(catalog, service):
            continue
        test_file: RuleTestFile = {
            "rule_files": [f"../{C.alert_rules_path(service.name).rsplit('/', 1)[-1]}"],
            "evaluation_interval": duration_text(catalog.evaluation_interval),
            "tests": unit_tests(catalog, service),
        }
        yield C.alert_tests_path(service.name), Yaml(test_file, notes=untested_notes(service))


def untested_notes(service: Service) -> tuple[str, ...]:
    """What the file does not test, and why: SLOs whose series obsgen cannot write."""
    return tuple(
        f"{service.name}/{slo.name}: no outage or slow-burn test: {why}, so it cannot write this "
        "SLO's series (its regexes are valid; Prometheus matches them). Test this SLO's alerts "
        "on your own series."
        for slo in service.slos
        if (why := slo.sli.untested) is not None
    )


def unit_tests(catalog: Catalog, service: Service) -> list[RuleTest]:
    tests: list[RuleTest] = []
    for p in slo_plans(catalog, service):
        if p.slo.sli.untested is not None:
            continue  # noted at the top of the file (untested_notes)
        first = p.severities[0] if p.severities else None
        if first is not None:
            tests.append(outage_test(catalog, p, first))
        if C.SEVERITY_TICKET in p.severities:
            slow = slow_burn_test(catalog, p)
            if slow is not None:
                tests.append(slow)
        tests += low_traffic_tests(catalog, p)
        if p.budget_alert and (budget := budget_test(catalog, p)) is not None:
            tests.append(budget)
    tests += silent_tests(catalog, service)
    if targets_severity(service) is not None and service.up_job is not None:
        tests += disappearance_tests(catalog, service)
        if group_gone_expr(service) is not None:
            tests.append(group_gone_test(catalog, service))
    return tests


# --- Synthetic series ---------------------------------------------------------------------


def _samples(phase: Phase, scrape: timedelta) -> int:
    return max(1, round(phase.duration / scrape))


def _fractional_values(phases: list[Phase], scrape: timedelta, per_scrape: Any) -> str:
    """Expanding notation for a counter whose increment per scrape is ``per_scrape(phase)``."""
    parts: list[str] = []
    value = 0.0
    gone = False
    for i, phase in enumerate(phases):
        n = _samples(phase, scrape)
        if not phase.present:
            if not gone:
                parts.append("stale" if n == 1 else f"stale _x{n - 1}")
                gone = True
            else:
                parts.append(f"_x{n}")
            continue
        gone = False
        inc = float(per_scrape(phase))
        if i > 0:
            value += inc
        parts.append(f"{Q.number(value)}+{Q.number(inc)}x{n - 1}")
        value += inc * (n - 1)
    return " ".join(parts)


def _whole_values(phases: list[Phase], scrape: timedelta, per_scrape: Any) -> str:
    """Like _values, but the counter counts whole events, as a real one does: at 10 requests an hour
    it steps by 1 every 6 minutes instead of growing by 0.04 every scrape."""
    for phase in phases:
        assert phase.present, "whole-event counters do not model disappearing series"
    return _whole_run(tuple((float(per_scrape(phase)), _samples(phase, scrape)) for phase in phases))


@functools.lru_cache(maxsize=256)
def _whole_run(steps: tuple[tuple[float, int], ...]) -> str:
    """_whole_values of (increment per scrape, scrapes) per phase; services with the same traffic
    share the text."""
    increments: list[float] = []
    for inc, n in steps:
        increments += [inc] * n
    increments[0] = 0.0  # the counter starts at 0: its first sample adds nothing
    # accumulate adds in the same order as a running sum would: the same floats, in C.
    values = [math.floor(c + 1e-6) for c in itertools.accumulate(increments)]
    return " ".join(
        f"{value}x{n - 1}" if (n := sum(1 for _ in run)) > 1 else str(value)
        for value, run in itertools.groupby(values)
    )


def _gauge(phases: list[Phase], scrape: timedelta, value: Any) -> str:
    parts: list[str] = []
    gone = False
    for phase in phases:
        n = _samples(phase, scrape)
        if not phase.present:
            parts.append(f"_x{n}" if gone else ("stale" if n == 1 else f"stale _x{n - 1}"))
            gone = True
            continue
        gone = False
        parts.append(f"{Q.number(float(value(phase)))}x{n - 1}")
    return " ".join(parts)


def _series(metric: str, **labels: str) -> str:
    return Q.selector(metric, *(Q.eq(k, v) for k, v in labels.items()))


def _instances(service: Service) -> tuple[str, ...]:
    return service.targets or (TEST_INSTANCE,)


def _other_group(service: Service) -> Labels:
    """A second value of each group label (``cluster-2``), for tests with two groups."""
    return tuple((label, f"{label}-2") for label in service.group_by)


def up_series(
    catalog: Catalog, service: Service, phases: list[Phase], group: Labels | None = None
) -> list[InputSeries]:
    """The service's own targets (none when it is measured at an edge proxy), in ``group`` (default
    the first sample group)."""
    if service.up_job is None:
        return []
    labels = group_sample(service.group_by) if group is None else group
    values = _up_values(tuple(phases), catalog.scrape_interval)
    return [
        {"series": _up_selector(service.up_job, instance, labels), "values": values}
        for instance in _instances(service)
    ]


@functools.lru_cache(maxsize=256)
def _up_selector(job: str, instance: str, labels: Labels) -> str:
    """A target's ``up`` series (the scenarios of one service write the same few)."""
    return _series(C.UP_METRIC, job=job, instance=instance, **dict(labels))


@functools.lru_cache(maxsize=256)
def _up_values(phases: tuple[Phase, ...], scrape: timedelta) -> str:
    return _gauge(list(phases), scrape, lambda ph: 1 if ph.up else 0)


def sli_series(
    catalog: Catalog,
    service: Service,
    slos: tuple[SLO, ...],
    phases: list[Phase],
    group: Labels | None = None,
    whole: bool = False,
) -> list[InputSeries]:
    """The series the service's exporter writes, in its real shape, with the traffic of each phase.

    Per scrape: failed requests at the phase's error ratio (slow, with an error code), client errors
    (CLIENT_ERROR_SHARE of the rest, never an SLO error) and fast successes.  Series two SLOs share
    (a histogram's ``_count`` used as the request counter) are written once.  ``whole``: counters
    count whole events, as a real one does at low traffic.
    """
    scrape = catalog.scrape_interval
    instance = _instances(service)[0]
    labels = (*(group_sample(service.group_by) if group is None else group), (C.LABEL_INSTANCE, instance))
    if service.up_job is not None:
        labels = (*labels, (C.LABEL_JOB, service.up_job))

    clients = service.source.client_error_code is not None
    shape = tuple(phases)
    out: dict[str, str] = {}
    for slo in slos:
        if slo.sli.untested is not None:
            continue
        for text, share in _series_shapes(slo.sli, labels):
            out[text] = _counter_values(shape, scrape, share, clients, whole)
    return [{"series": k, "values": v} for k, v in sorted(out.items())]


def _traffic(ph: Phase, scrape_seconds: float, clients: bool) -> Traffic:
    """One scrape's increments in ``ph``; ``clients``: the source counts client errors apart."""
    total = ph.rps * scrape_seconds if ph.up else 0.0
    ok = total * (1 - ph.error_ratio)
    client = ok * CLIENT_ERROR_SHARE if clients else 0.0
    return Traffic(good=ok - client, bad=total * ph.error_ratio, client=client)


@functools.lru_cache(maxsize=4096)
def _series_shapes(sli: SLI, labels: Labels) -> tuple[SeriesShape, ...]:
    """sli.series(labels): the same for every test of a service (and of services alike)."""
    return tuple(sli.series(labels))


@functools.lru_cache(maxsize=4096)
def _counter_values(
    phases: tuple[Phase, ...], scrape: timedelta, share: Share, clients: bool, whole: bool
) -> str:
    """The values of a counter counting ``share`` of the traffic of ``phases``: everything its text
    depends on is in the key, so services with the same traffic shape share it."""
    s = scrape.total_seconds()
    values = _whole_values if whole else _fractional_values
    return values(list(phases), scrape, lambda ph: share.of(_traffic(ph, s, clients)))


def _test(name: str, catalog: Catalog, series: list[InputSeries], checks: list[PromqlExprTest]) -> RuleTest:
    return {
        "name": name,
        "interval": duration_text(catalog.scrape_interval),
        "input_series": series,
        "promql_expr_test": checks,
    }


def _at(t: timedelta) -> str:
    return duration_text(t) if t > timedelta(0) else "0s"


def _alerts(**labels: str) -> str:
    return Q.selector(
        C.ALERTS_METRIC, Q.eq(C.LABEL_ALERTSTATE, "firing"), *(Q.eq(k, v) for k, v in sorted(labels.items()))
    )


def fires(expr: str, at: timedelta) -> PromqlExprTest:
    return {"expr": f"count({expr})", "eval_time": _at(at), "exp_samples": [{"labels": "{}", "value": 1}]}


def silent(expr: str, at: timedelta) -> PromqlExprTest:
    return {"expr": expr, "eval_time": _at(at), "exp_samples": []}


def never(expr: str, until: timedelta, catalog: Catalog) -> PromqlExprTest:
    """No sample of ``expr`` at any evaluation up to ``until`` (ALERTS is stored like any series)."""
    step = duration_text(catalog.evaluation_interval)
    return silent(f"max_over_time(({expr})[{duration_text(until)}:{step}])", until)


def _ceil(value: timedelta, step: timedelta) -> timedelta:
    return step * math.ceil(value / step)


# --- Scenarios ------------------------------------------------------------------------------


def detection_bound(
    catalog: Catalog, p: SloPlan, severity: str, error_ratio: float, requests_per_second: float | None = None
) -> timedelta | None:
    """Latest time an alert may take to fire: the plan's time to detect, plus one base window
    (the recordings average rates over it: up to half a window of lag, a full one while the
    first errors ramp it up), one scrape and two evaluations."""
    ttd = p.time_to_detect(severity, error_ratio, requests_per_second)
    if ttd is None:
        return None
    slack = base_window(catalog) + catalog.scrape_interval + 2 * catalog.evaluation_interval
    return _ceil(ttd + slack, catalog.evaluation_interval)


def outage_test(catalog: Catalog, p: SloPlan, severity: str) -> RuleTest:
    bound = detection_bound(catalog, p, severity, 1.0)
    assert bound is not None  # every threshold is capped below a ratio of 1
    phases = [Phase(WARMUP), Phase(bound + catalog.evaluation_interval, error_ratio=1.0)]
    end = WARMUP + bound
    series = up_series(catalog, p.service, phases) + sli_series(catalog, p.service, (p.slo,), phases)
    mine = {C.LABEL_ALERTNAME: C.ALERT_SLO_BURN, C.LABEL_SLO: p.slo.name, C.LABEL_SERVICE: p.service.name}
    checks = [
        never(_alerts(**mine), WARMUP - catalog.evaluation_interval, catalog),
        fires(_alerts(**mine, severity=severity), end),
    ]
    if severity != C.SEVERITY_PAGE:
        checks.append(
            never(_alerts(service=p.service.name, slo=p.slo.name, severity=C.SEVERITY_PAGE), end, catalog)
        )
    verb = "pages" if severity == C.SEVERITY_PAGE else "opens a ticket and never pages"
    return _test(
        f"{p.service.name}/{p.slo.name}: a total outage {verb} within {human(bound)}", catalog, series, checks
    )


def slow_burn_ratio(p: SloPlan) -> float | None:
    """An error ratio above every ticket threshold's slowest pair and below every page threshold."""
    tickets = [pair.threshold for pair in p.severity_pairs(C.SEVERITY_TICKET)]
    pages = [pair.threshold for pair in p.severity_pairs(C.SEVERITY_PAGE)] or [
        policy.MAX_ERROR_RATIO_THRESHOLD
    ]
    low, high = min(tickets), min(pages)
    ratio = 2 * low
    if ratio >= high:
        ratio = math.sqrt(low * high)
    return ratio if low < ratio < high else None


def slow_burn_test(catalog: Catalog, p: SloPlan) -> RuleTest | None:
    """Errors at twice the slowest ticket threshold for SLOW_BURN, after SLOW_WARMUP of health.

    The windows average over the data they have: after 90 min of burning, 3/4 of both windows of
    the slowest pair burn at 2x (1.5x on average), above its threshold and below every page's.
    """
    ratio = slow_burn_ratio(p)
    if ratio is None:
        return None
    phases = [Phase(SLOW_WARMUP), Phase(SLOW_BURN + catalog.evaluation_interval, error_ratio=ratio)]
    end = SLOW_WARMUP + SLOW_BURN
    series = up_series(catalog, p.service, phases) + sli_series(catalog, p.service, (p.slo,), phases)
    mine = {C.LABEL_ALERTNAME: C.ALERT_SLO_BURN, C.LABEL_SLO: p.slo.name, C.LABEL_SERVICE: p.service.name}
    checks = [
        fires(_alerts(**mine, severity=C.SEVERITY_TICKET), end),
        # Scoped to this SLO: another SLO of the service may read the same series and page.
        never(_alerts(service=p.service.name, slo=p.slo.name, severity=C.SEVERITY_PAGE), end, catalog),
    ]
    return _test(
        f"{p.service.name}/{p.slo.name}: a slow burn ({ratio:.3g} errors) opens a ticket and never pages",
        catalog,
        series,
        checks,
    )


def silent_tests(catalog: Catalog, service: Service) -> list[RuleTest]:
    """Healthy traffic, no traffic, traffic that stops, no series: no alert, no NaN recorded."""
    budgets = [slo.error_budget for slo in service.slos] or [0.0]
    healthy = min(budgets) / 2
    scenarios: list[tuple[str, list[Phase], bool]] = [
        (
            "healthy traffic (errors at half the budget) stays silent",
            [Phase(SILENT, error_ratio=healthy)],
            True,
        ),
        ("zero traffic stays silent and records no NaN", [Phase(SILENT, rps=0.0)], True),
        (
            "traffic that stops stays silent and records no NaN",
            [Phase(SLOW_WARMUP, error_ratio=healthy), Phase(SILENT, rps=0.0)],
            True,
        ),
        ("no request series at all stays silent", [Phase(SILENT)], False),
    ]
    windows = sorted({w for p in slo_plans(catalog, service) for w in p.recorded_windows})
    tests = []
    for name, phases, with_sli in scenarios:
        end = sum((ph.duration for ph in phases), timedelta(0))
        series = up_series(catalog, service, phases)
        if with_sli:
            series += sli_series(catalog, service, service.slos, phases)
        checks = [never(_alerts(service=service.name), end, catalog)]
        if service.slos:
            # NaN (and Inf) times 0 is NaN, which differs from 0; one NaN makes the sum NaN.
            for window in windows:
                record = Q.selector(
                    C.sli_error_ratio_record(window_name(window)), Q.eq(C.LABEL_SERVICE, service.name)
                )
                checks.append(silent(f"sum_over_time({record}[{duration_text(end)}]) * 0 != 0", end))
        tests.append(_test(f"{service.name}: {name}", catalog, series, checks))
    return tests


def disappearance_tests(catalog: Catalog, service: Service) -> list[RuleTest]:
    """(b): burn rates see nothing when the service is gone; the target alerts must page."""
    severity = targets_severity(service)
    assert severity is not None
    bound = _disappearance_bound(catalog)
    cases = [
        (
            C.ALERT_TARGETS_DOWN,
            "every target down",
            [Phase(BEFORE_GONE), Phase(bound + catalog.evaluation_interval, up=False)],
        ),
        (
            C.ALERT_SERVICE_ABSENT,
            "the job gone from service discovery",
            [Phase(BEFORE_GONE), Phase(bound + catalog.evaluation_interval, present=False)],
        ),
    ]
    tests = []
    for alert, what, phases in cases:
        series = up_series(catalog, service, phases) + sli_series(catalog, service, service.slos, phases)
        if alert == C.ALERT_TARGETS_DOWN:
            # A target that does not answer exports nothing: its request series go stale too.
            series = up_series(catalog, service, phases) + sli_series(
                catalog, service, service.slos, [phases[0], Phase(phases[1].duration, present=False)]
            )
        mine = {C.LABEL_ALERTNAME: alert, C.LABEL_SERVICE: service.name}
        tests.append(
            _test(
                f"{service.name}: {what} {'pages' if severity == C.SEVERITY_PAGE else 'opens a ticket'} "
                f"within {human(bound)}",
                catalog,
                series,
                [
                    never(_alerts(**mine), BEFORE_GONE - catalog.evaluation_interval, catalog),
                    fires(_alerts(**mine, severity=severity), BEFORE_GONE + bound),
                ],
            )
        )
    return tests


def _disappearance_bound(catalog: Catalog) -> timedelta:
    """The targets-down wait, plus two evaluations and a scrape (staleness shows at the next one)."""
    wait = policy.targets_down_for(catalog.scrape_interval)
    return _ceil(
        wait + 2 * catalog.evaluation_interval + catalog.scrape_interval, catalog.evaluation_interval
    )


def group_gone_test(catalog: Catalog, service: Service) -> RuleTest:
    """One group (``cluster-1``) leaves service discovery while another stays, then comes back.

    Nothing fires while both groups are up (as at first deploy), ServiceGroupGone fires with the gone
    group's labels within the targets-down bound and not for the other group, ServiceAbsent does not
    (the job still has targets), and the alert resolves once the group is back.
    """
    severity = targets_severity(service)
    assert severity is not None
    bound = _disappearance_bound(catalog)
    gone = Phase(bound + catalog.evaluation_interval, present=False)
    back = Phase(BEFORE_GONE)
    phases = [Phase(BEFORE_GONE), gone, back]
    stays = [Phase(sum((ph.duration for ph in phases), timedelta(0)))]
    other = _other_group(service)
    series = (
        up_series(catalog, service, phases)
        + up_series(catalog, service, stays, other)
        + sli_series(catalog, service, service.slos, phases)
        + sli_series(catalog, service, service.slos, stays, other)
    )
    fired = BEFORE_GONE + bound
    end = fired + BEFORE_GONE
    mine = {C.LABEL_ALERTNAME: C.ALERT_GROUP_GONE, C.LABEL_SERVICE: service.name}
    where = ", ".join(f"{k}={v}" for k, v in group_sample(service.group_by))
    return _test(
        f"{service.name}: the group {where} gone from service discovery "
        f"{'pages' if severity == C.SEVERITY_PAGE else 'opens a ticket'} with its labels within {human(bound)} "
        "and resolves when it returns",
        catalog,
        series,
        [
            never(_alerts(**mine), BEFORE_GONE - catalog.evaluation_interval, catalog),
            fires(_alerts(**mine, **dict(group_sample(service.group_by)), severity=severity), fired),
            never(_alerts(**mine, **dict(other)), end, catalog),
            never(_alerts(alertname=C.ALERT_SERVICE_ABSENT, service=service.name), end, catalog),
            silent(_alerts(**mine), end),
        ],
    )


# --- Low traffic and the budget (issue 15) ------------------------------------------------------


def _slo_alerts(p: SloPlan, **labels: str) -> str:
    return _alerts(**{C.LABEL_SERVICE: p.service.name, C.LABEL_SLO: p.slo.name, **labels})


def event_weights(catalog: Catalog) -> tuple[float, float]:
    """Lowest and highest count one failed event can add to the guard's estimate.

    A failure is an increase between two scrapes; the base-window rate() sees it while both samples
    are in its window, for (base window - scrape interval), extrapolated to the whole window
    (x base / (base - scrape)).  Sampled every evaluation, that is floor or ceil of
    (base - scrape) / evaluation samples of 1 / (base - scrape) each, times the evaluation step:
    2/3 or 4/3 at 15 s scrape, 30 s evaluation, 1 m base.  On average exactly 1.  (A counter's very
    first increase from 0 is not extrapolated backwards and counts at most half as much again.)
    """
    visible = (base_window(catalog) - catalog.scrape_interval).total_seconds()
    step = catalog.evaluation_interval.total_seconds()
    low = math.floor(visible / step) * step / visible
    high = math.ceil(visible / step) * step / visible
    return low, high


def low_traffic_tests(catalog: Catalog, p: SloPlan) -> list[RuleTest]:
    """At 10 requests an hour: one failure raises nothing; a sustained outage still alerts.

    Skipped when the guard is off (or below 3 failures: one failure can count up to twice), and the
    outage test when one failure can count as nothing (an evaluation interval longer than the base
    window's span of samples: then only the average is exact, not a bound).
    """
    if not p.severities or p.min_failures < 3:
        return []
    low, high = event_weights(catalog)
    one = [
        Phase(LOW_WARMUP, rps=LOW_RPS),
        Phase(timedelta(seconds=1 / LOW_RPS), rps=LOW_RPS, error_ratio=1.0),
        Phase(LOW_AFTER, rps=LOW_RPS),
    ]
    end = sum((ph.duration for ph in one), timedelta(0))
    series = up_series(catalog, p.service, one) + sli_series(catalog, p.service, (p.slo,), one, whole=True)
    checks = [never(_slo_alerts(p), end, catalog)]
    page = p.severity_pairs(p.severities[0])[0]
    ratio = 1 / (LOW_RPS * page.long.total_seconds())
    if page.long in p.recorded_windows and ratio > page.threshold * 1.2:
        # Without the guard it would fire: the long window's error ratio is far above the threshold.
        record = Q.selector(
            C.sli_error_ratio_record(window_name(page.long)),
            Q.eq(C.LABEL_SERVICE, p.service.name),
            Q.eq(C.LABEL_SLO, p.slo.name),
        )
        step = duration_text(catalog.evaluation_interval)
        checks.append(
            fires(
                f"max_over_time(({record})[{duration_text(end)}:{step}]) > {Q.number(page.threshold)}",
                end,
            )
        )
    tests = [
        _test(
            f"{p.service.name}/{p.slo.name}: one failed request at 10 requests/hour raises no alert "
            f"(low-traffic guard: {p.min_failures} failures)",
            catalog,
            series,
            checks,
        )
    ]
    if low <= 0:
        return tests
    severity = p.severities[0]
    interval = timedelta(seconds=1 / LOW_RPS)
    # Worst case: every failure counts as little as it can, and the first half of that again.
    needed = math.ceil((p.min_failures - 0.5) / low) + 1
    ttd = p.time_to_detect(severity, 1.0)
    assert ttd is not None
    slack = base_window(catalog) + catalog.scrape_interval + 2 * catalog.evaluation_interval
    bound = _ceil(max(ttd, interval * needed) + slack, catalog.evaluation_interval)
    longest = max(pair.long for pair in p.severity_pairs(severity))
    if interval * needed > longest:
        return tests  # this window table can never hold that many failures at 10 requests/hour
    quiet = interval * math.floor((p.min_failures - 0.5) / high)
    outage = [
        Phase(LOW_WARMUP, rps=LOW_RPS),
        Phase(bound + catalog.evaluation_interval, rps=LOW_RPS, error_ratio=1.0),
    ]
    series = up_series(catalog, p.service, outage) + sli_series(
        catalog, p.service, (p.slo,), outage, whole=True
    )
    mine = {C.LABEL_ALERTNAME: C.ALERT_SLO_BURN}
    checks = [
        never(_slo_alerts(p, **mine), LOW_WARMUP + quiet, catalog),
        fires(_slo_alerts(p, **mine, severity=severity), LOW_WARMUP + bound),
    ]
    verb = "pages" if severity == C.SEVERITY_PAGE else "opens a ticket"
    return [
        *tests,
        _test(
            f"{p.service.name}/{p.slo.name}: a total outage at 10 requests/hour {verb} within {human(bound)}, "
            f"not before {human(quiet)} (the guard's {p.min_failures} failures)",
            catalog,
            series,
            checks,
        ),
    ]


def budget_error_ratio(p: SloPlan) -> float:
    """An error ratio above the budget, with room below 100 %."""
    budget = p.slo.error_budget
    return min(2 * budget, (1 + budget) / 2)


def budget_test(catalog: Catalog, p: SloPlan) -> RuleTest | None:
    """Clean traffic, then errors at ``budget_error_ratio``: the period's failed / all requests
    crosses the budget at BUDGET_CLEAN x budget / (ratio - budget) into the errors (sooner for an SLI
    that leaves client errors out).  The ticket must not fire a margin before the earliest crossing
    (the cumulative ratio then is clearly below the budget) and must fire a margin after.  None for objectives under 25 %: the crossing would take over 6 hours."""
    budget = p.slo.error_budget
    ratio = budget_error_ratio(p)
    if ratio - budget <= 0 or budget / (ratio - budget) > BUDGET_MAX_CROSSING / BUDGET_CLEAN:
        return None
    crossing = BUDGET_CLEAN * (budget / (ratio - budget))
    # An SLI that does not count client errors (a status matcher) sees a higher error ratio: up to
    # ratio / (ratio + (1 - ratio) x (1 - CLIENT_ERROR_SHARE)), crossing sooner.
    seen = ratio / (ratio + (1 - ratio) * (1 - CLIENT_ERROR_SHARE))
    earliest = BUDGET_CLEAN * (budget / (seen - budget))
    margin = _ceil(max(crossing * 0.15, timedelta(minutes=5)), catalog.evaluation_interval)
    at = _ceil(BUDGET_CLEAN + crossing, catalog.evaluation_interval)
    before = _ceil(BUDGET_CLEAN + earliest, catalog.evaluation_interval) - margin
    phases = [
        Phase(BUDGET_CLEAN),
        Phase(at - BUDGET_CLEAN + margin + catalog.evaluation_interval, error_ratio=ratio),
    ]
    series = up_series(catalog, p.service, phases) + sli_series(catalog, p.service, (p.slo,), phases)
    mine = {C.LABEL_ALERTNAME: C.ALERT_BUDGET_EXHAUSTED}
    checks = [
        never(_slo_alerts(p, **mine), before, catalog),
        fires(_slo_alerts(p, **mine, severity=C.SEVERITY_TICKET), at + margin),
    ]
    return _test(
        f"{p.service.name}/{p.slo.name}: the budget-exhausted ticket fires once the period's errors exceed the "
        f"budget ({human(at)} in, errors at {ratio:.3g} after {human(BUDGET_CLEAN)} clean), silent until "
        f"{human(before)}",
        catalog,
        series,
        checks,
    )
