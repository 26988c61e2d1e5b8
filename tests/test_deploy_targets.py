"""Where the output runs (``deploy``), what is written (``outputs``) and how every service is scraped.

Each deployment target kind generates configs that real Prometheus tooling accepts and that
point where the catalog says; a catalog selecting outputs gets exactly their files; a service
nobody scrapes is reported, never left out silently.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog_file
from obsgen.errors import CatalogError
from obsgen.explain import explain
from obsgen.generate import GENERATORS, generate
from obsgen.generate.discovery import k8s_sd_services, scrapes, warnings
from obsgen.model import OUTPUTS, Catalog
from tests.conftest import REPO, TEST_CATALOGS, catalog_from, require_binary, schema_path

KUBERNETES = TEST_CATALOGS / "deploy-kubernetes.yaml"
HOSTS = TEST_CATALOGS / "deploy-hosts.yaml"
RULES_AND_DASHBOARDS = TEST_CATALOGS / "outputs-rules-dashboards.yaml"


def obsgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obsgen", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _plan(path: Path) -> dict[str, bytes]:
    return generate(load_catalog_file(str(path)))


def _yaml(plan: dict[str, bytes], path: str) -> Any:
    return yaml.safe_load(plan[path])


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --- Real tools --------------------------------------------------------------------------


def _amtool_check(config: Path) -> subprocess.CompletedProcess[str]:
    require_binary("amtool", "prometheus-alertmanager")
    return subprocess.run(["amtool", "check-config", str(config)], capture_output=True, text=True, timeout=60)


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


def _promtool_check(config: dict[str, Any], tmp_path: Path) -> None:
    """``promtool check config``, with Kubernetes discovery swapped for an empty static config.

    Debian builds Prometheus without Kubernetes discovery (its promtool rejects the key), so the
    discovery blocks are checked against Prometheus' JSON schema instead; everything else,
    relabelling regexes included, by promtool.
    """
    require_binary("promtool", "prometheus")
    schema = json.loads(schema_path("prometheus.json").read_text())
    jsonschema.validate(config, schema)
    config = json.loads(json.dumps(config))
    for job in config["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None) is not None:
            job.setdefault("static_configs", [{"targets": []}])
    (tmp_path / "alerts").mkdir(exist_ok=True)
    config["rule_files"] = [str(tmp_path / "alerts" / "*.yaml")]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        ["promtool", "check", "config", "--syntax-only", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- kubernetes: an organisation without the demo ------------------------------------------


@pytest.fixture(scope="module")
def k8s_plan() -> dict[str, bytes]:
    return _plan(KUBERNETES)


@pytest.fixture(scope="module")
def k8s_alertmanager(k8s_plan: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("am") / "alertmanager.yml"
    path.write_bytes(k8s_plan[C.ALERTMANAGER_CONFIG_PATH])
    return path


def test_kubernetes_alertmanager_config_passes_amtool(k8s_alertmanager: Path) -> None:
    result = _amtool_check(k8s_alertmanager)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_output_has_no_demo_piece_anywhere(k8s_plan: dict[str, bytes]) -> None:
    for path, content in k8s_plan.items():
        text = content.decode()
        assert f"{C.WEBHOOK_HOST}:{C.WEBHOOK_PORT}" not in text, path
        assert C.DEMO_WEBHOOK_RECEIVER not in text, path
        assert "obsgen-demo" not in text, path


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"team": "payments", "severity": "page"}, ["payments-page"]),
        ({"team": "payments", "severity": "ticket"}, ["payments-ticket"]),
        ({"team": "search", "severity": "page"}, ["search-page"]),
        ({"team": "platform", "severity": "ticket"}, ["platform-ticket"]),
        ({"team": "nobody", "severity": "page"}, [C.UNROUTED_RECEIVER]),
    ],
    ids=["payments pages", "payments tickets", "search pages", "platform tickets", "unknown team"],
)
def test_kubernetes_alerts_route_by_team_and_severity(
    k8s_alertmanager: Path, labels: dict[str, str], receivers: list[str]
) -> None:
    assert _routes(k8s_alertmanager, service="checkout", slo="availability", **labels) == receivers


def test_kubernetes_receivers_are_the_catalogs_with_secrets_from_files(k8s_plan: dict[str, bytes]) -> None:
    receivers = {r["name"]: r for r in _yaml(k8s_plan, C.ALERTMANAGER_CONFIG_PATH)["receivers"]}
    assert receivers["payments-page"]["pagerduty_configs"][0]["routing_key_file"] == C.pagerduty_key_file(
        "payments"
    )
    assert receivers["payments-ticket"]["slack_configs"][0]["api_url_file"] == C.slack_url_file("payments")
    assert receivers["search-page"]["slack_configs"][0]["channel"] == "#search-alerts"
    for name in ("platform-page", "platform-ticket"):
        assert receivers[name]["webhook_configs"] == [
            {"url": "https://events.example.com/alertmanager", "send_resolved": True}
        ]
    assert receivers[C.UNROUTED_RECEIVER] == {"name": C.UNROUTED_RECEIVER}


def test_kubernetes_prometheus_points_where_the_catalog_says(
    k8s_plan: dict[str, bytes], tmp_path: Path
) -> None:
    config = _yaml(k8s_plan, C.PROMETHEUS_CONFIG_PATH)
    assert config["alerting"]["alertmanagers"] == [
        {"static_configs": [{"targets": ["alertmanager-operated.monitoring.svc:9093"]}]}
    ]
    _promtool_check(config, tmp_path)


def test_kubernetes_services_without_targets_are_discovered(k8s_plan: dict[str, bytes]) -> None:
    jobs = {j["job_name"]: j for j in _yaml(k8s_plan, C.PROMETHEUS_CONFIG_PATH)["scrape_configs"]}
    for service, job in (("checkout", "checkout"), ("search", "search-api"), ("gateway", "gateway")):
        (keep, *_) = jobs[job]["relabel_configs"]
        assert keep["action"] == "keep" and keep["regex"] == f"({service});{C.K8S_METRICS_PORT_NAME}"
        assert jobs[job]["kubernetes_sd_configs"] == [
            {"role": "endpoints", "namespaces": {"names": ["prod", "staging"]}}
        ]
        assert C.k8s_servicemonitor_path(service) in k8s_plan
    assert all(s.how == "kubernetes" for s in scrapes(load_catalog_file(str(KUBERNETES))))
    assert warnings(load_catalog_file(str(KUBERNETES))) == []


def test_kubernetes_deployments_only_for_services_the_catalog_deploys(k8s_plan: dict[str, bytes]) -> None:
    workloads = {
        p
        for p in k8s_plan
        if p.startswith(("k8s/prod/", "k8s/staging/")) and not p.endswith("namespace.yaml")
    }
    assert workloads == {"k8s/prod/checkout.yaml", "k8s/staging/checkout.yaml"}
    docs = list(yaml.safe_load_all(k8s_plan["k8s/prod/checkout.yaml"]))
    assert "Secret" not in {d["kind"] for d in docs}
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/payments/checkout:3.2.1"


def test_kubernetes_grafana_and_fluentd_read_the_catalogs_endpoints(k8s_plan: dict[str, bytes]) -> None:
    sources = {d["uid"]: d["url"] for d in _yaml(k8s_plan, C.GRAFANA_DATASOURCES_FILE)["datasources"]}
    assert sources == {
        C.DATASOURCE_PROMETHEUS_UID: "http://prometheus-operated.monitoring.svc:9090",
        C.DATASOURCE_ALERTMANAGER_UID: "http://alertmanager-operated.monitoring.svc:9093",
        C.DATASOURCE_LOKI_UID: "http://loki-gateway.logging.svc:80",
        C.DATASOURCE_ELASTICSEARCH_UID: "https://elasticsearch-es-http.logging.svc:9200",
    }
    fluent = k8s_plan[C.FLUENTD_CONFIG_PATH].decode()
    assert "http://loki-gateway.logging.svc:80" in fluent
    assert "https://elasticsearch-es-http.logging.svc:9200" in fluent
    assert "http://loki:3100" not in fluent and 'elasticsearch:9200"' not in fluent
    rules = k8s_plan["alerts/checkout.yaml"].decode()
    assert "https://grafana.example.com/d/" in rules and "localhost:3000" not in rules


# --- hosts ----------------------------------------------------------------------------------


def test_hosts_prometheus_sends_to_alertmanager_behind_tls_and_a_path(tmp_path: Path) -> None:
    config = _yaml(_plan(HOSTS), C.PROMETHEUS_CONFIG_PATH)
    assert config["alerting"]["alertmanagers"] == [
        {
            "static_configs": [{"targets": ["ops.example.com:443"]}],
            "scheme": "https",
            "path_prefix": "/alertmanager",
        }
    ]
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert jobs[C.ALERTMANAGER_HOST]["metrics_path"] == "/alertmanager/metrics"
    assert jobs["shop"]["static_configs"] == [
        {"targets": ["shop-1.example.com:8000", "shop-2.example.com:8000"]}
    ]
    assert "batch" not in jobs
    assert all("kubernetes_sd_configs" not in j for j in jobs.values())
    _promtool_check(config, tmp_path)


def test_hosts_alertmanager_config_passes_amtool(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_bytes(_plan(HOSTS)[C.ALERTMANAGER_CONFIG_PATH])
    assert _amtool_check(path).returncode == 0
    assert "webhook" not in path.read_text()


# --- compose: the demo keeps its stack -------------------------------------------------------


def test_compose_demo_keeps_its_webhook_and_stack_host_names() -> None:
    plan = _plan(REPO / "catalog.yaml")
    am = _yaml(plan, C.ALERTMANAGER_CONFIG_PATH)
    assert am["route"]["receiver"] == C.DEMO_WEBHOOK_RECEIVER
    assert am["route"]["routes"][0] == {"receiver": C.DEMO_WEBHOOK_RECEIVER, "continue": True}
    prom = _yaml(plan, C.PROMETHEUS_CONFIG_PATH)
    assert prom["alerting"]["alertmanagers"] == [
        {"static_configs": [{"targets": [f"{C.ALERTMANAGER_HOST}:{C.ALERTMANAGER_PORT}"]}]}
    ]
    sources = {d["uid"]: d["url"] for d in _yaml(plan, C.GRAFANA_DATASOURCES_FILE)["datasources"]}
    assert sources[C.DATASOURCE_LOKI_UID] == C.STACK_LOKI_URL


# --- Every service is scraped or says why ------------------------------------------------------

NO_TARGETS = """
    apiVersion: obsgen/v1
    {deploy}
    teams: {{t: {{slack_channel: "#t"}}}}
    services:
      lonely: {{team: t, slos: {{availability: {{kind: availability, objective: 99}}}}}}
      seen: {{team: t, targets: ["seen-1:8000"]}}
