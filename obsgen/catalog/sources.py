"""Services measured by exporters: presets resolved, selectors, error codes and SLIs checked.

Everything a service's SLIs take from the catalog is checked here, before the model is built:
``validate`` accepting a catalog means the SLI model can be built and every generator succeeds.
Regexes are checked and matched with RE2 (obsgen.catalog.re2), as Prometheus does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from obsgen import durations
from obsgen import promql as Q
from obsgen.catalog import re2, regex_examples
from obsgen.catalog.loader import Document, Path
from obsgen.errors import Problem
from obsgen.sli.model import SLI, Availability, Labels, Latency, Ratio, Selector, Source, group_sample
from obsgen.sli.presets import DEFAULT_PRESET, PRESETS, Preset, vocabulary
from obsgen.sli.selector import SelectorError, Series, parse_matchers, parse_series

#: Text a Go template (alert annotations) or Grafana (variables) would expand.
_TEMPLATE_MARKERS = ("{{", "$", "[[")
#: Candidate values for synthetic series of label matchers that are not equality.
_CANDIDATES = ("obsgen-test", "x", "0", "/", "200", "GET", "")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def preset_of(s: dict[str, Any]) -> Preset:
    name = s.get("source", DEFAULT_PRESET)
    return PRESETS.get(name, PRESETS[DEFAULT_PRESET]) if isinstance(name, str) else PRESETS[DEFAULT_PRESET]


# --- Regexes and selectors ------------------------------------------------------------------


def _template_problem(text: str) -> str | None:
    for marker in _TEMPLATE_MARKERS:
        if marker in text:
            return (
                f"contains {marker!r}, which alert templates or Grafana would expand; "
                "write the value without it"
            )
    return None


_RE2_UNSUPPORTED = ("(?=", "(?!", "(?<=", "(?<!", "(?P=")


def _regex_problem(pattern: str) -> str | None:
    """Why Prometheus would reject ``pattern`` as a label regex, in words."""
    why = re2.compile_problem(pattern)
    if why is None:
        return None
    if any(marker in pattern for marker in _RE2_UNSUPPORTED) or re.search(r"\\[1-9]", pattern):
        return "uses lookaround or backreferences, which Prometheus' regex engine (RE2) does not support"
    return f"is not a valid regex (RE2, as Prometheus reads it): {why}"


def _matcher_problems(matchers: Iterable[Q.Matcher]) -> list[str]:
    out = []
    for m in matchers:
        if (why := _template_problem(m.value)) is not None:
            out.append(f"{m.label}{m.op}{Q.quote(m.value)} {why}")
        elif m.op in ("=~", "!~") and (why := _regex_problem(m.value)) is not None:
            out.append(f"{m.label}{m.op}{Q.quote(m.value)}: {why}")
    if not out:
        out += _empty_selector_problems(tuple(matchers))
    return out


def _empty_selector_problems(matchers: tuple[Q.Matcher, ...]) -> list[str]:
    """Matchers that provably select nothing: a label fixed by ``=`` that another matcher refuses.
    (Other combinations obsgen cannot sample are valid: their SLOs go without generated tests.)"""
    out = []
    for eq in (m for m in matchers if m.op == "="):
        for other in matchers:
            if other.label == eq.label and other is not eq and not _satisfies(eq.value, other):
                out.append(
                    f"no label value satisfies these matchers together: {eq} and {other} select no "
                    "series at all; remove one of them"
                )
                return out
    return out


def _satisfies(value: str, m: Q.Matcher) -> bool:
    if m.op == "=":
        return value == m.value
    if m.op == "!=":
        return value != m.value
    matched = re2.fullmatch(m.value, value)
    return matched if m.op == "=~" else not matched


def _candidates(ms: list[Q.Matcher]) -> list[str]:
    """Values to try for one label: equality values, strings its regexes match (derived from their
    syntax), then fixed guesses for negative matchers."""
    out = [m.value for m in ms if m.op == "="]
    for m in ms:
        if m.op == "=~":
            out += regex_examples.examples(m.value)
    out += _CANDIDATES
    out += [m.value + "-other" for m in ms]
    for m in ms:
        if m.op == "!~":
            out += [e + "-other" for e in regex_examples.examples(m.value)]
    return list(dict.fromkeys(out))


def sample(matchers: tuple[Q.Matcher, ...], avoid: tuple[Q.Matcher, ...] = ()) -> Labels | None:
    """Label values satisfying every matcher (and, when given, violating one of ``avoid``); None
    when obsgen finds none (the matchers may still select series: RE2 decides, not obsgen)."""
    by_label: dict[str, list[Q.Matcher]] = {}
    for m in matchers:
        by_label.setdefault(m.label, []).append(m)
    out: dict[str, str] = {}
    for label, ms in by_label.items():
        found = next((c for c in _candidates(ms) if all(_satisfies(c, m) for m in ms)), None)
        if found is None:
            return None
        out[label] = found
    if avoid and all(_satisfies(out.get(m.label, ""), m) for m in avoid):
        # Change one label so the series escapes ``avoid``.
        for a in avoid:
            mine = by_label.get(a.label, [])
            for c in [*_candidates([*mine, a]), a.value]:
                if not _satisfies(c, a) and all(_satisfies(c, m) for m in mine):
                    out[a.label] = c
                    return tuple(sorted(out.items()))
        return None
    return tuple(sorted(out.items()))


def _selector_problems(text: Any, path: Path, doc: Document) -> list[Problem]:
    if not isinstance(text, str):
        return []
    try:
        matchers = parse_matchers(text)
    except SelectorError as exc:
        return [
            doc.problem(
                path,
                f'{text!r} is not a label-matcher list: {exc}; write {{label="value", ...}} '
                "(matchers only: no metric name, no functions)",
            )
        ]
    return [doc.problem(path, why) for why in _matcher_problems(matchers)]


def _series_problems(text: Any, path: Path, doc: Document) -> list[Problem]:
    if not isinstance(text, str):
        return []
    try:
        series = parse_series(text)
    except SelectorError as exc:
        return [doc.problem(path, f'{text!r} is not a series selector: {exc}; write metric{{label="value"}}')]
    return [doc.problem(path, why) for why in _matcher_problems(series.matchers)]


# --- error_codes ---------------------------------------------------------------------------


def error_codes_problem(pattern: str, preset: Preset) -> str | None:
    if not pattern:
        return f"must not be empty; the default is {preset.default_error_codes}"
    if (why := _template_problem(pattern)) is not None:
        return f"{pattern!r} {why}"
    if (why := _regex_problem(pattern)) is not None:
        return f"{pattern!r} {why}; e.g. {preset.default_error_codes}"
    for ok in preset.success_codes:
        if re2.fullmatch(pattern, ok):
            return (
                f"{pattern!r} matches the success code {ok}: every such request would count as failed; "
                f"match only failure codes, e.g. {preset.default_error_codes}"
            )
    if not any(re2.fullmatch(pattern, code) for code in vocabulary(preset.codes)):
        what = (
            "gRPC code names (e.g. Unavailable|Internal)" if preset.codes == "grpc" else "HTTP status codes"
        )
        return (
            f"{pattern!r} matches no status the {preset.name} source reports ({what}); "
            f"e.g. {preset.default_error_codes}"
        )
    return None


# --- Problems ------------------------------------------------------------------------------


def service_problems(s: dict[str, Any], path: Path, doc: Document) -> list[Problem]:
    problems: list[Problem] = []
    preset = preset_of(s)
    if "selector" in s:
        problems += _selector_problems(s["selector"], (*path, "selector"), doc)
    elif preset.needs_selector:
        problems.append(
            doc.problem(
                path,
                f"a service measured by {preset.name} shares its job with other "
                "services: add a selector naming it, e.g. selector: "
                "'{service=\"shop\"}'",
            )
        )
    problems += _group_by_problems(s.get("group_by"), (*path, "group_by"), doc)
    for slo_name, raw in _dict(s.get("slos")).items():
        problems += _group_by_problems(_dict(raw).get("group_by"), (*path, "slos", slo_name, "group_by"), doc)
    codes = s.get("error_codes")
    if isinstance(codes, str) and (why := error_codes_problem(codes, preset)):
        problems.append(doc.problem((*path, "error_codes"), why))
    metrics = _dict(s.get("metrics"))
    unit = metrics.get("duration_unit", preset.duration_unit)
    buckets = _buckets(metrics.get("buckets"), preset.buckets)
    duration = metrics.get("duration", preset.duration)
    for slo_name, raw in _dict(s.get("slos")).items():
        problems += _slo_problems(
            _dict(raw), (*path, "slos", slo_name), buckets, str(duration), str(unit), doc
        )
    if not problems:
        problems += _status_problems(s, path, doc)
    return problems


def _status_problems(s: dict[str, Any], path: Path, doc: Document) -> list[Problem]:
    """Matchers on the status label (service or SLO selector) against the codes of test traffic."""
    preset = preset_of(s)
    codes = s.get("error_codes", preset.default_error_codes)
    metrics = s.get("metrics", {})
    if (
        not isinstance(codes, str)
        or error_codes_problem(codes, preset) is not None
        or not isinstance(metrics, dict)
        or not all(isinstance(metrics.get(k, ""), str) for k in ("requests", "duration", "status_label"))
        or not isinstance(s.get("selector", ""), str)
    ):
        return []  # malformed fields: the spec checks report them
    try:
        src = source(s)
        service = service_selector(str(path[-1]), s)
        slos = {name: _dict(raw) for name, raw in _dict(s.get("slos")).items()}
        own = {
            name: parse_matchers(raw["selector"]) if "selector" in raw else () for name, raw in slos.items()
        }
    except (SelectorError, TypeError, ValueError, AttributeError, KeyError):
        return []  # malformed fields: the spec checks report them
    problems = []
    for name, raw in slos.items():
        kind = raw.get("kind")
        if kind not in ("availability", "latency"):
            continue
        why = status_codes(src, service.matchers + own[name], str(kind))
        if isinstance(why, str):
            on_slo = any(m.label == src.status_label for m in own[name])
            where = (*path, "slos", name, "selector") if on_slo else (*path, "selector")
            problems.append(doc.problem(where, f"for SLO {name}: {why}"))
    return problems


#: Labels the SLI recordings and alerts set themselves, or that a histogram needs: not group labels.
_RESERVED_GROUP_LABELS = ("le", "service", "slo", "team", "severity", "alertname", "alertstate")


def _group_by_problems(value: Any, path: Path, doc: Document) -> list[Problem]:
    if not isinstance(value, list):
        return []
    return [
        doc.problem(
            (*path, i),
            f"{label!r} cannot be a group label: obsgen's rules and alerts set it "
            "themselves (or, for le, the histogram needs it); group by a label of the "
            "series such as cluster or region",
        )
        for i, label in enumerate(value)
        if label in _RESERVED_GROUP_LABELS
    ]


def _buckets(value: Any, default: tuple[float, ...]) -> tuple[float, ...]:
    if isinstance(value, list) and all(
        isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in value
    ):
        return tuple(sorted(float(b) for b in value))
    return default


def _slo_problems(
    raw: dict[str, Any], path: Path, buckets: tuple[float, ...], duration: str, unit: str, doc: Document
) -> list[Problem]:
    kind = raw.get("kind")
    problems: list[Problem] = []
    if "selector" in raw:
        problems += _selector_problems(raw["selector"], (*path, "selector"), doc)
    if kind == "ratio":
        for key in ("errors", "total"):
            if key not in raw:
                problems.append(
                    doc.problem(
                        path,
                        f"a ratio SLO needs {key}: 'metric{{matchers}}', e.g. "
                        "errors: 'jobs_failed_total{queue=\"mail\"}'",
                    )
                )
            else:
                problems += _series_problems(raw[key], (*path, key), doc)
        problems += _ratio_problems(raw, path, doc)
        for key in ("threshold", "selector"):
            if key in raw:
                problems.append(
                    doc.problem(
                        (*path, key), f"ratio SLOs take no {key}: put the matchers into errors and total"
                    )
                )
        return problems
    for key in ("errors", "total"):
        if key in raw:
            problems.append(
                doc.problem((*path, key), f"only ratio SLOs take {key}; remove it or set kind: ratio")
            )
    if kind == "latency" and "threshold" not in raw:
        return [
            *problems,
            doc.problem(
                path,
                "a latency SLO needs a threshold, e.g. threshold: 250ms "
                "(one of the service's metrics.buckets)",
            ),
        ]
    if kind == "availability" and "threshold" in raw:
        return [
            *problems,
            doc.problem(
                (*path, "threshold"), "only latency SLOs take a threshold; remove it or set kind: latency"
            ),
        ]
    threshold = raw.get("threshold")
    if kind != "latency" or not isinstance(threshold, str):
        return problems
    try:
        seconds = durations.parse(threshold).total_seconds()
    except durations.DurationError:
        return problems
    value = seconds * 1000 if unit == "milliseconds" else seconds
    if any(math.isclose(value, b, rel_tol=1e-9, abs_tol=1e-12) for b in buckets):
        return problems
    below = [b for b in buckets if b < value]
    above = [b for b in buckets if b > value]
    in_ms = 'a millisecond histogram: le="250" is 250ms; ' if unit == "milliseconds" else ""
    fmt = (lambda b: f"{b:g}ms") if unit == "milliseconds" else _fmt_seconds
    nearest = ", ".join(fmt(b) for b in ([below[-1]] if below else []) + ([above[0]] if above else []))
    return [
        *problems,
        doc.problem(
            (*path, "threshold"),
            f"{threshold} is not a bucket boundary of {duration} ({in_ms}nearest: {nearest}); "
            f"add {value:g} to metrics.buckets (and to the service's instrumentation), or use a boundary",
        ),
    ]


def _ratio_problems(raw: dict[str, Any], path: Path, doc: Document) -> list[Problem]:
    try:
        errors, total = parse_series(raw.get("errors")), parse_series(raw.get("total"))  # type: ignore[arg-type]
        # Every matcher of errors is one of total's: errors selects every series total does.
        if errors.metric == total.metric and set(errors.matchers) <= set(total.matchers):
            return [
                doc.problem(
                    (*path, "errors"),
                    "selects every series total does: every event would be bad; "
                    "add a matcher that only failed events carry, e.g. "
                    'result="error"',
                )
            ]
    except (SelectorError, AttributeError, TypeError):
        pass  # reported by _series_problems
    return []


def _fmt_seconds(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:g}ms" if ms < 1000 else f"{seconds:g}s"


# --- Model ---------------------------------------------------------------------------------


def _first(pattern: str, codes: Iterable[str], preferred: Iterable[str] = ()) -> str | None:
    for code in (*preferred, *codes):
        if re2.fullmatch(pattern, code):
            return code
    return None


def source(s: dict[str, Any]) -> Source:
    preset = preset_of(s)
    m = s.get("metrics", {})
    duration = m.get("duration", preset.duration)
    requests = m.get("requests", preset.requests)
    codes = s.get("error_codes", preset.default_error_codes)
    vocab = vocabulary(preset.codes)
    error_code = _first(codes, vocab, ("500", "503", "5xx", "Unavailable", "Internal"))
    assert error_code is not None  # error_codes_problem
    client = next(
        (
            c
            for c in (preset.client_error_code, *vocab)
            if c not in preset.success_codes
            and not re2.fullmatch(codes, c)
            and (preset.codes == "grpc" or c.startswith("4"))
        ),
        None,
    )
    counted_by_histogram = duration is not None and requests == duration + "_count"
    return Source(
        preset=preset.name,
        requests=requests,
        duration=duration,
        status_label=m.get("status_label", preset.status_label),
        route_label=m.get("route_label", preset.route_label),
        duration_unit=m.get("duration_unit", preset.duration_unit),
        buckets=_buckets(m.get("buckets"), preset.buckets),
        in_flight=preset.in_flight,
        has_up=preset.has_up,
        histogram_has_status=preset.histogram_has_status or counted_by_histogram,
        histogram_has_route=preset.histogram_has_route,
        error_codes=codes,
        success_code=preset.success_codes[0],
        error_code=error_code,
        client_error_code=client,
        fixed_labels=preset.fixed_labels,
        codes=preset.codes,
    )


def _selector(matchers: tuple[Q.Matcher, ...]) -> Selector:
    return Selector(matchers, sample(matchers))


def service_selector(name: str, s: dict[str, Any]) -> Selector:
    preset = preset_of(s)
    matchers = parse_matchers(s["selector"]) if "selector" in s else (Q.eq("job", s.get("job", name)),)
    own = {m.label for m in matchers}
    base = tuple(Q.Matcher(label, op, value) for label, op, value in preset.base_matchers if label not in own)
    return _selector(matchers + base)


def up_job(name: str, s: dict[str, Any]) -> str | None:
    """The job of the service's own scrape targets, when it has one we can name."""
    if not preset_of(s).has_up:
        return None
    if "job" in s:
        return str(s["job"])
    if "selector" not in s:
        return name
    return next((m.value for m in parse_matchers(s["selector"]) if m.label == "job" and m.op == "="), None)


