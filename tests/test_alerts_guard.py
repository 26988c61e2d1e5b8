"""Issue 15, proven with promtool on hand-written series: the low-traffic guard, the budget-exhausted
ticket, per-SLO tuning; and the catalog rules that keep a window table able to fire."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog_file
from obsgen.generate import generate
from obsgen.generate.alerting.plan import slo_plans
from obsgen.model import Catalog
from tests.conftest import TEST_CATALOGS, catalog_from, require_binary
from tests.instrument_helpers import free_port, wait_for
from tests.test_catalog_validation import problems_of

SCRAPE = 15  # seconds
LOW_TRAFFIC = """
    apiVersion: obsgen/v1
    slo_period: 30d
    prometheus: {scrape_interval: 15s, evaluation_interval: 30s}
    teams: {t: {}}
    services:
      api:
        team: t
        %s
        slos:
          availability: {kind: availability, objective: 99.9}
"""
GUARDED = catalog_from(LOW_TRAFFIC % "")
UNGUARDED = catalog_from(LOW_TRAFFIC % "alerting: {min_failures: 0}")
#: Ten requests an hour, not aligned with scrapes or evaluations (real traffic is not).
REQUEST_EVERY = 360
FIRST_REQUEST = 97


def _counter(events: Sequence[float], end: int) -> str:
    """A counter's samples every 15 s up to ``end`` seconds, counting ``events`` (times in seconds)."""
    values = [sum(1 for e in events if e <= t) for t in range(0, end + 1, SCRAPE)]
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        parts.append(f"{values[i]}x{j - i}" if j > i else str(values[i]))
        i = j + 1
    return " ".join(parts)


def _low_traffic_series(end: int, failed: Any) -> list[dict[str, str]]:
    """Requests of job api every 6 minutes; ``failed(t)`` says which fail (code 500)."""
    times = list(range(FIRST_REQUEST, end, REQUEST_EVERY))
    return [
        {
            "series": 'http_requests_total{job="api",instance="x",code="200"}',
            "values": _counter([t for t in times if not failed(t)], end),
        },
        {
            "series": 'http_requests_total{job="api",instance="x",code="500"}',
            "values": _counter([t for t in times if failed(t)], end),
        },
        {"series": 'up{job="api",instance="x"}', "values": f"1x{end // SCRAPE}"},
    ]


def _run(
    tmp_path: Path, catalog: Catalog, service: str, tests: list[dict[str, Any]], evaluation: str = "30s"
) -> subprocess.CompletedProcess[str]:
    require_binary("promtool", "prometheus")
    for rel, data in generate(catalog).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    test_file = tmp_path / "proof.yaml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(tmp_path / C.alert_rules_path(service))],
                "evaluation_interval": evaluation,
                "tests": tests,
            }
        )
    )
    return subprocess.run(
        ["promtool", "test", "rules", str(test_file)], capture_output=True, text=True, timeout=300
    )


def _ever(expr: str, end: int, step: str = "30s") -> str:
    return f"max_over_time(({expr})[{end}s:{step}])"


# --- The low-traffic guard -------------------------------------------------------------------


ONE_FAILURE_END = 4 * 3600
ONE_FAILURE_AT = FIRST_REQUEST + 15 * REQUEST_EVERY  # about 1.5 h in


def _one_failure(expect_page: bool) -> dict[str, Any]:
    series = _low_traffic_series(ONE_FAILURE_END, lambda t: t == ONE_FAILURE_AT)
    page = 'ALERTS{alertstate="firing",severity="page"}'
    return {
        "interval": "15s",
        "input_series": series,
        "promql_expr_test": [
            {
                "expr": _ever(page, ONE_FAILURE_END),
                "eval_time": f"{ONE_FAILURE_END}s",
                "exp_samples": [
                    {
                        "labels": '{alertname="SLOErrorBudgetBurn",alertstate="firing",'
                        'service="api",severity="page",slo="availability",team="t"}',
                        "value": 1,
                    }
                ]
                if expect_page
                else [],
            },
        ],
    }


