"""Alert tuning from the catalog: merge service and SLO ``alerting``, check windows, build the model.

A window table the catalog gives replaces the SRE workbook's for that SLO.  Each pair must be able
to fire for the SLO's objective (burn_rate x error budget below 100 % of requests; above 50 % the
policy cap applies as for the default table), its short window must be shorter than its long one
and at least the base window every alert window is derived from (so at least four scrapes), and its
long window must fit in the SLO period.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from obsgen import durations
from obsgen.catalog.loader import Document, Path
from obsgen.errors import Problem
from obsgen.model import Alerting
from obsgen.policy import alerting as policy

__all__ = ["alerting", "alerting_problems", "cardinality_problems", "merged"]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _duration(value: Any) -> timedelta | None:
    try:
        return durations.parse(value) if isinstance(value, str) else None
    except durations.DurationError:
        return None


def merged(service: dict[str, Any], slo: dict[str, Any]) -> dict[str, Any]:
    """The SLO's alerting keys on top of its service's."""
    return {**_dict(service.get("alerting")), **_dict(slo.get("alerting"))}


def _windows_path(service_path: Path, slo_name: str, service: dict[str, Any], slo: dict[str, Any]) -> Path:
    if "windows" in _dict(slo.get("alerting")):
        return (*service_path, "slos", slo_name, "alerting", "windows")
    return (*service_path, "alerting", "windows")


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.4g}%"


def alerting_problems(
    doc: Document,
    service_path: Path,
    service: dict[str, Any],
    period: timedelta | None,
    scrape: timedelta | None,
    evaluation: timedelta | None,
) -> list[Problem]:
    """Every window of every SLO of one service that cannot work (reported once per window)."""
    problems: list[Problem] = []
    seen: set[tuple[Path, str]] = set()
    for slo_name, raw in _dict(service.get("slos")).items():
        slo = _dict(raw)
        windows = merged(service, slo).get("windows")
        if not isinstance(windows, list):
            continue
        path = _windows_path(service_path, str(slo_name), service, slo)
        objective = slo.get("objective")
        for i, w in enumerate(windows):
            for message in _window_problems(_dict(w), str(slo_name), objective, period, scrape, evaluation):
                if ((*path, i), message) not in seen:
                    seen.add(((*path, i), message))
                    problems.append(doc.problem((*path, i), message))
    return problems


def cardinality_problems(doc: Document, service_path: Path, service: dict[str, Any]) -> list[Problem]:
    """``group_by_cardinality`` estimates the groups of ``group_by``: without group_by it means nothing."""
    problems: list[Problem] = []
    slos = {str(k): _dict(v) for k, v in _dict(service.get("slos")).items()}
    hint = "it estimates how many groups group_by yields; add group_by or remove it"
    if (
        "group_by_cardinality" in service
        and not service.get("group_by")
        and not any(slo.get("group_by") for slo in slos.values())
    ):
        problems.append(
            doc.problem((*service_path, "group_by_cardinality"), f"no group_by to estimate: {hint}")
        )
    for name, slo in slos.items():
        if "group_by_cardinality" in slo and not (slo.get("group_by") or service.get("group_by")):
            problems.append(
                doc.problem(
                    (*service_path, "slos", name, "group_by_cardinality"),
                    f"SLO {name!r} has no group_by: {hint}",
                )
            )
    return problems


def _window_problems(
    w: dict[str, Any],
    slo_name: str,
    objective: Any,
    period: timedelta | None,
    scrape: timedelta | None,
    evaluation: timedelta | None,
) -> list[str]:
    out: list[str] = []
    long, short = _duration(w.get("long")), _duration(w.get("short"))
    burn: Any = w.get("burn_rate")
    if long is not None and short is not None and short >= long:
        out.append(
            f"short window {w['short']} must be shorter than the long window {w['long']} (the short one "
            "checks that the burn is still going on)"
        )
    if short is not None and period is not None and scrape is not None and evaluation is not None:
        floor = policy.min_window(scrape, evaluation, period)
        if short < floor:
            out.append(
                f"short window {w['short']} is shorter than the {durations.format_prometheus(floor)} base window "
                f"every alert window is derived from (max({policy.BASE_WINDOW_SCRAPES} scrapes of "
                f"{durations.format_prometheus(scrape)}, one evaluation interval of "
                f"{durations.format_prometheus(evaluation)})); use at least {durations.format_prometheus(floor)}"
            )
    if long is not None and period is not None and long > period:
        out.append(
            f"long window {w['long']} is longer than slo_period {durations.format_prometheus(period)}; "
            "an alert window must fit in the period its budget belongs to"
        )
    if _number(objective) and _number(burn) and 0 < objective < 100 and burn > 0:
        budget = 1 - objective / 100
        if policy.never_fires(float(burn), budget):
            out.append(
                f"can never fire for SLO {slo_name!r} (objective {objective:g}%): burn_rate {burn:g} x error budget "
                f"{_pct(budget)} = {_pct(burn * budget)} of requests would have to fail, and no outage fails more "
                f"than 100%; use a burn_rate below {1 / budget:.4g}"
            )
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def alerting(raw: dict[str, Any]) -> Alerting:
    """The model of a checked, merged ``alerting`` mapping."""
    windows = raw.get("windows")
    return Alerting(
        page=raw.get("page", True),
        ticket=raw.get("ticket", True),
        min_failures=int(raw.get("min_failures", policy.DEFAULT_MIN_FAILURES)),
        windows=None
        if windows is None
        else tuple(
            policy.BurnRateWindow(
                w["severity"], durations.parse(w["long"]), durations.parse(w["short"]), float(w["burn_rate"])
            )
            for w in windows
        ),
    )
