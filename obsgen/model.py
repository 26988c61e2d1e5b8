"""The catalog, normalised: frozen, typed, defaults resolved.

Generators read only this.  Durations are timedeltas, objectives are ratios,
names are validated, and every default is already applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, get_args

from obsgen import conventions as C
from obsgen.policy.alerting import DEFAULT_MIN_FAILURES, BurnRateWindow
from obsgen.sli.model import SLI, Selector, Source

SLOKind = Literal["availability", "latency", "ratio"]
ResourceKind = Literal["node", "container"]
#: Where the generated output runs: the docker-compose demo, a Kubernetes cluster with the
#: Prometheus Operator, or Prometheus/Alertmanager on plain hosts.
DeployTarget = Literal["compose", "kubernetes", "hosts"]
#: What ``generate`` writes, each a family of files (see ``obsgen.generate.GENERATORS``).
Output = Literal["rules", "rule_tests", "alertmanager", "prometheus", "logging", "dashboards", "kubernetes"]
OUTPUTS: tuple[Output, ...] = get_args(Output)
DEPLOY_TARGETS: tuple[DeployTarget, ...] = get_args(DeployTarget)


@dataclass(frozen=True)
class Team:
    name: str
    slack_channel: str | None = None
    pagerduty_service: str | None = None
    #: A webhook every alert of the team is posted to (an internal endpoint: the URL is not a secret).
    webhook_url: str | None = None

    @property
    def has_receiver(self) -> bool:
        return bool(self.slack_channel or self.pagerduty_service or self.webhook_url)


@dataclass(frozen=True)
class Environment:
    name: str
    log_level: str


@dataclass(frozen=True)
class Metrics:
    requests: str
    duration: str
    buckets: tuple[float, ...]


@dataclass(frozen=True)
class Alerting:
    page: bool = True
    ticket: bool = True
    #: Low-traffic guard: an SLO alert needs at least this many failed events in its long window
    #: (0: no guard).
    min_failures: int = DEFAULT_MIN_FAILURES
    #: The catalog's own window table for this SLO, as written (not scaled to the period);
    #: None: policy.BURN_RATE_WINDOWS scaled to slo_period.
    windows: tuple[BurnRateWindow, ...] | None = None


@dataclass(frozen=True)
class SLO:
    name: str
    kind: SLOKind
    #: The objective as a ratio, e.g. 0.999 for 99.9 %.
    objective: float
    #: The objective as the user wrote it, e.g. 99.9 (for labels and titles).
    objective_percent: float
    #: Latency SLOs: good requests are faster than this.  Always a bucket boundary.
    threshold: timedelta | None = None
    description: str | None = None
    #: The SLO's alert settings: the service's ``alerting`` with the SLO's own on top.
    alerting: Alerting = Alerting()
    #: The user's estimate of the SLI's group_by cardinality (series per recording), for cost reports.
    expected_groups: int | None = None
    #: What an event and a bad event are (source, selectors and grouping resolved).  Every
    #: generator reads the SLI from here; none branches on ``kind``.
    sli: SLI = field(kw_only=True)

    @property
    def error_budget(self) -> float:
        """The fraction of requests allowed to be bad (1 - objective)."""
        return 1.0 - self.objective

    @property
    def threshold_seconds(self) -> float:
        if self.threshold is None:
            raise ValueError(f"SLO {self.name} has no threshold")
        return self.threshold.total_seconds()


@dataclass(frozen=True)
class Workload:
    """How obsgen deploys a service on Kubernetes (``services.<s>.deploy``); absent: not deployed by obsgen."""

    image: str
    port: int
    liveness_path: str
    readiness_path: str
    cpu: str
    memory: str
    #: preStop sleep: time for kube-proxy and ingress controllers to drop the endpoint.
    prestop_delay: timedelta


@dataclass(frozen=True)
class Service:
    name: str
    team: str
    job: str
    metrics: Metrics
    error_codes: str
    alerting: Alerting
    slos: tuple[SLO, ...]
    log_fields: tuple[str, ...]
    targets: tuple[str, ...]
    description: str | None = None
    runbook_url: str | None = None
    #: The exporter's shape (``source`` preset with ``metrics`` overrides applied).
    source: Source = field(kw_only=True)
    #: Matchers selecting the service's series (default ``{job="<job>"}``).
    selector: Selector = field(kw_only=True)
    #: Labels the service's SLIs, alerts and target checks are split by.
    group_by: tuple[str, ...] = ()
    #: Job whose ``up`` series are the service's scrape targets; None when the service has none
    #: of its own (measured at an edge proxy) or its selector names no job.
    up_job: str | None = None
    workload: Workload | None = None


@dataclass(frozen=True)
class Resource:
    name: str
    kind: ResourceKind
    job: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Deployment:
    """Where the output runs and the endpoints it points at (the catalog's ``deploy`` block).

    The defaults are the compose demo stack's host names: a catalog without ``deploy``
    generates what it always did, minus the demo webhook, which only the demo asks for.
    """

    target: DeployTarget = "compose"
    prometheus_url: str = C.STACK_PROMETHEUS_URL
    alertmanager_url: str = C.STACK_ALERTMANAGER_URL
    loki_url: str = C.STACK_LOKI_URL
    elasticsearch_url: str = C.STACK_ELASTICSEARCH_URL
    #: The demo stack's local webhook receiver; every alert also goes there.  None: no such receiver.
    demo_webhook_url: str | None = None


@dataclass(frozen=True)
class Catalog:
    slo_period: timedelta
    grafana_url: str
    scrape_interval: timedelta
    evaluation_interval: timedelta
    environments: tuple[Environment, ...]
    teams: tuple[Team, ...]
    services: tuple[Service, ...]
    resources: tuple[Resource, ...]
    deployment: Deployment = field(default_factory=Deployment)
    outputs: frozenset[Output] = frozenset(OUTPUTS)

    def wants(self, output: Output) -> bool:
        """Whether ``generate`` writes the files of ``output``."""
        return output in self.outputs

    def team(self, name: str) -> Team:
        for team in self.teams:
            if team.name == name:
                return team
        raise KeyError(name)
