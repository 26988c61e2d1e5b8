"""``k8s/dashboards/*.yaml``: every dashboard as a ConfigMap the Grafana sidecar loads (Kubernetes output)."""

from __future__ import annotations

from pathlib import PurePosixPath

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.generate.dashboards import provisioning


def configmaps(texts: dict[str, str]) -> dict[str, Artifact]:
    """A ConfigMap per dashboard, from the dashboards' JSON texts keyed by their paths."""
    out: dict[str, Artifact] = {}
    for path, text in texts.items():
        name = PurePosixPath(path).stem
        out[C.dashboard_configmap_path(name)] = Yaml(provisioning.configmap(name, text))
    return out
