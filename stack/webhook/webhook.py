"""A tiny Alertmanager webhook receiver: see alerts without Slack.

``POST /`` takes Alertmanager's webhook payload (version 4) and prints one JSON
line per alert (status, alertname, severity, service, startsAt); ``GET /``
lists the last alerts received as JSON; ``GET /healthz`` answers 200.
Standard library only.  ``python webhook.py`` listens on ``WEBHOOK_PORT``
(default 5001) on all interfaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_PORT = 5001
KEEP = 100
MAX_BODY = 1 << 20


class Store:
    """The last ``KEEP`` alerts, newest first."""

    def __init__(self, keep: int = KEEP) -> None:
        self._alerts: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def add(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        received = [summarise(alert, payload) for alert in payload.get("alerts", [])]
        with self._lock:
            for alert in received:
                self._alerts.appendleft(alert)
        return received

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._alerts)


def summarise(alert: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    labels = alert.get("labels", {})
    return {
        "status": alert.get("status", payload.get("status")),
        "alertname": labels.get("alertname"),
        "severity": labels.get("severity"),
        "service": labels.get("service"),
        "slo": labels.get("slo"),
        "startsAt": alert.get("startsAt"),
        "endsAt": alert.get("endsAt"),
        "receiver": payload.get("receiver"),
        "summary": alert.get("annotations", {}).get("summary"),
    }


def make_handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: object) -> None:
            data = (json.dumps(body, indent=2) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(200, {"ok": True})
            elif self.path == "/":
                self._reply(200, {"alerts": store.list()})
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._reply(400, {"error": "expected a JSON body"})
                return
            try:
                payload = json.loads(self.rfile.read(length))
                if not isinstance(payload, dict):
                    raise ValueError
            except ValueError:
                self._reply(400, {"error": "not JSON"})
                return
            for alert in store.add(payload):
                print(json.dumps({"msg": "alert", **alert}, sort_keys=True), flush=True)
            self._reply(200, {"ok": True})

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per alert is the log; requests are not news

    return Handler


def serve(port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(Store()))
    server.daemon_threads = True
    return server


def main() -> int:
    port = int(os.environ.get("WEBHOOK_PORT", DEFAULT_PORT))
    server = serve(port)
    print(json.dumps({"msg": "listening", "port": port}), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
