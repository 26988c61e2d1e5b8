"""Shared test helpers: paths, schemas, real binaries, catalogs from text."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from obsgen.catalog import load_catalog
from obsgen.model import Catalog

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO.parent / "shared" / "schemas"
TEST_CATALOGS = REPO / "tests" / "catalogs"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/<case>/ and the committed output at the repository root from the "
        "catalogs, instead of comparing (review the diff, then commit it)",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """True under ``pytest --update-goldens``: golden tests rewrite their files instead of comparing."""
    return bool(request.config.getoption("--update-goldens"))


def catalog_from(text: str, file: str = "catalog.yaml") -> Catalog:
    """A model from catalog YAML text (dedented)."""
    return load_catalog(textwrap.dedent(text).encode(), file)


def require_binary(name: str, apt_package: str) -> str:
    """Path of a real binary; skip (outside CI) or fail (in CI) when it is missing."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not found: install it with `apt-get install -y {apt_package}`"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def schema_path(name: str) -> Path:
    """A schema from ../shared/schemas; skip with a clear message where that folder is absent."""
    path = SCHEMAS / name
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing: CI must have ../shared beside the clone")
        pytest.skip(f"{path} not found: the schema tests need ../shared/schemas beside the clone")
    return path


@pytest.fixture
def example_catalog() -> Catalog:
    """The repository's own catalog.yaml (the demo's)."""
    return load_catalog((REPO / "catalog.yaml").read_bytes(), "catalog.yaml")
