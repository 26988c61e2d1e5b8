"""From a loaded catalog document to the model: cross-field rules, then defaults.

The cross-field rules read the raw document defensively (any value may have the
wrong type, which spec.py reports), so a single run reports every problem.  The
model is built only from a document with no problem at all.
"""

from __future__ import annotations

import difflib
from typing import Any

from obsgen import conventions as C
from obsgen import durations, policy
from obsgen.catalog import sources, spec
from obsgen.catalog.loader import Document, Path, load
from obsgen.errors import CatalogError, Problem
from obsgen.model import SLO, Alerting, Catalog, Environment, Metrics, Resource, Service, Team
from obsgen.sli.model import Selector, Source


def load_catalog(data: bytes, file: str) -> Catalog:
    """Parse, check and normalise a catalog; raise CatalogError with every problem."""
    doc, problems = load(data, file)
    problems += spec.check(doc)
    problems += _cross_field_problems(doc)
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
            problems.append(doc.problem((*path, "team"), f"team {team!r} is not defined under teams; {hint}"
                                                         f"known teams: {', '.join(team_names)}"))
        problems += sources.service_problems(s, path, doc)
    problems += _file_name_problems(services, _dict(data.get("resources")), doc)
    period = _duration(data.get("slo_period", C.DEFAULT_SLO_PERIOD))
    scrape = _duration(_dict(data.get("prometheus")).get("scrape_interval", C.DEFAULT_SCRAPE_INTERVAL))
    has_slos = any(_dict(_dict(s).get("slos")) for s in services.values())
    if period and scrape and has_slos and (why := policy.period_problem(period, scrape)):
        problems.append(doc.problem(("slo_period",), why))
    return problems


def _file_name_problems(services: dict[str, Any], resources: dict[str, Any], doc: Document) -> list[Problem]:
    """Service and resource names become file names: they must not collide."""
    taken = {C.overview_dashboard_path()} | {C.use_dashboard_path(str(r)) for r in resources}
    return [
        doc.problem(("services", name), f"service name {name!r} collides with the generated file "
                                        f"{C.service_dashboard_path(name)}; rename the service", at_key=True)
        for name in services
        if C.service_dashboard_path(str(name)) in taken
    ]


# --- Model ---------------------------------------------------------------------------


def _build(data: dict[str, Any]) -> Catalog:
    """The model of a catalog that has passed every check."""
    prom = data.get("prometheus", {})
    return Catalog(
        slo_period=durations.parse(data.get("slo_period", C.DEFAULT_SLO_PERIOD)),
        grafana_url=data.get("grafana_url", C.DEFAULT_GRAFANA_URL).rstrip("/"),
        scrape_interval=durations.parse(prom.get("scrape_interval", C.DEFAULT_SCRAPE_INTERVAL)),
        evaluation_interval=durations.parse(prom.get("evaluation_interval", C.DEFAULT_EVALUATION_INTERVAL)),
        environments=tuple(
            Environment(name, e.get("log_level", C.DEFAULT_LOG_LEVEL))
            for name, e in sorted(data.get("environments", {"prod": {}}).items())
        ),
        teams=tuple(
            Team(name, t.get("slack_channel"), t.get("pagerduty_service"))
            for name, t in sorted(data["teams"].items())
        ),
        services=tuple(_service(name, s) for name, s in sorted(data["services"].items())),
        resources=tuple(
            Resource(name, r["kind"], r["job"], tuple(r.get("targets", ())))
            for name, r in sorted(data.get("resources", {}).items())
        ),
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
        alerting=Alerting(**s.get("alerting", {})),
        slos=tuple(_slo(slo_name, raw, src, selector, group_by) for slo_name, raw in sorted(s.get("slos", {}).items())),
        log_fields=tuple(s.get("logs", {}).get("fields", ())),
        targets=tuple(s.get("targets", ())),
        description=s.get("description"),
        runbook_url=s.get("runbook_url"),
        source=src,
        selector=selector,
        group_by=group_by,
        up_job=sources.up_job(name, s),
    )


def _slo(name: str, raw: dict[str, Any], src: Source, selector: Selector, group_by: tuple[str, ...]) -> SLO:
    percent = float(raw["objective"])
    return SLO(
        name=name,
        kind=raw["kind"],
        objective=round(percent / 100.0, 12),
        objective_percent=percent,
        threshold=durations.parse(raw["threshold"]) if "threshold" in raw else None,
        description=raw.get("description"),
        sli=sources.slo_sli(raw, src, selector, group_by),
    )
