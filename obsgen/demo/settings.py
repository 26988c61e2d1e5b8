"""The demo's configuration, read from the environment (12-factor III)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from obsgen import conventions as c
from obsgen.instrument.server import ServerSettings


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float | None = None) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError as exc:
        raise ValueError(f"{name}={text!r}: not a number") from exc
    if not math.isfinite(value):
        raise ValueError(f"{name}={text!r}: must be a finite number")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name}={text!r}: must be {bound}")
    return value


#: Longest injected latency: a minute holds a request open for any demo; more only hangs clients.
MAX_FAULT_LATENCY_MS: Final = 60_000.0


@dataclass(frozen=True, slots=True)
class DemoSettings:
    service: str = c.DEFAULT_SERVICE_NAME
    environment: str = c.DEFAULT_ENVIRONMENT
    model_load_seconds: float = c.DEFAULT_MODEL_LOAD_SECONDS
    error_rate: float = 0.0
    extra_latency_ms: float = 0.0
    #: Fault injection is off unless DEMO_FAULTS=enabled: /admin/faults does not even exist then.
    faults_enabled: bool = False
    server: ServerSettings = field(default_factory=ServerSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DemoSettings:
        """Settings from SERVICE_NAME, ENVIRONMENT, MODEL_LOAD_SECONDS, DEMO_FAULTS, ERROR_RATE, EXTRA_LATENCY_MS,
        PORT, SHUTDOWN_*."""
        env = os.environ if environ is None else environ
        faults_enabled = env.get(c.ENV_DEMO_FAULTS, "").strip() == c.DEMO_FAULTS_ENABLED
        error_rate = _float(env, c.ENV_ERROR_RATE, 0.0, 0.0, 1.0)
        extra_latency_ms = _float(env, c.ENV_EXTRA_LATENCY_MS, 0.0, 0.0, MAX_FAULT_LATENCY_MS)
        if (error_rate or extra_latency_ms) and not faults_enabled:
            raise ValueError(
                f"{c.ENV_ERROR_RATE}/{c.ENV_EXTRA_LATENCY_MS} inject faults, which are off: "
                f"set {c.ENV_DEMO_FAULTS}={c.DEMO_FAULTS_ENABLED} to allow them (never in production)"
            )
        return cls(
            service=env.get(c.ENV_SERVICE_NAME, "").strip() or c.DEFAULT_SERVICE_NAME,
            environment=env.get(c.ENV_ENVIRONMENT, "").strip() or c.DEFAULT_ENVIRONMENT,
            model_load_seconds=_float(env, c.ENV_MODEL_LOAD_SECONDS, c.DEFAULT_MODEL_LOAD_SECONDS, 0.0),
            error_rate=error_rate,
            extra_latency_ms=extra_latency_ms,
            faults_enabled=faults_enabled,
            server=ServerSettings.from_env(env),
        )
