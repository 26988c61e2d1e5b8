"""Forwarding log lines to Fluentd without ever blocking or crashing the app.

The app thread only puts the finished JSON line on a bounded queue; a daemon
thread sends it with fluent-logger's synchronous sender.  When the queue is
full, or Fluentd stays down long enough for the sender's buffer to overflow,
records are dropped and counted in ``obsgen_log_records_dropped_total``.

Why not fluent-logger's own async sender: it blocks the caller when its queue
(100 records) is full unless circular mode is on, and circular mode drops
without telling anyone (REFERENCE.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgpack
import orjson
from fluent.sender import FluentSender

from obsgen.conventions import contract as c
from obsgen.instrument.logs import LineSink

__all__ = ["FluentForwarder", "forwarder_from_env"]

_STOP: Final = object()
_log = logging.getLogger(__name__)


def fluentd_tag(service: str) -> str:
    """The Fluentd tag of a service's records, e.g. ``obsgen.demo``."""
    return f"{c.FLUENTD_TAG_PREFIX}.{service}"


class FluentForwarder(LineSink):
    """Bounded, non-blocking forwarding of JSON log lines over the Fluentd forward protocol."""

    def __init__(
        self,
        host: str,
        port: int,
        tag: str,
        on_drop: Callable[[str, int], None],
        *,
        queue_size: int = 10_000,
        buffer_bytes: int = 1024 * 1024,
        timeout: float = 1.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.on_drop = on_drop
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._sender = FluentSender(
            tag,
            host=host,
            port=port,
            bufmax=buffer_bytes,
            timeout=timeout,
            buffer_overflow_handler=self._overflow,
        )
        self._max_backoff = max_backoff
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="obsgen-fluent", daemon=True)
        self._thread.start()

    def submit(self, created: float, line: bytes) -> None:
        """Queue a line for Fluentd; never blocks, counts a drop if the queue is full."""
        try:
            self._queue.put_nowait((created, line))
        except queue.Full:
            self.on_drop(c.DROP_REASON_QUEUE_FULL, 1)

    def close(self, timeout: float = 2.0) -> None:
        """Send what is queued (for up to ``timeout`` seconds), then stop."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)
        self._sender.close()

    def _overflow(self, pending: bytes) -> None:
        # The sender hands over its whole unsent buffer: count the records in it.
        unpacker = msgpack.Unpacker(raw=False)
        unpacker.feed(pending)
        records = sum(1 for _ in unpacker)
        self.on_drop(c.DROP_REASON_FLUENTD_UNAVAILABLE, records)

    def _run(self) -> None:
        backoff = 0.0
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            created, line = item
            record = orjson.loads(line)
            if self._sender.emit_with_time(None, int(created), record):
                backoff = 0.0
                continue
            # Fluentd is down: the record waits in the sender's buffer.  Back off so
            # a dead Fluentd costs one connect attempt per interval, not per record.
            backoff = min(self._max_backoff, max(0.1, backoff * 2))
            if self._stopping.wait(backoff):
                backoff = 0.0


def forwarder_from_env(
    service: str, on_drop: Callable[[str, int], None], environ: Mapping[str, str] | None = None
) -> FluentForwarder | None:
    """A forwarder to ``FLUENTD_HOST``:``FLUENTD_PORT``, or None when FLUENTD_HOST is unset."""
    env = os.environ if environ is None else environ
    host = env.get(c.ENV_FLUENTD_HOST, "").strip()
    if not host:
        return None
    port_text = env.get(c.ENV_FLUENTD_PORT, str(c.DEFAULT_FLUENTD_PORT))
    try:
        port = int(port_text)
    except ValueError as exc:
        raise ValueError(f"{c.ENV_FLUENTD_PORT}={port_text!r}: not a port number") from exc
    return FluentForwarder(host, port, fluentd_tag(service), on_drop)
