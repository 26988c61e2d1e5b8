"""The demo image builds from stack/demo/Dockerfile and its HEALTHCHECK passes (needs a Docker engine).

No image registry is reachable on the machines this was written on, so the
build starts from a base image imported locally and passed as the Dockerfile's
PYTHON_IMAGE build argument (docs/deployment.md shows how to make one with
debootstrap + ``docker import``).  Skipped unless ``docker info`` answers and
that image (``OBSGEN_TEST_BASE_IMAGE``, default ``obsgen-local/python:3.11-bookworm``)
exists locally.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from obsgen import conventions as C
from tests.conftest import REPO

BASE_IMAGE = os.environ.get("OBSGEN_TEST_BASE_IMAGE", "obsgen-local/python:3.11-bookworm")
#: What stack/demo/Dockerfile.dockerignore lets into the build context.
CONTEXT_FILES = ("pyproject.toml", "README.md", "obsgen", "stack/demo", "stack/webhook")
WAIT_SECONDS = 60.0


def _docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def docker() -> None:
    if shutil.which("docker") is None:
        pytest.skip("docker CLI not installed")
    if _docker("info", timeout=20).returncode != 0:
        pytest.skip("no Docker engine answers (start dockerd)")
    if _docker("image", "inspect", BASE_IMAGE, timeout=20).returncode != 0:
        pytest.skip(f"base image {BASE_IMAGE} not present locally (see docs/deployment.md)")


def _context(tmp: Path) -> Path:
    for rel in CONTEXT_FILES:
        source, target = REPO / rel, tmp / rel
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tmp


def _wait_for_health(container: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    status = "unknown"
    while time.monotonic() < deadline:
        status = _docker("inspect", "-f", "{{.State.Health.Status}}", container).stdout.strip()
        if status in ("healthy", "unhealthy"):
            return status
        time.sleep(0.5)
    return status


def test_the_demo_image_builds_runs_as_non_root_turns_healthy_and_stops_cleanly(
    docker: None, tmp_path: Path
) -> None:
    tag = f"obsgen-demo-test:{uuid.uuid4().hex[:8]}"
    name = f"obsgen-demo-test-{uuid.uuid4().hex[:8]}"
    context = _context(tmp_path)
    build = _docker(
        "build",
        "--build-arg",
        f"PYTHON_IMAGE={BASE_IMAGE}",
        "-f",
        str(context / "stack/demo/Dockerfile"),
        "-t",
        tag,
        str(context),
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    try:
        # The same restrictions as docker-compose.yml puts on the demo replicas.
        run = _docker(
            "run",
            "-d",
            "--name",
            name,
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges:true",
            "-e",
            f"{C.ENV_LOG_LEVEL}=debug",
            tag,
        )
        assert run.returncode == 0, run.stderr
        assert _wait_for_health(name) == "healthy", _docker("logs", name).stderr[-3000:]
        assert _docker("exec", name, "id", "-u").stdout.strip() == "10001"
        stop = _docker("stop", "-t", "30", name, timeout=60)
        assert stop.returncode == 0
        # SIGTERM drained and exited 0 well before docker's SIGKILL (which would be 137).
        assert _docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    finally:
        _docker("rm", "-f", name)
        _docker("rmi", "-f", tag)
