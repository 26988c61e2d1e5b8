"""The demo's HTTP surface as clients and Prometheus see it, against one real process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from obsgen import conventions as c
from obsgen.demo import names as D
from tests.instrument_helpers import DemoProcess, demo_process, json_lines, wait_for


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_process(SERVICE_NAME="demo") as process:
        process.wait_ready()
        yield process


def samples(demo: DemoProcess, name: str) -> list[Sample]:
    families = text_string_to_metric_families(demo.get(c.METRICS_PATH).text)
    return [s for family in families for s in family.samples if s.name == name]


def requests_counted(demo: DemoProcess) -> int:
    """Every request the demo's own counter has seen so far (probes and /metrics are not counted)."""
    return int(sum(s.value for s in samples(demo, c.REQUESTS_TOTAL)))


def access_lines(demo: DemoProcess, *request_ids: str) -> dict[str, dict[str, object]] | None:
    """Access lines by request id once every one of ``request_ids`` is logged (None before).

    The line is written after the response may have reached the client, and the last line of
    the file may still be half written: only complete lines are read.
    """
    text = demo.stdout()
    records = json_lines(text[: text.rfind("\n") + 1])
    by_id = {str(r.get(c.LOG_REQUEST_ID)): r for r in records if r.get(c.LOG_LOGGER) == c.ACCESS_LOGGER}
    return by_id if all(i in by_id for i in request_ids) else None


def test_exported_metrics_match_the_conventions_the_generators_query(demo: DemoProcess) -> None:
    before = requests_counted(demo)
    demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"})
    demo.post(D.DEMO_PREDICT_PATH, json={"text": "bad"})
    demo.get("/no/such/path")
    for path in (c.LIVENESS_PATH, c.READINESS_PATH, c.METRICS_PATH):
        demo.get(path)
    # The middleware counts a request after its response is sent: wait until all three are.
    wait_for(lambda: requests_counted(demo) >= before + 3, "the demo to count the three requests")

    requests = samples(demo, c.REQUESTS_TOTAL)
    assert requests, f"{c.REQUESTS_TOTAL} missing"
    for sample in requests:
        assert tuple(sorted(sample.labels)) == tuple(sorted(c.REQUEST_LABELS))
    routes = {s.labels[c.LABEL_ROUTE] for s in requests}
    assert {D.DEMO_PREDICT_PATH, c.UNMATCHED_ROUTE} <= routes
    assert not routes & c.UNCOUNTED_PATHS, "probes and /metrics are not client experience"
    assert "/no/such/path" not in routes, "raw paths must never become label values"
    codes = {(s.labels[c.LABEL_METHOD], s.labels[c.LABEL_ROUTE], s.labels[c.LABEL_CODE]) for s in requests}
    assert {("GET", D.DEMO_PREDICT_PATH, "200"), ("POST", D.DEMO_PREDICT_PATH, "200")} <= codes

    buckets = samples(demo, c.REQUEST_DURATION_SECONDS + c.BUCKET_SUFFIX)
    predict_get = [
        s
        for s in buckets
        if s.labels[c.LABEL_ROUTE] == D.DEMO_PREDICT_PATH and s.labels[c.LABEL_METHOD] == "GET"
    ]
    assert [float(s.labels[c.LABEL_LE]) for s in predict_get] == [*c.DEFAULT_BUCKETS, float("inf")]
    for sample in buckets:
        assert set(sample.labels) == {*c.DURATION_LABELS, c.LABEL_LE}
    for suffix in (c.COUNT_SUFFIX, c.SUM_SUFFIX):
        assert samples(demo, c.REQUEST_DURATION_SECONDS + suffix)
    assert samples(demo, c.REQUESTS_IN_FLIGHT)
    states = {s.labels[c.LABEL_STATE]: s.value for s in samples(demo, c.LIFECYCLE_STATE)}
    assert states == {state: float(state == "ready") for state in c.LIFECYCLE_STATES}


