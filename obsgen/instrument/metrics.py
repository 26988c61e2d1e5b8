"""RED metrics of an HTTP service, in one prometheus-client registry.

Names, labels and default buckets come from :mod:`obsgen.conventions`, the
module the dashboard and alert generators read too, so the queries they build
match what a service exports.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Sequence
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from obsgen.conventions import contract as c

#: Methods counted under their own name; anything else is counted as ``OTHER``
#: so a client sending made-up methods cannot grow the number of series.
KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD: Final = "OTHER"

__all__ = ["CONTENT_TYPE_LATEST", "HttpMetrics", "log_records_dropped", "validate_buckets"]

_dropped_counters: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()
_dropped_lock = threading.Lock()


def log_records_dropped(registry: CollectorRegistry | None = None) -> Counter:
    """The counter of log records not forwarded to Fluentd, one per registry.

    Logging is configured before the app is instrumented, and both need this
    counter, so it is created on first use rather than by :class:`HttpMetrics`.
    """
    registry = REGISTRY if registry is None else registry
    with _dropped_lock:
        counter = _dropped_counters.get(registry)
        if counter is None:
            counter = Counter(
                c.LOG_RECORDS_DROPPED_TOTAL,
                "Log records not forwarded to Fluentd, by reason (queue full, Fluentd unavailable).",
                (c.LABEL_REASON,),
                registry=registry,
            )
            _dropped_counters[registry] = counter
        return counter


def validate_buckets(buckets: Sequence[float]) -> tuple[float, ...]:
    """Return ``buckets`` as a tuple, or raise ValueError if they are not strictly increasing and positive."""
    result = tuple(float(b) for b in buckets)
    if not result:
        raise ValueError("histogram buckets: at least one bucket is needed")
    if any(b <= 0 for b in result):
        raise ValueError(f"histogram buckets: must be positive, got {list(result)}")
    if any(a >= b for a, b in itertools.pairwise(result)):
        raise ValueError(f"histogram buckets: must be strictly increasing, got {list(result)}")
    return result


class _Series(Collector):
    """The exported families of the request counter and the latency histogram (a registry collector).

    The hot path (:meth:`HttpMetrics.observe`) adds to plain Python lists; the
    samples are built at scrape time, in the shape, order and float values
    prometheus-client's ``Counter`` and ``Histogram`` export: the same series,
    ``_created`` included unless prometheus-client's created series are disabled.
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        kind: str,
        labelnames: tuple[str, ...],
        buckets: tuple[float, ...] = (),
    ) -> None:
        self.name = name.removesuffix("_total") if kind == "counter" else name
        self.documentation = documentation
        self.kind = kind
        self.labelnames = labelnames
        #: label values → (created time, cells): ``[count]`` (counter) or ``[sum, count per bucket...]``.
        self.children: dict[tuple[str, ...], tuple[float, list[float]]] = {}
        #: A histogram's upper bounds with +Inf last, as prometheus-client's Histogram adds it.
        self.bounds: tuple[float, ...] = (
            buckets if not buckets or buckets[-1] == math.inf else (*buckets, math.inf)
        )
        # floatToGoString is untyped in prometheus-client.
        self.bucket_labels: tuple[str, ...] = tuple(floatToGoString(b) for b in self.bounds)  # type: ignore[no-untyped-call]

    def child(self, labelvalues: tuple[str, ...]) -> list[float]:
        """The cells of one labelled series (created on first use, as ``labels()`` does)."""
        entry = self.children.get(labelvalues)
        if entry is None:
            # Counts are ints (an int += 1 is cheaper than a float's); the sum is a float.
            cells: list[float] = [0] if self.kind == "counter" else [0.0] + [0] * len(self.bounds)
            entry = (time.time(), cells)
            # setdefault: a race of two threads only creates the same series once.
            entry = self.children.setdefault(labelvalues, entry)
        return entry[1]

    def _metric(self) -> Metric:
        return Metric(self.name, self.documentation, self.kind)

    def describe(self) -> list[Metric]:
        return [self._metric()]

    def collect(self) -> list[Metric]:
        metric = self._metric()
        # prometheus-client has no public getter for its created-series switch
        # (``disable_created_metrics()`` sets this module flag); if a release
        # drops the flag, keep its default (created series on).
        created = bool(getattr(prometheus_metrics, "_use_created", True))
        for labelvalues, (created_at, cells) in list(self.children.items()):
            labels = dict(zip(self.labelnames, labelvalues, strict=True))
            if self.kind == "counter":
                metric.add_sample(self.name + "_total", labels, float(cells[0]))
            else:
                total = 0.0
                for le, count in zip(self.bucket_labels, cells[1:], strict=True):
                    total += count
                    metric.add_sample(self.name + "_bucket", {**labels, "le": le}, total)
                metric.add_sample(self.name + "_count", labels, total)
                metric.add_sample(self.name + "_sum", labels, cells[0])
            if created:
                metric.add_sample(self.name + "_created", labels, created_at)
        return [metric]