def test_one_failure_at_10_requests_an_hour_does_not_page(tmp_path: Path) -> None:
    """One failed request among ten an hour is a 1000x burn of a 99.9 % SLO; the guard (5 failures
    in the long window, the default) keeps it from paging at any evaluation of four hours."""
    result = _run(tmp_path, GUARDED, "api", [_one_failure(expect_page=False)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_the_guard_the_same_failure_pages(tmp_path: Path) -> None:
    """The same series with ``min_failures: 0`` (the rules before issue 15): it pages."""
    result = _run(tmp_path, UNGUARDED, "api", [_one_failure(expect_page=True)])
    assert result.returncode == 0, result.stdout + result.stderr


OUTAGE_START = 3600
OUTAGE_END = 3 * 3600


def _first_page_after_outage(lower: int, upper: int) -> dict[str, Any]:
    series = _low_traffic_series(OUTAGE_END, lambda t: t >= OUTAGE_START)
    first = (
        f'min(min_over_time(timestamp(ALERTS{{alertstate="firing",severity="page"}})[{OUTAGE_END}s:30s])) '
        f"- {OUTAGE_START}"
    )
    return {
        "interval": "15s",
        "input_series": series,
        "promql_expr_test": [
            {
                "expr": f"{first} >= bool {lower}",
                "eval_time": f"{OUTAGE_END}s",
                "exp_samples": [{"labels": "{}", "value": 1}],
            },
            {
                "expr": f"{first} <= bool {upper}",
                "eval_time": f"{OUTAGE_END}s",
                "exp_samples": [{"labels": "{}", "value": 1}],
            },
        ],
    }


def _nth_failure(n: int) -> int:
    """Seconds from the outage's start to its n-th failed request."""
    first = next(t for t in range(FIRST_REQUEST, OUTAGE_END, REQUEST_EVERY) if t >= OUTAGE_START)
    return first - OUTAGE_START + (n - 1) * REQUEST_EVERY


def test_a_sustained_outage_at_10_requests_an_hour_still_pages(tmp_path: Path) -> None:
    """Every request failing from 1 h on: it pages once the long window holds about five failures —
    measured after the 5th failed request (about 26 min after the outage starts), and not before
    the 4th (each failure counts between 2/3 and 4/3 in the estimate, see docs/alerts.md)."""
    lower = _nth_failure(4)
    upper = _nth_failure(5) + 120  # the 5th failure, plus the 1m base window and two evaluations
    result = _run(tmp_path, GUARDED, "api", [_first_page_after_outage(lower, upper)])
    assert result.returncode == 0, result.stdout + result.stderr


# --- The budget-exhausted ticket -----------------------------------------------------------------


BUDGET = catalog_from("""
    apiVersion: obsgen/v1
    slo_period: 30d
    prometheus: {scrape_interval: 15s, evaluation_interval: 30s}
    teams: {t: {}}
    services:
      api:
        team: t
        slos:
          availability: {kind: availability, objective: 99.9}
""")
EXHAUSTED = f'ALERTS{{alertname="{C.ALERT_BUDGET_EXHAUSTED}",alertstate="firing",severity="ticket"}}'


def test_the_budget_ticket_fires_when_the_periods_errors_exceed_the_budget_and_not_before(
    tmp_path: Path,
) -> None:
    """1 h clean at 10 requests/s, then 0.2 % errors (twice the 0.1 % budget): failed / all requests
    since the start crosses 0.1 % at 2 h (1 h x 0.2 % / 2 h).  Silent at every evaluation until
    1 h 50 min (cumulative 0.0917 %), firing at 2 h 10 min (0.1077 %)."""
    series = [
        {
            "series": 'http_requests_total{job="api",instance="x",code="200"}',
            "values": "0+150x240 36149.7+149.7x400",
        },
        {"series": 'http_requests_total{job="api",instance="x",code="500"}', "values": "0x240 0.3+0.3x400"},
        {"series": 'up{job="api",instance="x"}', "values": "1x640"},
    ]
    test = {
        "interval": "15s",
        "input_series": series,
        "promql_expr_test": [
            {"expr": _ever(EXHAUSTED, 110 * 60), "eval_time": "110m", "exp_samples": []},
            {
                "expr": f"count({EXHAUSTED})",
                "eval_time": "130m",
                "exp_samples": [{"labels": "{}", "value": 1}],
            },
        ],
    }
    result = _run(tmp_path, BUDGET, "api", [test])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_budget_is_counted_in_events_not_as_an_average_of_ratios(tmp_path: Path) -> None:
    """1 h at 100 requests/s without errors, then 1 h at 1 request/s with 0.5 % errors.  Events:
    18 failed of 363,600 (0.005 %), far inside the budget.  The time-average of the error ratio
    would be 0.25 %, above it: an average of ratios would have fired."""
    series = [
        {
            "series": 'http_requests_total{job="api",instance="x",code="200"}',
            "values": "0+1500x240 360014.925+14.925x240",
        },
        {
            "series": 'http_requests_total{job="api",instance="x",code="500"}',
            "values": "0x240 0.075+0.075x240",
        },
        {"series": 'up{job="api",instance="x"}', "values": "1x480"},
    ]
    ratio = "slo:sli_error:ratio_rate5m"
    test = {
        "interval": "15s",
        "input_series": series,
        "promql_expr_test": [
            {"expr": _ever(EXHAUSTED, 7200), "eval_time": "2h", "exp_samples": []},
            # The time-average of the recorded error ratio is above the budget: the trap is real.
            {
                "expr": f"count(avg_over_time({ratio}[2h]) > 0.001)",
                "eval_time": "2h",
                "exp_samples": [{"labels": "{}", "value": 1}],
            },
        ],
    }
    result = _run(tmp_path, BUDGET, "api", [test])
    assert result.returncode == 0, result.stdout + result.stderr


# --- Per-SLO tuning ------------------------------------------------------------------------------


OVERRIDES = load_catalog_file(str(TEST_CATALOGS / "alerts-overrides.yaml"))


def test_turning_off_the_page_tier_of_one_slo_leaves_only_tickets(tmp_path: Path) -> None:
    """checkout/latency has ``alerting: {page: false}``: two hours of every request slow raise
    tickets (burn and budget), never a page; the availability SLO beside it keeps its page."""
    healthy, slow = "0+1500x480", "0+0x480"
    series = [
        {"series": 'http_request_duration_seconds_count{job="checkout",instance="x"}', "values": healthy},
        {
            "series": 'http_request_duration_seconds_bucket{job="checkout",instance="x",le="+Inf"}',
            "values": healthy,
        },
        {
            "series": 'http_request_duration_seconds_bucket{job="checkout",instance="x",le="0.25"}',
            "values": slow,
        },
        {"series": 'up{job="checkout",instance="x"}', "values": "1x480"},
    ]
    latency = 'ALERTS{alertstate="firing",slo="latency"}'
    test = {
        "interval": "15s",
        "input_series": series,
        "promql_expr_test": [
            {"expr": _ever(f'{latency[:-1]},severity="page"}}', 7200), "eval_time": "2h", "exp_samples": []},
            {
                "expr": f"count by (alertname, severity) ({latency})",
                "eval_time": "2h",
                "exp_samples": [
                    {"labels": '{alertname="SLOErrorBudgetBurn",severity="ticket"}', "value": 1},
                    {"labels": '{alertname="SLOErrorBudgetExhausted",severity="ticket"}', "value": 1},
                ],
            },
        ],
    }
    result = _run(tmp_path, OVERRIDES, "checkout", [test])
    assert result.returncode == 0, result.stdout + result.stderr
    severities = {p.slo.name: p.severities for p in slo_plans(OVERRIDES, OVERRIDES.services[1])}
    assert severities == {"availability": ("page", "ticket"), "latency": ("ticket",)}


def test_a_window_table_of_its_own_is_what_the_rules_use() -> None:
    checkout = next(s for s in OVERRIDES.services if s.name == "checkout")
    (availability, _) = slo_plans(OVERRIDES, checkout)
    assert [(p.severity, p.long, p.short, p.burn_rate) for p in availability.pairs] == [
        ("page", timedelta(minutes=30), timedelta(minutes=3), 20.0),
        ("ticket", timedelta(hours=12), timedelta(hours=1), 2.0),
    ]
    assert availability.min_failures == 10
    rules = yaml.safe_load(generate(OVERRIDES)[C.alert_rules_path("checkout")])
    page = next(
        r
        for g in rules["groups"]
        for r in g["rules"]
        if r.get("alert") == C.ALERT_SLO_BURN
        and r["labels"] == {"service": "checkout", "slo": "availability", "team": "shop", "severity": "page"}
    )
    assert "slo:sli_error:ratio_rate30m" in page["expr"] and "/ 0.005 > 20" in page["expr"]
    assert "[30m]) * 30 > 9.5" in page["expr"]


# --- Catalog rules -------------------------------------------------------------------------------


def _with_alerting(service_alerting: str = "", slo_alerting: str = "", objective: float = 99.9) -> str:
    return f"""\
apiVersion: obsgen/v1
teams:
  payments: {{}}
services:
  pay:
    team: payments
{service_alerting}
    slos:
      availability:
        kind: availability
        objective: {objective}
{slo_alerting}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            _with_alerting(
                slo_alerting="        alerting: {windows: [{severity: page, long: 1h, short: 5m, "
                "burn_rate: 25}]}",
                objective=95,
            ),
            "services.pay.slos.availability.alerting.windows[0]: can never fire for SLO "
            "'availability' (objective 95%): burn_rate 25 x error budget 5% = 125% of requests would have to fail, "
            "and no outage fails more than 100%; use a burn_rate below 20",
            id="a pair that can never fire, with the arithmetic",
        ),
        pytest.param(
            _with_alerting(
                service_alerting="    alerting: {windows: [{severity: ticket, long: 1h, short: 2h, "
                "burn_rate: 2}]}"
            ),
            "services.pay.alerting.windows[0]: short window 2h must be shorter than the long window 1h",
            id="short window not shorter than long",
        ),
        pytest.param(
            _with_alerting(
                service_alerting="    alerting: {windows: [{severity: page, long: 1h, short: 30s, "
                "burn_rate: 14.4}]}"
            ),
            "services.pay.alerting.windows[0]: short window 30s is shorter than the 1m base window every alert window "
            "is derived from (max(4 scrapes of 15s, one evaluation interval of 30s)); use at least 1m",
            id="short window under four scrapes",
        ),
        pytest.param(
            _with_alerting(
                service_alerting="    alerting: {windows: [{severity: ticket, long: 60d, short: 6h, "
                "burn_rate: 1}]}"
            ),
            "services.pay.alerting.windows[0]: long window 60d is longer than slo_period 28d",
            id="long window beyond the period",
        ),
        pytest.param(
            _with_alerting(service_alerting="    alerting: {min_failures: 2.5}"),
            "services.pay.alerting.min_failures: expected a whole number, got 2.5",
            id="min_failures not whole",
        ),
        pytest.param(
            _with_alerting(service_alerting="    alerting: {min_failures: -1}"),
            "services.pay.alerting.min_failures: -1 must be greater than -1",
            id="min_failures negative",
        ),
        pytest.param(
            _with_alerting(
                slo_alerting="        alerting: {windows: [{severity: urgent, long: 1h, short: 5m, "
                "burn_rate: 2}]}"
            ),
            "services.pay.slos.availability.alerting.windows[0].severity: 'urgent' is not one of page, ticket",
            id="unknown severity",
        ),
    ],
)
def test_alert_tuning_mistakes_are_reported_with_a_path(text: str, expected: str) -> None:
    problems = problems_of(text)
    assert any(expected in p for p in problems), problems


def test_a_burn_rate_between_the_cap_and_100_percent_is_capped_like_the_default_table() -> None:
    catalog = catalog_from(
        _with_alerting(
            slo_alerting="        alerting: {windows: [{severity: page, long: 1h, short: 5m, burn_rate: 15}]}",
            objective=95,
        )
    )
    (p,) = slo_plans(catalog, catalog.services[0])
    assert p.pairs[0].threshold == 0.5 and p.pairs[0].capped


# --- Inhibition, with a real Alertmanager ----------------------------------------------------------


def _post(url: str, body: Any) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def _alerts(url: str) -> list[dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=5) as response:
            return list(json.load(response))
    except OSError:
        return None


def _alertmanager_states(
    tmp_path: Path, catalog: Catalog, alerts: list[dict[str, str]]
) -> dict[tuple[str, ...], str]:
    """Post ``alerts`` (label sets) to a real Alertmanager running the generated config; their states."""
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_bytes(generate(catalog)[C.ALERTMANAGER_CONFIG_PATH])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _alerts(url) is not None, "Alertmanager's API")
        _post(f"{url}/api/v2/alerts", [{"labels": labels} for labels in alerts])

        def states() -> dict[tuple[tuple[str, str], ...], str] | None:
            found = {tuple(sorted(a["labels"].items())): a["status"]["state"] for a in _alerts(url) or []}
            return found if len(found) == len(alerts) and "unprocessed" not in found.values() else None

        return {
            tuple(v for _, v in key): state for key, state in wait_for(states, "the alerts processed").items()
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def _am_alert(name: str, service: str, slo: str, team: str, severity: str, **extra: str) -> dict[str, str]:
    return {"alertname": name, "service": service, "slo": slo, "team": team, "severity": severity, **extra}


def test_alertmanager_mutes_the_budget_ticket_while_the_same_slo_pages(tmp_path: Path) -> None:
    """The generated alertmanager.yml, loaded by Alertmanager itself: with a page of checkout/availability
    firing, its SLOErrorBudgetExhausted ticket is inhibited; the ticket of another SLO is not."""
    states = _alertmanager_states(
        tmp_path,
        OVERRIDES,
        [
            _am_alert(C.ALERT_SLO_BURN, "checkout", "availability", "shop", "page"),
            _am_alert(C.ALERT_BUDGET_EXHAUSTED, "checkout", "availability", "shop", "ticket"),
            _am_alert(C.ALERT_BUDGET_EXHAUSTED, "checkout", "latency", "shop", "ticket"),
        ],
    )
    assert {(k[0], k[3]): v for k, v in states.items()} == {
        (C.ALERT_SLO_BURN, "availability"): "active",
        (C.ALERT_BUDGET_EXHAUSTED, "availability"): "suppressed",
        (C.ALERT_BUDGET_EXHAUSTED, "latency"): "active",
    }


def test_alertmanager_mutes_only_the_same_groups_ticket(tmp_path: Path) -> None:
    """group_by: [cluster]: a page of cluster c1 mutes c1's budget ticket, not c2's."""
    states = _alertmanager_states(
        tmp_path,
        GROUPED,
        [
            _am_alert(C.ALERT_SLO_BURN, "api", "availability", "t", "page", cluster="c1"),
            _am_alert(C.ALERT_BUDGET_EXHAUSTED, "api", "availability", "t", "ticket", cluster="c1"),
            _am_alert(C.ALERT_BUDGET_EXHAUSTED, "api", "availability", "t", "ticket", cluster="c2"),
        ],
    )
    # Keys are the label values in label-name order: alertname, cluster, service, severity, slo, team.
    assert {(k[0], k[1]): v for k, v in states.items()} == {
        (C.ALERT_SLO_BURN, "c1"): "active",
        (C.ALERT_BUDGET_EXHAUSTED, "c1"): "suppressed",
        (C.ALERT_BUDGET_EXHAUSTED, "c2"): "active",
    }


# --- Per group (group_by) ------------------------------------------------------------------------

GROUPED = catalog_from(LOW_TRAFFIC.replace("slos:", "group_by: [cluster]\n        slos:") % "")


def test_the_guard_and_the_budget_count_each_group_on_its_own(tmp_path: Path) -> None:
    """group_by: [cluster].  c1 serves 10 requests/s with 0.05 % errors (healthy, yet hundreds of
    failures a day); c2 serves 10 requests/hour, one of which fails, and later every request.  c1's
    failures must not open c2's guard: c2 pages only after its own ~5 failures, with its cluster
    label; c1 never alerts.  The budget ticket likewise follows c2's events alone."""
    end = 4 * 3600
    onset = 2 * 3600
    times = list(range(FIRST_REQUEST, end, REQUEST_EVERY))
    c2_failed = [t for t in times if t == ONE_FAILURE_AT or t >= onset]
    samples = end // SCRAPE
    series = [
        {
            "series": 'http_requests_total{job="api",instance="x",cluster="c1",code="200"}',
            "values": f"0+149.925x{samples}",
        },
        {
            "series": 'http_requests_total{job="api",instance="x",cluster="c1",code="500"}',
            "values": f"0+0.075x{samples}",
        },
        {
            "series": 'http_requests_total{job="api",instance="x",cluster="c2",code="200"}',
            "values": _counter([t for t in times if t not in c2_failed], end),
        },
        {
            "series": 'http_requests_total{job="api",instance="x",cluster="c2",code="500"}',
            "values": _counter(c2_failed, end),
        },
        {"series": 'up{job="api",instance="x"}', "values": f"1x{samples}"},
    ]
    burn = 'ALERTS{alertname="SLOErrorBudgetBurn",alertstate="firing"}'
    exhausted = f'ALERTS{{alertname="{C.ALERT_BUDGET_EXHAUSTED}",alertstate="firing"}}'
    first_c2_page = (
        f'min(min_over_time(timestamp(ALERTS{{alertstate="firing",severity="page",cluster="c2"}})'
        f"[{end}s:30s])) - {onset}"
    )
    fourth = next(t for t in times if t >= onset) + 3 * REQUEST_EVERY - onset
    test = {
        "interval": "15s",
        "input_series": series,
        "promql_expr_test": [
            # Until the outage: no alert at all (c2's single failure is held by its own guard).
            {
                "expr": f"count(max_over_time(({burn})[{onset}s:30s]))",
                "eval_time": f"{onset}s",
                "exp_samples": [],
            },
            # c1 never alerts; c2 pages, after its own 4th failure at the earliest.
            {"expr": _ever(f'{burn[:-1]},cluster="c1"}}', end), "eval_time": f"{end}s", "exp_samples": []},
            {
                "expr": f"{first_c2_page} >= bool {fourth}",
                "eval_time": f"{end}s",
                "exp_samples": [{"labels": "{}", "value": 1}],
            },
            # The budget: c2's period is far over it (a dozen failures of ~40 requests); c1's is not.
            {
                "expr": f"count by (cluster) ({exhausted})",
                "eval_time": f"{end}s",
                "exp_samples": [{"labels": '{cluster="c2"}', "value": 1}],
            },
        ],
    }
    result = _run(tmp_path, GROUPED, "api", [test])
    assert result.returncode == 0, result.stdout + result.stderr
