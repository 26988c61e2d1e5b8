"""Instructions per request of the demo's server: obsgen vs the bare app vs the peers, counted by callgrind.

    .venv/bin/python -m bench.bench_instrument_count [--runs 2] [--samples 3] [--requests 200]

The deterministic companion of :mod:`bench.bench_instrument` (server CPU time at a fixed rate,
whose round-to-round spread on a shared machine is larger than the effects it is after).  The
same variants (the same servers: ``bench_instrument.py --serve VARIANT PORT``) each run under
``valgrind --tool=callgrind``; what is counted is the number of instructions the server process
executes (callgrind's ``Ir``) while it answers a fixed sequence of requests:

* each server starts with instrumentation off (``--instr-atstart=no``: a few times slower than
  native rather than ~50x), loads its model and serves ``--warmup`` requests uninstrumented
  (imports, caches, labelled metric children, the first access line);
* ``callgrind_control -i on`` switches counting on; a few more requests run counted and are
  discarded; then each sample is ``callgrind_control -z`` (zero), ``--requests`` requests,
  ``callgrind_control -d`` (dump), and its ``totals:`` divided by the requests;
* every sample of every variant sends the same byte-identical requests (the load generator's
  mix and sentences, seeded), one at a time on one keep-alive connection, from a native client
  thread of this process, so no two requests overlap and the server's event loop does the same
  work per request in every sample (a 20 ms pause after each response lets the server go idle
  before the next request, whatever the machine's load); ``PYTHONHASHSEED=0`` for every server;
* uvicorn's main loop does not tick (``--tickless``): no work that grows with wall time;
* ``--runs`` independent runs (fresh server processes), ``--samples`` samples per run.

Instruction counts do not depend on the machine's load, CPU frequency or the other servers
running beside it (the servers run in parallel).  What remains is the work that depends on wall
time (the once-a-second log timestamp) and the garbage collector's timing: the spread over samples and runs shows it, and it is a fraction of a percent.
Instructions are not time (a cache miss costs more than an add), so the CPU-time benchmark stays
beside it; but a change of middleware code shows up here exactly, and ratios of counts are what
the goal verdicts are based on.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Final

from bench import bench_instrument as timed
from obsgen.demo.loadgen import _SENTENCES, KINDS, build_request, parse_mix

VARIANTS: Final = ("none", "metrics", "full", "instrumentator", "starlette_exporter")
GOALS: Final = timed.GOALS
LABELS: Final = timed.LABELS
SCRIPT: Final = Path(timed.__file__).resolve()
DEFAULT_MIX: Final = "predict=8,predict_get=1,model=1"
#: Requests answered counted after instrumentation is switched on and before the first sample.
SETTLE_REQUESTS: Final = 10
#: Seconds between a response and the next request: the server finishes the request's work and
#: waits in epoll before the next one arrives, so the event loop goes round the same number of
#: times per request however loaded the machine is (without it the counts of two invocations
#: differed by ~0.8 %, all variants together, with the machine's load).
PAUSE: Final = 0.02
_TOTALS: Final = re.compile(r"^totals:\s*(\d+)", re.MULTILINE)


def tools_missing() -> str | None:
    """Why the count cannot run here (valgrind or callgrind_control missing), or None."""
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian package valgrind)"
    return None


def request_sequence(n: int, mix: str, host: str, seed: int) -> list[bytes]:
    """``n`` requests drawn as the load generator draws them (the same for every variant)."""
    weights = parse_mix(mix)
    names = list(weights)
    rng = random.Random(seed)
    return [
        build_request(KINDS[rng.choices(names, [weights[n] for n in names])[0]], host, rng.choice(_SENTENCES))
        for _ in range(n)
    ]


class Client:
    """One keep-alive connection; one request at a time, each response read whole."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        body, self.buffer = self.buffer[:n], self.buffer[n:]
        return body

    def send(self, raw: bytes) -> int:
        """Send one request, read its response; return the status."""
        self.sock.sendall(raw)
        lines = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "transfer-encoding":
                raise ConnectionError("chunked response: not expected from the demo")
        self._read_exactly(length)
        if status >= 500:
            raise ConnectionError(f"status {status}")
        return status

    def run(self, requests: list[bytes], pause: float = 0.0) -> None:
        """Send ``requests`` in turn, waiting ``pause`` seconds after each response."""
        for raw in requests:
            self.send(raw)
            if pause:
                time.sleep(pause)

    def close(self) -> None:
        self.sock.close()


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when this process dies (a tickless server never exits)."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class CountedServer:
    """One variant's server under callgrind, counting switched by ``callgrind_control``."""

    def __init__(self, variant: str, workdir: Path) -> None:
        self.variant = variant
        self.port = timed.free_port()
        self.dir = workdir / variant
        self.dir.mkdir()
        env = dict(os.environ, PYTHONHASHSEED="0")
        self.log = open(self.dir / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={self.dir}/callgrind.out",
                sys.executable,
                str(SCRIPT),
                "--serve",
                variant,
                str(self.port),
                "--tickless",
            ],
            stdout=self.log,
            stderr=self.log,
            env=env,
            preexec_fn=_die_with_parent,
        )
        self.dumps = 0

    def control(self, *options: str) -> None:
        result = subprocess.run(
            ["callgrind_control", *options, str(self.proc.pid)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0 or "Error" in result.stdout + result.stderr:
            raise RuntimeError(
                f"callgrind_control {' '.join(options)} ({self.variant}): {result.stdout}{result.stderr}"
            )

    def dump(self) -> int:
        """Dump the counts since the last zero; return their total instructions."""
        self.control("-d")
        self.dumps += 1
        path = self.dir / f"callgrind.out.{self.dumps}"
        deadline = time.monotonic() + 60
        while True:  # callgrind_control returns once the command is taken; the file follows
            text = path.read_text() if path.exists() else ""
            match = _TOTALS.search(text)
            if match:
                return int(match.group(1))
            if time.monotonic() > deadline:
                raise RuntimeError(f"no totals in {path}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.kill()  # a tickless server does not notice SIGTERM; nothing is left to save
        self.proc.wait(60)
        self.log.close()


def measure(server: CountedServer, warmup: list[bytes], sample: list[bytes], samples: int) -> list[float]:
    """Instructions per request of ``samples`` samples of ``sample`` (after the warm-up)."""
    timed.wait_loaded(server.port, timeout=600)
    client = Client(server.port)
    try:
        client.run(warmup)
        server.control("-i", "on")
        client.run(warmup[:SETTLE_REQUESTS])
        per_request = []
        for _ in range(samples):
            server.control("-z")
            client.run(sample, PAUSE)
            per_request.append(server.dump() / len(sample))
        return per_request
    finally:
        client.close()


def run_once(
    variants: list[str], requests: int, samples: int, warmup: int, mix: str
) -> dict[str, list[float]]:
    """One run: a fresh server per variant, all counted side by side."""
    host = "127.0.0.1"
    warm = request_sequence(warmup, mix, host, seed=0)
    sample = request_sequence(requests, mix, host, seed=1)
    results: dict[str, list[float]] = {}
    errors: list[BaseException] = []
    with tempfile.TemporaryDirectory(prefix="obsgen-callgrind-") as tmp:
        servers = [CountedServer(v, Path(tmp)) for v in variants]

        def work(server: CountedServer) -> None:
            try:
                results[server.variant] = measure(server, warm, sample, samples)
            except BaseException as exc:  # reported below, with the server's log
                log = (server.dir / "server.log").read_text(errors="replace")[-2000:]
                errors.append(RuntimeError(f"{server.variant}: {exc}\n{log}"))

        threads = [threading.Thread(target=work, args=(s,)) for s in servers]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            for server in servers:
                server.stop()
    if errors:
        raise RuntimeError("\n".join(map(str, errors)))
    return {v: results[v] for v in variants}


def run(
    runs: int = 2,
    samples: int = 3,
    requests: int = 200,
    warmup: int = 200,
    mix: str = DEFAULT_MIX,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """``runs`` independent runs; per variant, the instructions per request of every sample."""
    available, missing = timed.available_variants()
    variants: list[str] = [
        v for v in VARIANTS if v in available and (only is None or v in only or v == "none")
    ]
    per_run = [run_once(variants, requests, samples, warmup, mix) for _ in range(runs)]
    return {
        "variants": variants,
        "missing": missing,
        "runs": per_run,
        "samples": samples,
        "requests": requests,
        "warmup": warmup,
        "mix": mix,
    }


def ratios(result: dict[str, Any], variant: str, against: str) -> list[float]:
    """``variant``'s instructions per request over ``against``'s, per sample (same run, same index)."""
    return [a / b for run_ in result["runs"] for a, b in zip(run_[variant], run_[against], strict=True)]


def mean_per_request(result: dict[str, Any], variant: str) -> float:
    return statistics.fmean(x for run_ in result["runs"] for x in run_[variant])


def spread_pct(values: list[float]) -> float:
    """(max - min) / median of ``values``, in percent."""
    return (max(values) - min(values)) / statistics.median(values) * 100


def verdicts(result: dict[str, Any]) -> list[tuple[str, list[float], str, bool]]:
    """(figure, per-sample ratios, goal, met) for each instrumentation goal of issue 19.

    A goal is met only when every sample's ratio meets it: the margin is then beyond the
    sample-to-sample and run-to-run spread.
    """
    out: list[tuple[str, list[float], str, bool]] = []
    for variant in ("metrics", "full"):
        r = ratios(result, variant, "none")
        label = "metrics only" if variant == "metrics" else "metrics + access log"
        out.append((f"obsgen {label} / bare", r, f"<= {GOALS[variant]:.2f}x", max(r) <= GOALS[variant]))
    for peer in ("instrumentator", "starlette_exporter"):
        if peer in result["variants"]:
            r = ratios(result, "metrics", peer)
            out.append((f"obsgen metrics only / {PEER_NAMES[peer]}", r, "< 1 in every sample", max(r) < 1))
    return out


PEER_NAMES: Final = {
    "instrumentator": "prometheus-fastapi-instrumentator",
    "starlette_exporter": "starlette-exporter",
}


def markdown(result: dict[str, Any]) -> str:
    """The table of one result: instructions per request, ratios, their spread."""
    variants: list[str] = result["variants"]
    n_runs = len(result["runs"])
    lines = [
        f"{n_runs} runs x {result['samples']} samples x {result['requests']} requests (after "
        f"{result['warmup']} uninstrumented and {SETTLE_REQUESTS} counted warm-up requests), mix "
        f"{result['mix']}, one request at a time on one keep-alive connection with a {PAUSE * 1000:g} ms pause "
        "after each response, `PYTHONHASHSEED=0`.",
        "",
        "| variant | instructions per request (mean) | spread over samples and runs | ratio to bare: "
        "min / **mean** / max | goal |",
        "|---|---|---|---|---|",
    ]
    for variant in variants:
        values = [x for run_ in result["runs"] for x in run_[variant]]
        cost = f"{statistics.fmean(values):,.0f}"
        if variant == "none":
            lines.append(f"| bare | {cost} | {spread_pct(values):.2f} % | 1 | |")
            continue
        r = ratios(result, variant, "none")
        goal = GOALS.get(variant)
        verdict = "" if goal is None else f"<= {goal:.2f}x: " + ("met" if max(r) <= goal else "**missed**")
        lines.append(
            f"| {LABELS[variant]} | {cost} | {spread_pct(values):.2f} % | {min(r):.4f}x / "
            f"**{statistics.fmean(r):.4f}x** / {max(r):.4f}x | {verdict} |"
        )
    peers = [v for v in variants if v in PEER_NAMES]
    if peers:
        lines += ["", "obsgen metrics-only against each peer (per sample, same run):", ""]
        for peer in peers:
            r = ratios(result, "metrics", peer)
            verdict = "cheaper in every sample" if max(r) < 1 else "**not cheaper in every sample**"
            lines.append(
                f"- vs {LABELS[peer]}: {min(r):.4f}x / **{statistics.fmean(r):.4f}x** / {max(r):.4f}x — {verdict}"
            )
    if n_runs > 1:
        lines += [
            "",
            "Run to run (fresh server processes): ratio to bare of each run's mean — "
            + "; ".join(
                f"{LABELS[v].split(' (')[0]} "
                + " / ".join(
                    f"{statistics.fmean(run_[v]) / statistics.fmean(run_['none']):.4f}x"
                    for run_ in result["runs"]
                )
                for v in variants
                if v != "none"
            )
            + ".",
        ]
    if result["missing"]:
        lines += ["", "Not run (not installed): " + ", ".join(LABELS[m] for m in result["missing"])]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="independent runs (fresh servers)")
    parser.add_argument("--samples", type=int, default=3, help="samples per run")
    parser.add_argument("--requests", type=int, default=200, help="requests per sample")
    parser.add_argument("--warmup", type=int, default=200, help="uninstrumented warm-up requests")
    parser.add_argument("--mix", default=DEFAULT_MIX)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw counts here")
    parser.add_argument("--only", action="append", choices=VARIANTS, help="these variants (and bare) only")
    args = parser.parse_args()
    why = tools_missing()
    if why:
        raise SystemExit(why)
    result = run(args.runs, args.samples, args.requests, args.warmup, args.mix, args.only)
    print(markdown(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
