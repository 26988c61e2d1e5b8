"""Grafana provisioning (datasources, dashboard provider) and the sidecar ConfigMaps."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import kubernetes_validate
import pytest
import yaml

from obsgen import conventions as C
from obsgen.generate.artifacts import serialise
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
        C.ES_INDEX_PATTERN,
        C.ES_TIME_FIELD,
        C.LOG_MESSAGE,
        C.LOG_LEVEL_FIELD,
    )


#: A Loki entry as Fluentd's Loki plugin ships it (tests/test_logging_fluentd_real.py): the stream
#: labels are taken out of the line.
LOKI_LABELS = {C.LOG_SERVICE: "demo", C.LOG_ENVIRONMENT: "prod", C.LOG_LEVEL_FIELD: "error"}
ACCESS_LINES = [
    pytest.param(
        dumps(
            {
                C.LOG_TIME: "2024-01-01T00:00:00Z",
                C.LOG_MESSAGE: "request",
                C.LOG_TEAM: "ml",
                C.LOG_REQUEST_ID: "4f1c-9a",
                C.LOG_STATUS: 500,
            }
        ).decode(),
        id="the library's own lines",
    ),
    pytest.param(json.dumps({C.LOG_TEAM: "ml", C.LOG_REQUEST_ID: "4f1c-9a"}), id="spaced JSON"),
]


def derived_value(field: dict[str, Any], labels: dict[str, str], line: str) -> str | None:
    """What Grafana's getDerivedFields.ts (11.x) extracts for one derived field from one Loki entry."""
    if field.get("matcherType") == "label":
        key = next((k for k in labels if re.search(field["matcherRegex"], k)), None)
        return None if key is None else labels[key]
    match = re.search(field["matcherRegex"], line)
    return match.group(1) if match else None


def followed(url: str, value: str) -> tuple[str, dict[str, str]]:
    """The link Grafana opens for ``value``: provisioning's ``$$`` unescaped, the value URI-encoded in."""
    href = url.replace("$$", "$").replace("${__value.raw}", urllib.parse.quote(value, safe=""))
    path, _, query = href.partition("?")
    return path, dict(urllib.parse.parse_qsl(query))


def explore_pane(url: str, value: str) -> dict[str, Any]:
    path, params = followed(url, value)
    assert path == "/explore"
    (pane,) = json.loads(params["panes"]).values()
    assert isinstance(pane, dict)
    return pane


@pytest.mark.parametrize("line", ACCESS_LINES)
def test_loki_derived_fields_find_the_request_id_in_the_line_and_the_service_in_the_labels(line: str) -> None:
    fields = {f["name"]: f for f in _by_type()["loki"]["jsonData"]["derivedFields"]}
    assert set(fields) == {"request_id (Loki)", "request_id (Elasticsearch)", "service"}
    assert derived_value(fields["request_id (Loki)"], LOKI_LABELS, line) == "4f1c-9a"
    assert derived_value(fields["service"], LOKI_LABELS, line) == "demo"
    # Only the label named service, not e.g. a service_name label.
    assert derived_value(fields["service"], {"service_name": "x"}, line) is None


def test_no_link_is_an_internal_link_whose_query_grafana_would_drop() -> None:
    """Grafana sends an internal link's text as {"query": ...}: Loki reads expr, so Explore opened empty."""
    loki = _by_type()["loki"]["jsonData"]["derivedFields"]
    es = _by_type()["elasticsearch"]["jsonData"]["dataLinks"]
    assert [link for link in [*loki, *es] if "datasourceUid" in link] == []


def test_links_lead_from_a_request_id_to_every_line_of_that_request_in_both_stores() -> None:
    loki = {f["name"]: f for f in _by_type()["loki"]["jsonData"]["derivedFields"]}
    es_links = {link["field"]: link for link in _by_type()["elasticsearch"]["jsonData"]["dataLinks"]}
    value = "req 7/x&y=1+%20#"  # a caller's id: printable ASCII (obsgen.instrument.logs.request_id_from)
    expected_loki = '{env=~".+"} |= "VALUE" | json | request_id="VALUE"'.replace("VALUE", value)
    for url in (loki["request_id (Loki)"]["url"], es_links[C.LOG_REQUEST_ID]["url"]):
        pane = explore_pane(url, value)
        (query,) = pane["queries"]
        assert pane["datasource"] == query["datasource"]["uid"] == C.DATASOURCE_LOKI_UID
        assert query["datasource"]["type"] == "loki"
        assert query["expr"] == expected_loki
        assert pane["range"] == {"from": "now-7d", "to": "now"}  # the logs' retention
    pane = explore_pane(loki["request_id (Elasticsearch)"]["url"], value)
    (query,) = pane["queries"]
    assert query["datasource"] == {"type": "elasticsearch", "uid": C.DATASOURCE_ELASTICSEARCH_UID}
    assert query["query"] == f'request_id:"{value}"'
    assert query["metrics"] == [{"id": "1", "type": "logs"}]
    assert (
        es_links[C.LOG_SERVICE]["url"]
        == loki["service"]["url"]
        == "/dashboards?tag=red&query=$${__value.raw}"
    )


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
    # The files as written (a ConfigMap is written around its dashboard's text).
    configmaps = {
        p: yaml.safe_load(serialise(a))
        for p, a in artifacts.items()
        if p.startswith(f"{C.K8S_DASHBOARDS_DIR}/")
    }
    assert len(configmaps) == len(boards)
    for path, board in boards.items():
        name = path.removeprefix(f"{C.DASHBOARDS_DIR}/").removesuffix(".json")
        cm = configmaps[C.dashboard_configmap_path(name)]
        assert cm["metadata"]["labels"][C.GRAFANA_DASHBOARD_LABEL] == "1"
        assert json.loads(cm["data"][f"{name}.json"]) == board
        assert len(cm["data"][f"{name}.json"].encode()) < 1_000_000  # ConfigMaps hold at most 1 MiB
        kubernetes_validate.validate(cm, KUBERNETES_VERSION, strict=True)


def test_a_request_id_holding_a_json_escape_gets_no_link_rather_than_a_broken_one() -> None:
    (field,) = [
        f for f in _by_type()["loki"]["jsonData"]["derivedFields"] if f["name"] == "request_id (Loki)"
    ]
    for value in ('a"b', "a\\b"):
        assert derived_value(field, LOKI_LABELS, json.dumps({C.LOG_REQUEST_ID: value})) is None
    assert derived_value(field, LOKI_LABELS, json.dumps({C.LOG_REQUEST_ID: "a'b c"})) == "a'b c"


def test_json_field_regex_is_anchored_on_the_field_name() -> None:
    pattern = provisioning.json_field_regex("request_id")
    assert re.search(pattern, '{"parent_request_id": "a"}') is None
    match = re.search(pattern, '{"request_id":"abc"}')
    assert match is not None and match.group(1) == "abc"
    assert re.search(pattern, '{"request_idx":"abc"}') is None


def test_a_catalog_without_resources_or_slos_gets_a_service_dashboard_and_an_overview() -> None:
    catalog = case_catalog("dashboards-minimal.yaml")
    assert {p for p in case_dashboards("dashboards-minimal.yaml")} == {
        C.service_dashboard_path(catalog.services[0].name),
        C.overview_dashboard_path(),
    }
