"""One SLI model: what a bad event and an event are, for every generator.

An SLI answers, for a window and the group labels: the PromQL of bad events and of all events
per second; the series an exporter of the service's real shape writes (for generated promtool
tests); and its own text for ``obsgen explain`` and alert descriptions.  Alert rules, dashboard
queries, rule tests and explain all read it: no generator branches on the SLO kind.

Kinds: :class:`Availability` (requests whose status matches error_codes), :class:`Latency`
(requests slower than a histogram bucket boundary), :class:`Ratio` (any two counters).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from obsgen import conventions as C
from obsgen import promql as Q
from obsgen.sli.selector import Series

Labels = tuple[tuple[str, str], ...]
Window = timedelta | str


@dataclass(frozen=True)
class Selector:
    """Matchers, and label values that satisfy all of them (for synthetic series); ``sample`` is None
    when obsgen could not derive such values (a regex it cannot sample): no synthetic series then."""

    matchers: tuple[Q.Matcher, ...] = ()
    sample: Labels | None = ()

    def __add__(self, other: Selector) -> Selector:
        if self.sample is None or other.sample is None:
            return Selector(self.matchers + other.matchers, None)
        return Selector(self.matchers + other.matchers, _merge(self.sample, other.sample))


def _merge(*label_sets: Labels) -> Labels:
    out: dict[str, str] = {}
    for labels in label_sets:
        out.update(labels)
    return tuple(out.items())


@dataclass(frozen=True)
class Source:
    """A service's exporter, preset and overrides resolved."""

    preset: str
    requests: str
    duration: str | None
    status_label: str
    route_label: str | None
    duration_unit: Literal["seconds", "milliseconds"]
    #: Bucket boundaries in the metric's own unit (as in ``le``).
    buckets: tuple[float, ...]
    in_flight: str | None
    has_up: bool
    histogram_has_status: bool
    histogram_has_route: bool
    #: Regex (RE2) over the status label of failed requests.
    error_codes: str
    #: Sample codes for synthetic traffic: a success, an error (matches error_codes) and a client
    #: error (matches neither; None when error_codes takes every client error).
    success_code: str
    error_code: str
    client_error_code: str | None
    fixed_labels: Labels = ()
    #: Values of the status label: "http" (numeric), "http_class" ("5xx" groups too) or "grpc".
    codes: str = "http"

    def in_unit(self, threshold: timedelta) -> float:
        """A duration in the histogram's unit (the number ``le`` holds)."""
        seconds = threshold.total_seconds()
        return round(seconds * 1000, 9) if self.duration_unit == "milliseconds" else seconds

    def unit_text(self, value: float) -> str:
        return f"{value:g}ms" if self.duration_unit == "milliseconds" else _seconds_text(value)


def _seconds_text(seconds: float) -> str:
    return f"{seconds * 1000:g}ms" if seconds < 1 else f"{seconds:g}s"


@dataclass(frozen=True)
class Traffic:
    """Per-scrape increments of a synthetic exporter: fast successes, failures (slow and
    failed), client errors (fast, never an SLO error)."""

    good: float
    bad: float
    client: float

    @property
    def total(self) -> float:
        return self.good + self.bad + self.client


#: A synthetic series: selector text, and its per-scrape increment from the traffic.
SeriesShape = tuple[str, "Share"]


@dataclass(frozen=True)
class Share:
    """Weights of (good, bad, client) requests a series counts."""

    good: float = 0.0
    bad: float = 0.0
    client: float = 0.0

    def of(self, t: Traffic) -> float:
        return self.good * t.good + self.bad * t.bad + self.client * t.client

    def __add__(self, other: Share) -> Share:
        return Share(self.good + other.good, self.bad + other.bad, self.client + other.client)


ALL = Share(1, 1, 1)
GOOD = Share(good=1)
BAD = Share(bad=1)
CLIENT = Share(client=1)
NONE = Share()


def _sum(expr: str, window: Window, by: tuple[str, ...]) -> str:
    return Q.sum_by(by, Q.rate(expr, window))


