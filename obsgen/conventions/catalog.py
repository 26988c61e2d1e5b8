"""Names and defaults of the catalog format (``obsgen/v1``)."""

from __future__ import annotations

from typing import Final

__all__ = [
    "API_VERSION",
    "DEFAULT_CATALOG_FILE",
    "DEFAULT_EVALUATION_INTERVAL",
    "DEFAULT_GRAFANA_URL",
    "DEFAULT_SCRAPE_INTERVAL",
    "DEFAULT_SLO_PERIOD",
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
]

API_VERSION: Final = "obsgen/v1"
DEFAULT_CATALOG_FILE: Final = "catalog.yaml"
#: Names of teams, services, SLOs, resources and environments.
NAME_PATTERN: Final = r"^[a-z][a-z0-9-]*$"
NAME_MAX_LENGTH: Final = 63
DEFAULT_SLO_PERIOD: Final = "28d"
DEFAULT_GRAFANA_URL: Final = "http://localhost:3000"
DEFAULT_SCRAPE_INTERVAL: Final = "15s"
DEFAULT_EVALUATION_INTERVAL: Final = "30s"
