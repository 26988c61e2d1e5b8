"""The pipeline: model in, ``{relative path: bytes}`` out.

Each generator module exposes ``generate(catalog) -> dict[str, Artifact]``; they
are pure (no I/O) and never read YAML.  Listed in output order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from obsgen.generate.artifacts import Artifact, serialise
from obsgen.model import Catalog

Generator = Callable[[Catalog], dict[str, Artifact]]

#: Generator modules, each owning a family of files.
GENERATORS: tuple[str, ...] = (
    "obsgen.generate.alerting.rules",
    "obsgen.generate.alerting.rule_tests",
    "obsgen.generate.alerting.alertmanager",
    "obsgen.generate.alerting.kubernetes",
    "obsgen.generate.prometheus_config",
    "obsgen.generate.kubernetes",
    "obsgen.generate.logging.fluentd",
    "obsgen.generate.logging.loki",
    "obsgen.generate.logging.elasticsearch",
    "obsgen.generate.dashboards",
)


def generators() -> list[tuple[str, Generator]]:
    return [(name, importlib.import_module(name).generate) for name in GENERATORS]


def generate(catalog: Catalog) -> dict[str, bytes]:
    """Every file obsgen writes for ``catalog``, as bytes, keyed by path relative to --out."""
    out: dict[str, bytes] = {}
    owner: dict[str, str] = {}
    for name, gen in generators():
        for path, artifact in gen(catalog).items():
            if path in out:
                raise RuntimeError(f"{name} and {owner[path]} both generate {path}")
            owner[path] = name
            out[path] = serialise(artifact)
    return dict(sorted(out.items()))
