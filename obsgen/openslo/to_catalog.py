"""The OpenSLO model -> an obsgen/v1 catalog (commented YAML text, deterministic).

The result is checked with the catalog loader before it is returned, so ``obsgen import``
never writes a catalog that ``obsgen validate`` would refuse.  The mapping, field by field, is
documented in docs/openslo.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from obsgen import conventions as C
from obsgen import durations, promql
from obsgen.catalog import load_catalog
from obsgen.errors import CatalogError, Problem
from obsgen.openslo import names
from obsgen.openslo.model import SLO, Bundle, Condition, Service, Target
from obsgen.openslo.sli import Availability, Latency, Mapped, Ratio, SLIError, classify
from obsgen.policy import alerting as policy
from obsgen.sli.presets import PRESETS, Preset

_NAME = re.compile(C.NAME_PATTERN)
_MS = "millisecond"


@dataclass
class _Out:
    """One catalog SLO being built."""

    name: str
    slo: SLO
    mapped: Mapped
    selector: str | None = None
    severities: frozenset[str] = frozenset()


@dataclass
class _Emitter:
    """A small YAML writer: block mappings, flow lists, JSON-quoted strings, comments by path."""

    lines: list[str] = field(default_factory=list)

    def comment(self, text: str, indent: int = 0) -> None:
        for line in text.splitlines() or [""]:
            self.lines.append(" " * indent + ("# " + line).rstrip())

    def mapping(
        self,
        data: dict[str, Any],
        indent: int = 0,
        comments: dict[tuple[str, ...], str] | None = None,
        path: tuple[str, ...] = (),
    ) -> None:
        for key, value in data.items():
            if comments and (*path, key) in comments:
                self.comment(comments[(*path, key)], indent)
            if isinstance(value, dict):
                self.lines.append(f"{' ' * indent}{_key(key)}:" + (" {}" if not value else ""))
                self.mapping(value, indent + 2, comments, (*path, key))
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                self.lines.append(f"{' ' * indent}{_key(key)}:")
                for item in value:
                    flow = ", ".join(f"{_key(k)}: {_scalar(v)}" for k, v in item.items())
                    self.lines.append(f"{' ' * indent}  - {{{flow}}}")
            else:
                self.lines.append(f"{' ' * indent}{_key(key)}: {_scalar(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else json.dumps(key)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)  # YAML 1.1 reads 1e-05 as a string: give the mantissa a dot
        return re.sub(r"^(-?[0-9]+)e", r"\1.0e", text)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def to_catalog(bundle: Bundle, notes: list[str], sources: Iterable[str] = ()) -> str:
    """The catalog text for ``bundle``; raise CatalogError when it cannot be mapped exactly."""
    problems: list[Problem] = []
    period = _period(bundle, problems)
    settings = _settings(bundle.services, problems)
    by_service: dict[str, list[_Out]] = {s.name: [] for s in bundle.services}
    presets = {s.name: _preset(s, problems) for s in bundle.services}
    for slo in bundle.slos:
        try:
            mapped = classify(slo.sli, presets[slo.service])
        except SLIError as exc:
            at = exc.query.at if exc.query else slo.sli.at
            problems.append(at.problem(str(exc)))
            continue
        severities = frozenset(
            (C.SEVERITY_PAGE, C.SEVERITY_TICKET)
            if slo.policies is None
            else {p.condition.severity for p in slo.policies}
        )
        by_service[slo.service].append(_Out("", slo, mapped, severities=severities))
    services: dict[str, dict[str, Any]] = {}
    comments: dict[tuple[str, ...], str] = {}
    teams: dict[str, dict[str, str]] = {}
    for svc in sorted(bundle.services, key=lambda s: s.name):
        outs = by_service[svc.name]
        if not _NAME.fullmatch(svc.name) or len(svc.name) > C.NAME_MAX_LENGTH:
            problems.append(
                svc.at.problem(
                    f"service name {svc.name!r} is not an obsgen name (lowercase letters, "
                    "digits and '-', starting with a letter, at most 63)",
                    "metadata",
                    "name",
                )
            )
            continue
        if not _NAME.fullmatch(svc.team):
            problems.append(
                svc.at.problem(f"team {svc.team!r} is not an obsgen name", "metadata", "labels", "team")
            )
            continue
        _name_slos(svc, outs, problems)
        services[svc.name] = _service(svc, presets[svc.name], outs, period, notes, problems)
        comments[("services", svc.name)] = f"from OpenSLO Service {svc.name} ({svc.at.doc.file})"
        for o in outs:
            comments[("services", svc.name, "slos", o.name)] = _describe(o)
        team = teams.setdefault(svc.team, {})
        _receivers(team, svc, outs, problems)
    if problems:
        raise CatalogError(problems)
    catalog: dict[str, Any] = {"apiVersion": C.API_VERSION}
    if period:
        catalog["slo_period"] = durations.format_prometheus(period)
    if names.GRAFANA_URL in settings:
        catalog["grafana_url"] = settings[names.GRAFANA_URL]
    prom = {
        k: settings[a]
        for k, a in (
            ("scrape_interval", names.SCRAPE_INTERVAL),
            ("evaluation_interval", names.EVALUATION_INTERVAL),
        )
        if a in settings
    }
    if prom:
        catalog["prometheus"] = prom
    scrape = durations.parse(settings.get(names.SCRAPE_INTERVAL, C.DEFAULT_SCRAPE_INTERVAL))
    if period and bundle.slos and (why := policy.period_problem(period, scrape)):
        why += f" (in OpenSLO: a longer timeWindow, or a shorter {names.SCRAPE_INTERVAL} on the Services)"
        raise CatalogError(
            [s.at.problem(why, "spec", "timeWindow", 0, "duration") for s in bundle.slos if s.period]
        )
    text = _render({**catalog, "teams": teams, "services": services}, comments, notes, sources)
    try:
        load_catalog(text.encode(), "(imported catalog)")
    except CatalogError as exc:
        raise CatalogError(
            [
                Problem(
                    p.file,
                    p.line,
                    p.column,
                    p.path,
                    f"{p.message} (in the catalog obsgen would write from the OpenSLO input)",
                )
                for p in exc.problems
            ]
        ) from None
    return text


def _period(bundle: Bundle, problems: list[Problem]) -> timedelta | None:
    periods = {s.period for s in bundle.slos if s.period}
    if len(periods) > 1:
        listed = ", ".join(
            f"{s.name}: {durations.format_prometheus(s.period)}" for s in bundle.slos if s.period
        )
        for s in bundle.slos:
            if s.period:
                problems.append(
                    s.at.problem(
                        f"SLOs have different periods ({listed}); an obsgen catalog has one "
                        "slo_period: import SLOs of each period into their own catalog",
                        "spec",
                        "timeWindow",
                        0,
                        "duration",
                    )
                )
        return None
    return periods.pop() if periods else None


def _settings(services: Iterable[Service], problems: list[Problem]) -> dict[str, str]:
    out: dict[str, tuple[str, Service]] = {}
    for svc in services:
        for key, value in svc.annotations:
            if key not in names.CATALOG_ANNOTATIONS:
                continue
            if key in out and out[key][0] != value:
                problems.append(
                    svc.at.problem(
                        f"{value!r} differs from {out[key][0]!r} on Service {out[key][1].name}; "
                        "it is a catalog-wide setting",
                        "metadata",
                        "annotations",
                        key,
                    )
                )
            out.setdefault(key, (value, svc))
    return {k: v for k, (v, _) in out.items()}


def _name_slos(svc: Service, outs: list[_Out], problems: list[Problem]) -> None:
    """Catalog SLO names: the OpenSLO name without a ``<service>-`` prefix when that stays unique."""
    short = [o.slo.name.removeprefix(svc.name + "-") for o in outs]
    use_short = len(set(short)) == len(short) and not (set(short) & {o.slo.name for o in outs} - set(short))
    for o, s in zip(outs, short, strict=True):
        o.name = s if use_short and s else o.slo.name
        if not _NAME.fullmatch(o.name) or len(o.name) > C.NAME_MAX_LENGTH:
            problems.append(
                o.slo.at.problem(
                    f"SLO name {o.name!r} is not an obsgen name (lowercase letters, digits "
                    "and '-', starting with a letter, at most 63)",
                    "metadata",
                    "name",
                )
            )


def _preset(svc: Service, problems: list[Problem]) -> Preset:
    name = dict(svc.annotations).get(names.SOURCE, "obsgen")
    if name not in PRESETS:
        problems.append(
            svc.at.problem(
                f"unknown source {name!r}; obsgen's presets are {', '.join(PRESETS)}",
                "metadata",
                "annotations",
                names.SOURCE,
            )
        )
        return PRESETS["obsgen"]
    return PRESETS[name]


def _unit(histogram: str, preset: Preset) -> str:
    """The histogram's unit: the preset's for its own histogram, else read from the name."""
    if histogram == preset.duration:
        return preset.duration_unit
    return "milliseconds" if _MS in histogram else "seconds"


def _service(
    svc: Service,
    preset: Preset,
    outs: list[_Out],
    period: timedelta | None,
    notes: list[str],
    problems: list[Problem],
) -> dict[str, Any]:
    out: dict[str, Any] = {"team": svc.team}
    if svc.description:
        out["description"] = svc.description
    if preset.name != "obsgen":
        out["source"] = preset.name
    annotations = dict(svc.annotations)
    if names.RUNBOOK_URL in annotations:
        out["runbook_url"] = annotations[names.RUNBOOK_URL]
    avail = [o for o in outs if isinstance(o.mapped, Availability)]
    if (
        len({(o.mapped.requests, o.mapped.error_codes) for o in avail if isinstance(o.mapped, Availability)})
        > 1
    ):
        for o in avail:  # one request counter and error regex per service: keep each SLO exact as a ratio
            assert isinstance(o.mapped, Availability)
            o.mapped = _as_ratio(o.mapped)
        avail = []
    lat = [o for o in outs if isinstance(o.mapped, Latency)]
    histograms = sorted({o.mapped.histogram for o in lat if isinstance(o.mapped, Latency)})
    if len(histograms) > 1:
        for o in lat:
            problems.append(
                o.slo.sli.at.problem(
                    f"the latency SLOs of service {svc.name} read different histograms "
                    f"({', '.join(histograms)}); obsgen reads one per service: put them "
                    "under separate Services"
                )
            )
        return out
    selected = avail + lat
    common = _common([o.mapped.matchers for o in selected if isinstance(o.mapped, Availability | Latency)])
    if selected and not common:
        problems.append(
            selected[0].slo.sli.at.problem(
                f"the SLIs of service {svc.name} share no label matcher; obsgen selects a service's series by "
                'matchers (e.g. {job="api"}): add one to every query'
            )
        )
        return out
    if len(common) == 1 and common[0].label == C.LABEL_JOB and common[0].op == "=":
        out["job"] = common[0].value
    elif common:
        out["selector"] = "{" + ",".join(str(m) for m in common) + "}"
    metrics: dict[str, Any] = {}
    if avail:
        first = avail[0].mapped
        assert isinstance(first, Availability)
        if first.requests != preset.requests:
            metrics["requests"] = first.requests
    unit: str = preset.duration_unit
    if lat:
        histogram = histograms[0]
        unit = _unit(histogram, preset)
        if histogram != preset.duration:
            metrics["duration"] = histogram
        if unit != preset.duration_unit:
            metrics["duration_unit"] = unit
        defaults = preset.buckets if unit == preset.duration_unit else ()
        les = {o.mapped.le for o in lat if isinstance(o.mapped, Latency)}
        if not defaults or not all(any(math.isclose(le, b) for b in defaults) for le in les):
            metrics["buckets"] = sorted({*(defaults or _default_buckets(unit)), *les})
    if names.BUCKETS in annotations:
        metrics["buckets"] = _numbers(annotations[names.BUCKETS])
    if metrics:
        out["metrics"] = metrics
    if avail:
        first = avail[0].mapped
        assert isinstance(first, Availability)
        if first.error_codes != preset.default_error_codes:
            out["error_codes"] = first.error_codes
    per_slo: dict[str, dict[str, Any]] = {}
    if outs:
        out["alerting"], per_slo = _alerting(svc, outs, period, notes)
    slos: dict[str, Any] = {}
    for o in sorted(outs, key=lambda o: o.name):
        slos[o.name] = _slo(o, common, unit, problems)
        if o.name in per_slo:
            slos[o.name]["alerting"] = per_slo[o.name]
    if slos:
        out["slos"] = slos
    if names.TARGETS in annotations:
        out["targets"] = [t.strip() for t in annotations[names.TARGETS].split(",") if t.strip()]
    return out


def _numbers(text: str) -> list[float | str]:
    """Comma-separated numbers; a word that is not one stays a string for the catalog check to report."""
    out: list[float | str] = []
    for word in text.split(","):
        try:
            out.append(float(word))
        except ValueError:
            out.append(word.strip())
    return out


def _as_ratio(a: Availability) -> Ratio:
    from obsgen.openslo.queries import Selector
    from obsgen.promql import Matcher

    total = Selector(a.requests, a.matchers)
    return Ratio(Selector(a.requests, (*a.matchers, Matcher(C.LABEL_CODE, "=~", a.error_codes))), total)


def _common(sets: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    if not sets:
        return ()
    return tuple(m for m in sets[0] if all(m in s for s in sets[1:]))


def _default_buckets(unit: str) -> tuple[float, ...]:
    return (
        tuple(round(b * 1000, 6) for b in C.DEFAULT_BUCKETS) if unit == "milliseconds" else C.DEFAULT_BUCKETS
    )


def _slo(o: _Out, common: tuple[Any, ...], unit: str, problems: list[Problem]) -> dict[str, Any]:
    m = o.mapped
    out: dict[str, Any] = {}
    if isinstance(m, Ratio):
        out = {
            "kind": "ratio",
            "objective": o.slo.objective_percent,
            "errors": str(m.errors),
            "total": str(m.total),
        }
    else:
        out = {
            "kind": "availability" if isinstance(m, Availability) else "latency",
            "objective": o.slo.objective_percent,
        }
        if isinstance(m, Latency):
            ms = m.le if unit == "milliseconds" else m.le * 1000
            if not math.isclose(ms, round(ms)) or round(ms) <= 0:
                problems.append(
                    o.slo.sli.at.problem(
                        f"le={m.le:g} is not a whole number of milliseconds; obsgen thresholds are durations"
                    )
                )
            else:
                out["threshold"] = durations.format_prometheus(timedelta(milliseconds=round(ms)))
        extra = [x for x in m.matchers if x not in common]
        if extra:
            out["selector"] = "{" + ",".join(str(x) for x in extra) + "}"
    if o.slo.description:
        out["description"] = o.slo.description
    return out


def _alerting(
    svc: Service, outs: list[_Out], period: timedelta | None, notes: list[str]
) -> tuple[dict[str, bool], dict[str, dict[str, Any]]]:
    """The service's ``alerting`` and each SLO's own, from the SLOs' alert conditions.

    A service pages (opens tickets) when one of its SLOs does, unless ``obsgen.dev/alerting``
    says otherwise; an SLO whose conditions are exactly obsgen's table for its severities only
    turns severities on or off, any other set of conditions becomes its window table.
    """
    severities = {C.SEVERITY_PAGE: False, C.SEVERITY_TICKET: False}
    for o in outs:
        for sev in o.severities:
            severities[sev] = True
    given = dict(svc.annotations).get(names.ALERTING)
    if given is not None:
        severities = {sev: sev in {w.strip() for w in given.split(",")} for sev in severities}
    table = policy.windows_for(period or durations.parse(C.DEFAULT_SLO_PERIOD))
    per_slo: dict[str, dict[str, Any]] = {}
    for o in outs:
        own: dict[str, Any] = {}
        if o.slo.policies is not None:
            windows = sorted({_window(p.condition) for p in o.slo.policies}, key=_window_order)
            default = sorted({w for w in table if w.severity in o.severities}, key=_window_order)
            if windows != default:
                own["windows"] = [
                    {
                        "severity": w.severity,
                        "long": durations.format_prometheus(w.long),
                        "short": durations.format_prometheus(w.short),
                        "burn_rate": w.burn_rate,
                    }
                    for w in windows
                ]
            for sev in (C.SEVERITY_PAGE, C.SEVERITY_TICKET):
                if (sev in o.severities) != severities[sev]:
                    own[sev] = sev in o.severities
        if o.slo.min_failures is not None:
            own["min_failures"] = o.slo.min_failures
        if own:
            per_slo[o.name] = own
        for p in o.slo.policies or ():
            c = p.condition
            if c.alert_after > timedelta(minutes=1):  # 1m: the shortest the schema allows; read as "at once"
                notes.append(
                    f"AlertCondition {c.name}: alertAfter {durations.format_prometheus(c.alert_after)} is not "
                    "mapped: the short window confirms a burn instead"
                )
    return severities, per_slo


def _window(c: Condition) -> policy.BurnRateWindow:
    """An OpenSLO condition as a window pair: the short window is 1/12 of the lookback unless named."""
    short = c.short or timedelta(
        seconds=max(1, round(c.lookback.total_seconds() / names.SHORT_WINDOW_DIVISOR))
    )
    return policy.BurnRateWindow(c.severity, c.lookback, short, c.burn_rate)


def _window_order(w: policy.BurnRateWindow) -> tuple[int, timedelta, timedelta, float]:
    return (0 if w.severity == C.SEVERITY_PAGE else 1, w.long, w.short, w.burn_rate)


def _receivers(team: dict[str, str], svc: Service, outs: list[_Out], problems: list[Problem]) -> None:
    fields = {names.TARGET_SLACK: "slack_channel", names.TARGET_PAGERDUTY: "pagerduty_service"}
    seen: dict[str, Target] = {}
    for o in outs:
        for p in o.slo.policies or ():
            for t in p.targets:
                key = fields.get(t.kind)
                if key is None:
                    continue
                if key in team and team[key] != t.value:
                    problems.append(
                        t.at.problem(
                            f"team {svc.team} already has {key} {team[key]!r}"
                            f"{' (from ' + seen[key].name + ')' if key in seen else ''}; obsgen "
                            f"gives a team one {t.kind} receiver: label the Services of the "
                            "other channel with another team (metadata.labels.team)"
                        )
                    )
                    continue
                team[key] = t.value
                seen[key] = t


def _describe(o: _Out) -> str:
    """Where an SLO came from and how its SLI was read, for the catalog's comments."""
    m = o.mapped
    if isinstance(m, Availability):
        how = f"bad = total with {{code=~{promql.quote(m.error_codes)}}}: availability"
    elif isinstance(m, Latency):
        how = f"good = {m.histogram}_bucket{{le={m.le:g}}} over its _count: latency"
    else:
        how = "bad and total counters" + (
            " (bad = total without good's matcher)" if o.slo.sli.bad is None else ""
        )
        how += ": ratio"
    return f"from OpenSLO SLO {o.slo.name} ({o.slo.at.doc.file}), SLI {o.slo.sli.name}: {how}"


def _render(
    catalog: dict[str, Any], comments: dict[tuple[str, ...], str], notes: list[str], sources: Iterable[str]
) -> str:
    e = _Emitter()
    e.comment("obsgen catalog imported from OpenSLO v1 by `obsgen import openslo`.")
    for src in sources:
        e.comment(f"  from {src}")
    e.comment("The mapping is described in docs/openslo.md. Check it with `obsgen validate`, then")
    e.comment("`obsgen generate`. Edit freely: this file is now the source of truth.")
    for n in dict.fromkeys(notes):
        e.comment(f"NOT MAPPED: {n}")
    e.mapping(catalog, comments=comments)
    return e.text()
