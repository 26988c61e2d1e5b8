"""A load generator for the demo: ``python -m obsgen.demo.loadgen --url http://127.0.0.1:8000``.

Open loop at a steady ``--rps`` (requests are scheduled on a clock, not sent
when the previous one returns, so a slow server shows up as latency instead of
quietly lowering the rate), over ``--connections`` keep-alive connections, for
``--duration`` seconds.  ``--rps 0`` runs closed loop (as fast as the
connections go).  The last stdout line is a JSON summary::

    {"summary": true, "requests": 600, "codes": {"200": 594, "500": 6}, "errors": {}, ...}

The HTTP/1.1 client is a few lines of asyncio streams rather than httpx: it
costs a fraction of the CPU per request, which matters when the load
generator shares the machine with the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from obsgen import conventions as c
from obsgen.demo import names as D

_SENTENCES: Final = (
    "great release fast and stable",
    "the checkout is slow and broken",
    "love the new dashboard",
    "another outage today",
    "nothing to report",
)


@dataclass(frozen=True, slots=True)
class RequestKind:
    method: str
    path: str
    json_body: bool


#: The names ``--mix`` accepts.
KINDS: Final = {
    "predict": RequestKind("POST", D.DEMO_PREDICT_PATH, True),
    "predict_get": RequestKind("GET", D.DEMO_PREDICT_PATH, False),
    "model": RequestKind("GET", D.DEMO_MODEL_PATH, False),
}
DEFAULT_MIX: Final = "predict=8,predict_get=1,model=1"


def parse_mix(text: str) -> dict[str, float]:
    """``predict=8,model=1`` → weights; ValueError naming the bad part."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.strip().partition("=")
        if name not in KINDS:
            raise ValueError(f"--mix: unknown request kind {name!r} (known: {', '.join(KINDS)})")
        try:
            mix[name] = float(weight) if weight else 1.0
        except ValueError as exc:
            raise ValueError(f"--mix: weight of {name!r} is not a number: {weight!r}") from exc
        if mix[name] < 0:
            raise ValueError(f"--mix: weight of {name!r} is negative")
    if sum(mix.values()) <= 0:
        raise ValueError("--mix: at least one weight must be positive")
    return mix


def build_request(kind: RequestKind, host: str, text: str) -> bytes:
    if kind.json_body:
        body = json.dumps({"text": text}).encode()
        head = (
            f"{kind.method} {kind.path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body
    path = kind.path
    if kind.path == D.DEMO_PREDICT_PATH:
        path = f"{path}?text={text.replace(' ', '+')}"
    return f"{kind.method} {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


@dataclass(slots=True)
class Stats:
    codes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def summary(self, elapsed: float) -> dict[str, object]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 3) if lat else None

        total = sum(self.codes.values()) + sum(self.errors.values())
        return {
            "summary": True,
            "requests": total,
            "codes": dict(sorted(self.codes.items())),
            "errors": dict(sorted(self.errors.items())),
            "failed": sum(self.errors.values())
            + sum(n for code, n in self.codes.items() if int(code) >= 500),
            "duration_seconds": round(elapsed, 3),
            "achieved_rps": round(total / elapsed, 1) if elapsed > 0 else 0.0,
            "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0)},
        }


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, raw: bytes) -> tuple[int, bool]:
        """Send one request; return (status, whether the connection may be reused)."""
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip().lower()
        if headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers.get("connection") != "close"

    def close(self) -> None:
        self.writer.close()


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"--url {url!r}: expected http://HOST[:PORT]")
        return cls(parts.hostname, parts.port or 80)


async def _worker(
    target: Target,
    tickets: asyncio.Queue[tuple[float, bytes] | None],
    stats: Stats,
    timeout: float,
) -> None:
    conn: Connection | None = None
    try:
        while (item := await tickets.get()) is not None:
            scheduled, raw = item
            try:
                if conn is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(target.host, target.port), timeout
                    )
                    conn = Connection(reader, writer)
                status, keep = await asyncio.wait_for(conn.exchange(raw), timeout)
                stats.codes[str(status)] += 1
                stats.latencies.append(time.perf_counter() - scheduled)
                if not keep:
                    conn.close()
                    conn = None
            except (
                OSError,
                TimeoutError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                stats.errors[type(exc).__name__] += 1
                if conn is not None:
                    conn.close()
                    conn = None
    finally:
        if conn is not None:
            conn.close()


async def run(
    urls: Sequence[str],
    rps: float,
    duration: float,
    mix: dict[str, float],
    connections: int,
    timeout: float,
    seed: int | None = None,
) -> dict[str, object]:
    """Send the load and return the summary."""
    targets = [Target.parse(u) for u in urls]
    rng = random.Random(seed)
    names = list(mix)
    weights = [mix[n] for n in names]
    stats = Stats()
    # Bounded by what the run can produce: rps × duration tickets at most.
    tickets: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    workers = [
        asyncio.create_task(_worker(targets[i % len(targets)], tickets, stats, timeout))
        for i in range(connections)
    ]

    def next_request(target: Target) -> bytes:
        kind = KINDS[rng.choices(names, weights)[0]]
        return build_request(kind, f"{target.host}:{target.port}", rng.choice(_SENTENCES))

    start = time.perf_counter()
    end = start + duration
    sent = 0
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        if rps > 0:
            due = int((now - start) * rps) + 1
            while sent < due:
                tickets.put_nowait((start + sent / rps, next_request(targets[sent % len(targets)])))
                sent += 1
            await asyncio.sleep(max(0.0, start + sent / rps - time.perf_counter()))
        else:
            # Closed loop: keep one ticket per connection waiting.
            while tickets.qsize() < connections:
                tickets.put_nowait((time.perf_counter(), next_request(targets[sent % len(targets)])))
                sent += 1
            await asyncio.sleep(0.001)
    if rps <= 0:
        while not tickets.empty():  # closed loop: unsent tickets were never due
            tickets.get_nowait()
    for _ in workers:
        tickets.put_nowait(None)
    await asyncio.wait(workers)
    return stats.summary(time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m obsgen.demo.loadgen", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--url",
        action="append",
        help="base URL (repeat to spread connections); default http://127.0.0.1:8000",
    )
    parser.add_argument(
        "--rps", type=float, default=50.0, help="requests per second, 0 for closed loop (default 50)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (default 10)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"weighted request kinds (default {DEFAULT_MIX})")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections (default 8)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the request mix")
    parser.add_argument(
        "--fail-on-error", action="store_true", help="exit 1 if any request failed (connection error or 5xx)"
    )
    args = parser.parse_args(argv)
    try:
        mix = parse_mix(args.mix)
        urls = args.url or [f"http://127.0.0.1:{c.DEFAULT_PORT}"]
        for url in urls:
            Target.parse(url)
        if args.duration <= 0 or args.connections < 1 or args.rps < 0 or args.timeout <= 0:
            raise ValueError("--duration and --timeout must be positive, --connections >= 1, --rps >= 0")
    except ValueError as exc:
        parser.error(str(exc))
    summary = asyncio.run(run(urls, args.rps, args.duration, mix, args.connections, args.timeout, args.seed))
    print(json.dumps(summary, sort_keys=True), flush=True)
    return 1 if args.fail_on_error and summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
