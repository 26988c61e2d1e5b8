"""Where an instrumented service listens: loopback unless told otherwise (nothing exposed by accident)."""

from __future__ import annotations

import yaml

from obsgen import conventions as C
from obsgen.instrument import ServerSettings
from tests.conftest import REPO


def test_default_host_is_loopback_and_host_env_is_honoured() -> None:
    assert ServerSettings.from_env({}).host == "127.0.0.1"
    assert ServerSettings.from_env({C.ENV_HOST: "0.0.0.0"}).host == "0.0.0.0"
    assert ServerSettings.from_env({C.ENV_HOST: "0.0.0.0"}, host="::1").host == "::1"


def test_containers_listen_on_all_interfaces() -> None:
    dockerfile = (REPO / "stack/demo/Dockerfile").read_text()
    assert f"{C.ENV_HOST}={C.CONTAINER_LISTEN_HOST}" in dockerfile
    for doc in yaml.safe_load_all((REPO / "k8s/prod/demo.yaml").read_text()):
        if doc and doc["kind"] == "ConfigMap":
            assert doc["data"][C.ENV_HOST] == C.CONTAINER_LISTEN_HOST
            break
    else:
        raise AssertionError("no ConfigMap in k8s/prod/demo.yaml")
