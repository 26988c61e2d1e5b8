"""The OpenSLO project's own v1 examples (tests/openslo/upstream, verbatim): each maps or is refused.

Files that define an SLI or SLO without the documents it names are completed by the small
wrappers in tests/openslo/cases/.  What maps is generated, checked by `promtool check rules` and
proved by `promtool test rules` on its own generated tests; what does not is refused with exit 2
and the document and field named.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from obsgen import conventions as C
from obsgen.catalog import load_catalog
from obsgen.errors import CatalogError
from obsgen.generate import generate
from obsgen.openslo import import_openslo, load, schema
from tests.conftest import REPO, require_binary

UPSTREAM = REPO / "tests" / "openslo" / "upstream"
CASES = REPO / "tests" / "openslo" / "cases"
SLI_DIR = "schema-test/spec-files/v1/sli/"
SLO_DIR = "schema-test/spec-files/v1/slo/"
SLI_WRAPPER = CASES / "upstream-wrapper.yaml"
SLO_WRAPPER = CASES / "upstream-slo-wrapper.yaml"

NOT_V1 = "is not supported; obsgen reads apiVersion: openslo/v1"
NOTHING = "no SLO or Service document found"
SCHEMA = "(OpenSLO v1 schema: "
TOTAL_MINUS_GOOD = (
    "spec.ratioMetric.good.metricSource.spec.query: cannot express 'total - good' as one counter"
)
THRESHOLD = "spec.thresholdMetric: threshold SLIs are not supported"
CALENDAR = "spec.timeWindow[0].isRolling: calendar windows are not supported"
DATADOG = "metricSource.type: metric source type 'Datadog' is not supported"
SHORT = "spec.timeWindow[0].duration: the shortest alert window for this SLO period would be"

#: file -> (wrapper or None, expected refusal; None when it maps).
EXPECTED: dict[str, tuple[Path | None, str | None]] = {
    "examples/budgeting-method/occurences-slo.yaml": (
        None,
        "spec.alertPolicies: None is not of type 'array'",
    ),
    "examples/budgeting-method/ratio-timeslices.yaml": (None, "'RatioTimeslices' is not one of"),
    "examples/budgeting-method/timeslices-slo.yaml": (
        None,
        "spec.indicator.spec.ratioMetric: 'counter' is a required",
    ),
    "examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml": (
        None,
        "'counter' is a required property",
    ),
    "schema-test/spec-files/invalid-apiversion.yaml": (None, NOT_V1),
    "schema-test/spec-files/v1/invalid-apiversion.yaml": (None, NOT_V1),
    "schema-test/spec-files/v1/alert-condition/alert-condition-no-condition.yaml": (
        None,
        "'condition' is a required",
    ),
    "schema-test/spec-files/v1/alert-condition/alert-condition-no-description.yaml": (None, NOTHING),
    "schema-test/spec-files/v1/alert-condition/alert-condition-no-sev.yaml": (
        None,
        "'severity' is a required",
    ),
    "schema-test/spec-files/v1/alert-condition/alert-condition.yaml": (None, NOTHING),
    "schema-test/spec-files/v1/alert-notification-target/alert-notification-target-no-description.yaml": (
        None,
        NOTHING,
    ),
    "schema-test/spec-files/v1/alert-notification-target/alert-notification-target-no-target.yaml": (
        None,
        "'target' is",
    ),
    "schema-test/spec-files/v1/alert-notification-target/alert-notification-target.yaml": (None, NOTHING),
    "schema-test/spec-files/v1/alert-policy/alert-policy-inline-cond.yaml": (None, NOTHING),
    "schema-test/spec-files/v1/alert-policy/alert-policy-malformed-cond.yaml": (
        None,
        "spec.conditions[0]: 'conditionRef'",
    ),
    "schema-test/spec-files/v1/alert-policy/alert-policy-malformed-targetref.yaml": (
        None,
        "'targetRef' is a required",
    ),
    "schema-test/spec-files/v1/alert-policy/alert-policy-many-cond.yaml": (
        None,
        "spec.conditions: has more than 1 item",
    ),
    "schema-test/spec-files/v1/alert-policy/alert-policy-many-notificationref.yaml": (None, NOTHING),
    "schema-test/spec-files/v1/alert-policy/alert-policy-no-cond.yaml": (
        None,
        "'conditions' is a required property",
    ),
    "schema-test/spec-files/v1/alert-policy/alert-policy-no-notification.yaml": (
        None,
        "'notificationTargets' is a",
    ),
    "schema-test/spec-files/v1/alert-policy/alert-policy.yaml": (None, NOTHING),
    "schema-test/spec-files/v1/data-source/data-source.yaml": (None, NOTHING),
    "schema-test/spec-files/v1/service/service-long-description.yaml": (
        None,
        "is longer than 1050 characters",
    ),
    "schema-test/spec-files/v1/service/service-no-displayname.yaml": (None, None),
    "schema-test/spec-files/v1/service/service.yaml": (None, None),
    SLI_DIR + "sli-description-ratio-bad-inline-metricsource.yaml": (
        SLI_WRAPPER,
        "type 'Redshift' is not supported",
    ),
    SLI_DIR + "sli-description-ratio-bad-metricsourceref.yaml": (SLI_WRAPPER, None),
    SLI_DIR + "sli-description-ratio-good-inline-metricsource.yaml": (
        SLI_WRAPPER,
        "type 'Redshift' is not supported",
    ),
    SLI_DIR + "sli-description-ratio-good-metricsourceref.yaml": (SLI_WRAPPER, TOTAL_MINUS_GOOD),
    SLI_DIR + "sli-description-ratio-inline-metricsource.yaml": (None, "must have exactly one of good, bad"),
    SLI_DIR + "sli-description-threshold-inline-metricsource.yaml": (SLI_WRAPPER, THRESHOLD),
    SLI_DIR + "sli-description-threshold-metricsourceref.yaml": (SLI_WRAPPER, THRESHOLD),
    SLI_DIR + "sli-no-description-ratio-bad-inline-metricsource.yaml": (
        SLI_WRAPPER,
        "type 'Redshift' is not supported",
    ),
    SLI_DIR + "sli-no-description-ratio-bad-metricsourceref.yaml": (SLI_WRAPPER, None),
    SLI_DIR + "sli-no-description-ratio-good-inline-metricsource.yaml": (
        SLI_WRAPPER,
        "type 'Redshift' is not",
    ),
    SLI_DIR + "sli-no-description-ratio-good-metricsourceref.yaml": (SLI_WRAPPER, TOTAL_MINUS_GOOD),
    SLI_DIR + "sli-no-description-threshold-inline-metricsource.yaml": (SLI_WRAPPER, THRESHOLD),
    SLI_DIR + "sli-no-description-threshold-metricsourceref.yaml": (SLI_WRAPPER, THRESHOLD),
    SLI_DIR + "sli-ratio-good-and-bad.yaml": (
        None,
        "spec.ratioMetric: must not have all of good, bad together",
    ),
    SLO_DIR + "slo-indicatorref-calendar-alerts.yaml": (SLO_WRAPPER, CALENDAR),
    SLO_DIR + "slo-indicatorref-calendar-no-alerts.yaml": (SLO_WRAPPER, CALENDAR),
    SLO_DIR + "slo-indicatorref-rolling-alerts.yaml": (SLO_WRAPPER, SHORT),
    SLO_DIR + "slo-indicatorref-rolling-no-alerts.yaml": (SLO_WRAPPER, SHORT),
    SLO_DIR + "slo-no-indicatorref-calendar-alerts.yaml": (SLO_WRAPPER, DATADOG),
    SLO_DIR + "slo-no-indicatorref-calendar-no-alerts.yaml": (SLO_WRAPPER, DATADOG),
    SLO_DIR + "slo-no-indicatorref-rolling-alerts.yaml": (SLO_WRAPPER, DATADOG),
    SLO_DIR + "slo-no-indicatorref-rolling-no-alerts.yaml": (SLO_WRAPPER, DATADOG),
}

#: Cases that map and whose generated rules are run through promtool.
PROMTOOL = {
    "api": [CASES / "api.yaml"],
    "upstream-bad-sli": [UPSTREAM / SLI_DIR / "sli-description-ratio-bad-metricsourceref.yaml", SLI_WRAPPER],
}


def test_every_upstream_file_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(str(p.relative_to(UPSTREAM)) for p in UPSTREAM.rglob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_upstream_example_maps_or_is_refused_with_the_field_named(name: str) -> None:
    wrapper, refusal = EXPECTED[name]
    paths = [str(UPSTREAM / name), *([str(wrapper)] if wrapper else [])]
    if refusal is None:
        text, _ = import_openslo(paths)
        load_catalog(text.encode(), "imported.yaml")
        return
    with pytest.raises(CatalogError) as exc:
        import_openslo(paths)
    messages = [str(p) for p in exc.value.problems]
    assert any(refusal in m for m in messages), messages
    assert all(m.startswith(str(REPO)) or m.startswith("(input)") for m in messages), messages


def test_the_split_schema_agrees_with_openslo_schema_json_on_every_upstream_document() -> None:
    full = schema.validator("openslo.schema.json")
    for path in sorted(UPSTREAM.rglob("*.yaml")):
        docs, _ = load.parse(path.read_bytes(), str(path))
        for doc in docs:
            if not (isinstance(doc.data, dict) and doc.data.get("apiVersion") == schema.API_VERSION):
                continue
            assert (schema.problems(doc) == []) == full.is_valid(doc.data), path


@pytest.fixture(scope="module")
def promtool() -> str:
    return require_binary("promtool", "prometheus")


@pytest.mark.parametrize("case", sorted(PROMTOOL))
def test_imported_rules_pass_promtool_and_their_generated_tests(
    case: str, promtool: str, tmp_path: Path
) -> None:
    text, _ = import_openslo([str(p) for p in PROMTOOL[case]])
    plan = generate(load_catalog(text.encode(), "imported.yaml"))
    for rel, data in plan.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    rules = sorted((tmp_path / C.ALERTS_DIR).glob("*.yaml"))
    tests = sorted((tmp_path / C.ALERT_TESTS_DIR).glob("*.yaml"))
    assert rules and tests
    check = subprocess.run(
        [promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run(
        [promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
