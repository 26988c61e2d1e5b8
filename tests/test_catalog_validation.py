"""Every catalog rule has a failing example whose message (and location) is asserted."""

from __future__ import annotations

import textwrap

import pytest

from obsgen.catalog import load_catalog
from obsgen.errors import CatalogError

VALID = """\
apiVersion: obsgen/v1
teams:
  payments: {}
services:
  pay:
    team: payments
    slos:
      availability: {kind: availability, objective: 99.9}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as info:
        load_catalog(textwrap.dedent(text).encode(), "catalog.yaml")
    return [str(p) for p in info.value.problems]


def test_minimal_catalog_is_valid_and_defaults_are_resolved() -> None:
    catalog = load_catalog(VALID.encode(), "catalog.yaml")
    (pay,) = catalog.services
    assert catalog.slo_period.days == 28
    assert pay.job == "pay"
    assert pay.error_codes == "5.."
    assert pay.metrics.requests == "http_requests_total"
    assert pay.metrics.buckets[0] == 0.005
    assert pay.slos[0].objective == pytest.approx(0.999)
    assert pay.alerting.page and pay.alerting.ticket


CASES = [
    # (id, catalog text, expected "line:col: path: message" fragment)
    (
        "missing apiVersion",
        VALID.replace("apiVersion: obsgen/v1\n", ""),
        "catalog.yaml:1:1: missing required key 'apiVersion'",
    ),
    (
        "wrong apiVersion",
        VALID.replace("obsgen/v1", "obsgen/v2"),
        "catalog.yaml:1:13: apiVersion: 'obsgen/v2' is not one of obsgen/v1",
    ),
    ("no teams", VALID.replace("teams:\n  payments: {}\n", ""), "missing required key 'teams'"),
    (
        "empty teams",
        VALID.replace("teams:\n  payments: {}\n", "teams: {}\n"),
        "teams: needs at least 1 entry",
    ),
    ("no services", VALID.split("services:")[0], "missing required key 'services'"),
    (
        "unknown top-level key with suggestion",
        VALID + "servces: {}\n",
        "catalog.yaml:9:1: servces: unknown key 'servces' (did you mean 'services'?)",
    ),
    (
        "unknown service key with suggestion",
        VALID.replace("    team: payments\n", "    team: payments\n    runbook: x\n"),
        "services.pay.runbook: unknown key 'runbook' (did you mean 'runbook_url'?)",
    ),
    (
        "undefined team with suggestion",
        VALID.replace("team: payments", "team: paymnts"),
        "catalog.yaml:6:11: services.pay.team: team 'paymnts' is not defined under teams; did you mean 'payments'?",
    ),
    (
        "bad service name",
        VALID.replace("  pay:", "  Pay_Service:"),
        "catalog.yaml:5:3: services.Pay_Service: name 'Pay_Service' must start with a lowercase letter",
    ),
    ("name too long", VALID.replace("  pay:", "  " + "p" * 64 + ":"), "at most 63 characters"),
    (
        "bad team name",
        VALID.replace("  payments: {}", "  9payments: {}").replace("team: payments", "team: 9payments"),
        "teams.9payments: name '9payments' must start with a lowercase letter",
    ),
    (
        "bad slo name",
        VALID.replace("      availability:", "      Avail:"),
        "services.pay.slos.Avail: name 'Avail' must start",
    ),
    (
        "objective 100",
        VALID.replace("99.9", "100"),
        "catalog.yaml:8:53: services.pay.slos.availability.objective: 100 must be less than 100",
    ),
    ("objective 0", VALID.replace("99.9", "0"), "objective: 0 must be greater than 0"),
    (
        "objective as string",
        VALID.replace("99.9", '"high"'),
        "objective: expected a number, got a string 'high'",
    ),
    (
        "unknown slo kind",
        VALID.replace("kind: availability", "kind: availabilty"),
        "kind: 'availabilty' is not one of availability, latency, ratio (did you mean 'availability'?)",
    ),
    (
        "latency without threshold",
        VALID.replace("{kind: availability, objective: 99.9}", "{kind: latency, objective: 99}"),
        "services.pay.slos.availability: a latency SLO needs a threshold",
    ),
    (
        "threshold on availability",
        VALID.replace("objective: 99.9}", "objective: 99.9, threshold: 250ms}"),
        "threshold: only latency SLOs take a threshold",
    ),
    (
        "threshold between buckets",
        VALID.replace(
            "{kind: availability, objective: 99.9}", "{kind: latency, objective: 99, threshold: 300ms}"
        ),
        "threshold: 300ms is not a bucket boundary of http_request_duration_seconds (nearest: 250ms, 500ms); add 0.3 to metrics.buckets",
    ),
    (
        "threshold between custom buckets",
        VALID.replace("    slos:", "    metrics: {buckets: [0.1, 0.2, 0.4]}\n    slos:").replace(
            "{kind: availability, objective: 99.9}", "{kind: latency, objective: 99, threshold: 300ms}"
        ),
        "(nearest: 200ms, 400ms)",
    ),
    (
        "bad duration unit",
        VALID.replace(
            "{kind: availability, objective: 99.9}", "{kind: latency, objective: 99, threshold: 250 ms}"
        ),
        "threshold: '250 ms' is not a duration; write a number with a unit: ms, s, m, h or d",
    ),
    (
        "bad slo_period",
        VALID.replace("teams:", "slo_period: 4 weeks\nteams:"),
        "slo_period: '4 weeks' is not a duration",
    ),
    (
        "empty slo_period",
        VALID.replace("teams:", "slo_period: ''\nteams:"),
        "slo_period: '' is not a duration",
    ),
    (
        "zero slo_period",
        VALID.replace("teams:", "slo_period: 0d\nteams:"),
        "slo_period: '0d' must be longer than zero",
    ),
    (
        "zero scrape interval",
        VALID.replace("teams:", "prometheus: {scrape_interval: 0s}\nteams:"),
        "prometheus.scrape_interval: '0s' must be longer than zero",
    ),
    (
        "absurd slo_period",
        VALID.replace("teams:", "slo_period: 99999d\nteams:"),
        "slo_period: '99999d' is longer than ten years",
    ),
    (
        "slo_period too short for the scrape interval",
        VALID.replace("teams:", "slo_period: 1h\nteams:"),
        "slo_period: the shortest alert window for this SLO period would be",
    ),
    (
        "invalid error_codes regex",
        VALID.replace("    slos:", '    error_codes: "(5.."\n    slos:'),
        "error_codes: '(5..' is not a valid regex",
    ),
    (
        "error_codes with lookahead",
        VALID.replace("    slos:", '    error_codes: "(?!2)..."\n    slos:'),
        "uses lookaround or backreferences, which Prometheus' regex engine (RE2) does not support",
    ),
    (
        "error_codes matching success",
        VALID.replace("    slos:", '    error_codes: ".*"\n    slos:'),
        "matches the success code 200",
    ),
    (
        "runbook not http",
        VALID.replace("    slos:", "    runbook_url: javascript:alert(1)\n    slos:"),
        "runbook_url: 'javascript:alert(1)' must be an http:// or https:// URL",
    ),
    (
        "metric name with a brace",
        VALID.replace("    slos:", '    metrics: {requests: "x{job=\\"a\\"}"}\n    slos:'),
        "is not a Prometheus metric name",
    ),
    (
        "bucket not positive",
        VALID.replace("    slos:", "    metrics: {buckets: [0, 0.1]}\n    slos:"),
        "buckets[0]: 0 must be greater than 0",
    ),
    (
        "duplicate bucket",
        VALID.replace("    slos:", "    metrics: {buckets: [0.1, 0.1]}\n    slos:"),
        "buckets[1]: 0.1 is listed twice",
    ),
    (
        "page not a boolean",
        VALID.replace("    slos:", "    alerting: {page: maybe}\n    slos:"),
        "alerting.page: expected true or false, got a string 'maybe'",
    ),
    (
        "duplicate service key",
        VALID + "  pay:\n    team: payments\n",
        "catalog.yaml:9:3: services.pay: duplicate key (first defined at line 5)",
    ),
    ("key read as boolean", VALID + "  on:\n    team: payments\n", "key 'on' is read as a boolean; quote it"),
    (
        "alias",
        VALID.replace("  payments: {}", "  payments: &t {}") + "  other:\n    team: *t\n",
        "anchors (&name) are not allowed",
    ),
    (
        "merge key",
        VALID.replace("    team: payments\n", "    team: payments\n    <<: {job: x}\n"),
        "merge keys (<<) are not allowed",
    ),
    (
        "tabs",
        VALID.replace("  payments: {}", "\tpayments: {}"),
        "tabs are not allowed for indentation in YAML; indent with spaces",
    ),
    ("top level is a list", "- apiVersion: obsgen/v1\n", "catalog.yaml:1:1: the top level must be a mapping"),
    ("empty file", "", "catalog.yaml: file is empty"),
    ("comments only", "# nothing here\n", "catalog.yaml: file is empty"),
    (
        "unclosed bracket",
        VALID.replace("{kind: availability, objective: 99.9}", "{kind: availability"),
        "invalid YAML",
    ),
    (
        "service named overview",
        VALID.replace("  pay:", "  overview:"),
        "service name 'overview' collides with the generated file dashboards/overview.json",
    ),
    (
        "service colliding with a USE dashboard",
        VALID.replace("  pay:", "  use-nodes:") + "resources:\n  nodes: {kind: node, job: node}\n",
        "collides with the generated file dashboards/use-nodes.json",
    ),
    (
        "unknown resource kind",
        VALID + "resources:\n  db: {kind: database, job: db}\n",
        "resources.db.kind: 'database' is not one of node, container",
    ),
    (
        "resource without job",
        VALID + "resources:\n  db: {kind: node}\n",
        "resources.db: missing required key 'job'",
    ),
    (
        "bad target",
        VALID.replace("    slos:", "    targets: ['demo 1:8000']\n    slos:"),
        "targets[0]: 'demo 1:8000' must be host:port",
    ),
    (
        "bad log level",
        VALID + "environments:\n  prod: {log_level: verbose}\n",
        "environments.prod.log_level: 'verbose' is not one of debug, info, warning, error, critical",
    ),
    (
        "slack channel with spaces",
        VALID.replace("  payments: {}", "  payments: {slack_channel: 'pay oncall'}"),
        "slack_channel: 'pay oncall' must look like #channel or @user",
    ),
    (
        "job with a newline",
        VALID.replace("    slos:", '    job: "a\\nb"\n    slos:'),
        "job: 'a\\nb' becomes the Kubernetes label obsgen.dev/job of the Service",
    ),
    (
        "job with a Grafana variable",
        VALID.replace("    slos:", '    job: "pay$instance"\n    slos:'),
        "job: 'pay$instance' becomes the Kubernetes label obsgen.dev/job of the Service",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_each_rule_reports_a_located_message(text: str, expected: str) -> None:
    problems = problems_of(text)
    assert any(expected in p for p in problems), "\n".join(problems)


def test_every_problem_is_reported_not_only_the_first() -> None:
    text = VALID.replace("team: payments", "team: paymnts").replace("99.9", "100") + "extra: 1\n"
    problems = problems_of(text)
    assert len(problems) == 3, problems
    assert [p.split(":")[1] for p in problems] == sorted((p.split(":")[1] for p in problems), key=int)


def test_non_utf8_file_is_located() -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(b"apiVersion: obsgen/v1\nteams:\n  caf\xe9: {}\n", "c.yaml")
    assert str(info.value.problems[0]) == "c.yaml:3:6: file is not valid UTF-8; save it as UTF-8"


def test_billion_laughs_is_refused_without_expanding() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' + "".join(
        f"{chr(99 + i)}: &{chr(99 + i)} [{','.join(['*' + chr(98 + i)] * 9)}]\n" for i in range(8)
    )
    problems = problems_of(bomb)
    assert "anchors (&name) are not allowed" in problems[0]


def test_objective_is_a_ratio_and_threshold_a_timedelta() -> None:
    text = VALID.replace(
        "{kind: availability, objective: 99.9}", "{kind: latency, objective: 99.5, threshold: 1s}"
    )
    (slo,) = load_catalog(text.encode(), "c.yaml").services[0].slos
    assert slo.objective == pytest.approx(0.995)
    assert slo.threshold_seconds == 1.0
    assert slo.error_budget == pytest.approx(0.005)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nesting is too deep", id="deep nesting"),
        pytest.param(b"apiVersion: obsgen/v1\n\x00", "c.yaml:2:1: control character", id="NUL byte"),
        pytest.param(b"x" * (16 * 1024 * 1024 + 1), "larger than 16 MiB", id="huge file"),
    ],
)
def test_hostile_input_is_a_clear_error(raw: bytes, expected: str) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(raw, "c.yaml")
    assert expected in str(info.value)
