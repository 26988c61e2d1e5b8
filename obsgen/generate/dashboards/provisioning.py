"""Grafana provisioning for the demo stack, and ConfigMaps for the Grafana sidecar on Kubernetes.

Datasources link the signals: a ``request_id`` in a Loki line opens every line of
that request (in Loki and in Elasticsearch), and a ``service`` opens its dashboard.
Grafana expands ``$VAR`` and ``${VAR}`` from its environment in provisioning
files, so Grafana's own ``${__value.raw}`` is written ``$${__value.raw}``.
https://grafana.com/docs/grafana/latest/administration/provisioning/
"""

from __future__ import annotations

import re
from typing import Any

from obsgen import conventions as C
from obsgen import durations
from obsgen import promql as Q
from obsgen.model import Catalog
from obsgen.render import to_json

#: Grafana's data-link variable for the matched value, escaped for provisioning files.
VALUE = "$${__value.raw}"
PROVISIONING_API_VERSION = 1


def json_field_regex(field: str) -> str:
    """A regex capturing the string value of ``field`` in a JSON log line (RE2 and Python re)."""
    return f'"{re.escape(field)}"\\s*:\\s*"([^"]+)"'


def datasources(catalog: Catalog) -> dict[str, Any]:
    """stack/grafana/provisioning/datasources/obsgen.yaml."""
    # Every stream (any service) holding the id; the line filter runs before JSON parsing.
    request_id_in_loki = (
        f"{{{Q.label_name(C.LOG_ENVIRONMENT)}=~{Q.quote('.+')}}} |= {Q.quote(VALUE)} "
        f"| json | {Q.label_name(C.LOG_REQUEST_ID)}={Q.quote(VALUE)}"
    )
    request_id_in_es = f"{C.LOG_REQUEST_ID}:\"{VALUE}\""
    service_dashboards = f"/dashboards?tag={C.TAG_RED}&query={VALUE}"
    return {
        "apiVersion": PROVISIONING_API_VERSION,
        "deleteDatasources": [],
        "datasources": [
            {
                "name": "Prometheus", "type": "prometheus", "uid": C.DATASOURCE_PROMETHEUS_UID,
                "access": "proxy", "url": catalog.deployment.prometheus_url, "isDefault": True, "editable": False,
                "jsonData": {
                    "httpMethod": "POST",
                    "timeInterval": durations.format_prometheus(catalog.scrape_interval),
                    "prometheusType": "Prometheus",
                },
            },
            {
                "name": "Alertmanager", "type": "alertmanager", "uid": C.DATASOURCE_ALERTMANAGER_UID,
                "access": "proxy", "url": catalog.deployment.alertmanager_url, "editable": False,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            },
            {
                "name": "Loki", "type": "loki", "uid": C.DATASOURCE_LOKI_UID,
                "access": "proxy", "url": catalog.deployment.loki_url, "editable": False,
                "jsonData": {
                    "maxLines": 1000,
                    "derivedFields": [
                        {"name": "request_id (Loki)", "matcherRegex": json_field_regex(C.LOG_REQUEST_ID),
                         "datasourceUid": C.DATASOURCE_LOKI_UID, "url": request_id_in_loki,
                         "urlDisplayLabel": "All lines of this request"},
                        {"name": "request_id (Elasticsearch)", "matcherRegex": json_field_regex(C.LOG_REQUEST_ID),
                         "datasourceUid": C.DATASOURCE_ELASTICSEARCH_UID, "url": request_id_in_es,
                         "urlDisplayLabel": "This request in Elasticsearch"},
                        {"name": "service", "matcherRegex": json_field_regex(C.LOG_SERVICE),
                         "url": service_dashboards, "urlDisplayLabel": "Service dashboard"},
                    ],
                },
            },
            {
                "name": "Elasticsearch", "type": "elasticsearch", "uid": C.DATASOURCE_ELASTICSEARCH_UID,
                "access": "proxy", "url": catalog.deployment.elasticsearch_url, "editable": False,
                "jsonData": {
                    "index": C.ES_INDEX_PATTERN,
                    "timeField": C.ES_TIME_FIELD,
                    "logMessageField": C.LOG_MESSAGE,
                    "logLevelField": C.LOG_LEVEL_FIELD,
                    "maxConcurrentShardRequests": 5,
                    "dataLinks": [
                        {"field": C.LOG_REQUEST_ID, "datasourceUid": C.DATASOURCE_LOKI_UID,
                         "url": request_id_in_loki, "urlDisplayLabel": "All lines of this request (Loki)"},
                        {"field": C.LOG_SERVICE, "url": service_dashboards, "urlDisplayLabel": "Service dashboard"},
                    ],
                },
            },
        ],
    }


def dashboard_provider() -> dict[str, Any]:
    """stack/grafana/provisioning/dashboards/obsgen.yaml: load dashboards/ from the mount."""
    return {
        "apiVersion": PROVISIONING_API_VERSION,
        "providers": [{
            "name": "obsgen", "orgId": 1, "folder": C.GRAFANA_FOLDER, "type": "file",
            "disableDeletion": False, "allowUiUpdates": False, "updateIntervalSeconds": 30,
            "options": {"path": C.GRAFANA_DASHBOARDS_MOUNT, "foldersFromFilesStructure": False},
        }],
    }


def configmap(name: str, dashboard: dict[str, Any]) -> dict[str, Any]:
    """A ConfigMap the Grafana sidecar (label grafana_dashboard: "1") loads as a dashboard."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": C.dashboard_configmap_name(name),
            "labels": {
                C.GRAFANA_DASHBOARD_LABEL: "1",
                C.K8S_NAME_LABEL: C.dashboard_configmap_name(name),
                C.K8S_PART_OF_LABEL: C.K8S_MANAGED_BY,
                C.K8S_MANAGED_BY_LABEL: C.K8S_MANAGED_BY,
            },
            "annotations": {"grafana_folder": C.GRAFANA_FOLDER},
        },
        "data": {f"{name}.json": to_json(dashboard).decode("utf-8")},
    }