"""
URLS = (
    "prometheus_url: http://p:9090, alertmanager_url: http://a:9093, loki_url: http://l:3100, "
    "elasticsearch_url: http://e:9200, grafana_url: http://g:3000"
)


@pytest.mark.parametrize(
    ("deploy", "how"),
    [
        ("", "unscraped"),
        (f"deploy: {{target: hosts, {URLS}}}", "unscraped"),
        (f"deploy: {{target: kubernetes, {URLS}}}", "kubernetes"),
        ("outputs: [rules, dashboards]", "external"),
    ],
    ids=["compose default", "hosts", "kubernetes", "no prometheus output"],
)
def test_a_service_without_targets_is_discovered_or_reported(deploy: str, how: str) -> None:
    catalog = catalog_from(NO_TARGETS.format(deploy=deploy))
    by_name = {s.service.name: s for s in scrapes(catalog)}
    assert by_name["seen"].how == "static"
    assert by_name["lonely"].how == how
    assert f"lonely: {by_name['lonely'].why}" in explain(catalog)
    reported = [w for w in warnings(catalog) if w.startswith("services.lonely:")]
    assert bool(reported) == (how == "unscraped")


def test_generate_and_validate_warn_on_stderr_about_an_unscraped_service(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_text(textwrap.dedent(NO_TARGETS.format(deploy="")))
    for command in ("validate", "generate"):
        result = obsgen(command, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "obsgen: warning: services.lonely: not scraped" in result.stderr
        assert "seen" not in result.stderr
    explained = obsgen("explain", cwd=tmp_path)
    assert "lonely: not scraped: it has no targets" in explained.stdout
    assert "seen: scraped at its 1 static target(s)" in explained.stdout


def test_the_starter_catalog_says_its_service_is_not_scraped(tmp_path: Path) -> None:
    assert obsgen("init", cwd=tmp_path).returncode == 0
    result = obsgen("generate", cwd=tmp_path)
    assert result.returncode == 0 and "services.pay: not scraped" in result.stderr


# --- Outputs ------------------------------------------------------------------------------------

#: The files each output owns, by path prefix (the manifest is always written).
OUTPUT_PATHS: dict[str, tuple[str, ...]] = {
    "rules": (f"{C.ALERTS_DIR}/",),
    "rule_tests": (f"{C.ALERT_TESTS_DIR}/",),
    "alertmanager": (C.ALERTMANAGER_CONFIG_PATH,),
    "prometheus": (C.PROMETHEUS_CONFIG_PATH,),
    "logging": ("stack/fluentd/", "stack/loki/", "stack/elasticsearch/"),
    "dashboards": (f"{C.DASHBOARDS_DIR}/", f"{C.GRAFANA_PROVISIONING_DIR}/"),
    "kubernetes": (f"{C.K8S_DIR}/",),
}


def _owner(path: str) -> set[str]:
    """Outputs whose files ``path`` belongs to (the longest matching prefix wins)."""
    matches = [
        (len(prefix), o)
        for o, prefixes in OUTPUT_PATHS.items()
        for prefix in prefixes
        if path.startswith(prefix)
    ]
    best = max(n for n, _ in matches)
    return {o for n, o in matches if n == best}


def _with_outputs(catalog: Catalog, outputs: set[str]) -> Catalog:
    return dataclasses.replace(catalog, outputs=frozenset(outputs))  # type: ignore[arg-type]


@pytest.mark.parametrize("output", OUTPUTS)
def test_each_output_alone_writes_only_its_own_files(example_catalog: Catalog, output: str) -> None:
    plan = generate(_with_outputs(example_catalog, {output}))
    assert plan, f"{output} alone generates nothing"
    for path in plan:
        assert _owner(path) == {output}, path


def test_every_file_belongs_to_an_output_alone_or_to_a_pair(example_catalog: Catalog) -> None:
    full = set(generate(example_catalog))
    pairs = [
        generate(_with_outputs(example_catalog, set(pair))) for pair in itertools.combinations(OUTPUTS, 2)
    ]
    assert full == set().union(*pairs)


def test_every_generator_serves_known_outputs() -> None:
    for name, outputs in GENERATORS:
        assert outputs and outputs <= set(OUTPUTS), name


def test_rules_and_dashboards_only_writes_nothing_else_and_check_passes(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_bytes(RULES_AND_DASHBOARDS.read_bytes())
    result = obsgen("generate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = _files(tmp_path) - {"catalog.yaml", C.MANIFEST_FILE}
    assert written
    for path in written:
        assert _owner(path) <= {"rules", "dashboards"} and "rule_tests" not in _owner(path), path
    assert not any(
        p.startswith((C.K8S_DIR, "stack/prometheus", "stack/alertmanager", "stack/fluentd")) for p in written
    )
    check = obsgen("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    # A file of a deselected output is not obsgen's business: check still passes.
    (tmp_path / C.PROMETHEUS_CONFIG_PATH).parent.mkdir(parents=True)
    (tmp_path / C.PROMETHEUS_CONFIG_PATH).write_text("# the platform team's own\n")
    assert obsgen("check", cwd=tmp_path).returncode == 0


def test_the_outputs_flag_chooses_for_one_run_and_check_follows_it(tmp_path: Path) -> None:
    (tmp_path / "catalog.yaml").write_bytes((REPO / "catalog.yaml").read_bytes())
    assert obsgen("generate", cwd=tmp_path).returncode == 0
    assert obsgen("check", "--outputs", "rules,dashboards", cwd=tmp_path).returncode == 1, (
        "the manifest lists files the narrower plan does not own"
    )
    result = obsgen("generate", "--outputs", "dashboards,rules", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    files = _files(tmp_path) - {"catalog.yaml", C.MANIFEST_FILE}
    assert {o for p in files for o in _owner(p)} == {"rules", "dashboards"}, "deselected outputs are pruned"
    assert obsgen("check", "--outputs", "rules,dashboards", cwd=tmp_path).returncode == 0
    assert obsgen("check", cwd=tmp_path).returncode == 1, "the catalog asks for every output"


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("rules,bogus", "'bogus' is not an output"),
        (",", "empty is not an output"),
        ("rule_tests", "rule_tests test the generated rules"),
    ],
)
def test_a_bad_outputs_flag_is_a_user_error(tmp_path: Path, flag: str, message: str) -> None:
    (tmp_path / "catalog.yaml").write_bytes((REPO / "catalog.yaml").read_bytes())
    result = obsgen("generate", "--outputs", flag, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr
    assert _files(tmp_path) == {"catalog.yaml"}


# --- Validation of the new blocks -------------------------------------------------------------

BASE = """
    apiVersion: obsgen/v1
    teams: {{t: {{}}}}
    services:
      s: {{team: t{service}}}
    {top}
