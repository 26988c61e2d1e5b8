"""stack/prometheus/prometheus.yml: what it scrapes, checked by the real promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

try:  # tests/ as a package or as a rootdir of plain modules
    from tests.conftest import REPO, catalog_from, require_binary, schema_path
except ImportError:  # pragma: no cover
    from conftest import REPO, catalog_from, require_binary, schema_path  # type: ignore[no-redef]

from obsgen import conventions as C
from obsgen.generate import generate
from obsgen.generate.prometheus_config import prometheus_config, scrape_targets
from obsgen.model import Catalog

TWO_SERVICES = """
    apiVersion: obsgen/v1
    prometheus: {scrape_interval: 10s, evaluation_interval: 1m}
    teams: {t: {}}
    services:
      pay:
        team: t
        job: pay
        slos: {availability: {kind: availability, objective: 99.9}}
        targets: ["pay-1:8080", "pay-2:8080"]
      cart:
        team: t
        job: cart-api
        slos: {availability: {kind: availability, objective: 99}}
      checkout:
        team: t
        job: pay
        slos: {availability: {kind: availability, objective: 99}}
        targets: ["pay-2:8080", "checkout:9000"]
    resources:
      nodes: {kind: node, job: node, targets: ["node-exporter:9100"]}
"""


def _config(catalog: Catalog) -> dict[str, Any]:
    text = generate(catalog)[C.PROMETHEUS_CONFIG_PATH]
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_every_job_with_targets_is_scraped_once_with_its_targets_merged() -> None:
    jobs = scrape_targets(catalog_from(TWO_SERVICES))
    assert jobs == {
        "prometheus": ["localhost:9090"],
        "alertmanager": ["alertmanager:9093"],
        "pay": ["pay-2:8080", "checkout:9000", "pay-1:8080"],  # checkout before pay: services in name order
        "node": ["node-exporter:9100"],
    }


def test_a_service_without_targets_gets_no_static_job() -> None:
    assert "cart-api" not in scrape_targets(catalog_from(TWO_SERVICES))


def test_intervals_come_from_the_catalog() -> None:
    config = prometheus_config(catalog_from(TWO_SERVICES))
    assert config["global"] == {"scrape_interval": "10s", "evaluation_interval": "1m"}


def test_rules_are_read_where_compose_mounts_alerts_and_alerts_go_to_alertmanager(
    example_catalog: Catalog,
) -> None:
    config = _config(example_catalog)
    assert config["rule_files"] == [f"{C.PROMETHEUS_ALERTS_MOUNT}/*.yaml"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_a_catalog_job_named_like_a_builtin_replaces_it() -> None:
    catalog = catalog_from(
        """
        apiVersion: obsgen/v1
        teams: {t: {}}
        services:
          p:
            team: t
            job: prometheus
            slos: {availability: {kind: availability, objective: 99}}
            targets: ["prom-a:9090"]
        """
    )
    assert scrape_targets(catalog)["prometheus"] == ["prom-a:9090"]


@pytest.mark.parametrize("catalog_text", [None, TWO_SERVICES], ids=["example catalog", "two services"])
def test_promtool_accepts_the_config(
    catalog_text: str | None, example_catalog: Catalog, tmp_path: Path
) -> None:
    promtool = require_binary("promtool", "prometheus")
    catalog = example_catalog if catalog_text is None else catalog_from(catalog_text)
    config = tmp_path / "prometheus.yml"
    config.write_bytes(generate(catalog)[C.PROMETHEUS_CONFIG_PATH])
    result = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_loads_the_repos_alert_rules_through_the_configs_rule_files(tmp_path: Path) -> None:
    """With rule_files pointed at the repo's alerts/ (as the container sees it), promtool checks them too."""
    promtool = require_binary("promtool", "prometheus")
    config = yaml.safe_load((REPO / C.PROMETHEUS_CONFIG_PATH).read_text())
    rule_files = sorted((REPO / C.ALERTS_DIR).glob(C.ALERT_RULES_GLOB))
    if not rule_files:
        pytest.skip("alerts/ holds no rule files yet")
    config["rule_files"] = [str(REPO / C.ALERTS_DIR / Path(pattern).name) for pattern in config["rule_files"]]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for rule_file in rule_files:
        assert rule_file.name in result.stdout + result.stderr


def test_promtool_rejects_a_broken_config(tmp_path: Path) -> None:
    """The check can fail: a duplicate job name is an error for Prometheus."""
    promtool = require_binary("promtool", "prometheus")
    config = yaml.safe_load((REPO / C.PROMETHEUS_CONFIG_PATH).read_text())
    config["scrape_configs"].append(dict(config["scrape_configs"][0]))
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [promtool, "check", "config", str(path)], capture_output=True, timeout=30, check=False
    )
    assert result.returncode != 0


def test_the_config_matches_the_schemastore_schema() -> None:
    schema = yaml.safe_load(schema_path("prometheus.json").read_text())
    config = yaml.safe_load((REPO / C.PROMETHEUS_CONFIG_PATH).read_text())
    jsonschema.validate(config, schema)
