"""`obsgen import openslo`: what maps (exactly), what is refused (exit 2, file/document/field named).

Unit tables drive the SLI decisions; refusals and hostile inputs go through the real CLI in a
subprocess, so "exit 2 and a message, never a traceback" is what is asserted.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from obsgen.catalog import load_catalog
from obsgen.openslo import import_openslo
from obsgen.openslo.load import Doc
from obsgen.openslo.model import At, Query, RatioSLI
from obsgen.openslo.sli import Availability, Latency, Ratio, SLIError, classify
from tests.conftest import REPO

CASES = REPO / "tests" / "openslo" / "cases"


def obsgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obsgen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


# --- SLI decisions -------------------------------------------------------------------------


def _sli(total: str, good: str | None = None, bad: str | None = None) -> RatioSLI:
    at = At(Doc("t.yaml", 1, {}), ())
    return RatioSLI(
        "s", Query(good, at) if good else None, Query(bad, at) if bad else None, Query(total, at), at
    )


@pytest.mark.parametrize(
    ("bad", "total", "requests", "codes", "matchers"),
    [
        (
            'sum(rate(http_requests_total{job="api",code=~"5.."}[5m]))',
            'sum(rate(http_requests_total{job="api"}[5m]))',
            "http_requests_total",
            "5..",
            'job="api"',
        ),
        (
            'api_calls_total{code=~"5..|429", job="gw"}',
            'api_calls_total{job="gw"}',
            "api_calls_total",
            "5..|429",
            'job="gw"',
        ),
        (
            'increase(x_total{code="503",env="prod"}[1h])',
            'increase(x_total{env="prod"}[1h])',
            "x_total",
            "503",
            'env="prod"',
        ),
    ],
    ids=["sum-rate", "plain-selectors-any-order", "equality-code-is-escaped-as-regex"],
)
def test_bad_is_total_plus_a_code_matcher_maps_to_availability(
    bad: str, total: str, requests: str, codes: str, matchers: str
) -> None:
    m = classify(_sli(total, bad=bad))
    assert isinstance(m, Availability)
    assert (m.requests, m.error_codes, ",".join(str(x) for x in m.matchers)) == (requests, codes, matchers)


def test_good_is_total_plus_one_matcher_maps_to_its_negation() -> None:
    m = classify(_sli('jobs_total{queue="q"}', good='jobs_total{queue="q",result="ok"}'))
    assert isinstance(m, Ratio)
    assert (str(m.errors), str(m.total)) == ('jobs_total{queue="q",result!="ok"}', 'jobs_total{queue="q"}')


def test_good_code_regex_becomes_a_negated_ratio_not_an_availability_guess() -> None:
    m = classify(_sli('http_requests_total{job="a"}', good='http_requests_total{job="a",code=~"2..|3.."}'))
    assert isinstance(m, Ratio)
    assert str(m.errors) == 'http_requests_total{job="a",code!~"2..|3.."}'


@pytest.mark.parametrize(
    ("good", "total", "le"),
    [
        ('sum(rate(h_seconds_bucket{job="a",le="0.3"}[5m]))', 'sum(rate(h_seconds_count{job="a"}[5m]))', 0.3),
        ('h_seconds_bucket{le="1",job="a"}', 'h_seconds_bucket{job="a",le="+Inf"}', 1.0),
        ('h_seconds_bucket{job="a",le=~"0\\\\.250*"}', 'h_seconds_count{job="a"}', 0.25),
    ],
    ids=["bucket-over-count", "bucket-over-inf-bucket", "obsgen-le-regex"],
)
def test_bucket_over_count_maps_to_latency(good: str, total: str, le: float) -> None:
    m = classify(_sli(total, good=good))
    assert isinstance(m, Latency)
    assert (m.histogram, m.le, [str(x) for x in m.matchers]) == ("h_seconds", le, ['job="a"'])


def test_other_counter_pairs_map_to_ratio_verbatim() -> None:
    m = classify(
        _sli('sum(queue_messages_total{queue="orders"})', bad='queue_dead_letters_total{queue="orders"}')
    )
    assert isinstance(m, Ratio)
    assert (str(m.errors), str(m.total)) == (
        'queue_dead_letters_total{queue="orders"}',
        'queue_messages_total{queue="orders"}',
    )


@pytest.mark.parametrize(
    ("good", "total", "words"),
    [
        ('sum by (route) (rate(x{job="a",ok="1"}[5m]))', 'sum(rate(x{job="a"}[5m]))', "groups"),
        ('rate(x{ok="1"}[5m]) / 2', "x", "unexpected"),
        ("histogram_quantile(0.9, rate(h_bucket[5m]))", "h_count", "not a counter"),
        ('x{code=~"2xx|3xx",host="*"}', 'x{code="total",host="*"}', "total - good"),
        ('x{a="1",b="2"}', "x", "total - good"),
        ("x offset 5m", "x", "offsets"),
        ('h_bucket{le=~"0.1|0.2"}', "h_count", "le matcher"),
    ],
    ids=[
        "grouping",
        "arithmetic",
        "function",
        "good-not-within-total",
        "two-extra-matchers",
        "offset",
        "le-regex-of-two-buckets",
    ],
)
def test_queries_that_cannot_be_mapped_exactly_are_refused(good: str, total: str, words: str) -> None:
    with pytest.raises(SLIError, match=words):
        classify(_sli(total, good=good))


# --- Whole imports ---------------------------------------------------------------------------


def test_api_case_maps_services_slos_alerting_and_receivers() -> None:
    text, notes = import_openslo([str(CASES / "api.yaml")])
    data = yaml.safe_load(text)
    assert data["slo_period"] == "28d"  # 4w and 28d are one period
    assert data["teams"] == {
        "platform": {"pagerduty_service": "platform", "slack_channel": "#platform-alerts"}
    }
    api = data["services"]["api"]
    assert api["job"] == "api" and api["team"] == "platform"
    windows = [  # one condition per severity: the lookback is the long window, the short one is 1/12 of it
        {"severity": "page", "long": "56m", "short": "4m40s", "burn_rate": 14.4},
        {"severity": "ticket", "long": "22h24m", "short": "1h52m", "burn_rate": 3},
    ]
    assert api["slos"]["availability"] == {
        "kind": "availability",
        "objective": 99.9,
        "description": "Requests that do not fail",
        "alerting": {"windows": windows},
    }
    assert api["slos"]["latency"] == {
        "kind": "latency",
        "objective": 99,
        "threshold": "300ms",
        "alerting": {"windows": windows},
    }
    assert 0.3 in api["metrics"]["buckets"]
    assert api["alerting"] == {"page": True, "ticket": True}
    assert any("alertAfter 5m" in n for n in notes)
    assert text.startswith("# obsgen catalog imported from OpenSLO")
    load_catalog(text.encode(), "imported.yaml")


def test_import_is_deterministic_and_writes_through_the_cli(tmp_path: Path) -> None:
    first = obsgen("import", "openslo", str(CASES / "api.yaml"), "--out", "c.yaml", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = obsgen("import", "openslo", str(CASES / "api.yaml"), cwd=tmp_path)
    assert again.stdout.encode() == (tmp_path / "c.yaml").read_bytes()
    assert (
        obsgen("import", "openslo", str(CASES / "api.yaml"), "--out", "c.yaml", cwd=tmp_path).returncode == 2
    )
    assert obsgen("validate", "c.yaml", cwd=tmp_path).returncode == 0


# --- Refusals and hostile inputs (through the CLI) -----------------------------------------

SERVICE = """
apiVersion: openslo/v1
kind: Service
metadata: {name: api}
spec: {}
"""


def _slo(**spec: object) -> str:
    base: dict[str, object] = {
        "service": "api",
        "indicator": {
            "metadata": {"name": "errors"},
            "spec": {
                "ratioMetric": {
                    "counter": True,
                    "bad": {
                        "metricSource": {
                            "type": "Prometheus",
                            "spec": {"query": 'x_total{job="api",code=~"5.."}'},
                        }
                    },
                    "total": {
                        "metricSource": {"type": "Prometheus", "spec": {"query": 'x_total{job="api"}'}}
                    },
                }
            },
        },
        "timeWindow": [{"duration": "28d", "isRolling": True}],
        "budgetingMethod": "Occurrences",
        "objectives": [{"target": 0.99}],
    }
    base.update(spec)
    return yaml.safe_dump(
        {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "api-availability"}, "spec": base},
        sort_keys=False,
    )


POLICY = """
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: pager}
spec:
  alertWhenNoData: false
  alertWhenResolved: true
  alertWhenBreaching: true
  conditions: [{conditionRef: %(cond)s}]
  notificationTargets: [{targetRef: %(target)s}]
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: fast}
spec:
  severity: %(severity)s
  condition: {kind: burnrate, op: %(op)s, threshold: 14.4, lookbackWindow: 56m, alertAfter: 1m}
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: pd}
spec: {target: "pagerduty:api"}
"""


def _policy(cond: str = "fast", target: str = "pd", severity: str = "page", op: str = "gt") -> str:
    return POLICY % {"cond": cond, "target": target, "severity": severity, "op": op}


REFUSALS = {
    "calendar window": (
        SERVICE
        + "---\n"
        + _slo(
            timeWindow=[
                {
                    "duration": "1M",
                    "isRolling": False,
                    "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": "Europe/Paris"},
                }
            ]
        ),
        "document 2 (SLO api-availability) spec.timeWindow[0].isRolling: calendar windows are not supported",
    ),
    "timeslices": (
        SERVICE
        + "---\n"
        + _slo(
            budgetingMethod="Timeslices",
            objectives=[{"target": 0.99, "timeSliceTarget": 0.9, "timeSliceWindow": "1m"}],
        ),
        "spec.budgetingMethod: Timeslices budgeting is not supported",
    ),
    "threshold SLI": (
        SERVICE
        + "---\n"
        + _slo(
            indicator={
                "metadata": {"name": "lat"},
                "spec": {
                    "thresholdMetric": {
                        "metricSource": {
                            "type": "Prometheus",
                            "spec": {"query": "histogram_quantile(0.9, x)"},
                        }
                    }
                },
            }
        ),
        "spec.indicator.spec.thresholdMetric: threshold SLIs are not supported",
    ),
    "composite SLO": (
        SERVICE + "---\n" + _slo(objectives=[{"target": 0.99, "compositeWeight": 1, "indicatorRef": "a"}]),
        "spec.objectives[0].compositeWeight: composite SLOs are not supported",
    ),
    "another metric source": (
        SERVICE
        + "---\n"
        + _slo(
            indicator={
                "metadata": {"name": "e"},
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": {"metricSource": {"type": "Datadog", "spec": {"query": "sum:errors{*}"}}},
                        "total": {"metricSource": {"type": "Datadog", "spec": {"query": "sum:all{*}"}}},
                    }
                },
            }
        ),
        "ratioMetric.bad.metricSource.type: metric source type 'Datadog' is not supported",
    ),
    "unmappable query": (
        SERVICE
        + "---\n"
        + _slo(
            indicator={
                "metadata": {"name": "e"},
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": {
                            "metricSource": {"type": "Prometheus", "spec": {"query": "sum(rate(a[5m])) / 2"}}
                        },
                        "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "b"}}},
                    }
                },
            }
        ),
        "ratioMetric.bad.metricSource.spec.query: not a counter obsgen can map exactly",
    ),
    "months": (
        SERVICE + "---\n" + _slo(timeWindow=[{"duration": "1M", "isRolling": True}]),
        "spec.timeWindow[0].duration: '1M': months, quarters and years have no fixed length",
    ),
    "wrong apiVersion": (
        SERVICE.replace("openslo/v1", "openslo/v1alpha"),
        "document 1 (Service api) apiVersion: 'openslo/v1alpha' is not supported",
    ),
    "unknown kind": (
        SERVICE + "---\napiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: d}\nspec: {}\n",
        "document 2 (Dashboard d) kind: unknown kind 'Dashboard'",
    ),
    "schema violation": (
        SERVICE + "---\n" + _slo(objectives=[{"target": 1.5}]),
        "spec.objectives[0].target: 1.5 is greater than or equal to the maximum of 1 (OpenSLO v1 schema",
    ),
    "missing service": (
        _slo(),
        "document 1 (SLO api-availability) spec.service: no Service named 'api' in the input",
    ),
    "missing SLI": (
        SERVICE + "---\n" + _slo(indicator=None, indicatorRef="nope").replace("  indicator: null\n", ""),
        "spec.indicatorRef: no SLI named 'nope'",
    ),
    "missing alert policy": (
        SERVICE + "---\n" + _slo(alertPolicies=["nope"]),
        "spec.alertPolicies[0]: no AlertPolicy named 'nope'",
    ),
    "missing condition": (
        SERVICE + "---\n" + _slo(alertPolicies=["pager"]) + "---\n" + _policy(cond="nope"),
        "(AlertPolicy pager) spec.conditions[0].conditionRef: no AlertCondition named 'nope'",
    ),
    "missing target": (
        SERVICE + "---\n" + _slo(alertPolicies=["pager"]) + "---\n" + _policy(target="nope"),
        "spec.notificationTargets[0].targetRef: no AlertNotificationTarget named 'nope'",
    ),
    "missing data source": (
        SERVICE
        + "---\n"
        + _slo(
            indicator={
                "metadata": {"name": "e"},
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": {"metricSource": {"metricSourceRef": "prom", "spec": {"query": "a"}}},
                        "total": {"metricSource": {"metricSourceRef": "prom", "spec": {"query": "b"}}},
                    }
                },
            }
        ),
        "ratioMetric.bad.metricSource.metricSourceRef: no DataSource named 'prom'",
    ),
    "duplicate names": (
        SERVICE + "---\n" + SERVICE + "---\n" + _slo(),
        "document 2 (Service api) metadata.name: duplicate Service name 'api'",
    ),
    "unknown severity": (
        SERVICE + "---\n" + _slo(alertPolicies=["pager"]) + "---\n" + _policy(severity="sev1"),
        "(AlertCondition fast) spec.severity: severity 'sev1': obsgen has two severities",
    ),
    "burn rate below": (
        SERVICE + "---\n" + _slo(alertPolicies=["pager"]) + "---\n" + _policy(op="lte"),
        "spec.condition.op: op 'lte' would alert while the burn rate is low",
    ),
    "two periods": (
        SERVICE
        + "---\n"
        + _slo()
        + "---\n"
        + _slo(timeWindow=[{"duration": "7d", "isRolling": True}]).replace(
            "name: api-availability", "name: api-other"
        ),
        "an obsgen catalog has one slo_period",
    ),
    "several objectives": (
        SERVICE + "---\n" + _slo(objectives=[{"target": 0.99}, {"target": 0.9}]),
        "spec.objectives: 2 objectives: obsgen maps an SLO with exactly one objective",
    ),
    "service name obsgen cannot use": (
        SERVICE.replace("name: api}", "name: 1api}") + "---\n" + _slo(service="1api"),
        "document 1 (Service 1api) metadata.name: service name '1api' is not an obsgen name",
    ),
    "not a mapping": ("- just\n- a list\n", "document 1 (? ?): an OpenSLO document must be a mapping"),
    "alias bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
        "anchors (&name) are not allowed",
    ),
    "deep nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nesting is deeper than 64 levels"),
    "too many documents": ("x: 1\n---\n" * 10_001, "more than 10000 documents"),
    "merge key": (SERVICE + "---\n" + "apiVersion: openslo/v1\n<<: {kind: Service}\n", "no << merge"),
    "duplicate key": (SERVICE.replace("spec: {}", "spec: {}\nspec: {}"), "duplicate key"),
    "not utf-8": ("kind: Service\nname: \udcff\n", "not valid UTF-8"),
    "tagged key its text does not fit": (
        SERVICE.replace("spec: {}", 'spec: {? !!int "x" : 1}'),
        "invalid key",
    ),
    "tagged value its text does not fit": (
        SERVICE.replace("spec: {}", 'spec: {description: !!int "x"}'),
        "invalid value",
    ),
    "invalid unquoted date": (
        SERVICE.replace("spec: {}", "spec: {description: 2024-13-45}"),
        "invalid value",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_with_exit_2_and_the_document_and_field_named(tmp_path: Path, case: str) -> None:
    text, expected = REFUSALS[case]
    (tmp_path / "in.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
    result = obsgen("import", "openslo", "in.yaml", "--out", "catalog.yaml", cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert expected in result.stderr
    assert result.stderr.splitlines()[0].startswith("in.yaml")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "catalog.yaml").exists()


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"# " + b"x" * (5 * 1024 * 1024) + b"\n")
    result = obsgen("import", "openslo", "big.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "larger than 4 MiB" in result.stderr


def test_missing_paths_and_empty_directories_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = obsgen("import", "openslo", "nope.yaml", "empty", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.yaml: no such file or directory" in result.stderr
    assert "empty: directory holds no .yaml or .yml file" in result.stderr


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = (
        SERVICE.replace("openslo/v1", "v2")
        + "---\n"
        + _slo(alertPolicies=["nope"])
        + "---\n"
        + textwrap.dedent(
            """\
        apiVersion: openslo/v1
        kind: Widget
        metadata: {name: w}
        spec: {}
        """
        )
    )
    (tmp_path / "in.yaml").write_text(bad)
    result = obsgen("import", "openslo", "in.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "apiVersion: 'v2' is not supported" in result.stderr and "unknown kind 'Widget'" in result.stderr


def test_hostile_label_values_stay_inside_their_selector(tmp_path: Path) -> None:
    value = 'a"} or vector(1) # \\ {{ .x }}'
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    slo = _slo(
        indicator={
            "metadata": {"name": "e"},
            "spec": {
                "ratioMetric": {
                    "counter": True,
                    "bad": {
                        "metricSource": {
                            "type": "Prometheus",
                            "spec": {"query": f'jobs_failed_total{{queue="{quoted}"}}'},
                        }
                    },
                    "total": {
                        "metricSource": {
                            "type": "Prometheus",
                            "spec": {"query": f'jobs_total{{queue="{quoted}"}}'},
                        }
                    },
                }
            },
        }
    )
    (tmp_path / "in.yaml").write_text(SERVICE + "---\n" + slo)
    from obsgen.openslo.queries import parse

    assert parse(f'jobs_total{{queue="{quoted}"}}').matchers[0].value == value
    result = obsgen("import", "openslo", "in.yaml", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    if result.returncode == 0:  # the catalog took it: the value must come back exactly, escaped
        errors = yaml.safe_load(result.stdout)["services"]["api"]["slos"]["availability"]["errors"]
        assert parse(errors).matchers[0].value == value
    else:
        assert result.returncode == 2 and "(in the catalog obsgen would write" in result.stderr


def test_without_jsonschema_import_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from obsgen.errors import ObsgenError
    from obsgen.openslo import schema

    schema._validators.cache_clear()
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    try:
        with pytest.raises(ObsgenError, match=r"pip install 'obsgen\[openslo\]'"):
            import_openslo([str(CASES / "api.yaml")])
    finally:
        monkeypatch.undo()
        schema._validators.cache_clear()