def status_codes(src: Source, matchers: tuple[Q.Matcher, ...], kind: str) -> Source | str:
    """``src`` with the codes of synthetic traffic (success, error, client error) that the SLO's
    matchers on the status label admit, or why no test traffic can pass them."""
    status = [m for m in matchers if m.label == src.status_label]
    if not status:
        return src
    shown = ", ".join(str(m) for m in status)
    if kind == "latency" and not src.histogram_has_status:
        if all(_satisfies("", m) for m in status):
            return src
        return (
            f"{shown}: the duration histogram {src.duration} has no {src.status_label} label, so this "
            f"latency SLO would select no request; put the {src.status_label} matcher on availability SLOs only"
        )
    preset = PRESETS[src.preset]
    codes = dict.fromkeys(
        (src.success_code, src.error_code, *preset.success_codes, *vocabulary(preset.codes))
    )
    admitted = [c for c in codes if all(_satisfies(c, m) for m in status)]
    good = [c for c in admitted if not re2.fullmatch(src.error_codes, c)]
    bad = [c for c in admitted if re2.fullmatch(src.error_codes, c)]
    if not good and (kind == "availability" or not bad):
        return (
            f"{shown} admits no {src.status_label} of a request that did not fail: every request this SLO "
            f"selects would count as bad; select successful requests too (error_codes: {src.error_codes})"
        )
    if kind == "availability" and not bad:
        return (
            f"{shown} admits no {src.status_label} that error_codes ({src.error_codes}) matches: this SLO "
            "could never count a failed request; leave the failure codes in"
        )
    success = (good or bad)[0]
    preferred = [c for c in good if c != success and (src.codes != "http" or c.startswith("4"))]
    client = next(iter([src.client_error_code] if src.client_error_code in preferred else preferred), None)
    return replace(src, success_code=success, error_code=(bad or good)[0], client_error_code=client)


