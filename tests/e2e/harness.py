"""Building blocks of the end-to-end suite: real processes on loopback ports, polling, a webhook, a load client.

Everything here is plain Python (no pytest): the fixtures in ``conftest.py``
assemble these into a stack.  Every process writes its stdout and stderr to
files in the test's temporary directory, so a failing test can show them.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx

from obsgen import conventions as C
from tests.instrument_helpers import free_port, json_lines, wait_for

T = TypeVar("T")
LOOPBACK = "127.0.0.1"
#: Bound of waits for a process to start, become ready or exit; a healthy run needs a fraction of it.
START_SECONDS = 30.0
#: Lines of each log shown when a test fails.
LOG_TAIL_LINES = 25


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """Status of GET ``url`` on a new connection, or None when nothing answers."""
    try:
        return httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError:
        return None


class Process:
    """A real process started by the suite; restartable with the same command line.

    stdout and stderr of every start are appended to ``<name>.out`` and ``<name>.err``.
    """

    #: Every process ever started, for the failure report and the last-resort cleanup.
    started: ClassVar[list[Process]] = []

    def __init__(self, name: str, argv: Sequence[str], logs: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.stdout_path = logs / f"{name}.out"
        self.stderr_path = logs / f"{name}.err"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Process:
        assert not self.running, f"{self.name} is already running"
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        self.starts += 1
        if self not in Process.started:
            Process.started.append(self)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def assert_running(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, (
            f"{self.name} exited with {None if self.proc is None else self.proc.returncode}:\n{self.log_tail()}"
        )

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to exit; its exit code (negative: killed by that signal)."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"{self.name} did not exit within {timeout:.0f}s:\n{self.log_tail()}"
            ) from exc

    def stop(self) -> None:
        """Kill the process (and anything it started) if it still runs; never raises."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for label, text in (("stdout", self.stdout()), ("stderr", self.stderr())):
            tail = text.splitlines()[-lines:]
            parts.append(f"--- {self.name} {label} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(parts)


class DemoInstance(Process):
    """``python -m obsgen.demo`` on a fixed loopback port, so it can be restarted behind a load balancer."""

    def __init__(self, name: str, logs: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("FLUENTD_", "LOG_LEVEL"))}
        full_env.update(
            {
                C.ENV_PORT: str(self.port),
                C.ENV_SERVICE_NAME: "demo",
                C.ENV_ENVIRONMENT: "e2e",
                C.ENV_MODEL_LOAD_SECONDS: "0.2",
                C.ENV_SHUTDOWN_DELAY: "1",
                C.ENV_SHUTDOWN_GRACE: "10",
                C.ENV_DEMO_FAULTS: C.DEMO_FAULTS_ENABLED,
            }
        )
        full_env.update(env)
        super().__init__(name, [sys.executable, "-m", "obsgen.demo"], logs, full_env)

    def wait_ready(self, timeout: float = START_SECONDS) -> None:
        def ready() -> bool:
            self.assert_running()
            return http_status(self.url + C.READINESS_PATH) == 200

        wait_for(ready, f"{self.name} to answer {C.READINESS_PATH} with 200", timeout, every=0.05)

    def set_error_rate(self, rate: float) -> None:
        """Fault injection at runtime: the same switch as ERROR_RATE, without a restart."""
        response = httpx.post(self.url + C.DEMO_FAULTS_PATH, json={"error_rate": rate}, timeout=5)
        assert response.status_code == 200, response.text
        assert response.json()["error_rate"] == rate

    def log_records(self) -> list[dict[str, Any]]:
        """Every stdout line as a JSON object; fails naming the first line that is not one."""
        return json_lines(self.stdout(), f"{self.name} stdout")


@dataclass(frozen=True)
class Notification:
    """One POST Alertmanager made to the webhook."""

    received: float  # time.monotonic()
    path: str
    payload: dict[str, Any]

    @property
    def receiver(self) -> str:
        return str(self.payload.get("receiver", ""))

    def alerts(self) -> list[dict[str, Any]]:
        alerts = self.payload.get("alerts", [])
        return alerts if isinstance(alerts, list) else []


