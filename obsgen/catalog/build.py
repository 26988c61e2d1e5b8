"""From a loaded catalog document to the model: cross-field rules, then defaults.

The cross-field rules read the raw document defensively (any value may have the
wrong type, which spec.py reports), so a single run reports every problem.  The
model is built only from a document with no problem at all.
"""

from __future__ import annotations

import difflib
from typing import Any

from obsgen import conventions as C
from obsgen import durations
from obsgen.catalog import sources, spec
from obsgen.catalog.alerting import alerting, alerting_problems, cardinality_problems, merged
from obsgen.catalog.loader import Document, Path, load
from obsgen.errors import CatalogError, Problem
from obsgen.model import (
    OUTPUTS,
    SLO,
    Catalog,
    Deployment,
    Environment,
    Metrics,
    Output,
    Resource,
    Service,
    Team,
    Workload,
)
from obsgen.policy import alerting as policy
from obsgen.sli.model import Selector, Source


def load_catalog(data: bytes, file: str, outputs: tuple[Output, ...] | None = None) -> Catalog:
    """Parse, check and normalise a catalog; raise CatalogError with every problem.

    ``outputs`` replaces the catalog's ``outputs`` for one run (``--outputs``); the rules that
    depend on what is generated (endpoints the selected outputs need) are checked against it.
    """
    doc, problems = load(data, file)
    problems += spec.check(doc)
    if outputs is not None and isinstance(doc.data, dict):
        doc.data["outputs"] = list(outputs)
    problems += _cross_field_problems(doc)
    problems += _deployment_problems(doc)
    if problems:
        raise CatalogError(problems)
    return _build(doc.data)


# --- Cross-field rules ---------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _duration(value: Any) -> Any:
    try:
        return durations.parse(value) if isinstance(value, str) else None
    except durations.DurationError:
        return None


def _cross_field_problems(doc: Document) -> list[Problem]:
    data = _dict(doc.data)
    problems: list[Problem] = []
    team_names = sorted(k for k in _dict(data.get("teams")) if isinstance(k, str))
    services = _dict(data.get("services"))
    for name, raw in services.items():
        s = _dict(raw)
        path: Path = ("services", name)
        team = s.get("team")
        if isinstance(team, str) and team_names and team not in team_names:
            close = difflib.get_close_matches(team, team_names, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                doc.problem(
                    (*path, "team"),
                    f"team {team!r} is not defined under teams; {hint}known teams: {', '.join(team_names)}",
                )
            )
        problems += sources.service_problems(s, path, doc)
        for slo_name, slo_raw in _dict(s.get("slos")).items():
            problems += _objective_problems(_dict(slo_raw), (*path, "slos", slo_name), doc)
    resources = _dict(data.get("resources"))
    environments = _dict(data.get("environments", {"prod": {}}))
    problems += _generated_path_problems(services, resources, environments, doc)
    problems += _kubernetes_name_problems(services, resources, doc)
    problems += _log_field_problems(services, doc)
    period = _duration(data.get("slo_period", C.DEFAULT_SLO_PERIOD))
    prometheus = _dict(data.get("prometheus"))
    scrape = _duration(prometheus.get("scrape_interval", C.DEFAULT_SCRAPE_INTERVAL))
    evaluation = _duration(prometheus.get("evaluation_interval", C.DEFAULT_EVALUATION_INTERVAL))
    for name, raw in services.items():
        problems += alerting_problems(doc, ("services", name), _dict(raw), period, scrape, evaluation)
        problems += cardinality_problems(doc, ("services", name), _dict(raw))
    has_slos = any(_dict(_dict(s).get("slos")) for s in services.values())
    if period and scrape and has_slos and (why := policy.period_problem(period, scrape)):
        problems.append(doc.problem(("slo_period",), why))
    if period and evaluation and (why := policy.evaluation_problem(period, evaluation)):
        problems.append(doc.problem(("prometheus", "evaluation_interval"), why))
    return problems


#: Endpoints each output points at: outside the compose demo they must be named, never guessed.
_ENDPOINTS_NEEDED: dict[str, tuple[Output, ...]] = {
    "prometheus_url": ("dashboards",),
    "alertmanager_url": ("prometheus", "dashboards"),
    "loki_url": ("logging", "dashboards"),
    "elasticsearch_url": ("logging", "dashboards"),
    "grafana_url": ("rules",),
}
#: preStop sleeps the PodPolicy's 30 s grace period leaves room for (drain and delay after it).
_PRESTOP_RANGE = (1.0, 20.0)


