"""`obsgen export openslo` then `obsgen import openslo`: the catalog generates the same rules.

Over the repository's catalog and every test catalog: the exported documents are valid against
the OpenSLO v1 schema, and the imported catalog generates byte-for-byte the same rule files and
generated promtool tests (everything under alerts/).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from obsgen import conventions as C
from obsgen.catalog import load_catalog, load_catalog_file
from obsgen.errors import ObsgenError
from obsgen.generate import generate
from obsgen.openslo import export_openslo, load, schema
from obsgen.openslo.read import read_docs
from obsgen.openslo.to_catalog import to_catalog
from tests.conftest import REPO, TEST_CATALOGS

CATALOGS = {
    "example": REPO / "catalog.yaml",
    **{p.stem: p for p in sorted(TEST_CATALOGS.glob("*.yaml"))},
    "presets": REPO / "tests" / "openslo" / "cases" / "catalog-presets.yaml",
}
#: Test catalogs export refuses, and why (docs/openslo.md): one OpenSLO SLO has one SLI, not one per group.
NOT_EXPORTED = {
    "sources-ingress-nginx": "group_by (cluster)",
    "sources-starlette-exporter": "group_by (cluster)",
}

#: Test catalogs whose alert tuning does not travel through OpenSLO yet (follow-up): the export is
#: valid and re-imports, but the per-SLO `alerting` (min_failures, windows, tiers) comes back as
#: obsgen's defaults, so the rules differ.
NOT_ROUND_TRIPPED: dict[str, str] = {}


def _alerts(plan: dict[str, bytes]) -> dict[str, bytes]:
    return {path: data for path, data in plan.items() if path.startswith("alerts/")}


@pytest.mark.parametrize("name", list(CATALOGS))
def test_export_then_import_generates_the_same_rules(name: str) -> None:
    catalog = load_catalog_file(CATALOGS[name])
    if name in NOT_EXPORTED:
        with pytest.raises(ObsgenError, match=re.escape(NOT_EXPORTED[name])):
            export_openslo(catalog)
        return
    exported = export_openslo(catalog)
    docs, problems = load.parse(exported.encode(), "exported.yaml")
    assert not problems
    assert [p for d in docs for p in schema.problems(d)] == []
    bundle, notes = read_docs(docs)
    imported = load_catalog(to_catalog(bundle, notes).encode(), "imported.yaml")
    before, after = _alerts(generate(catalog)), _alerts(generate(imported))
    if name in NOT_ROUND_TRIPPED:
        assert set(before) <= set(after), NOT_ROUND_TRIPPED[name]
        return
    # `outputs` (which files a team commits) does not travel: the import may write more rule tests.
    assert set(before) <= set(after)
    assert {p for p in after if not p.startswith(f"{C.ALERT_TESTS_DIR}/")} <= set(before)
    for path in before:
        assert before[path] == after[path], path


def test_export_is_deterministic_and_reimports_through_the_cli(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "obsgen", *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    first = run("export", "openslo", str(REPO / "catalog.yaml"), "--out", "slos.yaml")
    assert first.returncode == 0, first.stderr
    second = run("export", "openslo", str(REPO / "catalog.yaml"))
    assert second.stdout.encode() == (tmp_path / "slos.yaml").read_bytes()
    back = run("import", "openslo", "slos.yaml", "--out", "catalog.yaml")
    assert back.returncode == 0, back.stderr
    assert run("validate", "catalog.yaml").returncode == 0


def test_export_refuses_a_period_openslo_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        (TEST_CATALOGS / "alerts-short-period.yaml").read_text().replace("slo_period: 7d", "slo_period: 7d1s")
    )
    result = subprocess.run(
        [sys.executable, "-m", "obsgen", "export", "openslo", "c.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "not a whole number of minutes" in result.stderr and "Traceback" not in result.stderr
