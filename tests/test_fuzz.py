"""Random mutations of a valid catalog never produce a traceback: only CatalogError, or a valid model.

By default each test runs a fixed budget of :data:`EXAMPLES` examples, derandomised (the same
examples every run, on every machine) and without the example database, so what CI finds is
reproducible rather than luck.  A deeper, randomised search on demand::

    OBSGEN_FUZZ_EXAMPLES=20000 .venv/bin/pytest -q tests/test_fuzz.py

(``--hypothesis-seed=N`` repeats a given deep run; failures it finds are saved in
``.hypothesis/`` and replayed first next time.)
"""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obsgen.catalog import load_catalog
from obsgen.cli import starter_catalog
from obsgen.errors import CatalogError
from obsgen.generate import generate

BASE: dict[str, Any] = yaml.safe_load(starter_catalog())

#: Examples per test in CI; ``OBSGEN_FUZZ_EXAMPLES`` asks for a deeper randomised run.
EXAMPLES = 300
_DEEP = os.environ.get("OBSGEN_FUZZ_EXAMPLES", "").strip()
FUZZ = settings(
    max_examples=int(_DEEP) if _DEEP else EXAMPLES,
    derandomize=not _DEEP,
    database=settings().database if _DEEP else None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["5..", "400ms", "1h", "99.9", "payments", "pay", "-1", "1e309", "{", "\x00"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


ALL_PATHS = [p for p in paths(BASE) if p]


def mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[str(value)[:10] or "x"] = value
    else:
        parent[last] = value
    return doc


def check(text: bytes) -> None:
    try:
        catalog = load_catalog(text, "fuzz.yaml")
    except CatalogError as exc:
        assert exc.problems, "a CatalogError always carries at least one problem"
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml" and problem.message
        return
    generate(catalog)  # a catalog that validates must also generate


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["delete", "replace", "add"]), values),
        min_size=1,
        max_size=3,
    )
)
def test_structural_mutations_never_crash(mutations: list[tuple[tuple[Any, ...], str, Any]]) -> None:
    doc: Any = BASE
    for path, action, value in mutations:
        try:
            doc = mutate(doc, path, action, value)
        except (KeyError, IndexError, TypeError):
            continue
    check(yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.integers(0, len(starter_catalog())), st.binary(min_size=0, max_size=8), st.integers(0, 8))
def test_byte_level_mutations_never_crash(at: int, insert: bytes, delete: int) -> None:
    raw = starter_catalog().encode()
    check(raw[:at] + insert + raw[at + delete :])
