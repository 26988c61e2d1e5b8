"""The one-pass grafanalib -> JSON conversion and the remembered class defaults (panels.py).

The pass must give exactly what ``json.loads(json.dumps(obj))`` with ``None`` dropped gave, for
every object the dashboards build; the defaults cache must never hand one object's required
arguments (a variable's query, a dashboard's title) to another.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import attr
import grafanalib.core as G
import pytest

from obsgen.catalog import load_catalog
from obsgen.generate import generate
from obsgen.generate.dashboards import panels as P
from obsgen.generate.dashboards import service
from obsgen.model import Catalog
from obsgen.render import to_json
from tests.conftest import TEST_CATALOGS, catalog_from

TWINS = """
apiVersion: obsgen/v1
slo_period: 30d
teams:
  t: {}
services:
  alpha:
    team: t
    slos:
      availability: {kind: availability, objective: 99.9}
      latency: {kind: latency, objective: 99, threshold: 250ms}
  bravo:
    team: t
    slos:
      availability: {kind: availability, objective: 99.9}
      latency: {kind: latency, objective: 99, threshold: 250ms}
"""


def varied() -> Catalog:
    path = TEST_CATALOGS / "dashboards-varied.yaml"
    return load_catalog(path.read_bytes(), str(path))


def round_trip(obj: Any) -> Any:
    """The conversion the one-pass version replaces (the reference)."""
    return P._drop_none(json.loads(json.dumps(obj, default=P._encode)))


def test_every_panel_target_link_and_variable_of_a_dashboard_converts_as_the_round_trip_did() -> None:
    catalog = varied()
    seen: list[Any] = []
    real = P._to_json

    def spy(obj: Any, keep: frozenset[str] = frozenset()) -> Any:
        seen.append(obj)
        return real(obj, keep)

    P._to_json = spy
    try:
        for svc in catalog.services:
            service.dashboard(catalog, svc)
    finally:
        P._to_json = real
    assert {type(o) for o in seen} >= {G.Dashboard, G.TimeSeries, G.Stat, G.Target, G.Template}
    for obj in seen:
        assert P._to_json(obj) == round_trip(obj)
        assert json.dumps(P._to_json(obj)) == json.dumps(round_trip(obj))  # same key order too


class Colour(enum.StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "extra",
    [
        {"options": {"a": None, "value": None, "from": None, "nested": [None, {"to": None, "x": None}]}},
        {"options": {"tuple": (1, 2.5, (True, None)), "neg_zero": -0.0, "big": 10**30}},
        {"options": {3: "int key", None: "none key", False: "bool key", 2.5: "float key"}},
        {"options": {"1": "a", 1: "b"}},  # keys that collide in JSON: the last one wins
        {"options": {"colour": Colour.RED, "sub": {Colour.RED: 1}}},
        {"options": {"object": G.GridPos(h=1, w=2, x=3, y=4), "list": [G.DataLink(title="t", linkUrl="u")]}},
    ],
)
def test_unusual_values_convert_as_the_round_trip_did(extra: dict[str, Any]) -> None:
    panel = P.timeseries("t", [P.Query("up")], unit="short", description="d.")
    panel = attr.evolve(panel, extraJson=extra)
    got, want = P._to_json(panel), round_trip(panel)
    # NaN != NaN: compare the JSON texts.
    assert json.dumps(got) == json.dumps(want)


NON_FINITE = [
    pytest.param({"options": {"nan": float("nan")}}, "nan", id="dict-value"),
    pytest.param({"options": {"steps": [1.0, float("inf")]}}, "inf", id="list-item"),
    pytest.param({"options": {"deep": [{"x": (0.5, float("-inf"))}]}}, "-inf", id="nested-tuple"),
    pytest.param({"options": {3: float("nan")}}, "nan", id="round-trip"),  # an int key: the round trip
    pytest.param({"options": {"pos": G.GridPos(h=1, w=2, x=float("inf"), y=4)}}, "inf", id="object"),
]


def _nan_panel(extra: dict[str, Any]) -> G.Panel:
    panel = P.timeseries("t", [P.Query("up")], unit="short", description="d.")
    return attr.evolve(panel, extraJson=extra)


@pytest.mark.parametrize(("extra", "shown"), NON_FINITE)
def test_the_pass_refuses_nan_and_infinity_with_the_json_writers_error(
    extra: dict[str, Any], shown: str
) -> None:
    with pytest.raises(ValueError, match=f"^cannot write {shown} in JSON$"):
        P._to_json(_nan_panel(extra))


@pytest.mark.parametrize(("extra", "shown"), NON_FINITE)
def test_a_dashboard_with_nan_or_infinity_fails_generation_with_the_json_writers_error(
    extra: dict[str, Any], shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dashboards are written without render's own walk (the pass checks): the whole pipeline still refuses.

    orjson writes NaN and infinity as null: were the pass not to check, this would write a file.
    """
    catalog = catalog_from(TWINS)
    real = service.dashboard

    def with_bad_panel(catalog: Catalog, svc: Any) -> Any:
        board = real(catalog, svc)
        return P.dashboard_json(
            title=board["title"],
            uid=board["uid"],
            description=board["description"],
            tags=board["tags"],
            panels=[_nan_panel(extra)],
            variables=[],
        )

    monkeypatch.setattr(service, "dashboard", with_bad_panel)
    with pytest.raises(ValueError, match=f"^cannot write {shown} in JSON$"):
        generate(catalog)
    with pytest.raises(ValueError, match=f"^cannot write {shown} in JSON$"):
        to_json({"x": float(shown)})  # the message of every other JSON file


