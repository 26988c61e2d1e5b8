"""One core, two adapters: the ASGI and WSGI middlewares record the same things for the same requests."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from obsgen import conventions as c
from obsgen.instrument import (
    HttpMetrics,
    InstrumentWSGI,
    Lifecycle,
    configure_logging,
    instrument,
    set_log_fields,
)
from obsgen.instrument.logs import AccessLog
from obsgen.instrument.wsgi import ROUTE_ENVIRON_KEY

#: (method, path, X-Request-ID or None): every kind of request the middlewares tell apart.
REQUESTS = [
    ("GET", "/items/1?full=1", None),
    ("GET", "/items/2", "caller-id-7"),
    ("POST", "/items/3", None),
    ("GET", "/fail", None),
    ("GET", "/nowhere", None),
    ("BREW", "/items/4", None),
    ("GET", c.READINESS_PATH, None),
    ("GET", c.METRICS_PATH, None),
]
#: Route template of each WSGI path (the app sets it, as a framework hook would).
ITEM_ROUTE = "/items/{item_id}"


def _in_flight(registry: CollectorRegistry) -> str:
    return str(registry.get_sample_value(c.REQUESTS_IN_FLIGHT))


def asgi_app(registry: CollectorRegistry, lifecycle: Lifecycle) -> Any:
    async def item(request: Request) -> Response:
        set_log_fields(retries=1)
        return PlainTextResponse(_in_flight(registry))

    async def fail(request: Request) -> Response:
        return PlainTextResponse("down", status_code=503)

    app = Starlette(routes=[Route(ITEM_ROUTE, item, methods=["GET", "POST"]), Route("/fail", fail)])
    return instrument(app, service="svc", registry=registry, lifecycle=lifecycle, configure_logs=False)


def wsgi_app(registry: CollectorRegistry, lifecycle: Lifecycle) -> InstrumentWSGI:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        if path.startswith("/items/"):
            environ[ROUTE_ENVIRON_KEY] = ITEM_ROUTE
            if method not in ("GET", "POST"):
                start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
                return [b"no"]
            set_log_fields(retries=1)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [_in_flight(registry).encode()]
        if path == "/fail":
            environ[ROUTE_ENVIRON_KEY] = "/fail"
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"none"]

    return InstrumentWSGI(app, metrics=HttpMetrics(registry), lifecycle=lifecycle, access_log=AccessLog())


def send_asgi(app: Any, requests: list[tuple[str, str, str | None]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.request(m, p, headers=_headers(rid)) for m, p, rid in requests]

    return asyncio.run(go())


def send_wsgi(app: Any, requests: list[tuple[str, str, str | None]]) -> list[httpx.Response]:
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://t") as client:
        return [client.request(m, p, headers=_headers(rid)) for m, p, rid in requests]


def _headers(request_id: str | None) -> dict[str, str]:
    return {c.REQUEST_ID_HEADER: request_id} if request_id else {}


def series(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float | None]:
    """Every sample the registry exports; timings (duration sums and buckets, _created) as None."""
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float | None] = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            timing = sample.name.startswith(c.REQUEST_DURATION_SECONDS) and not sample.name.endswith("_count")
            out[(sample.name, tuple(sorted(sample.labels.items())))] = None if timing else sample.value
    return out


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging(service="svc", environment="test", level="info", stream=stream, environ={})
    yield stream
    logging.getLogger().removeHandler(handler)
    handler.close()


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    stream.seek(0)
    stream.truncate()
    return [
        {k: v for k, v in r.items() if k not in ("ts", c.LOG_DURATION_MS)}
        for r in records
        if r.get(c.LOG_LOGGER) == c.ACCESS_LOGGER
    ]


def run_both(
    requests: list[tuple[str, str, str | None]], stream: io.StringIO, *, draining: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, make, send in (("asgi", asgi_app, send_asgi), ("wsgi", wsgi_app, send_wsgi)):
        registry, lifecycle = CollectorRegistry(), Lifecycle()
        app = make(registry, lifecycle)
        lifecycle.set_ready()
        if draining:
            lifecycle.start_draining()
        responses = send(app, requests)
        out[name] = (registry, responses, access_lines(stream))
    return out


def test_asgi_and_wsgi_export_the_same_series_for_the_same_requests(log_stream: io.StringIO) -> None:
    both = run_both(REQUESTS, log_stream)
    (asgi_registry, asgi_responses, _), (wsgi_registry, wsgi_responses, _) = both["asgi"], both["wsgi"]
    assert [r.status_code for r in asgi_responses] == [r.status_code for r in wsgi_responses]
    assert [r.status_code for r in asgi_responses] == [200, 200, 200, 503, 404, 405, 200, 200]
    assert series(asgi_registry) == series(wsgi_registry)
    counted = series(asgi_registry)
    assert counted[(c.REQUESTS_TOTAL, (("code", "200"), ("method", "GET"), ("route", ITEM_ROUTE)))] == 2
    assert counted[(c.REQUESTS_TOTAL, (("code", "405"), ("method", "OTHER"), ("route", ITEM_ROUTE)))] == 1
    assert counted[(c.REQUESTS_IN_FLIGHT, ())] == 0


def test_both_count_the_request_in_flight_while_it_is_served(log_stream: io.StringIO) -> None:
    both = run_both([("GET", "/items/1", None)], log_stream)
    assert both["asgi"][1][0].text == both["wsgi"][1][0].text == "1.0"


def test_both_write_the_same_access_lines_and_request_ids(log_stream: io.StringIO) -> None:
    both = run_both(REQUESTS, log_stream)
    asgi_lines, wsgi_lines = both["asgi"][2], both["wsgi"][2]
    assert len(asgi_lines) == len(wsgi_lines) == 6  # probes and /metrics write none
    for line in (*asgi_lines, *wsgi_lines):
        assert len(line.pop(c.LOG_REQUEST_ID)) == 32 or line.get(c.LOG_URL) == "/items/2"
    assert asgi_lines == wsgi_lines
    assert asgi_lines[0][c.LOG_URL] == "/items/1?full=1" and asgi_lines[0][c.LOG_RETRIES] == 1
    for name in ("asgi", "wsgi"):
        echoed = [r.headers.get(c.REQUEST_ID_HEADER) for r in both[name][1][:2]]
        assert echoed[1] == "caller-id-7" and echoed[0] is not None and len(echoed[0]) == 32


def test_both_send_connection_close_while_draining(log_stream: io.StringIO) -> None:
    requests = [("GET", "/items/1", None), ("GET", c.LIVENESS_PATH, None)]
    for name, (_, responses, _) in run_both(requests, log_stream, draining=True).items():
        assert [r.headers.get("connection") for r in responses] == ["close", "close"], name
    for name, (_, responses, _) in run_both(requests, log_stream).items():
        assert [r.headers.get("connection") for r in responses] == [None, None], name


def test_wsgi_leaves_connection_to_wsgiref_which_forbids_hop_by_hop_headers() -> None:
    """wsgiref (the reference server) asserts on an app-set Connection header: serve it while draining."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    registry, lifecycle = CollectorRegistry(), Lifecycle()
    app = wsgi_app(registry, lifecycle)
    lifecycle.set_ready()
    lifecycle.start_draining()
    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = httpx.get(f"http://127.0.0.1:{server.server_port}/items/1", timeout=10)
        assert response.status_code == 200 and response.headers.get(c.REQUEST_ID_HEADER)
    finally:
        server.shutdown()
        server.server_close()
