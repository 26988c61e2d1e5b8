"""Generation streams: one file at a time from the generators through the writer, never the whole tree.

Memory is measured with ``tracemalloc`` (allocations, not RSS: deterministic, no timing).  The
bounds come from what holding the tree costs: a pipeline that collects every file before writing
holds at least every output byte at once (peak >= 1.0x the output; the dict-returning pipeline this
replaced measured 1.36x at 100 synthesised services and 1.33x at 300); generators that build all
their files before handing out the first (every rule test file at once, then every dashboard) measured
0.53x at 100; the stream holds one file's working set plus the paths: 0.14x at 100 services, 0.13x at
300 (the largest file, the overview dashboard of every service, dominates).  The bound, 0.3x, is twice
the stream's figure and below both of the others.
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.bench_generate import synth_catalog
from obsgen import cli
from obsgen import generate as pipeline
from obsgen.catalog import load_catalog
from obsgen.errors import EXIT_BUG
from obsgen.generate import file_generators, generate, stream
from obsgen.render import header
from obsgen.writer import diff, journal, write

#: Peak traced memory of a streamed run over the bytes it produces (see the module docstring).
MAX_PEAK_OVER_OUTPUT = 0.3
#: Services of the synthesised catalog: enough that per-service files dominate the output.
SERVICES = 100

H = header().encode()


def _peak(run: Callable[[], Any]) -> int:
    """Peak bytes allocated while ``run`` runs (what it allocates, not what existed before)."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_generating_and_writing_a_catalog_holds_a_file_at_a_time_not_the_tree(tmp_path: Path) -> None:
    catalog = load_catalog(synth_catalog(SERVICES), "synth.yaml")
    output = sum(len(content) for content in generate(catalog).values())
    file_generators(catalog)  # imports outside the measurement
    peak = _peak(lambda: write(tmp_path / "out", stream(catalog)))
    assert peak < MAX_PEAK_OVER_OUTPUT * output, (
        f"writing {output / 2**20:.1f} MiB peaked at {peak / 2**20:.1f} MiB ({peak / output:.2f}x): "
        "something holds the whole tree again"
    )
    assert not diff(tmp_path / "out", generate(catalog)), "what was streamed is what generate plans"


def _files(count: int, size: int, version: bytes) -> Iterator[tuple[str, bytes]]:
    """``count`` files of ``size`` bytes, each made only when asked for."""
    for i in range(count):
        yield f"alerts/f{i:03d}.yaml", H + version * (size - len(H))


@pytest.mark.parametrize("step", ["write new", "check", "rewrite", "check changed"])
def test_the_writer_and_check_let_each_streamed_file_go(tmp_path: Path, step: str) -> None:
    """64 files of 1 MiB: holding them costs 64 MiB, a file at a time (plus reading it back) 2 MiB."""
    count, size = 64, 2**20
    out = tmp_path / "out"
    if step != "write new":
        write(out, _files(count, size, b"a"))
    version = b"b" if step in ("rewrite", "check changed") else b"a"
    if step == "check changed":
        write(out, _files(count, size, b"b"))
        (out / "alerts/f007.yaml").write_bytes(H + b"edited\n")
    run: Callable[[], Any] = (
        (lambda: write(out, _files(count, size, version)))
        if step in ("write new", "rewrite")
        else (lambda: diff(out, _files(count, size, version)))
    )
    peak = _peak(run)
    assert peak < 4 * size, f"{step}: peak {peak / 2**20:.1f} MiB for {count} files of 1 MiB"
    if step == "check changed":
        assert diff(out, _files(count, size, b"b")).changed == ["alerts/f007.yaml"]
    else:
        assert not diff(out, _files(count, size, version))


# --- Through the command line -------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _wrapped(monkeypatch: pytest.MonkeyPatch, each: Callable[[int], None]) -> None:
    """Make every generator call ``each(n)`` before handing out its n-th file of the run (0-based)."""
    real = pipeline.file_generators
    count = [0]

    def counted(files: Callable[[Any], Iterable[tuple[str, Any]]]) -> Callable[[Any], Iterator[Any]]:
        def run(catalog: Any) -> Iterator[Any]:
            for item in files(catalog):
                each(count[0])
                count[0] += 1
                yield item

        return run

    monkeypatch.setattr(
        pipeline, "file_generators", lambda catalog=None: [(n, counted(f)) for n, f in real(catalog)]
    )


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(cli.starter_catalog())
    return path


def test_generate_stages_each_file_before_the_next_is_generated(
    catalog_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged: list[str] = []
    real_add = journal.Staging.add

    def add(self: journal.Staging, rel: str, content: bytes) -> None:
        staged.append(rel)
        real_add(self, rel, content)

    def before_next(n: int) -> None:
        assert len(staged) == n, f"file {n} was asked for while {len(staged)} were staged"

    monkeypatch.setattr(journal.Staging, "add", add)
    _wrapped(monkeypatch, before_next)
    out = catalog_file.parent / "out"
    assert cli.main(["generate", str(catalog_file), "--out", str(out)]) == 0
    monkeypatch.undo()
    assert len(staged) > 10
    assert cli.main(["check", str(catalog_file), "--out", str(out)]) == 0


@pytest.mark.parametrize("existing", [True, False])
def test_a_generator_failing_midway_leaves_the_tree_as_it_was(
    catalog_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], existing: bool
) -> None:
    """Files are staged as they come: an error after some of them must still change nothing."""
    out = catalog_file.parent / "out"
    if existing:
        assert cli.main(["generate", str(catalog_file), "--out", str(out)]) == 0
        (out / "alerts" / "pay.yaml").write_bytes(H + b"edited: the run must restore or keep this\n")
    before = _snapshot(out) if existing else None

    def fail_at(n: int) -> None:
        if n == 5:
            raise RuntimeError("a generator bug")

    _wrapped(monkeypatch, fail_at)
    assert cli.main(["generate", str(catalog_file), "--out", str(out)]) == EXIT_BUG
    assert "a generator bug" in capsys.readouterr().err
    if existing:
        assert _snapshot(out) == before, "nothing was renamed, deleted or left staged"
        assert not (out / journal.STAGING_DIR).exists() and not (out / journal.JOURNAL_FILE).exists()
    else:
        assert not out.exists(), "the output directory this run created is removed again"
    monkeypatch.undo()
    assert cli.main(["generate", str(catalog_file), "--out", str(out)]) == 0
    assert cli.main(["check", str(catalog_file), "--out", str(out)]) == 0
    assert not os.path.exists(out / journal.STAGING_DIR)
