"""The generated rules and their generated promtool tests, run by the real promtool.

Each catalog's output is generated once into a temporary directory; promtool checks the rules
and runs the unit tests generated with them.  Hand-written promtool tests below prove what the
generated ones cannot state generically: custom error codes, Go's ``le`` spelling, the
avg_over_time derivation and the measured detection times.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog_file
from obsgen.generate import generate
from obsgen.generate.alerting.plan import slo_plans
from obsgen.generate.alerting.rule_tests import detection_bound
from obsgen.model import Catalog
from tests.conftest import REPO, TEST_CATALOGS, catalog_from, require_binary

CATALOGS = {
    "example": REPO / "catalog.yaml",
    **{p.stem: p for p in sorted(TEST_CATALOGS.glob("alerts-*.yaml"))},
    **{p.stem: p for p in sorted(TEST_CATALOGS.glob("sources-*.yaml"))},
}


@dataclass
class Generated:
    catalog: Catalog
    out: Path
    test_run: subprocess.CompletedProcess[str]


def _write(catalog: Catalog, out: Path) -> None:
    for rel, data in generate(catalog).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    """Every catalog generated, and its generated unit tests run (two promtools at a time)."""
    require_binary("promtool", "prometheus")
    catalogs = {name: load_catalog_file(str(path)) for name, path in CATALOGS.items()}
    outs = {name: tmp_path_factory.mktemp(name) for name in catalogs}
    for name, catalog in catalogs.items():
        _write(catalog, outs[name])

    def run(name: str) -> subprocess.CompletedProcess[str]:
        tests = sorted((outs[name] / C.ALERT_TESTS_DIR).glob("*.yaml"))
        return _promtool("test", "rules", *tests)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(catalogs, pool.map(run, catalogs), strict=True))
    return {name: Generated(catalogs[name], outs[name], runs[name]) for name in catalogs}


@pytest.mark.parametrize("name", CATALOGS)
def test_generated_rules_pass_promtool_check_rules(generated: dict[str, Generated], name: str) -> None:
    rules = sorted((generated[name].out / C.ALERTS_DIR).glob("*.yaml"))
    assert rules, "no rule files generated"
    result = _promtool("check", "rules", *rules)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", CATALOGS)
def test_generated_unit_tests_pass_promtool_test_rules(generated: dict[str, Generated], name: str) -> None:
    result = generated[name].test_run
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


#: e2e.yaml evaluates every second over a 12-hour period: its generated tests take promtool minutes, and
#: the end-to-end suite runs its rules on a real Prometheus instead.
OTHER_CATALOGS = sorted(p for p in TEST_CATALOGS.glob("*.yaml") if p.stem not in CATALOGS and p.stem != "e2e")


@pytest.mark.parametrize("path", OTHER_CATALOGS, ids=[p.stem for p in OTHER_CATALOGS])
def test_every_other_test_catalogs_rules_and_rule_tests_pass_promtool(path: Path, tmp_path: Path) -> None:
    """The catalogs written for other areas (dashboards, deploy targets, outputs) generate rules and
    rule tests promtool accepts too: a valid catalog never yields a failing generated test."""
    require_binary("promtool", "prometheus")
    _write(load_catalog_file(str(path)), tmp_path)
    rules = sorted((tmp_path / C.ALERTS_DIR).glob("*.yaml"))
    if rules:
        result = _promtool("check", "rules", *rules)
        assert result.returncode == 0, result.stdout + result.stderr
    tests = sorted((tmp_path / C.ALERT_TESTS_DIR).glob("*.yaml"))
    if tests:
        result = _promtool("test", "rules", *tests)
        assert result.returncode == 0, result.stdout + result.stderr
    assert rules or not any(s.slos for s in load_catalog_file(str(path)).services), "SLOs but no rules"


def _tests(g: Generated) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for path in sorted((g.out / C.ALERT_TESTS_DIR).glob("*.yaml")):
        tests += yaml.safe_load(path.read_text())["tests"]
    return tests


@pytest.mark.parametrize("name", CATALOGS)
def test_every_slo_has_outage_slow_burn_and_silence_tests(generated: dict[str, Generated], name: str) -> None:
    g = generated[name]
    names = [t["name"] for t in _tests(g)]
    for service in g.catalog.services:
        if not (service.alerting.page or service.alerting.ticket):
            assert not any(n.startswith(f"{service.name}/") for n in names), "no alerts, no alert tests"
            assert any(n.startswith(f"{service.name}: zero traffic") for n in names), (
                "recordings still tested"
            )
            continue
        for slo in service.slos:
            if slo.sli.untested is not None:
                # A regex obsgen cannot sample: no series it could write; the file says so.
                assert not any(n.startswith(f"{service.name}/{slo.name}:") for n in names)
                text = (g.out / C.alert_tests_path(service.name)).read_text()
                assert f"# {service.name}/{slo.name}: no outage or slow-burn test: " in text
                continue
            assert any(n.startswith(f"{service.name}/{slo.name}: a total outage") for n in names)
            if service.alerting.ticket:
                assert any(n.startswith(f"{service.name}/{slo.name}: a slow burn") for n in names)
        for silent in ("healthy traffic", "zero traffic", "traffic that stops", "no request series"):
            assert f"{service.name}: {silent}" in " ".join(names)
        for gone in ("every target down", "the job gone from service discovery"):
            # Services measured at an edge proxy have no scrape targets of their own to watch.
            has = any(n.startswith(f"{service.name}: {gone}") for n in names)
            assert has == (service.up_job is not None), (service.name, gone)


def test_low_objective_thresholds_are_capped_and_a_total_outage_pages(
    generated: dict[str, Generated],
) -> None:
    g = generated["alerts-low-objective"]
    for p in slo_plans(g.catalog, g.catalog.services[0]):
        assert all(pair.threshold < 1 for pair in p.pairs)
        assert p.time_to_detect(C.SEVERITY_PAGE, 1.0) is not None
    names = [t["name"] for t in _tests(g)]
    assert any(n.startswith("reports/availability: a total outage pages within") for n in names)
    assert any(n.startswith("reports/best-effort: a total outage pages within") for n in names)
    assert g.test_run.returncode == 0, g.test_run.stdout


def test_ticket_only_services_never_page(generated: dict[str, Generated]) -> None:
    g = generated["alerts-ticket-only"]
    rules = yaml.safe_load((g.out / C.alert_rules_path("etl")).read_text())
    severities = {
        r["labels"][C.LABEL_SEVERITY] for grp in rules["groups"] for r in grp["rules"] if "alert" in r
    }
    assert severities == {C.SEVERITY_TICKET}
    silent = yaml.safe_load((g.out / C.alert_rules_path("silent")).read_text())
    assert not [r for grp in silent["groups"] for r in grp["rules"] if "alert" in r], (
        "page and ticket off: no alert"
    )
    names = [t["name"] for t in _tests(g)]
    assert any(n.startswith("etl/availability: a total outage opens a ticket and never pages") for n in names)


def test_rules_per_slo_stay_under_sloths_seventeen(generated: dict[str, Generated]) -> None:
    g = generated["example"]
    rules = yaml.safe_load((g.out / C.alert_rules_path("demo")).read_text())
    slo_rules = [
        rule
        for group in rules["groups"]
        for rule in group["rules"]
        if rule.get("record", "").startswith("slo:")
        or rule.get("alert") in (C.ALERT_SLO_BURN, C.ALERT_BUDGET_EXHAUSTED)
    ]
    # Shared by both SLOs: 2 base + 4 page-window ratio recordings; per SLO page + ticket burn alerts
    # and budget exhausted: the ticket-only windows are computed inside the ticket alert
    # (docs/alerts.md). 12 rules for 2 SLOs.
    assert len(slo_rules) / 2 == 6
    # The target alerts share the fast group: fast, slow (tickets) and budget.
    assert [group["name"] for group in rules["groups"]] == [
        C.slo_rule_group("demo", "fast"),
        C.slo_rule_group("demo", "slow"),
        C.slo_rule_group("demo", "budget"),
    ]


# --- Hand-written proofs ---------------------------------------------------------------


def _run_test_file(
    tmp_path: Path,
    catalog: Catalog,
    service: str,
    tests: list[dict[str, Any]],
    evaluation_interval: str | None = None,
) -> subprocess.CompletedProcess[str]:
    require_binary("promtool", "prometheus")
    _write(catalog, tmp_path)
    test_file = tmp_path / "proof.yaml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(tmp_path / C.alert_rules_path(service))],
                "evaluation_interval": evaluation_interval or "30s",
                "tests": tests,
            }
        )
    )
    return _promtool("test", "rules", test_file)


def test_custom_error_codes_count_429_but_not_404_and_go_le_spelling_works(tmp_path: Path) -> None:
    """(e): api_calls_total with code 429 is an error, 404 is not; le="1" matches a 1s threshold."""
    catalog = load_catalog_file(str(CATALOGS["alerts-custom-metrics"]))
    job = 'job="edge-gateway"'
    series = [
        {"series": f'api_calls_total{{{job},code="200"}}', "values": "0+60x40"},
        {"series": f'api_calls_total{{{job},code="429"}}', "values": "0+30x40"},
        {"series": f'api_calls_total{{{job},code="404"}}', "values": "0+10x40"},
        {"series": f"api_call_latency_seconds_count{{{job}}}", "values": "0+100x40"},
        {"series": f'api_call_latency_seconds_bucket{{{job},le="1"}}', "values": "0+75x40"},
        {"series": f'api_call_latency_seconds_bucket{{{job},le="+Inf"}}', "values": "0+100x40"},
        {"series": f'up{{{job},instance="x"}}', "values": "1x40"},
    ]
    ratio = "slo:sli_error:ratio_rate4m40s"
    tests = [
        {
            "interval": "15s",
            "input_series": series,
            "promql_expr_test": [
                # 30 of 100 calls are 429 (errors), 10 are 404 (not errors).
                {
                    "expr": f'abs({ratio}{{slo="availability"}} - 0.3) < bool 1e-9',
                    "eval_time": "9m",
                    "exp_samples": [
                        {"labels": '{service="gateway",slo="availability",team="edge"}', "value": 1}
                    ],
                },
                # 25 of 100 calls slower than le="1".
                {
                    "expr": f'abs({ratio}{{slo="latency"}} - 0.25) < bool 1e-9',
                    "eval_time": "9m",
                    "exp_samples": [{"labels": '{service="gateway",slo="latency",team="edge"}', "value": 1}],
                },
                {
                    "expr": 'count(ALERTS{alertstate="firing",slo="availability",severity="page"})',
                    "eval_time": "9m",
                    "exp_samples": [{"labels": "{}", "value": 1}],
                },
            ],
        }
    ]
    result = _run_test_file(tmp_path, catalog, "gateway", tests)
    assert result.returncode == 0, result.stdout + result.stderr


def _counter(per_scrape_by_5m: list[float]) -> str:
    """Explicit samples every 15s: the increment changes every 5 minutes; a restart at 1h."""
    values, value = [], 0.0
    for i, inc in enumerate(per_scrape_by_5m):
        for _ in range(20):
            value = 0.0 if (i == 12 and _ == 0) else value + inc
            values.append(f"{value:g}")
    return " ".join(values)


def test_long_windows_derived_with_avg_over_time_match_raw_rates(tmp_path: Path) -> None:
    """The 56m error ratio from 1m recordings matches the raw rate ratio within 3 % (measured: under
    2 %) under traffic whose mix changes every 5 minutes, across a counter reset.  Not exact: the derived
    window reaches one base window (1m) further back, weighted linearly, so its edges are soft."""
    catalog = load_catalog_file(str(CATALOGS["example"]))
    ok, bad = _counter([50 + 40 * (i % 3) for i in range(24)]), _counter([i % 4 for i in range(24)])
    series = [
        {"series": 'http_requests_total{job="demo",code="200"}', "values": ok},
        {"series": 'http_requests_total{job="demo",code="500"}', "values": bad},
        {"series": 'up{job="demo",instance="x"}', "values": "1x480"},
    ]
    raw = (
        'sum(rate(http_requests_total{job="demo",code=~"5.."}[56m])) / '
        'sum(rate(http_requests_total{job="demo"}[56m]))'
    )
    derived = 'slo:sli_error:ratio_rate56m{slo="availability"}'
    tests = [
        {
            "interval": "15s",
            "input_series": series,
            "promql_expr_test": [
                {
                    "expr": f"abs(sum({derived}) / ({raw}) - 1) < bool 0.03",
                    "eval_time": t,
                    "exp_samples": [{"labels": "{}", "value": 1}],
                }
                for t in ("58m", "75m", "90m", "110m")
            ],
        }
    ]
    result = _run_test_file(tmp_path, catalog, "demo", tests)
    assert result.returncode == 0, result.stdout + result.stderr


DETECTION = catalog_from("""
    apiVersion: obsgen/v1
    slo_period: 30d
    prometheus: {scrape_interval: 15s, evaluation_interval: 1m}
    teams: {t: {}}
    services:
      api:
        team: t
        slos:
          availability: {kind: availability, objective: 99.9}
