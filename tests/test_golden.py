"""Golden files: everything obsgen generates, byte for byte, for every catalog the tests know.

Each catalog in ``tests/catalogs/*.yaml`` (picked up automatically, so a new catalog gets a
golden as soon as ``--update-goldens`` writes it) is compared with ``tests/golden/<name>/``,
the full tree ``obsgen generate`` writes, manifest included.  The repository's own
``catalog.yaml`` is compared with the committed output at the repository root.

After an intended output change::

    .venv/bin/pytest -q tests/test_golden.py --update-goldens
    git diff        # review what changed, then commit it with the change

Every catalog under ``tests/catalogs/`` must be valid: put catalogs that must be refused in
the test that checks the refusal.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from obsgen import conventions as C
from obsgen.catalog import load_catalog
from obsgen.generate import generate
from obsgen.writer import owned_files, with_manifest, write
from tests.conftest import REPO, TEST_CATALOGS

GOLDEN = REPO / "tests" / "golden"
#: The repository's own catalog; its golden copy is the committed output at the root.
ROOT_CASE = "catalog.yaml"
#: How many differing files a failure shows a diff of, and how many lines of each.
SHOWN_FILES, SHOWN_LINES = 3, 25


def cases() -> list[str]:
    """Every catalog under tests/catalogs/ (by file name), then the repository's own."""
    return [*(p.name for p in sorted(TEST_CATALOGS.glob("*.yaml"))), ROOT_CASE]


def catalog_file(case: str) -> Path:
    return REPO / ROOT_CASE if case == ROOT_CASE else TEST_CATALOGS / case


def golden_dir(case: str) -> Path:
    return REPO if case == ROOT_CASE else GOLDEN / Path(case).stem


def expected_tree(case: str) -> dict[str, bytes]:
    """What ``obsgen generate`` writes for the case's catalog (manifest included)."""
    path = catalog_file(case)
    return with_manifest(generate(load_catalog(path.read_bytes(), str(path.relative_to(REPO)))))


def tree_on_disk(case: str, expected: dict[str, bytes]) -> dict[str, bytes]:
    """The golden files: a golden folder whole; at the root, what the plan or the manifest names."""
    root = golden_dir(case)
    if case == ROOT_CASE:
        names = set(expected) | set(owned_files(root))
        return {n: (root / n).read_bytes() for n in sorted(names) if (root / n).is_file()}
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def describe_drift(case: str, expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """Which files differ, then a short diff of the first few; '' when the trees are equal."""
    changed = [p for p in sorted(expected) if p in actual and actual[p] != expected[p]]
    missing = [p for p in sorted(expected) if p not in actual]
    extra = [p for p in sorted(actual) if p not in expected]
    if not (changed or missing or extra):
        return ""
    where = (
        "the committed output at the root"
        if case == ROOT_CASE
        else golden_dir(case).relative_to(REPO).as_posix()
    )
    lines = [f"{catalog_file(case).relative_to(REPO)}: generated output differs from {where}"]
    lines += [f"  differs: {p}" for p in changed]
    lines += [f"  not in the golden copy: {p}" for p in missing]
    lines += [f"  no longer generated: {p}" for p in extra]
    for path in (changed + missing)[:SHOWN_FILES]:
        old = actual.get(path, b"").decode("utf-8", "replace").splitlines()
        new = expected[path].decode("utf-8", "replace").splitlines()
        diff = list(difflib.unified_diff(old, new, f"golden/{path}", f"generated/{path}", n=2, lineterm=""))
        lines += diff[:SHOWN_LINES] + (
            [f"  ... {len(diff) - SHOWN_LINES} more diff lines"] if len(diff) > SHOWN_LINES else []
        )
    lines.append("if the change is intended: pytest tests/test_golden.py --update-goldens, review, commit")
    return "\n".join(lines)


def rewrite(case: str, expected: dict[str, bytes]) -> None:
    """Make the golden copy what the generator writes now (the writer prunes what it no longer owns)."""
    root = golden_dir(case)
    plan = {path: content for path, content in expected.items() if path != C.MANIFEST_FILE}
    if case != ROOT_CASE:
        shutil.rmtree(root, ignore_errors=True)
    write(root, plan)


@pytest.mark.parametrize("case", cases())
def test_generated_output_matches_the_golden_copy(case: str, update_goldens: bool) -> None:
    expected = expected_tree(case)
    if update_goldens:
        rewrite(case, expected)
    problem = describe_drift(case, expected, tree_on_disk(case, expected))
    if problem:
        pytest.fail(problem, pytrace=False)


def test_every_golden_folder_belongs_to_a_catalog(update_goldens: bool) -> None:
    """A golden copy whose catalog was removed or renamed would sit there unchecked."""
    folders = {p.name for p in GOLDEN.iterdir() if p.is_dir()} if GOLDEN.is_dir() else set()
    orphans = sorted(folders - {Path(case).stem for case in cases()})
    if update_goldens:
        for name in orphans:
            shutil.rmtree(GOLDEN / name)
        orphans = []
    assert orphans == [], (
        f"tests/golden/ has folders without a catalog in tests/catalogs/: {orphans}; "
        "remove them (pytest tests/test_golden.py --update-goldens does)"
    )
