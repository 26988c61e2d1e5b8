"""The collector settings of generation are in force only while files are generated."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from obsgen import cli, gcpolicy
from obsgen.generate import stream
from obsgen.model import Catalog
from tests.conftest import REPO


def test_generation_freezes_what_is_alive_and_restores_the_collector_after() -> None:
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with gcpolicy.generating():
        assert gc.get_threshold() == (gcpolicy.YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > frozen
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_collector_is_restored_when_generation_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), gcpolicy.generating():
        raise RuntimeError("a generator failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_generate_runs_under_the_policy_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, ...]] = []

    def spy(catalog: Catalog) -> Iterator[tuple[str, bytes]]:
        seen.append(gc.get_threshold())
        return stream(catalog)

    monkeypatch.setattr("obsgen.cli.stream", spy)
    before = gc.get_threshold()
    assert cli.run(["generate", str(REPO / "catalog.yaml"), "--out", str(tmp_path / "out")]) == 0
    assert seen and seen[0][0] == gcpolicy.YOUNG_THRESHOLD
    assert gc.get_threshold() == before
