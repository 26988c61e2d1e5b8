"""The grafanalib layer: stable panel ids, no option silently dropped, Grafana's current model."""

from __future__ import annotations

import json
from typing import Any

import attr
import grafanalib.core as G
import pytest

from obsgen import conventions as C
from obsgen.generate.dashboards import dashboards
from obsgen.generate.dashboards import panels as P
from tests.conftest import catalog_from, schema_path

UID = "obsgen-test"


def panel(title: str, **options: Any) -> G.TimeSeries:
    """A house-style time series with grafanalib ``options`` set on top."""
    return attr.evolve(P.timeseries(title, [P.Query("up")], unit="short", description=f"{title}."), **options)


def board(*panels: G.Panel) -> dict[str, Any]:
    return P.dashboard_json(
        title="t",
        uid=UID,
        description="d",
        tags=[],
        variables=[],
        panels=P.grid([P.even(8, list(panels))]) if panels else [],
    )


def ids(dashboard: dict[str, Any]) -> dict[str, int]:
    return {p["title"]: p["id"] for p in dashboard["panels"]}


# --- Panel ids ------------------------------------------------------------------------------


def test_inserting_a_panel_does_not_renumber_the_others() -> None:
    before = ids(board(panel("Rate"), panel("Errors"), panel("Latency")))
    after = ids(board(panel("Saturation"), panel("Rate"), panel("Errors"), panel("Latency")))
    assert {title: after[title] for title in before} == before
    assert len(set(after.values())) == 4


def test_a_new_slo_adds_panels_and_keeps_every_existing_panels_id() -> None:
    """A user's bookmarked ``viewPanel=<id>`` link survives the catalog growing."""
    one = """
        apiVersion: obsgen/v1
        teams: {t: {}}
        services:
          pay:
            team: t
            slos:
              availability: {kind: availability, objective: 99.9}
    """
    # "api-latency" sorts before "availability": its row is inserted above, not appended.
    two = one + "          api-latency: {kind: latency, objective: 99, threshold: 250ms}\n"
    path = C.service_dashboard_path("pay")
    before = ids(dashboards(catalog_from(one))[path])
    after = ids(dashboards(catalog_from(two))[path])
    assert len(after) > len(before)
    assert {title: after[title] for title in before} == before


def test_panel_ids_depend_on_the_dashboard_and_the_title_and_fit_grafanas_uint32() -> None:
    assert P.panel_id(UID, "Rate") == P.panel_id(UID, "Rate")  # across processes: test_determinism.py
    assert P.panel_id(UID, "Rate") != P.panel_id(UID, "Errors")
    assert P.panel_id(UID, "Rate") != P.panel_id("obsgen-other", "Rate")
    assert all(1 <= P.panel_id(UID, str(i)) <= 2**31 - 1 for i in range(1000))


def test_two_panels_with_one_title_are_refused() -> None:
    with pytest.raises(ValueError, match="'Rate': has the same title"):
        board(panel("Rate"), panel("Rate"))


def test_a_positional_id_set_on_a_panel_is_refused() -> None:
    with pytest.raises(P.UnsupportedOption, match="id=3"):
        board(panel("Rate", id=3))


# --- Options: written or refused, never dropped ----------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "written"),
    [
        ("maxDataPoints", 500, {"maxDataPoints": 500}),
        ("transparent", True, {"transparent": True}),
        ("timeFrom", "1h", {"timeFrom": "1h"}),
        ("timeShift", "1d", {"timeShift": "1d"}),
        (
            "repeat",
            G.Repeat("h", "instance", 4),
            {"repeat": "instance", "repeatDirection": "h", "maxPerRow": 4},
        ),
    ],
    ids=["maxDataPoints", "transparent", "timeFrom", "timeShift", "repeat"],
)
def test_a_current_panel_option_that_is_set_is_written(
    option: str, value: Any, written: dict[str, Any]
) -> None:
    (out,) = board(panel("Rate", **{option: value}))["panels"]
    assert {k: out[k] for k in written} == written


def test_grafanalib_defaults_nobody_set_are_left_to_grafana() -> None:
    (out,) = board(panel("Rate"))["panels"]
    assert not {"maxDataPoints", "transparent", "span", "height", "editable", "error"} & out.keys()


@pytest.mark.parametrize(
    ("option", "value"),
    [("span", 6), ("height", "250px"), ("minSpan", 4), ("error", True)],
    ids=["span", "height", "minSpan", "error"],
)
def test_a_legacy_panel_option_that_is_set_is_refused(option: str, value: Any) -> None:
    with pytest.raises(P.UnsupportedOption, match=f"panel 'Rate': panel option {option}="):
        board(panel("Rate", **{option: value}))


def test_a_legacy_target_option_that_is_set_is_refused() -> None:
    legacy = panel("Rate", targets=[G.Target(expr="up", refId="A", step=30)])
    with pytest.raises(P.UnsupportedOption, match="target option step=30"):
        board(legacy)


# --- Grafana's current model -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "definition"),
    [
        (P.DASHBOARD, "Dashboard"),
        (P.PANEL, "Panel"),
        (P.VARIABLE, "VariableModel"),
        (P.OPTION, "VariableOption"),
        (P.LINK, "DashboardLink"),
        (P.TIMEPICKER, "TimePickerConfig"),
    ],
    ids=["dashboard", "panel", "variable", "option", "link", "timepicker"],
)
def test_the_model_keys_are_grafanas_schema(shape: P.Shape, definition: str) -> None:
    schema = json.loads(schema_path("grafana-dashboard.schema.json").read_text("utf-8"))
    properties = set(schema["definitions"][definition]["properties"])
    assert shape.model == properties
    assert shape.always <= shape.model


def test_the_schema_version_is_the_last_of_grafanas_v1_dashboard_api() -> None:
    assert board()["schemaVersion"] == P.SCHEMA_VERSION == 42