""")


def _first_page_test(error_ratio: float, lower: timedelta, upper: timedelta) -> dict[str, Any]:
    warmup = 60 * 6 * 4  # six hours of healthy traffic (at 15s), so the 6h window starts clean
    burn = int(upper.total_seconds() // 15) + 8
    ok, bad = 10 * 15 * (1 - error_ratio), 10 * 15 * error_ratio
    end = timedelta(seconds=15 * (warmup + burn))
    first = (
        'min(min_over_time(timestamp(ALERTS{alertstate="firing",severity="page"})'
        f"[{int(end.total_seconds())}s:1m])) - {warmup * 15}"
    )
    return {
        "interval": "15s",
        "input_series": [
            {
                "series": 'http_requests_total{job="api",code="200"}',
                "values": f"0+150x{warmup - 1} {150 * warmup - 150 + ok}+{ok}x{burn}",
            },
            {
                "series": 'http_requests_total{job="api",code="500"}',
                "values": f"0+0x{warmup - 1} {bad}+{bad}x{burn}",
            },
            {"series": 'up{job="api",instance="x"}', "values": f"1x{warmup + burn}"},
        ],
        "promql_expr_test": [
            {
                "expr": f"{first} >= bool {int(lower.total_seconds())}",
                "eval_time": f"{int(end.total_seconds())}s",
                "exp_samples": [{"labels": "{}", "value": 1}],
            },
            {
                "expr": f"{first} <= bool {int(upper.total_seconds())}",
                "eval_time": f"{int(end.total_seconds())}s",
                "exp_samples": [{"labels": "{}", "value": 1}],
            },
        ],
    }


@pytest.mark.parametrize("error_ratio", [1.0, 0.1, 0.02, 0.01], ids=lambda r: f"{r:.0%} errors")
def test_first_page_comes_when_the_workbook_says(tmp_path: Path, error_ratio: float) -> None:
    """99.9 % over 30d, 1-minute evaluation: the first page comes no earlier than the workbook's
    time to detect minus one evaluation, and no later than the bound the generated tests use."""
    p = slo_plans(DETECTION, DETECTION.services[0])[0]
    expected = p.time_to_detect(C.SEVERITY_PAGE, error_ratio)
    upper = detection_bound(DETECTION, p, C.SEVERITY_PAGE, error_ratio)
    assert expected is not None and upper is not None
    lower = max(expected - DETECTION.evaluation_interval, timedelta(0))
    result = _run_test_file(tmp_path, DETECTION, "api", [_first_page_test(error_ratio, lower, upper)], "1m")
    assert result.returncode == 0, result.stdout + result.stderr
