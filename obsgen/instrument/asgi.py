"""Pure ASGI middleware: RED metrics, access log, request ids and probes.

A thin adapter of :class:`obsgen.instrument.core.Observer` (shared with the WSGI
middleware).  Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``, which
costs about 4× server CPU per request (REFERENCE.md): this wraps ``send`` and
nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, Final

from prometheus_client import CollectorRegistry

from obsgen.conventions import contract as c
from obsgen.instrument.core import UNCOUNTED_PATHS, Observer
from obsgen.instrument.fluent import forwarder_from_env
from obsgen.instrument.lifecycle import Lifecycle
from obsgen.instrument.logs import AccessLog, configure_logging
from obsgen.instrument.metrics import HttpMetrics, log_records_dropped
from obsgen.instrument.probes import ProbeResponse

__all__ = ["ASGIApp", "InstrumentMiddleware", "instrument", "starlette_route"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RouteResolver = Callable[[Scope, str], str]

_REQUEST_ID_HEADER: Final = c.REQUEST_ID_HEADER.lower().encode()
_CLOSE: Final = (b"connection", b"close")


def starlette_route(scope: Scope, root_path_before: str) -> str:
    """The route template Starlette matched (``/items/{id}``), or UNMATCHED_ROUTE.

    Starlette's router stores the matched route in ``scope["route"]``; under a
    ``Mount`` the inner router overwrites it, so the mount prefix is recovered
    from the growth of ``root_path``.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return c.UNMATCHED_ROUTE
    root_path: str = scope.get("root_path", "")
    if len(root_path) > len(root_path_before):
        return root_path[len(root_path_before) :] + path
    return path


def _given_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER:
            return str(value.decode("latin-1"))
    return None


class InstrumentMiddleware:
    """Wraps an ASGI app; see :func:`instrument`.  What is recorded is :class:`Observer`'s."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        lifecycle: Lifecycle,
        access_log: AccessLog | None,
        ready_on_startup: bool = True,
        route_resolver: RouteResolver = starlette_route,
    ) -> None:
        self.app = app
        self.observer = Observer(metrics, lifecycle, access_log, threaded=False)
        self.metrics = metrics
        self.lifecycle = lifecycle
        self.access_log = access_log
        self.ready_on_startup = ready_on_startup
        self.route_resolver = route_resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "lifespan" and self.ready_on_startup:
                await self.app(scope, receive, self._lifespan_send(send))
            else:
                await self.app(scope, receive, send)
            return
        path = scope["path"]
        observer = self.observer
        if path in UNCOUNTED_PATHS:
            answer = observer.probe(path)
            if answer is not None:
                await self._probe(answer, scope, send)
                return

        given_id = None
        for name, value in scope["headers"]:  # _given_request_id, inlined: this runs per request
            if name == _REQUEST_ID_HEADER:
                given_id = str(value.decode("latin-1"))
                break
        request = observer.begin(given_id)
        root_path_before = scope.get("root_path", "")
        status = 500
        id_header = (_REQUEST_ID_HEADER, request.request_id.encode("latin-1"))

        # A plain function returning send's awaitable, not a coroutine function:
        # no extra coroutine object and frame per message.
        def send_wrapper(message: Message) -> Awaitable[None]:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if observer.draining:
                    message["headers"] = [*message.get("headers", ()), id_header, _CLOSE]
                else:
                    message["headers"] = [*message.get("headers", ()), id_header]
            return send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            observer.failed(request, exc)
            raise
        finally:
            # The url (path and query) is read only for the access line.
            query = scope.get("query_string") if observer.access_log is not None else None
            observer.finish(
                request,
                scope["method"],
                self.route_resolver(scope, root_path_before),
                status,
                path,
                query.decode("latin-1") if query else "",
            )

    async def _probe(self, answer: ProbeResponse, scope: Scope, send: Send) -> None:
        status, content_type, body = answer
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if self.observer.draining:
            headers.append(_CLOSE)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""})

    def _lifespan_send(self, send: Send) -> Send:
        async def lifespan_send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self.lifecycle.set_ready()
            await send(message)

        return lifespan_send


def instrument(
    app: ASGIApp,
    *,
    service: str,
    environment: str | None = None,
    buckets: Sequence[float] = c.DEFAULT_BUCKETS,
    registry: CollectorRegistry | None = None,
    lifecycle: Lifecycle | None = None,
    access_log: bool = True,
    ready_on_startup: bool = True,
    configure_logs: bool = True,
    route_resolver: RouteResolver = starlette_route,
) -> InstrumentMiddleware:
    """Wrap an ASGI app with RED metrics, a JSON access log, request ids and probes.

    * ``/healthz``, ``/ready`` and ``/metrics`` are answered before the app and never counted.
    * ``buckets``: the latency histogram's buckets (seconds), e.g. from the catalog.
    * ``registry``: where metrics go (prometheus-client's global one by default).
    * ``lifecycle``: the state readiness reports; with ``ready_on_startup`` the app
      becomes ready when its lifespan start-up completes, otherwise the app calls
      ``lifecycle.set_ready()`` itself (after loading a model, say).
    * ``configure_logs``: also call :func:`configure_logging` for ``service``
      (JSON lines on stdout, ``LOG_LEVEL``, Fluentd forwarding when ``FLUENTD_HOST`` is set).
    """
    metrics = HttpMetrics(registry, buckets)
    lifecycle = lifecycle or Lifecycle()
    if configure_logs:
        dropped = log_records_dropped(metrics.registry)
        sink = forwarder_from_env(service, lambda reason, n: dropped.labels(reason).inc(n))
        configure_logging(service=service, environment=environment, sink=sink)
    return InstrumentMiddleware(
        app,
        metrics=metrics,
        lifecycle=lifecycle,
        access_log=AccessLog() if access_log else None,
        ready_on_startup=ready_on_startup,
        route_resolver=route_resolver,
    )
