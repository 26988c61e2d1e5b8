"""Services obsgen did not instrument: every source preset, proven with promtool on series written
here by hand in each exporter's documented shape (metric and label names, cumulative buckets with
+Inf, _count and _sum, millisecond units, gRPC code names) -- not by obsgen's own SLI code.

Per preset, one promtool run proves: a total outage pages within the workbook bound; healthy
traffic (with client errors) stays silent; client errors alone never count; another service behind
the same job or proxy failing never pages this one; a per-endpoint SLO pages when only that
endpoint fails; one failing group of a group_by service pages with its group label.  Istio adds a
millisecond histogram whose threshold must select le="250".  A cluster gone from service discovery
pages with its label (starlette_exporter targets, ``up`` with a cluster target label).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog
from obsgen.generate import generate
from obsgen.generate.alerting import rules
from obsgen.generate.alerting.plan import base_window, slo_plan
from obsgen.model import Catalog
from tests.conftest import require_binary

SCRAPE = 15  # seconds (the catalog default)
EVAL = timedelta(seconds=30)
WARM = timedelta(hours=1)
PER_SCRAPE = 30.0  # requests per scrape of a stream: 2 req/s

Labels = dict[str, str]


@dataclass(frozen=True)
class Stream:
    """One label set of an exporter: ``before``/``after`` requests per scrape, each taking
    ``duration`` (in the metric's unit).  ``buckets`` makes it a histogram."""

    metric: str
    labels: Labels
    before: float
    after: float
    buckets: tuple[float, ...] = ()
    duration: float = 0.01


def _counter(before: float, after: float, n_before: int, n_after: int) -> str:
    return f"0+{before:g}x{n_before} {before * n_before + after:g}+{after:g}x{n_after}"


def _sel(metric: str, labels: Labels) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{metric}{{{inner}}}"


def write(streams: list[Stream], end: timedelta) -> list[dict[str, str]]:
    """promtool input series (expanding notation) for the streams, merged by label set."""
    n_before = int(WARM.total_seconds()) // SCRAPE
    n_after = int((end - WARM).total_seconds()) // SCRAPE + 2
    totals: dict[str, list[float]] = {}

    def add(text: str, before: float, after: float) -> None:
        acc = totals.setdefault(text, [0.0, 0.0])
        acc[0] += before
        acc[1] += after

    for s in streams:
        if not s.buckets:
            add(_sel(s.metric, s.labels), s.before, s.after)
            continue
        for le in [*s.buckets, float("inf")]:
            inside = s.duration <= le
            le_text = "+Inf" if le == float("inf") else f"{le:g}"
            add(_sel(s.metric + "_bucket", {**s.labels, "le": le_text}), s.before * inside, s.after * inside)
        add(_sel(s.metric + "_count", s.labels), s.before, s.after)
        add(_sel(s.metric + "_sum", s.labels), s.before * s.duration, s.after * s.duration)
    return [
        {"series": k, "values": _counter(b, a, n_before, n_after)} for k, (b, a) in sorted(totals.items())
    ]


# --- Each exporter's shape, written from its documentation --------------------------------------


@dataclass
class Exporter:
    preset: str
    service: str
    #: The service's catalog entry (without team and slos); ``{group}`` takes group_by.
    entry: str
    #: Streams of one request class: (status kind ok|error|client, who: mine|other, route, extra
    #: labels, before, after).
    stream: Callable[..., list[Stream]]
    route_selector: str
    has_up: bool = True
    #: Label of the group dimension (present on every series, as external or target labels are).
    extra: Labels = field(default_factory=dict)


MICROMETER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def micrometer(kind: str, who: str, route: str, labels: Labels, before: float, after: float) -> list[Stream]:
    status, outcome, exception = {
        "ok": ("200", "SUCCESS", "none"),
        "error": ("500", "SERVER_ERROR", "IllegalStateException"),
        "client": ("404", "CLIENT_ERROR", "none"),
    }[kind]
    app = "orders" if who == "mine" else "billing"
    return [
        Stream(
            "http_server_requests_seconds",
            {
                "job": "orders" if who == "mine" else "billing",
                "instance": f"{app}-1:8080",
                "application": app,
                "method": "GET",
                "uri": route,
                "status": status,
                "outcome": outcome,
                "exception": exception,
                **labels,
            },
            before,
            after,
            MICROMETER_BUCKETS,
            0.04,
        )
    ]


def traefik(kind: str, who: str, route: str, labels: Labels, before: float, after: float) -> list[Stream]:
    code = {"ok": "200", "error": "502", "client": "404"}[kind]
    service = "default-shop-80@kubernetes" if who == "mine" else "default-blog-80@kubernetes"
    base = {
        "job": "traefik",
        "instance": "traefik-0:9100",
        "service": service,
        "method": "GET",
        "protocol": "http",
        "code": code,
        **labels,
    }
    # Traefik has no route label: a per-endpoint SLO selects a router-specific service instead.
    if route != "/":
        base["service"] = "default-shop-checkout-80@kubernetes"
    return [
        Stream("traefik_service_requests_total", base, before, after),
        Stream("traefik_service_request_duration_seconds", base, before, after, (0.1, 0.3, 1.2, 5.0), 0.05),
    ]


def ingress_nginx(
    kind: str, who: str, route: str, labels: Labels, before: float, after: float
) -> list[Stream]:
    status = {"ok": "200", "error": "503", "client": "404"}[kind]
    ns = "web" if who == "mine" else "admin"
    base = {
        "job": "ingress-nginx",
        "instance": "10.0.0.7:10254",
        "controller_class": "k8s.io/ingress-nginx",
        "controller_namespace": "ingress-nginx",
        "controller_pod": "ingress-nginx-controller-7d9",
        "host": f"{ns}.example.com",
        "ingress": ns,
        "namespace": ns,
        "service": ns,
        "method": "GET",
        "path": route,
        "status": status,
        "canary": "",
        **labels,
    }
    return [
        Stream("nginx_ingress_controller_requests", base, before, after),
        Stream(
            "nginx_ingress_controller_request_duration_seconds",
            base,
            before,
            after,
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            0.03,
        ),
    ]


ISTIO_BUCKETS = (
    0.5,
    1,
    5,
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    2500,
    5000,
    10000,
    30000,
    60000,
    300000,
    600000,
    1800000,
    3600000,
)


def istio(
    kind: str, who: str, route: str, labels: Labels, before: float, after: float, duration_ms: float = 20.0
) -> list[Stream]:
    code = {"ok": "200", "error": "503", "client": "404"}[kind]
    name = "ratings" if who == "mine" else "reviews"
    out = []
    # Both sides report every request; only reporter="destination" may count.
    for reporter in ("destination", "source"):
        base = {
            "job": "kubernetes-pods",
            "instance": "10.1.0.9:15020",
            "reporter": reporter,
            "destination_service_name": name,
            "destination_service_namespace": "books",
            "destination_workload": f"{name}-v1",
            "source_workload": "productpage-v1",
            "request_protocol": "http",
            "response_code": code,
            "grpc_response_status": "",
            "response_flags": "-",
            "connection_security_policy": "mutual_tls",
            **labels,
        }
        if route != "/":
            base["destination_workload"] = f"{name}-v2"
        out += [
            Stream("istio_requests_total", base, before, after),
            Stream("istio_request_duration_milliseconds", base, before, after, ISTIO_BUCKETS, duration_ms),
        ]
    return out


def grpc(kind: str, who: str, route: str, labels: Labels, before: float, after: float) -> list[Stream]:
    code = {"ok": "OK", "error": "Unavailable", "client": "NotFound"}[kind]
    job = "payments" if who == "mine" else "ledger"
    method = "Charge" if route != "/" else "GetBalance"
    base = {
        "job": job,
        "instance": f"{job}-1:9090",
        "grpc_type": "unary",
        "grpc_service": "payments.v1.Payments",
        "grpc_method": method,
        **labels,
    }
    return [
        Stream("grpc_server_handled_total", {**base, "grpc_code": code}, before, after),
        Stream(
            "grpc_server_handling_seconds",
            base,
            before,
            after,
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            0.02,
        ),
    ]


def starlette(kind: str, who: str, route: str, labels: Labels, before: float, after: float) -> list[Stream]:
    status = {"ok": "200", "error": "500", "client": "422"}[kind]
    job = "api" if who == "mine" else "admin"
    base = {
        "job": job,
        "instance": f"{job}-1:8000",
        "method": "GET",
        "path": route if route != "/" else "/items",
        "status_code": status,
        **labels,
    }
    return [
        Stream("starlette_requests_total", base, before, after),
        Stream(
            "starlette_request_duration_seconds",
            base,
            before,
            after,
            (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0),
            0.02,
        ),
    ]


def fastapi(kind: str, who: str, route: str, labels: Labels, before: float, after: float) -> list[Stream]:
    status = {"ok": "2xx", "error": "5xx", "client": "4xx"}[kind]
    job = "predict" if who == "mine" else "train"
    handler = route if route != "/" else "/predict"
    base = {"job": job, "instance": f"{job}-1:8000", "method": "POST", "handler": handler, **labels}
    return [
        Stream("http_requests_total", {**base, "status": status}, before, after),
        Stream("http_request_duration_seconds", base, before, after, (0.1, 0.5, 1.0), 0.05),
    ]


EXPORTERS = [
    Exporter(
        "micrometer",
        "orders",
        'source: micrometer\n    job: orders\n    selector: \'{job="orders", uri!="/actuator/health"}\'',
        micrometer,
        '{uri="/checkout"}',
    ),
    Exporter(
        "traefik",
        "shop",
        "source: traefik\n    selector: '{service=~\"default-shop(-checkout)?-80@kubernetes\"}'",
        traefik,
        '{service="default-shop-checkout-80@kubernetes"}',
        has_up=False,
    ),
    Exporter(
        "ingress-nginx",
        "web",
        'source: ingress-nginx\n    selector: \'{namespace="web", ingress="web"}\'',
        ingress_nginx,
        '{path="/checkout"}',
        has_up=False,
    ),
    Exporter(
        "istio",
        "ratings",
        "source: istio\n    selector: '{destination_service_name=\"ratings\"}'",
        istio,
        '{destination_workload="ratings-v2"}',
        has_up=False,
    ),
    Exporter("grpc", "payments", "source: grpc", grpc, '{grpc_method="Charge"}'),
    Exporter("starlette-exporter", "api", "source: starlette-exporter", starlette, '{path="/checkout"}'),
    Exporter(
        "prometheus-fastapi-instrumentator",
        "predict",
        "source: prometheus-fastapi-instrumentator",
        fastapi,
        '{handler="/checkout"}',
    ),
]


def catalog(e: Exporter, group_by: str = "", extra_slos: str = "") -> Catalog:
    lines = [
        "apiVersion: obsgen/v1",
        "teams: {t: {}}",
        "services:",
        f"  {e.service}:",
        "    team: t",
        f"    {e.entry}",
        *([f"    {group_by}"] if group_by else []),
        "    slos:",
        "      availability: {kind: availability, objective: 99.9}",
        f"      endpoint: {{kind: availability, objective: 99.95, selector: '{e.route_selector}'}}",
        *([f"      {extra_slos}"] if extra_slos else []),
    ]
    text = "\n".join(lines) + "\n"
    return load_catalog(text.encode(), f"{e.preset}.yaml")


def _alerts(**labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted({"alertstate": "firing", **labels}.items()))
    return f"ALERTS{{{inner}}}"


def fires(expr: str, at: timedelta) -> dict[str, Any]:
    return {
        "expr": f"count({expr})",
        "eval_time": f"{int(at.total_seconds())}s",
        "exp_samples": [{"labels": "{}", "value": 1}],
    }


def never(expr: str, until: timedelta) -> dict[str, Any]:
    return {
        "expr": f"max_over_time(({expr})[{int(until.total_seconds())}s:30s])",
        "eval_time": f"{int(until.total_seconds())}s",
        "exp_samples": [],
    }


def outage_bound(cat: Catalog, slo: str) -> timedelta:
    """The plan's time to detect a total outage, plus one base window, a scrape and two evaluations."""
    service = cat.services[0]
    plan = slo_plan(cat, service, next(s for s in service.slos if s.name == slo))
    ttd = plan.time_to_detect(C.SEVERITY_PAGE, 1.0)
    assert ttd is not None
    return ttd + base_window(cat) + timedelta(seconds=SCRAPE) + 2 * EVAL


def _up(e: Exporter, end: timedelta, labels: Labels | None = None) -> list[dict[str, str]]:
    if not e.has_up:
        return []
    n = int(end.total_seconds()) // SCRAPE + 2
    job = {"orders": "orders"}.get(e.service, e.service)
    inner = ",".join(
        f'{k}="{v}"' for k, v in sorted({"job": job, "instance": f"{job}-1:8080", **(labels or {})}.items())
    )
    return [{"series": f"up{{{inner}}}", "values": f"1x{n}"}]


def scenario(
    name: str,
    streams: list[Stream],
    end: timedelta,
    checks: list[dict[str, Any]],
    e: Exporter,
    up_labels: Labels | None = None,
) -> dict[str, Any]:
    return {
        "name": f"{e.preset}: {name}",
        "interval": f"{SCRAPE}s",
        "input_series": _up(e, end, up_labels) + write(streams, end),
        "promql_expr_test": checks,
    }


def scenarios(e: Exporter, cat: Catalog) -> list[dict[str, Any]]:
    s = e.stream
    svc = e.service
    bound = outage_bound(cat, "availability")
    end = WARM + bound
    page = {"alertname": C.ALERT_SLO_BURN, "service": svc, "severity": C.SEVERITY_PAGE}
    long_end = WARM + timedelta(hours=1)
    healthy = [*s("ok", "mine", "/", {}, PER_SCRAPE, PER_SCRAPE), *s("client", "mine", "/", {}, 5, 5)]
    return [
        scenario(
            "a total outage pages within the workbook bound",
            [*s("ok", "mine", "/", {}, PER_SCRAPE, 0), *s("error", "mine", "/", {}, 0, PER_SCRAPE)],
            end,
            [never(_alerts(**page), WARM - EVAL), fires(_alerts(**page, slo="availability"), end)],
            e,
        ),
        scenario(
            "healthy traffic with client errors stays silent",
            healthy,
            long_end,
            [never(_alerts(service=svc), long_end)],
            e,
        ),
        scenario(
            "client errors alone never count",
            [*s("ok", "mine", "/", {}, PER_SCRAPE, 0), *s("client", "mine", "/", {}, 0, PER_SCRAPE)],
            long_end,
            [never(_alerts(service=svc), long_end)],
            e,
        ),
        scenario(
            "another service behind the same job or proxy failing never pages this one",
            [
                *healthy,
                *s("ok", "other", "/", {}, PER_SCRAPE, 0),
                *s("error", "other", "/", {}, 0, PER_SCRAPE),
            ],
            long_end,
            [never(_alerts(service=svc), long_end)],
            e,
        ),
        scenario(
            "a per-endpoint SLO pages when only that endpoint fails",
            [
                *s("ok", "mine", "/", {}, 100 * PER_SCRAPE, 100 * PER_SCRAPE),
                *s("ok", "mine", "/checkout", {}, PER_SCRAPE, 0),
                *s("error", "mine", "/checkout", {}, 0, PER_SCRAPE),
            ],
            WARM + outage_bound(cat, "endpoint"),
            [
                fires(_alerts(**page, slo="endpoint"), WARM + outage_bound(cat, "endpoint")),
                never(_alerts(**page, slo="availability"), WARM + outage_bound(cat, "endpoint")),
            ],
            e,
        ),
    ]


def group_scenario(e: Exporter) -> dict[str, Any]:
    cat = catalog(e, group_by="group_by: [cluster]")
    bound = outage_bound(cat, "availability")
    end = WARM + bound
    s = e.stream
    page = {
        "alertname": C.ALERT_SLO_BURN,
        "service": e.service,
        "severity": C.SEVERITY_PAGE,
        "slo": "availability",
    }
    streams = [
        *s("ok", "mine", "/", {"cluster": "c1"}, 100 * PER_SCRAPE, 100 * PER_SCRAPE),
        *s("ok", "mine", "/", {"cluster": "c3"}, PER_SCRAPE, 0),
        *s("error", "mine", "/", {"cluster": "c3"}, 0, PER_SCRAPE),
    ]
    return scenario(
        "one failing group of a group_by service pages with its label",
        streams,
        end,
        [fires(_alerts(**page, cluster="c3"), end), never(_alerts(**page, cluster="c1"), end)],
        e,
        up_labels={"cluster": "c1"},
    )


def _run(tmp: Path, cat: Catalog, tests: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    for rel, data in generate(cat).items():
        if rel.startswith("alerts/") and rel.count("/") == 1:
            (tmp / "alerts").mkdir(exist_ok=True)
            (tmp / rel).write_bytes(data)
    rules = sorted(str(p) for p in (tmp / "alerts").glob("*.yaml"))
    test_file = tmp / "tests.yaml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": rules, "evaluation_interval": "30s", "tests": tests}, sort_keys=False)
    )
    return subprocess.run(
        ["promtool", "test", "rules", str(test_file)], capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("e", EXPORTERS, ids=[e.preset for e in EXPORTERS])
def test_preset_alerts_on_the_exporters_real_series(e: Exporter, tmp_path: Path) -> None:
    require_binary("promtool", "prometheus")
    cat = catalog(e)
    (tmp_path / "plain").mkdir()
    run = _run(tmp_path / "plain", cat, scenarios(e, cat))
    assert run.returncode == 0, run.stdout + run.stderr
    (tmp_path / "grouped").mkdir()
    grouped = _run(tmp_path / "grouped", catalog(e, group_by="group_by: [cluster]"), [group_scenario(e)])
    assert grouped.returncode == 0, grouped.stdout + grouped.stderr


def test_a_millisecond_histogram_threshold_selects_its_own_bucket(tmp_path: Path) -> None:
    """Istio: threshold 250ms is le="250"; requests of 200 ms are good, of 300 ms bad."""
    require_binary("promtool", "prometheus")
    e = EXPORTERS[3]
    cat = catalog(e, extra_slos="latency: {kind: latency, objective: 99, threshold: 250ms}")
    end = WARM + outage_bound(cat, "latency")
    page = {
        "alertname": C.ALERT_SLO_BURN,
        "service": "ratings",
        "severity": C.SEVERITY_PAGE,
        "slo": "latency",
    }
    fast = istio("ok", "mine", "/", {}, PER_SCRAPE, PER_SCRAPE, duration_ms=200)
    slow = [
        *istio("ok", "mine", "/", {}, PER_SCRAPE, 0, duration_ms=200),
        *istio("ok", "mine", "/", {}, 0, PER_SCRAPE, duration_ms=300),
    ]
    tests = [
        scenario("200 ms requests meet a 250ms threshold", fast, end, [never(_alerts(**page), end)], e),
        scenario("300 ms requests page a 250ms threshold", slow, end, [fires(_alerts(**page), end)], e),
    ]
    run = _run(tmp_path, cat, tests)
    assert run.returncode == 0, run.stdout + run.stderr


# --- A group gone from service discovery -------------------------------------------------------

Spans = list[tuple[bool, timedelta]]


def _spans(spans: Spans, per_scrape: float | None) -> str:
    """Values over consecutive spans, each present (a counter restarting at 0, or the gauge 1 when
    ``per_scrape`` is None) or gone (a staleness marker, then no sample; nothing before a first span)."""
    parts: list[str] = []
    for i, (present, span) in enumerate(spans):
        n = int(span.total_seconds()) // SCRAPE
        if present:
            parts.append("1" if per_scrape is None else f"0+{per_scrape:g}")
            parts[-1] += f"x{n - 1}"
        else:
            parts.append(f"_x{n}" if i == 0 else f"stale _x{n - 1}")
    return " ".join(parts)


def _per_scrape(streams: list[Stream]) -> dict[str, float]:
    """Each series of the streams and its increment per scrape (``before`` traffic)."""
    out: dict[str, float] = {}
    for s in streams:
        if not s.buckets:
            out[_sel(s.metric, s.labels)] = s.before
            continue
        for le in [*s.buckets, float("inf")]:
            le_text = "+Inf" if le == float("inf") else f"{le:g}"
            out[_sel(s.metric + "_bucket", {**s.labels, "le": le_text})] = s.before * (s.duration <= le)
        out[_sel(s.metric + "_count", s.labels)] = s.before
        out[_sel(s.metric + "_sum", s.labels)] = s.before * s.duration
    return out


def _cluster(cluster: str, spans: Spans) -> list[dict[str, str]]:
    """Two starlette_exporter targets of job api in ``cluster`` (a target label, as Kubernetes
    relabelling or file_sd labels set it): ``up`` and healthy request series, present or gone."""
    out = []
    for i in (1, 2):
        target = {"job": "api", "instance": f"10.0.{cluster[1:]}.{i}:8000", "cluster": cluster}
        out.append({"series": _sel("up", target), "values": _spans(spans, None)})
        streams = [
            *starlette("ok", "mine", "/", target, PER_SCRAPE, PER_SCRAPE),
            *starlette("client", "mine", "/", target, 5, 5),
        ]
        out += [{"series": k, "values": _spans(spans, v)} for k, v in sorted(_per_scrape(streams).items())]
    return out


def _gone_test(name: str, series: list[dict[str, str]], checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "interval": f"{SCRAPE}s", "input_series": series, "promql_expr_test": checks}


def test_a_cluster_gone_from_discovery_pages_with_its_label_and_resolves(tmp_path: Path) -> None:
    """group_by: [cluster]: cluster c3 leaves service discovery while c1 stays: ServiceGroupGone pages
    with cluster="c3" within the targets-down bound (nothing else fires; a cluster that appears
    later never does), resolves when c3 returns, and resolves on its own once c3 has been gone
    for the rule's window (a group removed on purpose)."""
    require_binary("promtool", "prometheus")
    cat = catalog(EXPORTERS[5], group_by="group_by: [cluster]")
    wait = timedelta(seconds=3 * SCRAPE)  # policy.TARGETS_DOWN_SCRAPES scrapes
    bound = wait + timedelta(seconds=SCRAPE) + 2 * EVAL  # staleness at the next scrape, two evaluations
    window = rules.GROUP_GONE_WINDOW
    gone = {"alertname": C.ALERT_GROUP_GONE, "service": "api"}
    back_at, end = WARM + timedelta(minutes=20), WARM + timedelta(minutes=40)
    returns = [
        *_cluster("c1", [(True, end + 2 * EVAL)]),
        *_cluster("c3", [(True, WARM), (False, back_at - WARM), (True, end - back_at + 2 * EVAL)]),
        *_cluster("c4", [(False, WARM / 2), (True, end - WARM / 2 + 2 * EVAL)]),
    ]
    left_at = timedelta(minutes=15)
    long_end = left_at + window + timedelta(minutes=5)
    stays_gone = [
        *_cluster("c1", [(True, long_end + 2 * EVAL)]),
        *_cluster("c3", [(True, left_at), (False, long_end - left_at + 2 * EVAL)]),
    ]
    tests = [
        _gone_test(
            "starlette-exporter: a cluster gone from discovery pages with its label, then resolves "
            "when it returns",
            returns,
            [
                never(_alerts(**gone), WARM - EVAL),
                fires(_alerts(**gone, cluster="c3", severity=C.SEVERITY_PAGE), WARM + bound),
                never(_alerts(**gone, cluster="c1"), end),
                never(_alerts(**gone, cluster="c4"), end),
                never(_alerts(alertname=C.ALERT_SERVICE_ABSENT), end),
                never(_alerts(alertname=C.ALERT_SLO_BURN), end),
                {"expr": _alerts(**gone), "eval_time": f"{int(end.total_seconds())}s", "exp_samples": []},
            ],
        ),
        _gone_test(
            "starlette-exporter: a cluster gone for longer than the window counts as removed",
            stays_gone,
            [
                fires(_alerts(**gone, cluster="c3"), left_at + window - timedelta(minutes=5)),
                {
                    "expr": _alerts(**gone),
                    "eval_time": f"{int(long_end.total_seconds())}s",
                    "exp_samples": [],
                },
            ],
        ),
    ]
    run = _run(tmp_path, cat, tests)
    assert run.returncode == 0, run.stdout + run.stderr
