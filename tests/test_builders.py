"""PromQL builders escape every value; durations parse and format both ways."""

from __future__ import annotations

from datetime import timedelta

import pytest

from obsgen import conventions as C
from obsgen import durations, promql


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("pay", '"pay"'),
        ('a"} or vector(1) #', '"a\\"} or vector(1) #"'),
        ("5\\d\\d", '"5\\\\d\\\\d"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("\x01", '"\\x01"'),
    ],
)
def test_quote_keeps_values_inside_the_string(value: str, literal: str) -> None:
    assert promql.quote(value) == literal


def test_selector_escapes_label_values_and_checks_names() -> None:
    sel = promql.selector("http_requests_total", promql.eq("job", 'x"}'), promql.re_match("code", "5..|429"))
    assert sel == 'http_requests_total{job="x\\"}",code=~"5..|429"}'
    with pytest.raises(ValueError):
        promql.selector("bad{name")
    with pytest.raises(ValueError):
        str(promql.eq("bad-label", "x"))


def test_window_and_rate() -> None:
    assert promql.rate("m", timedelta(minutes=5)) == "rate(m[5m])"
    assert promql.rate("m", "$__rate_interval") == "rate(m[$__rate_interval])"
    assert promql.sum_by(["job"], "x") == "sum by (job) (x)"
    with pytest.raises(durations.DurationError):
        promql.window("5 minutes")


@pytest.mark.parametrize(
    ("text", "ms", "formatted"),
    [
        ("400ms", 400, "400ms"),
        ("90m", 5_400_000, "1h30m"),
        ("28d", 28 * 86_400_000, "28d"),
        ("1h30m", 5_400_000, "1h30m"),
    ],
)
def test_durations_round_trip(text: str, ms: int, formatted: str) -> None:
    assert durations.parse_ms(text) == ms
    assert durations.format_prometheus(durations.parse(text)) == formatted


@pytest.mark.parametrize("bad", ["", "5", "5 m", "m", "0s", "1m1h", "-5m", "3w", "99999d"])
def test_bad_durations_are_rejected(bad: str) -> None:
    with pytest.raises(durations.DurationError):
        durations.parse_ms(bad)


@pytest.mark.parametrize(
    ("boundary", "written", "matches"),
    [
        (1.0, "1.0", True),
        (1.0, "1", True),
        (0.25, "0.25", True),
        (0.25, "0.250", True),
        (0.25, "0.2", False),
        (10.0, "10", True),
        (10.0, "1", False),
    ],
)
def test_le_matcher_accepts_every_client_spelling(boundary: float, written: str, matches: bool) -> None:
    import re

    assert bool(re.fullmatch(C.le_matcher(boundary), written)) is matches


def test_dashboard_uids_are_readable_short_and_distinct() -> None:
    # Stable across processes: tests/test_determinism.py (PYTHONHASHSEED) and the pinned
    # values in test_dashboards_structure.py::test_uids_do_not_change_between_releases.
    long_a, long_b = "a" * 63, "a" * 62 + "b"
    assert C.service_dashboard_uid("pay") == "obsgen-svc-pay"
    assert len(C.service_dashboard_uid(long_a)) <= C.GRAFANA_UID_MAX
    assert C.service_dashboard_uid(long_a) != C.service_dashboard_uid(long_b)


def test_json_output_keeps_the_stdlib_layout_and_refuses_nan() -> None:
    import json

    from obsgen.render import to_json

    data = {"b": [1, 2.5, {"z": 'é\n"', "a": None}], "a": {}, "c": []}
    assert to_json(data) == (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    with pytest.raises(ValueError, match="cannot write nan"):
        to_json({"x": [float("nan")]})
