"""The shapes of the alerting files: Prometheus rule files and promtool rule-test files.

TypedDicts, so mypy checks every key a generator writes.  They describe plain dicts: the bytes
come from the dicts as built (keys in insertion order), never from these classes.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class RecordingRule(TypedDict):
    record: str
    expr: str
    labels: dict[str, str]


#: ``for`` is a Python keyword: the functional form.
AlertingRule = TypedDict(
    "AlertingRule",
    {
        "alert": str,
        "expr": str,
        "for": NotRequired[str],
        "labels": dict[str, str],
        "annotations": dict[str, str],
    },
)

Rule = RecordingRule | AlertingRule


class RuleGroup(TypedDict):
    name: str
    interval: str
    rules: list[Rule]


class RuleFile(TypedDict):
    """``alerts/<service>.yaml``."""

    groups: list[RuleGroup]


class InputSeries(TypedDict):
    series: str
    values: str


class ExpectedSample(TypedDict):
    labels: str
    value: float


class PromqlExprTest(TypedDict):
    expr: str
    eval_time: str
    exp_samples: list[ExpectedSample]


class RuleTest(TypedDict):
    name: str
    interval: str
    input_series: list[InputSeries]
    promql_expr_test: list[PromqlExprTest]


class RuleTestFile(TypedDict):
    """``alerts/tests/<service>.yaml``, as ``promtool test rules`` reads it."""

    rule_files: list[str]
    evaluation_interval: str
    tests: list[RuleTest]
