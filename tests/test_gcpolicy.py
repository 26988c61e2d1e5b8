"""The collector settings of loading and generation are in force only while they run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from obsgen import cli, gcpolicy
from obsgen.catalog import load_catalog_file
from obsgen.generate import stream
from obsgen.model import Catalog, Output
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


def test_loading_turns_the_collector_off_and_back_on_even_when_the_catalog_is_bad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []

    def spy(path: str | Path, outputs: tuple[Output, ...] | None = None) -> Catalog:
        seen.append(gc.isenabled())
        return load_catalog_file(path, outputs)

    monkeypatch.setattr("obsgen.cli.load_catalog_file", spy)
    assert gc.isenabled()
    assert cli.run(["validate", str(REPO / "catalog.yaml")]) == 0
    bad = tmp_path / "catalog.yaml"
    bad.write_text("apiVersion: obsgen/v1\nservices: [\n")
    assert cli.main(["validate", str(bad)]) == 2
    assert seen == [False, False]  # off while each catalog was read
    assert gc.isenabled()  # and on again after success and after the error


def test_loading_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gcpolicy.loading():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
