"""The rule file and the PrometheusRule are written from one serialisation of a service's groups.

``alerts/<service>.yaml`` is the groups' YAML; ``k8s/prometheusrules/<service>.yaml`` carries that
text, shifted, as its ``spec``.  Both must be the bytes of serialising the objects themselves, on
every catalog the tests know; and the shortcut must actually be taken there (not the fallback).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog_file
from obsgen.generate.alerting import kubernetes, rules
from obsgen.generate.alerting.documents import AlertingRule, RuleFile
from obsgen.generate.artifacts import Text, Yaml, YamlDocuments, serialise
from tests.conftest import REPO, TEST_CATALOGS, catalog_from

CATALOGS = [REPO / "catalog.yaml", *sorted(TEST_CATALOGS.glob("*.yaml"))]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.stem)
def test_rule_files_and_prometheusrules_are_the_bytes_of_their_objects(path: Path) -> None:
    catalog = load_catalog_file(path)
    out = rules.generate(catalog)
    checked = 0
    for service in catalog.services:
        groups = rules.rule_groups(catalog, service)
        if not groups:
            assert C.alert_rules_path(service.name) not in out
            continue
        rule_file: RuleFile = {"groups": groups}
        written = out[C.alert_rules_path(service.name)]
        assert serialise(written) == serialise(Yaml(rule_file)), service.name
        if not catalog.wants("kubernetes"):
            assert C.k8s_prometheusrule_path(service.name) not in out
            continue
        resource = out[C.k8s_prometheusrule_path(service.name)]
        assert isinstance(resource, Text), f"{service.name}: the PrometheusRule was serialised again"
        whole = serialise(YamlDocuments([kubernetes.prometheus_rule(service, groups)]))
        assert serialise(resource) == whole, service.name
        assert next(yaml.safe_load_all(serialise(resource)))["spec"] == rule_file
        checked += 1
    assert checked or not catalog.wants("kubernetes") or not catalog.services


def test_a_rule_file_ending_open_gives_the_prometheusrule_serialised_whole() -> None:
    """A description ending in blank lines ("|+") leaves the stream open ("..."): no shortcut, same bytes."""
    catalog = catalog_from(
        """
        apiVersion: obsgen/v1
        slo_period: 30d
        teams:
          t: {}
        services:
          svc:
            team: t
            slos:
              availability: {kind: availability, objective: 99.9}
        """
    )
    service = catalog.services[0]
    groups = rules.rule_groups(catalog, service)
    last = cast(AlertingRule, groups[-1]["rules"][-1])
    last["annotations"]["zz"] = "ends open\n\n"  # the file's last value
    text = serialise(Yaml({"groups": groups})).decode("utf-8").split("\n", 1)[1]
    assert text.endswith("\n...\n")
    artifact = kubernetes.prometheus_rule_file(service, groups, text)
    assert isinstance(artifact, YamlDocuments)
    assert serialise(artifact) == serialise(YamlDocuments([kubernetes.prometheus_rule(service, groups)]))
