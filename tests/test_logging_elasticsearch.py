"""Elasticsearch bodies against the shapes Elasticsearch documents (tests/schemas, pages cited there)."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from obsgen import conventions as C
from obsgen.errors import CatalogError
from obsgen.generate.logging import elasticsearch
from obsgen.model import Catalog
from obsgen.policy import logging as policy
from tests.conftest import REPO, catalog_from

SCHEMAS = REPO / "tests" / "schemas"


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS / name).read_text()))


TEMPLATE = validator("elasticsearch-index-template.schema.json")
ILM = validator("elasticsearch-ilm-policy.schema.json")


def catalog_with_fields(*fields: str) -> Catalog:
    return catalog_from(f"""
        apiVersion: obsgen/v1
        teams: {{t: {{}}}}
        services:
          pay: {{team: t, logs: {{fields: [{", ".join(fields)}]}}}}
          find: {{team: t, logs: {{fields: [query_terms, retries]}}}}
    """)


def props(catalog: Catalog) -> dict[str, Any]:
    result: dict[str, Any] = elasticsearch.index_template(catalog)["template"]["mappings"]["properties"]
    return result


def test_the_index_template_has_the_documented_shape(example_catalog: Catalog) -> None:
    TEMPLATE.validate(elasticsearch.index_template(example_catalog))


def test_the_ilm_policy_has_the_documented_shape() -> None:
    ILM.validate(elasticsearch.ilm_policy())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(("index_patterns",), [], id="no index pattern"),
        pytest.param(("template", "mappings", "dynamic"), "sometimes", id="unknown dynamic mode"),
        pytest.param(
            ("template", "mappings", "properties", "url"), {"type": "string"}, id="ES 2 string type"
        ),
        pytest.param(
            ("template", "mappings", "properties", "status"),
            {"type": "integer", "ignore_above": 5},
            id="ignore_above on a number",
        ),
        pytest.param(("template", "settings", "index", "lifecycle"), {"nmae": "x"}, id="misspelt setting"),
        pytest.param(("templates",), {}, id="unknown top-level key"),
    ],
)
def test_the_template_schema_rejects_what_elasticsearch_would(
    example_catalog: Catalog, path: tuple[str, ...], value: Any
) -> None:
    body = copy.deepcopy(elasticsearch.index_template(example_catalog))
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert not TEMPLATE.is_valid(body)


def test_the_ilm_schema_rejects_an_action_in_the_wrong_phase() -> None:
    body = elasticsearch.ilm_policy()
    body["policy"]["phases"]["delete"]["actions"]["rollover"] = {"max_age": "1d"}
    assert not ILM.is_valid(body)


def test_a_services_log_fields_reach_the_mapping() -> None:
    mapped = props(catalog_with_fields("card_brand", "url", "attempt_ms"))
    assert mapped["card_brand"] == {"type": "keyword", "ignore_above": policy.ES_KEYWORD_IGNORE_ABOVE}
    assert mapped["query_terms"]["type"] == "keyword"  # the other service's field too
    assert mapped["attempt_ms"]["type"] == "keyword"  # unknown name: keyword, never guessed


@pytest.mark.parametrize(
    ("field", "type_"),
    [
        (C.LOG_RETRIES, "integer"),
        (C.LOG_STATUS, "integer"),
        (C.LOG_DURATION_MS, "float"),
        (C.LOG_TIME, "date"),
        (C.ES_TIME_FIELD, "date"),
        (C.LOG_MESSAGE, "text"),
        (C.LOG_URL, "keyword"),
        (C.LOG_REQUEST_ID, "keyword"),
        (C.LOG_ERROR_CODE, "keyword"),
        (C.LOG_SERVICE, "keyword"),
        (C.LOG_ENVIRONMENT, "keyword"),
        (C.LOG_TEAM, "keyword"),
        (C.LOG_LEVEL_FIELD, "keyword"),
        (C.LOG_METHOD, "keyword"),
        (C.LOG_ROUTE, "keyword"),
        (C.LOG_DOCKER_LINE, "text"),
    ],
)
def test_standard_fields_are_mapped_with_their_types(
    example_catalog: Catalog, field: str, type_: str
) -> None:
    assert props(example_catalog)[field]["type"] == type_


def test_a_known_field_keeps_its_type_when_a_service_lists_it() -> None:
    assert props(catalog_with_fields("retries", "duration_ms"))[C.LOG_RETRIES]["type"] == "integer"


def test_the_example_catalogs_fields_are_mapped(example_catalog: Catalog) -> None:
    mapped = props(example_catalog)
    for svc in example_catalog.services:
        assert set(svc.log_fields) <= set(mapped)


def test_unmapped_fields_are_stored_not_indexed_and_bad_values_do_not_reject_the_line(
    example_catalog: Catalog,
) -> None:
    template = elasticsearch.index_template(example_catalog)["template"]
    assert template["mappings"]["dynamic"] is False
    assert template["settings"]["index"]["mapping"]["ignore_malformed"] is True


def test_a_catalog_that_would_exceed_the_total_fields_limit_is_refused() -> None:
    services = "\n".join(
        f"  s{i}: {{team: t, logs: {{fields: [{', '.join(f'f{i}_{j}' for j in range(100))}]}}}}"
        for i in range(10)
    )
    # Refused by the catalog layer (validate ok must mean generate succeeds), not by the generator.
    with pytest.raises(CatalogError, match="Elasticsearch's field limit"):
        catalog_from("apiVersion: obsgen/v1\nteams: {t: {}}\nservices:\n" + services)


def test_indices_match_the_pattern_grafana_reads_and_use_the_ilm_policy(example_catalog: Catalog) -> None:
    body = elasticsearch.index_template(example_catalog)
    assert body["index_patterns"] == [C.ES_INDEX_PATTERN]
    assert body["template"]["settings"]["index"]["lifecycle"]["name"] == C.ES_ILM_POLICY_NAME


def test_retention_deletes_after_the_policy_period() -> None:
    phases = elasticsearch.ilm_policy()["policy"]["phases"]
    assert phases["delete"] == {"min_age": "7d", "actions": {"delete": {}}}
    assert policy.RETENTION.days == 7
