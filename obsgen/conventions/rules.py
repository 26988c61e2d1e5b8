"""Prometheus names obsgen generates: rule labels, recording rules (``level:metric:operations``,
https://prometheus.io/docs/practices/rules/#naming-and-aggregation), alerts and rule groups.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ALERTS_METRIC",
    "ALERT_BUDGET_EXHAUSTED",
    "ALERT_GROUP_GONE",
    "ALERT_RULES_GLOB",
    "ALERT_SERVICE_ABSENT",
    "ALERT_SLO_BURN",
    "ALERT_TARGETS_DOWN",
    "LABEL_ALERTNAME",
    "LABEL_ALERTSTATE",
    "LABEL_SERVICE",
    "LABEL_SEVERITY",
    "LABEL_SLO",
    "LABEL_TEAM",
    "PROMETHEUS_JOB",
    "SEVERITY_PAGE",
    "SEVERITY_TICKET",
    "UP_METRIC",
    "le_matcher",
    "sli_error_ratio_record",
    "sli_errors_record",
    "sli_requests_record",
    "slo_rule_group",
    "targets_rule_group",
]

LABEL_SERVICE: Final = "service"
LABEL_SLO: Final = "slo"
LABEL_TEAM: Final = "team"
LABEL_SEVERITY: Final = "severity"
SEVERITY_PAGE: Final = "page"
SEVERITY_TICKET: Final = "ticket"


def sli_errors_record(window: str) -> str:
    """Per-second rate of bad events of an SLI over ``window``."""
    return f"slo:sli_errors:rate{window}"


def sli_requests_record(window: str) -> str:
    """Per-second rate of all events of an SLI over ``window``."""
    return f"slo:sli_requests:rate{window}"


def sli_error_ratio_record(window: str) -> str:
    """Error ratio of an SLI over ``window`` (bad events / all events)."""
    return f"slo:sli_error:ratio_rate{window}"


ALERT_SLO_BURN: Final = "SLOErrorBudgetBurn"
ALERT_SERVICE_ABSENT: Final = "ServiceAbsent"
ALERT_TARGETS_DOWN: Final = "ServiceTargetsDown"
ALERT_GROUP_GONE: Final = "ServiceGroupGone"
#: Ticket when an SLO period's error budget is spent.
ALERT_BUDGET_EXHAUSTED: Final = "SLOErrorBudgetExhausted"


def le_matcher(boundary: float) -> str:
    """A regex matching every way a client library writes the ``le`` of ``boundary``.

    prometheus-client writes ``1.0`` and ``0.4``; Go's client writes ``1`` and
    ``0.4``.  Matching both keeps a latency SLI working on either.
    """
    text = repr(float(boundary))
    if "e" in text or "inf" in text:
        return re.escape(text)
    whole, frac = text.split(".")
    frac = frac.rstrip("0")
    if not frac:
        return f"{whole}(\\.0+)?"
    return f"{whole}\\.{frac}0*"


#: Host names and ports of the demo stack (docker-compose.yml service names).
PROMETHEUS_JOB: Final = "prometheus"
#: Rule files inside ``alerts/`` (the unit tests in ``alerts/tests/`` are not rules).
ALERT_RULES_GLOB: Final = "*.yaml"
#: ``up`` exists for every scrape target: instance variables list its label values.
UP_METRIC: Final = "up"
#: Prometheus' series of pending and firing alerts.
ALERTS_METRIC: Final = "ALERTS"
LABEL_ALERTSTATE: Final = "alertstate"
LABEL_ALERTNAME: Final = "alertname"


def slo_rule_group(service: str, speed: str) -> str:
    """Rule group of a service's SLO rules: ``speed`` is ``fast`` (pages) or ``slow`` (tickets)."""
    return f"obsgen-{service}-slo-{speed}"


def targets_rule_group(service: str) -> str:
    return f"obsgen-{service}-targets"