def test_fault_injection_changes_at_runtime(demo: DemoProcess) -> None:
    assert demo.get(D.DEMO_FAULTS_PATH).json() == {"error_rate": 0.0, "extra_latency_ms": 0.0}
    try:
        changed = demo.post(D.DEMO_FAULTS_PATH, json={"error_rate": 1.0})
        assert changed.json() == {"error_rate": 1.0, "extra_latency_ms": 0.0}
        failing = demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"})
        assert failing.status_code == 500
        assert demo.get(D.DEMO_MODEL_PATH).status_code == 200, "only /predict is affected"
        assert demo.post(D.DEMO_FAULTS_PATH, json={"error_rate": 2}).status_code == 400
        assert demo.post(D.DEMO_FAULTS_PATH, content=b"not json").status_code == 400
    finally:
        demo.post(D.DEMO_FAULTS_PATH, json={"error_rate": 0.0, "extra_latency_ms": 0.0})
    assert demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"}).status_code == 200

    def predict_errors() -> float:
        return sum(
            s.value
            for s in samples(demo, c.REQUESTS_TOTAL)
            if s.labels[c.LABEL_ROUTE] == D.DEMO_PREDICT_PATH and s.labels[c.LABEL_CODE] == "500"
        )

    wait_for(lambda: predict_errors() >= 1, "the failed /predict to be counted with code 500")


def test_request_id_is_echoed_and_logged_with_the_access_fields(demo: DemoProcess) -> None:
    response = demo.get(D.DEMO_PREDICT_PATH, params={"text": "nice"}, headers={c.REQUEST_ID_HEADER: "req-42"})
    assert response.headers[c.REQUEST_ID_HEADER] == "req-42"
    generated = demo.get(D.DEMO_MODEL_PATH).headers[c.REQUEST_ID_HEADER]
    assert len(generated) >= 16

    by_id = wait_for(lambda: access_lines(demo, "req-42", generated), "the access lines of both requests")
    line = by_id["req-42"]
    assert set(c.ACCESS_LOG_FIELDS) <= line.keys()
    assert line[c.LOG_ROUTE] == D.DEMO_PREDICT_PATH
    assert line[c.LOG_URL] == f"{D.DEMO_PREDICT_PATH}?text=nice"
    assert line[c.LOG_STATUS] == 200
    assert line[c.LOG_METHOD] == "GET"
    assert isinstance(line[c.LOG_DURATION_MS], float)
    assert line[c.LOG_SERVICE] == "demo" and line[c.LOG_ENVIRONMENT] == "dev"
    assert isinstance(line[D.LOG_MODEL_VERSION], int), (
        "the demo's catalog maps model_version: it must be logged"
    )
    assert generated in by_id


def test_loadgen_drives_the_demo_and_prints_a_json_summary(demo: DemoProcess) -> None:
    before = requests_counted(demo)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "obsgen.demo.loadgen",
            "--url",
            demo.url,
            "--rps",
            "100",
            "--duration",
            "1",
            "--mix",
            "predict=1,predict_get=1,model=1",
            "--fail-on-error",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["summary"] is True
    assert summary["errors"] == {} and summary["failed"] == 0
    assert summary["codes"] == {"200": summary["requests"]}
    # Open loop: at most rps x duration requests are ever scheduled; how many a loaded
    # machine sends in that second is timing, so the count is checked against the server.
    assert 1 <= summary["requests"] <= 100
    wait_for(
        lambda: requests_counted(demo) - before == summary["requests"],
        f"the demo to count the {summary['requests']} requests the load generator reports",
    )


def test_loadgen_reports_connection_errors_and_fails_when_asked(demo: DemoProcess) -> None:
    from tests.instrument_helpers import free_port

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "obsgen.demo.loadgen",
            "--url",
            f"http://127.0.0.1:{free_port()}",
            "--rps",
            "20",
            "--duration",
            "0.5",
            "--fail-on-error",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["codes"] == {} and summary["failed"] == summary["requests"] > 0
    assert "ConnectionRefusedError" in summary["errors"]
