"""Grafana provisioning (datasources, dashboard provider) and the sidecar ConfigMaps."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest

from obsgen import conventions as C
from obsgen.generate.dashboards import provisioning
from obsgen.instrument.logs import dumps
from tests.dashboard_queries import case_artifacts, case_catalog, case_dashboards

KUBERNETES_VERSION = "1.31.0"


def _data(path: str) -> Any:
    return case_artifacts("catalog.yaml")[path].data  # type: ignore[union-attr]


def _by_type() -> dict[str, dict[str, Any]]:
    return {ds["type"]: ds for ds in _data(C.GRAFANA_DATASOURCES_FILE)["datasources"]}


def test_four_datasources_with_the_uids_the_dashboards_use() -> None:
    by_type = _by_type()
    assert {t: (ds["uid"], ds["url"]) for t, ds in by_type.items()} == {
        "prometheus": (C.DATASOURCE_PROMETHEUS_UID, "http://prometheus:9090"),
        "alertmanager": (C.DATASOURCE_ALERTMANAGER_UID, "http://alertmanager:9093"),
        "loki": (C.DATASOURCE_LOKI_UID, "http://loki:3100"),
        "elasticsearch": (C.DATASOURCE_ELASTICSEARCH_UID, "http://elasticsearch:9200"),
    }
    assert [ds["name"] for ds in by_type.values() if ds.get("isDefault")] == ["Prometheus"]
    assert by_type["prometheus"]["jsonData"]["timeInterval"] == "15s"  # the catalog's scrape interval
    es = by_type["elasticsearch"]["jsonData"]
    assert (es["index"], es["timeField"], es["logMessageField"], es["logLevelField"]) == (
        C.ES_INDEX_PATTERN, C.ES_TIME_FIELD, C.LOG_MESSAGE, C.LOG_LEVEL_FIELD)


ACCESS_LINES = [
    pytest.param(dumps({C.LOG_TIME: "2024-01-01T00:00:00Z", C.LOG_LEVEL_FIELD: "error", C.LOG_SERVICE: "demo",
                        C.LOG_REQUEST_ID: "4f1c-9a", C.LOG_STATUS: 500}).decode(), id="the library's own lines"),
    pytest.param(json.dumps({C.LOG_SERVICE: "demo", C.LOG_REQUEST_ID: "4f1c-9a"}), id="spaced JSON"),
]


@pytest.mark.parametrize("line", ACCESS_LINES)
def test_loki_derived_fields_find_the_request_id_and_service_in_a_log_line(line: str) -> None:
    fields = {f["name"]: f for f in _by_type()["loki"]["jsonData"]["derivedFields"]}
    assert set(fields) == {"request_id (Loki)", "request_id (Elasticsearch)", "service"}
    for name, expected in (("request_id (Loki)", "4f1c-9a"), ("service", "demo")):
        match = re.search(fields[name]["matcherRegex"], line)
        assert match and match.group(1) == expected


def test_links_lead_from_a_request_id_to_every_line_of_that_request_in_both_stores() -> None:
    loki = {f["name"]: f for f in _by_type()["loki"]["jsonData"]["derivedFields"]}
    assert loki["request_id (Loki)"]["datasourceUid"] == C.DATASOURCE_LOKI_UID
    assert loki["request_id (Loki)"]["url"] == (
        '{env=~".+"} |= "$${__value.raw}" | json | request_id="$${__value.raw}"')
    assert loki["request_id (Elasticsearch)"]["datasourceUid"] == C.DATASOURCE_ELASTICSEARCH_UID
    assert loki["request_id (Elasticsearch)"]["url"] == 'request_id:"$${__value.raw}"'
    es_links = {link["field"]: link for link in _by_type()["elasticsearch"]["jsonData"]["dataLinks"]}
    assert es_links[C.LOG_REQUEST_ID]["datasourceUid"] == C.DATASOURCE_LOKI_UID
    assert es_links[C.LOG_SERVICE]["url"] == loki["service"]["url"] == "/dashboards?tag=red&query=$${__value.raw}"


def test_grafana_variables_are_escaped_from_provisioning_env_expansion() -> None:
    """Grafana expands $VAR and ${VAR} in provisioning files: its own ${...} must be written $${...}."""
    text = json.dumps(_data(C.GRAFANA_DATASOURCES_FILE))
    assert re.findall(r"(?<!\$)\$\{", text) == []


def test_the_dashboard_provider_reads_the_mounted_dashboards_folder() -> None:
    (provider,) = _data(C.GRAFANA_DASHBOARD_PROVIDER_FILE)["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == C.GRAFANA_DASHBOARDS_MOUNT == "/var/lib/grafana/dashboards"
    assert provider["folder"] == C.GRAFANA_FOLDER


@pytest.mark.parametrize("case", ["catalog.yaml", "dashboards-varied.yaml"])
def test_one_sidecar_configmap_per_dashboard_carrying_exactly_its_json(case: str) -> None:
    artifacts = case_artifacts(case)
    boards = case_dashboards(case)
    configmaps = {p: a.data for p, a in artifacts.items() if p.startswith(f"{C.K8S_DASHBOARDS_DIR}/")}  # type: ignore[union-attr]
    assert len(configmaps) == len(boards)
    for path, board in boards.items():
        name = path.removeprefix(f"{C.DASHBOARDS_DIR}/").removesuffix(".json")
        cm = configmaps[C.dashboard_configmap_path(name)]
        assert cm["metadata"]["labels"][C.GRAFANA_DASHBOARD_LABEL] == "1"
        assert json.loads(cm["data"][f"{name}.json"]) == board
        assert len(cm["data"][f"{name}.json"].encode()) < 1_000_000  # ConfigMaps hold at most 1 MiB
        kubernetes_validate.validate(cm, KUBERNETES_VERSION, strict=True)


def test_json_field_regex_is_anchored_on_the_field_name() -> None:
    pattern = provisioning.json_field_regex("request_id")
    assert re.search(pattern, '{"parent_request_id": "a"}') is None
    assert re.search(pattern, '{"request_id":"abc"}').group(1) == "abc"  # type: ignore[union-attr]
    assert re.search(pattern, '{"request_idx":"abc"}') is None


def test_a_catalog_without_resources_or_slos_gets_a_service_dashboard_and_an_overview() -> None:
    catalog = case_catalog("dashboards-minimal.yaml")
    assert {p for p in case_dashboards("dashboards-minimal.yaml")} == {
        C.service_dashboard_path(catalog.services[0].name), C.overview_dashboard_path()}
