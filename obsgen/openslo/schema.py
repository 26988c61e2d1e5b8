"""Validate OpenSLO documents against the OpenSLO project's published v1 JSON schema.

The schema ships with obsgen (``schemas/v1/``, see its SOURCE.md) and is read offline through a
``referencing`` registry: no network.  A document is checked against ``general.schema.json``
and then against the part of its kind, which is exactly the branch the ``oneOf`` of
``openslo.schema.json`` selects, so errors point at the field instead of "is not valid under
any of the given schemas".
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

from obsgen.errors import ObsgenError, Problem
from obsgen.openslo.load import Doc

API_VERSION = "openslo/v1"
_BASE = "https://openslo.com/schemas/v1/"
KIND_PARTS = {
    "AlertCondition": "alertcondition-spec",
    "AlertNotificationTarget": "alertnotificationtarget-spec",
    "AlertPolicy": "alertpolicy-spec",
    "DataSource": "datasource-spec",
    "Service": "service-spec",
    "SLI": "sli-spec",
    "SLO": "slo-spec",
}


def _jsonschema() -> Any:
    try:
        import jsonschema
        import referencing
    except ImportError:
        raise ObsgenError(
            "OpenSLO import needs the jsonschema package to validate documents against the OpenSLO "
            "schema; install it with `pip install 'obsgen[openslo]'`"
        ) from None
    return jsonschema, referencing


def _schema_texts() -> dict[str, dict[str, Any]]:
    root = resources.files("obsgen.openslo").joinpath("schemas", "v1")
    out = {_BASE + "openslo.schema.json": json.loads(root.joinpath("openslo.schema.json").read_text("utf-8"))}
    for part in root.joinpath("parts").iterdir():
        if part.name.endswith(".schema.json"):
            out[_BASE + "parts/" + part.name] = json.loads(part.read_text("utf-8"))
    return out


@cache
def _validators() -> dict[str, Any]:
    """One Draft 7 validator per schema id, sharing an offline registry."""
    jsonschema, referencing = _jsonschema()
    texts = _schema_texts()
    registry = referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(s, default_specification=referencing.jsonschema.DRAFT7))
        for uri, s in texts.items()
    )
    return {uri: jsonschema.Draft7Validator(s, registry=registry) for uri, s in texts.items()}


def validator(name: str) -> Any:
    """The validator of ``openslo.schema.json`` or ``parts/<name>.schema.json`` (tests use it)."""
    uri = _BASE + (name if name == "openslo.schema.json" else f"parts/{name}.schema.json")
    return _validators()[uri]


def problems(doc: Doc) -> list[Problem]:
    """Every schema violation of ``doc``, each with its field path; [] when it is valid."""
    data = doc.data
    if not isinstance(data, dict):
        return [
            doc.problem(
                (),
                f"an OpenSLO document must be a mapping (apiVersion, kind, metadata, spec), "
                f"not {_type(data)}",
            )
        ]
    if data.get("apiVersion") != API_VERSION:
        return [
            doc.problem(
                ("apiVersion",),
                f"{data.get('apiVersion')!r} is not supported; obsgen reads "
                f"apiVersion: {API_VERSION} (convert v1alpha documents first)",
            )
        ]
    kind = data.get("kind")
    if kind not in KIND_PARTS:
        return [
            doc.problem(
                ("kind",), f"unknown kind {kind!r}; OpenSLO v1 kinds are {', '.join(sorted(KIND_PARTS))}"
            )
        ]
    out = [_problem(doc, e) for e in validator("general").iter_errors(data)]
    out += [_problem(doc, e) for e in validator(KIND_PARTS[kind]).iter_errors(data)]
    # JSON has no NaN or infinity; YAML does (.nan, .inf), and the schema's "number" lets them through.
    out += [doc.problem(path, "must be a finite number") for path in _non_finite(data, ())]
    return sorted(set(out))


def _problem(doc: Doc, error: Any) -> Problem:
    """A schema error at its deepest relevant cause (oneOf/anyOf errors carry the real one inside)."""
    from jsonschema.exceptions import best_match

    if error.context:
        error = best_match(error.context) or error
    path = tuple(error.absolute_path)
    return doc.problem(path, f"{_message(error)} (OpenSLO v1 schema: {error.validator})")


def _message(error: Any) -> str:
    """jsonschema's message, without the instance dumps it adds for some keywords."""
    keyword, value = error.validator, error.validator_value
    if keyword == "not" and isinstance(value, dict) and "required" in value:
        return f"must not have all of {', '.join(value['required'])} together"
    if keyword == "oneOf" and all(isinstance(b, dict) and "required" in b for b in value):
        return "must have exactly one of " + ", ".join(" + ".join(b["required"]) for b in value)
    if keyword == "maxItems":
        return f"has more than {value} item{'s' if value != 1 else ''}"
    if keyword == "maxLength":
        return f"is longer than {value} characters"
    message: str = error.message
    return message if len(message) <= 200 else message[:200] + "..."


def _non_finite(value: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _non_finite(v, (*path, i))]
    return []


def _type(value: Any) -> str:
    from obsgen.catalog.loader import type_name

    return type_name(value)
