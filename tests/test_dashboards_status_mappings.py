"""The overview's "SLO status" text, as Grafana's range value mappings compute it."""

from __future__ import annotations

import math
from typing import Any

import pytest

from obsgen import conventions as C
from tests.dashboard_queries import case_dashboards


def _js_is_nan(value: Any) -> bool:
    """JavaScript's global isNaN: null and numbers are numbers (isNaN(null) is false, null -> 0)."""
    return (value is not None and not isinstance(value, int | float)) or (
        isinstance(value, float) and math.isnan(value)
    )


def _js_number(value: Any) -> float:
    return 0.0 if value is None else float(value)


def grafana_mapping(mappings: list[dict[str, Any]], value: float) -> str | None:
    """getValueMappingResult (packages/grafana-data/src/utils/valueMappings.ts) for range mappings."""
    for mapping in mappings:
        assert mapping["type"] == "range"
        options = mapping["options"]
        low, high = options["from"], options["to"]
        if not _js_is_nan(low) and value < _js_number(low):
            continue
        if not _js_is_nan(high) and value > _js_number(high):
            continue
        return str(options["result"]["text"])
    return None


def _status_mappings() -> list[list[dict[str, Any]]]:
    overview = case_dashboards("catalog.yaml")[C.overview_dashboard_path()]
    found = []
    for panel in overview["panels"]:
        for override in panel.get("fieldConfig", {}).get("overrides", []):
            for prop in override["properties"]:
                if prop["id"] == "mappings":
                    found.append(prop["value"])
    return found


@pytest.mark.parametrize(
    ("budget_left", "status"),
    [
        pytest.param(-40.0, "Breached", id="budget spent 41 times over"),
        pytest.param(-0.01, "Breached", id="just spent"),
        pytest.param(0.1, "At risk", id="a tenth left"),
        pytest.param(0.3, "OK", id="30% left"),
        pytest.param(1.0, "OK", id="untouched"),
    ],
)
def test_the_status_column_says_what_the_budget_left_means(budget_left: float, status: str) -> None:
    tables = _status_mappings()
    assert len(tables) == 2  # services table and SLO table
    for mappings in tables:
        assert grafana_mapping(mappings, budget_left) == status


def test_the_model_of_grafana_treats_null_as_zero_like_grafana() -> None:
    """The bug this guards against: {"from": 0.25, "to": null} never matched 0.3."""
    old_ok = [{"type": "range", "options": {"from": 0.25, "to": None, "result": {"text": "OK"}}}]
    assert grafana_mapping(old_ok, 0.3) is None
