"""Names both directions share: obsgen's annotations and notification-target syntax in OpenSLO.

OpenSLO leaves implementation details to ``metadata.annotations`` ("implementation / system
specific metadata") and says nothing about the shape of an AlertNotificationTarget's ``target``;
these are obsgen's conventions for both, documented in docs/openslo.md.
"""

from __future__ import annotations

from typing import Final

#: Service annotations (optional on import; export writes them so that a round trip is exact).
ANNOTATION_PREFIX: Final = "obsgen.dev/"
RUNBOOK_URL: Final = "obsgen.dev/runbook-url"
SCRAPE_INTERVAL: Final = "obsgen.dev/scrape-interval"
EVALUATION_INTERVAL: Final = "obsgen.dev/evaluation-interval"
GRAFANA_URL: Final = "obsgen.dev/grafana-url"
#: Comma-separated: the demo stack's scrape targets (host:port), and the histogram's buckets.
TARGETS: Final = "obsgen.dev/targets"
BUCKETS: Final = "obsgen.dev/buckets"
#: The exporter preset (services.<s>.source) whose metric and label names the queries use.
SOURCE: Final = "obsgen.dev/source"
#: The service-level severities (``page,ticket``): they also set the severity of target alerts.
ALERTING: Final = "obsgen.dev/alerting"
SERVICE_ANNOTATIONS: Final = (RUNBOOK_URL, TARGETS, BUCKETS, SOURCE, ALERTING)
#: SLO: the low-traffic guard.  AlertCondition: a short window other than lookback/12.
MIN_FAILURES: Final = "obsgen.dev/min-failures"
SHORT_WINDOW: Final = "obsgen.dev/short-window"
SLO_ANNOTATIONS: Final = (MIN_FAILURES,)
CONDITION_ANNOTATIONS: Final = (SHORT_WINDOW,)
CATALOG_ANNOTATIONS: Final = (SCRAPE_INTERVAL, EVALUATION_INTERVAL, GRAFANA_URL)

#: ``metadata.labels.team`` on a Service names its obsgen team (default: the service's name).
TEAM_LABEL: Final = "team"

#: AlertNotificationTarget ``target`` values: ``slack:#channel``, ``pagerduty:service`` or
#: ``alertmanager`` (routed by team and severity, no contact point of its own).
TARGET_SLACK: Final = "slack"
TARGET_PAGERDUTY: Final = "pagerduty"
TARGET_ALERTMANAGER: Final = "alertmanager"

#: AlertCondition ``severity`` values obsgen reads, and the obsgen severity each means.
SEVERITIES: Final = {"page": "page", "critical": "page", "ticket": "ticket", "warning": "ticket"}

#: A single-window OpenSLO condition gets a short window of 1/12 of its lookback window: the
#: ratio of every pair in the SRE workbook's Table 5-8 (1h/5m, 6h/30m, 1d/2h, 3d/6h).
SHORT_WINDOW_DIVISOR: Final = 12
