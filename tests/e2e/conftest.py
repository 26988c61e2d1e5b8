"""Fixtures of the end-to-end suite: real Prometheus, Alertmanager, node_exporter and HAProxy on loopback.

``stack`` (one per package run) generates tests/catalogs/e2e.yaml with the real
CLI, rewrites only the addresses in the generated prometheus.yml and
alertmanager.yml, and starts two demo instances, node_exporter, a webhook,
Alertmanager, Prometheus and the demo's load generator.  ``balanced_pair``
(one per module) puts HAProxy in front of two other demo instances.

Teardown always kills every process; a failing test shows the tail of each
process's logs in its report (section "e2e process logs").
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from obsgen import conventions as C
from obsgen.catalog import load_catalog_file
from obsgen.model import Catalog
from tests.conftest import IN_CI, REPO
from tests.instrument_helpers import free_port, wait_for

from .harness import (
    LOOPBACK,
    START_SECONDS,
    DemoInstance,
    Process,
    Webhook,
    http_status,
)

CATALOG_FILE = REPO / "tests" / "catalogs" / "e2e.yaml"
#: Binary -> Debian package that ships it (installed by .ci/run).
BINARIES = {
    "prometheus": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "haproxy": "haproxy",
}
#: Steady traffic of the stack (requests per second over both instances).  /model is left out so that
#: ERROR_RATE=1 is a total outage of every request the SLO counts.
STACK_RPS = 20
STACK_MIX = "predict=9,predict_get=1"
#: Alertmanager sends a resolved notification at the group's next group_interval tick: 5 minutes as
#: generated for pages, which alone would take the suite past its budget.  The suite shortens it to
#: this (everything else in alertmanager.yml runs as generated).  Set OBSGEN_E2E_KEEP_GROUP_INTERVAL=1
#: to run with the generated value (the resolve bound grows with it).
E2E_GROUP_INTERVAL = "5s"
KEEP_GROUP_INTERVAL_ENV = "OBSGEN_E2E_KEEP_GROUP_INTERVAL"


def require_binaries() -> dict[str, str]:
    """Paths of the real components; skip (outside CI) or fail (in CI) naming the apt packages missing."""
    found = {name: shutil.which(name) for name in BINARIES}
    missing = sorted(BINARIES[name] for name, path in found.items() if path is None)
    if missing:
        message = (
            f"end-to-end tests need {', '.join(missing)}: "
            f"apt-get install -y --no-install-recommends {' '.join(missing)}"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {name: str(path) for name, path in found.items()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and Process.started:
        report.sections.append(("e2e process logs", "\n".join(p.log_tail() for p in Process.started)))


def print_logs(processes: list[Process]) -> None:
    """Show the logs of a stack that failed to start or died (pytest prints captured output on failure)."""
    for process in processes:
        print(process.log_tail())


def stop_all(processes: list[Process]) -> None:
    """Kill ``processes`` (last started first) and forget them."""
    for process in reversed(processes):
        process.stop()
        if process in Process.started:
            Process.started.remove(process)


# --- The monitoring stack ---------------------------------------------------------------------------


@dataclass
class Stack:
    """The running stack, and what the tests need to know about it."""

    catalog: Catalog
    out: Path
    demos: list[DemoInstance]
    prometheus_url: str
    alertmanager_url: str | None
    webhook: Webhook
    #: Generated config as loaded and as rewritten (None when that part generated nothing).
    prometheus_config: dict[str, Any]
    alertmanager_config: dict[str, Any] | None
    started: float  # time.monotonic() when the load began

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; the result vector (or a one-element list for a scalar); fails on a PromQL error."""
        response = httpx.get(f"{self.prometheus_url}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body.get("status") == "success", f"query failed: {expr}\n{body}"
        data = body["data"]
        if data["resultType"] in ("scalar", "string"):
            return [{"value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def rule_files(self) -> list[Path]:
        return sorted((self.out / C.ALERTS_DIR).glob(C.ALERT_RULES_GLOB))


def generate(out: Path) -> None:
    """``obsgen generate tests/catalogs/e2e.yaml --out OUT``, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "obsgen", "generate", str(CATALOG_FILE), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, f"obsgen generate failed:\n{done.stdout}\n{done.stderr}"


def rewrite_prometheus(
    config: dict[str, Any], addresses: dict[str, str], rule_glob: str | None, alertmanager: str | None
) -> dict[str, Any]:
    """The generated prometheus.yml with only addresses changed: targets, rule files, Alertmanager.

    ``addresses`` maps each generated ``host:port`` (or bare host) to a loopback address.  A target
    nobody runs here is dropped (it would only be down).  Without an ``alertmanager`` address the
    alerting section goes: Prometheus would log a failed send for every alert.
    """

    def loopback(target: str) -> str | None:
        return addresses.get(target) or addresses.get(target.rsplit(":", 1)[0])

    for job in config.get("scrape_configs") or []:
        for static in job.get("static_configs") or []:
            static["targets"] = [t for t in (loopback(t) for t in static.get("targets", [])) if t]
    if rule_glob is not None:
        config["rule_files"] = [rule_glob]
    else:
        config.pop("rule_files", None)
    if alertmanager is None:
        config.pop("alerting", None)
    for am in (config.get("alerting") or {}).get("alertmanagers") or []:
        for static in am.get("static_configs") or []:
            static["targets"] = [t for t in (loopback(t) for t in static.get("targets", [])) if t]
    return config


#: Keys of Alertmanager receiver integrations that carry the URL they post to.
_RECEIVER_URL_KEYS = {"webhook_configs": "url", "slack_configs": "api_url", "pagerduty_configs": "url"}


def rewrite_alertmanager(config: dict[str, Any], webhook: str, group_interval: str | None) -> dict[str, Any]:
    """The generated alertmanager.yml with every receiver posting to the test's webhook.

    URLs become ``WEBHOOK/<receiver>/<integration>`` (``*_file`` variants of a URL are dropped in
    favour of it, secrets read from files become a dummy), and every receiver also gets a plain
    webhook (``WEBHOOK/<receiver>/webhook``) so the test can read the labels of what was routed to
    it.  Routes, matchers, grouping, inhibition and group_wait stay as generated; ``group_interval``,
    when given, replaces every group_interval of the route tree (see E2E_GROUP_INTERVAL).
    """
    if group_interval is not None:

        def retime(route: dict[str, Any]) -> None:
            if "group_interval" in route:
                route["group_interval"] = group_interval
            for child in route.get("routes") or []:
                retime(child)

        config.setdefault("route", {})["group_interval"] = group_interval
        retime(config["route"])
    glob = config.get("global") or {}
    for key in ("slack_api_url", "slack_api_url_file", "pagerduty_url"):
        glob.pop(key, None)
    for receiver in config.get("receivers") or []:
        name = receiver["name"]
        for key, url_key in _RECEIVER_URL_KEYS.items():
            for integration in receiver.get(key) or []:
                integration.pop(f"{url_key}_file", None)
                integration[url_key] = f"{webhook}/{name}/{key.removesuffix('_configs')}"
                if key == "pagerduty_configs":
                    for secret in ("routing_key_file", "service_key_file"):
                        if integration.pop(secret, None) is not None:
                            integration[secret.removesuffix("_file")] = "e2e-test-key"
                    if "routing_key" not in integration and "service_key" not in integration:
                        integration["routing_key"] = "e2e-test-key"
        hooks = receiver.setdefault("webhook_configs", [])
        mine = f"{webhook}/{name}/webhook"
        if not any(h.get("url") == mine for h in hooks):
            hooks.append({"url": mine, "send_resolved": True})
    return config


def wait_targets_up(prometheus_url: str, jobs: set[str], timeout: float) -> None:
    def all_up() -> bool:
        try:
            targets = httpx.get(f"{prometheus_url}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
        except (httpx.HTTPError, KeyError, ValueError):
            return False
        up = {t["labels"].get("job") for t in targets if t.get("health") == "up"}
        return jobs <= up

    wait_for(all_up, f"Prometheus to scrape jobs {sorted(jobs)} successfully", timeout, every=0.25)


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The demo, node_exporter, Alertmanager and Prometheus, configured by what obsgen generates."""
    binaries = require_binaries()
    root = tmp_path_factory.mktemp("e2e-stack")
    out, logs = root / "generated", root / "logs"
    logs.mkdir()
    generate(out)
    catalog = load_catalog_file(str(CATALOG_FILE))
    (service,) = catalog.services
    node = next(r for r in catalog.resources if r.kind == "node")

    processes: list[Process] = []
    webhook = Webhook()
    try:
        demos = [DemoInstance(f"demo-{i}", logs) for i in (1, 2)]
        for demo in demos:
            processes.append(demo.start())
        node_port = free_port()
        processes.append(
            Process(
                "node_exporter",
                [
                    binaries["prometheus-node-exporter"],
                    "--no-collector.systemd",
                    f"--web.listen-address={LOOPBACK}:{node_port}",
                ],
                logs,
            ).start()
        )

        am_config_path = out / C.ALERTMANAGER_CONFIG_PATH
        alertmanager_url: str | None = None
        am_config: dict[str, Any] | None = None
        am_address: str | None = None
        if am_config_path.exists():
            am_port = free_port()
            am_address = f"{LOOPBACK}:{am_port}"
            alertmanager_url = f"http://{am_address}"
            am_config = rewrite_alertmanager(
                yaml.safe_load(am_config_path.read_text()),
                webhook.url,
                None if os.environ.get(KEEP_GROUP_INTERVAL_ENV) else E2E_GROUP_INTERVAL,
            )
            (root / "alertmanager.yml").write_text(yaml.safe_dump(am_config, sort_keys=False))
            (root / "alertmanager-data").mkdir()
            processes.append(
                Process(
                    "alertmanager",
                    [
                        binaries["prometheus-alertmanager"],
                        f"--config.file={root / 'alertmanager.yml'}",
                        f"--storage.path={root / 'alertmanager-data'}",
                        f"--web.listen-address={am_address}",
                        "--cluster.listen-address=",
                    ],
                    logs,
                ).start()
            )

        prom_port = free_port()
        prometheus_url = f"http://{LOOPBACK}:{prom_port}"
        addresses = {
            **{
                target: f"{LOOPBACK}:{demo.port}" for target, demo in zip(service.targets, demos, strict=True)
            },
            **{target: f"{LOOPBACK}:{node_port}" for target in node.targets},
            "localhost:9090": f"{LOOPBACK}:{prom_port}",
            C.PROMETHEUS_HOST: f"{LOOPBACK}:{prom_port}",
        }
        if am_address is not None:
            addresses[C.ALERTMANAGER_HOST] = am_address
        rules = sorted((out / C.ALERTS_DIR).glob(C.ALERT_RULES_GLOB))
        prom_config = rewrite_prometheus(
            yaml.safe_load((out / C.PROMETHEUS_CONFIG_PATH).read_text()),
            addresses,
            str(out / C.ALERTS_DIR / C.ALERT_RULES_GLOB) if rules else None,
            am_address,
        )
        (root / "prometheus.yml").write_text(yaml.safe_dump(prom_config, sort_keys=False))
        processes.append(
            Process(
                "prometheus",
                [
                    binaries["prometheus"],
                    f"--config.file={root / 'prometheus.yml'}",
                    f"--storage.tsdb.path={root / 'prometheus-data'}",
                    f"--web.listen-address={LOOPBACK}:{prom_port}",
                    "--web.enable-lifecycle",
                    "--rules.alert.resend-delay=1s",
                ],
                logs,
            ).start()
        )

        for demo in demos:
            demo.wait_ready()
        processes.append(
            Process(
                "loadgen",
                [
                    sys.executable,
                    "-m",
                    "obsgen.demo.loadgen",
                    *(a for d in demos for a in ("--url", d.url)),
                    "--rps",
                    str(STACK_RPS),
                    "--duration",
                    "3600",
                    "--connections",
                    "4",
                    "--mix",
                    STACK_MIX,
                    "--seed",
                    "8",
                ],
                logs,
            ).start()
        )
        started = time.monotonic()

        for p in processes:
            p.assert_running()
        wait_for(
            lambda: http_status(f"{prometheus_url}/-/ready") == 200, "Prometheus to be ready", START_SECONDS
        )
        if alertmanager_url is not None:
            wait_for(
                lambda: http_status(f"{alertmanager_url}/-/ready") == 200,
                "Alertmanager to be ready",
                START_SECONDS,
            )
        wait_targets_up(prometheus_url, {service.job, node.job}, START_SECONDS)

        yield Stack(
            catalog=catalog,
            out=out,
            demos=demos,
            prometheus_url=prometheus_url,
            alertmanager_url=alertmanager_url,
            webhook=webhook,
            prometheus_config=prom_config,
            alertmanager_config=am_config,
            started=started,
        )
        for p in processes:
            p.assert_running()
    except Exception:
        print_logs(processes)
        raise
    finally:
        stop_all(processes)
        webhook.close()


# --- HAProxy in front of two demo instances -----------------------------------------------------------

#: The demo stack's load balancer, used as shipped: addresses come from its environment variables.
HAPROXY_CONFIG = REPO / "stack" / "haproxy" / "haproxy.cfg"
COMPOSE_FILE = REPO / "docker-compose.yml"
#: The backend and servers of HAProxy's config that the demo instances stand in for.
HAPROXY_BACKEND = "demo"
HAPROXY_SERVERS = ("demo-1", "demo-2")


@dataclass
class BalancedPair:
    """Two demo instances behind HAProxy, keyed by HAProxy's server names."""

    servers: dict[str, DemoInstance]
    haproxy: Process
    port: int
    stats_url: str

    @property
    def demos(self) -> list[DemoInstance]:
        return list(self.servers.values())

    def _server_rows(self) -> dict[str, dict[str, str]]:
        text = httpx.get(self.stats_url + ";csv", timeout=2).text
        lines = text.splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            r["svname"]: r
            for r in rows
            if r.get("pxname") == HAPROXY_BACKEND and r.get("svname") in self.servers
        }

    def server_status(self) -> dict[str, str]:
        """HAProxy's view of each server: ``{"demo-1": "UP", ...}``."""
        return {name: row["status"] for name, row in self._server_rows().items()}

    def served_by(self) -> dict[str, int]:
        """Requests each server got from HAProxy so far (its ``stot``)."""
        return {name: int(row["stot"] or 0) for name, row in self._server_rows().items()}

    def wait_up(self, server: str, timeout: float = START_SECONDS) -> None:
        wait_for(
            # "UP 1/2" is a server going down: only a plain UP counts.
            lambda: self.server_status().get(server) == "UP",
            f"HAProxy to see {server} UP (now {self.server_status()})",
            timeout,
            every=0.05,
        )

    def restart(self, server: str, sig: signal.Signals) -> int:
        """Stop the instance behind ``server`` with ``sig``, wait for its exit, start it again.

        Returns its exit code once HAProxy sends it traffic again.
        """
        demo = self.servers[server]
        demo.signal(sig)
        code = demo.wait_exit(START_SECONDS)
        demo.start()
        demo.wait_ready()
        self.wait_up(server)
        return code


def compose_shutdown_env() -> dict[str, str]:
    """SHUTDOWN_DELAY_SECONDS and SHUTDOWN_GRACE_SECONDS of the demo replicas in docker-compose.yml.

    The delay only works together with HAProxy's check interval and fall count: testing the pair
    as shipped is the point.
    """
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    env = compose["services"][HAPROXY_SERVERS[0]]["environment"]
    return {name: str(env[name]) for name in (C.ENV_SHUTDOWN_DELAY, C.ENV_SHUTDOWN_GRACE)}


@pytest.fixture(scope="module")
def balanced_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BalancedPair]:
    """Two demo instances behind a real HAProxy running stack/haproxy/haproxy.cfg as shipped.

    A second config file adds only a stats page on loopback, for the test to see what HAProxy sees.
    """
    binaries = require_binaries()
    assert HAPROXY_CONFIG.exists(), f"{HAPROXY_CONFIG} is missing"
    root = tmp_path_factory.mktemp("e2e-haproxy")
    processes: list[Process] = []
    try:
        servers = {
            name: DemoInstance(f"lb-{name}", root, **compose_shutdown_env()) for name in HAPROXY_SERVERS
        }
        for demo in servers.values():
            processes.append(demo.start())
        port, stats_port = free_port(), free_port()
        stats = root / "stats.cfg"
        stats.write_text(
            f"frontend e2e-stats\n    bind {LOOPBACK}:{stats_port}\n    no log\n"
            "    stats enable\n    stats uri /stats\n"
        )
        env = {
            **os.environ,
            "LB_BIND": f"{LOOPBACK}:{port}",
            **{f"DEMO_{i}_ADDR": f"{LOOPBACK}:{d.port}" for i, d in enumerate(servers.values(), 1)},
        }
        argv = [binaries["haproxy"], "-f", str(HAPROXY_CONFIG), "-f", str(stats)]
        check = subprocess.run([*argv, "-c"], capture_output=True, text=True, env=env)
        assert check.returncode == 0, f"haproxy -c rejected the config:\n{check.stdout}{check.stderr}"
        haproxy = Process("haproxy", [*argv, "-db"], root, env).start()
        processes.append(haproxy)
        pair = BalancedPair(servers, haproxy, port, f"http://{LOOPBACK}:{stats_port}/stats")
        wait_for(lambda: http_status(pair.stats_url) == 200, "HAProxy's stats page", START_SECONDS)
        for name, demo in servers.items():
            demo.wait_ready()
            pair.wait_up(name)
        yield pair
    except Exception:
        print_logs(processes)
        raise
    finally:
        stop_all(processes)
