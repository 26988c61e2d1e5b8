"""Durations as users write them (``400ms``, ``1h30m``, ``28d``) and as Prometheus reads them."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
# Units in descending order, each at most once: the subset of Prometheus' syntax we accept.
_DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")
_MAX_MS = 10 * 365 * 86_400_000  # ten years: anything longer is a typo


class DurationError(ValueError):
    pass


def parse_ms(text: str) -> int:
    """Parse ``text`` into whole milliseconds; raise DurationError with advice."""
    m = _DURATION_RE.match(text)
    if not text or not m or not any(m.groups()):
        raise DurationError(
            f"{text!r} is not a duration; write a number with a unit: ms, s, m, h or d (e.g. 400ms, 5m, 28d)"
        )
    total = 0
    for value, unit in zip(m.groups(), ("d", "h", "m", "s", "ms"), strict=True):
        if value is not None:
            total += int(value) * _UNITS_MS[unit]
    if total <= 0:
        raise DurationError(f"{text!r} must be longer than zero")
    if total > _MAX_MS:
        raise DurationError(f"{text!r} is longer than ten years")
    return total


def parse(text: str) -> timedelta:
    return timedelta(milliseconds=parse_ms(text))


def to_ms(value: timedelta) -> int:
    return value // timedelta(milliseconds=1)


def format_prometheus(value: timedelta) -> str:
    """Shortest Prometheus duration for ``value``, e.g. ``1h``, ``90m`` -> ``1h30m``, ``400ms``."""
    ms = to_ms(value)
    if ms <= 0:
        raise ValueError("durations are positive")
    parts = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = _UNITS_MS[unit]
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(parts)
