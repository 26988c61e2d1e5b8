"""The alerting generators' caches never hand one service's text to another.

Synthetic series text is cached per SLI, labels and traffic shape.  Services
that differ in one value must still get their own, correct text: the same as each generated alone
with every cache empty.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from obsgen.catalog import load_catalog, load_catalog_file
from obsgen.generate.alerting import rule_tests, rules
from obsgen.generate.artifacts import serialise
from obsgen.model import Catalog
from tests.conftest import REPO, TEST_CATALOGS


def _service(name: str, objective: float, client_errors: bool = True) -> list[str]:
    lines = [
        f"  {name}:",
        "    team: web",
        f"    runbook_url: https://runbooks.example.com/{name}",
        "    metrics:",
        "      buckets: [0.05, 0.1, 0.2, 0.4]",
        "    slos:",
        f"      availability: {{kind: availability, objective: {objective}}}",
        "      latency: {kind: latency, objective: 99, threshold: 200ms}",
        f'    targets: ["{name}:8000"]',
    ]
    return lines


def _catalog(*services: tuple[str, float]) -> Catalog:
    lines = [
        "apiVersion: obsgen/v1",
        "slo_period: 30d",
        "grafana_url: https://grafana.example.com",
        "teams:",
        "  web: {slack_channel: '#web', pagerduty_service: web}",
        "services:",
    ]
    for name, objective in services:
        lines += _service(name, objective)
    return load_catalog(("\n".join(lines) + "\n").encode(), "catalog.yaml")


def _clear() -> None:
    rule_tests._series_shapes.cache_clear()
    rule_tests._counter_values.cache_clear()
    rule_tests._whole_run.cache_clear()


def _bytes(catalog: Catalog) -> dict[str, bytes]:
    out: dict[str, Any] = {}
    for gen in (rules.generate, rule_tests.generate):  # rules: alerts/ and k8s/prometheusrules/
        out.update(gen(catalog))
    return {path: serialise(artifact) for path, artifact in out.items()}


def _healthy_values(test_file: bytes) -> str:
    """The synthetic series of the healthy-traffic test (errors at half the budget)."""
    text = test_file.decode()
    start = text.index("healthy traffic")
    return text[start : text.index("promql_expr_test", start)]


def test_services_differing_in_one_objective_get_their_own_text() -> None:
    _clear()
    both = _bytes(_catalog(("svc-a", 99.9), ("svc-b", 99.5)))
    for name, objective in (("svc-a", 99.9), ("svc-b", 99.5)):
        _clear()
        alone = _bytes(_catalog((name, objective)))
        assert alone, "the service has rules and tests"
        for path, data in alone.items():
            assert both[path] == data, f"{path}: not what {name} gets generated alone"
    a = _healthy_values(both["alerts/tests/svc-a.yaml"])
    b = _healthy_values(both["alerts/tests/svc-b.yaml"])
    # Same traffic shape except the error ratio (half of each budget): different counter values.
    assert a.replace("svc-a", "svc-b") != b


def test_same_shape_services_share_cached_values_and_stay_correct() -> None:
    """Two services alike but for their name: the second reuses the first's values, named its own."""
    _clear()
    both = _bytes(_catalog(("svc-a", 99.9), ("svc-b", 99.9)))
    assert rule_tests._counter_values.cache_info().hits > 0, "the traffic shape is computed once"
    assert both["alerts/tests/svc-a.yaml"].replace(b"svc-a", b"svc-b") == both["alerts/tests/svc-b.yaml"]
    assert b"svc-a" not in both["alerts/tests/svc-b.yaml"]
    assert b"svc-a" not in both["k8s/prometheusrules/svc-b.yaml"]


@pytest.mark.parametrize(
    "path", [REPO / "catalog.yaml", *sorted(TEST_CATALOGS.glob("*.yaml"))], ids=lambda p: p.stem
)
def test_has_rules_says_whether_a_service_has_rule_groups(path: Path) -> None:
    """alerts/tests/ decides with has_rules (not building the groups) which services get a file."""
    catalog = load_catalog_file(path)
    for service in catalog.services:
        assert rules.has_rules(catalog, service) == bool(rules.rule_groups(catalog, service)), service.name
    alerting_off = dataclasses.replace(catalog.services[0], slos=(), up_job=None)
    assert not rules.has_rules(catalog, alerting_off)
    assert not rules.rule_groups(catalog, alerting_off)
