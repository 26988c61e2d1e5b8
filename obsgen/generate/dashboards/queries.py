"""PromQL for the dashboards: pure functions from the model to query text.

Kept apart from panel layout (kubernetes-mixin style) so each query can be
unit-tested and reused.  Every selector goes through :mod:`obsgen.promql`, so
a job or service name from the catalog can never break out of its quotes.

The queries read the raw metrics the instrumentation library exports (names
from the catalog's ``metrics`` block) rather than recording rules, so the
dashboards work on a Prometheus without obsgen's rules loaded.  The price is
the error-budget query, which reads the whole SLO period of raw samples; it
runs as an instant query (one evaluation per refresh), see docs/dashboards.md.

Ratios divide by ``(total > 0)`` so zero traffic gives "no data" instead of
NaN, and bad-event sums fall back to ``vector(0)`` because a service that
never failed has no error series at all.
"""

from __future__ import annotations

from datetime import timedelta

from obsgen import conventions as C
from obsgen import promql as Q
from obsgen.model import SLO, Resource, Service
from obsgen.sli import exporters as X
from obsgen.sli.model import Ratio

#: Grafana's rate window: at least four scrape intervals, grows with the step.
RATE_INTERVAL = "$__rate_interval"
#: Grafana's dashboard time range (for instant queries over the range shown).
RANGE = "$__range"
INSTANCE_VAR = f"${C.VAR_INSTANCE}"

#: Quantiles drawn on the duration panel.
QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.99)

Window = timedelta | str


def instance_matcher() -> Q.Matcher:
    """``instance=~"$instance"``: the instance variable is a regex (multi-value, All = .*)."""
    return Q.re_match(C.LABEL_INSTANCE, INSTANCE_VAR)


# --- RED: services -------------------------------------------------------------


def _job(service: Service, per_instance: bool) -> list[Q.Matcher]:
    """The service's selector (default ``job="<job>"``), and the instance variable."""
    matchers = list(service.selector.matchers)
    if per_instance:
        matchers.append(instance_matcher())
        matchers += [Q.re_match(label, f"${label}") for label in group_variables(service)]
    return matchers


def has_red(service: Service) -> bool:
    """Whether the service has request metrics: not when every SLO is a ratio of other counters."""
    return not service.slos or any(not isinstance(slo.sli, Ratio) for slo in service.slos)


def group_variables(service: Service) -> tuple[str, ...]:
    """The service's group_by labels that get a dashboard variable (narrowing the RED panels)."""
    return tuple(label for label in service.group_by if label not in (C.VAR_INSTANCE, C.VAR_DATASOURCE))


def requests(service: Service, *extra: Q.Matcher, per_instance: bool = True) -> str:
    """Selector of the service's request counter."""
    return Q.selector(service.source.requests, *_job(service, per_instance), *extra)


def failed_requests(service: Service, per_instance: bool = True) -> str:
    """Selector of the requests that count as failed (the status label matches error_codes)."""
    src = service.source
    return requests(service, Q.re_match(src.status_label, src.error_codes), per_instance=per_instance)


def duration_series(service: Service, suffix: str, *extra: Q.Matcher, per_instance: bool = True) -> str:
    return Q.selector(service.metrics.duration + suffix, *_job(service, per_instance), *extra)


def request_rate(service: Service, by: tuple[str, ...] = (), per_instance: bool = True) -> str:
    """Requests per second, summed by ``by``."""
    return Q.sum_by(by, Q.rate(requests(service, per_instance=per_instance), RATE_INTERVAL))


def request_rate_by_status_class(service: Service) -> str:
    """Requests per second by status class (``2xx``, ``4xx``, ``5xx``); by status where the source
    reports no numeric HTTP codes (gRPC code names, status groups)."""
    src = service.source
    if src.codes != "http":
        return Q.sum_by((src.status_label,), Q.rate(requests(service), RATE_INTERVAL))
    classed = (
        f"label_replace({Q.rate(requests(service), RATE_INTERVAL)}, "
        f"{Q.quote(C.LABEL_CODE_CLASS)}, {Q.quote('${1}xx')}, {Q.quote(src.status_label)}, {Q.quote('([0-9])..')})"
    )
    return Q.sum_by((C.LABEL_CODE_CLASS,), classed)


def error_rate(service: Service, by: tuple[str, ...]) -> str:
    """Failed requests per second, summed by ``by``."""
    return Q.sum_by(by, Q.rate(failed_requests(service), RATE_INTERVAL))


def _ratio(bad: str, total: str) -> str:
    return f"({bad} or vector(0)) / ({total} > 0)"


def error_ratio(service: Service, per_instance: bool = True, over: Window = RATE_INTERVAL) -> str:
    """Share of requests that failed (0..1)."""
    return _ratio(
        Q.sum_by((), Q.rate(failed_requests(service, per_instance), over)),
        Q.sum_by((), Q.rate(requests(service, per_instance=per_instance), over)),
    )


def _in_seconds(service: Service, expr: str) -> str:
    """Durations of a millisecond histogram, in seconds (every panel shows seconds)."""
    return f"{expr} / 1000" if service.source.duration_unit == "milliseconds" else expr


