"""Sources, selectors, error codes, grouping and ratio SLOs: every new catalog rule has a failing
example whose located message is asserted, and what validates generates."""

from __future__ import annotations

import pytest

from obsgen.catalog import load_catalog
from obsgen.cli import main
from obsgen.errors import CatalogError
from obsgen.generate import generate
from obsgen.sli.selector import SelectorError, parse_matchers, parse_series


def service(body: str, slos: str = "availability: {kind: availability, objective: 99.9}") -> str:
    """A one-service catalog; ``body`` lines go under the service (4 spaces), ``slos`` under slos."""
    lines = ["apiVersion: obsgen/v1", "teams: {t: {}}", "services:", "  pay:", "    team: t"]
    lines += [f"    {line}" for line in body.splitlines() if line]
    lines += ["    slos:", *(f"      {line}" for line in slos.splitlines() if line)]
    return "\n".join(lines) + "\n"


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as info:
        load_catalog(text.encode(), "catalog.yaml")
    return [str(p) for p in info.value.problems]


CASES = [
    (
        "selector with a metric name",
        service("selector: 'up{job=\"a\"}'"),
        "catalog.yaml:6:15: services.pay.selector: 'up{job=\"a\"}' is not a label-matcher list",
    ),
    (
        "selector with a function",
        service("selector: '{job=\"a\"} or vector(1)'"),
        "services.pay.selector: '{job=\"a\"} or vector(1)' is not a label-matcher list: expected nothing after '}'",
    ),
    ("selector with an unquoted value", service("selector: '{job=a}'"), "expected a quoted value"),
    ("selector with a reserved label", service("selector: '{__name__=\"x\"}'"), "is reserved"),
    ("selector with a bad label name", service("selector: '{1job=\"a\"}'"), "expected a label name"),
    (
        "selector regex RE2 rejects",
        service("selector: '{uri=~\"(?!/health).*\"}'"),
        "uses lookaround or backreferences",
    ),
    (
        "selector value with a template",
        service("selector: '{job=\"{{x}}\"}'"),
        "which alert templates or Grafana would expand",
    ),
    ("selector value with a Grafana variable", service("selector: '{job=\"$job\"}'"), "'$'"),
    ("unsatisfiable selector", service('selector: \'{job="a", job="b"}\''), "no label value satisfies"),
    (
        "SLO selector",
        service("", "a: {kind: availability, objective: 99, selector: 'uri=\"/x\"'}"),
        "services.pay.slos.a.selector:",
    ),
    (
        "edge proxy without selector",
        service("source: traefik"),
        "services.pay: a service measured by traefik shares its job with other services: add a selector",
    ),
    ("unknown source", service("source: spring"), "source: 'spring' is not one of obsgen, micrometer"),
    (
        "error_codes matching no status",
        service("error_codes: '6..'"),
        "error_codes: '6..' matches no status the obsgen source reports (HTTP status codes)",
    ),
    ("error_codes 5xx on numeric statuses", service("error_codes: '5xx'"), "matches no status"),
    ("gRPC names on an HTTP source", service("error_codes: 'Unavailable|Internal'"), "matches no status"),
    (
        "HTTP codes on grpc",
        service("source: grpc\nerror_codes: '5..'"),
        "'5..' matches no status the grpc source reports (gRPC code names (e.g. Unavailable|Internal))",
    ),
    (
        "grpc error_codes matching OK",
        service("source: grpc\nerror_codes: 'OK|Unavailable'"),
        "matches the success code OK",
    ),
    (
        "fastapi error_codes matching 2xx",
        service("source: prometheus-fastapi-instrumentator\nerror_codes: '.xx'"),
        "matches the success code 2xx",
    ),
    ("error_codes with a template", service("error_codes: '5..|{{x'"), "contains '{{'"),
    ("error_codes with a dollar", service("error_codes: '5..$'"), "contains '$'"),
    ("error_codes with Grafana's old syntax", service("error_codes: '5..|[[x]]'"), "contains '[['"),
    ("error_codes RE2 rejects", service("error_codes: '(5..)\\1'"), "lookaround or backreferences"),
    (
        "millisecond threshold hint",
        service(
            "source: istio\nselector: '{destination_service_name=\"r\"}'",
            "l: {kind: latency, objective: 99, threshold: 300ms}",
        ),
        "threshold: 300ms is not a bucket boundary of istio_request_duration_milliseconds (a millisecond histogram: "
        'le="250" is 250ms; nearest: 250ms, 500ms); add 300 to metrics.buckets',
    ),
    (
        "threshold in milliseconds of overridden buckets",
        service(
            "metrics: {duration_unit: milliseconds, buckets: [100, 200]}",
            "l: {kind: latency, objective: 99, threshold: 150ms}",
        ),
        "add 150 to metrics.buckets",
    ),
    (
        "group_by with a bad label",
        service("group_by: [cluster-name]"),
        "group_by[0]: 'cluster-name' is not a label",
    ),
    ("group_by le", service("group_by: [le]"), "'le' cannot be a group label"),
    (
        "SLO group_by slo",
        service("", "a: {kind: availability, objective: 99, group_by: [slo]}"),
        "services.pay.slos.a.group_by[0]: 'slo' cannot be a group label",
    ),
    (
        "ratio without total",
        service("", "r: {kind: ratio, objective: 99, errors: 'failed_total'}"),
        "services.pay.slos.r: a ratio SLO needs total",
    ),
    (
        "ratio with a function",
        service("", "r: {kind: ratio, objective: 99, errors: 'rate(x[5m])', total: 'x'}"),
        "services.pay.slos.r.errors: 'rate(x[5m])' is not a series selector",
    ),
    (
        "ratio selecting every event",
        service("", "r: {kind: ratio, objective: 99, errors: 'jobs_total', total: 'jobs_total'}"),
        "selects every series total does",
    ),
    (
        "ratio with a threshold",
        service("", "r: {kind: ratio, objective: 99, errors: 'a', total: 'b', threshold: 1s}"),
        "ratio SLOs take no threshold",
    ),
    (
        "errors on an availability SLO",
        service("", "a: {kind: availability, objective: 99, errors: 'a'}"),
        "only ratio SLOs take errors",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_each_source_rule_reports_a_located_message(text: str, expected: str) -> None:
    problems = problems_of(text)
    assert any(expected in p for p in problems), "\n".join(problems)
    assert all(p.startswith("catalog.yaml:") and ": services.pay" in p for p in problems), problems


VALID = [
    ("grpc default codes", service("source: grpc")),
    ("fastapi numeric codes", service("source: prometheus-fastapi-instrumentator\nerror_codes: '5..'")),
    (
        "micrometer _count",
        service(
            'source: micrometer\nselector: \'{application="pay", uri!="/actuator/health"}\'',
            "l: {kind: latency, objective: 99, threshold: 250ms}",
        ),
    ),
    (
        "istio 250ms",
        service(
            "source: istio\nselector: '{destination_service_name=\"r\"}'",
            "l: {kind: latency, objective: 99, threshold: 250ms}",
        ),
    ),
    (
        "regex selector",
        service('selector: \'{job=~"pay|pay-canary", route!~"/health|/metrics"}\'\ngroup_by: [cluster]'),
    ),
    (
        "ratio only",
        service(
            "",
            "r: {kind: ratio, objective: 99, errors: 'jobs_total{result=\"failed\"}', total: 'jobs_total'}",
        ),
    ),
]


@pytest.mark.parametrize("text", [pytest.param(t, id=i) for i, t in VALID])
def test_what_validates_generates(text: str) -> None:
    catalog = load_catalog(text.encode(), "catalog.yaml")
    assert generate(catalog)


def test_the_istio_threshold_selects_le_250() -> None:
    catalog = load_catalog(VALID[3][1].encode(), "catalog.yaml")
    bad = catalog.services[0].slos[0].sli.bad("5m")
    assert (
        'istio_request_duration_milliseconds_bucket{destination_service_name="r",reporter="destination",'
        'le=~"250(\\\\.0+)?"}' in bad
    )


def test_selectors_are_re_emitted_escaped() -> None:
    (m,) = parse_matchers("{path=~'/a\"b\\\\.c'}")
    assert str(m) == 'path=~"/a\\"b\\\\.c"'
    assert str(parse_series('x_total{a="1"}')) == 'x_total{a="1"}'
    with pytest.raises(SelectorError):
        parse_series('x_total{a="1"}[5m]')


@pytest.mark.parametrize("escape", ["\\U00110000", "\\x4", "\\q", "\\8"])
def test_a_bad_escape_in_a_selector_value_is_a_selector_error(escape: str) -> None:
    """Beyond the last code point, truncated or unknown: a user error, never a traceback (exit 70)."""
    with pytest.raises(SelectorError):
        parse_matchers('{a="' + escape + '"}')


def test_a_bug_exits_70_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("obsgen.cli._load", boom)
    assert main(["validate", "x.yaml"]) == 70
    err = capsys.readouterr().err
    assert "this is a bug, please report it" in err and "RuntimeError: boom" in err
