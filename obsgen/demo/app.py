"""The demo's HTTP API.

``POST|GET /predict``  a prediction (``{"text": ...}`` body or ``?text=``)
``GET /model``         model name and version; 200 while the process can serve
                       (the talk's liveness example probes port 8000, path /model)
``POST /admin/reload`` reload the model; readiness fails until it is loaded
``GET|POST /admin/faults``  read or change ERROR_RATE and EXTRA_LATENCY_MS at runtime (only with
                            DEMO_FAULTS=enabled: it has no authentication, so it never ships enabled)
``/healthz`` ``/ready`` ``/metrics``  from :mod:`obsgen.instrument`
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from obsgen import conventions as c
from obsgen.demo import names as D
from obsgen.demo.model import ModelStore
from obsgen.demo.settings import MAX_FAULT_LATENCY_MS, DemoSettings
from obsgen.instrument import InstrumentMiddleware, Lifecycle, State, instrument, set_log_fields
from obsgen.instrument.asgi import ASGIApp

_log = logging.getLogger("obsgen.demo")
#: Upper bound of the per-request ``delay_ms`` parameter (used to hold a request open in drain tests).
MAX_DELAY_MS: Final = 60_000.0
ERROR_INJECTED: Final = "INJECTED_FAULT"
ERROR_NOT_LOADED: Final = "MODEL_NOT_LOADED"
ERROR_BAD_REQUEST: Final = "BAD_REQUEST"
ERROR_TOO_LARGE: Final = "BODY_TOO_LARGE"
#: Largest request body read: a prediction's text is a sentence, not a file.  A bounded read keeps
#: a 10 MiB POST from growing the pod toward its memory limit and stalling /healthz.
MAX_BODY_BYTES: Final = 64 * 1024
Instrumentation = Literal["full", "metrics", "none"]


@dataclass(slots=True)
class Faults:
    """Fault injection for demos and alert tests; changed at runtime through /admin/faults."""

    error_rate: float
    extra_latency_ms: float

    def as_dict(self) -> dict[str, float]:
        return {"error_rate": self.error_rate, "extra_latency_ms": self.extra_latency_ms}


class Demo:
    """The endpoints and the state they share."""

    def __init__(self, settings: DemoSettings, lifecycle: Lifecycle) -> None:
        self.settings = settings
        self.lifecycle = lifecycle
        self.store = ModelStore(settings.model_load_seconds)
        self.faults = Faults(settings.error_rate, settings.extra_latency_ms)
        self.random = random.Random()
        self._loading: asyncio.Task[None] | None = None

    async def _load(self, reason: str) -> None:
        model = await asyncio.to_thread(self.store.load)
        if model is None:
            return  # cancelled by shutdown
        _log.info("model loaded", extra={"model": model.name, "version": model.version, "reason": reason})
        # set() refuses to leave ``draining``: a load finishing during shutdown keeps readiness failing.
        self.lifecycle.set_ready()

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # Load in the background: the server must listen (live) while not yet ready.
        self._loading = asyncio.create_task(self._load("start"))
        yield
        # A load in progress must not hold the exit past the grace period: asyncio waits for
        # its worker thread at exit, so tell the thread to stop, not only the task.
        self.store.cancel()
        if not self._loading.done():
            self._loading.cancel()

    async def predict(self, request: Request) -> JSONResponse:
        text = request.query_params.get("text", "")
        raw = await _body(request) if request.method == "POST" else b""
        if raw is None:
            set_log_fields(error_code=ERROR_TOO_LARGE)
            return _too_large()
        if raw:
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
                set_log_fields(error_code=ERROR_BAD_REQUEST)
                return JSONResponse({"error": 'expected a JSON object {"text": "..."}'}, status_code=400)
            text = body.get("text", text)
        delay_ms = self.faults.extra_latency_ms
        if self.settings.faults_enabled:  # holding a request open is fault injection too
            delay_ms += _delay_param(request)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        model = self.store.current
        if model is None:
            set_log_fields(error_code=ERROR_NOT_LOADED)
            return JSONResponse({"error": "model not loaded yet"}, status_code=503)
        set_log_fields(**{D.LOG_MODEL_VERSION: model.version})
        if self.faults.error_rate > 0 and self.random.random() < self.faults.error_rate:
            set_log_fields(error_code=ERROR_INJECTED)
            return JSONResponse({"error": "injected fault"}, status_code=500)
        prediction = model.predict(text)
        _log.debug("predicted", extra={"label": prediction.label})
        return JSONResponse(
            {
                "label": prediction.label,
                "score": prediction.score,
                "model": model.name,
                "version": model.version,
            }
        )

    async def model(self, request: Request) -> JSONResponse:
        model = self.store.current
        return JSONResponse(
            {
                "name": None if model is None else model.name,
                "version": None if model is None else model.version,
                "loaded": model is not None,
                c.LABEL_STATE: self.lifecycle.state.value,
            }
        )

    async def reload(self, request: Request) -> JSONResponse:
        if self.lifecycle.state is not State.READY:
            return JSONResponse(
                {"error": f"cannot reload while {self.lifecycle.state.value}"}, status_code=409
            )
        self.lifecycle.set(State.RELOADING)
        self._loading = asyncio.create_task(self._load("reload"))
        return JSONResponse({c.LABEL_STATE: State.RELOADING.value}, status_code=202)

    async def faults_endpoint(self, request: Request) -> JSONResponse:
        if request.method == "POST":
            raw = await _body(request)
            if raw is None:
                return _too_large()
            try:
                body = json.loads(raw)
                error_rate = float(body.get("error_rate", self.faults.error_rate))
                extra = float(body.get("extra_latency_ms", self.faults.extra_latency_ms))
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, TypeError, ValueError):
                return JSONResponse(
                    {"error": "expected JSON {error_rate, extra_latency_ms}"}, status_code=400
                )
            # NaN passes no comparison, so test for what is allowed, not for what is not.
            if not (0.0 <= error_rate <= 1.0 and 0.0 <= extra <= MAX_FAULT_LATENCY_MS):
                return JSONResponse(
                    {
                        "error": f"error_rate must be in [0, 1], extra_latency_ms in [0, {MAX_FAULT_LATENCY_MS:g}]"
                    },
                    status_code=400,
                )
            self.faults.error_rate, self.faults.extra_latency_ms = error_rate, extra
            _log.warning("faults changed", extra=self.faults.as_dict())
        return JSONResponse(self.faults.as_dict())

    def routes(self) -> list[Route]:
        routes = [
            Route(D.DEMO_PREDICT_PATH, self.predict, methods=["GET", "POST"]),
            Route(D.DEMO_MODEL_PATH, self.model, methods=["GET"]),
            Route(D.DEMO_RELOAD_PATH, self.reload, methods=["POST"]),
        ]
        if self.settings.faults_enabled:
            routes.append(Route(D.DEMO_FAULTS_PATH, self.faults_endpoint, methods=["GET", "POST"]))
        return routes


async def _body(request: Request) -> bytes | None:
    """The request body, or None past MAX_BODY_BYTES (read no further than that, whatever it claims)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> JSONResponse:
    return JSONResponse({"error": f"request body larger than {MAX_BODY_BYTES} bytes"}, status_code=413)