"""


@pytest.mark.parametrize(
    ("top", "service", "message"),
    [
        (
            "deploy: {target: kubernetes}",
            "",
            "deploy: missing alertmanager_url: with target kubernetes, prometheus",
        ),
        (
            "deploy: {target: hosts, demo_webhook: true}",
            "",
            "deploy.demo_webhook: the demo webhook exists only in",
        ),
        ("outputs: [rule_tests]", "", "outputs: rule_tests test the generated rules"),
        ("outputs: [rules, rules]", "", "outputs[1]: 'rules' is listed twice"),
        ("outputs: [alerts]", "", "outputs[0]: 'alerts' is not one of"),
        ("outputs: []", "", "outputs: needs at least 1 item"),
        (
            "grafana_url: http://a:3000\n    deploy: {grafana_url: http://b:3000}",
            "",
            "deploy.grafana_url: differs",
        ),
        (
            "deploy: {loki_url: 'http://loki:3100/$x'}",
            "",
            "deploy.loki_url: 'http://loki:3100/$x' must be an",
        ),
        (
            "deploy: {prometheus_url: 'http://user:pw@p:9090'}",
            "",
            "deploy.prometheus_url: 'http://user:pw@p:9090'",
        ),
        ("deploy: {target: swarm}", "", "deploy.target: 'swarm' is not one of compose, kubernetes, hosts"),
        ("", ", deploy: {port: 8000}", "services.s.deploy: missing required key 'image'"),
        (
            "",
            ", deploy: {image: 'x:1', port: 80.5}",
            "services.s.deploy.port: 80.5 is not a whole port number",
        ),
        (
            "",
            ", deploy: {image: 'x:1', port: 70000}",
            "services.s.deploy.port: 70000 must be less than 65536",
        ),
        (
            "",
            ", deploy: {image: 'x:1', prestop_delay: 30s}",
            "services.s.deploy.prestop_delay: must be whole seconds",
        ),
        ("", ", deploy: {image: 'x y'}", "services.s.deploy.image: 'x y' is not an image reference"),
        (
            "",
            ", deploy: {image: 'x:1', probes: {liveness: healthz}}",
            "services.s.deploy.probes.liveness: 'healthz'",
        ),
        (
            "",
            ", deploy: {image: 'x:1', resources: {memory: 1GB}}",
            "services.s.deploy.resources.memory: '1GB'",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_bad_deploy_and_outputs_blocks_are_refused_with_their_path(
    top: str, service: str, message: str
) -> None:
    with pytest.raises(CatalogError) as err:
        catalog_from(BASE.format(top=top, service=service))
    assert any(message in str(p) for p in err.value.problems), [str(p) for p in err.value.problems]


def test_a_hosts_catalog_with_every_endpoint_named_validates() -> None:
    catalog = catalog_from(BASE.format(top=f"deploy: {{target: hosts, {URLS}}}", service=""))
    assert catalog.deployment.target == "hosts"
    assert catalog.deployment.demo_webhook_url is None
    assert catalog.grafana_url == "http://g:3000"


def test_only_the_urls_the_selected_outputs_use_are_required() -> None:
    catalog = catalog_from(
        BASE.format(top="deploy: {target: kubernetes}\n    outputs: [alertmanager]", service="")
    )
    assert catalog.outputs == frozenset({"alertmanager"})


def test_the_schema_describes_the_new_keys() -> None:
    from obsgen.catalog import json_schema

    props = json_schema()["properties"]
    assert set(props["deploy"]["properties"]) == {
        "target",
        "prometheus_url",
        "alertmanager_url",
        "loki_url",
        "elasticsearch_url",
        "grafana_url",
        "demo_webhook",
    }
    assert props["outputs"]["items"]["enum"] == list(OUTPUTS)
    service = props["services"]["additionalProperties"]["properties"]
    assert set(service["deploy"]["properties"]) == {"image", "port", "probes", "resources", "prestop_delay"}


def test_the_top_level_grafana_url_still_works_and_counts_as_named() -> None:
    catalog = catalog_from(
        BASE.format(
            top="grafana_url: https://grafana.example.com/\n    deploy: {target: kubernetes}\n"
            "    outputs: [rules, alertmanager]",
            service=", slos: {a: {kind: availability, objective: 99}}",
        )
    )
    assert catalog.grafana_url == "https://grafana.example.com"
    assert "https://grafana.example.com/d/" in generate(catalog)["alerts/s.yaml"].decode()


@pytest.mark.parametrize(
    "deploy", ["", f"deploy: {{target: kubernetes, {URLS}}}"], ids=["compose", "kubernetes"]
)
def test_a_service_measured_at_an_edge_proxy_is_not_scraped_itself_and_not_warned_about(deploy: str) -> None:
    catalog = catalog_from(f"""
    apiVersion: obsgen/v1
    {deploy}
    teams: {{t: {{slack_channel: "#t"}}}}
    services:
      shop:
        team: t
        source: traefik
        selector: '{{service="default-shop-80@kubernetes"}}'
        slos: {{availability: {{kind: availability, objective: 99}}}}
    """)
    (shop,) = scrapes(catalog)
    assert shop.how == "edge"
    assert "traefik" in shop.why
    assert f"shop: {shop.why}" in explain(catalog)
    assert warnings(catalog) == []
    assert k8s_sd_services(catalog) == {}


def test_a_service_measured_at_an_edge_proxy_gets_no_service_monitor() -> None:
    catalog = catalog_from(f"""
    apiVersion: obsgen/v1
    deploy: {{target: kubernetes, {URLS}}}
    teams: {{t: {{slack_channel: "#t"}}}}
    services:
      shop:
        team: t
        source: ingress-nginx
        selector: '{{ingress="shop"}}'
        slos: {{availability: {{kind: availability, objective: 99}}}}
      api: {{team: t, slos: {{availability: {{kind: availability, objective: 99}}}}}}
    """)
    files = generate(catalog)
    assert C.k8s_servicemonitor_path("api") in files
    assert C.k8s_servicemonitor_path("shop") not in files