def _deployment_problems(doc: Document) -> list[Problem]:
    """``deploy``, ``outputs`` and the services' ``deploy`` blocks against each other."""
    data = _dict(doc.data)
    deploy = _dict(data.get("deploy"))
    problems: list[Problem] = []
    outputs = data.get("outputs", list(OUTPUTS))
    outputs = outputs if isinstance(outputs, list) else list(OUTPUTS)
    if "rule_tests" in outputs and "rules" not in outputs:
        problems.append(
            doc.problem(
                ("outputs",), "rule_tests test the generated rules: add rules to outputs, or drop rule_tests"
            )
        )
    top, nested = data.get("grafana_url"), deploy.get("grafana_url")
    if isinstance(top, str) and isinstance(nested, str) and top.rstrip("/") != nested.rstrip("/"):
        problems.append(
            doc.problem(
                ("deploy", "grafana_url"), f"differs from grafana_url ({top}); set only deploy.grafana_url"
            )
        )
    target = deploy.get("target", "compose")
    if deploy.get("demo_webhook") is True and target != "compose":
        problems.append(
            doc.problem(
                ("deploy", "demo_webhook"),
                f"the demo webhook exists only in the compose stack, not with target {target}; remove it",
            )
        )
    if target != "compose":
        given = {k for k in deploy if isinstance(k, str)} | (
            {"grafana_url"} if isinstance(top, str) else set()
        )
        for key, users in _ENDPOINTS_NEEDED.items():
            wanting = [o for o in users if o in outputs]
            if wanting and key not in given:
                problems.append(
                    doc.problem(
                        ("deploy",),
                        f"missing {key}: with target {target}, "
                        f"{' and '.join(wanting)} point at it; add deploy.{key} "
                        "(obsgen guesses host names only for the compose demo)",
                    )
                )
    for name, raw in _dict(data.get("services")).items():
        workload = _dict(_dict(raw).get("deploy"))
        path: Path = ("services", name, "deploy")
        port = workload.get("port")
        if isinstance(port, float) and not port.is_integer():
            problems.append(doc.problem((*path, "port"), f"{port} is not a whole port number"))
        delay = _duration(workload.get("prestop_delay"))
        low, high = _PRESTOP_RANGE
        seconds = delay.total_seconds() if delay is not None else None
        if seconds is not None and (not low <= seconds <= high or not seconds.is_integer()):
            problems.append(
                doc.problem(
                    (*path, "prestop_delay"),
                    f"must be whole seconds between {low:g}s and "
                    f"{high:g}s: the 30 s grace period must leave "
                    "time to drain",
                )
            )
    return problems


def _objective_problems(raw: dict[str, Any], path: Path, doc: Document) -> list[Problem]:
    objective = raw.get("objective")
    if isinstance(objective, bool) or not isinstance(objective, int | float) or not 0 < objective < 100:
        return []  # spec.py reports it
    if 1 - round(objective / 100.0, 12) < policy.MIN_ERROR_BUDGET:
        return [
            doc.problem(
                (*path, "objective"),
                f"{objective} leaves an error budget under "
                f"{policy.MIN_ERROR_BUDGET * 100:g}% of requests, too small "
                "to measure or alert on; use at most 99.9999999",
            )
        ]
    return []


def _generated_path_problems(
    services: dict[str, Any], resources: dict[str, Any], environments: dict[str, Any], doc: Document
) -> list[Problem]:
    """Names become file paths (conventions.generated_paths): names that make two files one are refused."""
    names = {
        kind: sorted(k for k in d if isinstance(k, str))
        for kind, d in (("service", services), ("resource", resources), ("environment", environments))
    }
    first: dict[str, tuple[tuple[str, str], ...]] = {}
    blamed: dict[tuple[str, str], str] = {}
    for path, who in C.generated_paths(names["service"], names["resource"], names["environment"]):
        if path not in first:
            first[path] = who
            continue
        # The names in one entry but not the other are what made the two paths equal.
        for culprit in sorted(set(who) ^ set(first[path])):
            blamed.setdefault(culprit, path)
    return [
        doc.problem(
            (f"{kind}s", name),
            f"{kind} name {name!r} collides with the generated file {path} "
            f"(obsgen would write it twice); rename the {kind}",
            at_key=True,
        )
        for (kind, name), path in sorted(blamed.items())
    ]


def _kubernetes_name_problems(
    services: dict[str, Any], resources: dict[str, Any], doc: Document
) -> list[Problem]:
    """Kubernetes names and label values built from catalog names must fit in 63 characters."""
    problems = []
    for kind, names, values in (
        ("services", services, C.k8s_label_values),
        ("resources", resources, C.k8s_resource_label_values),
    ):
        for name in names:
            if not isinstance(name, str):
                continue
            for value, what in values(name):
                if len(value) > C.K8S_LABEL_MAX:
                    room = C.K8S_LABEL_MAX - (len(value) - len(name))
                    problems.append(
                        doc.problem(
                            (kind, name),
                            f"name {name!r} makes {value!r} ({what}) longer than the {C.K8S_LABEL_MAX} characters "
                            f"Kubernetes allows; use at most {room} characters",
                            at_key=True,
                        )
                    )
                    break
    return problems


