"""Label values for synthetic series, derived from the selector regexes users write.

A catalog whose regexes RE2 and Prometheus accept is never refused because obsgen cannot sample
them: the value is derived from the regex's syntax and checked with RE2 (anchored, as Prometheus
matches); where none is found, that SLO's generated rule tests are left out with a note in the
file.  Matchers on the status label are checked against the codes of the test traffic.
"""

from __future__ import annotations

import pytest

from obsgen import promql as Q
from obsgen.catalog import load_catalog, re2
from obsgen.catalog.regex_examples import examples
from obsgen.catalog.sources import sample
from obsgen.errors import CatalogError
from obsgen.generate import generate
from obsgen.generate.alerting import rule_tests

#: Regexes a user writes in a matcher, RE2 syntax, anchored by Prometheus.
REGEXES = [
    "5..",
    "GET|POST",
    "(?i)get|post",
    "(?i:Orders)-v[0-9]+",
    "orders(-v[0-9]+)?",
    ".+",
    ".*",
    "[^/]+",
    "/api/[^/]+/items",
    "/api/v[12]/.*",
    r"shop\.example\.com",
    r"[a-z0-9-]+\.example\.(com|org)",
    "default-shop(-checkout)?-80@kubernetes",
    r"\d{3}",
    "[[:alpha:]]+-[[:digit:]]{2}",
    r"\pL+",
    r"\p{Lu}[a-z]*",
    r"\Qa.b\E",
    r"\x{41}b",
    "(?P<name>ab)c",
    "(?U)a+?b",
    "a(?i)b",
    "x{2,5}",
    "(a|b)*c",
    "[[:word:]]+",
    "eu-(west|central)-[1-3]",
    "10\\.0\\.[0-9]+\\.[0-9]+:8080",
    "[^a-z]",
    "(?s).+",
]


@pytest.mark.parametrize("regex", REGEXES)
def test_a_value_is_derived_from_the_regex_and_re2_matches_it(regex: str) -> None:
    assert re2.compile_problem(regex) is None, "the table must hold valid RE2"
    assert any(re2.fullmatch(regex, e) for e in examples(regex)), examples(regex)
    labels = sample((Q.re_match("l", regex),))
    assert labels is not None and re2.fullmatch(regex, dict(labels)["l"])


@pytest.mark.parametrize(
    "matchers",
    [
        (Q.re_match("uri", "/api/[^/]+/items"), Q.not_re_match("uri", "/actuator/.+")),
        (Q.re_match("uri", "/.*"), Q.Matcher("uri", "!=", "/"), Q.not_re_match("uri", "/health.*")),
        (Q.re_match("host", ".+"), Q.not_re_match("host", "localhost|127\\..*")),
        (Q.re_match("pod", "api-[a-z0-9]+"), Q.not_re_match("pod", "api-canary.*")),
    ],
    ids=str,
)
def test_several_matchers_on_one_label_are_satisfied_together(matchers: tuple[Q.Matcher, ...]) -> None:
    labels = sample(matchers)
    assert labels is not None
    value = dict(labels)[matchers[0].label]
    for m in matchers:
        if m.op == "!=":
            assert value != m.value
        else:
            assert re2.fullmatch(m.value, value) == (m.op == "=~"), (m, value)


def _catalog(selector: str, slos: str) -> str:
    return (
        "apiVersion: obsgen/v1\nteams: {t: {}}\nservices:\n  pay:\n    team: t\n    source: micrometer\n"
        f"    selector: '{selector}'\n    slos:\n" + "".join(f"      {line}\n" for line in slos.splitlines())
    )


def test_a_regex_obsgen_cannot_sample_is_accepted_and_its_slo_goes_untested_with_a_note() -> None:
    text = _catalog(
        '{job="pay", script=~"\\\\p{Greek}+"}', "availability: {kind: availability, objective: 99}"
    )
    catalog = load_catalog(text.encode(), "catalog.yaml")
    assert catalog.services[0].slos[0].sli.untested is not None
    out = generate(catalog)
    tests = out["alerts/tests/pay.yaml"].decode()
    assert "# pay/availability: no outage or slow-burn test: obsgen found no label values matching" in tests
    assert "a total outage" not in tests  # no test that would write series the selector rejects
    assert "healthy traffic" in tests  # the service's other tests stay
    assert rule_tests.untested_notes(catalog.services[0])


def test_a_selector_that_provably_selects_nothing_is_still_refused() -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(
            _catalog('{job="a", job="b"}', "a: {kind: availability, objective: 99}").encode(), "c.yaml"
        )
    assert 'job="a" and job="b" select no series at all' in str(info.value.problems[0])


@pytest.mark.parametrize(
    ("selector", "slo", "message"),
    [
        (
            '{job="pay", status!~"5.."}',
            "a: {kind: availability, objective: 99}",
            'services.pay.selector: for SLO a: status!~"5.." admits no status that error_codes (5..) '
            "matches: this SLO could never count a failed request",
        ),
        (
            '{job="pay"}',
            "a: {kind: availability, objective: 99, selector: '{status=~\"5..\"}'}",
            'services.pay.slos.a.selector: for SLO a: status=~"5.." admits no status of a request that '
            "did not fail: every request this SLO selects would count as bad",
        ),
    ],
    ids=["availability without failures", "availability of failures only"],
)
def test_a_status_matcher_that_leaves_no_test_traffic_is_a_located_error(
    selector: str, slo: str, message: str
) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(_catalog(selector, slo).encode(), "catalog.yaml")
    assert message in str(info.value.problems[0])


def test_a_status_matcher_on_a_histogram_without_status_is_a_located_error() -> None:
    text = (
        "apiVersion: obsgen/v1\nteams: {t: {}}\nservices:\n  pay:\n    team: t\n    slos:\n"
        "      fast: {kind: latency, objective: 99, threshold: 250ms, selector: '{code=\"200\"}'}\n"
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(text.encode(), "catalog.yaml")
    assert "histogram http_request_duration_seconds has no code label" in str(info.value.problems[0])


def test_test_traffic_codes_pass_the_slos_status_matchers() -> None:
    text = _catalog(
        '{job="pay"}',
        "ok-latency: {kind: latency, objective: 99, threshold: 250ms, selector: '{status=~\"2..\"}'}\n"
        "no404: {kind: availability, objective: 99, selector: '{status!=\"404\"}'}",
    )
    slos = {slo.name: slo for slo in load_catalog(text.encode(), "catalog.yaml").services[0].slos}
    latency, no404 = slos["ok-latency"], slos["no404"]
    # slow (bad) requests of a latency SLO over 2xx answer 2xx, or the SLO would not see them
    assert latency.sli.source.error_code.startswith("2")  # type: ignore[attr-defined]
    src = no404.sli.source  # type: ignore[attr-defined]
    assert (src.success_code, src.error_code) == ("200", "500")
    assert src.client_error_code is not None and src.client_error_code.startswith("4")
    assert src.client_error_code != "404"
