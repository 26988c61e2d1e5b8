"""How Prometheus finds each service's targets, decided once for every generator.

A service is scraped at its static ``targets``; without them, on Kubernetes, through service
discovery (a ServiceMonitor and a ``kubernetes_sd_configs`` job selecting the Services labelled
with its name); anywhere else it is not scraped at all, and ``generate`` warns and ``explain``
says so instead of leaving it out silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from obsgen import conventions as C
from obsgen.model import Catalog, Service

#: external: the prometheus output is off, so the user's own scrape config is in charge.
#: edge: the service's series come from an edge proxy or mesh (its source has no ``up`` of its own),
#: which the user's own scrape config or ServiceMonitor already scrapes.
How = Literal["static", "kubernetes", "edge", "external", "unscraped"]


@dataclass(frozen=True)
class Scrape:
    service: Service
    how: How
    #: One sentence for ``explain`` (and the warning when ``how`` is ``unscraped``).
    why: str


def scrape(catalog: Catalog, service: Service) -> Scrape:
    """How ``service`` is scraped under ``catalog``'s deployment and outputs."""
    files = []
    if catalog.wants("prometheus"):
        files.append(C.PROMETHEUS_CONFIG_PATH)
    if service.targets:
        where = (
            f"({', '.join(files)})"
            if files
            else "(the prometheus output is off: your own scrape config must list them)"
        )
        return Scrape(service, "static", f"scraped at its {len(service.targets)} static target(s) {where}")
    if not service.source.has_up:
        return Scrape(
            service,
            "edge",
            f"measured where its {service.source.preset} metrics are scraped: "
            "its series come from the proxy or mesh, not from the service, so "
            "obsgen generates no scrape job or ServiceMonitor for it; make sure "
            f"Prometheus scrapes {service.source.preset}",
        )
    if catalog.deployment.target == "kubernetes":
        if catalog.wants("kubernetes"):
            files.insert(0, C.k8s_servicemonitor_path(service.name))
        where = ", ".join(files) or "no file: the kubernetes and prometheus outputs are off"
        return Scrape(
            service,
            "kubernetes",
            f"discovered on Kubernetes: Services labelled "
            f"{C.K8S_NAME_LABEL}={service.name} with a port named "
            f"{C.K8S_METRICS_PORT_NAME} ({where})",
        )
    if not catalog.wants("prometheus"):
        return Scrape(
            service,
            "external",
            "scraped by your own scrape config: it has no targets and the prometheus output is off",
        )
    return Scrape(
        service,
        "unscraped",
        f"not scraped: it has no targets and deploy.target is "
        f"{catalog.deployment.target}, so no scrape job is generated and its "
        "alerts can only fire as absent; add targets: [host:port] or deploy to "
        "Kubernetes (deploy.target: kubernetes)",
    )


def scrapes(catalog: Catalog) -> tuple[Scrape, ...]:
    return tuple(scrape(catalog, service) for service in catalog.services)


def k8s_sd_services(catalog: Catalog) -> dict[str, list[str]]:
    """``{job: [service names]}`` of the services Prometheus finds through Kubernetes discovery."""
    jobs: dict[str, list[str]] = {}
    for s in scrapes(catalog):
        if s.how == "kubernetes":
            jobs.setdefault(s.service.job, []).append(s.service.name)
    return jobs


def warnings(catalog: Catalog) -> list[str]:
    """What ``generate`` prints on stderr: every service no generated config scrapes."""
    return [f"services.{s.service.name}: {s.why}" for s in scrapes(catalog) if s.how == "unscraped"]
