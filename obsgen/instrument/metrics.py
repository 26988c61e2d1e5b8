"""RED metrics of an HTTP service, in one prometheus-client registry.

Names, labels and default buckets come from :mod:`obsgen.conventions`, the
module the dashboard and alert generators read too, so the queries they build
match what a service exports.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

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


class HttpMetrics:
    """The metrics an instrumented service exports, registered in ``registry``.

    ``observe`` is the hot path: labelled children are cached per
    (method, route, code) because ``labels()`` costs about 3 µs a call
    (REFERENCE.md), more than the increment itself; the cache holds their bound
    ``inc`` and ``observe`` methods, so a request costs one dict lookup and two calls.

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
        self.requests = Counter(
            c.REQUESTS_TOTAL,
            "HTTP requests served, by method, route template and status code.",
            c.REQUEST_LABELS,
            registry=self.registry,
        )
        self.duration = Histogram(
            c.REQUEST_DURATION_SECONDS,
            "Time from receiving an HTTP request to sending the last byte of its response.",
            c.DURATION_LABELS,
            buckets=self.buckets,
            registry=self.registry,
        )
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
        #: (method, route, code) → (requests child's ``inc``, duration child's ``observe``).
        self._children: dict[tuple[str, str, int], tuple[Callable[[], None], Callable[[float], None]]] = {}

    def _in_flight_now(self) -> int:
        return self.in_flight_requests

    def observe(self, method: str, route: str, code: int, seconds: float) -> None:
        """Count one finished request and its duration."""
        if method not in KNOWN_METHODS:
            method = OTHER_METHOD  # before the cache key too: made-up methods must not grow the cache
        children = self._children.get((method, route, code))
        if children is None:
            children = self._children_for(method, route, code)
        children[0]()
        children[1](seconds)

    def _children_for(
        self, method: str, route: str, code: int
    ) -> tuple[Callable[[], None], Callable[[float], None]]:
        children = (
            self.requests.labels(method, route, str(code)).inc,
            self.duration.labels(method, route).observe,
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
