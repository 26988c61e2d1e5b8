"""The libyaml path of obsgen.render writes exactly the bytes of the pure-Python emitter.

render serialises YAML with libyaml's C emitter plus a re-indent pass, falling back to PyYAML's
pure-Python emitter for output the pass does not vouch for.  These tests hold the two to the same
bytes: on hypothesis-generated documents (seeded, a fixed example budget; ``OBSGEN_RENDER_EXAMPLES``
raises it for a deeper run), on every test catalog's output, and on a synthesised catalog.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bench import bench_generate
from obsgen import render
from obsgen.catalog import load_catalog
from obsgen.generate import generators
from obsgen.generate.artifacts import Artifact, Yaml, YamlDocuments

CATALOGS = sorted((Path(__file__).parent / "catalogs").glob("*.yaml"))
ROOT_CATALOG = Path(__file__).parent.parent / "catalog.yaml"
EXAMPLES = int(os.environ.get("OBSGEN_RENDER_EXAMPLES", "400"))

pytestmark = pytest.mark.skipif(not render.WITH_LIBYAML, reason="PyYAML without libyaml: one path only")

#: Characters YAML's emitters treat specially, plus ordinary text (the shapes generators write).
_ALPHABET = st.sampled_from(
    [
        *"ab z09",
        " ",
        "\n",
        "\n",
        ":",
        "#",
        "-",
        "?",
        "'",
        '"',
        "|",
        ">",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&",
        "*",
        "!",
        "%",
        "@",
        "`",
        "~",
        "\\",
        "=",
        ".",
        "\t",
        "\r",
        "é",
        "\x85",
        "\u2028",
        "\ufeff",
        "\U0001f600",
        "\x00",
        "\x7f",
        "\xa0",
        "sum(rate(x[5m]))",
        "  ",
        "\n\n",
        "true",
        "null",
        "1.5",
        "0x1",
        "---",
        "...",
    ]
)
_TEXT = st.lists(_ALPHABET, max_size=12).map("".join)
_SCALARS = st.one_of(_TEXT, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
_KEYS = st.one_of(_TEXT, st.text(alphabet="ab:", min_size=118, max_size=132), st.integers())
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=30,
)


def _same(data: Any) -> None:
    fast = render.to_yaml(data, with_header=False).decode("utf-8")
    assert fast == render.python_yaml(data)


@seed(19)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DATA)
def test_libyaml_path_writes_the_pure_python_bytes(data: Any) -> None:
    _same(data)
    _same({"key": data, "list": [data, {"nested": data}]})


@seed(19)
@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_DATA, min_size=1, max_size=4))
def test_document_streams_match(documents: list[Any]) -> None:
    fast = render.to_yaml_documents(documents)
    reference = yaml.dump_all(documents, Dumper=render._Dumper, explicit_start=True, **render._OPTIONS)
    assert fast == (render.header() + reference).encode("utf-8")


_HEAD = {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "n", "labels": {"a": "b"}}}


def _nested_matches(data: dict[Any, Any]) -> bool:
    """Whether ``data``'s text shifted under ``spec:`` is the resource's bytes (False: not vouched for)."""
    nested = render.nested_yaml(render.yaml_text(data))
    whole = render.to_yaml_documents([{**_HEAD, "spec": data}]).decode("utf-8")
    if nested is None:
        return False
    assert render.to_yaml_documents([_HEAD]).decode("utf-8") + "spec:\n" + nested == whole
    return True


@seed(19)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _DATA, min_size=1, max_size=4))
def test_a_mapping_one_level_down_is_its_text_shifted(data: dict[Any, Any]) -> None:
    """What the PrometheusRules rely on: the rule file's text under ``spec:`` is the resource's YAML."""
    _nested_matches(data)
    _nested_matches({"groups": [data, {"rules": [data]}]})


@pytest.mark.parametrize(
    "data",
    [
        {"k": "a\n\n"},  # "|+": PyYAML ends the stream with "..."
        {"k": "a\u2028b\nc"},  # a line break other than "\n"
        {"k": "a " * 300_000},  # could reach the width once shifted
        {},  # "{}", on the key's line
    ],
    ids=["keep-block-last", "other-break", "width", "empty"],
)
def test_nesting_is_refused_where_the_shift_is_not_vouched_for(data: dict[str, Any]) -> None:
    assert render.nested_yaml(render.yaml_text(data)) is None


def test_nesting_is_vouched_for_in_the_usual_shapes() -> None:
    rule = {
        "alert": "A",
        "expr": "sum(rate(x[5m]))\n/ 2\n",
        "labels": {"a": "é"},
        "annotations": {"d": "x\n\ny"},
    }
    assert _nested_matches({"groups": [{"name": "g", "rules": [rule, {"record": "r", "expr": "x"}]}]})
    assert _nested_matches({"k": "a\n\n", "z": 1})  # "|+" not last: no "..."
    assert _nested_matches({"k": "trailing  \nspace", "l": ["  lead", "x\n  y"]})


_LINES = st.lists(
    st.text(alphabet=st.sampled_from([*"ab {}:\"',-#|>.[]0" * 8, "\t", "\x7f", "é"]), max_size=10),
    min_size=1,
    max_size=8,
)


@seed(19)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINES.map(lambda lines: "\n".join(lines) + "\n"), st.sampled_from(["k", "a.json", "x y"]))
def test_a_text_written_as_the_last_literal_block_is_what_pyyaml_writes(text: str, key: str) -> None:
    """What the dashboards' ConfigMaps rely on: their JSON text placed as a literal block by hand."""
    shapes: list[Callable[[str], dict[str, Any]]] = [
        lambda value: {key: value},
        lambda value: {"m": {"n": 1}, "data": {key: value}},
        lambda value: {"l": [{"a": 1}], "data": {"b": "c", key: value}},
    ]
    for shape in shapes:
        written = render.literal_last(render.to_yaml(shape("")).decode("utf-8"), text)
        assert written is None or written == render.to_yaml(shape(text)).decode("utf-8")


