"""Helpers for the instrumentation and demo tests: free ports, demo processes, polling."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from obsgen.demo import names as D

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent
#: Upper bound of every wait in these tests; a healthy run needs a fraction of it.
WAIT_SECONDS = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    check: Callable[[], T | None], what: str, timeout: float = WAIT_SECONDS, every: float = 0.02
) -> T:
    """Poll ``check`` until it returns something truthy (and return that); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def json_lines(text: str, name: str = "stdout") -> list[dict[str, Any]]:
    """Every line of ``text`` as a JSON object; fails naming the first line that is not one."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"{name} line {number} is not JSON: {line[:300]!r}") from exc
        assert isinstance(record, dict), f"{name} line {number} is not a JSON object: {line[:300]!r}"
        records.append(record)
    return records


class DemoProcess:
    """A real ``python -m obsgen.demo`` on a free loopback port; stdout captured to a file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Closed in close(): the process outlives this constructor.
        self._out = tempfile.NamedTemporaryFile(prefix="obsgen-demo-", suffix=".log", delete=False)  # noqa: SIM115
        self._err = tempfile.NamedTemporaryFile(prefix="obsgen-demo-", suffix=".err", delete=False)  # noqa: SIM115
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("FLUENTD_", "LOG_LEVEL"))}
        full_env.update(
            {
                "PORT": str(self.port),
                "MODEL_LOAD_SECONDS": "0.2",
                "SHUTDOWN_DELAY_SECONDS": "0.2",
                D.ENV_DEMO_FAULTS: D.DEMO_FAULTS_ENABLED,
            }
        )
        full_env.update(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "obsgen.demo"],
            env=full_env,
            stdout=self._out,
            stderr=self._err,
            cwd=REPO,
        )
        self.client = httpx.Client(base_url=self.url, timeout=10.0)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, **kwargs)

    def try_get(self, path: str) -> httpx.Response | None:
        """GET on a new connection, or None when the server does not accept one."""
        try:
            return httpx.get(self.url + path, timeout=5.0)
        except httpx.TransportError:
            return None

    def wait_live(self) -> None:
        def live() -> bool:
            assert self.proc.poll() is None, f"demo exited early:\n{self.stderr()}\n{self.stdout()}"
            response = self.try_get("/healthz")
            return response is not None and response.status_code == 200

        wait_for(live, "the demo to answer /healthz")

    def wait_ready(self) -> None:
        self.wait_live()

        def ready() -> bool:
            response = self.try_get("/ready")
            return response is not None and response.status_code == 200

        wait_for(ready, "the demo to become ready")

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def stdout(self) -> str:
        return Path(self._out.name).read_text()

    def stderr(self) -> str:
        return Path(self._err.name).read_text()

    def log_lines(self) -> list[dict[str, Any]]:
        """Every stdout line, parsed; fails the test on a line that is not a JSON object."""
        return json_lines(self.stdout())

    def close(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for f in (self._out, self._err):
            f.close()
            Path(f.name).unlink(missing_ok=True)


@contextmanager
def demo_process(**env: str) -> Iterator[DemoProcess]:
    demo = DemoProcess(env)
    try:
        yield demo
    finally:
        demo.close()


class ForwardListener:
    """A tiny Fluentd forward-protocol listener: decodes msgpack ``[tag, time, record]`` messages."""

    def __init__(self) -> None:
        import threading

        self.records: list[tuple[str, Any, dict[str, Any]]] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        import threading

        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        import msgpack

        unpacker = msgpack.Unpacker(raw=False)
        conn.settimeout(0.2)
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                unpacker.feed(data)
                for message in unpacker:
                    tag, rest = message[0], message[1:]
                    with self._lock:
                        if isinstance(rest[0], list):  # Forward mode: [tag, [[time, record], ...]]
                            self.records.extend((tag, t, r) for t, r in rest[0])
                        else:  # Message mode: [tag, time, record]
                            self.records.append((tag, rest[0], rest[1]))

    def snapshot(self) -> list[tuple[str, Any, dict[str, Any]]]:
        with self._lock:
            return list(self.records)

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(2)