def latency_quantile(
    service: Service, quantile: float, by: tuple[str, ...] = (), per_instance: bool = True
) -> str:
    """The ``quantile`` of request duration (seconds) from the histogram buckets."""
    buckets = duration_series(service, C.BUCKET_SUFFIX, per_instance=per_instance)
    return _in_seconds(
        service,
        (
            f"histogram_quantile({Q.number(quantile)}, "
            f"{Q.sum_by((C.LABEL_LE, *by), Q.rate(buckets, RATE_INTERVAL))})"
        ),
    )


def latency_heatmap(service: Service) -> str:
    """Requests per bucket per interval, for a heatmap of the histogram (format: heatmap)."""
    buckets = duration_series(service, C.BUCKET_SUFFIX)
    return Q.sum_by((C.LABEL_LE,), Q.increase(buckets, RATE_INTERVAL))


def in_flight(service: Service) -> str:
    """Requests being served right now, per instance (saturation of the service)."""
    gauge = service.source.in_flight or C.REQUESTS_IN_FLIGHT
    return Q.sum_by((C.LABEL_INSTANCE,), Q.selector(gauge, *_job(service, per_instance=True)))


def firing_alerts(service: Service) -> str:
    """This service's firing alerts (for an annotation)."""
    return Q.selector(
        C.ALERTS_METRIC, Q.eq(C.LABEL_ALERTSTATE, "firing"), Q.eq(C.LABEL_SERVICE, service.name)
    )


# --- SLOs ------------------------------------------------------------------------
# SLO queries are service-wide: the instance variable does not apply to an SLO.


def slo_error_ratio(service: Service, slo: SLO, over: Window) -> str:
    """Bad events / all events of ``slo`` over ``over`` (a duration or a Grafana range variable),
    service-wide (summed over the SLO's groups)."""
    return slo.sli.error_ratio(over, by=())


def sli(service: Service, slo: SLO, over: Window) -> str:
    """The SLI (good events / all events) over ``over``."""
    return f"1 - ({slo_error_ratio(service, slo, over)})"


def budget_remaining(service: Service, slo: SLO, period: timedelta) -> str:
    """Share of the error budget left over the SLO period (1 = untouched, < 0 = overspent).

    Reads ``period`` of raw samples: run it as an instant query.
    """
    return f"1 - ({slo_error_ratio(service, slo, period)}) / {Q.number(slo.error_budget)}"


def burn_rate(service: Service, slo: SLO, over: Window) -> str:
    """How fast the budget burns over ``over``: 1 spends exactly the budget in one period."""
    return f"({slo_error_ratio(service, slo, over)}) / {Q.number(slo.error_budget)}"


# --- Overview: one series per service, told apart by a service label ----------------


def labelled(expr: str, **labels: str) -> str:
    """``expr`` with constant labels added (label_replace on an empty source label)."""
    for name, value in sorted(labels.items()):
        expr = f'label_replace({expr}, {Q.quote(Q.label_name(name))}, {Q.quote(value)}, "", "")'
    return expr


def union(exprs: list[str]) -> str:
    """One query returning every expression's series (each must carry distinct labels)."""
    return " or ".join(f"({e})" for e in exprs) if len(exprs) > 1 else exprs[0]


# --- USE: nodes (node_exporter 1.5) ---------------------------------------------------


def _target(resource: Resource, *extra: Q.Matcher) -> tuple[Q.Matcher, ...]:
    return (Q.eq(C.LABEL_JOB, resource.job), instance_matcher(), *extra)


def _sel(metric: str, resource: Resource, *extra: Q.Matcher) -> str:
    return Q.selector(metric, *_target(resource, *extra))


def _rate_by(by: tuple[str, ...], metric: str, resource: Resource, *extra: Q.Matcher) -> str:
    return Q.sum_by(by, Q.rate(_sel(metric, resource, *extra), RATE_INTERVAL))


_BY_INSTANCE = (C.LABEL_INSTANCE,)
_BY_DEVICE = (C.LABEL_INSTANCE, X.LABEL_DEVICE)


def _idle(resource: Resource) -> str:
    return _sel(X.NODE_CPU_SECONDS_TOTAL, resource, Q.eq(X.LABEL_MODE, X.NODE_CPU_IDLE_MODE))


def node_cpu_utilization(resource: Resource) -> str:
    """Share of CPU time not idle, averaged over the CPUs of each instance."""
    return f"1 - avg by (instance) ({Q.rate(_idle(resource), RATE_INTERVAL)})"


def node_cpu_load_per_cpu(resource: Resource) -> str:
    """1-minute load average per CPU: above 1 means runnable threads wait."""
    return f"{Q.sum_by(_BY_INSTANCE, _sel(X.NODE_LOAD1, resource))} / count by (instance) ({_idle(resource)})"


def node_cpu_pressure(resource: Resource) -> str:
    """Share of time some task waited for a CPU (PSI, Linux >= 4.20)."""
    return _rate_by(_BY_INSTANCE, X.NODE_PRESSURE_CPU_WAITING_SECONDS_TOTAL, resource)


