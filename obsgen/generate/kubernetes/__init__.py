"""Kubernetes manifests for every catalog service in every catalog environment.

Per environment (its own namespace, ``k8s/<env>/``): a Namespace, and per
service the catalog says how to deploy (``services.<s>.deploy``: image, port,
probes, resources) one file holding its ConfigMap (LOG_LEVEL of that
environment, the shutdown timings), the Deployment, the Service and a
PodDisruptionBudget.  No Secret is generated (applying an empty one would blank
the real one); the Deployment references it as optional.  Shared: the
PriorityClass (``k8s/priorityclass.yaml``) and, for every service, deployed by
obsgen or not, a ServiceMonitor in each environment's namespace
(``k8s/servicemonitors/<service>.yaml``; needs the Prometheus Operator CRDs).

The talk's practices are here as data (:data:`POD_POLICY`); the Deployment is a
Jinja template only so its comments can explain each number next to it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import jinja2

from obsgen import conventions as C
from obsgen import durations
from obsgen.generate.artifacts import Artifact, Text, Yaml, YamlDocuments
from obsgen.generate.kubernetes.objects import Namespace, PriorityClass, ServiceMonitor
from obsgen.model import Catalog, Environment, Service, Workload

__all__ = ["POD_POLICY", "PodPolicy", "generate", "service_context"]


@dataclass(frozen=True)
class Probe:
    initial_delay_seconds: int
    period_seconds: int
    timeout_seconds: int
    failure_threshold: int
    success_threshold: int = 1

    @property
    def detection_seconds(self) -> int:
        """Worst case from the first failed check to the probe's verdict."""
        return self.period_seconds * self.failure_threshold + self.timeout_seconds


@dataclass(frozen=True)
class PodPolicy:
    """Every knob of the generated workloads, with where its number comes from (see the template)."""

    #: Zero-downtime rollouts and PDB-respecting node drains need a second pod to serve meanwhile.
    min_replicas: int = 2
    #: requests == limits for every container: the Guaranteed QoS class (evicted last under pressure).
    cpu: str = "500m"
    memory: str = "256Mi"
    #: Priority of obsgen services over best-effort workloads when the cluster is full.
    priority: int = 100_000
    #: preStop sleep: the time kube-proxy and ingress controllers need to drop an endpoint.
    prestop_sleep_seconds: int = int(C.DEFAULT_SHUTDOWN_DELAY_SECONDS)
    #: The app's own delay after SIGTERM (``SHUTDOWN_DELAY_SECONDS``): /ready fails, requests still served.
    shutdown_delay_seconds: int = int(C.DEFAULT_SHUTDOWN_DELAY_SECONDS)
    #: Kubernetes' default and the talk's "forces kill if 30 s limit exceeded".
    termination_grace_seconds: int = 30
    liveness: Probe = Probe(
        initial_delay_seconds=10, period_seconds=10, timeout_seconds=2, failure_threshold=3
    )
    readiness: Probe = Probe(
        initial_delay_seconds=2, period_seconds=5, timeout_seconds=2, failure_threshold=2
    )
    revision_history: int = 5

    @property
    def app_grace_seconds(self) -> int:
        """``SHUTDOWN_GRACE_SECONDS``: what is left of the grace period once the preStop hook returns."""
        return self.termination_grace_seconds - self.prestop_sleep_seconds

    def __post_init__(self) -> None:
        if self.app_grace_seconds <= self.shutdown_delay_seconds + 1:
            raise ValueError("the grace period leaves no time to drain after the preStop hook and the delay")


POD_POLICY: Final = PodPolicy()

