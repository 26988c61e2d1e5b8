"""``stack/prometheus/prometheus.yml``: the demo stack's Prometheus, from the catalog.

One scrape job per catalog ``job`` (services and resources) with its static
``targets``, Prometheus and Alertmanager scraping themselves, the rule files
``alerts/`` mounted where docker-compose.yml puts them, and alerts sent to the
stack's Alertmanager.  Services without ``targets`` are scraped elsewhere (a
ServiceMonitor in Kubernetes) and get no static job here.
"""

from __future__ import annotations

from typing import Any

from obsgen import conventions as C
from obsgen import durations
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.model import Catalog, Resource, Service


def scrape_targets(catalog: Catalog) -> dict[str, list[str]]:
    """``{job: targets}`` for every job Prometheus scrapes, in catalog order, built-ins first.

    Two catalog entries sharing a job share one scrape config (Prometheus
    rejects duplicate job names); their targets are merged without repeats.
    """
    jobs: dict[str, list[str]] = {
        C.PROMETHEUS_JOB: [f"localhost:{C.PROMETHEUS_PORT}"],
        C.ALERTMANAGER_HOST: [f"{C.ALERTMANAGER_HOST}:{C.ALERTMANAGER_PORT}"],
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


def prometheus_config(catalog: Catalog) -> dict[str, Any]:
    """The Prometheus configuration as data (see the module docstring)."""
    return {
        "global": {
            "scrape_interval": durations.format_prometheus(catalog.scrape_interval),
            "evaluation_interval": durations.format_prometheus(catalog.evaluation_interval),
        },
        "rule_files": [f"{C.PROMETHEUS_ALERTS_MOUNT}/{C.ALERT_RULES_GLOB}"],
        "alerting": {
            "alertmanagers": [
                {"static_configs": [{"targets": [f"{C.ALERTMANAGER_HOST}:{C.ALERTMANAGER_PORT}"]}]}
            ]
        },
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": C.METRICS_PATH,
                "static_configs": [{"targets": targets}],
            }
            for job, targets in scrape_targets(catalog).items()
        ],
    }


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return {C.PROMETHEUS_CONFIG_PATH: Yaml(prometheus_config(catalog))}