def _delay_param(request: Request) -> float:
    try:
        return min(MAX_DELAY_MS, max(0.0, float(request.query_params.get("delay_ms", 0))))
    except ValueError:
        return 0.0


def create_app(
    settings: DemoSettings,
    *,
    registry: CollectorRegistry | None = None,
    instrumentation: Instrumentation = "full",
) -> tuple[ASGIApp, Lifecycle]:
    """The demo app and its lifecycle.

    ``instrumentation`` exists for the benchmark: ``metrics`` drops the access
    log, ``none`` serves the bare Starlette app (no probes either).
    """
    lifecycle = Lifecycle()
    demo = Demo(settings, lifecycle)
    app = Starlette(routes=demo.routes(), lifespan=demo.lifespan)
    if instrumentation == "none":
        return app, lifecycle
    wrapped: InstrumentMiddleware = instrument(
        app,
        service=settings.service,
        environment=settings.environment,
        registry=registry,
        lifecycle=lifecycle,
        access_log=instrumentation == "full",
        ready_on_startup=False,
    )
    return wrapped, lifecycle


def describe(settings: DemoSettings) -> dict[str, Any]:
    """What the start-up log line says about the configuration."""
    return {
        "model_load_seconds": settings.model_load_seconds,
        "error_rate": settings.error_rate,
        "extra_latency_ms": settings.extra_latency_ms,
        "faults_enabled": settings.faults_enabled,
    }
