"""The subset of OpenSLO v1 that obsgen maps, as frozen values (references resolved).

``read.py`` builds these from validated documents and refuses everything else; ``to_catalog.py``
maps them onto the obsgen/v1 catalog.  Each value keeps ``At`` (document and field) so that a
problem found while mapping still names the file, document, kind/name and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from obsgen.catalog.loader import Path
from obsgen.errors import Problem
from obsgen.openslo.load import Doc


@dataclass(frozen=True)
class At:
    """Where a value was written: a document and a field path inside it."""

    doc: Doc
    path: Path

    def problem(self, message: str, *more: str | int) -> Problem:
        return self.doc.problem((*self.path, *more), message)


@dataclass(frozen=True)
class Query:
    """A Prometheus query of a ratio SLI (good, bad or total)."""

    text: str
    at: At


@dataclass(frozen=True)
class RatioSLI:
    name: str
    good: Query | None
    bad: Query | None
    total: Query
    at: At


@dataclass(frozen=True)
class Condition:
    """A burn-rate AlertCondition: fire when the burn rate over ``lookback`` exceeds ``burn_rate``."""

    name: str
    severity: str  # obsgen's: page or ticket
    burn_rate: float
    lookback: timedelta
    alert_after: timedelta
    at: At
    #: obsgen's short window when the condition names one (annotation), else lookback/12.
    short: timedelta | None = None


@dataclass(frozen=True)
class Target:
    """An AlertNotificationTarget: ``kind`` is slack, pagerduty or alertmanager; ``value`` the name."""

    name: str
    kind: str
    value: str
    at: At


@dataclass(frozen=True)
class Policy:
    name: str
    condition: Condition
    targets: tuple[Target, ...]
    at: At


@dataclass(frozen=True)
class SLO:
    name: str
    service: str
    description: str | None
    sli: RatioSLI
    period: timedelta
    #: The objective in percent, exactly as the decimal target (0.999 -> 99.9).
    objective_percent: Decimal
    #: None: the SLO names no alertPolicies (obsgen's default table); () : alerting explicitly off.
    policies: tuple[Policy, ...] | None
    at: At
    #: The low-traffic guard (``obsgen.dev/min-failures``), when the SLO names one.
    min_failures: int | None = None


@dataclass(frozen=True)
class Service:
    name: str
    description: str | None
    team: str
    annotations: tuple[tuple[str, str], ...]
    at: At


@dataclass(frozen=True)
class Bundle:
    """Everything read from the input files, references resolved."""

    services: tuple[Service, ...]
    slos: tuple[SLO, ...]
