"""The pipeline: model in, ``{relative path: bytes}`` out.

Each generator module exposes ``generate(catalog) -> dict[str, Artifact]``; they
are pure (no I/O) and never read YAML.  :data:`GENERATORS` says which outputs
(``catalog.outputs``) each one belongs to: a generator runs only when every
output it serves is selected, so the files of a deselected output are not in the
plan (``check`` ignores them and ``generate`` prunes them).  Listed in output order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from obsgen.generate.artifacts import Artifact, serialise
from obsgen.model import Catalog, Output

Generator = Callable[[Catalog], dict[str, Artifact]]

#: Generator modules, each owning a family of files, and the outputs that must all be selected.
GENERATORS: tuple[tuple[str, frozenset[Output]], ...] = (
    ("obsgen.generate.alerting.rules", frozenset({"rules"})),
    ("obsgen.generate.alerting.rule_tests", frozenset({"rule_tests"})),
    ("obsgen.generate.alerting.alertmanager", frozenset({"alertmanager"})),
    # PrometheusRule resources: the rules, for the Prometheus Operator.
    ("obsgen.generate.alerting.kubernetes", frozenset({"rules", "kubernetes"})),
    ("obsgen.generate.prometheus_config", frozenset({"prometheus"})),
    ("obsgen.generate.kubernetes", frozenset({"kubernetes"})),
    ("obsgen.generate.logging.fluentd", frozenset({"logging"})),
    ("obsgen.generate.logging.loki", frozenset({"logging"})),
    ("obsgen.generate.logging.elasticsearch", frozenset({"logging"})),
    # With the kubernetes output also the dashboards as ConfigMaps for the Grafana sidecar.
    ("obsgen.generate.dashboards", frozenset({"dashboards"})),
)


def generators(catalog: Catalog | None = None) -> list[tuple[str, Generator]]:
    """The generators that run for ``catalog`` (all of them when it is None)."""
    return [
        (name, importlib.import_module(name).generate)
        for name, outputs in GENERATORS
        if catalog is None or outputs <= catalog.outputs
    ]


def generate(catalog: Catalog) -> dict[str, bytes]:
    """Every file obsgen writes for ``catalog``, as bytes, keyed by path relative to --out."""
    out: dict[str, bytes] = {}
    owner: dict[str, str] = {}
    for name, gen in generators(catalog):
        for path, artifact in gen(catalog).items():
            if path in out:
                raise RuntimeError(f"{name} and {owner[path]} both generate {path}")
            owner[path] = name
            out[path] = serialise(artifact)
    return dict(sorted(out.items()))
