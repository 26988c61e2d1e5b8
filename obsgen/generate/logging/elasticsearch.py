"""stack/elasticsearch: the index template (mappings) and ILM policy (retention) of the log indices.

Fluentd writes daily indices ``obsgen-logs-YYYY.MM.DD`` and installs the
template itself (``template_file``, composable API).  Every field a line can
carry is mapped explicitly: the standard fields of obsgen.instrument's lines,
what the docker logging driver adds, and each service's ``logs.fields``.
Types come from :data:`FIELD_TYPES` (a name alone cannot tell a type), keyword
otherwise.  ``dynamic: false`` keeps any other field in ``_source`` without
mapping it: a line with an unexpected field is still stored (``strict`` would
reject the whole document) and cannot grow the mapping toward
``index.mapping.total_fields.limit`` (``true`` would).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Json
from obsgen.model import Catalog
from obsgen.policy import logging as policy

__all__ = ["FIELD_TYPES", "STANDARD_FIELDS", "field_mapping", "generate", "ilm_policy", "index_template"]

_KEYWORD: Final = MappingProxyType({"type": "keyword", "ignore_above": policy.ES_KEYWORD_IGNORE_ABOVE})
_TEXT: Final = MappingProxyType({"type": "text"})

#: Mapping of every field whose type is known by name.  Everything else is keyword.
FIELD_TYPES: Final[MappingProxyType[str, MappingProxyType[str, Any]]] = MappingProxyType(
    {
        C.ES_TIME_FIELD: MappingProxyType({"type": "date"}),
        C.LOG_TIME: MappingProxyType({"type": "date"}),
        C.LOG_MESSAGE: MappingProxyType(
            {
                "type": "text",
                "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
            }
        ),
        C.LOG_EXCEPTION: _TEXT,
        C.LOG_DOCKER_LINE: _TEXT,
        C.LOG_STATUS: MappingProxyType({"type": "integer"}),
        C.LOG_RETRIES: MappingProxyType({"type": "integer"}),
        C.LOG_DURATION_MS: MappingProxyType({"type": "float"}),
    }
)

#: Fields of every line (obsgen.instrument.logs, Fluentd's enrichment, the docker driver).
STANDARD_FIELDS: Final = (
    C.ES_TIME_FIELD,
    C.LOG_TIME,
    C.LOG_LEVEL_FIELD,
    C.LOG_MESSAGE,
    C.LOG_LOGGER,
    C.LOG_EXCEPTION,
    C.LOG_SERVICE,
    C.LOG_ENVIRONMENT,
    C.LOG_TEAM,
    C.LOG_METHOD,
    C.LOG_ROUTE,
    C.LOG_URL,
    C.LOG_STATUS,
    C.LOG_DURATION_MS,
    C.LOG_REQUEST_ID,
    C.LOG_RETRIES,
    C.LOG_ERROR_CODE,
    C.LOG_DOCKER_LINE,
    C.LOG_CONTAINER_ID,
    C.LOG_CONTAINER_NAME,
    C.LOG_STREAM_SOURCE,
)


def field_mapping(name: str) -> dict[str, Any]:
    """The mapping of one field: from FIELD_TYPES, keyword otherwise."""
    mapping: dict[str, Any] = _thaw(FIELD_TYPES.get(name, _KEYWORD))
    return mapping


def _thaw(value: Any) -> Any:
    if isinstance(value, MappingProxyType | dict):
        return {k: _thaw(v) for k, v in value.items()}
    return value


def _field_count(properties: dict[str, Any]) -> int:
    """Fields as index.mapping.total_fields.limit counts them (multi-fields included)."""
    return sum(1 + len(m.get("fields", {})) for m in properties.values())


def index_template(catalog: Catalog) -> dict[str, Any]:
    """Body of ``PUT _index_template/obsgen-logs``."""
    names = set(STANDARD_FIELDS)
    for svc in catalog.services:
        names.update(svc.log_fields)
    properties = {name: field_mapping(name) for name in sorted(names)}
    count = _field_count(properties)
    if count >= policy.ES_TOTAL_FIELDS_LIMIT:
        raise ValueError(
            f"the services' logs.fields map {count} Elasticsearch fields; "
            f"index.mapping.total_fields.limit is {policy.ES_TOTAL_FIELDS_LIMIT}"
        )
    return {
        "index_patterns": [C.ES_INDEX_PATTERN],
        # Above the built-in templates (priority 100) should a pattern ever overlap.
        "priority": 200,
        "_meta": {"generated_by": "obsgen", "description": "Structured logs of the catalog's services"},
        "template": {
            "settings": {
                "index": {
                    "number_of_shards": 1,
                    "number_of_replicas": 0,  # the demo runs one node
                    "refresh_interval": "5s",
                    "lifecycle": {"name": C.ES_ILM_POLICY_NAME},
                    "mapping": {
                        "total_fields": {"limit": policy.ES_TOTAL_FIELDS_LIMIT},
                        # A value of the wrong type (retries: "two") is left unindexed
                        # instead of rejecting the whole line.
                        "ignore_malformed": True,
                    },
                },
            },
            "mappings": {
                "dynamic": False,
                "properties": properties,
            },
        },
    }


def ilm_policy() -> dict[str, Any]:
    """Body of ``PUT _ilm/policy/obsgen-logs``: hot, then deleted after the retention.

    Daily indices do not roll over, so the delete phase's min_age counts from
    each index's creation: an index is deleted RETENTION after its day began.
    """
    return {
        "policy": {
            "_meta": {"generated_by": "obsgen"},
            "phases": {
                "hot": {"min_age": "0ms", "actions": {"set_priority": {"priority": 100}}},
                "delete": {"min_age": policy.es_duration(policy.RETENTION), "actions": {"delete": {}}},
            },
        },
    }


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return {
        C.ES_INDEX_TEMPLATE_PATH: Json(index_template(catalog)),
        C.ES_ILM_POLICY_PATH: Json(ilm_policy()),
    }
