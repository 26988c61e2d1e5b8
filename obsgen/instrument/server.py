"""Serving an instrumented ASGI app with uvicorn, and draining it on SIGTERM.

On SIGTERM (the talk's "your app should on stop"):

1. readiness fails at once (``/ready`` answers 503) while every request is
   still served, for ``SHUTDOWN_DELAY_SECONDS`` — the time load balancers and
   Kubernetes endpoints need to notice and stop sending traffic;
2. then the listening socket closes, idle keep-alive connections are closed
   and in-flight requests finish;
3. the process exits 0 before ``SHUTDOWN_GRACE_SECONDS`` (Kubernetes'
   ``terminationGracePeriodSeconds``, after which it would be killed).

SIGINT (Ctrl-C) skips the delay; a second SIGINT stops without waiting.

One process per instance: scale by running more instances (12-factor VIII).
See docs/instrumentation.md for why not uvicorn ``--workers``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Final

import uvicorn

from obsgen.conventions import contract as c
from obsgen.instrument.asgi import ASGIApp
from obsgen.instrument.lifecycle import Lifecycle

__all__ = ["DrainingServer", "ServerSettings", "serve"]

_log = logging.getLogger(__name__)
#: Listen backlog: connections queued before accept().  A small backlog makes a
#: burst during a rolling restart look like failed requests (the kernel caps it
#: at net.core.somaxconn).
LISTEN_BACKLOG: Final = 4096
DEFAULT_HOST: Final = c.DEFAULT_HOST
#: Left of the grace period for the lifespan shutdown and interpreter exit.
_EXIT_MARGIN_SECONDS: Final = 1.0


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError as exc:
        raise ValueError(f"{name}={text!r}: not a number") from exc
    if value < 0:
        raise ValueError(f"{name}={text!r}: must not be negative")
    return value


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How to serve: from the environment (12-factor III) or given directly."""

    host: str = DEFAULT_HOST
    port: int = c.DEFAULT_PORT
    shutdown_delay: float = c.DEFAULT_SHUTDOWN_DELAY_SECONDS
    shutdown_grace: float = c.DEFAULT_SHUTDOWN_GRACE_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, host: str | None = None) -> ServerSettings:
        env = os.environ if environ is None else environ
        port_text = env.get(c.ENV_PORT, str(c.DEFAULT_PORT))
        try:
            port = int(port_text)
        except ValueError as exc:
            raise ValueError(f"{c.ENV_PORT}={port_text!r}: not a port number") from exc
        return cls(
            host=host or env.get(c.ENV_HOST) or DEFAULT_HOST,
            port=port,
            shutdown_delay=_env_float(env, c.ENV_SHUTDOWN_DELAY, c.DEFAULT_SHUTDOWN_DELAY_SECONDS),
            shutdown_grace=_env_float(env, c.ENV_SHUTDOWN_GRACE, c.DEFAULT_SHUTDOWN_GRACE_SECONDS),
        )

    @property
    def drain_timeout(self) -> float:
        """How long in-flight requests may take after the delay, so the exit beats the grace period."""
        return max(0.5, self.shutdown_grace - self.shutdown_delay - _EXIT_MARGIN_SECONDS)


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the delayed, readiness-first shutdown described above."""

    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, shutdown_delay: float) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.shutdown_delay = shutdown_delay
        self._stop_at: float | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn's own version re-raises the signal after shutdown, which would
        # end the process with -SIGTERM instead of the clean exit 0 we promise.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Runs in the main thread between bytecodes: only set flags here.
        if sig == signal.SIGINT:
            if self.should_exit:
                self.force_exit = True
            self.lifecycle.start_draining()
            self.should_exit = True
            return
        if self._stop_at is None:
            self.lifecycle.start_draining()
            self._stop_at = time.monotonic() + self.shutdown_delay

    async def on_tick(self, counter: int) -> bool:
        # uvicorn ticks every 0.1 s; the delay ends on the first tick after it.
        if self._stop_at is not None and not self.should_exit and time.monotonic() >= self._stop_at:
            _log.info("shutdown delay over: closing the listener, finishing in-flight requests")
            self.should_exit = True
        return await super().on_tick(counter)


def serve(
    app: ASGIApp,
    lifecycle: Lifecycle,
    settings: ServerSettings | None = None,
    **uvicorn_options: object,
) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, draining as described in this module's docstring.

    Logging is left to :func:`obsgen.instrument.configure_logging` (uvicorn's
    own access log is off: the middleware writes a richer one).
    """
    settings = settings or ServerSettings.from_env()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        backlog=LISTEN_BACKLOG,
        timeout_graceful_shutdown=int(settings.drain_timeout) or 1,
        log_config=None,
        access_log=False,
        lifespan="on",
        **uvicorn_options,  # type: ignore[arg-type]
    )
    server = DrainingServer(config, lifecycle, settings.shutdown_delay)
    _log.info(
        "serving",
        extra={
            "port": settings.port,
            "shutdown_delay_s": settings.shutdown_delay,
            "shutdown_grace_s": settings.shutdown_grace,
        },
    )
    server.run()
