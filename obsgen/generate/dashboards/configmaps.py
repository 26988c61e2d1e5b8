"""``k8s/dashboards/*.yaml``: every dashboard as a ConfigMap the Grafana sidecar loads (Kubernetes output)."""

from __future__ import annotations

from pathlib import PurePosixPath

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.generate.dashboards import dashboards, provisioning
from obsgen.model import Catalog


def generate(catalog: Catalog) -> dict[str, Artifact]:
    out: dict[str, Artifact] = {}
    for path, board in dashboards(catalog).items():
        name = PurePosixPath(path).stem
        out[C.dashboard_configmap_path(name)] = Yaml(provisioning.configmap(name, board))
    return out
