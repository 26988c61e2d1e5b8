"""The writer: drift detection, all-or-nothing writes, pruning only what obsgen owns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obsgen import conventions as C
from obsgen.errors import OutputError
from obsgen.writer import diff, write

PLAN = {"alerts/a.yaml": b"a: 1\n", "alerts/b.yaml": b"b: 2\n", "dashboards/a.json": b"{}\n"}


def test_write_then_diff_is_clean_and_manifest_lists_every_file(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    assert not diff(tmp_path, PLAN)
    manifest = json.loads((tmp_path / C.MANIFEST_FILE).read_text())
    assert manifest["files"] == sorted(PLAN)
    assert (tmp_path / "alerts/a.yaml").read_bytes() == b"a: 1\n"


def test_diff_reports_changed_missing_and_stale(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    (tmp_path / "alerts/a.yaml").write_bytes(b"edited\n")
    (tmp_path / "dashboards/a.json").unlink()
    smaller = {k: v for k, v in PLAN.items() if k != "alerts/b.yaml"}
    drift = diff(tmp_path, smaller)
    assert drift.changed == [C.MANIFEST_FILE, "alerts/a.yaml"]
    assert drift.missing == ["dashboards/a.json"]
    assert drift.stale == ["alerts/b.yaml"]


def test_write_prunes_files_it_owned_and_leaves_others(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    (tmp_path / "alerts/mine.yaml").write_bytes(b"user's own file\n")
    write(tmp_path, {"alerts/a.yaml": b"a: 1\n"})
    assert not (tmp_path / "alerts/b.yaml").exists()
    assert not (tmp_path / "dashboards").exists(), "emptied directories are removed"
    assert (tmp_path / "alerts/mine.yaml").read_bytes() == b"user's own file\n"


def test_refuses_to_overwrite_a_file_it_does_not_own(tmp_path: Path) -> None:
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts/a.yaml").write_bytes(b"hand written\n")
    with pytest.raises(OutputError, match=r"refusing to overwrite files obsgen did not write: alerts/a\.yaml"):
        write(tmp_path, PLAN)
    assert (tmp_path / "alerts/a.yaml").read_bytes() == b"hand written\n"
    assert not (tmp_path / "alerts/b.yaml").exists(), "nothing else was written either"
    write(tmp_path, PLAN, force=True)
    assert (tmp_path / "alerts/a.yaml").read_bytes() == b"a: 1\n"


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    (tmp_path / "k8s").write_bytes(b"a file where a directory must go\n")
    owned_k8s = {**PLAN, "alerts/a.yaml": b"changed\n", "k8s/x.yaml": b"x\n"}
    with pytest.raises(OutputError, match="nothing was changed"):
        write(tmp_path, owned_k8s, force=True)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "k8s"}
    assert after == before
    assert not list(tmp_path.rglob(".obsgen-tmp-*")), "temporary files are cleaned up"


@pytest.mark.parametrize("bad", ["../escape.yaml", "/etc/passwd", "a/../../b", "a//b"])
def test_paths_outside_the_output_directory_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(OutputError, match="outside the output directory"):
        write(tmp_path / "out", {bad: b"x"})


def test_tampered_manifest_never_deletes_outside_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(out, PLAN)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / C.MANIFEST_FILE).write_text(json.dumps({"files": ["../victim.txt", "alerts/a.yaml"]}))
    write(out, PLAN)
    assert victim.read_text() == "keep me"


def test_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    tmp_path.joinpath(C.MANIFEST_FILE).write_text("not json")
    with pytest.raises(OutputError, match="not a manifest obsgen wrote"):
        write(tmp_path, PLAN)
