"""What an OpenSLO ratio SLI means in obsgen's terms, decided exactly from its queries.

- ``bad`` and ``total`` read one counter, and ``bad`` is ``total`` plus one matcher on the status
  label (``code`` for obsgen's own instrumentation, the preset's for ``obsgen.dev/source``; ``=~``
  or ``=``): an **availability** SLI (requests, ``error_codes``, selector).
- ``good`` is ``H_bucket{..., le="T"}`` and ``total`` is ``H_count{...}`` (or ``H_bucket{..., le="+Inf"}``)
  with the same other matchers: a **latency** SLI with threshold ``T``.
- ``good`` is ``total`` plus one matcher: the bad events are ``total`` with that matcher negated
  (the two sets partition ``total``'s series exactly), then as ``bad`` above.
- any other ``bad``/``total`` pair of counter selectors: a **ratio** SLI (``errors``/``total``).
Everything else is refused with the field named.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from obsgen import conventions as C
from obsgen.openslo import queries
from obsgen.openslo.model import Query, RatioSLI
from obsgen.openslo.queries import Selector
from obsgen.promql import Matcher
from obsgen.sli.presets import PRESETS, Preset

_NEGATE = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}
#: ``le`` regexes obsgen itself writes (conventions.le_matcher), read back to their number.
_LE_REGEX = re.compile(r"^(?P<whole>[0-9]+)(?:\(\\\.0\+\)\?|\\\.(?P<frac>[0-9]+)0\*)$")


class SLIError(ValueError):
    def __init__(self, query: Query | None, message: str) -> None:
        super().__init__(message)
        self.query = query


@dataclass(frozen=True)
class Availability:
    requests: str
    error_codes: str
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class Latency:
    histogram: str  # without _bucket / _count
    le: float  # in the histogram's own unit
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class Ratio:
    errors: Selector
    total: Selector


Mapped = Availability | Latency | Ratio


def classify(sli: RatioSLI, preset: Preset = PRESETS["obsgen"]) -> Mapped:
    """The obsgen SLI of ``sli`` for a service of ``preset``; raise SLIError naming the query that cannot be mapped."""
    total = _parse(sli.total)
    if sli.bad is not None:
        return _from_bad(_parse(sli.bad), total, preset)
    assert sli.good is not None
    good = _parse(sli.good)
    latency = _latency(good, total, sli.good)
    if latency is not None:
        return latency
    extra = _extra(good, total)
    if good.metric != total.metric or extra is None:
        raise SLIError(
            sli.good,
            (
                f"cannot express 'total - good' as one counter: good ({good}) must be total ({total}) plus one "
                "label matcher, or a histogram's _bucket{le=...} over its _count; write the bad events instead "
                "(ratioMetric.bad)"
            ),
        )
    negated = Matcher(extra.label, _NEGATE[extra.op], extra.value)
    return _from_bad(Selector(total.metric, (*total.matchers, negated)), total, preset)


def _parse(q: Query) -> Selector:
    try:
        return queries.parse(q.text)
    except queries.QueryError as exc:
        raise SLIError(q, f"not a counter obsgen can map exactly: {exc}") from None


def _extra(more: Selector, base: Selector) -> Matcher | None:
    """The one matcher ``more`` has beyond all of ``base``'s, or None."""
    if not set(base.matchers) <= set(more.matchers):
        return None
    extra = [m for m in more.matchers if m not in base.matchers]
    if len(extra) != 1:  # another matcher on the same label is fine: the sets still split exactly
        return None
    return extra[0]


def _from_bad(bad: Selector, total: Selector, preset: Preset) -> Mapped:
    extra = _extra(bad, total)
    if bad.metric != total.metric or extra is None:
        return Ratio(bad, total)
    if extra.label != preset.status_label or extra.op not in ("=~", "="):
        return Ratio(bad, total)
    codes = extra.value if extra.op == "=~" else re.escape(extra.value)
    if _counts_success(codes, preset):
        return Ratio(bad, total)
    return Availability(total.metric, codes, total.matchers)


def _counts_success(codes: str, preset: Preset) -> bool:
    """Would the catalog refuse ``codes`` as error_codes (it matches a success code)?"""
    try:
        compiled = re.compile(codes)
    except re.error:
        return True
    return not codes or any(compiled.fullmatch(ok) for ok in preset.success_codes)


def _latency(good: Selector, total: Selector, q: Query) -> Latency | None:
    if not good.metric.endswith(C.BUCKET_SUFFIX):
        return None
    base = good.metric[: -len(C.BUCKET_SUFFIX)]
    le = [m for m in good.matchers if m.label == C.LABEL_LE]
    rest = tuple(m for m in good.matchers if m.label != C.LABEL_LE)
    if len(le) != 1:
        return None
    over_count = total.metric == base + C.COUNT_SUFFIX and set(total.matchers) == set(rest)
    over_inf = total.metric == good.metric and set(total.matchers) == {
        *rest,
        Matcher(C.LABEL_LE, "=", "+Inf"),
    }
    if not (over_count or over_inf):
        return None
    value = _le_value(le[0])
    if value is None:
        raise SLIError(q, f'le matcher {le[0]} does not name one bucket boundary; write le="0.25"')
    return Latency(base, value, tuple(m for m in total.matchers if m.label != C.LABEL_LE))


def _le_value(m: Matcher) -> float | None:
    if m.op == "=":
        try:
            value = float(m.value)
        except ValueError:
            return None
        return value if math.isfinite(value) and value > 0 else None
    if m.op == "=~":
        found = _LE_REGEX.match(m.value)
        if found:
            value = float(found["whole"] + ("." + found["frac"] if found["frac"] else ""))
            if value > 0 and C.le_matcher(value) == m.value:
                return value
    return None