@pytest.mark.parametrize(
    ("text", "vouched"),
    [
        ('{\n  "a": 1\n}\n', True),
        ('{\n  "a": 1\n}', False),  # "|-"
        ('{\n  "a": 1\n}\n\n', False),  # "|+"
        (" {\n}\n", False),  # an indentation indicator
        ("{\n\n}\n", False),  # an empty line
        ('{\n  "a": 1 \n}\n', False),  # a trailing space: not a literal block
        ('{\n  "a": "\x7f"\n}\n', False),  # special: double-quoted
        ('{\n  "a": "é"\n}\n', False),  # not ASCII
    ],
)
def test_a_literal_block_is_placed_by_hand_only_where_vouched_for(text: str, vouched: bool) -> None:
    head = render.to_yaml({"data": {"k.json": ""}}).decode("utf-8")
    written = render.literal_last(head, text)
    assert (written is not None) == vouched
    if written is not None:
        assert written == render.to_yaml({"data": {"k.json": text}}).decode("utf-8")


def test_most_strings_take_the_libyaml_path() -> None:
    """The fallback is for odd strings only: plain, quoted and multi-line PromQL stay on libyaml."""
    data = {"groups": [{"rules": [{"expr": "sum(rate(x[5m]))\n/ 2\n", "labels": {"a": "1", "b": "x: y"}}]}]}
    text = yaml.dump(data, Dumper=render._CDumper, **render._OPTIONS)
    assert render._reindent(text) == render.python_yaml(data)
    with pytest.raises(render._Unverified):
        render._reindent(yaml.dump({"k": "é"}, Dumper=render._CDumper, **render._OPTIONS))


def test_a_scalar_folded_at_the_width_takes_the_pure_python_path() -> None:
    data = {"k": "a " * 600_000, "l": ["x"]}
    with pytest.raises(render._Unverified):
        render._reindent(yaml.dump(data, Dumper=render._CDumper, **render._OPTIONS))
    _same(data)


def _yaml_artifacts(catalog_bytes: bytes, name: str) -> list[tuple[str, Artifact]]:
    catalog = load_catalog(catalog_bytes, name)
    arts = {p: a for _, gen in generators() for p, a in gen(catalog).items()}
    # Files handed over as text (rule files, PrometheusRules, ConfigMaps): the objects they are of.
    sources = bench_generate.text_sources(catalog, arts)
    found = [(p, sources.get(p, a)) for p, a in arts.items()]
    return [(p, a) for p, a in found if isinstance(a, Yaml | YamlDocuments)]


def _check_corpus(found: list[tuple[str, Artifact]]) -> None:
    assert found
    for path, artifact in found:
        if isinstance(artifact, Yaml):
            text = yaml.dump(artifact.data, Dumper=render._CDumper, **render._OPTIONS)
            assert render._reindent(text) == render.python_yaml(artifact.data), path
        elif isinstance(artifact, YamlDocuments):
            text = yaml.dump_all(
                artifact.documents, Dumper=render._CDumper, explicit_start=True, **render._OPTIONS
            )
            reference = yaml.dump_all(
                artifact.documents, Dumper=render._Dumper, explicit_start=True, **render._OPTIONS
            )
            assert render._reindent(text) == reference, path


@pytest.mark.parametrize("path", [ROOT_CATALOG, *CATALOGS], ids=lambda p: p.stem)
def test_every_test_catalog_is_byte_identical_on_libyaml(path: Path) -> None:
    """Every YAML file of the catalog's output, on the libyaml path (no fallback), equals the reference."""
    _check_corpus(_yaml_artifacts(path.read_bytes(), path.name))


def test_a_synthesised_catalog_is_byte_identical_on_libyaml() -> None:
    services = int(os.environ.get("OBSGEN_RENDER_SERVICES", "20"))
    _check_corpus(_yaml_artifacts(bench_generate.synth_catalog(services), "synth.yaml"))
