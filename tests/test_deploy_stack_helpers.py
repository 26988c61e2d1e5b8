"""The demo stack's helpers (stack/webhook/webhook.py, stack/demo/fault_schedule.py), in process."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any, ClassVar

import pytest

from tests.conftest import REPO


def _load(rel: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(rel.replace("/", "_").removesuffix(".py"), REPO / rel)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


webhook = _load("stack/webhook/webhook.py")
fault_schedule = _load("stack/demo/fault_schedule.py")

PAYLOAD = {
    "version": "4",
    "status": "firing",
    "receiver": "demo-webhook",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "SLOErrorBudgetBurn",
                "severity": "page",
                "service": "demo",
                "slo": "availability",
            },
            "annotations": {"summary": "burning"},
            "startsAt": "2026-01-01T00:00:00Z",
        }
    ],
}


@pytest.fixture
def webhook_url() -> Iterator[str]:
    server = webhook.serve(0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_webhook_prints_and_lists_each_alert(
    webhook_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _post(webhook_url + "/", json.dumps(PAYLOAD).encode()) == 200
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["alertname"], line["severity"], line["status"]) == ("SLOErrorBudgetBurn", "page", "firing")
    with urllib.request.urlopen(webhook_url + "/", timeout=5) as response:
        listed = json.loads(response.read())["alerts"]
    assert [a["service"] for a in listed] == ["demo"]


def test_the_webhook_rejects_what_is_not_json(webhook_url: str) -> None:
    assert _post(webhook_url + "/", b"not json") == 400


def test_the_webhook_answers_its_healthcheck(webhook_url: str) -> None:
    with urllib.request.urlopen(webhook_url + "/healthz", timeout=5) as response:
        assert response.status == 200


class _Faults(BaseHTTPRequestHandler):
    received: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.path, body))
        data = json.dumps({"error_rate": body["error_rate"], "extra_latency_ms": 0.0}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_fault_schedule_posts_the_error_rate_to_every_replica() -> None:
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Faults) for _ in range(2)]
    _Faults.received = []
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        targets = [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
        fault_schedule.set_error_rate(targets, 1.0, retry_for=5)
        fault_schedule.set_error_rate(targets, 0.0, retry_for=5)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert _Faults.received == [
        ("/admin/faults", {"error_rate": 1.0}),
        ("/admin/faults", {"error_rate": 1.0}),
        ("/admin/faults", {"error_rate": 0.0}),
        ("/admin/faults", {"error_rate": 0.0}),
    ]


def test_the_fault_schedule_refuses_to_run_without_targets() -> None:
    assert fault_schedule.main({"FAULT_TARGETS": ""}) == 2


def test_the_helpers_use_the_conventional_path_and_port() -> None:
    from obsgen import conventions as C
    from obsgen.demo import names as D

    assert fault_schedule.FAULTS_PATH == D.DEMO_FAULTS_PATH
    assert webhook.DEFAULT_PORT == C.WEBHOOK_PORT
