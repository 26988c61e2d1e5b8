"""A rule shared by the SLOs of a service records exactly what one rule per SLO would (promtool).

The shared recordings (base recordings joined with ``label_replace ... or``, one ratio rule per window
reading every SLO by ``service``) are evaluated next to a reference: each SLO's part as a rule of its
own, labelled as the per-SLO rules were.  Over healthy traffic, a partial and a total outage, a
recovery and no traffic at all, both give the same series with the same values at every evaluation
checked, so the alerts, which read them per SLO, fire at the same evaluations.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from obsgen import conventions as C
from obsgen import durations
from obsgen.catalog import load_catalog_file
from obsgen.generate.alerting.rule_tests import Phase, sli_series, up_series
from obsgen.generate.alerting.rules import planned_groups, rule_groups
from obsgen.model import Catalog, Service
from tests.conftest import REPO, TEST_CATALOGS, require_binary

#: Two SLOs per service; the second with group_by labels that differ per SLO; the third with
#: windows only some SLOs record.
CATALOGS = [
    REPO / "catalog.yaml",
    TEST_CATALOGS / "sources-starlette-exporter.yaml",
    TEST_CATALOGS / "alerts-overrides.yaml",
]

PHASES = [
    Phase(timedelta(hours=1)),
    Phase(timedelta(minutes=40), error_ratio=0.05),
    Phase(timedelta(minutes=20), error_ratio=1.0),
    Phase(timedelta(minutes=40)),
    Phase(timedelta(minutes=30), rps=0.0),
    Phase(timedelta(minutes=30)),
]


def _reference_name(record: str) -> str:
    return "reference_" + record.replace(":", "_")


def _shared(catalog: Catalog, service: Service) -> list[tuple[str, list[tuple[str, str]]]]:
    """(record, [(slo, expression)]) of every rule the service's SLOs share."""
    return [
        (planned.rule["record"], list(planned.parts))  # type: ignore[typeddict-item]
        for group in planned_groups(catalog, service)
        for planned in group.rules
        if "record" in planned.rule and len(planned.parts) > 1
    ]


def _cases() -> list[tuple[Path, str]]:
    out = []
    for path in CATALOGS:
        catalog = load_catalog_file(str(path))
        out += [(path, s.name) for s in catalog.services if _shared(catalog, s)]
    return out


@pytest.mark.parametrize(("path", "service_name"), _cases(), ids=lambda v: getattr(v, "stem", v))
def test_shared_recordings_equal_one_rule_per_slo(path: Path, service_name: str, tmp_path: Path) -> None:
    require_binary("promtool", "prometheus")
    catalog = load_catalog_file(str(path))
    (service,) = [s for s in catalog.services if s.name == service_name]
    shared = _shared(catalog, service)
    reference: list[dict[str, Any]] = [
        {
            "record": _reference_name(record),
            "expr": expr,
            "labels": {C.LABEL_SERVICE: service.name, C.LABEL_SLO: slo, C.LABEL_TEAM: service.team},
        }
        for record, parts in shared
        for slo, expr in parts
    ]
    groups = rule_groups(catalog, service)
    # promtool evaluates groups in no fixed order (Prometheus: independently), rules within a group in
    # order: the reference joins the fast group, so it reads the base recordings of the same evaluation.
    fast = groups[0]
    assert fast["name"] == C.slo_rule_group(service.name, "fast")
    rules = {"groups": [{**fast, "rules": [*fast["rules"], *reference]}, *groups[1:]]}
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    step = catalog.evaluation_interval
    total = sum((p.duration for p in PHASES), timedelta())
    checks: list[dict[str, Any]] = []
    at = step
    while at < total:
        t = durations.format_prometheus(at)
        for record, _ in shared:
            mine = f'{record}{{service="{service.name}"}}'
            ref = f'{_reference_name(record)}{{service="{service.name}"}}'
            checks += [
                {"expr": f"{mine} != {ref}", "eval_time": t, "exp_samples": []},
                {"expr": f"{mine} unless {ref}", "eval_time": t, "exp_samples": []},
                {"expr": f"{ref} unless {mine}", "eval_time": t, "exp_samples": []},
            ]
        at += timedelta(minutes=7)
    # The comparison is not vacuous: during the partial outage every shared recording has series.
    during = durations.format_prometheus(PHASES[0].duration + timedelta(minutes=35))
    checks += [
        {
            "expr": f'clamp_max(count({_reference_name(record)}{{service="{service.name}"}}), 1)',
            "eval_time": during,
            "exp_samples": [{"labels": "{}", "value": 1}],
        }
        for record, _ in shared
    ]
    series = up_series(catalog, service, PHASES) + sli_series(catalog, service, service.slos, PHASES)
    test_file = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": durations.format_prometheus(step),
        "tests": [
            {
                "name": f"{service.name}: shared recordings equal one rule per SLO",
                "interval": durations.format_prometheus(catalog.scrape_interval),
                "input_series": series,
                "promql_expr_test": checks,
            }
        ],
    }
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test_file, sort_keys=False))
    result = subprocess.run(
        ["promtool", "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
