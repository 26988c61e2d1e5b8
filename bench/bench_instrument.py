"""Server CPU per request of the demo: with obsgen.instrument vs the same app bare and vs the peers.

    .venv/bin/python bench/bench_instrument.py [--rounds 24] [--duration 2] [--rps 800]

One server process per variant runs side by side on loopback ports, all built
by ``obsgen.demo.app.create_app`` from the same Starlette app:

* ``none``    the bare Starlette app (no middleware, no probes, no access log);
* ``metrics`` obsgen's pure ASGI middleware without the access log;
* ``full``    obsgen's middleware plus the JSON access log (written to a file, as a
              container runtime would take it from stdout);
* ``instrumentator`` the bare app with prometheus-fastapi-instrumentator's defaults
              (``Instrumentator().instrument(app)``: request counter, latency histograms,
              request and response sizes);
* ``none_again`` a second bare server process: how far two identical processes differ, i.e.
              the resolution of the method;
* ``starlette_exporter`` the bare app with starlette-exporter's ``PrometheusMiddleware``
              (defaults: request counter and latency histogram by path template).

The peers are the ``bench`` extra (``pip install -e '.[bench]'``); a peer that is not
installed is left out and the report says so.

Method, chosen so that a 5 µs difference stands out of the noise:

* the servers are pinned to one CPU (``--server-cpu``), this script and the load
  generator (a separate process) to another (``--load-cpu``), so they do not
  compete for a core (when the machine has fewer than two usable CPUs nothing is pinned);
* open-loop load at a fixed rate (``--rps``) well below saturation, with the
  same request sequence (seeded) for every variant of a round, from one load
  generator process that stays up (``obsgen.demo.loadgen.run``, so short runs pay
  no interpreter start-up);
* a warm-up run per server before the first round, discarded;
* ``--rounds`` interleaved rounds, the order rotating each round: many short
  rounds, so that other work on the machine falls on all variants alike;
* only the server process's CPU is counted: the sum of its threads'
  ``/proc/PID/task/TID/schedstat`` run time (nanoseconds), falling back to
  utime + stime from ``/proc/PID/stat`` (10 ms ticks) if a thread came or went.

The cost per request is server CPU over requests served.  Each round gives a
ratio per variant (its cost over the bare app's in the same round); the table
shows the min / median / max of those per-round ratios next to the median cost.
Goals (issue 5): full <= 1.15x, metrics <= 1.05x.

This is a benchmark, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Final

VARIANTS: Final = ("none", "metrics", "full", "instrumentator", "starlette_exporter", "none_again")
PEERS: Final = {
    "instrumentator": "prometheus_fastapi_instrumentator",
    "starlette_exporter": "starlette_exporter",
}
GOALS: Final = {"metrics": 1.05, "full": 1.15}


def available_variants() -> tuple[list[str], list[str]]:
    """(variants to run, peers left out because they are not installed)."""
    import importlib.util

    missing = [v for v, module in PEERS.items() if importlib.util.find_spec(module) is None]
    return [v for v in VARIANTS if v not in missing], missing


def wrap_peer(variant: str, app: Any) -> Any:
    """The bare Starlette app instrumented by a peer library, as its README shows."""
    if variant == "instrumentator":
        from prometheus_fastapi_instrumentator import Instrumentator

        Instrumentator().instrument(app)
        return app
    from starlette_exporter import PrometheusMiddleware

    app.add_middleware(PrometheusMiddleware)
    return app


CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
#: Above this share of its CPU the server is near saturation and queues requests.
MAX_SERVER_LOAD: Final = 0.6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads, living and dead), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_run_ns(pid: int) -> dict[str, int]:
    """Run time (ns) of each living thread of a process, from /proc/PID/task/TID/schedstat."""
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            times[task.name] = int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return times


class CpuMeter:
    """Server CPU between two points: nanosecond schedstat when the threads stayed the same."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.ticks = cpu_seconds(pid)
        self.threads = thread_run_ns(pid)

    def seconds(self) -> float:
        threads = thread_run_ns(self.pid)
        if threads and threads.keys() == self.threads.keys():
            return sum(threads[t] - self.threads[t] for t in threads) / 1e9
        return cpu_seconds(self.pid) - self.ticks


