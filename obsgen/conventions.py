"""Every name obsgen uses, in one place.

The instrumentation library (``obsgen.instrument``) and every generator import
their metric names, label names, recording-rule names, alert names, file paths
and dashboard uids from here, so dashboards and alerts cannot drift from the
metrics a service actually exports.  Nothing else in the package spells one of
these names as a literal.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

# --- Catalog ---------------------------------------------------------------

API_VERSION: Final = "obsgen/v1"
DEFAULT_CATALOG_FILE: Final = "catalog.yaml"
#: Names of teams, services, SLOs, resources and environments.
NAME_PATTERN: Final = r"^[a-z][a-z0-9-]*$"
NAME_MAX_LENGTH: Final = 63
DEFAULT_SLO_PERIOD: Final = "28d"
DEFAULT_ERROR_CODES: Final = "5.."
DEFAULT_GRAFANA_URL: Final = "http://localhost:3000"
DEFAULT_SCRAPE_INTERVAL: Final = "15s"
DEFAULT_EVALUATION_INTERVAL: Final = "30s"
DEFAULT_LOG_LEVEL: Final = "info"
LOG_LEVELS: Final = ("debug", "info", "warning", "error", "critical")

# --- Metrics the instrumentation library exports ----------------------------
# Prometheus naming conventions: https://prometheus.io/docs/practices/naming/

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
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)

#: Route label value for requests that matched no route (bounded cardinality).
UNMATCHED_ROUTE: Final = "<unmatched>"

# --- HTTP surface of an instrumented service ---------------------------------

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

# --- Structured log fields (one JSON object per line) ------------------------

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
#: The demo's model version on each /predict line (a catalog logs.field of the demo).
LOG_MODEL_VERSION: Final = "model_version"
#: Fields every access-log line carries.
ACCESS_LOG_FIELDS: Final = (
    LOG_TIME, LOG_LEVEL_FIELD, LOG_MESSAGE, LOG_SERVICE, LOG_METHOD, LOG_ROUTE,
    LOG_URL, LOG_STATUS, LOG_DURATION_MS, LOG_REQUEST_ID,
)
#: Loki stream labels: low cardinality by construction (never ids or URLs).
LOKI_STREAM_LABELS: Final = (LOG_SERVICE, LOG_ENVIRONMENT, LOG_LEVEL_FIELD)
FLUENTD_TAG_PREFIX: Final = "obsgen"

# --- Recording rules (level:metric:operations) --------------------------------
# https://prometheus.io/docs/practices/rules/#naming-and-aggregation

LABEL_SERVICE: Final = "service"
LABEL_SLO: Final = "slo"
LABEL_TEAM: Final = "team"
LABEL_SEVERITY: Final = "severity"
LABEL_WINDOW: Final = "window"
SEVERITY_PAGE: Final = "page"
SEVERITY_TICKET: Final = "ticket"


def sli_errors_record(window: str) -> str:
    """Per-second rate of bad events of an SLI over ``window``."""
    return f"slo:sli_errors:rate{window}"


def sli_requests_record(window: str) -> str:
    """Per-second rate of all events of an SLI over ``window``."""
    return f"slo:sli_requests:rate{window}"


def sli_error_ratio_record(window: str) -> str:
    """Error ratio of an SLI over ``window`` (bad events / all events)."""
    return f"slo:sli_error:ratio_rate{window}"


#: Service-level RED recordings used by dashboards.
SERVICE_REQUESTS_RATE_RECORD: Final = "service:http_requests:rate5m"

ALERT_SLO_BURN: Final = "SLOErrorBudgetBurn"
ALERT_SERVICE_ABSENT: Final = "ServiceAbsent"
ALERT_TARGETS_DOWN: Final = "ServiceTargetsDown"
ALERT_GROUP_GONE: Final = "ServiceGroupGone"

# --- Generated file layout (relative to --out) --------------------------------

DASHBOARDS_DIR: Final = "dashboards"
ALERTS_DIR: Final = "alerts"
ALERT_TESTS_DIR: Final = "alerts/tests"
STACK_DIR: Final = "stack"
K8S_DIR: Final = "k8s"
MANIFEST_FILE: Final = ".obsgen-manifest.json"
OVERVIEW_DASHBOARD: Final = "overview"
ALERTMANAGER_CONFIG_PATH: Final = "stack/alertmanager/alertmanager.yml"
PROMETHEUS_CONFIG_PATH: Final = "stack/prometheus/prometheus.yml"
GENERATED_HEADER: Final = "Generated by obsgen from the service catalog. Do not edit: change the catalog and run `obsgen generate`."


def service_dashboard_path(service: str) -> str:
    return f"{DASHBOARDS_DIR}/{service}.json"


def use_dashboard_path(resource: str) -> str:
    return f"{DASHBOARDS_DIR}/use-{resource}.json"


def overview_dashboard_path() -> str:
    return f"{DASHBOARDS_DIR}/{OVERVIEW_DASHBOARD}.json"


def alert_rules_path(service: str) -> str:
    return f"{ALERTS_DIR}/{service}.yaml"


def alert_tests_path(service: str) -> str:
    return f"{ALERT_TESTS_DIR}/{service}.yaml"


# --- Grafana -------------------------------------------------------------------

#: Grafana limits dashboard uids to 40 characters.
GRAFANA_UID_MAX: Final = 40
DATASOURCE_PROMETHEUS_UID: Final = "prometheus"
DATASOURCE_ALERTMANAGER_UID: Final = "alertmanager"
DATASOURCE_LOKI_UID: Final = "loki"
DATASOURCE_ELASTICSEARCH_UID: Final = "elasticsearch"
DASHBOARD_TAG: Final = "obsgen"


def dashboard_uid(kind: str, name: str) -> str:
    """A stable Grafana uid for a dashboard, derived from its name only.

    Short names read as themselves (``obsgen-svc-pay``); long ones are cut and
    suffixed with a hash of the full name so two long names never collide.
    """
    uid = f"obsgen-{kind}-{name}"
    if len(uid) <= GRAFANA_UID_MAX:
        return uid
    digest = hashlib.sha256(uid.encode()).hexdigest()[:8]
    return f"{uid[: GRAFANA_UID_MAX - 9]}-{digest}"


def service_dashboard_uid(service: str) -> str:
    return dashboard_uid("svc", service)


def use_dashboard_uid(resource: str) -> str:
    return dashboard_uid("use", resource)


def overview_dashboard_uid() -> str:
    return dashboard_uid("overview", "all")


# --- Kubernetes -------------------------------------------------------------------

K8S_NAME_LABEL: Final = "app.kubernetes.io/name"
K8S_PART_OF_LABEL: Final = "app.kubernetes.io/part-of"
K8S_MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
K8S_MANAGED_BY: Final = "obsgen"
GRAFANA_DASHBOARD_LABEL: Final = "grafana_dashboard"
K8S_METRICS_PORT_NAME: Final = "http"


def le_matcher(boundary: float) -> str:
    """A regex matching every way a client library writes the ``le`` of ``boundary``.

    prometheus-client writes ``1.0`` and ``0.4``; Go's client writes ``1`` and
    ``0.4``.  Matching both keeps a latency SLI working on either.
    """
    text = repr(float(boundary))
    if "e" in text or "inf" in text:
        return re.escape(text)
    whole, frac = text.split(".")
    frac = frac.rstrip("0")
    if not frac:
        return f"{whole}(\\.0+)?"
    return f"{whole}\\.{frac}0*"

# --- Added by the instrumentation library (obsgen.instrument) -------------------

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
#: Demo service settings (python -m obsgen.demo).
ENV_MODEL_LOAD_SECONDS: Final = "MODEL_LOAD_SECONDS"
ENV_ERROR_RATE: Final = "ERROR_RATE"
ENV_EXTRA_LATENCY_MS: Final = "EXTRA_LATENCY_MS"
#: Fault injection (ERROR_RATE, EXTRA_LATENCY_MS, /admin/faults) exists only when this is "enabled":
#: the demo stack and tests set it; generated Kubernetes manifests never do.
ENV_DEMO_FAULTS: Final = "DEMO_FAULTS"
DEMO_FAULTS_ENABLED: Final = "enabled"
DEFAULT_SERVICE_NAME: Final = "demo"
DEFAULT_ENVIRONMENT: Final = "dev"
DEFAULT_MODEL_LOAD_SECONDS: Final = 2.0
#: Paths of the demo service (the talk's liveness example probes port 8000, path /model).
DEMO_PREDICT_PATH: Final = "/predict"
DEMO_MODEL_PATH: Final = "/model"
DEMO_RELOAD_PATH: Final = "/admin/reload"
DEMO_FAULTS_PATH: Final = "/admin/faults"

# --- Added by the dashboards generator (obsgen.generate.dashboards) -------------

#: Elasticsearch index pattern the log pipeline writes to and Grafana reads from.
ES_INDEX_PATTERN: Final = "obsgen-logs-*"
#: Where the Grafana container of the demo stack mounts ``dashboards/``.
GRAFANA_DASHBOARDS_MOUNT: Final = "/var/lib/grafana/dashboards"
#: Where the Grafana container of the demo stack mounts ``stack/grafana/provisioning``.
GRAFANA_PROVISIONING_MOUNT: Final = "/etc/grafana/provisioning"
GRAFANA_PROVISIONING_DIR: Final = "stack/grafana/provisioning"
K8S_DASHBOARDS_DIR: Final = "k8s/dashboards"

# --- Added by the deployment generators (generate.prometheus_config, generate.kubernetes) ---

#: Host names and ports of the demo stack (docker-compose.yml service names).
PROMETHEUS_JOB: Final = "prometheus"
PROMETHEUS_HOST: Final = "prometheus"
PROMETHEUS_PORT: Final = 9090
ALERTMANAGER_HOST: Final = "alertmanager"
ALERTMANAGER_PORT: Final = 9093
WEBHOOK_HOST: Final = "webhook"
WEBHOOK_PORT: Final = 5001
#: Where the stack's local webhook receiver listens (Alertmanager sends here; no Slack needed).
WEBHOOK_URL: Final = f"http://{WEBHOOK_HOST}:{WEBHOOK_PORT}/"
#: Where the Prometheus container of the demo stack mounts its config and ``alerts/``.
PROMETHEUS_CONFIG_MOUNT: Final = "/etc/prometheus/prometheus.yml"
PROMETHEUS_ALERTS_MOUNT: Final = "/etc/prometheus/alerts"
#: Rule files inside ``alerts/`` (the unit tests in ``alerts/tests/`` are not rules).
ALERT_RULES_GLOB: Final = "*.yaml"
ALERTMANAGER_CONFIG_MOUNT: Final = "/etc/alertmanager/alertmanager.yml"
#: Extra environment variable the Kubernetes Secret carries (empty until the user fills it).
ENV_SENTRY_DSN: Final = "SENTRY_DSN"
#: Label on a Kubernetes Service carrying the catalog's Prometheus ``job`` (ServiceMonitor jobLabel).
K8S_JOB_LABEL: Final = "obsgen.dev/job"
K8S_ENVIRONMENT_LABEL: Final = "obsgen.dev/environment"
K8S_PART_OF: Final = "obsgen"
K8S_SERVICEMONITORS_DIR: Final = "k8s/servicemonitors"
K8S_PRIORITY_CLASS: Final = "obsgen-service"
K8S_PRIORITY_CLASS_PATH: Final = "k8s/priorityclass.yaml"
#: Image tag the demo stack builds (``docker compose build``) and the manifests run.
IMAGE_TAG: Final = "0.1.0"
#: Defaults of a service's ``deploy`` block (Kubernetes Deployment).
DEFAULT_CPU: Final = "500m"
DEFAULT_MEMORY: Final = "256Mi"
DEFAULT_PRESTOP_DELAY: Final = "5s"


def k8s_env_dir(environment: str) -> str:
    """Manifests of one catalog environment (its own namespace)."""
    return f"{K8S_DIR}/{environment}"


def k8s_namespace(environment: str) -> str:
    return environment


def k8s_service_manifest_path(environment: str, service: str) -> str:
    return f"{k8s_env_dir(environment)}/{service}.yaml"


def k8s_namespace_path(environment: str) -> str:
    return f"{k8s_env_dir(environment)}/namespace.yaml"


def k8s_servicemonitor_path(service: str) -> str:
    return f"{K8S_SERVICEMONITORS_DIR}/{service}.yaml"


def service_image(service: str) -> str:
    """The image a service's Deployment runs (the demo stack builds ``obsgen-demo``)."""
    return f"obsgen-{service}:{IMAGE_TAG}"
