"""Names of the log pipeline: Fluentd, Loki and Elasticsearch (files, indices, record keys)."""

from __future__ import annotations

from typing import Final

from obsgen.conventions.contract import DEFAULT_FLUENTD_PORT, LOG_ENVIRONMENT, LOG_LEVEL_FIELD, LOG_SERVICE

__all__ = [
    "ES_ILM_POLICY_NAME",
    "ES_ILM_POLICY_PATH",
    "ES_INDEX_PATTERN",
    "ES_INDEX_PREFIX",
    "ES_INDEX_TEMPLATE_NAME",
    "ES_INDEX_TEMPLATE_PATH",
    "ES_TIME_FIELD",
    "FLUENTD_CONFIG_PATH",
    "FLUENTD_DOCKERFILE_PATH",
    "FLUENTD_FORWARD_PORT",
    "LOG_CONTAINER_ID",
    "LOG_CONTAINER_NAME",
    "LOG_DOCKER_LINE",
    "LOG_LABEL_UNKNOWN",
    "LOG_STREAM_SOURCE",
    "LOKI_CONFIG_PATH",
    "LOKI_STREAM_LABELS",
]

#: Loki stream labels: low cardinality by construction (never ids or URLs).
LOKI_STREAM_LABELS: Final = (LOG_SERVICE, LOG_ENVIRONMENT, LOG_LEVEL_FIELD)
#: Elasticsearch index pattern the log pipeline writes to and Grafana reads from.
ES_INDEX_PATTERN: Final = "obsgen-logs-*"
#: Time field of the Elasticsearch log documents (Fluentd's logstash_format writes it).
ES_TIME_FIELD: Final = "@timestamp"
#: The docker ``fluentd`` logging driver puts a container's stdout line under this key.
LOG_DOCKER_LINE: Final = "log"
#: Metadata the docker ``fluentd`` logging driver adds to every record.
LOG_CONTAINER_ID: Final = "container_id"
LOG_CONTAINER_NAME: Final = "container_name"
LOG_STREAM_SOURCE: Final = "source"
#: Stream-label value for a service, environment or level outside the catalog's sets.
LOG_LABEL_UNKNOWN: Final = "unknown"
#: Elasticsearch: daily indices ``obsgen-logs-YYYY.MM.DD`` (matched by ES_INDEX_PATTERN).
ES_INDEX_PREFIX: Final = "obsgen-logs"
ES_INDEX_TEMPLATE_NAME: Final = "obsgen-logs"
ES_ILM_POLICY_NAME: Final = "obsgen-logs"
FLUENTD_FORWARD_PORT: Final = DEFAULT_FLUENTD_PORT
#: Generated files of the log pipeline (relative to --out).
FLUENTD_CONFIG_PATH: Final = "stack/fluentd/fluent.conf"
FLUENTD_DOCKERFILE_PATH: Final = "stack/fluentd/Dockerfile"
LOKI_CONFIG_PATH: Final = "stack/loki/loki.yaml"
ES_INDEX_TEMPLATE_PATH: Final = "stack/elasticsearch/index-template.json"
ES_ILM_POLICY_PATH: Final = "stack/elasticsearch/ilm-policy.json"
