"""``k8s/prometheusrules/<service>.yaml``: the same rule groups as PrometheusRule resources.

One resource per service, without a namespace: apply it where your Prometheus Operator looks for
rules (``ruleNamespaceSelector``).  One copy only: the recordings carry no namespace label, so
copies in several namespaces evaluated by one Prometheus would collide.

The rules generator (:mod:`obsgen.generate.alerting.rules`) writes these with the kubernetes output,
from the rule file's text: the resource's ``spec`` is the rule file, one level down.
"""

from __future__ import annotations

from obsgen import conventions as C
from obsgen import render
from obsgen.generate.alerting.documents import RuleGroup
from obsgen.generate.artifacts import Artifact, Text, YamlDocuments
from obsgen.generate.kubernetes.objects import KubernetesObject, PrometheusRule
from obsgen.model import Service

API_VERSION = "monitoring.coreos.com/v1"
KIND = "PrometheusRule"


def _head(service: Service) -> KubernetesObject:
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
    }


def prometheus_rule(service: Service, groups: list[RuleGroup]) -> PrometheusRule:
    """The resource carrying ``groups`` (a service's rule groups, :func:`rules.rule_groups`)."""
    return {**_head(service), "spec": {"groups": groups}}


def prometheus_rule_file(service: Service, groups: list[RuleGroup], rule_file: str) -> Artifact:
    """The resource's file, built around ``rule_file``: the rule file's YAML (``{"groups": groups}``,
    :func:`render.yaml_text`) is the resource's ``spec``, so the groups are serialised once for both
    files.  The same bytes as serialising :func:`prometheus_rule` (tests/test_alerts_prometheusrule_text.py);
    where :func:`render.nested_yaml` cannot vouch for the shifted text, the resource is serialised whole.
    """
    spec = render.nested_yaml(rule_file)
    head = render.to_yaml_documents([_head(service)]).decode("utf-8")
    if spec is None or head.endswith("\n...\n"):
        return YamlDocuments([prometheus_rule(service, groups)])
    return Text(head + "spec:\n" + spec, comment=None)
