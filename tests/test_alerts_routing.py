"""Alertmanager routing proven with the real amtool; PrometheusRule resources against the CRD schema."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog_file
from obsgen.generate import generate
from obsgen.generate.alerting import alertmanager, kubernetes, rules
from obsgen.model import Catalog
from tests.conftest import REPO, TEST_CATALOGS, catalog_from, require_binary, schema_path

ROUTING = catalog_from("""
    apiVersion: obsgen/v1
    teams:
      pay: {slack_channel: "#pay", pagerduty_service: pay-pd}
      web: {slack_channel: "#web"}
      ops: {}
    services:
      checkout: {team: pay, slos: {availability: {kind: availability, objective: 99.9}}}
""")


@pytest.fixture(scope="module")
def am_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("am") / "alertmanager.yml"
    path.write_bytes(generate(ROUTING)[C.ALERTMANAGER_CONFIG_PATH])
    return path


def _routes(config: Path, **labels: str) -> list[str]:
    require_binary("amtool", "prometheus-alertmanager")
    result = subprocess.run(
        [
            "amtool",
            "config",
            "routes",
            "test",
            f"--config.file={config}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(",")


@pytest.mark.parametrize(
    "catalog", [REPO / "catalog.yaml", *sorted(TEST_CATALOGS.glob("alerts-*.yaml"))], ids=lambda p: p.stem
)
def test_generated_config_passes_amtool_check_config(tmp_path: Path, catalog: Path) -> None:
    require_binary("amtool", "prometheus-alertmanager")
    path = tmp_path / "alertmanager.yml"
    path.write_bytes(generate(load_catalog_file(str(catalog)))[C.ALERTMANAGER_CONFIG_PATH])
    result = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"team": "pay", "severity": "page"}, ["pay-page"]),
        ({"team": "pay", "severity": "ticket"}, ["pay-ticket"]),
        ({"team": "web", "severity": "page"}, ["web-page"]),
        ({"team": "ops", "severity": "ticket"}, ["ops-ticket"]),
        ({"team": "nobody", "severity": "page"}, ["unrouted"]),
    ],
    ids=[
        "pay pages reach pay-page",
        "pay tickets reach pay-ticket",
        "web pages reach web-page",
        "ops tickets reach ops-ticket",
        "an unknown team reaches the unrouted receiver",
    ],
)
def test_alerts_route_by_team_and_severity(
    am_config: Path, labels: dict[str, str], receivers: list[str]
) -> None:
    assert _routes(am_config, service="checkout", slo="availability", **labels) == receivers


def test_only_a_catalog_asking_for_the_demo_webhook_gets_it(tmp_path: Path) -> None:
    assert "webhook:5001" not in generate(ROUTING)[C.ALERTMANAGER_CONFIG_PATH].decode()
    path = tmp_path / "alertmanager.yml"
    path.write_bytes(generate(load_catalog_file(str(REPO / "catalog.yaml")))[C.ALERTMANAGER_CONFIG_PATH])
    assert C.WEBHOOK_URL in path.read_text()
    # The demo: every alert reaches the local webhook first, then its team's receiver.
    assert _routes(path, service="demo", slo="availability", team="ml-platform", severity="page") == [
        C.DEMO_WEBHOOK_RECEIVER,
        "ml-platform-page",
    ]
    assert _routes(path, service="demo", team="nobody", severity="page") == [C.DEMO_WEBHOOK_RECEIVER]


def _receiver(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in config["receivers"] if r["name"] == name)


def test_receivers_read_secrets_from_files_never_from_the_config() -> None:
    config = alertmanager.config(ROUTING)
    text = yaml.safe_dump(config)
    assert "hooks.slack.com" not in text and "routing_key:" not in text and "api_url:" not in text
    pd = _receiver(config, "pay-page")["pagerduty_configs"][0]
    assert pd["routing_key_file"] == f"{C.ALERTMANAGER_SECRETS_DIR}/pagerduty-pay-pd-routing-key"
    assert _receiver(config, "pay-ticket")["slack_configs"][0]["api_url_file"] == C.slack_url_file("pay")
    assert _receiver(config, "web-page")["slack_configs"][0]["channel"] == "#web"
    assert set(_receiver(config, "ops-page")) == {"name"}, "a team without Slack or PagerDuty: no integration"


def test_tickets_are_inhibited_while_the_same_slo_pages() -> None:
    config = alertmanager.config(ROUTING)
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="page"'],
            "target_matchers": ['severity="ticket"'],
            "equal": ["service", "slo"],
        }
    ]
    assert config["route"]["group_by"] == ["service", "slo"]


def test_a_grouped_slo_notifies_once_per_group_and_inhibits_within_its_group() -> None:
    config = alertmanager.config(load_catalog_file(str(TEST_CATALOGS / "sources-starlette-exporter.yaml")))
    assert config["route"]["group_by"] == ["service", "slo", "cluster", "region"]
    assert config["inhibit_rules"][0]["equal"] == ["service", "slo", "cluster", "region"]


def _strict(schema: Any) -> Any:
    """additionalProperties: false on every object schema that does not preserve unknown fields;
    Go regexes made Python's."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if isinstance(schema.get("pattern"), str) and schema["pattern"].startswith("^(?i)"):
            # Go's RE2 takes inline flags anywhere; Python only at the start.
            schema["pattern"] = "(?i)^" + schema["pattern"][len("^(?i)") :]
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@pytest.fixture(scope="module")
def prometheusrule_schema() -> dict[str, Any]:
    crd = yaml.safe_load(schema_path("crd-prometheusrules.yaml").read_text())
    spec: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    strict: dict[str, Any] = _strict(copy.deepcopy(spec))
    return strict


@pytest.mark.parametrize(
    "catalog", [REPO / "catalog.yaml", *sorted(TEST_CATALOGS.glob("alerts-*.yaml"))], ids=lambda p: p.stem
)
def test_prometheusrules_validate_against_the_crd_schema(
    prometheusrule_schema: dict[str, Any], catalog: Path
) -> None:
    model: Catalog = load_catalog_file(str(catalog))
    out = generate(model)
    for service in model.services:
        path = C.k8s_prometheusrule_path(service.name)
        docs = list(yaml.safe_load_all(out[path]))
        assert [d["kind"] for d in docs] == ["PrometheusRule"]
        jsonschema.validate(docs[0]["spec"], prometheusrule_schema)
        assert docs[0]["spec"]["groups"] == rules.rule_groups(model, service), "the same rules as alerts/"


def test_a_typo_in_a_rule_fails_the_strict_schema(prometheusrule_schema: dict[str, Any]) -> None:
    resource = kubernetes.prometheus_rule(
        ROUTING.services[0], rules.rule_groups(ROUTING, ROUTING.services[0])
    )
    # The typo is the point: what mypy refuses in obsgen's code, the schema must refuse in a file.
    resource["spec"]["groups"][0]["rules"][0]["recrod"] = "typo"  # type: ignore[typeddict-unknown-key]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(resource["spec"], prometheusrule_schema)
