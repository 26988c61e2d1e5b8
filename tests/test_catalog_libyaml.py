"""Catalogs composed by libyaml read exactly as the pure-Python loader reads them.

The loader composes with libyaml's C parser when PyYAML has it (loading is most of the cost of
a large catalog) and leaves anything unusual to the pure-Python composer: these tests hold the two
to the same data, the same locations of every value and key, and the same problems and messages.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from obsgen.catalog import loader
from obsgen.errors import CatalogError
from tests.conftest import REPO, TEST_CATALOGS

pytestmark = pytest.mark.skipif(not loader.WITH_LIBYAML, reason="PyYAML without libyaml: one path only")

CATALOGS = sorted([REPO / "catalog.yaml", *TEST_CATALOGS.glob("*.yaml")])

#: Texts that are odd, wrong or hostile in the ways the loader reports.
ODD = {
    "duplicate key": "apiVersion: obsgen/v1\nteams: {}\nteams: {}\n",
    "non-string key": "apiVersion: obsgen/v1\nteams:\n  1: {}\n  on: {}\n",
    "bad tag": "apiVersion: obsgen/v1\nteams:\n  ? !!int x\n  : {}\n",
    "bad date": "apiVersion: obsgen/v1\nwhen: 2024-13-45\n",
    "merge key": "apiVersion: obsgen/v1\nteams:\n  a: {x: 1}\n  b: {<<: {x: 1}}\n",
    "anchor": "apiVersion: obsgen/v1\nteams:\n  a: &t {x: 1}\n",
    "alias": "apiVersion: obsgen/v1\nteams:\n  a: &t {x: 1}\n  b: *t\n",
    "star in a value": "apiVersion: obsgen/v1\nsel: 'x=~\".*\"' # a & b\nteams: {}\n",
    "syntax": "apiVersion: obsgen/v1\nteams: [a, b\n",
    "tab indent": "apiVersion: obsgen/v1\nteams:\n\ta: {}\n",
    "two documents": "apiVersion: obsgen/v1\n---\nteams: {}\n",
    "scalar root": "just text\n",
    "deep flow": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep block": "a:\n" + "- " * 2000 + "x\n",
    "non-ascii and CRLF": 'apiVersion: obsgen/v1\r\nteams:\r\n  café: {x: "é\\u2028"}\r\n  b: {}\r\n',
    "unicode line separators": "apiVersion: obsgen/v1\nteams:\n  a: {x: 'one\u2028two'}\n  b: {}\n",
    "empty flow value": "apiVersion: obsgen/v1\nteams: {a: {x: , y: 1}}\n",
    "empty flow value at the end": "apiVersion: obsgen/v1\nteams: {a: {x: 1, y: }, b: {z:}}\n",
    "empty flow key": "apiVersion: obsgen/v1\nteams: {a: {: 1}}\n",
    "tag in a flow list": "apiVersion: obsgen/v1\nfields: [url, !retries, b]\n",
    "question mark in a flow mapping": "apiVersion: obsgen/v1\nalerting: {page: true,?ticket: true}\n",
    "tab after a value": "apiVersion: obsgen/v1\nteams: {}\t\nx: y\n",
    "value tag": "apiVersion: obsgen/v1\nteams: =\n",
    "multiline scalars": "a: |\n  one\n   two\nb: >-\n  x\n  y\nc: 'q\n\n  r'\nd: \"e\\\n  f\"\n",
}


Read = tuple[object, ...]


def read(text: bytes) -> Read:
    try:
        doc, problems = loader.load(text, "catalog.yaml")
    except CatalogError as exc:
        return ("error", exc.problems)
    return (doc.data, doc.marks, doc.key_marks, problems)


def both(text: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Read, Read]:
    fast = read(text)
    with monkeypatch.context() as m:
        m.setattr(loader, "WITH_LIBYAML", False)
        pure = read(text)
    return fast, pure


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: Path(p).name)
def test_every_test_catalog_reads_the_same_on_both_paths(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, pure = both(path.read_bytes(), monkeypatch)
    assert fast == pure
    assert fast[0] != "error"


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_and_hostile_texts_read_the_same_on_both_paths(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, pure = both(ODD[name].encode("utf-8"), monkeypatch)
    assert fast == pure


def test_the_fast_path_is_taken_for_a_plain_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[bool] = []
    real = yaml.CSafeLoader.get_single_node

    def spy(self: yaml.CSafeLoader) -> yaml.Node | None:
        used.append(True)
        return real(self)

    monkeypatch.setattr(yaml.CSafeLoader, "get_single_node", spy)
    loader.load((REPO / "catalog.yaml").read_bytes(), "catalog.yaml")
    assert used


def test_mutated_catalogs_read_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: a few hundred catalogs with characters YAML gives meaning to inserted, deleted, swapped."""
    base = (REPO / "catalog.yaml").read_text(encoding="utf-8")[:5000]
    alphabet = list(":-?[]{},#&*!|>'\"%@` \t\n\r\\xé\u2028\x85")
    rnd = random.Random(19)
    for _ in range(300):
        text = list(base)
        for _ in range(rnd.randint(1, 4)):
            pos = rnd.randrange(len(text))
            op = rnd.random()
            if op < 0.4:
                text.insert(pos, rnd.choice(alphabet))
            elif op < 0.7:
                del text[pos]
            else:
                text[pos] = rnd.choice(alphabet)
        mutated = "".join(text).encode("utf-8")
        fast, pure = both(mutated, monkeypatch)
        assert repr(fast) == repr(pure), mutated.decode()