#: Time field of the Elasticsearch log documents (Fluentd's logstash_format writes it).
ES_TIME_FIELD: Final = "@timestamp"
GRAFANA_DATASOURCES_FILE: Final = "stack/grafana/provisioning/datasources/obsgen.yaml"
GRAFANA_DASHBOARD_PROVIDER_FILE: Final = "stack/grafana/provisioning/dashboards/obsgen.yaml"
#: Grafana folder the provisioned dashboards land in.
GRAFANA_FOLDER: Final = "obsgen"
#: Addresses of the demo stack's services, as Grafana reaches them inside compose.
STACK_PROMETHEUS_URL: Final = "http://prometheus:9090"
STACK_ALERTMANAGER_URL: Final = "http://alertmanager:9093"
STACK_LOKI_URL: Final = "http://loki:3100"
STACK_ELASTICSEARCH_URL: Final = "http://elasticsearch:9200"
#: Grafana dashboard template variables.
VAR_DATASOURCE: Final = "datasource"
VAR_INSTANCE: Final = "instance"
#: Label the overview adds to tell services' series apart.
LABEL_CODE_CLASS: Final = "code_class"
#: ``up`` exists for every scrape target: instance variables list its label values.
UP_METRIC: Final = "up"
#: Prometheus' series of pending and firing alerts.
ALERTS_METRIC: Final = "ALERTS"
LABEL_ALERTSTATE: Final = "alertstate"


