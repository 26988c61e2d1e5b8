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
from obsgen.generate.dashboards import links as L
from obsgen.generate.kubernetes.objects import ConfigMap
from obsgen.model import Catalog
from obsgen.policy import logging as policy

#: Grafana's data-link variable for the matched value, escaped for provisioning files.
VALUE = "$${__value.raw}"
PROVISIONING_API_VERSION = 1
#: Stands for the clicked value while a link is built (only letters and _: URL-encoding keeps it).
_VALUE_SLOT = "OBSGEN_VALUE_SLOT"
#: How far back a link from one log line to the other lines of its request searches: the
#: logs' retention (the lines of one request are seconds apart; the id is unique).
_LINK_RANGE = f"now-{policy.es_duration(policy.RETENTION)}"


def json_field_regex(field: str) -> str:
    """A regex capturing the string value of ``field`` in a JSON log line (RE2 and Python re).

    A value holding a JSON escape (``\\"``, ``\\\\``, ...) does not match: the links put the
    value into a JSON pane and a LogQL string, where it would have to be escaped again,
    which Grafana's link interpolation cannot do.  No link beats a broken one.
    """
    return f'"{re.escape(field)}"\\s*:\\s*"([^"\\\\]+)"'


def _provisioned(text: str) -> str:
    """``text`` with Grafana's own ``$`` escaped from provisioning's env expansion."""
    return text.replace("$", "$$")


def explore_link(datasource_type: str, datasource_uid: str, query: dict[str, object]) -> str:
    """An Explore URL running ``query`` with the clicked value, as an external link.

    Not an internal link (``datasourceUid`` + query text): Grafana sends that text as
    ``{"query": ...}`` to every datasource (getDerivedFields.ts, the Elasticsearch data
    links), which Loki ignores (its query is ``expr``), so Explore opened empty.  Grafana
    URL-encodes the value it puts into a link's URL, so it arrives intact in the pane's JSON.
    """
    url = L.explore_url(datasource_type, datasource_uid, query, time_from=_LINK_RANGE, time_to="now")
    return _provisioned(url.replace(_VALUE_SLOT, "${__value.raw}"))


def datasources(catalog: Catalog) -> dict[str, Any]:
    """stack/grafana/provisioning/datasources/obsgen.yaml."""
    # Every stream (any service) holding the id; the line filter runs before JSON parsing.
    loki_query = (
        f"{{{Q.label_name(C.LOG_ENVIRONMENT)}=~{Q.quote('.+')}}} |= {Q.quote(_VALUE_SLOT)} "
        f"| json | {Q.label_name(C.LOG_REQUEST_ID)}={Q.quote(_VALUE_SLOT)}"
    )
    request_id_in_loki = explore_link(
        "loki", C.DATASOURCE_LOKI_UID, {"expr": loki_query, "queryType": "range"}
    )
    request_id_in_es = explore_link(
        "elasticsearch",
        C.DATASOURCE_ELASTICSEARCH_UID,
        {
            "query": f"{C.LOG_REQUEST_ID}:{L.lucene_phrase(_VALUE_SLOT)}",
            "metrics": [{"id": "1", "type": "logs"}],
            "bucketAggs": [],
            "timeField": C.ES_TIME_FIELD,
        },
    )
    service_dashboards = f"/dashboards?tag={C.TAG_RED}&query={VALUE}"
    return {
        "apiVersion": PROVISIONING_API_VERSION,
        "deleteDatasources": [],
        "datasources": [
            {
                "name": "Prometheus",
                "type": "prometheus",
                "uid": C.DATASOURCE_PROMETHEUS_UID,
                "access": "proxy",
                "url": catalog.deployment.prometheus_url,
                "isDefault": True,
                "editable": False,
                "jsonData": {
                    "httpMethod": "POST",
                    "timeInterval": durations.format_prometheus(catalog.scrape_interval),
                    "prometheusType": "Prometheus",
                },
            },
            {
                "name": "Alertmanager",
                "type": "alertmanager",
                "uid": C.DATASOURCE_ALERTMANAGER_UID,
                "access": "proxy",
                "url": catalog.deployment.alertmanager_url,
                "editable": False,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            },
            {
                "name": "Loki",
                "type": "loki",
                "uid": C.DATASOURCE_LOKI_UID,
                "access": "proxy",
                "url": catalog.deployment.loki_url,
                "editable": False,
                "jsonData": {
                    "maxLines": 1000,
                    "derivedFields": [
                        {
                            "name": "request_id (Loki)",
                            "matcherRegex": json_field_regex(C.LOG_REQUEST_ID),
                            "url": request_id_in_loki,
                            "urlDisplayLabel": "All lines of this request",
                        },
                        {
                            "name": "request_id (Elasticsearch)",
                            "matcherRegex": json_field_regex(C.LOG_REQUEST_ID),
                            "url": request_id_in_es,
                            "urlDisplayLabel": "This request in Elasticsearch",
                        },
                        # service is a stream label: the Loki plugin takes it out of the line, so
                        # only a label matcher finds it (matched against label names, anchored).
                        {
                            "name": "service",
                            "matcherType": "label",
                            "matcherRegex": f"^{re.escape(C.LOG_SERVICE)}$",
                            "url": service_dashboards,
                            "urlDisplayLabel": "Service dashboard",
                        },
                    ],
                },
            },
            {
                "name": "Elasticsearch",
                "type": "elasticsearch",
                "uid": C.DATASOURCE_ELASTICSEARCH_UID,
                "access": "proxy",
                "url": catalog.deployment.elasticsearch_url,
                "editable": False,
                "jsonData": {
                    "index": C.ES_INDEX_PATTERN,
                    "timeField": C.ES_TIME_FIELD,
                    "logMessageField": C.LOG_MESSAGE,
                    "logLevelField": C.LOG_LEVEL_FIELD,
                    "maxConcurrentShardRequests": 5,
                    "dataLinks": [
                        {
                            "field": C.LOG_REQUEST_ID,
                            "url": request_id_in_loki,
                            "urlDisplayLabel": "All lines of this request (Loki)",
                        },
                        {
                            "field": C.LOG_SERVICE,
                            "url": service_dashboards,
                            "urlDisplayLabel": "Service dashboard",
                        },
                    ],
                },
            },
        ],
    }


def dashboard_provider() -> dict[str, Any]:
    """stack/grafana/provisioning/dashboards/obsgen.yaml: load dashboards/ from the mount."""
    return {
        "apiVersion": PROVISIONING_API_VERSION,
        "providers": [
            {
                "name": "obsgen",
                "orgId": 1,
                "folder": C.GRAFANA_FOLDER,
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": C.GRAFANA_DASHBOARDS_MOUNT, "foldersFromFilesStructure": False},
            }
        ],
    }


def configmap(name: str, dashboard_json: str) -> ConfigMap:
    """A ConfigMap the Grafana sidecar (label grafana_dashboard: "1") loads as a dashboard.

    ``dashboard_json`` is the text of ``dashboards/<name>.json`` (serialised once, by the caller).
    """
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
        "data": {f"{name}.json": dashboard_json},
    }
