"""``stack/prometheus/prometheus.yml``: Prometheus, from the catalog.

One scrape job per catalog ``job`` (services and resources) with its static ``targets``;
on Kubernetes (``deploy.target: kubernetes``) services without targets get a
``kubernetes_sd_configs`` job keeping the endpoints of the Services labelled with their
name (:mod:`obsgen.generate.discovery`).  Prometheus and Alertmanager are scraped too, the
rule files ``alerts/`` are read where docker-compose.yml mounts them, and alerts go to
``deploy.alertmanager_url``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from obsgen import conventions as C
from obsgen import durations
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.generate.discovery import k8s_sd_services
from obsgen.model import Catalog, Resource, Service

_DEFAULT_PORTS = {"http": 80, "https": 443}


def endpoint(url: str) -> dict[str, Any]:
    """``scheme``, ``address`` (host:port) and ``path`` (no trailing slash) of an endpoint URL."""
    parts = urlsplit(url)
    address = parts.netloc if parts.port is not None else f"{parts.netloc}:{_DEFAULT_PORTS[parts.scheme]}"
    return {"scheme": parts.scheme, "address": address, "path": parts.path.rstrip("/")}


def scrape_targets(catalog: Catalog) -> dict[str, list[str]]:
    """``{job: targets}`` for every job Prometheus scrapes statically, in catalog order, built-ins first.

    Two catalog entries sharing a job share one scrape config (Prometheus
    rejects duplicate job names); their targets are merged without repeats.
    """
    prometheus = endpoint(catalog.deployment.prometheus_url)
    alertmanager = endpoint(catalog.deployment.alertmanager_url)
    jobs: dict[str, list[str]] = {
        # Prometheus scrapes itself on its own port, whatever name others reach it by.
        C.PROMETHEUS_JOB: [f"localhost:{prometheus['address'].rpartition(':')[2]}"],
        C.ALERTMANAGER_HOST: [alertmanager["address"]],
    }
    builtin = set(jobs)
    entries: list[Service | Resource] = [*catalog.services, *catalog.resources]
    for entry in entries:
        if not entry.targets:
            continue
        if entry.job in builtin:
            # The catalog describes this job itself: its targets win.
            jobs[entry.job] = []
            builtin.discard(entry.job)
        targets = jobs.setdefault(entry.job, [])
        targets.extend(t for t in entry.targets if t not in targets)
    return jobs


def _meta_label(kind: str, label: str) -> str:
    """Prometheus' ``__meta_kubernetes_<kind>_label_<name>`` for a Kubernetes label."""
    return f"__meta_kubernetes_{kind}_label_{re.sub(r'[^a-zA-Z0-9_]', '_', label)}"


def kubernetes_sd(catalog: Catalog, services: list[str]) -> dict[str, Any]:
    """Keys of a scrape config finding ``services`` through Kubernetes endpoints discovery."""
    # Service names are catalog names ([a-z][a-z0-9-]*): safe in a regex as they are.
    return {
        "kubernetes_sd_configs": [
            {
                "role": "endpoints",
                "namespaces": {"names": sorted({C.k8s_namespace(e.name) for e in catalog.environments})},
            }
        ],
        "relabel_configs": [
            {
                "source_labels": [
                    _meta_label("service", C.K8S_NAME_LABEL),
                    "__meta_kubernetes_endpoint_port_name",
                ],
                "regex": f"({'|'.join(sorted(services))});{C.K8S_METRICS_PORT_NAME}",
                "action": "keep",
            },
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }


def _scrape_config(catalog: Catalog, job: str, targets: list[str], discovered: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {"job_name": job, "metrics_path": C.METRICS_PATH}
    if job == C.PROMETHEUS_JOB and targets:
        config["metrics_path"] = endpoint(catalog.deployment.prometheus_url)["path"] + C.METRICS_PATH
    if job == C.ALERTMANAGER_HOST and targets:
        alertmanager = endpoint(catalog.deployment.alertmanager_url)
        config["metrics_path"] = alertmanager["path"] + C.METRICS_PATH
        if alertmanager["scheme"] != "http":
            config["scheme"] = alertmanager["scheme"]
    if targets:
        config["static_configs"] = [{"targets": targets}]
    if discovered:
        config.update(kubernetes_sd(catalog, discovered))
    return config


def _alertmanager(catalog: Catalog) -> dict[str, Any]:
    alertmanager = endpoint(catalog.deployment.alertmanager_url)
    config: dict[str, Any] = {"static_configs": [{"targets": [alertmanager["address"]]}]}
    if alertmanager["scheme"] != "http":
        config["scheme"] = alertmanager["scheme"]
    if alertmanager["path"]:
        config["path_prefix"] = alertmanager["path"]
    return config


def prometheus_config(catalog: Catalog) -> dict[str, Any]:
    """The Prometheus configuration as data (see the module docstring)."""
    static = scrape_targets(catalog)
    discovered = k8s_sd_services(catalog)
    jobs = [*static, *(job for job in discovered if job not in static)]
    return {
        "global": {
            "scrape_interval": durations.format_prometheus(catalog.scrape_interval),
            "evaluation_interval": durations.format_prometheus(catalog.evaluation_interval),
        },
        "rule_files": [f"{C.PROMETHEUS_ALERTS_MOUNT}/{C.ALERT_RULES_GLOB}"],
        "alerting": {"alertmanagers": [_alertmanager(catalog)]},
        "scrape_configs": [
            _scrape_config(catalog, job, static.get(job, []), discovered.get(job, [])) for job in jobs
        ],
    }


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return {C.PROMETHEUS_CONFIG_PATH: Yaml(prometheus_config(catalog))}
