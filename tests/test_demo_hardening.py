"""The demo under hostile clients and an impatient orchestrator, against real processes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from obsgen import conventions as c
from obsgen.demo.app import MAX_BODY_BYTES
from obsgen.generate import generate
from tests.conftest import REPO
from tests.instrument_helpers import DemoProcess, demo_process, wait_for


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_process() as process:
        process.wait_ready()
        yield process


@pytest.mark.parametrize("path", [c.DEMO_PREDICT_PATH, c.DEMO_FAULTS_PATH])
def test_a_body_over_the_limit_is_refused_413_and_probes_keep_answering(demo: DemoProcess, path: str) -> None:
    big = demo.post(path, content=b"x" * (10 * 2**20), headers={"content-type": "application/json"})
    assert big.status_code == 413
    assert demo.get(c.LIVENESS_PATH).status_code == 200


def test_a_chunked_body_is_cut_at_the_limit_whatever_it_claims(demo: DemoProcess) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"y" * (MAX_BODY_BYTES // 8)

    assert demo.post(c.DEMO_PREDICT_PATH, content=chunks()).status_code == 413
    assert demo.post(c.DEMO_PREDICT_PATH, json={"text": "good"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"extra_latency_ms": 1e308}',
        b'{"extra_latency_ms": NaN}',
        b'{"error_rate": NaN}',
        b'{"extra_latency_ms": -1}',
        b'{"error_rate": Infinity}',
        b'{"error_rate": -0.5}',
        b"[1]",
    ],
)
def test_fault_values_out_of_range_are_refused_400(demo: DemoProcess, body: bytes) -> None:
    assert demo.post(c.DEMO_FAULTS_PATH, content=body).status_code == 400
    assert demo.get(c.DEMO_FAULTS_PATH).json() == {"error_rate": 0.0, "extra_latency_ms": 0.0}
    assert demo.get(c.DEMO_PREDICT_PATH, params={"text": "good"}).status_code == 200


def test_fault_injection_is_off_unless_enabled() -> None:
    with demo_process(**{c.ENV_DEMO_FAULTS: ""}) as plain:
        plain.wait_ready()
        assert plain.get(c.DEMO_FAULTS_PATH).status_code == 404
        assert plain.post(c.DEMO_FAULTS_PATH, json={"error_rate": 1.0}).status_code in (404, 405)
        started = time.monotonic()
        assert plain.get(c.DEMO_PREDICT_PATH, params={"text": "ok", "delay_ms": "5000"}).status_code == 200
        assert time.monotonic() - started < 4, "delay_ms is fault injection too: ignored when faults are off"


@pytest.mark.parametrize(("name", "value"), [(c.ENV_ERROR_RATE, "1"), (c.ENV_EXTRA_LATENCY_MS, "100")])
def test_fault_settings_without_enabling_faults_refuse_to_start(name: str, value: str) -> None:
    env = {"PATH": "/usr/bin:/bin", name: value}
    result = subprocess.run(
        [sys.executable, "-m", "obsgen.demo"], env=env, capture_output=True, text=True, timeout=30, cwd=REPO
    )
    assert result.returncode == 2
    assert f"set {c.ENV_DEMO_FAULTS}={c.DEMO_FAULTS_ENABLED}" in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "1e308"])
def test_fault_settings_must_be_finite_and_bounded(value: str) -> None:
    env = {"PATH": "/usr/bin:/bin", c.ENV_DEMO_FAULTS: c.DEMO_FAULTS_ENABLED, c.ENV_EXTRA_LATENCY_MS: value}
    result = subprocess.run(
        [sys.executable, "-m", "obsgen.demo"], env=env, capture_output=True, text=True, timeout=30, cwd=REPO
    )
    assert result.returncode == 2
    assert c.ENV_EXTRA_LATENCY_MS in result.stderr


def test_sigterm_during_model_load_exits_within_the_grace_period() -> None:
    grace = 5.0
    with demo_process(
        MODEL_LOAD_SECONDS="120", SHUTDOWN_GRACE_SECONDS=str(grace), SHUTDOWN_DELAY_SECONDS="0.5"
    ) as demo:
        demo.wait_live()
        assert demo.get(c.READINESS_PATH).status_code == 503, "still loading"
        demo.terminate()
        started = time.monotonic()
        wait_for(lambda: demo.proc.poll() is not None, "the demo to exit after SIGTERM")
        assert time.monotonic() - started < grace
        assert demo.proc.returncode == 0, demo.stderr()


def test_generated_manifests_never_enable_fault_injection(tmp_path: Path) -> None:
    from obsgen.catalog import load_catalog

    plan = generate(load_catalog((REPO / "catalog.yaml").read_bytes(), "catalog.yaml"))
    for rel, content in plan.items():
        if rel.startswith(c.K8S_DIR + "/"):
            for name in (c.ENV_DEMO_FAULTS, c.ENV_ERROR_RATE, c.ENV_EXTRA_LATENCY_MS):
                assert name.encode() not in content, f"{rel} sets {name}"
