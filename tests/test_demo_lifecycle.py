"""The demo as a real process: readiness while the model loads and reloads, and draining on SIGTERM."""

from __future__ import annotations

import subprocess
import threading
import time

import httpx
import pytest

from obsgen import conventions as c
from obsgen.demo import names as D
from tests.instrument_helpers import WAIT_SECONDS, demo_process, wait_for


def test_live_but_not_ready_while_the_model_loads() -> None:
    with demo_process(MODEL_LOAD_SECONDS="2") as demo:
        demo.wait_live()
        ready = demo.get(c.READINESS_PATH)
        model = demo.get(D.DEMO_MODEL_PATH)
        assert ready.status_code == 503
        assert ready.json()["state"] == "starting"
        assert model.status_code == 200, "/model is the talk's liveness path: it must answer while loading"
        assert model.json()["loaded"] is False
        assert demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"}).status_code == 503

        demo.wait_ready()
        assert demo.get(D.DEMO_MODEL_PATH).json()["version"] == 1
        assert demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"}).json()["label"] == "positive"


def test_readiness_fails_while_the_model_reloads_and_predict_keeps_answering() -> None:
    with demo_process(MODEL_LOAD_SECONDS="1") as demo:
        demo.wait_ready()
        accepted = demo.post(D.DEMO_RELOAD_PATH)
        assert accepted.status_code == 202
        ready = demo.get(c.READINESS_PATH)
        assert (ready.status_code, ready.json()["state"]) == (503, "reloading")
        assert demo.get(c.LIVENESS_PATH).status_code == 200
        assert demo.get(D.DEMO_PREDICT_PATH, params={"text": "fine"}).status_code == 200
        assert demo.post(D.DEMO_RELOAD_PATH).status_code == 409, "a second reload while reloading is refused"

        demo.wait_ready()
        assert demo.get(D.DEMO_MODEL_PATH).json()["version"] == 2


def test_sigterm_fails_readiness_serves_through_the_delay_then_drains_and_exits_0() -> None:
    delay, grace, slow_ms = 1.5, 10.0, 3000
    with demo_process(SHUTDOWN_DELAY_SECONDS=str(delay), SHUTDOWN_GRACE_SECONDS=str(grace)) as demo:
        demo.wait_ready()
        slow: dict[str, object] = {}

        def slow_request() -> None:
            try:
                response = httpx.get(
                    f"{demo.url}{D.DEMO_PREDICT_PATH}?text=ok&delay_ms={slow_ms}", timeout=20
                )
                slow["status"] = response.status_code
            except httpx.HTTPError as exc:  # pragma: no cover - the failure being tested for
                slow["error"] = repr(exc)

        thread = threading.Thread(target=slow_request)
        thread.start()
        wait_for(
            lambda: demo.get("/metrics").text.count(f"{c.REQUESTS_IN_FLIGHT} 1.0") == 1, "the slow request"
        )
        demo.terminate()

        # During the delay: readiness fails at once, while other requests are still served.
        ready = wait_for(
            lambda: r if (r := demo.try_get(c.READINESS_PATH)) is not None and r.status_code == 503 else None,
            "503",
        )
        assert ready.json()["state"] == "draining"
        during = demo.try_get(f"{D.DEMO_PREDICT_PATH}?text=good")
        assert during is not None and during.status_code == 200, "requests must be served during the delay"
        assert during.headers.get("connection") == "close", (
            "keep-alive clients are told to reconnect elsewhere"
        )
        assert demo.proc.poll() is None

        # After the delay: the listener closes while the slow request is still running.
        wait_for(lambda: demo.try_get(c.LIVENESS_PATH) is None, "the listener to close")
        assert demo.proc.poll() is None, "the process must wait for the in-flight request"

        thread.join(WAIT_SECONDS)
        assert slow == {"status": 200}, "the in-flight request must complete"
        try:
            code = demo.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the demo did not exit within the {grace}s grace period")
        assert code == 0
        messages = [r[c.LOG_MESSAGE] for r in demo.log_lines()]
        assert "Finished server process" in " ".join(messages)


def test_exits_0_on_sigterm_with_no_traffic_and_logs_only_json() -> None:
    with demo_process(SERVICE_NAME="pay", ENVIRONMENT="staging") as demo:
        demo.wait_ready()
        demo.get(D.DEMO_PREDICT_PATH, params={"text": "x"})
        demo.terminate()
        assert demo.proc.wait(WAIT_SECONDS) == 0
        records = demo.log_lines()
        assert len(records) >= 5
        for record in records:
            assert record[c.LOG_SERVICE] == "pay"
            assert record[c.LOG_ENVIRONMENT] == "staging"
            assert {c.LOG_TIME, c.LOG_LEVEL_FIELD, c.LOG_MESSAGE} <= record.keys()


def test_a_request_during_shutdown_delay_is_not_refused_by_new_connections() -> None:
    # Readiness is not the only signal a load balancer may be slow to see: until
    # the delay ends, new connections must still be accepted and served.
    with demo_process(SHUTDOWN_DELAY_SECONDS="2") as demo:
        demo.wait_ready()
        demo.terminate()
        wait_for(
            lambda: (r := demo.try_get(c.READINESS_PATH)) is not None and r.status_code == 503, "draining"
        )
        started = time.monotonic()
        statuses = []
        while time.monotonic() - started < 0.5:
            response = demo.try_get(D.DEMO_MODEL_PATH)
            statuses.append(None if response is None else response.status_code)
        assert statuses and set(statuses) == {200}
        assert demo.proc.wait(WAIT_SECONDS) == 0