class Webhook:
    """An HTTP server on loopback that records every POST (Alertmanager's receivers point here)."""

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self._lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body) if body else {}
                except json.JSONDecodeError:
                    payload = {"unparsed": body.decode(errors="replace")}
                with hook._lock:
                    hook.notifications.append(Notification(time.monotonic(), self.path, payload))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # The default backlog of 5 drops bursts of notifications.
            request_queue_size = 128
            daemon_threads = True

        self._server = Server((LOOPBACK, 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook", daemon=True)
        self._thread.start()

    def snapshot(self) -> list[Notification]:
        with self._lock:
            return list(self.notifications)

    def describe(self) -> str:
        lines = []
        for n in self.snapshot():
            for alert in n.alerts():
                lines.append(f"{n.path} receiver={n.receiver} {alert.get('status')} {alert.get('labels')}")
        return "\n".join(lines) or "(nothing received)"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class LoadResult:
    """What a :class:`LoadClient` saw."""

    codes: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    #: (seconds since the start, what went wrong) of every failed request.
    failures: list[tuple[float, str]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.codes.values()) + sum(self.errors.values())

    @property
    def failed(self) -> int:
        return sum(self.errors.values()) + sum(n for code, n in self.codes.items() if code >= 500)

    def describe(self) -> str:
        first = ", ".join(f"{t:.2f}s {what}" for t, what in self.failures[:10])
        return (
            f"{self.requests} requests, {self.failed} failed; codes {dict(self.codes)}, "
            f"errors {dict(self.errors)}; first failures: {first or 'none'}"
        )


class LoadClient:
    """Steady paced load on keep-alive connections from a few threads, stopped on demand.

    The shipped load generator runs for a fixed ``--duration``; the zero-downtime
    test needs load for exactly as long as the restarts take, and the time of
    each failure to explain it.  Every request goes through a fresh or reused
    HTTP/1.1 connection; no request is ever retried.
    """

    def __init__(
        self, host: str, port: int, path: str, rps: float, threads: int = 4, timeout: float = 10.0
    ) -> None:
        self.host, self.port, self.path = host, port, path
        self.interval = threads / rps
        self.threads = threads
        self.timeout = timeout
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._start = 0.0

    def __enter__(self) -> LoadClient:
        self._start = time.monotonic()
        for i in range(self.threads):
            worker = threading.Thread(target=self._run, args=(i,), name=f"load-{i}", daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> LoadResult:
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout + 5)
        return self.result

    def wait_requests(self, count: int, timeout: float) -> None:
        """Wait until ``count`` more requests have completed (the load is flowing)."""
        target = self.result.requests + count
        wait_for(lambda: self.result.requests >= target, f"{count} requests through the load client", timeout)

    def _record(self, code: int | None, error: str | None) -> None:
        with self._lock:
            if error is not None:
                self.result.errors[error] += 1
                self.result.failures.append((time.monotonic() - self._start, error))
            else:
                assert code is not None
                self.result.codes[code] += 1
                if code >= 500:
                    self.result.failures.append((time.monotonic() - self._start, f"HTTP {code}"))

    def _run(self, index: int) -> None:
        conn: http.client.HTTPConnection | None = None
        # Spread the threads over one interval so the load is even.
        next_at = time.monotonic() + self.interval * index / self.threads
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += self.interval
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                conn.request("GET", self.path)
                response = conn.getresponse()
                response.read()
                self._record(response.status, None)
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                self._record(None, type(exc).__name__)
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


def log_problems(records: list[dict[str, Any]], service: str, environment: str) -> list[str]:
    """What is wrong with an instance's JSON log lines, against the fields the log pipeline relies on.

    Every line: time, level, message, logger and the Loki stream labels (service, env, level).
    Every access line: all of ACCESS_LOG_FIELDS with the types the Elasticsearch mapping gives them,
    and an error_code on a 5xx.  Returns one sentence per problem, with the offending line.
    """
    from datetime import datetime

    problems: list[str] = []

    def problem(text: str, record: dict[str, Any]) -> None:
        if len(problems) < 20:
            problems.append(f"{text}: {json.dumps(record)[:400]}")

    access = 0
    for record in records:
        for name in (C.LOG_TIME, C.LOG_LEVEL_FIELD, C.LOG_MESSAGE, C.LOG_LOGGER, *C.LOKI_STREAM_LABELS):
            if name not in record:
                problem(f"no {name!r}", record)
        if (
            record.get(C.LOG_SERVICE, service) != service
            or record.get(C.LOG_ENVIRONMENT, environment) != environment
        ):
            problem(f"expected service={service} env={environment}", record)
        if record.get(C.LOG_LEVEL_FIELD, "info") not in C.LOG_LEVELS:
            problem(f"level is not one of {C.LOG_LEVELS}", record)
        try:
            datetime.fromisoformat(str(record.get(C.LOG_TIME)))
        except ValueError:
            problem(f"{C.LOG_TIME} is not an ISO 8601 time", record)
        if record.get(C.LOG_LOGGER) != C.ACCESS_LOGGER:
            continue
        access += 1
        missing = [f for f in C.ACCESS_LOG_FIELDS if f not in record]
        if missing:
            problem(f"access line without {missing}", record)
            continue
        status, duration = record[C.LOG_STATUS], record[C.LOG_DURATION_MS]
        if not isinstance(status, int) or not 100 <= status <= 599:
            problem(f"{C.LOG_STATUS} is not an HTTP status code", record)
        elif status >= 500 and not record.get(C.LOG_ERROR_CODE):
            problem(f"a {status} without {C.LOG_ERROR_CODE}", record)
        if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
            problem(f"{C.LOG_DURATION_MS} is not a non-negative number", record)
        for name in (C.LOG_REQUEST_ID, C.LOG_METHOD, C.LOG_ROUTE, C.LOG_URL):
            if not isinstance(record[name], str) or not record[name]:
                problem(f"{name} is not a non-empty string", record)
    if access == 0:
        problems.append(f"no access-log line (logger {C.ACCESS_LOGGER!r}) among {len(records)} lines")
    return problems


def mapping_problems(records: list[dict[str, Any]], properties: dict[str, Any]) -> list[str]:
    """Values of ``records`` that the Elasticsearch mapping ``properties`` would reject or mis-index.

    integer/long: a JSON integer; float/double: a number; date: ISO 8601; keyword/text: a string
    (Elasticsearch would coerce a number, but an object or a list would fail the whole document).
    """
    from datetime import datetime

    problems: list[str] = []
    for record in records:
        for name, value in record.items():
            kind = (properties.get(name) or {}).get("type")
            if kind is None or value is None:
                continue
            ok = True
            if kind in ("integer", "long", "short"):
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif kind in ("float", "double", "half_float", "scaled_float"):
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            elif kind == "date":
                try:
                    datetime.fromisoformat(str(value))
                except ValueError:
                    ok = False
            elif kind in ("keyword", "text"):
                ok = isinstance(value, str | int | float) and not isinstance(value, bool)
            if not ok and len(problems) < 20:
                problems.append(
                    f"{name}={value!r} does not fit the mapped type {kind}: {json.dumps(record)[:300]}"
                )
    return problems
