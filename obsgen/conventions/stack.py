"""Host names, ports and mount points of the compose demo stack (``docker-compose.yml``)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ALERTMANAGER_CONFIG_MOUNT",
    "ALERTMANAGER_HOST",
    "ALERTMANAGER_PORT",
    "FLUENTD_BUFFER_MOUNT",
    "FLUENTD_CONFIG_MOUNT",
    "FLUENTD_ES_MOUNT",
    "FLUENTD_LOG_MOUNT",
    "GRAFANA_DASHBOARDS_MOUNT",
    "GRAFANA_PROVISIONING_MOUNT",
    "LOKI_DATA_MOUNT",
    "PROMETHEUS_ALERTS_MOUNT",
    "PROMETHEUS_CONFIG_MOUNT",
    "PROMETHEUS_HOST",
    "STACK_ALERTMANAGER_URL",
    "STACK_ELASTICSEARCH_URL",
    "STACK_LOKI_URL",
    "STACK_PROMETHEUS_URL",
    "WEBHOOK_HOST",
    "WEBHOOK_PORT",
    "WEBHOOK_URL",
]

#: Where the Grafana container of the demo stack mounts ``dashboards/``.
GRAFANA_DASHBOARDS_MOUNT: Final = "/var/lib/grafana/dashboards"
#: Where the Grafana container of the demo stack mounts ``stack/grafana/provisioning``.
GRAFANA_PROVISIONING_MOUNT: Final = "/etc/grafana/provisioning"
PROMETHEUS_HOST: Final = "prometheus"
ALERTMANAGER_HOST: Final = "alertmanager"
ALERTMANAGER_PORT: Final = 9093
WEBHOOK_HOST: Final = "webhook"
WEBHOOK_PORT: Final = 5001
#: Where the stack's local webhook receiver listens (Alertmanager sends here; no Slack needed).
WEBHOOK_URL: Final = f"http://{WEBHOOK_HOST}:{WEBHOOK_PORT}/"
#: Where the Prometheus container of the demo stack mounts its config and ``alerts/``.
PROMETHEUS_CONFIG_MOUNT: Final = "/etc/prometheus/prometheus.yml"
PROMETHEUS_ALERTS_MOUNT: Final = "/etc/prometheus/alerts"
ALERTMANAGER_CONFIG_MOUNT: Final = "/etc/alertmanager/alertmanager.yml"
#: Addresses of the demo stack's services, as Grafana reaches them inside compose.
STACK_PROMETHEUS_URL: Final = "http://prometheus:9090"
STACK_ALERTMANAGER_URL: Final = "http://alertmanager:9093"
STACK_LOKI_URL: Final = "http://loki:3100"
STACK_ELASTICSEARCH_URL: Final = "http://elasticsearch:9200"
#: Where the Fluentd container mounts stack/fluentd, stack/elasticsearch and its buffer volume.
FLUENTD_CONFIG_MOUNT: Final = "/fluentd/etc"
FLUENTD_ES_MOUNT: Final = "/fluentd/elasticsearch"
FLUENTD_BUFFER_MOUNT: Final = "/fluentd/buffer"
FLUENTD_LOG_MOUNT: Final = "/fluentd/log"
#: Where the Loki container keeps its data (a volume in the demo stack).
LOKI_DATA_MOUNT: Final = "/loki"
