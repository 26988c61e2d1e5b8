"""What the generated rules of an SLO cost Prometheus, read from the rules themselves.

Per SLO: recording and alerting rules (a rule shared by n SLOs of a service counts 1/n for each,
and its reads are those of the SLO's part), the series the recordings produce (times the catalog's
``group_by_cardinality`` estimate), and the samples read per evaluation: every range selector of
every rule, a raw one costing window / scrape interval samples per series it matches, a read of an
obsgen recording window / evaluation interval per group; groups slower than the evaluation interval
are amortised to it.  Next to it, a Sloth-style rule set for the same SLI: one recording per window
(5m, 30m, 1h, 2h, 6h, 1d, 3d and the period), each reading the raw counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from obsgen import durations
from obsgen.generate.alerting.rules import planned_groups
from obsgen.model import Catalog, Service

#: Sloth: 8 SLI recordings (one per window), 7 metadata recordings, 2 alerts per SLO.
SLOTH_SLI_WINDOWS = tuple(timedelta(minutes=m) for m in (5, 30, 60, 120, 360, 1440, 3 * 1440))
SLOTH_METADATA_RECORDINGS = 7
SLOTH_ALERTS = 2
#: Every obsgen recording is named level:metric:operations under this level.
RECORDED_PREFIX = "slo:"


@dataclass(frozen=True)
class RangeRead:
    metric: str
    window: timedelta
    recorded: bool


def range_reads(expr: str) -> list[RangeRead]:
    """The range selectors (``metric{...}[window]``) of a PromQL expression obsgen generated.

    A small scanner rather than a regex: label values are quoted strings that may hold any of
    ``{}[]``, so quoted text is skipped.  Subqueries (``[w:step]``) are not range selectors.
    """
    reads: list[RangeRead] = []
    i, n = 0, len(expr)
    metric_start = -1
    metric = ""
    while i < n:
        ch = expr[i]
        if ch in "\"'`":
            i = _skip_string(expr, i)
            continue
        if ch.isalpha() or ch in "_:":
            metric_start = i
            while i < n and (expr[i].isalnum() or expr[i] in "_:"):
                i += 1
            metric = expr[metric_start:i]
            j = _skip_space(expr, i)
            if j < n and expr[j] == "{":
                j = _skip_braces(expr, j)
            j = _skip_space(expr, j)
            if j < n and expr[j] == "[":
                end = expr.index("]", j)
                inside = expr[j + 1 : end].strip()
                if ":" not in inside:
                    reads.append(
                        RangeRead(metric, durations.parse(inside), metric.startswith(RECORDED_PREFIX))
                    )
                i = end + 1
            continue
        i += 1
    return reads


def _skip_string(expr: str, i: int) -> int:
    quote = expr[i]
    i += 1
    while i < len(expr) and expr[i] != quote:
        i += 2 if expr[i] == "\\" and quote != "`" else 1
    return i + 1


def _skip_space(expr: str, i: int) -> int:
    while i < len(expr) and expr[i].isspace():
        i += 1
    return i


def _skip_braces(expr: str, i: int) -> int:
    i += 1
    while i < len(expr) and expr[i] != "}":
        i = _skip_string(expr, i) if expr[i] in "\"'`" else i + 1
    return i + 1


@dataclass(frozen=True)
class Cost:
    #: Rules, a rule shared by the SLOs of a service counting for each its share (1/n of n SLOs).
    recording_rules: float
    alert_rules: float
    #: Series the recordings produce: recordings x groups.
    series: int
    #: Raw samples per evaluation interval, per series a raw selector matches.
    raw_samples: float
    #: Samples of obsgen recordings read per evaluation interval (all groups).
    recorded_samples: float

    @property
    def rules(self) -> float:
        return self.recording_rules + self.alert_rules

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.recording_rules + other.recording_rules,
            self.alert_rules + other.alert_rules,
            self.series + other.series,
            self.raw_samples + other.raw_samples,
            self.recorded_samples + other.recorded_samples,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "recording_rules": rule_count(self.recording_rules),
            "alert_rules": rule_count(self.alert_rules),
            "rules": rule_count(self.rules),
            "series": self.series,
            "raw_samples_per_evaluation": round(self.raw_samples, 1),
            "recorded_samples_per_evaluation": round(self.recorded_samples, 1),
        }


def rule_count(value: float) -> int | float:
    """A rule count as printed: whole, or shares of shared rules to two decimals (1.33)."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


ZERO = Cost(0, 0, 0, 0.0, 0.0)


@dataclass(frozen=True)
class SloCost:
    service: str
    slo: str
    #: The group_by cardinality the estimate assumes (1 when the catalog gives none).
    groups: int
    obsgen: Cost
    sloth: Cost
    #: The SLI is split by group_by labels (the estimate, if any, is ``groups``).
    grouped: bool = False


def slo_costs(catalog: Catalog, service: Service) -> list[SloCost]:
    """The cost of each SLO's rules in ``alerts/<service>.yaml``, and of a Sloth-style set."""
    per_slo: dict[str, Cost] = {slo.name: ZERO for slo in service.slos}
    raw_selectors: dict[str, int] = {slo.name: 0 for slo in service.slos}
    groups_of = {slo.name: slo.expected_groups or 1 for slo in service.slos}
    scrape, step = catalog.scrape_interval, catalog.evaluation_interval
    for group in planned_groups(catalog, service):
        share = step / group.interval
        for planned in group.rules:
            recording = "record" in planned.rule
            for name, expr in planned.parts:
                groups = groups_of[name]
                raw = recorded = 0.0
                for read in range_reads(expr):
                    if read.recorded:
                        recorded += read.window / step * groups * share
                    else:
                        raw += read.window / scrape * share
                        raw_selectors[name] += 1
                rule = 1 / len(planned.parts)
                per_slo[name] += Cost(
                    rule if recording else 0,
                    0 if recording else rule,
                    groups if recording else 0,
                    raw,
                    recorded,
                )
    out = []
    for slo in service.slos:
        windows = (*SLOTH_SLI_WINDOWS, catalog.slo_period)
        # Sloth's SLI recordings read the same raw selectors as obsgen's base recordings, over every window.
        sloth_raw = sum(w / scrape for w in windows) * raw_selectors[slo.name]
        groups = groups_of[slo.name]
        sloth = Cost(
            len(windows) + SLOTH_METADATA_RECORDINGS,
            SLOTH_ALERTS,
            len(windows) * groups + SLOTH_METADATA_RECORDINGS,
            sloth_raw,
            0.0,
        )
        out.append(SloCost(service.name, slo.name, groups, per_slo[slo.name], sloth, bool(slo.sli.group_by)))
    return out
