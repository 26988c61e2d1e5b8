"""obsgen.instrument in-process: route labels, log fields, Fluentd drops, lifecycle, WSGI."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from obsgen import conventions as c
from obsgen.instrument import (
    FluentForwarder,
    HttpMetrics,
    InstrumentMiddleware,
    InstrumentWSGI,
    Lifecycle,
    State,
    configure_logging,
    instrument,
    set_log_fields,
)
from obsgen.instrument.logs import AccessLog
from obsgen.instrument.metrics import validate_buckets
from obsgen.instrument.wsgi import ROUTE_ENVIRON_KEY
from tests.instrument_helpers import ForwardListener, free_port, wait_for


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging(service="svc", environment="test", level="debug", stream=stream, environ={})
    yield stream
    logging.getLogger().removeHandler(handler)
    handler.close()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def item(request: Request) -> JSONResponse:
    set_log_fields(retries=2, error_code="UPSTREAM_TIMEOUT")
    return JSONResponse({"id": next(iter(request.path_params.values()))})


def sync_item(request: Request) -> PlainTextResponse:
    set_log_fields(retries=1)  # runs in a thread pool: fields must still reach the access line
    return PlainTextResponse("ok")


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("kaputt")


def make_app(
    registry: CollectorRegistry, buckets: tuple[float, ...] = c.DEFAULT_BUCKETS
) -> InstrumentMiddleware:
    app = Starlette(
        routes=[
            Route("/items/{item_id}", item),
            Route("/sync", sync_item),
            Route("/boom", boom),
            Mount("/api", routes=[Route("/things/{thing_id}", item)]),
        ]
    )
    return instrument(app, service="svc", registry=registry, buckets=buckets, configure_logs=False)


def call(app: Any, *requests: tuple[str, str]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.request(method, path) for method, path in requests]

    return asyncio.run(go())


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_route_label_is_the_template_never_the_raw_path(log_stream: io.StringIO) -> None:
    registry = CollectorRegistry()
    app = make_app(registry)
    call(
        app,
        ("GET", "/items/1"),
        ("GET", "/items/2"),
        ("GET", "/api/things/9"),
        ("GET", "/nope"),
        ("BREW", "/items/3"),
    )
    assert value(registry, c.REQUESTS_TOTAL, method="GET", route="/items/{item_id}", code="200") == 2
    assert value(registry, c.REQUESTS_TOTAL, method="GET", route="/api/things/{thing_id}", code="200") == 1
    assert value(registry, c.REQUESTS_TOTAL, method="GET", route=c.UNMATCHED_ROUTE, code="404") == 1
    assert value(registry, c.REQUESTS_TOTAL, method="OTHER", route="/items/{item_id}", code="405") == 1
    exported = [s.labels for m in registry.collect() if m.name == "http_requests" for s in m.samples]
    assert all("/items/1" not in labels.values() for labels in exported)


def test_probes_answer_from_the_lifecycle_and_are_not_counted(log_stream: io.StringIO) -> None:
    registry = CollectorRegistry()
    app = make_app(registry)
    assert [r.status_code for r in call(app, ("GET", c.READINESS_PATH), ("GET", c.LIVENESS_PATH))] == [
        503,
        200,
    ]
    app.lifecycle.set_ready()
    ready, metrics = call(app, ("GET", c.READINESS_PATH), ("GET", c.METRICS_PATH))
    assert ready.status_code == 200
    assert metrics.status_code == 200 and f"# TYPE {c.REQUEST_DURATION_SECONDS} histogram" in metrics.text
    counted = [
        s for m in registry.collect() if m.name == c.REQUESTS_TOTAL.removesuffix("_total") for s in m.samples
    ]
    assert counted == [], "probes and /metrics are not client experience"
    assert not [line for line in lines(log_stream) if line.get(c.LOG_LOGGER) == c.ACCESS_LOGGER]


def test_app_fields_reach_the_access_line_from_async_and_sync_endpoints(log_stream: io.StringIO) -> None:
    app = make_app(CollectorRegistry())
    call(app, ("GET", "/items/7"), ("GET", "/sync"))
    first, second = [line for line in lines(log_stream) if line.get(c.LOG_LOGGER) == c.ACCESS_LOGGER]
    assert (first[c.LOG_RETRIES], first[c.LOG_ERROR_CODE], first[c.LOG_URL]) == (
        2,
        "UPSTREAM_TIMEOUT",
        "/items/7",
    )
    assert second[c.LOG_RETRIES] == 1 and c.LOG_ERROR_CODE not in second
    assert first[c.LOG_SERVICE] == "svc" and first[c.LOG_ENVIRONMENT] == "test"


def test_an_unhandled_exception_is_counted_as_500_and_named_in_the_access_line(
    log_stream: io.StringIO,
) -> None:
    registry = CollectorRegistry()
    (response,) = call(make_app(registry), ("GET", "/boom"))
    assert response.status_code == 500
    assert value(registry, c.REQUESTS_TOTAL, method="GET", route="/boom", code="500") == 1
    (access,) = [r for r in lines(log_stream) if r.get(c.LOG_LOGGER) == c.ACCESS_LOGGER]
    assert access[c.LOG_STATUS] == 500 and access[c.LOG_LEVEL_FIELD] == "error"
    assert access[c.LOG_ERROR_CODE] == "RuntimeError"


def test_a_traceback_is_one_json_line(log_stream: io.StringIO) -> None:
    try:
        raise ValueError("kaputt")
    except ValueError:
        logging.getLogger("app").exception("failed", extra={"order": 7})
    (record,) = lines(log_stream)
    assert record[c.LOG_MESSAGE] == "failed" and record["order"] == 7
    assert "ValueError: kaputt" in record[c.LOG_EXCEPTION]


def test_catalog_buckets_replace_the_defaults() -> None:
    registry = CollectorRegistry()
    call(make_app(registry, buckets=(0.1, 0.3, 1.2)), ("GET", "/items/1"))
    bucket = c.REQUEST_DURATION_SECONDS + c.BUCKET_SUFFIX
    assert value(registry, bucket, method="GET", route="/items/{item_id}", le="0.3") == 1
    assert value(registry, bucket, method="GET", route="/items/{item_id}", le="0.005") is None
    for bad in ((), (0.5, 0.1), (0.0, 1.0)):
        with pytest.raises(ValueError, match="buckets"):
            validate_buckets(bad)


def test_ready_on_startup_follows_the_lifespan() -> None:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})

    app = instrument(inner, service="svc", registry=CollectorRegistry(), configure_logs=False)
    sent: list[Any] = []

    async def receive() -> dict[str, str]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        sent.append(message)

    before = app.lifecycle.state  # a local: mypy must not carry this narrowing past the call
    assert before is State.STARTING
    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert app.lifecycle.state is State.READY and sent == [{"type": "lifespan.startup.complete"}]


def test_draining_is_final_and_reloading_is_not_ready() -> None:
    registry = CollectorRegistry()
    metrics = HttpMetrics(registry)
    lifecycle = Lifecycle(lambda state: metrics.set_state(state.value))
    lifecycle.set_ready()
    with lifecycle.reloading():
        assert not lifecycle.ready
        assert value(registry, c.LIFECYCLE_STATE, state="reloading") == 1
    assert lifecycle.ready
    lifecycle.start_draining()
    assert lifecycle.set_ready() is False and lifecycle.draining
    assert value(registry, c.LIFECYCLE_STATE, state="draining") == 1
    assert value(registry, c.LIFECYCLE_STATE, state="ready") == 0


def test_forwarder_never_blocks_and_counts_drops_when_fluentd_is_down() -> None:
    dropped: dict[str, int] = {}

    def on_drop(reason: str, n: int) -> None:
        dropped[reason] = dropped.get(reason, 0) + n

    forwarder = FluentForwarder("127.0.0.1", free_port(), "obsgen.t", on_drop, queue_size=5, buffer_bytes=200)
    try:
        line = json.dumps({"msg": "x" * 50}).encode()
        for _ in range(200):
            forwarder.submit(time.time(), line)  # must return at once whatever Fluentd does
        assert dropped.get(c.DROP_REASON_QUEUE_FULL, 0) > 0
        wait_for(lambda: dropped.get(c.DROP_REASON_FLUENTD_UNAVAILABLE, 0) > 0, "a buffer-overflow drop")
    finally:
        forwarder.close()


def test_forwarder_delivers_when_fluentd_comes_up() -> None:
    listener = ForwardListener()
    forwarder = FluentForwarder("127.0.0.1", listener.port, "obsgen.t", lambda reason, n: None)
    try:
        forwarder.submit(1_700_000_000.5, b'{"msg":"hello","n":1}')
        tag, ts, record = wait_for(lambda: s[0] if (s := listener.snapshot()) else None, "a forwarded record")
        assert (tag, ts, record) == ("obsgen.t", 1_700_000_000, {"msg": "hello", "n": 1})
    finally:
        forwarder.close()
        listener.close()


def test_wsgi_variant_shares_metrics_probes_and_access_log(log_stream: io.StringIO) -> None:
    registry = CollectorRegistry()

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ[ROUTE_ENVIRON_KEY] = "/users/<id>"
        start_response("201 Created", [("Content-Type", "text/plain")])
        return [b"made"]

    lifecycle = Lifecycle()
    app = InstrumentWSGI(wsgi_app, metrics=HttpMetrics(registry), lifecycle=lifecycle, access_log=AccessLog())
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> None:
        statuses.append(status)

    body = b"".join(app({"REQUEST_METHOD": "POST", "PATH_INFO": "/users/5"}, start_response))
    b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": c.READINESS_PATH}, start_response))
    assert body == b"made" and statuses == ["201 Created", "503 Service Unavailable"]
    assert value(registry, c.REQUESTS_TOTAL, method="POST", route="/users/<id>", code="201") == 1
    (access,) = [r for r in lines(log_stream) if r.get(c.LOG_LOGGER) == c.ACCESS_LOGGER]
    assert access[c.LOG_URL] == "/users/5" and access[c.LOG_STATUS] == 201


def test_bad_log_level_falls_back_to_info_with_a_warning() -> None:
    stream = io.StringIO()
    handler = configure_logging(service="svc", stream=stream, environ={c.ENV_LOG_LEVEL: "loud"})
    try:
        assert logging.getLogger().level == logging.INFO
        (warning,) = lines(stream)
        assert warning[c.LOG_LEVEL_FIELD] == "warning" and "loud" in warning[c.LOG_MESSAGE]
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("req-42", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        (None, False),
        ("bad\nline", False),
        ("caf\u00e9", False),
    ],
)
def test_one_rule_accepts_a_callers_request_id_for_asgi_and_wsgi(given: str | None, kept: bool) -> None:
    from obsgen.instrument.logs import request_id_from

    result = request_id_from(given)
    assert (result == given) is kept
    if not kept:
        assert len(result) == 32 and int(result, 16) >= 0
