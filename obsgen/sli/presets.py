"""Exporter presets: what a service's request metrics look like, as data.

One table per exporter (``services.<s>.source``), each with the exporter's documented metric
names and labels and the source it was checked against.  ``services.<s>.metrics`` overrides
any field.  Nothing here is logic: obsgen.sli.model reads these tables, the catalog resolves
them, generators never see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CodeVocabulary = Literal["http", "http_class", "grpc"]
DurationUnit = Literal["seconds", "milliseconds"]

#: gRPC status code names as go-grpc-prometheus writes them (codes.Code.String()).
GRPC_CODES: tuple[str, ...] = (
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
)
#: Every HTTP status a server may send.
HTTP_CODES: tuple[str, ...] = tuple(str(c) for c in range(100, 600))
#: prometheus-fastapi-instrumentator's status groups (should_group_status_codes=True, its default).
HTTP_CLASSES: tuple[str, ...] = ("1xx", "2xx", "3xx", "4xx", "5xx")

#: prometheus-client (Python) Histogram.DEFAULT_BUCKETS, without +Inf.
PYTHON_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
#: client_golang prometheus.DefBuckets.
GO_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Preset:
    name: str
    #: Counter of all requests (may be a histogram's ``_count``).
    requests: str
    #: Histogram base name (``<name>_bucket``/``_count``/``_sum``), or None when there is none.
    duration: str | None
    status_label: str
    route_label: str | None
    duration_unit: DurationUnit
    buckets: tuple[float, ...]
    codes: CodeVocabulary
    #: Codes of requests that succeeded; error_codes must match none of them.  The first is the
    #: code of healthy synthetic traffic.
    success_codes: tuple[str, ...]
    #: A client error: never an SLO error (used by the generated tests).
    client_error_code: str
    default_error_codes: str
    #: Gauge of requests in flight, or None.
    in_flight: str | None
    #: The service has scrape targets of its own (an ``up`` series); edge proxies do not.
    has_up: bool
    #: The histogram carries the status/route labels as well as the counter.
    histogram_has_status: bool
    histogram_has_route: bool
    #: Labels every series of the exporter carries with a fixed value in the synthetic tests.
    fixed_labels: tuple[tuple[str, str], ...] = ()
    #: Matchers the preset always adds to the service's selector (e.g. Istio's reporter).
    base_matchers: tuple[tuple[str, str, str], ...] = ()
    #: The catalog must name the service with a selector (a shared job carries many services).
    needs_selector: bool = False
    source_url: str = ""
    notes: tuple[str, ...] = field(default=())


HTTP_SUCCESS = ("200", "201", "202", "204", "301", "302", "304")

PRESETS: dict[str, Preset] = {
    # obsgen's own instrumentation (obsgen/instrument/metrics.py).
    "obsgen": Preset(
        name="obsgen",
        requests="http_requests_total",
        duration="http_request_duration_seconds",
        status_label="code",
        route_label="route",
        duration_unit="seconds",
        buckets=PYTHON_DEFAULT_BUCKETS,
        codes="http",
        success_codes=HTTP_SUCCESS,
        client_error_code="404",
        default_error_codes="5..",
        in_flight="http_requests_in_flight",
        has_up=True,
        histogram_has_status=False,
        histogram_has_route=True,
        fixed_labels=(("method", "GET"),),
    ),
    # Micrometer / Spring Boot Actuator: a Timer `http.server.requests` -> http_server_requests_seconds
    # {application?, exception, method, outcome, status, uri} with _count, _sum, _max; _bucket only with
    # management.metrics.distribution.percentiles-histogram or .slo set (no separate counter).
    # Source: micrometer-metrics/micrometer PrometheusMeterRegistry, spring-boot
    # DefaultServerRequestObservationConvention (status, uri, outcome, exception, method).
    "micrometer": Preset(
        name="micrometer",
        requests="http_server_requests_seconds_count",
        duration="http_server_requests_seconds",
        status_label="status",
        route_label="uri",
        duration_unit="seconds",
        buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        codes="http",
        success_codes=HTTP_SUCCESS,
        client_error_code="404",
        default_error_codes="5..",
        in_flight=None,
        has_up=True,
        histogram_has_status=True,
        histogram_has_route=True,
        fixed_labels=(("method", "GET"), ("exception", "none"), ("outcome", "SUCCESS")),
        source_url="https://docs.spring.io/spring-boot/reference/actuator/metrics.html",
        notes=(
            "buckets: Micrometer's percentile-histogram boundaries are not round numbers; set "
            "management.metrics.distribution.slo.http.server.requests to the boundaries listed here",
        ),
    ),
    # Traefik v2/v3 with addServicesLabels: traefik_service_requests_total{code, method, protocol, service}
    # and traefik_service_request_duration_seconds{same} (buckets 0.1, 0.3, 1.2, 5).
    # No in-flight gauge: v2's traefik_service_open_connections{method, protocol, service} is gone in
    # v3.0 (traefik/traefik#9656; v3 pkg/observability/metrics/prometheus.go has only
    # traefik_open_connections{entrypoint, protocol}, the whole proxy's, not one service's).
    # Source: doc.traefik.io/traefik/observability/metrics/overview (Service Metrics).
    "traefik": Preset(
        name="traefik",
        requests="traefik_service_requests_total",
        duration="traefik_service_request_duration_seconds",
        status_label="code",
        route_label=None,
        duration_unit="seconds",
        buckets=(0.1, 0.3, 1.2, 5.0),
        codes="http",
        success_codes=HTTP_SUCCESS,
        client_error_code="404",
        default_error_codes="5..",
        in_flight=None,
        has_up=False,
        histogram_has_status=True,
        histogram_has_route=False,
        fixed_labels=(("method", "GET"), ("protocol", "http")),
        needs_selector=True,
        source_url="https://doc.traefik.io/traefik/observability/metrics/overview/",
    ),
    # ingress-nginx: nginx_ingress_controller_requests{controller_class, controller_namespace,
    # controller_pod, host, ingress, method, namespace, path, service, status, canary} and
    # nginx_ingress_controller_request_duration_seconds{same but status too} (prometheus.DefBuckets).
    # Source: kubernetes/ingress-nginx internal/ingress/metric/collectors/socket.go.
    "ingress-nginx": Preset(
        name="ingress-nginx",
        requests="nginx_ingress_controller_requests",
        duration="nginx_ingress_controller_request_duration_seconds",
        status_label="status",
        route_label="path",
        duration_unit="seconds",
        buckets=GO_DEFAULT_BUCKETS,
        codes="http",
        success_codes=HTTP_SUCCESS,
        client_error_code="404",
        default_error_codes="5..",
        in_flight=None,
        has_up=False,
        histogram_has_status=True,
        histogram_has_route=True,
        fixed_labels=(("method", "GET"), ("controller_class", "k8s.io/ingress-nginx")),
        needs_selector=True,
        source_url="https://github.com/kubernetes/ingress-nginx/blob/main/internal/ingress/metric/collectors/socket.go",
    ),
    # Istio standard metrics: istio_requests_total{reporter, response_code, destination_service_name,
    # destination_workload, source_workload, grpc_response_status, ...} and
    # istio_request_duration_milliseconds (milliseconds; buckets below).  Both sides report a request;
    # the preset keeps reporter="destination" so nothing is counted twice.
    # Source: istio.io/latest/docs/reference/config/metrics/ and proxy stats_filter buckets.
    "istio": Preset(
        name="istio",
        requests="istio_requests_total",
        duration="istio_request_duration_milliseconds",
        status_label="response_code",
        route_label=None,
        duration_unit="milliseconds",
        buckets=(
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
        ),
        codes="http",
        success_codes=HTTP_SUCCESS,
        client_error_code="404",
        default_error_codes="5..",
        in_flight=None,
        has_up=False,
        histogram_has_status=True,
        histogram_has_route=False,
        fixed_labels=(("request_protocol", "http"), ("source_workload", "client")),
        base_matchers=(("reporter", "=", "destination"),),
        needs_selector=True,
        source_url="https://istio.io/latest/docs/reference/config/metrics/",
    ),
    # go-grpc-prometheus (and grpc-ecosystem/go-grpc-middleware providers/prometheus):
    # grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code}; the histogram
    # grpc_server_handling_seconds{grpc_type, grpc_service, grpc_method} exists only with
    # EnableHandlingTimeHistogram (prometheus.DefBuckets); no code label on it.
    # Source: grpc-ecosystem/go-grpc-prometheus server_metrics.go.
    "grpc": Preset(
        name="grpc",
        requests="grpc_server_handled_total",
        duration="grpc_server_handling_seconds",
        status_label="grpc_code",
        route_label="grpc_method",
        duration_unit="seconds",
        buckets=GO_DEFAULT_BUCKETS,
        codes="grpc",
        success_codes=("OK",),
        client_error_code="NotFound",
        default_error_codes="Unknown|DeadlineExceeded|Internal|Unavailable|DataLoss",
        in_flight=None,
        has_up=True,
        histogram_has_status=False,
        histogram_has_route=True,
        fixed_labels=(("grpc_type", "unary"), ("grpc_service", "test.v1.Service")),
        source_url="https://github.com/grpc-ecosystem/go-grpc-prometheus/blob/master/server_metrics.go",
    ),
    # starlette_exporter: starlette_requests_total{method, path, status_code, app_name?} and
    # starlette_request_duration_seconds{same} (prometheus-client default buckets);
    # starlette_requests_in_progress{method, app_name?}.
    # Source: stephenhillier/starlette_exporter README and middleware.py.
    "starlette-exporter": Preset(
        name="starlette-exporter",
        requests="starlette_requests_total",
        duration="starlette_request_duration_seconds",
        status_label="status_code",
        route_label="path",
        duration_unit="seconds",
        buckets=PYTHON_DEFAULT_BUCKETS,
        codes="http",
        success_codes=HTTP_SUCCESS,
        client_error_code="404",
        default_error_codes="5..",
        in_flight="starlette_requests_in_progress",
        has_up=True,
        histogram_has_status=True,
        histogram_has_route=True,
        fixed_labels=(("method", "GET"),),
        source_url="https://github.com/stephenhillier/starlette_exporter",
    ),
    # prometheus-fastapi-instrumentator (metrics.default()): http_requests_total{handler, method, status}
    # with status grouped as "2xx".."5xx" by default (should_group_status_codes=True);
    # http_request_duration_seconds{handler, method} (buckets 0.1, 0.5, 1); the label-less
    # http_request_duration_highr_seconds has fine buckets but no handler.  No in-progress gauge
    # unless should_instrument_requests_inprogress.
    # Source: trallnag/prometheus-fastapi-instrumentator instrumentation.py and metrics.py.
    "prometheus-fastapi-instrumentator": Preset(
        name="prometheus-fastapi-instrumentator",
        requests="http_requests_total",
        duration="http_request_duration_seconds",
        status_label="status",
        route_label="handler",
        duration_unit="seconds",
        buckets=(0.1, 0.5, 1.0),
        codes="http_class",
        success_codes=("2xx", "3xx", *HTTP_SUCCESS),
        client_error_code="4xx",
        default_error_codes="5xx",
        in_flight=None,
        has_up=True,
        histogram_has_status=False,
        histogram_has_route=True,
        fixed_labels=(("method", "GET"),),
        source_url="https://github.com/trallnag/prometheus-fastapi-instrumentator",
    ),
}

DEFAULT_PRESET = "obsgen"


def vocabulary(codes: CodeVocabulary) -> tuple[str, ...]:
    """Every value the status label can take."""
    if codes == "grpc":
        return GRPC_CODES
    if codes == "http_class":
        return HTTP_CLASSES + HTTP_CODES
    return HTTP_CODES
