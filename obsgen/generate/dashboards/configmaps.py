"""``k8s/dashboards/*.yaml``: every dashboard as a ConfigMap the Grafana sidecar loads (Kubernetes output)."""

from __future__ import annotations

from pathlib import PurePosixPath

from obsgen import conventions as C
from obsgen import render
from obsgen.generate.artifacts import Artifact, Text, Yaml
from obsgen.generate.dashboards import provisioning


def configmaps(texts: dict[str, str]) -> dict[str, Artifact]:
    """A ConfigMap per dashboard, from the dashboards' JSON texts keyed by their paths."""
    out: dict[str, Artifact] = {}
    for path, text in texts.items():
        name = PurePosixPath(path).stem
        out[C.dashboard_configmap_path(name)] = configmap_file(name, text)
    return out


def configmap_file(name: str, text: str) -> Artifact:
    """The ConfigMap of dashboard ``name`` around its JSON ``text``, which is not serialised again.

    The same bytes as serialising :func:`provisioning.configmap` (``render.literal_last`` writes the
    literal block PyYAML would; where it cannot vouch for that, the ConfigMap is serialised whole).
    """
    head = render.to_yaml(provisioning.configmap(name, "")).decode("utf-8")
    written = render.literal_last(head, text)
    if written is None:
        return Yaml(provisioning.configmap(name, text))
    return Text(written, comment=None)
