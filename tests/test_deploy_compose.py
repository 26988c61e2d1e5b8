"""docker-compose.yml: valid for the real docker-compose and the compose-spec schema, and true to the catalog."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

try:  # tests/ as a package or as a rootdir of plain modules
    from tests.conftest import REPO, require_binary, schema_path
except ImportError:  # pragma: no cover
    from conftest import REPO, require_binary, schema_path  # type: ignore[no-redef]

from obsgen import conventions as C
from obsgen import durations
from obsgen.generate.kubernetes import POD_POLICY
from obsgen.model import Catalog

COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
#: Services of the demo image that serve the catalog's demo service.
DEMO_IMAGE = C.service_image(C.DEFAULT_SERVICE_NAME)


def _compose(
    *args: str, env: dict[str, str] | None = None, file: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess[str]:
    binary = require_binary("docker-compose", "docker-compose")
    # No environment of the caller's: `docker compose up` must need no exported variable.
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [binary, "-f", str(file), *args],
        env={**base, **(env or {})},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _mounts(service: str) -> dict[str, str]:
    """``{container path: host source}`` of a service's volumes (short syntax)."""
    out = {}
    for volume in SERVICES[service].get("volumes", []):
        source, target, *_ = volume.split(":")
        out[target] = source
    return out


def _host(target: str) -> str:
    return target.rpartition(":")[0]


# --- Real validators ------------------------------------------------------------------


def test_docker_compose_accepts_the_file_with_no_environment_set() -> None:
    result = _compose("config", "-q")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr  # e.g. "The X variable is not set"


def test_docker_compose_accepts_the_file_with_the_elk_profile() -> None:
    result = _compose("--profile", "elk", "config", "--services")
    assert result.returncode == 0, result.stderr
    assert {"elasticsearch", "kibana", "elasticsearch-init"} <= set(result.stdout.split())


def test_no_variable_is_read_from_the_environment() -> None:
    """Every ``$`` is escaped (``$$``): nothing to export before `docker compose up`."""
    assert re.findall(r"\$\{?\w", COMPOSE_FILE.read_text().replace("$$", "")) == []


def test_docker_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    """The validator can fail: an unknown depends_on condition is an error."""
    broken = COMPOSE_FILE.read_text().replace("condition: service_healthy", "condition: service_happy", 1)
    path = tmp_path / "docker-compose.yml"
    path.write_text(broken)
    result = _compose("config", "-q", file=path)
    assert result.returncode != 0


@pytest.fixture(scope="module")
def compose_schema() -> Any:
    return yaml.safe_load(schema_path("compose-spec.json").read_text())


def test_the_compose_spec_schema_accepts_the_file(compose_schema: Any) -> None:
    jsonschema.Draft7Validator(compose_schema).validate(COMPOSE)