_TEMPLATES: Final = jinja2.Environment(
    loader=jinja2.PackageLoader("obsgen", "templates/kubernetes"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # YAML, not HTML: every value goes through |tojson instead
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _workload(service: Service) -> Workload:
    if service.workload is None:
        raise ValueError(f"service {service.name} has no deploy block: obsgen does not deploy it")
    return service.workload


def _port(service: Service) -> int:
    return _workload(service).port


def pod_policy(service: Service, policy: PodPolicy = POD_POLICY) -> PodPolicy:
    """``policy`` with the service's own resources and preStop delay (``services.<s>.deploy``)."""
    workload = _workload(service)
    return dataclasses.replace(
        policy,
        cpu=workload.cpu,
        memory=workload.memory,
        prestop_sleep_seconds=int(workload.prestop_delay.total_seconds()),
    )


def labels(service: Service, environment: Environment) -> dict[str, str]:
    return {
        C.K8S_NAME_LABEL: service.name,
        C.K8S_PART_OF_LABEL: C.K8S_PART_OF,
        C.K8S_MANAGED_BY_LABEL: C.K8S_MANAGED_BY,
        C.K8S_ENVIRONMENT_LABEL: environment.name,
    }


def config_data(service: Service, environment: Environment, policy: PodPolicy = POD_POLICY) -> dict[str, str]:
    """The ConfigMap: 12-factor config of one service in one environment (all values strings)."""
    return {
        C.ENV_ENVIRONMENT: environment.name,
        # A pod's port must be reachable by the kubelet's probes and the Service.
        C.ENV_HOST: C.CONTAINER_LISTEN_HOST,
        C.ENV_LOG_LEVEL: environment.log_level,
        C.ENV_PORT: str(_port(service)),
        C.ENV_SERVICE_NAME: service.name,
        C.ENV_SHUTDOWN_DELAY: str(policy.shutdown_delay_seconds),
        C.ENV_SHUTDOWN_GRACE: str(policy.app_grace_seconds),
    }


def service_context(
    service: Service, environment: Environment, policy: PodPolicy = POD_POLICY
) -> dict[str, Any]:
    """Everything the template prints for one service in one environment."""
    policy = pod_policy(service, policy)
    workload = _workload(service)
    config = config_data(service, environment, policy)
    checksum = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    return {
        "name": service.name,
        "namespace": C.k8s_namespace(environment.name),
        "environment": environment.name,
        # Printed in a comment: one line.
        "description": " ".join((service.description or service.name).split()),
        "labels": labels(service, environment),
        "selector": {C.K8S_NAME_LABEL: service.name},
        "service_labels": {**labels(service, environment), C.K8S_JOB_LABEL: service.job},
        "config_name": f"{service.name}-config",
        "config": config,
        "config_checksum": checksum,
        "secret_name": f"{service.name}-secrets",
        "secret_keys": [C.ENV_SENTRY_DSN],
        "image": workload.image,
        "port": _port(service),
        "port_name": C.K8S_METRICS_PORT_NAME,
        "replicas": max(policy.min_replicas, len(service.targets)),
        "priority_class": C.K8S_PRIORITY_CLASS,
        "liveness_path": workload.liveness_path,
        "readiness_path": workload.readiness_path,
        # The comments explain obsgen.instrument's probes only where the service uses its paths.
        "obsgen_probes": (workload.liveness_path, workload.readiness_path)
        == (C.LIVENESS_PATH, C.READINESS_PATH),
        "policy": policy,
    }


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _yaml_map(values: dict[str, str], indent: int) -> str:
    """A mapping of strings as indented block YAML lines, keys sorted (no trailing newline)."""
    return "\n".join(f"{' ' * indent}{_tojson(k)}: {_tojson(v)}" for k, v in sorted(values.items()))


_TEMPLATES.filters["tojson"] = _tojson
_TEMPLATES.filters["yaml_map"] = _yaml_map


def service_manifests(service: Service, environment: Environment, policy: PodPolicy = POD_POLICY) -> str:
    """ConfigMap, Deployment, Service and PodDisruptionBudget as one commented YAML stream."""
    return _TEMPLATES.get_template("service.yaml.j2").render(service_context(service, environment, policy))


def namespace(environment: Environment) -> Namespace:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": C.k8s_namespace(environment.name),
            "labels": {
                C.K8S_PART_OF_LABEL: C.K8S_PART_OF,
                C.K8S_MANAGED_BY_LABEL: C.K8S_MANAGED_BY,
                C.K8S_ENVIRONMENT_LABEL: environment.name,
            },
        },
    }


def priority_class(policy: PodPolicy = POD_POLICY) -> PriorityClass:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {
            "name": C.K8S_PRIORITY_CLASS,
            "labels": {C.K8S_PART_OF_LABEL: C.K8S_PART_OF, C.K8S_MANAGED_BY_LABEL: C.K8S_MANAGED_BY},
        },
        "value": policy.priority,
        "globalDefault": False,
        "preemptionPolicy": "PreemptLowerPriority",
        "description": "Services described in the obsgen catalog: scheduled (and kept) before best-effort workloads.",
    }


def service_monitor(catalog: Catalog, service: Service, environment: Environment) -> ServiceMonitor:
    """Prometheus Operator ServiceMonitor: scrape the Service's pods with the catalog's job and interval.

    A Service obsgen generates carries the job in a label (``jobLabel``); one deployed by others
    only needs the name label and a port named ``http``, and the job is set by relabelling.
    """
    endpoint: dict[str, Any] = {
        "port": C.K8S_METRICS_PORT_NAME,
        "path": C.METRICS_PATH,
        "interval": durations.format_prometheus(catalog.scrape_interval),
    }
    spec: dict[str, Any] = {}
    if service.workload is not None:
        # The job label of every series is the catalog's job, as alerts and dashboards select it.
        spec["jobLabel"] = C.K8S_JOB_LABEL
    else:
        endpoint["relabelings"] = [
            {"action": "replace", "targetLabel": C.LABEL_JOB, "replacement": service.job}
        ]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {
            "name": service.name,
            "namespace": C.k8s_namespace(environment.name),
            "labels": labels(service, environment),
        },
        "spec": {
            **spec,
            "selector": {"matchLabels": {C.K8S_NAME_LABEL: service.name}},
            "namespaceSelector": {"matchNames": [C.k8s_namespace(environment.name)]},
            "endpoints": [endpoint],
        },
    }


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return dict(files(catalog))


def files(catalog: Catalog) -> Iterator[tuple[str, Artifact]]:
    """What :func:`generate` returns, one file at a time (the pipeline streams it)."""
    if not catalog.services:
        return
    deployed = [service for service in catalog.services if service.workload is not None]
    if deployed:
        yield C.K8S_PRIORITY_CLASS_PATH, Yaml(priority_class())
    for environment in catalog.environments:
        yield C.k8s_namespace_path(environment.name), Yaml(namespace(environment))
        for service in deployed:
            yield (
                C.k8s_service_manifest_path(environment.name, service.name),
                Text(service_manifests(service, environment)),
            )
    for service in catalog.services:
        if not service.source.has_up:
            continue  # measured at its edge proxy or mesh: nothing of the service itself to scrape
        yield (
            C.k8s_servicemonitor_path(service.name),
            YamlDocuments(
                [service_monitor(catalog, service, environment) for environment in catalog.environments]
            ),
        )
