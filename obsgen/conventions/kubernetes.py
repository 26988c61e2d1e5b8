"""Kubernetes names, labels and manifest paths (Deployments, ServiceMonitors, PrometheusRules, ConfigMaps)."""

from __future__ import annotations

from typing import Final

from obsgen.conventions.layout import K8S_DIR, dashboard_name, service_dashboard_path, use_dashboard_path

__all__ = [
    "DEFAULT_CPU",
    "DEFAULT_MEMORY",
    "DEFAULT_PRESTOP_DELAY",
    "ENV_SENTRY_DSN",
    "GRAFANA_DASHBOARD_LABEL",
    "IMAGE_TAG",
    "K8S_DASHBOARDS_DIR",
    "K8S_ENVIRONMENT_LABEL",
    "K8S_JOB_LABEL",
    "K8S_LABEL_MAX",
    "K8S_MANAGED_BY",
    "K8S_MANAGED_BY_LABEL",
    "K8S_METRICS_PORT_NAME",
    "K8S_NAME_LABEL",
    "K8S_PART_OF",
    "K8S_PART_OF_LABEL",
    "K8S_PRIORITY_CLASS",
    "K8S_PRIORITY_CLASS_PATH",
    "K8S_PROMETHEUSRULES_DIR",
    "K8S_SERVICEMONITORS_DIR",
    "dashboard_configmap_name",
    "dashboard_configmap_path",
    "k8s_env_dir",
    "k8s_label_values",
    "k8s_namespace",
    "k8s_namespace_path",
    "k8s_prometheusrule_name",
    "k8s_prometheusrule_path",
    "k8s_resource_label_values",
    "k8s_service_manifest_path",
    "k8s_servicemonitor_path",
    "service_image",
]

K8S_NAME_LABEL: Final = "app.kubernetes.io/name"
K8S_PART_OF_LABEL: Final = "app.kubernetes.io/part-of"
K8S_MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
K8S_MANAGED_BY: Final = "obsgen"
GRAFANA_DASHBOARD_LABEL: Final = "grafana_dashboard"
K8S_METRICS_PORT_NAME: Final = "http"
K8S_DASHBOARDS_DIR: Final = "k8s/dashboards"
#: Extra environment variable the Kubernetes Secret carries (empty until the user fills it).
ENV_SENTRY_DSN: Final = "SENTRY_DSN"
#: Label on a Kubernetes Service carrying the catalog's Prometheus ``job`` (ServiceMonitor jobLabel).
K8S_JOB_LABEL: Final = "obsgen.dev/job"
K8S_ENVIRONMENT_LABEL: Final = "obsgen.dev/environment"
K8S_PART_OF: Final = "obsgen"
K8S_SERVICEMONITORS_DIR: Final = "k8s/servicemonitors"
K8S_PRIORITY_CLASS: Final = "obsgen-service"
K8S_PRIORITY_CLASS_PATH: Final = "k8s/priorityclass.yaml"
#: Image tag the demo stack builds (``docker compose build``) and the manifests run.
IMAGE_TAG: Final = "0.1.0"
#: Defaults of a service's ``deploy`` block (Kubernetes Deployment).
DEFAULT_CPU: Final = "500m"
DEFAULT_MEMORY: Final = "256Mi"
DEFAULT_PRESTOP_DELAY: Final = "5s"


def k8s_env_dir(environment: str) -> str:
    """Manifests of one catalog environment (its own namespace)."""
    return f"{K8S_DIR}/{environment}"


def k8s_namespace(environment: str) -> str:
    return environment


def k8s_service_manifest_path(environment: str, service: str) -> str:
    return f"{k8s_env_dir(environment)}/{service}.yaml"


def k8s_namespace_path(environment: str) -> str:
    return f"{k8s_env_dir(environment)}/namespace.yaml"


def k8s_servicemonitor_path(service: str) -> str:
    return f"{K8S_SERVICEMONITORS_DIR}/{service}.yaml"


def service_image(service: str) -> str:
    """The image a service's Deployment runs (the demo stack builds ``obsgen-demo``)."""
    return f"obsgen-{service}:{IMAGE_TAG}"


def dashboard_configmap_name(dashboard: str) -> str:
    """Name of the ConfigMap carrying a dashboard for the Grafana sidecar."""
    return f"obsgen-dashboard-{dashboard}"


def dashboard_configmap_path(dashboard: str) -> str:
    return f"{K8S_DASHBOARDS_DIR}/{dashboard}.yaml"


K8S_PROMETHEUSRULES_DIR: Final = "k8s/prometheusrules"


def k8s_prometheusrule_path(service: str) -> str:
    return f"{K8S_PROMETHEUSRULES_DIR}/{service}.yaml"


def k8s_prometheusrule_name(service: str) -> str:
    return f"obsgen-{service}-alerts"


#: Kubernetes label values and DNS-1123 labels (Service names, namespaces) are at most 63 characters.
K8S_LABEL_MAX: Final = 63


def k8s_label_values(service: str) -> list[tuple[str, str]]:
    """Kubernetes names and label values built from a service name, with what each one is."""
    board = dashboard_name(service_dashboard_path(service))
    return [
        (service, "its Deployment, Service and name label"),
        (dashboard_configmap_name(board), "the name label of its dashboard ConfigMap"),
    ]


def k8s_resource_label_values(resource: str) -> list[tuple[str, str]]:
    board = dashboard_name(use_dashboard_path(resource))
    return [(dashboard_configmap_name(board), "the name label of its USE dashboard ConfigMap")]
