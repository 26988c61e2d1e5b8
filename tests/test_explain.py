"""`obsgen explain`: the numbers a reader sees before an alert wakes anyone."""

from __future__ import annotations

import subprocess
import sys

from obsgen.explain import explain
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
    assert _row(text, "| page     | 14.4x") == ["page", "14.4x", "1h / 5m", "1.44%", "2%", "52 s", "8.6 min",
                                              "43.2 min", "never"]
    assert _row(text, "| page     | 6x") == ["page", "6x", "6h / 30m", "0.6%", "5%", "2.2 min", "21.6 min",
                                            "1.8 h", "3.6 h"]
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
    result = subprocess.run([sys.executable, "-m", "obsgen", "explain", str(REPO / "catalog.yaml")],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "## demo / availability" in result.stdout and "## demo / latency" in result.stdout