class HttpMetrics:
    """The metrics an instrumented service exports, registered in ``registry``.

    ``observe`` is the hot path.  The request counter and the latency histogram
    are kept as plain lists of numbers per series (a counter cell; the sum and a
    count per bucket) and turned into samples at scrape time by a collector
    (:class:`_Series`): a request costs a dict lookup, two list increments and a
    ``bisect``, instead of prometheus-client's ``Counter.inc`` and
    ``Histogram.observe`` with their locks and bucket loop (about 1 µs together).
    ``observe`` is not locked: call it from one thread (an event loop) or under a
    lock (the WSGI middleware's :class:`~obsgen.instrument.core.Observer` does).

    ``in_flight`` is exported through ``Gauge.set_function`` from the plain int
    :attr:`in_flight_requests`, which the ASGI middleware adds to and subtracts
    from on its event loop thread: two locked ``Gauge.inc``/``dec`` calls per
    request saved, the same series at scrape time.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        buckets: Sequence[float] = c.DEFAULT_BUCKETS,
    ) -> None:
        self.registry = REGISTRY if registry is None else registry
        self.buckets = validate_buckets(buckets)
        self.requests = _Series(
            c.REQUESTS_TOTAL,
            "HTTP requests served, by method, route template and status code.",
            "counter",
            tuple(c.REQUEST_LABELS),
        )
        self.registry.register(self.requests)
        self.duration = _Series(
            c.REQUEST_DURATION_SECONDS,
            "Time from receiving an HTTP request to sending the last byte of its response.",
            "histogram",
            tuple(c.DURATION_LABELS),
            self.buckets,
        )
        self._bounds = self.duration.bounds  # read on every request: one attribute lookup
        self.registry.register(self.duration)
        self.in_flight = Gauge(
            c.REQUESTS_IN_FLIGHT,
            "HTTP requests being served right now (probes and /metrics excluded).",
            registry=self.registry,
        )
        #: Requests being served now (the value of ``in_flight``).
        self.in_flight_requests = 0
        self.in_flight.set_function(self._in_flight_now)
        self.lifecycle_state = Gauge(
            c.LIFECYCLE_STATE,
            "1 for the lifecycle state the process is in, 0 for the others.",
            (c.LABEL_STATE,),
            registry=self.registry,
        )
        #: (method, route, code) → (the counter's cell, the histogram's cells).
        self._children: dict[tuple[str, str, int], tuple[list[float], list[float]]] = {}

    def _in_flight_now(self) -> int:
        return self.in_flight_requests

    def observe(self, method: str, route: str, code: int, seconds: float) -> None:
        """Count one finished request and its duration."""
        if method not in KNOWN_METHODS:
            method = OTHER_METHOD  # before the cache key too: made-up methods must not grow the cache
        try:
            counter, histogram = self._children[method, route, code]
        except KeyError:
            counter, histogram = self._children_for(method, route, code)
        counter[0] += 1
        histogram[0] += seconds
        # The first bucket whose upper bound is >= seconds (``le``), after the sum's cell.
        histogram[bisect_left(self._bounds, seconds) + 1] += 1

    def _children_for(self, method: str, route: str, code: int) -> tuple[list[float], list[float]]:
        children = (
            self.requests.child((method, route, str(code))),
            self.duration.child((method, route)),
        )
        # A dict write is atomic under the GIL; a race only builds the same children twice.
        self._children[(method, route, code)] = children
        return children

    def set_state(self, state: str) -> None:
        """Export ``state`` as the current lifecycle state."""
        for name in c.LIFECYCLE_STATES:
            self.lifecycle_state.labels(name).set(1 if name == state else 0)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
