"""stack/fluentd: fluent.conf (a function of the catalog) and the Dockerfile adding its outputs.

``context(catalog)`` decides everything; the jinja2 templates in
obsgen/templates/fluentd only lay it out.  Every value they print is a
:class:`~obsgen.generate.logging.fluentd_syntax.Fluentd` (already escaped):
``render`` refuses anything else, so a catalog value cannot reach the file raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import jinja2

from obsgen import conventions as C
from obsgen.generate.artifacts import Artifact, Text
from obsgen.generate.logging.fluentd_syntax import (
    Fluentd,
    comment,
    number,
    quote,
    record_value,
    ruby,
    ruby_words,
    tag_pattern,
)
from obsgen.model import Catalog
from obsgen.policy import logging as policy

__all__ = [
    "BASE_IMAGE",
    "BASE_IMAGE_RUBY",
    "ELASTICSEARCH_MAJOR",
    "EVENT_TIME_KEY",
    "GEMS",
    "context",
    "generate",
    "render",
    "service_tag",
]

#: The official image, Debian variant (jemalloc; the image docs recommend it for production).
BASE_IMAGE: Final = "fluent/fluentd:v1.16.2-debian-1.1"
#: The Ruby of BASE_IMAGE: the v1.16 Debian images are built on ruby:3.1-slim-bullseye
#: (fluent/fluentd-docker-image, v1.16/debian/Dockerfile).  Every gem's required_ruby_version
#: must accept it (tests/test_logging_fluentd_gems.py reads the vendored gemspecs).
BASE_IMAGE_RUBY: Final = "3.1"
#: The Elasticsearch the stack runs (docker-compose.yml: 8.15).  The output plugin assumes it
#: instead of asking at startup, and its client gem must be of the same major.
ELASTICSEARCH_MAJOR: Final = 8


@dataclass(frozen=True)
class Gem:
    name: str
    version: str


#: Output plugins, pinned, installed in this order.  fluent-plugin-elasticsearch
#: depends on ``elasticsearch`` without a bound, and the 9.x client sends
#: ``compatible-with=9`` headers that Elasticsearch 8 rejects: the 8.x client goes in
#: first and the plugins are installed with --conservative --minimal-deps, so
#: nothing upgrades it; the build then fails if any elasticsearch gem >= 9 is present.
#: fluent-plugin-grafana-loki 1.2.19 requires Ruby ~> 2.7 (refused by the image's 3.1);
#: 1.2.20 changed only that (grafana/loki#8195).
GEMS: Final = (
    Gem("elasticsearch", "8.13.0"),
    Gem("fluent-plugin-elasticsearch", "5.4.3"),
    Gem("fluent-plugin-grafana-loki", "1.2.20"),
)
#: The elasticsearch client gems must stay below this major (see GEMS).
ELASTICSEARCH_CLIENT_BELOW: Final = ELASTICSEARCH_MAJOR + 1
#: A record key used only inside fluent.conf, to carry the checked event time between two
#: filters (removed before the stores).  No line of obsgen's carries it.
EVENT_TIME_KEY: Final = "_obsgen_event_time"

STORES_LABEL: Final = "@STORES"
UNKNOWN_SERVICE_LABEL: Final = "@UNKNOWN_SERVICE"
_TEMPLATES: Final = jinja2.Environment(
    loader=jinja2.PackageLoader("obsgen", "templates/fluentd"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=False,
    autoescape=False,  # not HTML: escaping is Fluentd's, enforced by _only_escaped
)


def _only_escaped(value: Any) -> Any:
    if not isinstance(value, Fluentd):
        raise TypeError(f"fluent.conf template printed an unescaped value: {value!r}")
    return value


_CONF_TEMPLATES: Final = _TEMPLATES.overlay(finalize=_only_escaped)


def service_tag(service: str) -> str:
    """The Fluentd tag of a service's records (what obsgen.instrument.fluent sends)."""
    return f"{C.FLUENTD_TAG_PREFIX}.{service}"


def _key(name: str) -> Fluentd:
    """A record key or label name written bare (``service``)."""
    return tag_pattern(name) if "." not in name and "*" not in name else _bad_key(name)


def _bad_key(name: str) -> Fluentd:
    raise ValueError(f"{name!r} is not a plain record key")


def _buffer(name: str, overflow_action: str = policy.BUFFER_OVERFLOW_ACTION) -> dict[str, Fluentd]:
    return {
        "path": quote(f"{C.FLUENTD_BUFFER_MOUNT}/{name}"),
        "flush_interval": Fluentd(policy.BUFFER_FLUSH_INTERVAL),
        "chunk_limit_size": Fluentd(policy.BUFFER_CHUNK_LIMIT),
        "total_limit_size": Fluentd(policy.BUFFER_TOTAL_LIMIT),
        "overflow_action": Fluentd(overflow_action),
        "retry_wait": Fluentd(policy.BUFFER_RETRY_WAIT),
        "retry_max_interval": Fluentd(policy.BUFFER_RETRY_MAX_INTERVAL),
    }


