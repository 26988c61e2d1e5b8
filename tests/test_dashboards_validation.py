"""Every generated dashboard is valid Grafana JSON and every query parses with the real PromQL parser.

Schema: Grafana's dashboard model (@grafana/schema 13.2.3, see REFERENCE.md), which
allows unknown keys; a strict variant closes every object that lists its properties
(except the datasource-specific ones: panel options, targets, annotation queries), so
a legacy grafanalib field (``rows``, ``span``, heatmap ``cards``...) fails too.
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import require_binary, schema_path
from tests.dashboard_queries import CASES, case_dashboards, panel_queries

#: Objects whose extra keys depend on the datasource or plugin: left open in the strict schema.
OPEN_DEFINITIONS = frozenset({"AnnotationQuery"})


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


@functools.cache
def _schemas(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    base = json.loads(path.read_text("utf-8"))
    strict = copy.deepcopy(base)
    for name, definition in strict["definitions"].items():
        if name not in OPEN_DEFINITIONS:
            _close(definition)
    return base, strict


def _drop_none(data: Any) -> Any:
    # Grafana's JSON uses null for a threshold's base step; the TS-derived schema says number|null.
    if isinstance(data, dict):
        return {k: _drop_none(v) for k, v in data.items() if v is not None or k in ("value", "from", "to")}
    if isinstance(data, list):
        return [_drop_none(v) for v in data]
    return data


def _errors(schema: dict[str, Any], document: Any) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(document)
    ]


@pytest.mark.parametrize("case", CASES)
def test_every_dashboard_validates_against_grafanas_dashboard_schema(case: str) -> None:
    base, strict = _schemas(schema_path("grafana-dashboard.schema.json"))
    problems = {}
    for path, board in case_dashboards(case).items():
        errors = _errors(base, _drop_none(board)) + [
            f"(strict) {e}" for e in _errors(strict, _drop_none(board))
        ]
        if errors:
            problems[path] = errors
    assert problems == {}


def test_the_strict_schema_rejects_what_grafanalib_writes_by_default() -> None:
    """The strict check can fail: grafanalib's untouched output (schemaVersion 12, legacy keys) does."""
    import grafanalib.core as G

    _, strict = _schemas(schema_path("grafana-dashboard.schema.json"))
    legacy = G.Dashboard(title="legacy", panels=[G.Heatmap(title="h", gridPos=G.GridPos(h=1, w=1, x=0, y=0))])
    raw = _drop_none(json.loads(json.dumps(legacy, default=lambda obj: obj.to_json_data())))
    errors = "\n".join(_errors(strict, raw))
    assert "'rows'" in errors  # the legacy dashboard layout
    assert "panels/0:" in errors  # the legacy heatmap (cards, xAxis...) matches neither Panel nor RowPanel


def _rule_file(case: str) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    for path, board in sorted(case_dashboards(case).items()):
        for title, expr in panel_queries(board):
            rules.append(
                {
                    "record": f"dashboard:query_{len(rules)}:check",
                    "expr": expr,
                    "labels": {"dashboard": Path(path).stem, "panel": title},
                }
            )
    return {"groups": [{"name": f"dashboards-{case}", "rules": rules}]}


def test_every_panel_query_parses_with_promtool(tmp_path: Path) -> None:
    """All queries of all cases, Grafana variables substituted, as recording rules for `promtool check rules`."""
    promtool = require_binary("promtool", "prometheus")
    files = []
    for case in CASES:
        rule_file = tmp_path / f"{case}.rules.yaml"
        rule_file.write_text(yaml.safe_dump(_rule_file(case), sort_keys=False), "utf-8")
        files.append(str(rule_file))
    result = subprocess.run([promtool, "check", "rules", *files], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(CASES)


def test_promtool_catches_a_broken_query(tmp_path: Path) -> None:
    """The parse check can fail: a query broken the way string gluing breaks one is rejected."""
    promtool = require_binary("promtool", "prometheus")
    broken = {
        "groups": [
            {
                "name": "broken",
                "rules": [
                    {
                        "record": "dashboard:broken:check",
                        "expr": 'sum(rate(http_requests_total{job="a"b"}[1m]))',
                    },
                ],
            }
        ]
    }
    rule_file = tmp_path / "broken.yaml"
    rule_file.write_text(yaml.safe_dump(broken), "utf-8")
    result = subprocess.run(
        [promtool, "check", "rules", str(rule_file)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
