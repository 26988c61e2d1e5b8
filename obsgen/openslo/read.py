"""Validated OpenSLO documents -> the OpenSLO model, references resolved, the unmappable refused.

Every document is checked against the v1 schema first; then names must be unique per kind and
every reference (``spec.service``, ``indicatorRef``, ``alertPolicies``, ``conditionRef``,
``targetRef``, ``metricSourceRef``) must resolve.  What obsgen cannot map exactly (calendar
windows, time-slice budgeting, threshold and raw SLIs, composite objectives, sources other than
Prometheus) is refused here with the document and field named.  All problems are collected
before failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path as FilePath
from typing import Any

from obsgen import durations
from obsgen.catalog.loader import Path, dotted
from obsgen.errors import CatalogError, Problem
from obsgen.openslo import load, names, schema
from obsgen.openslo.load import Doc
from obsgen.openslo.model import (
    SLO,
    At,
    Bundle,
    Condition,
    Policy,
    Query,
    RatioSLI,
    Service,
    Target,
)

_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhdwMQY])$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_SLO_KEYS = {
    "description",
    "service",
    "indicator",
    "indicatorRef",
    "timeWindow",
    "budgetingMethod",
    "objectives",
    "alertPolicies",
}
_OBJECTIVE_KEYS = {"displayName", "op", "target", "targetPercent"}
_COMPOSITE_KEYS = {"indicator", "indicatorRef", "compositeWeight"}
_RATIO_KEYS = {"counter", "good", "bad", "total"}


def read(paths: Iterable[str]) -> tuple[Bundle, list[str]]:
    """The OpenSLO model of the files and directories in ``paths`` and notes on what was not mapped."""
    docs = load.read_files(load.expand(paths))
    return read_docs(docs)


def read_files(files: Iterable[FilePath]) -> tuple[Bundle, list[str]]:
    return read_docs(load.read_files(files))


def read_docs(docs: list[Doc]) -> tuple[Bundle, list[str]]:
    problems = [p for d in docs for p in schema.problems(d)]
    if problems:
        raise CatalogError(problems)
    if not docs:
        raise CatalogError([Problem("(input)", 0, 0, "", "no OpenSLO documents found")])
    reader = _Reader(docs)
    bundle = reader.bundle()
    if reader.problems:
        raise CatalogError(reader.problems)
    return bundle, reader.notes


def duration(text: str, at: At, field: str, problems: list[Problem]) -> timedelta | None:
    """An OpenSLO duration shorthand (``28d``, ``4w``, ``1h``); months, quarters and years are refused."""
    m = _DURATION.match(text)
    if not m:
        problems.append(at.problem(f"{text!r} is not a duration shorthand such as 5m, 1h, 28d or 4w"))
        return None
    count, unit = int(m.group(1)), m.group(2)
    if unit not in _UNITS:
        problems.append(
            at.problem(
                f"{text!r}: months, quarters and years have no fixed length; obsgen's windows "
                f"are fixed durations, so write the {field} in days or weeks (e.g. 30d, 4w)"
            )
        )
        return None
    return count * _UNITS[unit]


class _Reader:
    def __init__(self, docs: list[Doc]) -> None:
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.by_kind: dict[str, dict[str, Doc]] = {kind: {} for kind in schema.KIND_PARTS}
        for d in docs:
            seen = self.by_kind[d.kind]
            if d.name in seen:
                first = seen[d.name]
                line, _ = first.locate(("metadata", "name"))
                self.problems.append(
                    d.problem(
                        ("metadata", "name"),
                        f"duplicate {d.kind} name {d.name!r} (first "
                        f"defined in {first.file}:{line}); names must be "
                        "unique per kind",
                    )
                )
                continue
            seen[d.name] = d
        self._policies: dict[str, Policy | None] = {}

    def bundle(self) -> Bundle:
        services = tuple(self._service(d) for _, d in sorted(self.by_kind["Service"].items()))
        slos = [self._guarded(self._slo, d) for _, d in sorted(self.by_kind["SLO"].items())]
        if not self.by_kind["SLO"] and not self.by_kind["Service"]:
            self.problems.append(
                Problem(
                    "(input)",
                    0,
                    0,
                    "",
                    "no SLO or Service document found: obsgen imports "
                    "Services and SLOs (with their SLI and alert documents)",
                )
            )
        return Bundle(services, tuple(s for s in slos if s is not None))

    def _guarded(self, read: Any, d: Doc) -> Any:
        """``read(d)``, with a field the schema leaves optional but obsgen needs reported, not raised."""
        try:
            return read(d)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            self.problems.append(
                d.problem(
                    (),
                    f"a field obsgen needs is missing or has the wrong type ({exc}); "
                    "inline indicators, conditions and targets need metadata.name and spec",
                )
            )
            return None

    # --- Service -------------------------------------------------------------------------

    def _service(self, d: Doc) -> Service:
        meta = d.data["metadata"]
        team = d.name
        labels = meta.get("labels") or {}
        if isinstance(labels.get(names.TEAM_LABEL), str):
            team = labels[names.TEAM_LABEL]
        annotations = self._annotations(d, (), (*names.SERVICE_ANNOTATIONS, *names.CATALOG_ANNOTATIONS))
        return Service(d.name, d.data["spec"].get("description"), team, tuple(annotations), At(d, ()))

    def _annotations(self, d: Doc, base: Path, known: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """The ``obsgen.dev/*`` annotations of the object at ``base`` (others are not obsgen's)."""
        meta = _get(d.data, base).get("metadata") or {}
        out = []
        for key, value in sorted((meta.get("annotations") or {}).items()):
            path = (*base, "metadata", "annotations", key)
            if not key.startswith(names.ANNOTATION_PREFIX):
                continue
            if key not in known:
                self.problems.append(
                    d.problem(path, f"unknown obsgen annotation here; known: {', '.join(known)}")
                )
            elif not isinstance(value, str):
                self.problems.append(d.problem(path, "must be a string"))
            else:
                out.append((key, value))
        return tuple(out)

    # --- SLO -----------------------------------------------------------------------------

    def _slo(self, d: Doc) -> SLO | None:
        spec = d.data["spec"]
        before = len(self.problems)
        for key in sorted(set(spec) - _SLO_KEYS):
            self.problems.append(
                d.problem(
                    ("spec", key),
                    "unknown SLO field; obsgen maps only the fields of the "
                    "OpenSLO v1 SLO and will not guess what this one means",
                )
            )
        if spec["service"] not in self.by_kind["Service"]:
            self.problems.append(
                d.problem(
                    ("spec", "service"),
                    f"no Service named {spec['service']!r} in the input; add its Service document",
                )
            )
        if spec["budgetingMethod"] != "Occurrences":
            self.problems.append(
                d.problem(
                    ("spec", "budgetingMethod"),
                    f"{spec['budgetingMethod']} budgeting is not "
                    "supported: obsgen budgets by events (Occurrences); a time slice is good or "
                    "bad by its own ratio, which burn-rate alerts on event ratios cannot express",
                )
            )
        period = self._period(d, spec.get("timeWindow"))
        objective = self._objective(d, spec["objectives"])
        sli = self._indicator(d, spec)
        policies = self._slo_policies(d, spec.get("alertPolicies", None), "alertPolicies" in spec)
        if len(self.problems) > before or sli is None or objective is None:
            return None
        return SLO(
            d.name,
            spec["service"],
            spec.get("description"),
            sli,
            period or timedelta(0),
            objective,
            policies,
            At(d, ()),
            self._min_failures(d),
        )

    def _min_failures(self, d: Doc) -> int | None:
        value = dict(self._annotations(d, (), names.SLO_ANNOTATIONS)).get(names.MIN_FAILURES)
        if value is None:
            return None
        if not value.isdigit() or int(value) > 1_000_000:
            self.problems.append(
                d.problem(
                    ("metadata", "annotations", names.MIN_FAILURES),
                    'must be a whole number of failed events (e.g. "5"; "0": no guard)',
                )
            )
            return None
        return int(value)

    def _period(self, d: Doc, windows: list[dict[str, Any]] | None) -> timedelta | None:
        if not windows:
            return None
        w = windows[0]
        at = At(d, ("spec", "timeWindow", 0))
        if w.get("isRolling") is not True or "calendar" in w:
            self.problems.append(
                at.problem(
                    "calendar windows are not supported: obsgen's burn-rate windows and "
                    "budget are rolling; use `isRolling: true` (e.g. duration: 28d)",
                    "isRolling",
                )
            )
            return None
        return duration(w["duration"], At(d, (*at.path, "duration")), "SLO period", self.problems)

    def _objective(self, d: Doc, objectives: list[dict[str, Any]]) -> Decimal | None:
        if len(objectives) != 1:
            self.problems.append(
                d.problem(
                    ("spec", "objectives"),
                    f"{len(objectives)} objectives: obsgen maps an "
                    "SLO with exactly one objective; write one SLO per objective",
                )
            )
            return None
        o = objectives[0]
        at = At(d, ("spec", "objectives", 0))
        if _COMPOSITE_KEYS & set(o):
            key = sorted(_COMPOSITE_KEYS & set(o))[0]
            self.problems.append(
                at.problem(
                    "composite SLOs are not supported: obsgen alerts on one SLI per SLO; "
                    "write one SLO per indicator",
                    key,
                )
            )
            return None
        for key in sorted(set(o) - _OBJECTIVE_KEYS):
            hint = (
                "time slices apply to Timeslices budgeting, which obsgen does not support"
                if key.startswith("timeSlice")
                else "value and op compare threshold SLIs, not ratios"
                if key == "value"
                else "unknown objective field"
            )
            self.problems.append(at.problem(f"not supported: {hint}", key))
        if o.get("op") not in (None, "gt", "gte"):
            self.problems.append(
                at.problem(
                    f"op {o['op']!r}: a ratio objective means 'good/total at least "
                    "target'; only gt or gte say that",
                    "op",
                )
            )
        try:
            if "targetPercent" in o:
                percent = Decimal(str(o["targetPercent"]))
            else:
                percent = Decimal(str(o["target"])) * 100
        except (InvalidOperation, KeyError, TypeError):
            self.problems.append(at.problem("needs target (0 < target < 1) or targetPercent"))
            return None
        if not 0 < percent < 100:
            self.problems.append(
                at.problem(
                    f"an objective of {percent}% cannot be alerted on; it must be above 0 and below 100 %",
                    "target",
                )
            )
            return None
        return percent.normalize() if percent == percent.to_integral() else percent

    def _indicator(self, d: Doc, spec: dict[str, Any]) -> RatioSLI | None:
        if "indicatorRef" in spec:
            sli_doc = self.by_kind["SLI"].get(spec["indicatorRef"])
            if sli_doc is None:
                self.problems.append(
                    d.problem(
                        ("spec", "indicatorRef"),
                        f"no SLI named {spec['indicatorRef']!r} in the input; add its SLI document",
                    )
                )
                return None
            return self._sli(sli_doc, (), sli_doc.name)
        return self._sli(d, ("spec", "indicator"), spec["indicator"]["metadata"]["name"])

    def _sli(self, d: Doc, base: Path, name: str) -> RatioSLI | None:
        spec = _get(d.data, (*base, "spec"))
        if "thresholdMetric" in spec:
            self.problems.append(
                d.problem(
                    (*base, "spec", "thresholdMetric"),
                    "threshold SLIs are not supported: "
                    "obsgen alerts on the ratio of bad to total events; write a ratioMetric "
                    "(e.g. requests slower than the threshold / all requests from a histogram)",
                )
            )
            return None
        ratio = spec["ratioMetric"]
        path: Path = (*base, "spec", "ratioMetric")
        for key in sorted(set(ratio) - _RATIO_KEYS):
            what = "raw (precomputed) ratios" if key in ("raw", "rawType") else f"field {key!r}"
            self.problems.append(
                d.problem(
                    (*path, key), f"{what} not supported: obsgen needs event counts (good or bad, and total)"
                )
            )
        if ratio["counter"] is not True:
            self.problems.append(
                d.problem(
                    (*path, "counter"),
                    "counter: false is not supported: obsgen computes rates of counters (counter: true)",
                )
            )
        queries = {part: self._query(d, (*path, part)) for part in ("good", "bad", "total") if part in ratio}
        if any(q is None for q in queries.values()) or "total" not in queries:
            return None
        total = queries["total"]
        assert total is not None
        return RatioSLI(name, queries.get("good"), queries.get("bad"), total, At(d, path))

    def _query(self, d: Doc, path: Path) -> Query | None:
        source = _get(d.data, (*path, "metricSource"))
        at = At(d, (*path, "metricSource"))
        kind = source.get("type")
        ref = source.get("metricSourceRef")
        if isinstance(kind, str) and kind.lower() != "prometheus":
            self.problems.append(
                at.problem(
                    f"metric source type {kind!r} is not supported: obsgen generates "
                    "Prometheus rules from Prometheus queries (type: Prometheus)",
                    "type",
                )
            )
            return None
        if ref is not None:
            ds = self.by_kind["DataSource"].get(ref)
            if ds is None:
                self.problems.append(
                    at.problem(
                        f"no DataSource named {ref!r} in the input; add it, or drop "
                        "metricSourceRef and write type: Prometheus",
                        "metricSourceRef",
                    )
                )
                return None
            ds_type = ds.data["spec"]["type"]
            if kind is not None and kind != ds_type:
                self.problems.append(
                    at.problem(
                        f"type {kind!r} differs from the type of DataSource {ref!r} ({ds_type!r})", "type"
                    )
                )
                return None
            kind = ds_type
        if not isinstance(kind, str) or kind.lower() != "prometheus":
            self.problems.append(
                at.problem(
                    f"metric source type {kind!r} is not supported: obsgen generates "
                    "Prometheus rules from Prometheus queries (type: Prometheus)",
                    "type",
                )
            )
            return None
        query = source["spec"].get("query")
        if not isinstance(query, str) or not query.strip():
            self.problems.append(
                at.problem("a Prometheus metric source needs spec.query (a PromQL string)", "spec", "query")
            )
            return None
        return Query(query, At(d, (*path, "metricSource", "spec", "query")))

    # --- Alerting ------------------------------------------------------------------------

    def _slo_policies(self, d: Doc, refs: list[str] | None, given: bool) -> tuple[Policy, ...] | None:
        if not given:
            return None
        out = []
        for i, ref in enumerate(refs or []):
            doc = self.by_kind["AlertPolicy"].get(ref)
            if doc is None:
                self.problems.append(
                    d.problem(
                        ("spec", "alertPolicies", i),
                        f"no AlertPolicy named {ref!r} in the input; add its AlertPolicy document",
                    )
                )
                continue
            if ref not in self._policies:
                self._policies[ref] = self._guarded(self._policy, doc)
            policy = self._policies[ref]
            if policy is not None:
                out.append(policy)
        return tuple(out)

    def _policy(self, d: Doc) -> Policy | None:
        spec = d.data["spec"]
        if spec["alertWhenBreaching"] is not True:
            self.notes.append(
                f"{d.file}: AlertPolicy {d.name}: alertWhenBreaching is false, so it never alerts "
                "on a burn; not mapped"
            )
            return None
        item = spec["conditions"][0]
        if "conditionRef" in item:
            cdoc = self.by_kind["AlertCondition"].get(item["conditionRef"])
            if cdoc is None:
                self.problems.append(
                    d.problem(
                        ("spec", "conditions", 0, "conditionRef"),
                        f"no AlertCondition named {item['conditionRef']!r} in the input",
                    )
                )
                return None
            condition = self._condition(cdoc, (), cdoc.name)
        else:
            condition = self._condition(d, ("spec", "conditions", 0), item["metadata"]["name"])
        targets = []
        for i, t in enumerate(spec["notificationTargets"]):
            if "targetRef" in t:
                tdoc = self.by_kind["AlertNotificationTarget"].get(t["targetRef"])
                if tdoc is None:
                    self.problems.append(
                        d.problem(
                            ("spec", "notificationTargets", i, "targetRef"),
                            f"no AlertNotificationTarget named {t['targetRef']!r} in the input",
                        )
                    )
                    continue
                target = self._target(tdoc, (), tdoc.name)
            else:
                target = self._target(d, ("spec", "notificationTargets", i), t["metadata"]["name"])
            if target is not None:
                targets.append(target)
        if condition is None:
            return None
        return Policy(d.name, condition, tuple(targets), At(d, ()))

    def _condition(self, d: Doc, base: Path, name: str) -> Condition | None:
        spec = _get(d.data, (*base, "spec"))
        at = At(d, (*base, "spec"))
        before = len(self.problems)
        severity = names.SEVERITIES.get(str(spec["severity"]).lower())
        if severity is None:
            self.problems.append(
                at.problem(
                    f"severity {spec['severity']!r}: obsgen has two severities; write one of "
                    f"{', '.join(names.SEVERITIES)} (critical means page, warning ticket)",
                    "severity",
                )
            )
        cond = spec["condition"]
        cat = At(d, (*at.path, "condition"))
        if cond.get("kind", "burnrate") != "burnrate":
            self.problems.append(cat.problem("only burnrate conditions are supported", "kind"))
        missing = [k for k in ("op", "threshold", "lookbackWindow") if k not in cond]
        if missing:
            self.problems.append(cat.problem(f"a burnrate condition needs {', '.join(missing)}"))
            return None
        if cond["op"] not in ("gt", "gte"):
            self.problems.append(
                cat.problem(
                    f"op {cond['op']!r} would alert while the burn rate is low; obsgen "
                    "alerts when it exceeds the threshold: use gt or gte",
                    "op",
                )
            )
        burn = cond["threshold"]
        if isinstance(burn, bool) or not isinstance(burn, int | float) or burn <= 0:
            self.problems.append(
                cat.problem("the burn-rate threshold must be a number above 0 (e.g. 14.4)", "threshold")
            )
        lookback = duration(
            cond["lookbackWindow"], At(d, (*cat.path, "lookbackWindow")), "lookback window", self.problems
        )
        after = timedelta(0)
        if "alertAfter" in cond:
            after = duration(
                cond["alertAfter"], At(d, (*cat.path, "alertAfter")), "alertAfter", self.problems
            ) or timedelta(0)
        if len(self.problems) > before or lookback is None or severity is None:
            return None
        short = None
        text = dict(self._annotations(d, base, names.CONDITION_ANNOTATIONS)).get(names.SHORT_WINDOW)
        if text is not None:
            try:
                short = durations.parse(text)
            except durations.DurationError as exc:
                self.problems.append(
                    d.problem((*base, "metadata", "annotations", names.SHORT_WINDOW), str(exc))
                )
                return None
        return Condition(name, severity, float(burn), lookback, after, cat, short)

    def _target(self, d: Doc, base: Path, name: str) -> Target | None:
        spec = _get(d.data, (*base, "spec"))
        at = At(d, (*base, "spec", "target"))
        text = str(spec["target"]).strip()
        kind, _, value = text.partition(":")
        kind = kind.lower()
        if kind == names.TARGET_ALERTMANAGER and not value:
            return Target(name, kind, "", at)
        if kind in (names.TARGET_SLACK, names.TARGET_PAGERDUTY) and value:
            return Target(name, kind, value, at)
        self.notes.append(
            f"{d.file}: AlertNotificationTarget {name}: target {text!r} is not mapped; obsgen routes to Slack and "
            f"PagerDuty through team receivers: write target: slack:#channel or pagerduty:service-name"
        )
        return None


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


__all__ = ["dotted", "duration", "read", "read_docs"]
