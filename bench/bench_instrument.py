"""Server CPU per request of the demo: with obsgen.instrument vs the same app bare.

    .venv/bin/python bench/bench_instrument.py [--rounds 5] [--duration 5] [--rps 1000]

Three server processes run side by side on loopback ports, one per variant:

* ``none``    the bare Starlette app (no middleware, no access log);
* ``metrics`` the pure ASGI middleware without the access log;
* ``full``    middleware plus the JSON access log (written to a file, as a
              container runtime would take it from stdout).

Each round runs the load generator (a separate process) against every variant
in turn, in a rotating order; the server's CPU time (utime + stime from
/proc/PID/stat) over the run divided by the requests served is the cost per
request.  The medians over rounds and their ratios to ``none`` are printed as
a Markdown table.  Goal (issue 5): full <= 1.15x, metrics <= 1.05x.

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
from typing import Final

VARIANTS: Final = ("none", "metrics", "full")
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def serve(variant: str, port: int) -> None:
    """Run one variant of the demo (the server side of the benchmark)."""
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
    app, lifecycle = create_app(settings, registry=CollectorRegistry(), instrumentation=variant)  # type: ignore[arg-type]
    run_server(app, lifecycle, settings.server)


def wait_loaded(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/model", timeout=1) as response:
                if json.load(response)["loaded"]:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"server on port {port} did not load its model")


def load(port: int, rps: float, duration: float, mix: str) -> int:
    """Run the load generator against a port; return the number of successful requests."""
    result = subprocess.run(
        [
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
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    if summary["failed"]:
        raise SystemExit(f"failed requests during the benchmark: {summary}")
    return int(summary["requests"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rps", type=float, default=1000.0)
    parser.add_argument("--mix", default="predict=8,predict_get=1,model=1")
    parser.add_argument("--serve", nargs=2, metavar=("VARIANT", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0

    logs = tempfile.TemporaryDirectory(prefix="obsgen-bench-")
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for variant in VARIANTS:
            port = free_port()
            out = open(Path(logs.name) / f"{variant}.log", "wb")  # noqa: SIM115 - lives as long as the server
            proc = subprocess.Popen([sys.executable, __file__, "--serve", variant, str(port)], stdout=out)
            servers[variant] = (proc, port)
        for _, port in servers.values():
            wait_loaded(port)
            load(port, 200, 1.0, args.mix)  # warm-up: imports, caches, labelled children

        per_request: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for round_ in range(args.rounds):
            order = VARIANTS[round_ % 3 :] + VARIANTS[: round_ % 3]
            for variant in order:
                proc, port = servers[variant]
                before = cpu_seconds(proc.pid)
                requests = load(port, args.rps, args.duration, args.mix)
                used = cpu_seconds(proc.pid) - before
                per_request[variant].append(used / requests * 1e6)
                print(
                    f"round {round_ + 1} {variant:8} {requests} requests {used / requests * 1e6:7.1f} us/request",
                    file=sys.stderr,
                )

        base = statistics.median(per_request["none"])
        print(
            f"\n{args.rounds} rounds x {args.duration:g} s at {args.rps:g} req/s, mix {args.mix}, "
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}\n"
        )
        print("| variant | server CPU per request (median) | ratio to bare | all rounds (us) |")
        print("|---|---|---|---|")
        for variant in VARIANTS:
            median = statistics.median(per_request[variant])
            rounds = ", ".join(f"{v:.0f}" for v in per_request[variant])
            print(f"| {variant} | {median:.1f} us | {median / base:.3f}x | {rounds} |")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(10)
        logs.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