def team_tag(team: str) -> str:
    """The Grafana dashboard tag of a team's dashboards."""
    return f"team:{team}"


def dashboard_configmap_name(dashboard: str) -> str:
    """Name of the ConfigMap carrying a dashboard for the Grafana sidecar."""
    return f"obsgen-dashboard-{dashboard}"


def dashboard_configmap_path(dashboard: str) -> str:
    return f"{K8S_DASHBOARDS_DIR}/{dashboard}.yaml"


# node_exporter 1.5 (https://github.com/prometheus/node_exporter), for USE dashboards.
NODE_CPU_SECONDS_TOTAL: Final = "node_cpu_seconds_total"
NODE_LOAD1: Final = "node_load1"
NODE_PRESSURE_CPU_WAITING_SECONDS_TOTAL: Final = "node_pressure_cpu_waiting_seconds_total"
NODE_MEMORY_MEMAVAILABLE_BYTES: Final = "node_memory_MemAvailable_bytes"
NODE_MEMORY_MEMTOTAL_BYTES: Final = "node_memory_MemTotal_bytes"
NODE_VMSTAT_PGMAJFAULT: Final = "node_vmstat_pgmajfault"
NODE_VMSTAT_PSWPIN: Final = "node_vmstat_pswpin"
NODE_VMSTAT_PSWPOUT: Final = "node_vmstat_pswpout"
NODE_VMSTAT_OOM_KILL: Final = "node_vmstat_oom_kill"
NODE_EDAC_CORRECTABLE_ERRORS_TOTAL: Final = "node_edac_correctable_errors_total"
NODE_EDAC_UNCORRECTABLE_ERRORS_TOTAL: Final = "node_edac_uncorrectable_errors_total"
NODE_DISK_IO_TIME_SECONDS_TOTAL: Final = "node_disk_io_time_seconds_total"
NODE_DISK_IO_TIME_WEIGHTED_SECONDS_TOTAL: Final = "node_disk_io_time_weighted_seconds_total"
NODE_FILESYSTEM_AVAIL_BYTES: Final = "node_filesystem_avail_bytes"
NODE_FILESYSTEM_SIZE_BYTES: Final = "node_filesystem_size_bytes"
NODE_FILESYSTEM_DEVICE_ERROR: Final = "node_filesystem_device_error"
NODE_NETWORK_RECEIVE_BYTES_TOTAL: Final = "node_network_receive_bytes_total"
NODE_NETWORK_TRANSMIT_BYTES_TOTAL: Final = "node_network_transmit_bytes_total"
NODE_NETWORK_RECEIVE_DROP_TOTAL: Final = "node_network_receive_drop_total"
NODE_NETWORK_TRANSMIT_DROP_TOTAL: Final = "node_network_transmit_drop_total"
NODE_NETWORK_RECEIVE_ERRS_TOTAL: Final = "node_network_receive_errs_total"
NODE_NETWORK_TRANSMIT_ERRS_TOTAL: Final = "node_network_transmit_errs_total"
LABEL_MODE: Final = "mode"
LABEL_DEVICE: Final = "device"
LABEL_MOUNTPOINT: Final = "mountpoint"
LABEL_FSTYPE: Final = "fstype"
NODE_CPU_IDLE_MODE: Final = "idle"
#: Pseudo and in-memory filesystems: their fill level says nothing about disks.
NODE_PSEUDO_FSTYPES: Final = "tmpfs|ramfs|rootfs|squashfs|overlay|nsfs|fuse.*"
NODE_LOOPBACK_DEVICE: Final = "lo"

