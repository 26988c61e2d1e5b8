"""What every dashboard promises: stable unique uids, team tags, current panel types, links, layout."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog
from obsgen.generate.dashboards import overview
from obsgen.generate.dashboards.panels import SCHEMA_VERSION
from tests.conftest import TEST_CATALOGS
from tests.dashboard_queries import CASES, case_catalog, case_dashboards

CURRENT_PANEL_TYPES = {"timeseries", "stat", "heatmap", "table"}


def _all_boards() -> list[tuple[str, str, dict[str, Any]]]:
    return [(case, path, board) for case in CASES for path, board in case_dashboards(case).items()]


BOARDS = _all_boards()
BOARD_IDS = [f"{case}:{path}" for case, path, _ in BOARDS]


def test_the_example_catalog_gets_one_dashboard_per_service_and_resource_and_an_overview() -> None:
    catalog = case_catalog("catalog.yaml")
    expected = {C.service_dashboard_path(s.name) for s in catalog.services}
    expected |= {C.use_dashboard_path(r.name) for r in catalog.resources}
    expected.add(C.overview_dashboard_path())
    assert set(case_dashboards("catalog.yaml")) == expected


@pytest.mark.parametrize("case", CASES)
def test_uids_are_unique_at_most_40_characters_and_derived_from_names(case: str) -> None:
    catalog = case_catalog(case)
    boards = case_dashboards(case)
    uids = [b["uid"] for b in boards.values()]
    assert len(set(uids)) == len(uids)
    assert all(8 <= len(uid) <= C.GRAFANA_UID_MAX for uid in uids)
    for service in catalog.services:
        assert boards[C.service_dashboard_path(service.name)]["uid"] == C.service_dashboard_uid(service.name)
    for resource in catalog.resources:
        assert boards[C.use_dashboard_path(resource.name)]["uid"] == C.use_dashboard_uid(resource.name)


def test_uids_do_not_change_between_releases() -> None:
    """Links and bookmarks point at uids: these exact values are a contract."""
    assert {b["uid"] for b in case_dashboards("catalog.yaml").values()} == {
        "obsgen-svc-demo",
        "obsgen-use-nodes",
        "obsgen-use-containers",
        "obsgen-overview-all",
    }
    assert (
        case_dashboards("dashboards-varied.yaml")["dashboards/search-frontend-with-a-rather-long-name.json"][
            "uid"
        ]
        == "obsgen-svc-search-frontend-with-0b74e6e5"
    )


@pytest.mark.parametrize("case", CASES)
def test_service_dashboards_are_tagged_with_their_team_and_the_overview_with_every_team(case: str) -> None:
    catalog = case_catalog(case)
    boards = case_dashboards(case)
    for service in catalog.services:
        tags = boards[C.service_dashboard_path(service.name)]["tags"]
        assert C.DASHBOARD_TAG in tags and C.team_tag(service.team) in tags
        assert [t for t in tags if t.startswith("team:")] == [C.team_tag(service.team)]
    overview_tags = boards[C.overview_dashboard_path()]["tags"]
    assert {C.team_tag(s.team) for s in catalog.services} <= set(overview_tags)


@pytest.mark.parametrize(("case", "path", "board"), BOARDS, ids=BOARD_IDS)
def test_current_schema_no_legacy_graph_panels_or_rows(case: str, path: str, board: dict[str, Any]) -> None:
    assert board["schemaVersion"] == SCHEMA_VERSION >= 42
    assert "rows" not in board
    types = {p["type"] for p in board["panels"]}
    assert types <= CURRENT_PANEL_TYPES, types


@pytest.mark.parametrize(("case", "path", "board"), BOARDS, ids=BOARD_IDS)
def test_datasources_are_uid_objects_pointing_at_the_datasource_variable(
    case: str, path: str, board: dict[str, Any]
) -> None:
    ref = {"type": "prometheus", "uid": f"${{{C.VAR_DATASOURCE}}}"}
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables[C.VAR_DATASOURCE]["type"] == "datasource"
    assert variables[C.VAR_DATASOURCE]["query"] == "prometheus"
    assert variables[C.VAR_DATASOURCE]["current"]["value"] == C.DATASOURCE_PROMETHEUS_UID
    for panel in board["panels"]:
        assert panel["datasource"] == ref, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == ref


@pytest.mark.parametrize(("case", "path", "board"), BOARDS, ids=BOARD_IDS)
def test_instance_variable_where_a_dashboard_shows_one_job(
    case: str, path: str, board: dict[str, Any]
) -> None:
    variables = {v["name"]: v for v in board["templating"]["list"]}
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    if path == C.overview_dashboard_path():
        assert C.VAR_INSTANCE not in variables
        assert not any("$instance" in e for e in exprs)
        return
    instance = variables[C.VAR_INSTANCE]
    assert instance["query"].startswith("label_values(up{job=")
    assert instance["includeAll"] and instance["multi"] and instance["allValue"] == ".*"
    assert any('instance=~"$instance"' in e for e in exprs)


@pytest.mark.parametrize(("case", "path", "board"), BOARDS, ids=BOARD_IDS)
def test_panels_tile_the_grid_without_overlapping(case: str, path: str, board: dict[str, Any]) -> None:
    cells: set[tuple[int, int]] = set()
    ids = [p["id"] for p in board["panels"]]
    assert len(set(ids)) == len(ids)
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24 and pos["w"] > 0 and pos["h"] > 0
        mine = {
            (x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & mine, panel["title"]
        cells |= mine


@pytest.mark.parametrize(("case", "path", "board"), BOARDS, ids=BOARD_IDS)
def test_every_panel_says_what_it_shows_under_its_own_title(
    case: str, path: str, board: dict[str, Any]
) -> None:
    for panel in board["panels"]:
        assert panel["title"] and panel["description"], panel
    titles = [p["title"] for p in board["panels"]]
    assert len(set(titles)) == len(titles)  # the end-to-end report names panels by title


def _links(board: dict[str, Any]) -> dict[str, str]:
    return {link["title"]: link.get("url", "") for link in board["links"]}


@pytest.mark.parametrize("case", CASES)
def test_service_dashboards_link_runbook_logs_and_overview(case: str) -> None:
    catalog = case_catalog(case)
    for service in catalog.services:
        board = case_dashboards(case)[C.service_dashboard_path(service.name)]
        links = _links(board)
        assert links.get("Runbook") == service.runbook_url
        assert links["Overview"] == f"/d/{C.overview_dashboard_uid()}"
        loki, es = links["Logs (Loki)"], links["Logs (Elasticsearch)"]
        assert "%22uid%22%3A%22loki%22" in loki and "service%3D%5C%22" + service.name in loki
        assert "%22uid%22%3A%22elasticsearch%22" in es and "service%3A%5C%22" + service.name in es
        assert "${__from}" in loki and "${__to}" in es
        error_panel = next(p for p in board["panels"] if p["title"] == "Error ratio")
        assert {link["title"] for link in error_panel["links"]} == {
            "Error logs (Loki)",
            "Error logs (Elasticsearch)",
        }


def test_every_panel_type_and_each_slo_panel_is_generated() -> None:
    board = case_dashboards("catalog.yaml")["dashboards/demo.json"]
    types = Counter(p["type"] for p in board["panels"])
    assert types["heatmap"] == 1 and types["stat"] >= 4 and types["timeseries"] >= 8
    overview = case_dashboards("catalog.yaml")["dashboards/overview.json"]
    assert {p["type"] for p in overview["panels"]} == {"table", "stat", "timeseries"}
    titles = [p["title"] for p in board["panels"]]
    for slo in case_catalog("catalog.yaml").services[0].slos:
        assert [t for t in titles if t.startswith(f"{slo.name}: ")] == [
            f"{slo.name}: SLI over the time range",
            f"{slo.name}: SLI vs objective ({slo.objective_percent:g}%)",
            f"{slo.name}: error budget left (28d)",
            f"{slo.name}: burn rate",
        ]


def _panel(board: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in board["panels"] if p["title"] == title)


def _steps(panel: dict[str, Any]) -> list[tuple[str, float | None]]:
    return [(s["color"], s["value"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_burn_rate_panels_draw_the_thresholds_of_the_enabled_alerts() -> None:
    demo = case_dashboards("catalog.yaml")["dashboards/demo.json"]
    burn = _panel(demo, "availability: burn rate")
    assert _steps(burn) == [
        ("transparent", None),
        ("orange", 1.0),
        ("orange", 3.0),
        ("red", 6.0),
        ("red", 14.4),
    ]
    assert burn["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "dashed"
    # 28d period: the 1h/6h/1d/3d long windows scale by 28/30.
    assert [t["legendFormat"].split(" (")[0] for t in burn["targets"]] == [
        "over 56m",
        "over 5h36m",
        "over 22h24m",
        "over 2d19h12m",
    ]
    # checkout pages nobody (alerting.page: false): only ticket thresholds are drawn.
    checkout = case_dashboards("dashboards-varied.yaml")["dashboards/checkout.json"]
    assert _steps(_panel(checkout, "fast: burn rate")) == [
        ("transparent", None),
        ("orange", 1.0),
        ("orange", 3.0),
    ]


def test_error_and_latency_panels_draw_the_slo_objectives() -> None:
    checkout = case_dashboards("dashboards-varied.yaml")["dashboards/checkout.json"]
    assert _steps(_panel(checkout, "Error ratio")) == [("transparent", None), ("red", 0.0005)]
    assert _steps(_panel(checkout, "Latency quantiles")) == [
        ("transparent", None),
        ("red", 0.1),
        ("red", 0.4),
    ]
    assert _steps(_panel(checkout, "fast: SLI vs objective (95%)")) == [("transparent", None), ("red", 0.95)]


def test_overview_sorts_worst_first() -> None:
    overview = case_dashboards("dashboards-varied.yaml")["dashboards/overview.json"]
    services = _panel(overview, "Services, worst first")
    assert services["options"]["sortBy"] == [{"displayName": "Budget left", "desc": False}]
    assert [t["id"] for t in services["transformations"]] == ["merge", "organize"]
    budgets = _panel(overview, "Error budget left, worst first")
    assert budgets["targets"][0]["expr"].startswith("sort(")
    for title in ("Requests / s by service", "Error ratio by service", "p99 latency by service"):
        assert _panel(overview, title)["options"]["legend"]["sortBy"] == "Max"
    # every service is in every per-service query, SLO-less ones included
    rate = services["targets"][0]["expr"]
    assert all(f'"service", "{s.name}"' in rate for s in case_catalog("dashboards-varied.yaml").services)


#: Panels of the overview that show request metrics (RED), one query per service with them.
_OVERVIEW_RED = ("Requests / s by service", "Error ratio by service", "p99 latency by service")


def _catalog_of(*files: str) -> Any:
    """One catalog holding the teams and services of several test catalogs."""
    merged: dict[str, Any] = {"apiVersion": "obsgen/v1", "teams": {}, "services": {}}
    for name in files:
        doc = yaml.safe_load((TEST_CATALOGS / name).read_text())
        merged["teams"].update(doc["teams"])
        merged["services"].update(doc["services"])
    return load_catalog(yaml.safe_dump(merged, sort_keys=True).encode(), "+".join(files))


def _red_exprs(board: dict[str, Any]) -> dict[str, list[str]]:
    """RED queries of the overview by panel (the services table's RED columns included)."""
    out = {t: [q["expr"] for q in _panel(board, t)["targets"]] for t in _OVERVIEW_RED}
    table = _panel(board, "Services, worst first")
    renames = table["transformations"][1]["options"]["renameByName"]
    columns = {renames[f"Value #{t['refId']}"]: t["expr"] for t in table["targets"]}
    out.update({c: [columns[c]] for c in ("Requests / s", "Error ratio", "p99")})
    return out


def test_overview_leaves_a_ratio_only_service_out_of_red_panels_and_keeps_the_others() -> None:
    mixed = overview.dashboard(_catalog_of("sources-traefik.yaml", "sources-ratio.yaml"))
    alone = overview.dashboard(_catalog_of("sources-traefik.yaml"))
    red = _red_exprs(mixed)
    # nightly (SLOs all kind: ratio, no request metrics) is in no RED query: no empty cell, no empty line
    assert all('"nightly"' not in e and 'job="nightly"' not in e for es in red.values() for e in es), red
    # every other service's RED queries are exactly those of the catalog without nightly
    assert red == _red_exprs(alone)
    # nightly keeps its row in the services table through its SLO columns
    table = _panel(mixed, "Services, worst first")
    renames = table["transformations"][1]["options"]["renameByName"]
    budget = next(t["expr"] for t in table["targets"] if renames[f"Value #{t['refId']}"] == "Budget left")
    assert '"service", "nightly"' in budget and '"service", "shop"' in budget


def test_overview_of_ratio_only_services_has_no_red_panels_or_columns() -> None:
    board = overview.dashboard(_catalog_of("sources-ratio.yaml"))
    titles = {p["title"] for p in board["panels"]}
    assert not titles & set(_OVERVIEW_RED)
    table = _panel(board, "Services, worst first")
    columns = set(table["transformations"][1]["options"]["renameByName"].values())
    assert columns == {"SLO status", "Budget left"}
    assert all("http_requests_total" not in t["expr"] for p in board["panels"] for t in p.get("targets", []))