def _log_field_problems(services: dict[str, Any], doc: Document) -> list[Problem]:
    names: set[str] = set()
    for s in services.values():
        fields = _dict(_dict(s).get("logs")).get("fields")
        if isinstance(fields, list):
            names.update(f for f in fields if isinstance(f, str))
    if len(names) > policy.MAX_LOG_FIELDS:
        return [
            doc.problem(
                ("services",),
                f"the services' logs.fields name {len(names)} distinct fields; "
                f"the log stores map at most {policy.MAX_LOG_FIELDS} "
                "(Elasticsearch's field limit); share field names across services",
            )
        ]
    return []


# --- Model ---------------------------------------------------------------------------


def _build(data: dict[str, Any]) -> Catalog:
    """The model of a catalog that has passed every check."""
    prom = data.get("prometheus", {})
    deploy = data.get("deploy", {})
    grafana_url = deploy.get("grafana_url", data.get("grafana_url", C.DEFAULT_GRAFANA_URL))
    return Catalog(
        slo_period=durations.parse(data.get("slo_period", C.DEFAULT_SLO_PERIOD)),
        grafana_url=grafana_url.rstrip("/"),
        scrape_interval=durations.parse(prom.get("scrape_interval", C.DEFAULT_SCRAPE_INTERVAL)),
        evaluation_interval=durations.parse(prom.get("evaluation_interval", C.DEFAULT_EVALUATION_INTERVAL)),
        environments=tuple(
            Environment(name, e.get("log_level", C.DEFAULT_LOG_LEVEL))
            for name, e in sorted(data.get("environments", {"prod": {}}).items())
        ),
        teams=tuple(
            Team(name, t.get("slack_channel"), t.get("pagerduty_service"), t.get("webhook_url"))
            for name, t in sorted(data["teams"].items())
        ),
        services=tuple(_service(name, s) for name, s in sorted(data["services"].items())),
        resources=tuple(
            Resource(name, r["kind"], r["job"], tuple(r.get("targets", ())))
            for name, r in sorted(data.get("resources", {}).items())
        ),
        deployment=_deployment(deploy),
        outputs=frozenset(data.get("outputs", OUTPUTS)),
    )


def _deployment(deploy: dict[str, Any]) -> Deployment:
    default = Deployment()
    return Deployment(
        target=deploy.get("target", default.target),
        prometheus_url=deploy.get("prometheus_url", default.prometheus_url).rstrip("/"),
        alertmanager_url=deploy.get("alertmanager_url", default.alertmanager_url).rstrip("/"),
        loki_url=deploy.get("loki_url", default.loki_url).rstrip("/"),
        elasticsearch_url=deploy.get("elasticsearch_url", default.elasticsearch_url).rstrip("/"),
        demo_webhook_url=C.WEBHOOK_URL if deploy.get("demo_webhook") else None,
    )


def _workload(raw: dict[str, Any] | None) -> Workload | None:
    if raw is None:
        return None
    probes = raw.get("probes", {})
    resources = raw.get("resources", {})
    return Workload(
        image=raw["image"],
        port=int(raw.get("port", C.DEFAULT_PORT)),
        liveness_path=probes.get("liveness", C.LIVENESS_PATH),
        readiness_path=probes.get("readiness", C.READINESS_PATH),
        cpu=resources.get("cpu", C.DEFAULT_CPU),
        memory=resources.get("memory", C.DEFAULT_MEMORY),
        prestop_delay=durations.parse(raw.get("prestop_delay", C.DEFAULT_PRESTOP_DELAY)),
    )


def _service(name: str, s: dict[str, Any]) -> Service:
    m = s.get("metrics", {})
    src = sources.source(s)
    selector = sources.service_selector(name, s)
    group_by = tuple(s.get("group_by", ()))
    return Service(
        name=name,
        team=s["team"],
        job=s.get("job", name),
        metrics=Metrics(
            requests=src.requests,
            duration=m.get("duration", src.duration or C.REQUEST_DURATION_SECONDS),
            buckets=src.buckets,
        ),
        error_codes=src.error_codes,
        alerting=alerting(s.get("alerting", {})),
        slos=tuple(
            _slo(slo_name, raw, s, src, selector, group_by)
            for slo_name, raw in sorted(s.get("slos", {}).items())
        ),
        log_fields=tuple(s.get("logs", {}).get("fields", ())),
        targets=tuple(s.get("targets", ())),
        description=s.get("description"),
        runbook_url=s.get("runbook_url"),
        source=src,
        selector=selector,
        group_by=group_by,
        up_job=sources.up_job(name, s),
        workload=_workload(s.get("deploy")),
    )


def _slo(
    name: str,
    raw: dict[str, Any],
    service: dict[str, Any],
    src: Source,
    selector: Selector,
    group_by: tuple[str, ...],
) -> SLO:
    percent = float(raw["objective"])
    return SLO(
        name=name,
        kind=raw["kind"],
        objective=round(percent / 100.0, 12),
        objective_percent=percent,
        threshold=durations.parse(raw["threshold"]) if "threshold" in raw else None,
        description=raw.get("description"),
        sli=sources.slo_sli(raw, src, selector, group_by),
        alerting=alerting(merged(service, raw)),
        expected_groups=raw.get("group_by_cardinality", service.get("group_by_cardinality")),
    )