# cAdvisor (https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md).
CONTAINER_CPU_USAGE_SECONDS_TOTAL: Final = "container_cpu_usage_seconds_total"
CONTAINER_CPU_CFS_PERIODS_TOTAL: Final = "container_cpu_cfs_periods_total"
CONTAINER_CPU_CFS_THROTTLED_PERIODS_TOTAL: Final = "container_cpu_cfs_throttled_periods_total"
CONTAINER_MEMORY_WORKING_SET_BYTES: Final = "container_memory_working_set_bytes"
CONTAINER_SPEC_MEMORY_LIMIT_BYTES: Final = "container_spec_memory_limit_bytes"
CONTAINER_MEMORY_FAILURES_TOTAL: Final = "container_memory_failures_total"
CONTAINER_OOM_EVENTS_TOTAL: Final = "container_oom_events_total"
CONTAINER_FS_READS_BYTES_TOTAL: Final = "container_fs_reads_bytes_total"
CONTAINER_FS_WRITES_BYTES_TOTAL: Final = "container_fs_writes_bytes_total"
CONTAINER_FS_IO_TIME_WEIGHTED_SECONDS_TOTAL: Final = "container_fs_io_time_weighted_seconds_total"
CONTAINER_NETWORK_RECEIVE_BYTES_TOTAL: Final = "container_network_receive_bytes_total"
CONTAINER_NETWORK_TRANSMIT_BYTES_TOTAL: Final = "container_network_transmit_bytes_total"
CONTAINER_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL: Final = "container_network_receive_packets_dropped_total"
CONTAINER_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL: Final = "container_network_transmit_packets_dropped_total"
CONTAINER_NETWORK_RECEIVE_ERRORS_TOTAL: Final = "container_network_receive_errors_total"
CONTAINER_NETWORK_TRANSMIT_ERRORS_TOTAL: Final = "container_network_transmit_errors_total"
#: Standalone cAdvisor names containers in ``name``; the kubelet's in ``container``.
CADVISOR_NAME_LABEL: Final = "name"
CADVISOR_CONTAINER_LABEL: Final = "container"
#: Only real containers carry ``image``; cgroup aggregates (/, /system.slice) do not.
CADVISOR_IMAGE_LABEL: Final = "image"
LABEL_FAILURE_TYPE: Final = "failure_type"
CADVISOR_PGMAJFAULT: Final = "pgmajfault"