def test_the_compose_spec_schema_rejects_a_misspelt_key(compose_schema: Any) -> None:
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    broken["services"]["prometheus"]["healtcheck"] = broken["services"]["prometheus"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(compose_schema).validate(broken)


def test_haproxy_accepts_its_config_with_compose_and_loopback_addresses() -> None:
    haproxy = require_binary("haproxy", "haproxy")
    cfg = REPO / "stack" / "haproxy" / "haproxy.cfg"
    lb_env = SERVICES["lb"]["environment"]
    for addresses in (lb_env, {**lb_env, "DEMO_1_ADDR": "127.0.0.1:18001", "DEMO_2_ADDR": "127.0.0.1:18002"}):
        result = subprocess.run(
            [haproxy, "-c", "-f", str(cfg)],
            env={**os.environ, **addresses},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_haproxy_refuses_its_config_without_addresses() -> None:
    haproxy = require_binary("haproxy", "haproxy")
    env = {k: v for k, v in os.environ.items() if k not in ("LB_BIND", "DEMO_1_ADDR", "DEMO_2_ADDR")}
    result = subprocess.run(
        [haproxy, "-c", "-f", str(REPO / "stack" / "haproxy" / "haproxy.cfg")],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0


def test_haproxy_routes_by_readiness_without_retries() -> None:
    text = (REPO / "stack" / "haproxy" / "haproxy.cfg").read_text()
    assert re.search(r"^\s*retries 0$", text, re.M)
    assert f"uri {C.READINESS_PATH}" in text
    servers = re.findall(r'^\s*server (\S+) "\$\{(\w+)\}"', text, re.M)
    assert [name for name, _ in servers] == ["demo-1", "demo-2"]
    assert {var for _, var in servers} <= set(SERVICES["lb"]["environment"])


# --- Consistent with the catalog ---------------------------------------------------------


def test_every_catalog_target_is_a_compose_service(example_catalog: Catalog) -> None:
    entries = [*example_catalog.services, *example_catalog.resources]
    targets = [t for entry in entries for t in entry.targets]
    assert targets
    for target in targets:
        assert _host(target) in SERVICES, f"catalog target {target} has no compose service"


def test_catalog_service_targets_run_the_service_on_the_targets_port(example_catalog: Catalog) -> None:
    for service in example_catalog.services:
        for target in service.targets:
            compose_service = SERVICES[_host(target)]
            assert compose_service["image"] == C.service_image(service.name)
            env = compose_service["environment"]
            assert env[C.ENV_SERVICE_NAME] == service.name
            assert env[C.ENV_PORT] == target.rpartition(":")[2]


def test_demo_replicas_log_at_the_level_of_their_catalog_environment(example_catalog: Catalog) -> None:
    levels = {env.name: env.log_level for env in example_catalog.environments}
    demos = [s for s in SERVICES.values() if C.ENV_LOG_LEVEL in s.get("environment", {})]
    assert len(demos) >= 2
    for service in demos:
        env = service["environment"]
        assert env[C.ENV_LOG_LEVEL] == levels[env[C.ENV_ENVIRONMENT]]


def test_demo_shutdown_timings_match_the_kubernetes_manifests() -> None:
    env = SERVICES["demo-1"]["environment"]
    assert int(env[C.ENV_SHUTDOWN_DELAY]) == POD_POLICY.shutdown_delay_seconds
    assert int(env[C.ENV_SHUTDOWN_GRACE]) == POD_POLICY.app_grace_seconds
    # Docker's SIGKILL comes after stop_grace_period: later than the app's own deadline.
    assert int(SERVICES["demo-1"]["stop_grace_period"].rstrip("s")) > int(env[C.ENV_SHUTDOWN_GRACE])


def test_prometheus_mounts_the_generated_config_and_the_alert_rules() -> None:
    mounts = _mounts("prometheus")
    assert mounts[C.PROMETHEUS_CONFIG_MOUNT] == f"./{C.PROMETHEUS_CONFIG_PATH}"
    assert mounts[C.PROMETHEUS_ALERTS_MOUNT] == f"./{C.ALERTS_DIR}"
    config = yaml.safe_load((REPO / C.PROMETHEUS_CONFIG_PATH).read_text())
    assert all(f.startswith(C.PROMETHEUS_ALERTS_MOUNT + "/") for f in config["rule_files"])
    assert f"--config.file={C.PROMETHEUS_CONFIG_MOUNT}" in SERVICES["prometheus"]["command"]


def test_alertmanager_mounts_the_generated_config_which_reaches_the_webhook() -> None:
    assert _mounts("alertmanager")[C.ALERTMANAGER_CONFIG_MOUNT] == f"./{C.ALERTMANAGER_CONFIG_PATH}"
    assert C.WEBHOOK_HOST in SERVICES
    assert SERVICES[C.WEBHOOK_HOST]["environment"]["WEBHOOK_PORT"] == str(C.WEBHOOK_PORT)
    path = REPO / C.ALERTMANAGER_CONFIG_PATH
    if not path.exists():
        pytest.skip(f"{C.ALERTMANAGER_CONFIG_PATH} is not generated yet")
    config = yaml.safe_load(path.read_text())
    urls = [hook["url"] for r in config["receivers"] for hook in r.get("webhook_configs", [])]
    assert C.WEBHOOK_URL in urls


def test_grafana_mounts_provisioning_and_dashboards() -> None:
    mounts = _mounts("grafana")
    assert mounts[C.GRAFANA_PROVISIONING_MOUNT] == f"./{C.GRAFANA_PROVISIONING_DIR}"
    assert mounts[C.GRAFANA_DASHBOARDS_MOUNT] == f"./{C.DASHBOARDS_DIR}"
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{C.GRAFANA_DASHBOARDS_MOUNT}/{Path(C.overview_dashboard_path()).name}"


def test_fluentd_and_loki_mount_the_generated_log_pipeline() -> None:
    fluentd = _mounts("fluentd")
    assert fluentd[C.FLUENTD_CONFIG_MOUNT] == f"./{Path(C.FLUENTD_CONFIG_PATH).parent}"
    assert fluentd[C.FLUENTD_ES_MOUNT] == f"./{Path(C.ES_INDEX_TEMPLATE_PATH).parent}"
    assert fluentd[C.FLUENTD_BUFFER_MOUNT] in COMPOSE["volumes"]
    assert SERVICES["fluentd"]["build"]["context"] == f"./{Path(C.FLUENTD_DOCKERFILE_PATH).parent}"
    assert _mounts("loki")[C.LOKI_DATA_MOUNT] in COMPOSE["volumes"]
    assert f"./{C.LOKI_CONFIG_PATH}" in _mounts("loki").values()
    demo_env = SERVICES["demo-1"]["environment"]
    assert (demo_env[C.ENV_FLUENTD_HOST], int(demo_env[C.ENV_FLUENTD_PORT])) == (
        "fluentd",
        C.FLUENTD_FORWARD_PORT,
    )


def test_every_mounted_repository_path_exists() -> None:
    missing = [
        f"{name}: {source}"
        for name in SERVICES
        for source in _mounts(name).values()
        if source.startswith("./") and not (REPO / source).exists()
    ]
    assert not missing, "mounted but not in the repository (run `obsgen generate`?): " + ", ".join(missing)


def test_the_fault_schedule_targets_every_demo_replica(example_catalog: Catalog) -> None:
    (demo,) = [s for s in example_catalog.services if s.name == C.DEFAULT_SERVICE_NAME]
    targets = SERVICES["fault-schedule"]["environment"]["FAULT_TARGETS"].split(",")
    assert sorted(targets) == sorted(f"http://{t}" for t in demo.targets)


# --- No setup step -------------------------------------------------------------------------


def _one_shot(name: str) -> bool:
    return SERVICES[name].get("restart") == "no"


def _init_script() -> str:
    """grafana-init's shell script as compose hands it to the container (``$$`` -> ``$``)."""
    service = SERVICES["grafana-init"]
    assert service["entrypoint"] == ["/bin/sh", "-c"]
    (script,) = service["command"]
    return str(script).replace("$$", "$")


def _password_file() -> str:
    return str(SERVICES["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"])


def test_grafanas_admin_password_is_read_from_a_file_made_by_a_one_shot_init() -> None:
    grafana = SERVICES["grafana"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana["environment"]  # no default, no variable
    password_file = _password_file()
    volume_dir = password_file.rpartition("/")[0]
    init_mounts, grafana_mounts = _mounts("grafana-init"), _mounts("grafana")
    assert init_mounts[volume_dir] == grafana_mounts[volume_dir] in COMPOSE["volumes"]
    assert password_file in _init_script()
    assert _one_shot("grafana-init")
    assert grafana["depends_on"]["grafana-init"] == {"condition": "service_completed_successfully"}
    # Grafana's own image and user: the file is Grafana's, no root needed.
    assert SERVICES["grafana-init"]["image"] == grafana["image"] and "user" not in SERVICES["grafana-init"]


def _run_init(folder: Path, default_dir: str) -> subprocess.CompletedProcess[str]:
    script = _init_script().replace(default_dir, str(folder))
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30, check=False)


def test_the_init_makes_a_random_private_password_once_and_keeps_it(tmp_path: Path) -> None:
    password_file = _password_file()
    default_dir, _, name = password_file.rpartition("/")
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        result = _run_init(folder, default_dir)
        assert result.returncode == 0, result.stderr
    password = (first / name).read_text()
    assert re.fullmatch(r"[A-Za-z0-9]{32}", password)  # 190 bits
    assert (second / name).read_text() != password  # random, not a default
    assert (first / name).stat().st_mode & 0o777 == 0o600
    assert _run_init(first, default_dir).returncode == 0
    assert (first / name).read_text() == password  # a restart keeps the password Grafana was set up with
    assert not list(first.glob("*.new"))


def test_dashboards_open_without_login_read_only_on_loopback() -> None:
    env = SERVICES["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert all(port.startswith("127.0.0.1:") for port in SERVICES["grafana"]["ports"])


def test_the_elk_profile_installs_the_generated_ilm_policy() -> None:
    init = SERVICES["elasticsearch-init"]
    assert init["profiles"] == ["elk"] and _one_shot("elasticsearch-init")
    assert init["depends_on"] == {"elasticsearch": {"condition": "service_healthy"}}
    args = [init["entrypoint"][0], *init["command"]]
    assert args[0] == "curl" and "--fail" in args  # exit non-zero on an HTTP error
    assert args[args.index("-X") + 1] == "PUT"
    assert args[-1] == f"http://elasticsearch:9200/_ilm/policy/{C.ES_ILM_POLICY_NAME}"
    data = args[args.index("--data-binary") + 1].removeprefix("@")
    mount, _, file = data.rpartition("/")
    assert _mounts("elasticsearch-init")[mount] == f"./{Path(C.ES_ILM_POLICY_PATH).parent}"
    assert file == Path(C.ES_ILM_POLICY_PATH).name and (REPO / C.ES_ILM_POLICY_PATH).exists()
    template = json.loads((REPO / C.ES_INDEX_TEMPLATE_PATH).read_text())
    assert template["template"]["settings"]["index"]["lifecycle"]["name"] == C.ES_ILM_POLICY_NAME


def test_prometheus_keeps_at_least_the_slo_period_the_budget_panels_show(example_catalog: Catalog) -> None:
    (flag,) = [a for a in SERVICES["prometheus"]["command"] if a.startswith("--storage.tsdb.retention.time=")]
    retention = durations.parse(flag.partition("=")[2])
    assert retention >= example_catalog.slo_period, (retention, example_catalog.slo_period)


# --- House rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_is_pinned_healthchecked_and_waits_for_healthy_dependencies(name: str) -> None:
    service = SERVICES[name]
    image = service["image"]
    tag = image.rpartition(":")[2]
    assert "/" not in tag and tag != "latest" and re.search(r"\d", tag), f"{name}: unpinned image {image}"
    if not _one_shot(name):  # a one-shot init runs to completion instead of being healthy
        assert service["healthcheck"]["test"], f"{name}: no healthcheck"
    for dependency, how in service.get("depends_on", {}).items():
        assert dependency in SERVICES
        wanted = "service_completed_successfully" if _one_shot(dependency) else "service_healthy"
        assert how == {"condition": wanted}, f"{name} -> {dependency}"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_published_ports_bind_loopback_only(name: str) -> None:
    for port in SERVICES[name].get("ports", []):
        assert port.startswith("127.0.0.1:"), f"{name}: {port}"


def test_state_lives_in_named_volumes_that_are_declared() -> None:
    named = {
        source for name in SERVICES for source in _mounts(name).values() if not source.startswith(("./", "/"))
    }
    assert named == set(COMPOSE["volumes"])


def test_containers_of_the_demo_image_run_as_non_root_with_a_read_only_root() -> None:
    demo_image = [s for s in SERVICES.values() if s["image"] == DEMO_IMAGE]
    assert len(demo_image) >= 5  # two replicas, loadgen, fault schedule, webhook
    for service in demo_image:
        assert service["user"] == "10001:10001"
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]


def test_heavy_elk_services_only_run_in_their_profile() -> None:
    profiled = {name for name, service in SERVICES.items() if "profiles" in service}
    assert profiled == {"elasticsearch", "kibana", "elasticsearch-init"}
    assert all(SERVICES[name]["profiles"] == ["elk"] for name in profiled)
