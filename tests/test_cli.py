"""The command line, through a real subprocess: exit codes, messages, nothing written on error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from obsgen import conventions as C
from obsgen.cli import starter_catalog
from tests.conftest import REPO


def obsgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obsgen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "catalog.yaml").write_text(starter_catalog())
    return tmp_path


def test_generate_then_check_is_clean_and_deterministic(project: Path) -> None:
    first = obsgen("generate", cwd=project)
    assert first.returncode == 0, first.stderr
    snapshot = tree(project)
    assert C.MANIFEST_FILE in snapshot
    assert obsgen("check", cwd=project).returncode == 0
    second = obsgen("generate", "catalog.yaml", "--out", ".", cwd=project)
    assert second.returncode == 0
    assert tree(project) == snapshot, "a second run must change nothing"
    assert "0 changed, 0 new, 0 removed" in second.stdout


def test_every_generated_file_is_newline_terminated_and_marked(project: Path) -> None:
    assert obsgen("generate", cwd=project).returncode == 0
    manifest = json.loads((project / C.MANIFEST_FILE).read_text())
    assert manifest["files"], "the example catalog generates files"
    for rel in manifest["files"]:
        content = (project / rel).read_bytes()
        assert content.endswith(b"\n"), rel
        if rel.endswith((".yaml", ".yml", ".conf")):
            assert C.GENERATED_HEADER.encode() in content, f"{rel} lacks the generated-by header"


def test_check_reports_changed_missing_and_stale_files(project: Path) -> None:
    assert obsgen("generate", cwd=project).returncode == 0
    files = json.loads((project / C.MANIFEST_FILE).read_text())["files"]
    edited, deleted = files[0], files[1]
    (project / edited).write_text("hand edit\n")
    (project / deleted).unlink()
    result = obsgen("check", cwd=project)
    assert result.returncode == 1
    assert f"differs: {edited}" in result.stdout
    assert f"missing: {deleted}" in result.stdout
    assert "run `obsgen generate" in result.stdout


def test_removed_service_files_are_stale_then_pruned(project: Path) -> None:
    catalog = yaml.safe_load((project / "catalog.yaml").read_text())
    catalog["services"]["refunds"] = {
        "team": "payments",
        "slos": {"availability": {"kind": "availability", "objective": 99.5}},
    }
    (project / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    assert obsgen("generate", cwd=project).returncode == 0
    refunds_files = [rel for rel in tree(project) if "refunds" in rel]
    assert refunds_files, "a service gets files of its own"
    (project / "notes.md").write_text("not obsgen's")
    del catalog["services"]["refunds"]
    (project / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    check = obsgen("check", cwd=project)
    assert check.returncode == 1
    for rel in refunds_files:
        assert f"stale: {rel}" in check.stdout
    assert obsgen("generate", cwd=project).returncode == 0
    assert not [rel for rel in tree(project) if "refunds" in rel]
    assert (project / "notes.md").read_text() == "not obsgen's"
    assert obsgen("check", cwd=project).returncode == 0


def test_invalid_catalog_exits_2_lists_every_problem_and_writes_nothing(project: Path) -> None:
    assert obsgen("generate", cwd=project).returncode == 0
    before = tree(project)
    text = (
        (project / "catalog.yaml")
        .read_text()
        .replace("team: payments", "team: paymnts")
        .replace("threshold: 400ms", "threshold: 300ms")
    )
    (project / "catalog.yaml").write_text(text)
    before["catalog.yaml"] = text.encode()
    result = obsgen("generate", cwd=project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any(
        line.startswith("catalog.yaml:") and "services.pay.team: team 'paymnts'" in line for line in lines
    )
    assert any(
        "services.pay.slos.latency.threshold: 300ms is not a bucket boundary" in line for line in lines
    )
    assert lines[-1] == "2 problems found; nothing was written"
    assert tree(project) == before


@pytest.mark.parametrize("command", ["generate", "check", "validate", "explain"])
def test_missing_catalog_is_exit_2_without_traceback(tmp_path: Path, command: str) -> None:
    result = obsgen(command, "nope.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.yaml: no such file; create one with `obsgen init`" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert obsgen(cwd=tmp_path).returncode == 2
    assert obsgen("frobnicate", cwd=tmp_path).returncode == 2
    assert obsgen("generate", "--no-such-flag", cwd=tmp_path).returncode == 2


def test_foreign_file_is_not_overwritten_without_force(project: Path) -> None:
    assert obsgen("generate", "--out", "first", cwd=project).returncode == 0
    rel = json.loads((project / "first" / C.MANIFEST_FILE).read_text())["files"][0]
    target = project / "second" / rel
    target.parent.mkdir(parents=True)
    target.write_text("mine\n")
    result = obsgen("generate", "--out", "second", cwd=project)
    assert result.returncode == 2
    assert "refusing to overwrite files obsgen did not write" in result.stderr
    assert target.read_text() == "mine\n"
    assert obsgen("generate", "--out", "second", "--force", cwd=project).returncode == 0
    assert target.read_bytes() == (project / "first" / rel).read_bytes()


def test_init_writes_a_valid_starter_and_never_clobbers(tmp_path: Path) -> None:
    result = obsgen("init", cwd=tmp_path)
    assert result.returncode == 0
    assert obsgen("validate", cwd=tmp_path).returncode == 0
    (tmp_path / "catalog.yaml").write_text("mine")
    again = obsgen("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert (tmp_path / "catalog.yaml").read_text() == "mine"


def test_schema_accepts_the_example_catalogs_and_rejects_typos(tmp_path: Path) -> None:
    result = obsgen("schema", cwd=tmp_path)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    validator = jsonschema.Draft202012Validator(schema)
    for text in (starter_catalog(), (REPO / "catalog.yaml").read_text()):
        validator.validate(yaml.safe_load(text))
    bad = yaml.safe_load(starter_catalog())
    bad["services"]["pay"]["tema"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bad)


def test_validate_summarises_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(starter_catalog())
    result = obsgen("validate", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "catalog.yaml: ok (1 services, 2 SLOs, 2 resources)"