# --- Added for alerting (obsgen.generate.alerting) ---------------------------------
LABEL_ALERTNAME: Final = "alertname"
K8S_PROMETHEUSRULES_DIR: Final = "k8s/prometheusrules"
#: Alertmanager receiver of the demo stack's webhook (WEBHOOK_URL); every alert reaches it.
DEMO_WEBHOOK_RECEIVER: Final = "demo-webhook"
#: Root receiver outside the demo: alerts of no known team (every generated alert carries a team).
UNROUTED_RECEIVER: Final = "unrouted"
#: Where Alertmanager reads receiver secrets at runtime (mounted, never generated).
ALERTMANAGER_SECRETS_DIR: Final = "/etc/alertmanager/secrets"


def slo_rule_group(service: str, speed: str) -> str:
    """Rule group of a service's SLO rules: ``speed`` is ``fast`` (pages) or ``slow`` (tickets)."""
    return f"obsgen-{service}-slo-{speed}"


def targets_rule_group(service: str) -> str:
    return f"obsgen-{service}-targets"


def k8s_prometheusrule_path(service: str) -> str:
    return f"{K8S_PROMETHEUSRULES_DIR}/{service}.yaml"


def k8s_prometheusrule_name(service: str) -> str:
    return f"obsgen-{service}-alerts"