class SLI(ABC):
    """What counts as an event and as a bad event."""

    #: The labels SLIs are summed by (alerts carry them).
    group_by: tuple[str, ...]

    @property
    @abstractmethod
    def kind(self) -> str: ...

    @abstractmethod
    def bad(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        """Bad events per second over ``window``, summed by the group labels (or ``by``)."""

    @abstractmethod
    def total(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        """All events per second over ``window``, summed likewise."""

    @abstractmethod
    def describe(self) -> str:
        """When an event is bad, in words (for alerts and explain)."""

    @abstractmethod
    def series(self, labels: Labels) -> list[SeriesShape]:
        """The series an exporter of this shape writes, with ``labels`` added to each."""

    @property
    def untested(self) -> str | None:
        """Why obsgen cannot write this SLI's series (no sample label values), or None."""
        return None

    def _by(self, by: tuple[str, ...] | None) -> tuple[str, ...]:
        return self.group_by if by is None else by

    def error_ratio(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        """bad / all over ``window``; no traffic gives no sample instead of NaN."""
        return f"({self.bad(window, by)}) / ({self.total(window, by)} > 0)"

    def zero_fallback(self, bad: str, window: Window, by: tuple[str, ...]) -> str:
        """A service that never failed has no error series: count that as 0, not as no data."""
        if not by:
            return f"{bad} or vector(0)"
        return f"{bad} or 0 * {self.total(window, by)}"


@dataclass(frozen=True)
class _RequestSLI(SLI, ABC):
    source: Source
    selector: Selector
    group_by: tuple[str, ...] = ()

    @property
    def untested(self) -> str | None:
        if self.selector.sample is not None:
            return None
        matchers = ", ".join(str(m) for m in self.selector.matchers)
        return f"obsgen found no label values matching {{{matchers}}} together"

    def _labels(self, labels: Labels, *, status: str | None, histogram: bool) -> Labels:
        src = self.source
        out = dict(src.fixed_labels)
        if src.route_label and (not histogram or src.histogram_has_route):
            out[src.route_label] = "/"
        out.update(labels)
        out.update(self.selector.sample or ())
        if status is not None and (not histogram or src.histogram_has_status):
            out[src.status_label] = status
        elif histogram and not src.histogram_has_status:
            out.pop(src.status_label, None)
        if histogram and not src.histogram_has_route and src.route_label:
            out.pop(src.route_label, None)
        return tuple(sorted(out.items()))

    def _counter(self, metric: str, labels: Labels) -> list[SeriesShape]:
        src = self.source
        out = [
            (_text(metric, self._labels(labels, status=src.success_code, histogram=False)), GOOD),
            (_text(metric, self._labels(labels, status=src.error_code, histogram=False)), BAD),
        ]
        if src.client_error_code is not None:
            out.append(
                (_text(metric, self._labels(labels, status=src.client_error_code, histogram=False)), CLIENT)
            )
        return out

    def _histogram(self, labels: Labels) -> list[SeriesShape]:
        """Cumulative buckets incl. +Inf, _count and _sum: good and client requests take the
        smallest bucket, failed ones more than the largest."""
        src = self.source
        assert src.duration is not None
        merged: dict[str | None, Share] = {}
        if src.histogram_has_status:
            # Codes may coincide (a latency SLO selecting code="200": slow requests answer 200 too).
            for code, kind in (
                (src.success_code, GOOD),
                (src.error_code, BAD),
                (src.client_error_code, CLIENT),
            ):
                if code is not None:
                    merged[code] = merged.get(code, NONE) + kind
        else:
            merged[None] = ALL
        classes = list(merged.items())
        out: list[SeriesShape] = []
        slow = (src.buckets[-1] if src.buckets else 1.0) * 2
        fast = src.buckets[0] if src.buckets else 0.0
        for status, share in classes:
            ls = self._labels(labels, status=status, histogram=True)
            fast_share = Share(good=share.good, client=share.client)
            for b in src.buckets:
                out.append((_text(src.duration + C.BUCKET_SUFFIX, (*ls, (C.LABEL_LE, _le(b)))), fast_share))
            out.append((_text(src.duration + C.BUCKET_SUFFIX, (*ls, (C.LABEL_LE, "+Inf"))), share))
            out.append((_text(src.duration + C.COUNT_SUFFIX, ls), share))
            out.append(
                (
                    _text(src.duration + C.SUM_SUFFIX, ls),
                    Share(good=share.good * fast, bad=share.bad * slow, client=share.client * fast),
                )
            )
        return out


def _le(boundary: float) -> str:
    """``le`` as client libraries write it (Go: ``0.25``, ``1``, ``250``)."""
    return f"{boundary:g}" if float(boundary).is_integer() else repr(float(boundary))


def _text(metric: str, labels: Labels) -> str:
    return Q.selector(metric, *(Q.eq(k, v) for k, v in sorted(labels)))


@dataclass(frozen=True)
class Availability(_RequestSLI):
    """Requests whose status matches error_codes / all requests."""

    @property
    def kind(self) -> str:
        return "availability"

    def _requests(self, *extra: Q.Matcher) -> str:
        return Q.selector(self.source.requests, *self.selector.matchers, *extra)

    def bad(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        errors = self._requests(Q.re_match(self.source.status_label, self.source.error_codes))
        return self.zero_fallback(_sum(errors, window, self._by(by)), window, self._by(by))

    def total(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        return _sum(self._requests(), window, self._by(by))

    def describe(self) -> str:
        return f"requests fail ({self.source.status_label} matching {self.source.error_codes})"

    def series(self, labels: Labels) -> list[SeriesShape]:
        src = self.source
        if src.duration is not None and src.requests == src.duration + C.COUNT_SUFFIX:
            # The counter is a histogram's _count (Micrometer): the exporter writes the whole histogram.
            return self._histogram(labels)
        return self._counter(src.requests, labels)


@dataclass(frozen=True)
class Latency(_RequestSLI):
    """Requests slower than ``threshold`` (count minus the threshold's bucket) / all requests."""

    threshold: timedelta = timedelta(0)

    @property
    def kind(self) -> str:
        return "latency"

    @property
    def boundary(self) -> float:
        """The threshold in the histogram's unit: the ``le`` it selects."""
        return self.source.in_unit(self.threshold)

    def _hist(self, suffix: str, *extra: Q.Matcher) -> str:
        assert self.source.duration is not None
        return Q.selector(self.source.duration + suffix, *self.selector.matchers, *extra)

    def total(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        return _sum(self._hist(C.COUNT_SUFFIX), window, self._by(by))

    def good(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        bucket = self._hist(C.BUCKET_SUFFIX, Q.re_match(C.LABEL_LE, C.le_matcher(self.boundary)))
        return _sum(bucket, window, self._by(by))

    def bad(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        return f"{self.total(window, by)} - {self.good(window, by)}"

    def describe(self) -> str:
        return f"requests take longer than {self.source.unit_text(self.boundary)}"

    def series(self, labels: Labels) -> list[SeriesShape]:
        return self._histogram(labels)


@dataclass(frozen=True)
class Ratio(SLI):
    """Any two counters: ``errors`` / ``total`` (batch jobs, queue consumers)."""

    errors: Series
    all: Series
    #: Sample labels: an errors series, and a series of ``total`` that ``errors`` does not select
    #: (None: obsgen found none).
    errors_sample: Labels | None = ()
    good_sample: Labels | None = ()
    group_by: tuple[str, ...] = ()
    #: One counter whose ``total`` selector also selects the errors series (else, as for two
    #: counters, the synthetic total series counts every event).
    errors_in_total: bool = True

    @property
    def kind(self) -> str:
        return "ratio"

    @property
    def untested(self) -> str | None:
        if self.errors_sample is None:
            return f"obsgen found no label values of a series {self.errors} and {self.all} both select"
        if self.good_sample is None:
            return f"obsgen found no label values of a series {self.all} selects and {self.errors} does not"
        return None

    def bad(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        return self.zero_fallback(_sum(str(self.errors), window, self._by(by)), window, self._by(by))

    def total(self, window: Window, by: tuple[str, ...] | None = None) -> str:
        return _sum(str(self.all), window, self._by(by))

    def describe(self) -> str:
        return f"events counted by {self.errors} (out of {self.all})"

    def series(self, labels: Labels) -> list[SeriesShape]:
        errors = _text(self.errors.metric, _merge(labels, self.errors_sample or ()))
        good = _text(self.all.metric, _merge(labels, self.good_sample or ()))
        if self.errors.metric == self.all.metric and self.errors_in_total:
            return [(errors, BAD), (good, Share(good=1, client=1))]
        return [(errors, BAD), (good, ALL)]


def sample_labels(*label_sets: Labels) -> Labels:
    """Merge label sets, later ones winning."""
    return _merge(*label_sets)


def group_sample(group_by: tuple[str, ...]) -> Labels:
    """The group labels' values in synthetic series."""
    return tuple((label, f"{label}-1") for label in group_by)