def _bounded(field: str, allowed: list[str], fallback: str | None = None) -> Fluentd:
    """Ruby: the record's ``field`` if it is one of ``allowed``, else ``unknown``."""
    value = f'record["{field}"]'
    if fallback is not None:
        value = f'(record["{field}"] || ENV["{fallback}"])'
    words = ruby_words(allowed)
    # The names spelled inside the expression must be Ruby-safe words too.
    ruby_words([field, C.LOG_LABEL_UNKNOWN, *([fallback] if fallback else [])])
    return ruby(f'{words}.include?({value}.to_s) ? {value}.to_s : "{C.LOG_LABEL_UNKNOWN}"')


def context(catalog: Catalog) -> dict[str, Any]:
    """Everything fluent.conf says, escaped for Fluentd; the template only lays it out."""
    teams = {t.name for t in catalog.teams}
    services = []
    for svc in catalog.services:
        if svc.team not in teams:
            raise ValueError(f"service {svc.name}: team {svc.team} is not in the catalog")
        services.append(
            {
                "name": comment(svc.name),
                "service": record_value(svc.name),
                "team": record_value(svc.team),
                "tag": tag_pattern(service_tag(svc.name)),
                "filter_id": quote(f"enrich_{svc.name}"),
                "match_id": quote(f"route_{svc.name}"),
            }
        )
    envs = sorted(e.name for e in catalog.environments)
    return {
        "tag_example": tag_pattern(service_tag(catalog.services[0].name)),
        "tag_all": tag_pattern(f"{C.FLUENTD_TAG_PREFIX}.**"),
        "forward_port": number(C.FLUENTD_FORWARD_PORT),
        "docker_line": _key(C.LOG_DOCKER_LINE),
        "time_key": _key(C.LOG_TIME),
        "event_time_key": _key(EVENT_TIME_KEY),
        # The record's ts when Time.iso8601 reads it, else the event's own time: the parser
        # after it (the same Time.iso8601) then never fails, so no record is dropped.
        "event_time_expression": ruby(
            f'(Time.iso8601(record["{C.LOG_TIME}"]) rescue nil) ? record["{C.LOG_TIME}"] : time.utc.iso8601(9)'
        ),
        "services": services,
        "service_key": _key(C.LOG_SERVICE),
        "team_key": _key(C.LOG_TEAM),
        "env_key": _key(C.LOG_ENVIRONMENT),
        "level_key": _key(C.LOG_LEVEL_FIELD),
        "unknown": record_value(C.LOG_LABEL_UNKNOWN),
        "unknown_comment": comment(C.LOG_LABEL_UNKNOWN),
        "stores_label": Fluentd(STORES_LABEL),
        "unknown_label": Fluentd(UNKNOWN_SERVICE_LABEL),
        # The app writes its environment into every line; a line without one (raw
        # stdout) gets the environment Fluentd itself runs in.
        "env_expression": _bounded(C.LOG_ENVIRONMENT, envs, fallback=C.ENV_ENVIRONMENT),
        "level_expression": _bounded(C.LOG_LEVEL_FIELD, list(C.LOG_LEVELS)),
        "loki": {
            "url": quote(catalog.deployment.loki_url),
            "labels": [_key(label) for label in C.LOKI_STREAM_LABELS],
            "buffer": _buffer("loki"),
        },
        "es": {
            "url": quote(catalog.deployment.elasticsearch_url),
            "index_prefix": quote(C.ES_INDEX_PREFIX),
            "index_example": Fluentd(f"{C.ES_INDEX_PREFIX}-YYYY.MM.DD"),
            "major_version": number(ELASTICSEARCH_MAJOR),
            "template_name": quote(C.ES_INDEX_TEMPLATE_NAME),
            "template_file": quote(f"{C.FLUENTD_ES_MOUNT}/{C.ES_INDEX_TEMPLATE_PATH.rsplit('/', 1)[1]}"),
            "buffer": _buffer("elasticsearch", policy.ES_BUFFER_OVERFLOW_ACTION),
        },
        "errors": {
            "path": quote(f"{C.FLUENTD_LOG_MOUNT}/errors"),
            "buffer": _buffer("errors"),
        },
    }


def dockerfile_context() -> dict[str, Any]:
    return {
        "base_image": BASE_IMAGE,
        "client": GEMS[0],
        "plugins": GEMS[1:],
        "client_below": ELASTICSEARCH_CLIENT_BELOW,
        "config_dir": C.FLUENTD_CONFIG_MOUNT,
        "es_dir": C.FLUENTD_ES_MOUNT,
        "buffer_dir": C.FLUENTD_BUFFER_MOUNT,
        "log_dir": C.FLUENTD_LOG_MOUNT,
    }


def render(catalog: Catalog) -> str:
    """fluent.conf for ``catalog`` (without the generated-by header)."""
    return _CONF_TEMPLATES.get_template("fluent.conf.j2").render(context(catalog))


def render_dockerfile() -> str:
    # Constants of this module only: no catalog value reaches the Dockerfile.
    return _TEMPLATES.get_template("Dockerfile.j2").render(dockerfile_context())


def generate(catalog: Catalog) -> dict[str, Artifact]:
    return {
        C.FLUENTD_CONFIG_PATH: Text(render(catalog)),
        C.FLUENTD_DOCKERFILE_PATH: Text(render_dockerfile()),
    }