def pin(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def serve(variant: str, port: int, cpu: int | None = None, *, tickless: bool = False) -> None:
    """Run one variant of the demo (the server side of the benchmark).

    ``tickless``: uvicorn's main loop does not wake every 0.1 s (its tick updates the date
    header and checks for shutdown): the instruction count (:mod:`bench.bench_instrument_count`)
    then holds only the work of the requests, not work that grows with wall time.  Such a
    server only stops when killed.
    """
    pin(cpu)
    if tickless:
        _untick()
    from prometheus_client import CollectorRegistry

    from obsgen.demo.app import create_app
    from obsgen.demo.settings import DemoSettings
    from obsgen.instrument import ServerSettings, configure_logging
    from obsgen.instrument import serve as run_server

    settings = DemoSettings(
        model_load_seconds=0.0,
        server=ServerSettings(host="127.0.0.1", port=port, shutdown_delay=0.0, shutdown_grace=5.0),
    )
    configure_logging(service=settings.service, environment="bench", level="info")
    if variant == "none_again":
        app, lifecycle = create_app(settings, registry=CollectorRegistry(), instrumentation="none")
    elif variant in PEERS:
        app, lifecycle = create_app(settings, instrumentation="none")
        app = wrap_peer(variant, app)
    else:
        app, lifecycle = create_app(settings, registry=CollectorRegistry(), instrumentation=variant)  # type: ignore[arg-type]
    run_server(app, lifecycle, settings.server)


def _untick() -> None:
    import asyncio

    import uvicorn

    async def main_loop(self: uvicorn.Server) -> None:
        await self.on_tick(0)  # the date header, once
        while not self.should_exit:
            await asyncio.sleep(3600)

    uvicorn.Server.main_loop = main_loop  # type: ignore[method-assign]


def wait_loaded(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/model", timeout=1) as response:
                if json.load(response)["loaded"]:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not load its model")


class LoadWorker:
    """A load generator process kept running: one JSON command per line in, one summary per line out."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--load-worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def load(self, port: int, rps: float, duration: float, mix: str, seed: int | None = None) -> int:
        """Send load to a port; return the number of successful requests."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        command = {"port": port, "rps": rps, "duration": duration, "mix": mix, "seed": seed}
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the load generator exited")
        summary = json.loads(line)
        if summary["failed"]:
            raise SystemExit(f"failed requests during the benchmark: {summary}")
        return int(summary["requests"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


def load_worker() -> None:
    """The load generator side of :class:`LoadWorker`."""
    import asyncio

    from obsgen.demo.loadgen import parse_mix, run

    for line in sys.stdin:
        cmd = json.loads(line)
        summary = asyncio.run(
            run(
                [f"http://127.0.0.1:{cmd['port']}"],
                cmd["rps"],
                cmd["duration"],
                parse_mix(cmd["mix"]),
                8,
                10.0,
                cmd["seed"],
            )
        )
        print(json.dumps(summary), flush=True)


def load(port: int, rps: float, duration: float, mix: str, seed: int | None = None) -> int:
    """Run the load generator (``python -m obsgen.demo.loadgen``) once against a port; return the requests."""
    command = [
        sys.executable,
        "-m",
        "obsgen.demo.loadgen",
        "--url",
        f"http://127.0.0.1:{port}",
        "--rps",
        str(rps),
        "--duration",
        str(duration),
        "--mix",
        mix,
        "--connections",
        "8",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    if summary["failed"]:
        raise SystemExit(f"failed requests during the benchmark: {summary}")
    return int(summary["requests"])


def choose_cpus(server_cpu: int | None, load_cpu: int | None) -> tuple[int | None, int | None]:
    """(server CPU, load CPU), or (None, None) when fewer than two CPUs are usable."""
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        return None, None
    server = usable[0] if server_cpu is None else server_cpu
    load_ = next(c for c in usable if c != server) if load_cpu is None else load_cpu
    if server == load_ or server not in usable or load_ not in usable:
        raise SystemExit(f"--server-cpu/--load-cpu: two different CPUs of {usable} needed")
    return server, load_


def spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def report(
    per_request: dict[str, list[float]],
    args: argparse.Namespace,
    cpus: tuple[int | None, int | None],
    busy: float,
    missing: list[str],
    verdicts: bool = True,
) -> str:
    """The Markdown table (and the lines around it) of one run (``verdicts``: say met or missed)."""
    variants = list(per_request)
    rounds = len(per_request["none"])
    ratios = {v: [a / b for a, b in zip(per_request[v], per_request["none"], strict=True)] for v in variants}
    pinning = (
        f"server on CPU {cpus[0]}, load generator on CPU {cpus[1]}"
        if cpus[0] is not None
        else "not pinned (fewer than 2 usable CPUs)"
    )
    lines = [
        f"{rounds} rounds x {args.duration:g} s at {args.rps:g} req/s (after {args.warmup:g} s warm-up), "
        f"mix {args.mix}, {pinning}, server busy <= {busy:.0%} of its CPU, load average "
        f"{os.getloadavg()[0]:.2f} at the end, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "",
        "| variant | server CPU per request, median (min–max) | per-round ratio to bare: min / **median** / max | "
        "ratio of medians | goal |",
        "|---|---|---|---|---|",
    ]
    base = statistics.median(per_request["none"])
    for variant in variants:
        lo, mid, hi = spread(per_request[variant])
        cost = f"{mid:.1f} µs ({lo:.0f}–{hi:.0f})"
        if variant == "none":
            lines.append(f"| bare | {cost} | 1 | 1 | |")
            continue
        rlo, rmid, rhi = spread(ratios[variant])
        goal = GOALS.get(variant)
        verdict = (
            ""
            if goal is None
            else (
                f"<= {goal:.2f}x"
                + (
                    (
                        ": "
                        + ("met" if rhi <= goal else ("met at the median" if rmid <= goal else "**missed**"))
                    )
                    if verdicts
                    else ""
                )
            )
        )
        lines.append(
            f"| {LABELS[variant]} | {cost} | {rlo:.3f}x / **{rmid:.3f}x** / {rhi:.3f}x | {mid / base:.3f}x | {verdict} |"
        )
    peers = [v for v in variants if v in PEERS]
    if peers:
        lines += [
            "",
            "obsgen metrics-only against each peer, per round (obsgen's CPU per request over the peer's "
            "in the same round; below 1 in every round = cheaper beyond the round-to-round spread):",
            "",
        ]
        for peer in peers:
            r = [a / b for a, b in zip(per_request["metrics"], per_request[peer], strict=True)]
            lo, mid, hi = spread(r)
            verdict = (
                "cheaper in every round"
                if hi < 1
                else ("cheaper at the median" if mid < 1 else "**not cheaper**")
            )
            lines.append(
                f"- vs {LABELS[peer]}: {lo:.3f}x / **{mid:.3f}x** / {hi:.3f}x"
                + (f" — {verdict}" if verdicts else "")
            )
    if missing:
        lines += [
            "",
            "Not run (not installed; `pip install -e '.[bench]'`): " + ", ".join(LABELS[m] for m in missing),
        ]
    return "\n".join(lines)


LABELS: Final = {
    "none": "bare",
    "none_again": "bare again (a second bare process: the resolution of this method)",
    "metrics": "obsgen metrics only",
    "full": "obsgen metrics + access log",
    "instrumentator": "prometheus-fastapi-instrumentator 8 (defaults)",
    "starlette_exporter": "starlette-exporter 0.24 (defaults)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds of load per variant and round")
    parser.add_argument("--rps", type=float, default=800.0, help="fixed request rate (below saturation)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of discarded load per server")
    parser.add_argument("--mix", default="predict=8,predict_get=1,model=1")
    parser.add_argument("--server-cpu", type=int, default=None, help="CPU the servers run on")
    parser.add_argument("--load-cpu", type=int, default=None, help="CPU the load generator runs on")
    parser.add_argument("--serve", nargs=2, metavar=("VARIANT", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tickless", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="also write the per-round costs (µs) here")
    parser.add_argument(
        "--no-verdicts", action="store_true", help="goals without met/missed (bench.run: the count decides)"
    )
    args = parser.parse_args()
    if args.load_worker:
        load_worker()
        return 0
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.cpu, tickless=args.tickless)
        return 0
    if args.warmup is None:
        args.warmup = min(3.0, max(1.0, args.duration))

    variants, missing = available_variants()
    server_cpu, load_cpu = choose_cpus(args.server_cpu, args.load_cpu)
    pin(load_cpu)  # this process and the load generators it starts
    logs = tempfile.TemporaryDirectory(prefix="obsgen-bench-")
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    worker = LoadWorker()
    try:
        for variant in variants:
            port = free_port()
            out = open(Path(logs.name) / f"{variant}.log", "wb")  # noqa: SIM115 - lives as long as the server
            command = [sys.executable, __file__, "--serve", variant, str(port)]
            if server_cpu is not None:
                command += ["--cpu", str(server_cpu)]
            proc = subprocess.Popen(command, stdout=out)
            servers[variant] = (proc, port)
        for _, port in servers.values():
            wait_loaded(port)
        for _, port in servers.values():
            worker.load(port, args.rps, args.warmup, args.mix, seed=0)  # imports, caches, labelled children

        per_request: dict[str, list[float]] = {v: [] for v in variants}
        busy = 0.0
        for round_ in range(args.rounds):
            shift = round_ % len(variants)
            order = variants[shift:] + variants[:shift]
            for variant in order:
                proc, port = servers[variant]
                meter = CpuMeter(proc.pid)
                requests = worker.load(port, args.rps, args.duration, args.mix, seed=round_ + 1)
                used = meter.seconds()
                busy = max(busy, used / args.duration)
                per_request[variant].append(used / requests * 1e6)
                print(
                    f"round {round_ + 1} {variant:8} {requests} requests {used / requests * 1e6:7.1f} us/request",
                    file=sys.stderr,
                )
        if busy > MAX_SERVER_LOAD:
            print(f"warning: a server was {busy:.0%} busy: lower --rps", file=sys.stderr)
        print(report(per_request, args, (server_cpu, load_cpu), busy, missing, not args.no_verdicts))
        if args.json is not None:
            args.json.write_text(
                json.dumps({"per_request_us": per_request, "missing": missing, "busy": busy})
            )
    finally:
        worker.close()
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(10)
        logs.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
