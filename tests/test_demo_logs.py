"""Logs of the real demo process: LOG_LEVEL, forwarding to Fluentd, and Fluentd being down."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from obsgen import conventions as c
from obsgen.demo import names as D
from tests.instrument_helpers import WAIT_SECONDS, ForwardListener, demo_process, free_port, wait_for


def test_log_level_warning_hides_info_lines_but_keeps_failed_requests() -> None:
    with demo_process(LOG_LEVEL="WARNING", ERROR_RATE="1") as demo:
        demo.wait_ready()
        assert demo.get(D.DEMO_MODEL_PATH).status_code == 200
        assert demo.get(D.DEMO_PREDICT_PATH, params={"text": "x"}).status_code == 500
        demo.terminate()
        assert demo.proc.wait(WAIT_SECONDS) == 0
        records = demo.log_lines()
        assert records, "an error line is expected"
        assert {r[c.LOG_LEVEL_FIELD] for r in records} <= {"warning", "error", "critical"}
        (failed,) = [r for r in records if r.get(c.LOG_LOGGER) == c.ACCESS_LOGGER]
        assert failed[c.LOG_LEVEL_FIELD] == "error"
        assert failed[c.LOG_STATUS] == 500
        assert failed[c.LOG_ERROR_CODE] == "INJECTED_FAULT"


def test_log_level_debug_shows_debug_lines() -> None:
    with demo_process(LOG_LEVEL="debug") as demo:
        demo.wait_ready()
        demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"})
        wait_for(
            lambda: any(
                r[c.LOG_LEVEL_FIELD] == "debug" and r[c.LOG_MESSAGE] == "predicted" for r in demo.log_lines()
            ),
            "a debug line",
        )


def test_log_records_reach_a_fluentd_forward_listener_with_their_fields() -> None:
    listener = ForwardListener()
    try:
        with demo_process(
            FLUENTD_HOST="127.0.0.1", FLUENTD_PORT=str(listener.port), SERVICE_NAME="demo", ENVIRONMENT="ci"
        ) as demo:
            demo.wait_ready()
            demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"}, headers={c.REQUEST_ID_HEADER: "fwd-1"})

            def forwarded() -> tuple[str, object, dict[str, object]] | None:
                hits = [m for m in listener.snapshot() if m[2].get(c.LOG_REQUEST_ID) == "fwd-1"]
                return hits[0] if hits else None

            tag, timestamp, record = wait_for(forwarded, "the access line to reach the listener")
            assert tag == f"{c.FLUENTD_TAG_PREFIX}.demo"
            assert isinstance(timestamp, int) and timestamp > 0
            assert record[c.LOG_SERVICE] == "demo"
            assert record[c.LOG_ENVIRONMENT] == "ci"
            assert record[c.LOG_ROUTE] == D.DEMO_PREDICT_PATH
            assert record[c.LOG_STATUS] == 200
            assert record[c.LOG_METHOD] == "GET"
            assert record[c.LOG_MESSAGE] == c.ACCESS_LOG_MESSAGE
            # stdout keeps the same line: forwarding is in addition to 12-factor stdout logs.
            assert any(r.get(c.LOG_REQUEST_ID) == "fwd-1" for r in demo.log_lines())
    finally:
        listener.close()


def test_fluentd_unreachable_changes_nothing_for_clients() -> None:
    with demo_process(FLUENTD_HOST="127.0.0.1", FLUENTD_PORT=str(free_port())) as demo:
        demo.wait_ready()
        statuses = [demo.get(D.DEMO_PREDICT_PATH, params={"text": f"n{i}"}).status_code for i in range(50)]
        assert statuses == [200] * 50
        assert demo.get(c.READINESS_PATH).status_code == 200
        families = {f.name for f in text_string_to_metric_families(demo.get(c.METRICS_PATH).text)}
        assert c.LOG_RECORDS_DROPPED_TOTAL.removesuffix("_total") in families
        demo.terminate()
        assert demo.proc.wait(WAIT_SECONDS) == 0
        access = [r for r in demo.log_lines() if r.get(c.LOG_LOGGER) == c.ACCESS_LOGGER]
        assert len(access) == 50, "stdout logs must not depend on Fluentd"
