"""Each dashboard's ConfigMap is written around the dashboard's JSON text, not serialised again.

The bytes must be those of serialising the ConfigMap object, on every catalog the tests know, and
the shortcut must be taken there (the dashboards' JSON is what it vouches for).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from obsgen import conventions as C
from obsgen.catalog import load_catalog_file
from obsgen.generate import dashboards
from obsgen.generate.artifacts import Text, Yaml, serialise
from obsgen.generate.dashboards import configmaps, provisioning
from tests.conftest import REPO, TEST_CATALOGS

CATALOGS = [REPO / "catalog.yaml", *sorted(TEST_CATALOGS.glob("*.yaml"))]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.stem)
def test_configmaps_are_the_bytes_of_their_objects(path: Path) -> None:
    catalog = load_catalog_file(path)
    out = dashboards.generate(catalog)
    if not catalog.wants("kubernetes"):
        assert not any(p.startswith(C.K8S_DIR) for p in out)
        return
    texts = dashboards.dashboard_texts(catalog)
    assert texts
    for board_path, text in texts.items():
        name = PurePosixPath(board_path).stem
        written = out[C.dashboard_configmap_path(name)]
        assert isinstance(written, Text), f"{board_path}: the ConfigMap was serialised again"
        assert serialise(written) == serialise(Yaml(provisioning.configmap(name, text))), board_path


def test_a_text_the_shortcut_cannot_vouch_for_is_serialised_whole() -> None:
    text = '{\n  "title": "caf\u00e9 \u2028"\n}\n'  # non-ASCII, a line break YAML knows
    written = configmaps.configmap_file("odd", text)
    assert isinstance(written, Yaml)
    assert serialise(written) == serialise(Yaml(provisioning.configmap("odd", text)))
