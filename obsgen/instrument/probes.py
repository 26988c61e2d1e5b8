"""Answers to /healthz, /ready and /metrics, shared by the ASGI and WSGI middleware.

They read in-process state only: a probe that calls a dependency turns a
database blip into every instance restarting (the talk: probes should not call
external components).
"""

from __future__ import annotations

from typing import Final

import orjson

from obsgen.conventions import contract as c
from obsgen.instrument.lifecycle import Lifecycle
from obsgen.instrument.metrics import CONTENT_TYPE_LATEST, HttpMetrics

__all__ = ["ProbeResponse", "probe_response"]

_JSON: Final = "application/json"
ProbeResponse = tuple[int, str, bytes]


def probe_response(path: str, lifecycle: Lifecycle, metrics: HttpMetrics) -> ProbeResponse | None:
    """(status, content type, body) for a probe or metrics path, None for any other path."""
    if path == c.LIVENESS_PATH:
        # Answering at all is the proof of life; draining instances are still alive.
        return 200, _JSON, orjson.dumps({c.LABEL_STATE: lifecycle.state.value, "live": True})
    if path == c.READINESS_PATH:
        ready = lifecycle.ready
        body = orjson.dumps({c.LABEL_STATE: lifecycle.state.value, "ready": ready})
        return (200 if ready else 503), _JSON, body
    if path == c.METRICS_PATH:
        return 200, CONTENT_TYPE_LATEST, metrics.exposition()
    return None
