"""The pipeline: model in, ``(relative path, bytes)`` out, one file at a time.

Each generator module exposes ``generate(catalog) -> dict[str, Artifact]``; they
are pure (no I/O) and never read YAML.  A module whose files grow with the catalog
(one or more per service) also exposes ``files(catalog)``, the same artifacts yielded
one at a time, so :func:`stream` holds one file's data at once, not the whole tree.
:data:`GENERATORS` says which outputs (``catalog.outputs``) each one belongs to: a
generator runs only when every output it serves is selected, so the files of a
deselected output are not in the plan (``check`` ignores them and ``generate`` prunes
them).  Listed in output order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator

from obsgen.generate.artifacts import Artifact, serialise
from obsgen.model import Catalog, Output

Generator = Callable[[Catalog], dict[str, Artifact]]
#: A generator's artifacts one at a time, in a fixed order.
Files = Callable[[Catalog], Iterable[tuple[str, Artifact]]]

#: Generator modules, each owning a family of files, and the outputs that must all be selected.
GENERATORS: tuple[tuple[str, frozenset[Output]], ...] = (
    # With the kubernetes output also the rules as PrometheusRules for the Prometheus Operator.
    ("obsgen.generate.alerting.rules", frozenset({"rules"})),
    ("obsgen.generate.alerting.rule_tests", frozenset({"rule_tests"})),
    ("obsgen.generate.alerting.alertmanager", frozenset({"alertmanager"})),
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


def file_generators(catalog: Catalog | None = None) -> list[tuple[str, Files]]:
    """Like :func:`generators`, each as its artifacts one at a time (``files`` where the module has it)."""
    out: list[tuple[str, Files]] = []
    for name, outputs in GENERATORS:
        if catalog is None or outputs <= catalog.outputs:
            module = importlib.import_module(name)
            out.append((name, getattr(module, "files", None) or _items(module.generate)))
    return out


def _items(gen: Generator) -> Files:
    return lambda catalog: gen(catalog).items()


def stream(catalog: Catalog) -> Iterator[tuple[str, bytes]]:
    """Every file obsgen writes for ``catalog``, serialised one at a time (generator order, not sorted).

    Only the paths seen so far are kept (to refuse two generators writing one path), so a
    consumer that lets each file go holds one file's data at a time.
    """
    owner: dict[str, str] = {}
    for name, files in file_generators(catalog):
        for path, artifact in files(catalog):
            if path in owner:
                raise RuntimeError(f"{name} and {owner[path]} both generate {path}")
            owner[path] = name
            yield path, serialise(artifact)


def collect(files: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """A stream of files as one ``{path: bytes}`` mapping, sorted by path."""
    return dict(sorted(files, key=lambda item: item[0]))


def generate(catalog: Catalog) -> dict[str, bytes]:
    """Every file obsgen writes for ``catalog``, as bytes, keyed by path relative to --out (all in memory)."""
    return collect(stream(catalog))
