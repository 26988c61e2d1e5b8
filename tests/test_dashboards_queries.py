"""The dashboards' PromQL builders, case by case, and the panel_queries helper."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from obsgen import promql as Q
from obsgen.generate.dashboards import links as L
from obsgen.generate.dashboards import queries as q
from obsgen.model import Resource, Service
from obsgen.sli.model import Selector
from tests.conftest import catalog_from
from tests.dashboard_queries import panel_queries, substitute


def _service(metrics: str = "") -> Service:
    return catalog_from(f"""
        apiVersion: obsgen/v1
        teams: {{t: {{}}}}
        services:
          pay:
            team: t
            metrics: {{buckets: [0.1, 0.4]{metrics}}}
            slos:
              availability: {{kind: availability, objective: 99.9}}
              fast: {{kind: latency, objective: 99, threshold: 400ms}}
    """).services[0]


SVC = _service()
AVAILABILITY, LATENCY = SVC.slos
NODE = Resource("nodes", "node", "node", ())
PODS = Resource("pods", "container", "cadvisor", ())

SEL = 'http_requests_total{job="pay",instance=~"$instance"}'
ERRORS = 'http_requests_total{job="pay",instance=~"$instance",code=~"5.."}'
BUCKETS = 'http_request_duration_seconds_bucket{job="pay",instance=~"$instance"}'
N = 'job="node",instance=~"$instance"'
P = 'job="cadvisor",instance=~"$instance",image!=""'

CASES = [
    pytest.param(q.request_rate(SVC), f"sum(rate({SEL}[$__rate_interval]))", id="request rate"),
    pytest.param(
        q.request_rate(SVC, ("route",)),
        f"sum by (route) (rate({SEL}[$__rate_interval]))",
        id="request rate by route",
    ),
    pytest.param(
        q.request_rate_by_status_class(SVC),
        f'sum by (code_class) (label_replace(rate({SEL}[$__rate_interval]), "code_class", "${{1}}xx", '
        '"code", "([0-9]).."))',
        id="request rate by status class",
    ),
    pytest.param(
        q.error_ratio(SVC),
        f"(sum(rate({ERRORS}[$__rate_interval])) or vector(0)) / (sum(rate({SEL}[$__rate_interval])) > 0)",
        id="error ratio: zero errors is 0, zero traffic is no data",
    ),
    pytest.param(
        q.error_rate(SVC, ("route", "code")),
        f"sum by (route, code) (rate({ERRORS}[$__rate_interval]))",
        id="errors by route and code",
    ),
    pytest.param(
        q.latency_quantile(SVC, 0.99),
        f"histogram_quantile(0.99, sum by (le) (rate({BUCKETS}[$__rate_interval])))",
        id="p99",
    ),
    pytest.param(
        q.latency_quantile(SVC, 0.5, ("route",), per_instance=False),
        'histogram_quantile(0.5, sum by (le, route) (rate(http_request_duration_seconds_bucket{job="pay"}'
        "[$__rate_interval])))",
        id="p50 by route, all instances",
    ),
    pytest.param(
        q.latency_heatmap(SVC), f"sum by (le) (increase({BUCKETS}[$__rate_interval]))", id="heatmap"
    ),
    pytest.param(
        q.in_flight(SVC),
        'sum by (instance) (http_requests_in_flight{job="pay",instance=~"$instance"})',
        id="in flight",
    ),
    pytest.param(q.firing_alerts(SVC), 'ALERTS{alertstate="firing",service="pay"}', id="firing alerts"),
    pytest.param(
        q.slo_error_ratio(SVC, AVAILABILITY, timedelta(hours=1)),
        '(sum(rate(http_requests_total{job="pay",code=~"5.."}[1h])) or vector(0)) / '
        '(sum(rate(http_requests_total{job="pay"}[1h])) > 0)',
        id="availability SLI ignores $instance",
    ),
    pytest.param(
        q.slo_error_ratio(SVC, LATENCY, "$__range"),
        '(sum(rate(http_request_duration_seconds_count{job="pay"}[$__range])) - '
        'sum(rate(http_request_duration_seconds_bucket{job="pay",le=~"0\\\\.40*"}[$__range]))) / '
        '(sum(rate(http_request_duration_seconds_count{job="pay"}[$__range])) > 0)',
        id="latency SLI: le matches 0.4 as any client writes it",
    ),
    pytest.param(
        q.budget_remaining(SVC, AVAILABILITY, timedelta(days=28)),
        f"1 - ({q.slo_error_ratio(SVC, AVAILABILITY, timedelta(days=28))}) / 0.001",
        id="budget remaining: no float noise in 1 - 0.999",
    ),
    pytest.param(
        q.burn_rate(SVC, LATENCY, timedelta(minutes=56)),
        f"({q.slo_error_ratio(SVC, LATENCY, timedelta(minutes=56))}) / 0.01",
        id="burn rate",
    ),
    pytest.param(
        q.sli(SVC, AVAILABILITY, "$__rate_interval"),
        f"1 - ({q.slo_error_ratio(SVC, AVAILABILITY, '$__rate_interval')})",
        id="SLI",
    ),
    pytest.param(
        q.labelled("up", service="a", slo="b"),
        'label_replace(label_replace(up, "service", "a", "", ""), "slo", "b", "", "")',
        id="constant labels",
    ),
    pytest.param(q.union(["a", "b"]), "(a) or (b)", id="union"),
    pytest.param(q.union(["a"]), "a", id="union of one"),
    pytest.param(
        q.node_cpu_utilization(NODE),
        '1 - avg by (instance) (rate(node_cpu_seconds_total{job="node",instance=~"$instance",mode="idle"}'
        "[$__rate_interval]))",
        id="node cpu utilization",
    ),
    pytest.param(
        q.node_cpu_load_per_cpu(NODE),
        'sum by (instance) (node_load1{job="node",instance=~"$instance"}) / count by (instance) '
        '(node_cpu_seconds_total{job="node",instance=~"$instance",mode="idle"})',
        id="node load per cpu",
    ),
    pytest.param(
        q.node_memory_utilization(NODE),
        '1 - sum by (instance) (node_memory_MemAvailable_bytes{job="node",instance=~"$instance"}) / '
        'sum by (instance) (node_memory_MemTotal_bytes{job="node",instance=~"$instance"})',
        id="node memory utilization",
    ),
    pytest.param(
        q.node_filesystem_used(NODE),
        '1 - sum by (instance, mountpoint) (node_filesystem_avail_bytes{job="node",instance=~"$instance",'
        'fstype!~"tmpfs|ramfs|rootfs|squashfs|overlay|nsfs|fuse.*"}) / sum by (instance, mountpoint) '
        '(node_filesystem_size_bytes{job="node",instance=~"$instance",'
        'fstype!~"tmpfs|ramfs|rootfs|squashfs|overlay|nsfs|fuse.*"})',
        id="node filesystem used",
    ),
    pytest.param(
        q.node_network(NODE, "node_network_receive_bytes_total"),
        'sum by (instance, device) (rate(node_network_receive_bytes_total{job="node",instance=~"$instance",'
        'device!="lo"}[$__rate_interval]))',
        id="node network without loopback",
    ),
    pytest.param(
        q.container_cpu_throttled(PODS),
        'sum by (instance, name, container) (rate(container_cpu_cfs_throttled_periods_total{job="cadvisor",'
        'instance=~"$instance",image!=""}[$__rate_interval])) / (sum by (instance, name, container) '
        '(rate(container_cpu_cfs_periods_total{job="cadvisor",instance=~"$instance",image!=""}'
        "[$__rate_interval])) > 0)",
        id="container throttling, cgroup aggregates excluded",
    ),
    pytest.param(
        q.container_major_faults(PODS),
        'sum by (instance, name, container) (rate(container_memory_failures_total{job="cadvisor",'
        'instance=~"$instance",image!="",failure_type="pgmajfault"}[$__rate_interval]))',
        id="container major faults",
    ),
    pytest.param(
        q.node_cpu_pressure(NODE),
        f"sum by (instance) (rate(node_pressure_cpu_waiting_seconds_total{{{N}}}[$__rate_interval]))",
        id="node cpu pressure",
    ),
    pytest.param(
        q.node_swap_pages(NODE, "node_vmstat_pswpin"),
        f"sum by (instance) (rate(node_vmstat_pswpin{{{N}}}[$__rate_interval]))",
        id="node swap in",
    ),
    pytest.param(
        q.node_memory_major_faults(NODE),
        f"sum by (instance) (rate(node_vmstat_pgmajfault{{{N}}}[$__rate_interval]))",
        id="node major faults",
    ),
    pytest.param(
        q.node_oom_kills(NODE),
        f"sum by (instance) (increase(node_vmstat_oom_kill{{{N}}}[$__rate_interval]))",
        id="node oom kills",
    ),
    pytest.param(
        q.node_memory_ecc_errors(NODE, "node_edac_correctable_errors_total"),
        f"sum by (instance) (increase(node_edac_correctable_errors_total{{{N}}}[$__rate_interval]))",
        id="node ecc errors",
    ),
    pytest.param(
        q.node_disk_busy(NODE),
        f"sum by (instance, device) (rate(node_disk_io_time_seconds_total{{{N}}}[$__rate_interval]))",
        id="node disk busy",
    ),
    pytest.param(
        q.node_disk_queue(NODE),
        f"sum by (instance, device) (rate(node_disk_io_time_weighted_seconds_total{{{N}}}"
        "[$__rate_interval]))",
        id="node disk queue",
    ),
    pytest.param(
        q.node_filesystem_errors(NODE),
        f"sum by (instance, mountpoint) (node_filesystem_device_error{{{N},"
        'fstype!~"tmpfs|ramfs|rootfs|squashfs|overlay|nsfs|fuse.*"})',
        id="node filesystem errors",
    ),
    pytest.param(
        q.container_gauge(PODS, "container_memory_working_set_bytes"),
        f"sum by (instance, name, container) (container_memory_working_set_bytes{{{P}}})",
        id="container working set",
    ),
    pytest.param(
        q.container_memory_of_limit(PODS),
        f"sum by (instance, name, container) (container_memory_working_set_bytes{{{P}}}) / "
        f"(sum by (instance, name, container) (container_spec_memory_limit_bytes{{{P}}}) > 0)",
        id="container memory of limit: unlimited containers drop out",
    ),
    pytest.param(
        q.container_oom_events(PODS),
        f"sum by (instance, name, container) (increase(container_oom_events_total{{{P}}}[$__rate_interval]))",
        id="container oom events",
    ),
]


@pytest.mark.parametrize(("built", "expected"), CASES)
def test_query_builders(built: str, expected: str) -> None:
    assert built == expected


def test_catalog_values_cannot_break_out_of_their_selector() -> None:
    hostile = replace(
        SVC,
        selector=Selector((Q.eq("job", 'x"} or vector(1) or {a="'),)),
        source=replace(SVC.source, error_codes='5..|"'),
    )
    assert q.requests(hostile) == (
        'http_requests_total{job="x\\"} or vector(1) or {a=\\"",instance=~"$instance"}'
    )
    assert q.failed_requests(hostile).endswith('code=~"5..|\\""}')


def test_custom_metric_names_are_used() -> None:
    custom = _service(", requests: pay_requests_total, duration: pay_seconds")
    assert "pay_requests_total{" in q.error_ratio(custom)
    assert "pay_seconds_bucket{" in q.latency_heatmap(custom)
    assert "pay_seconds_count{" in q.slo_error_ratio(custom, custom.slos[1], "5m")


def test_loki_and_elasticsearch_link_queries() -> None:
    assert L.loki_selector("pay") == '{service="pay"} | json'
    assert L.loki_selector("pay", level="error") == '{service="pay",level="error"} | json'
    with pytest.raises(ValueError, match="not Loki stream labels"):
        L.loki_selector("pay", request_id="x")  # ids never become stream labels
    assert L.elasticsearch_query("pay", level="error") == 'service:"pay" AND level:"error"'
    assert L.elasticsearch_query('a"b') == 'service:"a\\"b"'


def test_substitution_replaces_grafana_variables_and_refuses_unknown_ones() -> None:
    assert substitute('rate(x{instance=~"$instance"}[$__rate_interval])') == 'rate(x{instance=~".*"}[1m])'
    assert substitute("increase(x[${__range}])") == "increase(x[1h])"
    assert substitute('label_replace(x, "c", "${1}xx", "code", "(.)..")') == (
        'label_replace(x, "c", "${1}xx", "code", "(.)..")'
    )
    with pytest.raises(KeyError, match=r"\$env"):
        substitute('x{env="$env"}')


def test_panel_queries_lists_every_target_and_annotation_by_title() -> None:
    board = {
        "panels": [
            {"title": "A", "targets": [{"expr": "up[$__rate_interval]"}, {"expr": "1"}]},
            {"title": "B", "targets": [{"refId": "A"}]},
        ],
        "annotations": {
            "list": [{"name": "Alerts", "expr": 'ALERTS{instance=~"$instance"}'}, {"name": "builtin"}]
        },
    }
    assert panel_queries(board) == [
        ("A", "up[1m]"),
        ("A", "1"),
        ("annotation: Alerts", 'ALERTS{instance=~".*"}'),
    ]
