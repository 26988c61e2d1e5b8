"""The panels compute the right numbers: real panel queries, run by promtool on known series.

Series shaped like the instrumentation library's (tests/test_instrument_library.py
pins those names): 10 requests/s, 1 in 10 answered 500, 8 in 10 faster than the
latency SLO's 250 ms.  The demo's SLOs are 99.9 % availability and 99 % latency.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require_binary
from tests.dashboard_queries import case_dashboards, panel_queries

SCRAPE = "15s"
POINTS = 480  # two hours of 15 s samples
BASE = '{job="demo",instance="demo-1:8000",method="POST",route="/predict"'


def _series(name: str, labels: str, per_scrape: float) -> dict[str, str]:
    return {
        "series": f"{name}{BASE},{labels}}}" if labels else f"{name}{BASE}}}",
        "values": f"0+{per_scrape:g}x{POINTS}",
    }


INPUT = [
    _series("http_requests_total", 'code="200"', 135),  # 9/s
    _series("http_requests_total", 'code="500"', 15),  # 1/s
    _series("http_request_duration_seconds_bucket", 'le="0.25"', 120),  # 8/s under 250 ms
    _series("http_request_duration_seconds_bucket", 'le="+Inf"', 150),
    _series("http_request_duration_seconds_count", "", 150),
    {"series": 'up{job="demo",instance="demo-1:8000"}', "values": f"1x{POINTS}"},
]

#: (dashboard, panel title, target index) -> expected samples at 1h.
EXPECTED: list[tuple[str, str, int, list[dict[str, Any]]]] = [
    ("demo", "Requests / s now", 0, [{"labels": "{}", "value": 10}]),
    ("demo", "Error ratio", 0, [{"labels": "{}", "value": 0.1}]),
    (
        "demo",
        "Requests by status class",
        0,
        [{"labels": '{code_class="2xx"}', "value": 9}, {"labels": '{code_class="5xx"}', "value": 1}],
    ),
    ("demo", "Errors by route and code", 0, [{"labels": '{code="500",route="/predict"}', "value": 1}]),
    ("demo", "availability: SLI vs objective (99.9%)", 0, [{"labels": "{}", "value": 0.9}]),
    ("demo", "availability: burn rate", 0, [{"labels": "{}", "value": 100}]),
    ("demo", "availability: error budget left (28d)", 0, [{"labels": "{}", "value": -99}]),
    ("demo", "latency: SLI over the time range", 0, [{"labels": "{}", "value": 0.8}]),
    ("demo", "latency: burn rate", 3, [{"labels": "{}", "value": 20}]),
    ("demo", "latency: error budget left (28d)", 0, [{"labels": "{}", "value": -19}]),
    ("overview", "Services, worst first", 0, [{"labels": '{service="demo"}', "value": 10}]),
    ("overview", "Services, worst first", 3, [{"labels": '{service="demo"}', "value": -99}]),
    (
        "overview",
        "Error budget left, worst first",
        0,
        [
            {"labels": '{service="demo",slo="availability"}', "value": -99},
            {"labels": '{service="demo",slo="latency"}', "value": -19},
        ],
    ),
]


def _query(dashboard: str, title: str, index: int) -> str:
    board = case_dashboards("catalog.yaml")[f"dashboards/{dashboard}.json"]
    exprs = [expr for panel_title, expr in panel_queries(board) if panel_title == title]
    if not exprs:
        raise KeyError(f"{dashboard}: no panel {title!r}")
    return exprs[index]


def test_panel_queries_compute_rates_ratios_budgets_and_burn_rates(tmp_path: Path) -> None:
    promtool = require_binary("promtool", "prometheus")
    cases = [
        # Rates are floats (9.000000000000002): compare to a thousandth.
        {"expr": f"round(({_query(d, t, i)}) * 1000) / 1000", "eval_time": "1h", "exp_samples": samples}
        for d, t, i, samples in EXPECTED
    ]
    tests = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [{"interval": SCRAPE, "input_series": INPUT, "promql_expr_test": cases}],
    }
    path = tmp_path / "values.test.yaml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False), "utf-8")
    result = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("wrong", [0.11, 101])
def test_the_value_check_can_fail(tmp_path: Path, wrong: float) -> None:
    promtool = require_binary("promtool", "prometheus")
    case = {
        "expr": f"round(({_query('demo', 'availability: burn rate', 0)}) * 1000) / 1000",
        "eval_time": "1h",
        "exp_samples": [{"labels": "{}", "value": wrong}],
    }
    tests = {
        "rule_files": [],
        "tests": [{"interval": SCRAPE, "input_series": INPUT, "promql_expr_test": [case]}],
    }
    path = tmp_path / "wrong.test.yaml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False), "utf-8")
    result = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
