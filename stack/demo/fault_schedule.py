"""The demo stack's fault schedule: make the page alert fire, then let it resolve.

Waits ``FAULT_START_SECONDS``, sets ``error_rate`` on every demo replica through
``POST /admin/faults``, waits ``FAULT_DURATION_SECONDS``, sets it back to 0, and
repeats every ``FAULT_REPEAT_SECONDS`` (0: once).  Targets are the base URLs in
``FAULT_TARGETS`` (comma-separated).  Standard library only; one JSON log line
per change.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

FAULTS_PATH = "/admin/faults"


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = float(env.get(name, "") or default)
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def log(**fields: object) -> None:
    fields = {"ts": round(time.time(), 3), "logger": "fault_schedule", **fields}
    print(json.dumps(fields, sort_keys=True), flush=True)


def set_error_rate(targets: Sequence[str], error_rate: float, retry_for: float = 60.0) -> None:
    """POST the error rate to every target, retrying each for up to ``retry_for`` seconds."""
    body = json.dumps({"error_rate": error_rate}).encode()
    for base in targets:
        deadline = time.monotonic() + retry_for
        while True:
            request = urllib.request.Request(
                base.rstrip("/") + FAULTS_PATH,
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    log(
                        msg="faults changed", level="warning", target=base, faults=json.loads(response.read())
                    )
                break
            except (urllib.error.URLError, OSError) as exc:
                if time.monotonic() >= deadline:
                    log(msg="could not change faults", level="error", target=base, error=str(exc))
                    break
                time.sleep(2)


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        targets = [t.strip() for t in env.get("FAULT_TARGETS", "").split(",") if t.strip()]
        if not targets:
            raise ValueError("FAULT_TARGETS is empty")
        start = _seconds(env, "FAULT_START_SECONDS", 180)
        duration = _seconds(env, "FAULT_DURATION_SECONDS", 300)
        repeat = _seconds(env, "FAULT_REPEAT_SECONDS", 0)
        error_rate = _seconds(env, "FAULT_ERROR_RATE", 1.0)
    except ValueError as exc:
        print(f"fault_schedule: {exc}", file=sys.stderr)
        return 2
    log(msg="schedule", level="info", targets=targets, start_s=start, duration_s=duration, repeat_s=repeat)
    time.sleep(start)
    while True:
        set_error_rate(targets, error_rate)
        time.sleep(duration)
        set_error_rate(targets, 0.0)
        if repeat <= 0:
            break
        time.sleep(max(0.0, repeat - duration))
    log(msg="schedule done: errors stopped, the alert resolves within minutes", level="info")
    # Stay up (healthy) so `docker compose up` does not report an exited service as a failure.
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
