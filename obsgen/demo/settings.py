"""The demo's configuration, read from the environment (12-factor III)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name}={text!r}: must be {bound}")
    return value


@dataclass(frozen=True, slots=True)
class DemoSettings:
    service: str = c.DEFAULT_SERVICE_NAME
    environment: str = c.DEFAULT_ENVIRONMENT
    model_load_seconds: float = c.DEFAULT_MODEL_LOAD_SECONDS
    error_rate: float = 0.0
    extra_latency_ms: float = 0.0
    server: ServerSettings = field(default_factory=ServerSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DemoSettings:
        """Settings from SERVICE_NAME, ENVIRONMENT, MODEL_LOAD_SECONDS, ERROR_RATE, EXTRA_LATENCY_MS, PORT, SHUTDOWN_*."""
        env = os.environ if environ is None else environ
        return cls(
            service=env.get(c.ENV_SERVICE_NAME, "").strip() or c.DEFAULT_SERVICE_NAME,
            environment=env.get(c.ENV_ENVIRONMENT, "").strip() or c.DEFAULT_ENVIRONMENT,
            model_load_seconds=_float(env, c.ENV_MODEL_LOAD_SECONDS, c.DEFAULT_MODEL_LOAD_SECONDS, 0.0),
            error_rate=_float(env, c.ENV_ERROR_RATE, 0.0, 0.0, 1.0),
            extra_latency_ms=_float(env, c.ENV_EXTRA_LATENCY_MS, 0.0, 0.0),
            server=ServerSettings.from_env(env),
        )
