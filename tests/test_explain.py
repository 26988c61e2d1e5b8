"""`obsgen explain`: the numbers a reader sees before an alert wakes anyone."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from obsgen.explain import explain, explain_json
from obsgen.model import Catalog
from tests.conftest import REPO, TEST_CATALOGS, catalog_from

WORKBOOK = catalog_from("""
    apiVersion: obsgen/v1
    slo_period: 30d
    teams: {t: {}}
    services:
      api:
        team: t
        slos: {availability: {kind: availability, objective: 99.9}}
""")


def _row(text: str, start: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(start))
    return [c.strip() for c in line.strip("|").split("|")]


def test_a_999_slo_over_30_days_reproduces_the_workbook_table() -> None:
    text = explain(WORKBOOK)
    # severity, burn rate, windows, threshold, budget spent, detect @100%, @10%, @2%, @1%
    assert _row(text, "| page     | 14.4x") == [
        "page",
        "14.4x",
        "1h / 5m",
        "1.44%",
        "2%",
        "52 s",
        "8.6 min",
        "43.2 min",
        "never",
    ]
    assert _row(text, "| page     | 6x") == [
        "page",
        "6x",
        "6h / 30m",
        "0.6%",
        "5%",
        "2.2 min",
        "21.6 min",
        "1.8 h",
        "3.6 h",
    ]
    assert _row(text, "| ticket   | 3x")[:5] == ["ticket", "3x", "1d / 2h", "0.3%", "10%"]
    assert _row(text, "| ticket   | 1x")[:5] == ["ticket", "1x", "3d / 6h", "0.1%", "10%"]
    assert "first page at 1% errors: 3.6 h" in text


def test_low_objectives_show_the_cap() -> None:
    text = explain(catalog_from((TEST_CATALOGS / "alerts-low-objective.yaml").read_text()))
    assert "5x (capped, not 14.4x)" in text
    assert "first page at 100% errors: 30.0 min" in text


def test_ticket_only_services_have_no_page_rows() -> None:
    text = explain(catalog_from((TEST_CATALOGS / "alerts-ticket-only.yaml").read_text()))
    assert "| page" not in text
    assert "no burn-rate alerts: alerting.page and alerting.ticket are both off" in text


def test_the_cli_prints_the_explanation_of_the_example_catalog() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "obsgen", "explain", str(REPO / "catalog.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "## demo / availability" in result.stdout and "## demo / latency" in result.stdout


# --- Issue 15: the guard, the budget ticket and the cost before deploy ---------------------------

EXPLAIN_SCHEMA = REPO / "obsgen" / "explain.schema.json"


def _all_catalogs() -> list[Catalog]:
    return [
        catalog_from((REPO / "catalog.yaml").read_text()),
        *(catalog_from(p.read_text()) for p in sorted(TEST_CATALOGS.glob("*.yaml"))),
    ]


def test_explain_json_matches_its_schema_for_every_catalog() -> None:
    schema = json.loads(EXPLAIN_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for catalog in _all_catalogs():
        errors = sorted(validator.iter_errors(explain_json(catalog)), key=str)
        assert not errors, errors[0]


def test_the_schema_rejects_what_explain_never_prints() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(EXPLAIN_SCHEMA.read_text()))
    doc = explain_json(WORKBOOK)
    doc["slos"][0]["pairs"][0]["severity"] = "urgent"
    assert not validator.is_valid(doc)
    doc = explain_json(WORKBOOK)
    del doc["total"]["obsgen"]["series"]
    assert not validator.is_valid(doc)


def test_the_cli_prints_json_that_matches_the_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "obsgen", "explain", "--format", "json", str(REPO / "catalog.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    jsonschema.validate(json.loads(result.stdout), json.loads(EXPLAIN_SCHEMA.read_text()))


def test_cost_counts_the_generated_rules_and_their_reads() -> None:
    (slo,) = explain_json(WORKBOOK)["slos"]
    obsgen, sloth = slo["cost"]["obsgen"], slo["cost"]["sloth_style"]
    # 2 base recordings + 4 page-window ratios; page, ticket and budget-exhausted alerts.
    assert (obsgen["recording_rules"], obsgen["alert_rules"], obsgen["series"]) == (6, 3, 6)
    # Raw counters are read by the base recordings only: 1m / 15s = 4 samples, errors and all requests.
    assert obsgen["raw_samples_per_evaluation"] == 8
    # Sloth: 8 windows (5m..3d and the 30d period) over both counters: 2 x 49,535 min / 15 s.
    assert (sloth["rules"], sloth["series"], sloth["raw_samples_per_evaluation"]) == (17, 15, 396_280)


def test_group_by_cardinality_multiplies_the_series_and_recorded_reads() -> None:
    grouped = catalog_from("""
        apiVersion: obsgen/v1
        slo_period: 30d
        teams: {t: {}}
        services:
          api:
            team: t
            group_by: [cluster]
            group_by_cardinality: 3
            slos: {availability: {kind: availability, objective: 99.9}}
    """)
    one, three = explain_json(WORKBOOK)["slos"][0]["cost"], explain_json(grouped)["slos"][0]["cost"]
    assert three["groups"] == 3
    assert three["obsgen"]["series"] == 3 * one["obsgen"]["series"]
    assert three["obsgen"]["recorded_samples_per_evaluation"] == pytest.approx(
        3 * one["obsgen"]["recorded_samples_per_evaluation"]
    )
    assert three["sloth_style"]["series"] == 8 * 3 + 7


def test_the_guard_and_the_budget_ticket_are_explained() -> None:
    text = explain(WORKBOOK)
    assert (
        "low-traffic guard: alerts need at least 5 failed requests in the long window; a total outage at "
        "10 requests/hour: first page after 30.0 min"
    ) in text
    assert "budget exhausted: ticket when failed / all requests over 30d exceed 0.1%" in text
    assert "cost: 6 recording + 3 alert rules, 6 series" in text
    overrides = explain(catalog_from((TEST_CATALOGS / "alerts-overrides.yaml").read_text()))
    assert "low-traffic guard: off (min_failures: 0)" in overrides
    # checkout/availability pages on a 30m window: at 10 requests/hour it never holds 10 failures.
    assert (
        "a total outage at 10 requests/hour never raises a page (no long window of it holds 10 requests at "
        "that traffic)"
    ) in overrides