def alert_receiver(team: str, severity: str) -> str:
    """Alertmanager receiver of a team's alerts of one severity."""
    return f"{team}-{severity}"


def slack_url_file(team: str) -> str:
    return f"{ALERTMANAGER_SECRETS_DIR}/{team}-slack-url"


def pagerduty_key_file(pagerduty_service: str) -> str:
    return f"{ALERTMANAGER_SECRETS_DIR}/pagerduty-{pagerduty_service}-routing-key"

# --- Added by the log pipeline generators (obsgen.generate.logging) ----------------

#: The docker ``fluentd`` logging driver puts a container's stdout line under this key.
LOG_DOCKER_LINE: Final = "log"
#: Metadata the docker ``fluentd`` logging driver adds to every record.
LOG_CONTAINER_ID: Final = "container_id"
LOG_CONTAINER_NAME: Final = "container_name"
LOG_STREAM_SOURCE: Final = "source"
#: Stream-label value for a service, environment or level outside the catalog's sets.
LOG_LABEL_UNKNOWN: Final = "unknown"
#: Elasticsearch: daily indices ``obsgen-logs-YYYY.MM.DD`` (matched by ES_INDEX_PATTERN).
ES_INDEX_PREFIX: Final = "obsgen-logs"
ES_INDEX_TEMPLATE_NAME: Final = "obsgen-logs"
ES_ILM_POLICY_NAME: Final = "obsgen-logs"
FLUENTD_FORWARD_PORT: Final = DEFAULT_FLUENTD_PORT
#: Generated files of the log pipeline (relative to --out).
FLUENTD_CONFIG_PATH: Final = "stack/fluentd/fluent.conf"
FLUENTD_DOCKERFILE_PATH: Final = "stack/fluentd/Dockerfile"
LOKI_CONFIG_PATH: Final = "stack/loki/loki.yaml"
ES_INDEX_TEMPLATE_PATH: Final = "stack/elasticsearch/index-template.json"
ES_ILM_POLICY_PATH: Final = "stack/elasticsearch/ilm-policy.json"
#: Where the Fluentd container mounts stack/fluentd, stack/elasticsearch and its buffer volume.
FLUENTD_CONFIG_MOUNT: Final = "/fluentd/etc"
FLUENTD_ES_MOUNT: Final = "/fluentd/elasticsearch"
FLUENTD_BUFFER_MOUNT: Final = "/fluentd/buffer"
FLUENTD_LOG_MOUNT: Final = "/fluentd/log"
#: Where the Loki container keeps its data (a volume in the demo stack).
LOKI_DATA_MOUNT: Final = "/loki"
#: Dashboard tags telling the kinds of obsgen dashboards apart.
TAG_RED: Final = "red"
TAG_SLO: Final = "slo"
TAG_USE: Final = "use"
TAG_OVERVIEW: Final = "overview"
#: Ticket when an SLO period's error budget is spent (issue 15).
ALERT_BUDGET_EXHAUSTED: Final = "SLOErrorBudgetExhausted"

