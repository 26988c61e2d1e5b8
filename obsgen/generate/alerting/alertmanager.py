"""``stack/alertmanager/alertmanager.yml``: routes by team and severity, secrets read at runtime.

Every alert goes to its team's page or ticket receiver.  Pages go to PagerDuty when the team has a
service there (else Slack), tickets to Slack; a team's ``webhook_url`` gets both.  Secrets are files
Alertmanager reads when it sends (``*_file``), never values in the generated config.  Only where the
catalog asks for it (``deploy.demo_webhook``, the compose demo) does every alert first reach the
demo stack's local webhook (``continue: true``); elsewhere an alert of no known team reaches the
``unrouted`` receiver, which notifies no one (Alertmanager's UI still lists it).
"""

from __future__ import annotations

from typing import Any

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.model import Catalog, Team

#: Grouping and timing (Alertmanager's defaults are 30s / 5m / 4h).  Pages: notify fast, remind
#: every 4 h.  Tickets: wait 5 min so related tickets arrive together, remind once a day.
TIMING: dict[str, dict[str, str]] = {
    C.SEVERITY_PAGE: {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"},
    C.SEVERITY_TICKET: {"group_wait": "5m", "group_interval": "30m", "repeat_interval": "24h"},
}
GROUP_BY = [C.LABEL_SERVICE, C.LABEL_SLO]


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return {C.ALERTMANAGER_CONFIG_PATH: Yaml(config(catalog))}


def _matchers(**labels: str) -> list[str]:
    # Alertmanager's matcher syntax quotes values like PromQL does; names are validated catalog names.
    return [f'{k}="{v}"' for k, v in labels.items()]


def _receiver(team: Team, severity: str) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": C.alert_receiver(team.name, severity)}
    if severity == C.SEVERITY_PAGE and team.pagerduty_service:
        receiver["pagerduty_configs"] = [
            {
                "routing_key_file": C.pagerduty_key_file(team.pagerduty_service),
                "severity": "critical",
                "description": '{{ template "pagerduty.default.description" . }}',
                "send_resolved": True,
            }
        ]
    elif team.slack_channel:
        receiver["slack_configs"] = [
            {
                "api_url_file": C.slack_url_file(team.name),
                "channel": team.slack_channel,
                "title": f"[{severity.upper()}] {{{{ .CommonLabels.service }}}} {{{{ .CommonLabels.slo }}}}: "
                "{{ .CommonAnnotations.summary }}",
                "text": "{{ range .Alerts }}{{ .Annotations.description }}\n"
                "{{ if .Annotations.runbook_url }}Runbook: {{ .Annotations.runbook_url }}\n{{ end }}"
                "Dashboard: {{ .Annotations.dashboard_url }}\n{{ end }}",
                "send_resolved": True,
            }
        ]
    if team.webhook_url:
        receiver["webhook_configs"] = [{"url": team.webhook_url, "send_resolved": True}]
    return receiver


def group_labels(catalog: Catalog) -> list[str]:
    """Every group_by label of the catalog: alerts of one SLO differ by them (cluster="c1" vs "c2")."""
    return sorted(
        {
            label
            for s in catalog.services
            for label in (*s.group_by, *(x for slo in s.slos for x in slo.sli.group_by))
        }
    )


def config(catalog: Catalog) -> dict[str, Any]:
    teams = sorted(catalog.teams, key=lambda t: t.name)
    demo_webhook = catalog.deployment.demo_webhook_url
    routes: list[dict[str, Any]] = []
    receivers: list[dict[str, Any]] = []
    if demo_webhook is not None:
        root = C.DEMO_WEBHOOK_RECEIVER
        routes.append({"receiver": root, "continue": True})
        receivers.append({"name": root, "webhook_configs": [{"url": demo_webhook, "send_resolved": True}]})
    else:
        root = C.UNROUTED_RECEIVER
        receivers.append({"name": root})
    for team in teams:
        team_routes = []
        for severity in (C.SEVERITY_PAGE, C.SEVERITY_TICKET):
            receiver = _receiver(team, severity)
            receivers.append(receiver)
            team_routes.append(
                {
                    "receiver": receiver["name"],
                    "matchers": _matchers(**{C.LABEL_SEVERITY: severity}),
                    **TIMING[severity],
                }
            )
        routes.append(
            {
                "receiver": C.alert_receiver(team.name, C.SEVERITY_TICKET),
                "matchers": _matchers(**{C.LABEL_TEAM: team.name}),
                "routes": team_routes,
            }
        )
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": root,
            # One notification per SLO and group: a failing cluster is not folded into another's page.
            "group_by": [*GROUP_BY, *group_labels(catalog)],
            **TIMING[C.SEVERITY_PAGE],
            "routes": routes,
        },
        "inhibit_rules": [
            {
                # While an SLO pages, its tickets (burn rate, budget exhausted) are noise: same service,
                # same SLO, same group (a label absent on both alerts counts as equal).
                "source_matchers": _matchers(**{C.LABEL_SEVERITY: C.SEVERITY_PAGE}),
                "target_matchers": _matchers(**{C.LABEL_SEVERITY: C.SEVERITY_TICKET}),
                "equal": [*GROUP_BY, *group_labels(catalog)],
            }
        ],
        "receivers": receivers,
    }
