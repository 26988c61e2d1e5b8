"""stack/loki/loki.yaml: a single-binary Loki for the demo, with retention.

Built as data and serialised by the YAML writer (never templated text), so
nothing in it needs escaping.  Stream labels are decided by Fluentd
(conventions.LOKI_STREAM_LABELS); this config keeps Loki from adding its own
(service_name discovery off) and allows structured metadata.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Yaml
from obsgen.model import Catalog
from obsgen.policy import logging as policy

__all__ = ["config", "generate"]

#: First day of the tsdb/v13 schema period: any date before the demo's first log line.
SCHEMA_FROM: Final = "2024-01-01"


def config(catalog: Catalog) -> dict[str, Any]:
    """Loki's config as data.  The catalog does not change it today; the signature keeps it a generator."""
    data = C.LOKI_DATA_MOUNT
    port = urlsplit(C.STACK_LOKI_URL).port
    if port is None:
        raise ValueError(f"{C.STACK_LOKI_URL} has no port")
    return {
        "auth_enabled": False,  # demo: one tenant, no X-Scope-OrgID
        "server": {"http_listen_port": port, "grpc_listen_port": 9096, "log_level": "info"},
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": data,
            "storage": {
                "filesystem": {"chunks_directory": f"{data}/chunks", "rules_directory": f"{data}/rules"},
            },
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
        },
        "schema_config": {
            "configs": [
                {
                    "from": SCHEMA_FROM,
                    "store": "tsdb",
                    "object_store": "filesystem",
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": "24h"},  # tsdb needs 24h periods
                }
            ],
        },
        "limits_config": {
            # Retention is applied by the compactor (retention_enabled below).
            "retention_period": policy.go_duration(policy.RETENTION),
            "allow_structured_metadata": True,
            # Exactly the labels Fluentd sends: no service_name copy of `service`.
            "discover_service_name": [],
            # Fluentd may deliver a backlog after an outage: accept it while it is retained.
            "reject_old_samples": True,
            "reject_old_samples_max_age": policy.go_duration(policy.RETENTION),
        },
        "compactor": {
            "working_directory": f"{data}/compactor",
            "compaction_interval": "10m",
            "retention_enabled": True,
            "retention_delete_delay": "2h",
            "delete_request_store": "filesystem",
        },
        "analytics": {"reporting_enabled": False},
    }


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return {C.LOKI_CONFIG_PATH: Yaml(config(catalog))}