def test_an_object_without_to_json_data_is_refused_as_before() -> None:
    panel = attr.evolve(
        P.timeseries("t", [P.Query("up")], unit="short", description="d."), extraJson={"x": {1, 2}}
    )
    with pytest.raises(TypeError, match="cannot write set to dashboard JSON"):
        P._to_json(panel)


def test_kept_parts_are_left_for_the_caller() -> None:
    panel = P.timeseries("t", [P.Query("up")], unit="short", description="d.")
    out = P._to_json(panel, frozenset({"targets"}))
    assert out["targets"] is panel.targets
    assert {k: v for k, v in out.items() if k != "targets"} == {
        k: v for k, v in round_trip(panel).items() if k != "targets"
    }


def test_remembered_defaults_belong_to_their_own_required_arguments() -> None:
    # Two variables differing only in a required argument: each gets its own defaults.
    a = G.Template(name="cluster", query="label_values(up{job='a'}, cluster)")
    b = G.Template(name="cluster", query="label_values(up{job='b'}, cluster)")
    assert P._defaults(a)["query"] == a.query
    assert P._defaults(b)["query"] == b.query
    assert P._defaults(a)["query"] == a.query  # again, from the cache
    one = G.Dashboard(title="svc-a")
    two = G.Dashboard(title="svc-b")
    assert P._defaults(one)["title"] == "svc-a"
    assert P._defaults(two)["title"] == "svc-b"


def test_two_services_differing_only_in_name_get_only_their_own_values() -> None:
    catalog = catalog_from(TWINS)
    first, second = catalog.services
    one = json.dumps(service.dashboard(catalog, first))
    two = json.dumps(service.dashboard(catalog, second))
    # Building the second does not change the first (nothing shared is mutated) ...
    assert json.dumps(service.dashboard(catalog, first)) == one
    # ... and each is the other with the names swapped: nothing of one leaked into the other.
    assert "bravo" not in one and "alpha" not in two
    assert two == one.replace("alpha", "bravo") or _same_but_ids(one, two)


def _same_but_ids(one: str, two: str) -> bool:
    """Panel ids hash the dashboard uid, so they differ between the twins; all else is the name."""

    def strip(text: str) -> Any:
        board = json.loads(text)
        for panel in board["panels"]:
            panel.pop("id")
        return board

    return bool(strip(two) == json.loads(json.dumps(strip(one)).replace("alpha", "bravo")))
