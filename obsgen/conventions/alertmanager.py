"""Alertmanager receivers and where their secrets are read at runtime (mounted, never generated)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "ALERTMANAGER_SECRETS_DIR",
    "DEMO_WEBHOOK_RECEIVER",
    "UNROUTED_RECEIVER",
    "alert_receiver",
    "pagerduty_key_file",
    "slack_url_file",
]

#: Alertmanager receiver of the demo stack's webhook (WEBHOOK_URL); every alert reaches it.
DEMO_WEBHOOK_RECEIVER: Final = "demo-webhook"
#: Root receiver outside the demo: alerts of no known team (every generated alert carries a team).
UNROUTED_RECEIVER: Final = "unrouted"
#: Where Alertmanager reads receiver secrets at runtime (mounted, never generated).
ALERTMANAGER_SECRETS_DIR: Final = "/etc/alertmanager/secrets"


def alert_receiver(team: str, severity: str) -> str:
    """Alertmanager receiver of a team's alerts of one severity."""
    return f"{team}-{severity}"


def slack_url_file(team: str) -> str:
    return f"{ALERTMANAGER_SECRETS_DIR}/{team}-slack-url"


def pagerduty_key_file(pagerduty_service: str) -> str:
    return f"{ALERTMANAGER_SECRETS_DIR}/pagerduty-{pagerduty_service}-routing-key"