# --- Added for name-collision and Kubernetes-name checks (obsgen.catalog.build) ------------

#: Top-level directories obsgen generates into (the writer prunes nowhere else).
OUTPUT_DIRS: Final = (DASHBOARDS_DIR, ALERTS_DIR, STACK_DIR, K8S_DIR)
#: Kubernetes label values and DNS-1123 labels (Service names, namespaces) are at most 63 characters.
K8S_LABEL_MAX: Final = 63


def _static_output_paths() -> list[str]:
    """Every fixed generated file: the constants of this module that name a path below OUTPUT_DIRS."""
    return sorted(
        value for name, value in globals().items()
        if name.isupper() and isinstance(value, str) and name.endswith(("_PATH", "_FILE"))
        and value.split("/", 1)[0] in OUTPUT_DIRS and "/" in value and "*" not in value
    )


def dashboard_name(dashboard_path: str) -> str:
    """``dashboards/use-nodes.json`` -> ``use-nodes`` (names its ConfigMap)."""
    return dashboard_path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def generated_paths(
    services: list[str], resources: list[str], environments: list[str]
) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every path a catalog with these names generates, with the (kind, name) pairs it is built from.

    Two entries with one path would overwrite each other: the catalog layer refuses the names
    that make them collide.  A test keeps this list equal to what the generators write.
    """
    out: list[tuple[str, tuple[tuple[str, str], ...]]] = [(p, ()) for p in _static_output_paths()]
    out.append((overview_dashboard_path(), ()))
    out.append((dashboard_configmap_path(dashboard_name(overview_dashboard_path())), ()))
    for s in services:
        who = (("service", s),)
        for path in (service_dashboard_path(s), dashboard_configmap_path(dashboard_name(service_dashboard_path(s))),
                     alert_rules_path(s), alert_tests_path(s), k8s_servicemonitor_path(s),
                     k8s_prometheusrule_path(s)):
            out.append((path, who))
        out.extend((k8s_service_manifest_path(e, s), (("environment", e), ("service", s))) for e in environments)
    for r in resources:
        who = (("resource", r),)
        out.append((use_dashboard_path(r), who))
        out.append((dashboard_configmap_path(dashboard_name(use_dashboard_path(r))), who))
    for e in environments:
        out.append((k8s_namespace_path(e), (("environment", e),)))
    return out


def k8s_label_values(service: str) -> list[tuple[str, str]]:
    """Kubernetes names and label values built from a service name, with what each one is."""
    board = dashboard_name(service_dashboard_path(service))
    return [
        (service, "its Deployment, Service and name label"),
        (dashboard_configmap_name(board), "the name label of its dashboard ConfigMap"),
    ]


def k8s_resource_label_values(resource: str) -> list[tuple[str, str]]:
    board = dashboard_name(use_dashboard_path(resource))
    return [(dashboard_configmap_name(board), "the name label of its USE dashboard ConfigMap")]
