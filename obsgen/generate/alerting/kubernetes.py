"""``k8s/prometheusrules/<service>.yaml``: the same rule groups as PrometheusRule resources.

One resource per service, without a namespace: apply it where your Prometheus Operator looks for
rules (``ruleNamespaceSelector``).  One copy only: the recordings carry no namespace label, so
copies in several namespaces evaluated by one Prometheus would collide.
"""

from __future__ import annotations

from collections.abc import Iterator

from obsgen import conventions as C
from obsgen.generate.alerting.rules import rule_groups
from obsgen.generate.artifacts import Artifact, YamlDocuments
from obsgen.generate.kubernetes.objects import PrometheusRule
from obsgen.model import Catalog, Service

API_VERSION = "monitoring.coreos.com/v1"
KIND = "PrometheusRule"


def prometheus_rule(catalog: Catalog, service: Service) -> PrometheusRule | None:
    groups = rule_groups(catalog, service)
    if not groups:
        return None
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": C.k8s_prometheusrule_name(service.name),
            "labels": {
                C.K8S_NAME_LABEL: service.name,
                C.K8S_PART_OF_LABEL: C.K8S_PART_OF,
                C.K8S_MANAGED_BY_LABEL: C.K8S_MANAGED_BY,
            },
        },
        "spec": {"groups": groups},
    }


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return dict(files(catalog))


def files(catalog: Catalog) -> Iterator[tuple[str, Artifact]]:
    """What :func:`generate` returns, one service at a time (the pipeline streams it)."""
    for service in catalog.services:
        resource = prometheus_rule(catalog, service)
        if resource is not None:
            yield C.k8s_prometheusrule_path(service.name), YamlDocuments([resource])