def node_memory_utilization(resource: Resource) -> str:
    available = Q.sum_by(_BY_INSTANCE, _sel(X.NODE_MEMORY_MEMAVAILABLE_BYTES, resource))
    total = Q.sum_by(_BY_INSTANCE, _sel(X.NODE_MEMORY_MEMTOTAL_BYTES, resource))
    return f"1 - {available} / {total}"


def node_memory_major_faults(resource: Resource) -> str:
    return _rate_by(_BY_INSTANCE, X.NODE_VMSTAT_PGMAJFAULT, resource)


def node_swap_pages(resource: Resource, metric: str) -> str:
    return _rate_by(_BY_INSTANCE, metric, resource)


def node_oom_kills(resource: Resource) -> str:
    return Q.sum_by(_BY_INSTANCE, Q.increase(_sel(X.NODE_VMSTAT_OOM_KILL, resource), RATE_INTERVAL))


def node_memory_ecc_errors(resource: Resource, metric: str) -> str:
    return Q.sum_by(_BY_INSTANCE, Q.increase(_sel(metric, resource), RATE_INTERVAL))


def node_disk_busy(resource: Resource) -> str:
    """Share of time each disk was busy with I/O."""
    return _rate_by(_BY_DEVICE, X.NODE_DISK_IO_TIME_SECONDS_TOTAL, resource)


def node_disk_queue(resource: Resource) -> str:
    """Average number of I/Os in flight per disk (weighted I/O time)."""
    return _rate_by(_BY_DEVICE, X.NODE_DISK_IO_TIME_WEIGHTED_SECONDS_TOTAL, resource)


def _real_filesystems() -> Q.Matcher:
    return Q.not_re_match(X.LABEL_FSTYPE, X.NODE_PSEUDO_FSTYPES)


def node_filesystem_used(resource: Resource) -> str:
    by = (C.LABEL_INSTANCE, X.LABEL_MOUNTPOINT)
    avail = Q.sum_by(by, _sel(X.NODE_FILESYSTEM_AVAIL_BYTES, resource, _real_filesystems()))
    size = Q.sum_by(by, _sel(X.NODE_FILESYSTEM_SIZE_BYTES, resource, _real_filesystems()))
    return f"1 - {avail} / {size}"


def node_filesystem_errors(resource: Resource) -> str:
    """Filesystems node_exporter could not stat (1 = error)."""
    return Q.sum_by(
        (C.LABEL_INSTANCE, X.LABEL_MOUNTPOINT),
        _sel(X.NODE_FILESYSTEM_DEVICE_ERROR, resource, _real_filesystems()),
    )


def _not_loopback() -> Q.Matcher:
    return Q.Matcher(X.LABEL_DEVICE, "!=", X.NODE_LOOPBACK_DEVICE)


def node_network(resource: Resource, metric: str) -> str:
    """Per-second rate of a node_network_* counter by interface, loopback excluded."""
    return _rate_by(_BY_DEVICE, metric, resource, _not_loopback())


# --- USE: containers (cAdvisor) ----------------------------------------------------------

#: Standalone cAdvisor fills ``name``, the kubelet's ``container``: group by both.
_BY_CONTAINER = (C.LABEL_INSTANCE, X.CADVISOR_NAME_LABEL, X.CADVISOR_CONTAINER_LABEL)


def _in_container() -> Q.Matcher:
    return Q.Matcher(X.CADVISOR_IMAGE_LABEL, "!=", "")


def container_rate(resource: Resource, metric: str, *extra: Q.Matcher) -> str:
    """Per-second rate of a cAdvisor counter per container (cgroup aggregates excluded)."""
    return _rate_by(_BY_CONTAINER, metric, resource, _in_container(), *extra)


def container_gauge(resource: Resource, metric: str) -> str:
    return Q.sum_by(_BY_CONTAINER, _sel(metric, resource, _in_container()))


def container_cpu_throttled(resource: Resource) -> str:
    """Share of CFS periods in which the container was throttled (only containers with a CPU limit)."""
    throttled = container_rate(resource, X.CONTAINER_CPU_CFS_THROTTLED_PERIODS_TOTAL)
    periods = container_rate(resource, X.CONTAINER_CPU_CFS_PERIODS_TOTAL)
    return f"{throttled} / ({periods} > 0)"


def container_memory_of_limit(resource: Resource) -> str:
    """Working set as a share of the memory limit (only containers with a limit)."""
    working = container_gauge(resource, X.CONTAINER_MEMORY_WORKING_SET_BYTES)
    limit = container_gauge(resource, X.CONTAINER_SPEC_MEMORY_LIMIT_BYTES)
    return f"{working} / ({limit} > 0)"


def container_major_faults(resource: Resource) -> str:
    return container_rate(
        resource, X.CONTAINER_MEMORY_FAILURES_TOTAL, Q.eq(X.LABEL_FAILURE_TYPE, X.CADVISOR_PGMAJFAULT)
    )


def container_oom_events(resource: Resource) -> str:
    return Q.sum_by(
        _BY_CONTAINER,
        Q.increase(_sel(X.CONTAINER_OOM_EVENTS_TOTAL, resource, _in_container()), RATE_INTERVAL),
    )
