"""The shapes of the Kubernetes objects obsgen writes as data (the per-service manifests are a
template): the head every object shares (``apiVersion``, ``kind``, ``metadata``) and the bodies
that are cheap to spell out.  TypedDicts over plain dicts: the bytes come from the dicts as built.
"""

from __future__ import annotations

from typing import Any, Required, TypedDict

from obsgen.generate.alerting.documents import RuleGroup


class ObjectMeta(TypedDict, total=False):
    name: Required[str]
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]


class KubernetesObject(TypedDict):
    apiVersion: str
    kind: str
    metadata: ObjectMeta


class Namespace(KubernetesObject):
    pass


class PriorityClass(KubernetesObject):
    value: int
    globalDefault: bool
    preemptionPolicy: str
    description: str


class ConfigMap(KubernetesObject):
    data: dict[str, str]


class ServiceMonitor(KubernetesObject):
    spec: dict[str, Any]


class PrometheusRuleSpec(TypedDict):
    groups: list[RuleGroup]


class PrometheusRule(KubernetesObject):
    spec: PrometheusRuleSpec