def slo_sli(raw: dict[str, Any], src: Source, service: Selector, group_by: tuple[str, ...]) -> SLI:
    groups = tuple(raw.get("group_by", group_by))
    if raw["kind"] == "ratio":
        errors, total = parse_series(raw["errors"]), parse_series(raw["total"])
        return _ratio(errors, total, groups)
    selector = service + (_selector(parse_matchers(raw["selector"])) if "selector" in raw else Selector())
    checked = status_codes(src, selector.matchers, raw["kind"])
    assert isinstance(checked, Source), checked  # status_problems
    src = checked
    if raw["kind"] == "latency":
        return Latency(src, selector, groups, threshold=durations.parse(raw["threshold"]))
    return Availability(src, selector, groups)


def _ratio(errors: Series, total: Series, groups: tuple[str, ...]) -> Ratio:
    # One counter whose errors series are not total's (code=~"5.." over code="total", an aggregate
    # series): the synthetic total series then counts every event, as for two counters.
    within = errors.metric == total.metric and sample(errors.matchers + total.matchers) is not None
    errors_sample = sample(errors.matchers + (total.matchers if within else ()))
    good = sample(total.matchers, errors.matchers if within else ())
    return Ratio(
        errors, total, errors_sample, good, groups, errors_in_total=within or errors.metric != total.metric
    )


__all__ = ["group_sample", "service_problems", "service_selector", "slo_sli", "source", "up_job"]
