"""Real Fluentd (../shared/vendor/fluentd) for the tests, with stand-in Loki and Elasticsearch.

The vendored README says what the stand-ins must answer; this module follows it:

* Loki: ``POST /loki/api/v1/push`` -> 204, body ``{"streams": [{"stream": labels, "values": [[ns, line]]}]}``;
* Elasticsearch: ``GET /`` -> 200 with the version and the ``X-Elastic-Product`` header,
  ``PUT /_index_template/<name>`` -> 200, ``POST /_bulk`` -> 200 with one created item per action.

A live run needs a copy of the generated fluent.conf rewritten for this machine
(:func:`live_conf`): forward input on 127.0.0.1 and a free port, the stores pointed
at the stand-ins, the ``/fluentd/...`` paths under a temp folder, and short flush
and retry intervals so that a test waits seconds, not minutes.

The vendored Fluentd is part of the test setup, like promtool: when it is missing
the tests fail, naming what to do; they never skip.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.instrument_helpers import wait_for

VENDOR = REPO.parent / "shared" / "vendor" / "fluentd"
#: Upper bound of every wait on Fluentd (start, flush, retry); a healthy run needs a few seconds.
FLUENTD_WAIT_SECONDS = 60.0
#: The line Fluentd 1.16 logs when its worker accepts events.
RUNNING = "fluentd worker is now running"


def vendored(name: str) -> Path:
    """A file of ../shared/vendor/fluentd; fails the test (never skips) when it is missing."""
    path = VENDOR / name
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the real-Fluentd tests need ../shared/vendor/fluentd beside the "
            "clone (see its README.md); they are never skipped"
        )
    return path


def run_fluentd(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """The vendored wrapper with ``args``; exit 3 (missing Debian packages) fails the test."""
    result = subprocess.run(
        ["bash", str(vendored("fluentd")), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode == 3:
        pytest.fail(
            f"vendored Fluentd cannot run here (scripts/test installs what it needs):\n{result.stderr}"
        )
    return result


# --- Stand-in stores ----------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store: Store

    def log_message(self, *args: Any) -> None:
        pass

    def _any(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        code, body = self.store.answer(self.command, self.path.split("?")[0], raw.decode("utf-8", "replace"))
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("X-Elastic-Product", "Elasticsearch")  # the 7.17 client's product check
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any


class Store:
    """A stand-in HTTP store on 127.0.0.1:``port``, started and stopped at will (a store that goes down)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.requests: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"store": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, method: str, path: str, body: str) -> tuple[int, Any]:
        with self._lock:
            self.requests.append((method, path, body))
        return self.reply(method, path, body)

    def reply(self, method: str, path: str, body: str) -> tuple[int, Any]:
        raise NotImplementedError

    def snapshot(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return list(self.requests)


class FakeLoki(Store):
    def reply(self, method: str, path: str, body: str) -> tuple[int, Any]:
        return (
            (204, None) if (method, path) == ("POST", "/loki/api/v1/push") else (404, {"error": "not found"})
        )

    def entries(self) -> list[tuple[dict[str, str], int, dict[str, Any]]]:
        """Every pushed line: (stream labels, timestamp in ns, the JSON line parsed)."""
        out = []
        for method, path, body in self.snapshot():
            if (method, path) != ("POST", "/loki/api/v1/push"):
                continue
            for stream in json.loads(body)["streams"]:
                for ns, line in stream["values"]:
                    out.append((stream["stream"], int(ns), json.loads(line)))
        return out


class FakeElasticsearch(Store):
    def reply(self, method: str, path: str, body: str) -> tuple[int, Any]:
        if path == "/":
            return 200, {
                "name": "fake",
                "cluster_name": "fake",
                "tagline": "You Know, for Search",
                "version": {"number": "8.13.0", "build_flavor": "default"},
            }
        if path == "/_nodes/http":  # sniffing after a failure (reload_on_failure)
            return 200, {"nodes": {"fake": {"http": {"publish_address": f"127.0.0.1:{self.port}"}}}}
        if path.endswith("/_bulk"):
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            items = [
                {op: {"_index": meta.get("_index"), "status": 201, "result": "created"}}
                for action in lines[0::2]
                for op, meta in action.items()
            ]
            return 200, {"took": 1, "errors": False, "items": items}
        if path.startswith("/_index_template/") and method in ("GET", "HEAD"):
            return 404, {"status": 404}
        return 200, {"acknowledged": True}

    def documents(self) -> list[tuple[str, dict[str, Any]]]:
        """Every bulk-indexed document: (index, document)."""
        out = []
        for _, path, body in self.snapshot():
            if not path.endswith("/_bulk"):
                continue
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            for action, doc in zip(lines[0::2], lines[1::2], strict=True):
                (meta,) = action.values()
                out.append((meta["_index"], doc))
        return out

    def templates(self) -> dict[str, Any]:
        return {
            path.removeprefix("/_index_template/"): json.loads(body)
            for method, path, body in self.snapshot()
            if method == "PUT" and path.startswith("/_index_template/")
        }


# --- A live Fluentd ------------------------------------------------------------------------


def live_conf(conf: str, folder: Path, port: int, loki_url: str, es_url: str) -> str:
    """The generated fluent.conf, for a Fluentd on this machine (see the module docstring)."""

    def moved(m: re.Match[str]) -> str:
        return f"{m.group(1)}'{folder}/{m.group(2)}'"

    out = re.sub(r"(?m)^(\s*bind\s+).*$", r"\g<1>'127.0.0.1'", conf)
    out = re.sub(r"(?m)^(\s*port\s+)\d+$", rf"\g<1>{port}", out)
    out = re.sub(r"(?m)^(\s*url\s+).*$", rf"\g<1>'{loki_url}'", out)
    out = re.sub(r"(?m)^(\s*hosts\s+).*$", rf"\g<1>'{es_url}'", out)
    out = re.sub(r"(?m)^(\s*flush_interval\s+).*$", r"\g<1>1s", out)
    out = re.sub(r"(?m)^(\s*retry_max_interval\s+).*$", r"\g<1>1s", out)
    out = re.sub(r"(?m)^(\s*\w+\s+)'/fluentd/([^']*)'$", moved, out)
    assert "/fluentd/" not in re.sub(r"(?m)^\s*#.*$", "", out), "a /fluentd/ path was not moved"
    return out


class Fluentd:
    """``fluentd -c conf --no-supervisor`` with its log in a file; stop() in a finally."""

    def __init__(self, conf: Path, env: dict[str, str]) -> None:
        self.log_path = conf.with_suffix(".log")
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            ["bash", str(vendored("fluentd")), "-c", str(conf), "--no-supervisor"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_running(self) -> None:
        def running() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"fluentd exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            return RUNNING in self.log()

        try:
            wait_for(running, "fluentd to start its worker", timeout=FLUENTD_WAIT_SECONDS, every=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- fluentd log ---\n{self.log()[-4000:]}") from None

    def wait(self, check: Callable[[], Any], what: str) -> Any:
        """wait_for with Fluentd's bound, and its log in the failure message."""
        try:
            return wait_for(check, what, timeout=FLUENTD_WAIT_SECONDS, every=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- fluentd log ---\n{self.log()[-4000:]}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
