"""The contract between obsgen and the services it observes, shared with ``obsgen.instrument``.

Metric and label names the instrumentation library exports (and the ``obsgen`` source preset
reads), the HTTP surface of an instrumented service, its environment variables and the fields
of its JSON log lines.  Changing a name here changes what services export: it is a contract.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCESS_LOGGER",
    "ACCESS_LOG_FIELDS",
    "ACCESS_LOG_MESSAGE",
    "BUCKET_SUFFIX",
    "CONTAINER_LISTEN_HOST",
    "COUNT_SUFFIX",
    "DEFAULT_BUCKETS",
    "DEFAULT_ENVIRONMENT",
    "DEFAULT_FLUENTD_PORT",
    "DEFAULT_HOST",
    "DEFAULT_LOG_LEVEL",
    "DEFAULT_PORT",
    "DEFAULT_SERVICE_NAME",
    "DEFAULT_SHUTDOWN_DELAY_SECONDS",
    "DEFAULT_SHUTDOWN_GRACE_SECONDS",
    "DROP_REASON_FLUENTD_UNAVAILABLE",
    "DROP_REASON_QUEUE_FULL",
    "DURATION_LABELS",
    "ENV_ENVIRONMENT",
    "ENV_FLUENTD_HOST",
    "ENV_FLUENTD_PORT",
    "ENV_HOST",
    "ENV_LOG_LEVEL",
    "ENV_PORT",
    "ENV_SERVICE_NAME",
    "ENV_SHUTDOWN_DELAY",
    "ENV_SHUTDOWN_GRACE",
    "FLUENTD_TAG_PREFIX",
    "LABEL_CODE",
    "LABEL_INSTANCE",
    "LABEL_JOB",
    "LABEL_LE",
    "LABEL_METHOD",
    "LABEL_REASON",
    "LABEL_ROUTE",
    "LABEL_STATE",
    "LIFECYCLE_STATE",
    "LIFECYCLE_STATES",
    "LIVENESS_PATH",
    "LOG_DURATION_MS",
    "LOG_ENVIRONMENT",
    "LOG_ERROR_CODE",
    "LOG_EXCEPTION",
    "LOG_LEVELS",
    "LOG_LEVEL_FIELD",
    "LOG_LOGGER",
    "LOG_MESSAGE",
    "LOG_METHOD",
    "LOG_RECORDS_DROPPED_TOTAL",
    "LOG_REQUEST_ID",
    "LOG_RETRIES",
    "LOG_ROUTE",
    "LOG_SERVICE",
    "LOG_STATUS",
    "LOG_TEAM",
    "LOG_TIME",
    "LOG_URL",
    "METRICS_PATH",
    "READINESS_PATH",
    "REQUESTS_IN_FLIGHT",
    "REQUESTS_TOTAL",
    "REQUEST_DURATION_SECONDS",
    "REQUEST_ID_HEADER",
    "REQUEST_LABELS",
    "SUM_SUFFIX",
    "UNCOUNTED_PATHS",
    "UNMATCHED_ROUTE",
]

DEFAULT_LOG_LEVEL: Final = "info"
LOG_LEVELS: Final = ("debug", "info", "warning", "error", "critical")
REQUESTS_TOTAL: Final = "http_requests_total"
REQUEST_DURATION_SECONDS: Final = "http_request_duration_seconds"
#: The counter the client library exposes for a histogram: ``<name>_bucket`` etc.
BUCKET_SUFFIX: Final = "_bucket"
COUNT_SUFFIX: Final = "_count"
SUM_SUFFIX: Final = "_sum"
#: Log records dropped because the Fluentd buffer was full or Fluentd was down.
LOG_RECORDS_DROPPED_TOTAL: Final = "obsgen_log_records_dropped_total"
#: 1 for the lifecycle state the process is in, 0 for the others.
LIFECYCLE_STATE: Final = "obsgen_lifecycle_state"
#: Requests being served right now (saturation of a service).
REQUESTS_IN_FLIGHT: Final = "http_requests_in_flight"
LABEL_JOB: Final = "job"
LABEL_INSTANCE: Final = "instance"
LABEL_METHOD: Final = "method"
LABEL_ROUTE: Final = "route"
LABEL_CODE: Final = "code"
LABEL_LE: Final = "le"
LABEL_STATE: Final = "state"
LABEL_REASON: Final = "reason"
REQUEST_LABELS: Final = (LABEL_METHOD, LABEL_ROUTE, LABEL_CODE)
DURATION_LABELS: Final = (LABEL_METHOD, LABEL_ROUTE)
#: prometheus-client's default histogram buckets (seconds).
DEFAULT_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
#: Route label value for requests that matched no route (bounded cardinality).
UNMATCHED_ROUTE: Final = "<unmatched>"
LIVENESS_PATH: Final = "/healthz"
READINESS_PATH: Final = "/ready"
METRICS_PATH: Final = "/metrics"
#: Requests to these paths are not client experience: never counted in RED.
UNCOUNTED_PATHS: Final = frozenset({LIVENESS_PATH, READINESS_PATH, METRICS_PATH})
REQUEST_ID_HEADER: Final = "X-Request-ID"
DEFAULT_PORT: Final = 8000
LIFECYCLE_STATES: Final = ("starting", "ready", "reloading", "draining")
# Environment variables (12-factor III: config from the environment).
ENV_PORT: Final = "PORT"
#: Address to listen on: loopback by default (nothing exposed by accident on a workstation);
#: containers set 0.0.0.0 (the demo's Dockerfile does).
ENV_HOST: Final = "HOST"
DEFAULT_HOST: Final = "127.0.0.1"
CONTAINER_LISTEN_HOST: Final = "0.0.0.0"
ENV_LOG_LEVEL: Final = "LOG_LEVEL"
ENV_SERVICE_NAME: Final = "SERVICE_NAME"
ENV_ENVIRONMENT: Final = "ENVIRONMENT"
ENV_FLUENTD_HOST: Final = "FLUENTD_HOST"
ENV_FLUENTD_PORT: Final = "FLUENTD_PORT"
ENV_SHUTDOWN_DELAY: Final = "SHUTDOWN_DELAY_SECONDS"
ENV_SHUTDOWN_GRACE: Final = "SHUTDOWN_GRACE_SECONDS"
DEFAULT_SHUTDOWN_DELAY_SECONDS: Final = 5.0
DEFAULT_SHUTDOWN_GRACE_SECONDS: Final = 30.0
LOG_TIME: Final = "ts"
LOG_LEVEL_FIELD: Final = "level"
LOG_MESSAGE: Final = "msg"
LOG_LOGGER: Final = "logger"
LOG_SERVICE: Final = "service"
LOG_ENVIRONMENT: Final = "env"
LOG_TEAM: Final = "team"
LOG_METHOD: Final = "method"
LOG_ROUTE: Final = "route"
LOG_URL: Final = "url"
LOG_STATUS: Final = "status"
LOG_DURATION_MS: Final = "duration_ms"
LOG_REQUEST_ID: Final = "request_id"
LOG_RETRIES: Final = "retries"
LOG_ERROR_CODE: Final = "error_code"
#: Fields every access-log line carries.
ACCESS_LOG_FIELDS: Final = (
    LOG_TIME,
    LOG_LEVEL_FIELD,
    LOG_MESSAGE,
    LOG_SERVICE,
    LOG_METHOD,
    LOG_ROUTE,
    LOG_URL,
    LOG_STATUS,
    LOG_DURATION_MS,
    LOG_REQUEST_ID,
)
FLUENTD_TAG_PREFIX: Final = "obsgen"
#: Log field carrying a formatted traceback (one line of JSON, never multi-line text).
LOG_EXCEPTION: Final = "exception"
#: Logger name of the one-line-per-request access log.
ACCESS_LOGGER: Final = "obsgen.access"
#: Message of an access-log line.
ACCESS_LOG_MESSAGE: Final = "request"
#: ``reason`` values of LOG_RECORDS_DROPPED_TOTAL.
DROP_REASON_QUEUE_FULL: Final = "queue_full"
DROP_REASON_FLUENTD_UNAVAILABLE: Final = "fluentd_unavailable"
DEFAULT_FLUENTD_PORT: Final = 24224
DEFAULT_SERVICE_NAME: Final = "demo"
DEFAULT_ENVIRONMENT: Final = "dev"
