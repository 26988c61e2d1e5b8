"""loki.yaml against Loki's config schema (../shared/schemas/loki.json), closed at every level."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from obsgen import conventions as C
from obsgen.generate.artifacts import serialise
from obsgen.generate.logging import loki
from obsgen.model import Catalog
from obsgen.policy import logging as policy
from tests.conftest import schema_path


def closed(schema: Any) -> Any:
    """The schema with additionalProperties: false wherever it lists properties and says nothing.

    SchemaStore's loki.json only closes the top level; closing the rest makes
    a misspelt key (``retention_enabeld``) fail instead of being ignored.
    """
    if isinstance(schema, dict):
        out = {k: closed(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


@pytest.fixture(scope="module")
def loki_schema() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(closed(json.loads(schema_path("loki.json").read_text())))


def loaded(catalog: Catalog) -> dict[str, Any]:
    """The config as Loki reads it: through the YAML serialiser, not the dict."""
    data: dict[str, Any] = yaml.safe_load(serialise(loki.generate(catalog)[C.LOKI_CONFIG_PATH]))
    return data


def test_the_config_validates_against_lokis_schema(
    example_catalog: Catalog, loki_schema: jsonschema.Draft7Validator
) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in loki_schema.iter_errors(loaded(example_catalog))
    ]
    assert errors == []


def test_the_closed_schema_catches_a_misspelt_key(
    example_catalog: Catalog, loki_schema: jsonschema.Draft7Validator
) -> None:
    config = loaded(example_catalog)
    config["compactor"]["retention_enabeld"] = config["compactor"].pop("retention_enabled")
    assert not loki_schema.is_valid(config)


def test_retention_is_enabled_and_matches_the_policy(example_catalog: Catalog) -> None:
    config = loaded(example_catalog)
    assert config["compactor"]["retention_enabled"] is True
    assert config["compactor"]["delete_request_store"] == "filesystem"  # required with retention
    assert config["limits_config"]["retention_period"] == f"{policy.RETENTION.days * 24}h"


def test_single_binary_tsdb_v13_on_the_filesystem_without_auth(example_catalog: Catalog) -> None:
    config = loaded(example_catalog)
    assert config["auth_enabled"] is False
    (period,) = config["schema_config"]["configs"]
    assert (period["store"], period["schema"], period["object_store"]) == ("tsdb", "v13", "filesystem")
    assert period["index"]["period"] == "24h"
    assert config["common"]["replication_factor"] == 1
    assert config["common"]["ring"]["kvstore"]["store"] == "inmemory"
    assert config["server"]["http_listen_port"] == 3100 and C.STACK_LOKI_URL.endswith(":3100")


def test_structured_metadata_allowed_and_no_labels_added_by_loki(example_catalog: Catalog) -> None:
    limits = loaded(example_catalog)["limits_config"]
    assert limits["allow_structured_metadata"] is True
    assert limits["discover_service_name"] == []
