"""``k8s/dashboards/*.yaml``: every dashboard as a ConfigMap the Grafana sidecar loads (Kubernetes output)."""

from __future__ import annotations

from pathlib import PurePosixPath

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.generate.dashboards import provisioning, take_dashboard_texts
from obsgen.model import Catalog


def generate(catalog: Catalog) -> dict[str, Artifact]:
    out: dict[str, Artifact] = {}
    # The dashboards generator's texts: each dashboard is built and serialised once for both outputs.
    for path, text in take_dashboard_texts(catalog).items():
        name = PurePosixPath(path).stem
        out[C.dashboard_configmap_path(name)] = Yaml(provisioning.configmap(name, text))
    return out
