"""The request-observing core the ASGI and WSGI middlewares share.

Everything that decides *what* is recorded lives here: the request id rule, the
request context that log lines share, ``http_requests_in_flight``, the RED
metrics, the access line and whether a response must tell the client to
reconnect elsewhere (draining).  The adapters (:mod:`obsgen.instrument.asgi`,
:mod:`obsgen.instrument.wsgi`) only translate their protocol's request and
response into calls of :meth:`Observer.begin` and :meth:`Observer.finish`, so
both export the same series and write the same line for the same request.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from obsgen.conventions import contract as c
from obsgen.instrument.lifecycle import Lifecycle, State
from obsgen.instrument.logs import CURRENT_REQUEST, AccessLog, RequestContext, new_request_id, request_id_from
from obsgen.instrument.metrics import HttpMetrics
from obsgen.instrument.probes import ProbeResponse, probe_response

__all__ = ["ObservedRequest", "Observer"]

#: Paths answered by the middleware itself (probes, /metrics), never counted.
UNCOUNTED_PATHS: Final = c.UNCOUNTED_PATHS


_new: Final = object.__new__

#: One request between :meth:`Observer.begin` and :meth:`Observer.finish`: its log context, which
#: also holds its start time and the context-variable token (one object per request).
ObservedRequest = RequestContext


class Observer:
    """Metrics, request ids, the access line and draining for one instrumented app.

    It exports the lifecycle state (``obsgen_lifecycle_state``) from ``lifecycle``.

    ``threaded``: requests may run on several threads at once (WSGI servers), so the
    in-flight count is changed under a lock; an ASGI app changes it on its event
    loop's thread only and needs none.
    """

    __slots__ = ("_lock", "access_log", "draining", "lifecycle", "metrics")

    def __init__(
        self,
        metrics: HttpMetrics,
        lifecycle: Lifecycle,
        access_log: AccessLog | None,
        *,
        threaded: bool,
    ) -> None:
        self.metrics = metrics
        self.lifecycle = lifecycle
        self.access_log = access_log
        self._lock = threading.Lock() if threaded else None
        #: Responses should carry ``Connection: close`` (keep-alive clients reconnect elsewhere).
        #: A plain attribute the lifecycle keeps current: read once per response.
        self.draining = lifecycle.draining
        lifecycle.subscribe(self._state_changed)

    def _state_changed(self, state: State) -> None:
        self.metrics.set_state(state.value)
        self.draining = state is State.DRAINING

    def probe(self, path: str) -> ProbeResponse | None:
        """The answer to a probe or /metrics path (never counted), None for any other path."""
        if path not in UNCOUNTED_PATHS:
            return None
        return probe_response(path, self.lifecycle, self.metrics)

    def begin(self, given_request_id: str | None) -> ObservedRequest:
        """A request starts: its id (the caller's when acceptable), its log context, in flight + 1."""
        # The hot path of every request: no Python call it can do without (the context is
        # made without running RequestContext.__init__, the id is one call that formats 3 of its 32 digits).
        ctx: RequestContext = _new(RequestContext)
        ctx.request_id = new_request_id() if given_request_id is None else request_id_from(given_request_id)
        ctx.fields = None
        ctx.start = time.perf_counter()
        ctx.token = CURRENT_REQUEST.set(ctx)
        lock = self._lock
        if lock is None:
            self.metrics.in_flight_requests += 1
        else:
            with lock:
                self.metrics.in_flight_requests += 1
        return ctx

    @staticmethod
    def failed(request: ObservedRequest, exc: BaseException) -> None:
        """The app raised: the access line names what went wrong (the server logs the traceback)."""
        if request.fields is None:
            request.fields = {}
        request.fields.setdefault(c.LOG_ERROR_CODE, type(exc).__name__)

    def finish(
        self, request: ObservedRequest, method: str, route: str, status: int, path: str, query: str
    ) -> None:
        """The response is sent (or the app failed): in flight - 1, count it, write its access line."""
        seconds = time.perf_counter() - request.start
        metrics = self.metrics
        lock = self._lock
        if lock is None:
            metrics.in_flight_requests -= 1
            metrics.observe(method, route, status, seconds)
        else:
            with lock:  # observe() adds to plain lists: one thread at a time
                metrics.in_flight_requests -= 1
                metrics.observe(method, route, status, seconds)
        access_log = self.access_log
        if access_log is not None:
            url = f"{path}?{query}" if query else path
            access_log.request(
                # Milliseconds to the microsecond: as round(ms, 3), at half the cost of round().
                request.request_id,
                method,
                route,
                url,
                status,
                int(seconds * 1e6 + 0.5) / 1000,
                request.fields,
            )
        token = request.token
        if token is not None:
            CURRENT_REQUEST.reset(token)
