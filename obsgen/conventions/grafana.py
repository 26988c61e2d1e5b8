"""Grafana names: dashboard uids, datasource uids, tags, template variables, provisioning files."""

from __future__ import annotations

import hashlib
from typing import Final

__all__ = [
    "DASHBOARD_TAG",
    "DATASOURCE_ALERTMANAGER_UID",
    "DATASOURCE_ELASTICSEARCH_UID",
    "DATASOURCE_LOKI_UID",
    "DATASOURCE_PROMETHEUS_UID",
    "GRAFANA_DASHBOARD_PROVIDER_FILE",
    "GRAFANA_DATASOURCES_FILE",
    "GRAFANA_FOLDER",
    "GRAFANA_PROVISIONING_DIR",
    "GRAFANA_UID_MAX",
    "LABEL_CODE_CLASS",
    "TAG_OVERVIEW",
    "TAG_RED",
    "TAG_SLO",
    "TAG_USE",
    "VAR_DATASOURCE",
    "VAR_INSTANCE",
    "dashboard_uid",
    "overview_dashboard_uid",
    "service_dashboard_uid",
    "team_tag",
    "use_dashboard_uid",
]

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


GRAFANA_PROVISIONING_DIR: Final = "stack/grafana/provisioning"
GRAFANA_DATASOURCES_FILE: Final = "stack/grafana/provisioning/datasources/obsgen.yaml"
GRAFANA_DASHBOARD_PROVIDER_FILE: Final = "stack/grafana/provisioning/dashboards/obsgen.yaml"
#: Grafana folder the provisioned dashboards land in.
GRAFANA_FOLDER: Final = "obsgen"
#: Grafana dashboard template variables.
VAR_DATASOURCE: Final = "datasource"
VAR_INSTANCE: Final = "instance"
#: Label the overview adds to tell services' series apart.
LABEL_CODE_CLASS: Final = "code_class"


def team_tag(team: str) -> str:
    """The Grafana dashboard tag of a team's dashboards."""
    return f"team:{team}"


#: Dashboard tags telling the kinds of obsgen dashboards apart.
TAG_RED: Final = "red"
TAG_SLO: Final = "slo"
TAG_USE: Final = "use"
TAG_OVERVIEW: Final = "overview"
