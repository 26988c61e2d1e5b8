"""k8s/: the talk's deployment practices in the generated manifests, checked by real validators.

Core resources go through kubernetes-validate (strict: unknown fields are
errors) against a pinned Kubernetes version; ServiceMonitors through the
Prometheus Operator's CRD schema.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from obsgen import conventions as C
from obsgen.generate import kubernetes as k8s
from obsgen.generate.artifacts import serialise
from obsgen.model import Catalog
from tests.conftest import REPO, catalog_from, schema_path

#: The oldest Kubernetes release still supported upstream when this was written (1.31, Aug 2024).
KUBERNETES_VERSION = "1.31.0"

Doc = dict[str, Any]


def _plan(catalog: Catalog) -> dict[str, list[Doc]]:
    """The Kubernetes generator's files for ``catalog``, serialised as the pipeline does, parsed."""
    return {
        path: [doc for doc in yaml.safe_load_all(serialise(artifact)) if doc is not None]
        for path, artifact in k8s.generate(catalog).items()
    }


def _docs(catalog: Catalog, kind: str, namespace: str | None = None) -> list[Doc]:
    found = [
        doc
        for docs in _plan(catalog).values()
        for doc in docs
        if doc["kind"] == kind and (namespace is None or doc["metadata"].get("namespace") == namespace)
    ]
    assert found, f"no {kind} generated"
    return found


def _one(catalog: Catalog, kind: str, namespace: str) -> Doc:
    (doc,) = _docs(catalog, kind, namespace)
    return doc


def _container(deployment: Doc) -> Doc:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


# --- Validators --------------------------------------------------------------------


def _core_documents() -> list[tuple[str, Doc]]:
    out = []
    for path in sorted((REPO / C.K8S_DIR).rglob("*.yaml")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith((C.K8S_SERVICEMONITORS_DIR, f"{C.K8S_DIR}/prometheusrules", C.K8S_DASHBOARDS_DIR)):
            continue
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc is not None:
                out.append((f"{rel}#{i}:{doc['kind']}", doc))
    return out


CORE_DOCUMENTS = _core_documents()


def test_every_core_kind_the_talk_asks_for_is_committed() -> None:
    kinds = {doc["kind"] for _, doc in CORE_DOCUMENTS}
    assert kinds >= {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "PriorityClass",
    }


@pytest.mark.parametrize(("where", "doc"), CORE_DOCUMENTS, ids=[w for w, _ in CORE_DOCUMENTS])
def test_kubernetes_validate_strict_accepts_the_committed_manifest(where: str, doc: Doc) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("mistake", "break_it"),
    [
        ("a misspelt probe field", lambda c: c.__setitem__("readinesProbe", c.pop("readinessProbe"))),
        (
            "a probe port that is neither a name nor a number",
            lambda c: c["livenessProbe"]["httpGet"].__setitem__("port", ["http"]),
        ),
    ],
)
def test_kubernetes_validate_strict_rejects_a_broken_deployment(mistake: str, break_it: Any) -> None:
    deployment = copy.deepcopy(next(doc for _, doc in CORE_DOCUMENTS if doc["kind"] == "Deployment"))
    break_it(_container(deployment))
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def _strict(schema: Any) -> Any:
    """Close every object schema that does not declare itself open (the CRD's own convention)."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in schema
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@pytest.fixture(scope="module")
def servicemonitor_spec_schema() -> Any:
    crd = yaml.safe_load(schema_path("crd-servicemonitors.yaml").read_text())
    return _strict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"])


def test_committed_servicemonitors_match_the_operator_crd(servicemonitor_spec_schema: Any) -> None:
    paths = sorted((REPO / C.K8S_SERVICEMONITORS_DIR).glob("*.yaml"))
    assert paths
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is None:
                continue
            assert (doc["apiVersion"], doc["kind"]) == ("monitoring.coreos.com/v1", "ServiceMonitor")
            jsonschema.validate(doc["spec"], servicemonitor_spec_schema)


def test_the_crd_schema_rejects_a_misspelt_servicemonitor_field(servicemonitor_spec_schema: Any) -> None:
    doc = yaml.safe_load_all((REPO / C.k8s_servicemonitor_path("demo")).read_text())
    spec = copy.deepcopy(next(d for d in doc if d is not None)["spec"])
    spec["endpoints"][0]["intervall"] = spec["endpoints"][0].pop("interval")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(spec, servicemonitor_spec_schema)


# --- The talk's practices -------------------------------------------------------------

CATALOG = """
    apiVersion: obsgen/v1
    environments:
      prod: {log_level: warning}
      qa: {log_level: debug}
    teams: {t: {}}
    services:
      pay:
        team: t
        job: payments
        slos: {availability: {kind: availability, objective: 99.9}}
        targets: ["pay-1:9000", "pay-2:9000", "pay-3:9000"]
        deploy:
          image: registry.example.com/pay:1.4.2
          port: 9000
          probes: {liveness: /actuator/health/liveness, readiness: /actuator/health/readiness}
          resources: {cpu: "2", memory: 1Gi}
          prestop_delay: 10s
      cart:
        team: t
        job: cart
        slos: {availability: {kind: availability, objective: 99}}
        deploy: {image: cart:2}
      edge:
        team: t
        job: edge-proxy
        slos: {availability: {kind: availability, objective: 99}}
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return catalog_from(CATALOG)


def test_one_folder_and_namespace_per_catalog_environment(catalog: Catalog) -> None:
    paths = set(k8s.generate(catalog))
    for env in ("prod", "qa"):
        assert {f"k8s/{env}/namespace.yaml", f"k8s/{env}/pay.yaml", f"k8s/{env}/cart.yaml"} <= paths
        for doc in _plan(catalog)[f"k8s/{env}/pay.yaml"]:
            assert doc["metadata"]["namespace"] == env


@pytest.mark.parametrize(("env", "level"), [("prod", "warning"), ("qa", "debug")])
def test_log_level_is_the_catalog_environments(catalog: Catalog, env: str, level: str) -> None:
    configs = {doc["metadata"]["name"]: doc["data"] for doc in _docs(catalog, "ConfigMap", env)}
    assert configs["pay-config"][C.ENV_LOG_LEVEL] == level
    assert configs["pay-config"][C.ENV_ENVIRONMENT] == env


def test_the_pods_read_the_configmap_and_roll_when_it_changes(catalog: Catalog) -> None:
    checksums = set()
    for env in ("prod", "qa"):
        deployment = next(d for d in _docs(catalog, "Deployment", env) if d["metadata"]["name"] == "pay")
        refs = [next(iter(ref.values()))["name"] for ref in _container(deployment)["envFrom"]]
        assert refs == ["pay-config", "pay-secrets"]
        checksums.add(deployment["spec"]["template"]["metadata"]["annotations"]["obsgen.dev/config-checksum"])
    assert len(checksums) == 2, "a different LOG_LEVEL must give a different pod template"


def test_no_secret_is_generated_so_applying_an_environment_never_blanks_one(catalog: Catalog) -> None:
    kinds = {doc["kind"] for docs in _plan(catalog).values() for doc in docs}
    assert "Secret" not in kinds
    for deployment in _docs(catalog, "Deployment"):
        (secret_ref,) = [ref["secretRef"] for ref in _container(deployment)["envFrom"] if "secretRef" in ref]
        assert secret_ref["optional"] is True, "the pod must start before anyone creates the Secret"


def test_the_workload_comes_from_the_services_deploy_block_or_defaults(catalog: Catalog) -> None:
    deployments = {d["metadata"]["name"]: d for d in _docs(catalog, "Deployment", "prod")}
    pay, cart = _container(deployments["pay"]), _container(deployments["cart"])
    assert (pay["image"], cart["image"]) == ("registry.example.com/pay:1.4.2", "cart:2")
    assert pay["ports"][0]["containerPort"] == 9000
    assert cart["ports"][0]["containerPort"] == C.DEFAULT_PORT
    assert pay["livenessProbe"]["httpGet"]["path"] == "/actuator/health/liveness"
    assert pay["readinessProbe"]["httpGet"]["path"] == "/actuator/health/readiness"
    assert cart["livenessProbe"]["httpGet"]["path"] == C.LIVENESS_PATH
    assert pay["resources"]["limits"] == pay["resources"]["requests"] == {"cpu": "2", "memory": "1Gi"}
    assert cart["resources"]["limits"] == {"cpu": C.DEFAULT_CPU, "memory": C.DEFAULT_MEMORY}
    assert pay["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "10"]
    grace = deployments["pay"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    config = next(c for c in _docs(catalog, "ConfigMap", "prod") if c["metadata"]["name"] == "pay-config")
    assert grace == 10 + int(config["data"][C.ENV_SHUTDOWN_GRACE])
    for _, doc in ((p, d) for p, docs in _plan(catalog).items() for d in docs):
        if doc["kind"] not in ("ServiceMonitor",):
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_a_service_without_a_deploy_block_gets_no_workload_only_a_servicemonitor(catalog: Catalog) -> None:
    plan = _plan(catalog)
    assert not any(
        path.endswith("/edge.yaml") for path in plan if not path.startswith(C.K8S_SERVICEMONITORS_DIR)
    )
    for env in ("prod", "qa"):
        names = {
            d["metadata"]["name"]
            for kind in ("Deployment", "Service", "ConfigMap")
            for d in _docs(catalog, kind, env)
        }
        assert not any(name.startswith("edge") for name in names)
    monitors = [m for m in _docs(catalog, "ServiceMonitor") if m["metadata"]["name"] == "edge"]
    assert len(monitors) == 2
    for monitor in monitors:
        spec = monitor["spec"]
        # Not obsgen's Service: no job label to read; the job is set by relabelling.
        assert "jobLabel" not in spec
        assert spec["selector"] == {"matchLabels": {C.K8S_NAME_LABEL: "edge"}}
        assert spec["endpoints"][0]["relabelings"] == [
            {"action": "replace", "targetLabel": "job", "replacement": "edge-proxy"}
        ]


def test_servicemonitors_of_undeployed_services_match_the_operator_crd(
    catalog: Catalog, servicemonitor_spec_schema: Any
) -> None:
    for monitor in _docs(catalog, "ServiceMonitor"):
        jsonschema.validate(monitor["spec"], servicemonitor_spec_schema)


def test_a_catalog_without_deployed_services_has_no_priority_class() -> None:
    catalog = catalog_from("""
        apiVersion: obsgen/v1
        teams: {t: {}}
        services: {edge: {team: t}}
    """)
    assert C.K8S_PRIORITY_CLASS_PATH not in k8s.generate(catalog)
    assert C.k8s_servicemonitor_path("edge") in k8s.generate(catalog)


def test_replicas_are_at_least_two_and_cover_the_targets(catalog: Catalog) -> None:
    deployments = {d["metadata"]["name"]: d for d in _docs(catalog, "Deployment", "prod")}
    assert deployments["pay"]["spec"]["replicas"] == 3
    assert deployments["cart"]["spec"]["replicas"] == 2


def test_probes_are_http_gets_on_the_conventional_paths_and_port(example_catalog: Catalog) -> None:
    container = _container(_one(example_catalog, "Deployment", "prod"))
    port_names = {p["name"] for p in container["ports"]}
    for probe, path in (("livenessProbe", C.LIVENESS_PATH), ("readinessProbe", C.READINESS_PATH)):
        assert container[probe]["httpGet"]["path"] == path
        assert container[probe]["httpGet"]["port"] in port_names
        assert container[probe]["timeoutSeconds"] < container[probe]["periodSeconds"]
    # Readiness reacts faster than liveness restarts: a busy pod is taken out, not killed.
    live, ready = k8s.POD_POLICY.liveness, k8s.POD_POLICY.readiness
    assert ready.detection_seconds < live.detection_seconds


def test_grace_period_covers_the_prestop_hook_and_the_apps_own_shutdown(example_catalog: Catalog) -> None:
    deployment = _one(example_catalog, "Deployment", "prod")
    config = _one(example_catalog, "ConfigMap", "prod")["data"]
    pod = deployment["spec"]["template"]["spec"]
    sleep = _container(deployment)["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    assert int(sleep[1]) == int(config[C.ENV_SHUTDOWN_DELAY])
    assert pod["terminationGracePeriodSeconds"] == int(sleep[1]) + int(config[C.ENV_SHUTDOWN_GRACE])
    assert int(config[C.ENV_SHUTDOWN_GRACE]) > int(config[C.ENV_SHUTDOWN_DELAY])


def test_a_policy_that_leaves_no_time_to_drain_is_refused() -> None:
    with pytest.raises(ValueError, match="no time to drain"):
        k8s.PodPolicy(termination_grace_seconds=10, prestop_sleep_seconds=5, shutdown_delay_seconds=5)


def test_rolling_update_never_lowers_capacity(example_catalog: Catalog) -> None:
    strategy = _one(example_catalog, "Deployment", "prod")["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}


def test_guaranteed_qos_requests_equal_limits_for_every_container(example_catalog: Catalog) -> None:
    for deployment in _docs(example_catalog, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            resources = container["resources"]
            assert set(resources["limits"]) == {"cpu", "memory"}
            assert resources["requests"] == resources["limits"]


def test_pods_use_the_generated_priority_class(example_catalog: Catalog) -> None:
    (priority_class,) = _docs(example_catalog, "PriorityClass")
    for deployment in _docs(example_catalog, "Deployment"):
        assert (
            deployment["spec"]["template"]["spec"]["priorityClassName"] == priority_class["metadata"]["name"]
        )
    assert priority_class["globalDefault"] is False


def test_pods_spread_across_nodes_and_zones(example_catalog: Catalog) -> None:
    deployment = _one(example_catalog, "Deployment", "prod")
    terms = deployment["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert {t["podAffinityTerm"]["topologyKey"] for t in terms} == {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    }
    for term in terms:
        assert term["podAffinityTerm"]["labelSelector"]["matchLabels"].items() <= pod_labels.items()


def test_selectors_of_deployment_service_and_pdb_match_the_pods(example_catalog: Catalog) -> None:
    deployment = _one(example_catalog, "Deployment", "prod")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert _one(example_catalog, "Service", "prod")["spec"]["selector"].items() <= pod_labels.items()
    pdb = _one(example_catalog, "PodDisruptionBudget", "prod")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["maxUnavailable"] == 1


def test_servicemonitors_scrape_each_service_with_the_catalogs_job(catalog: Catalog) -> None:
    for env in ("prod", "qa"):
        services = {s["metadata"]["name"]: s for s in _docs(catalog, "Service", env)}
        monitors = {m["metadata"]["name"]: m for m in _docs(catalog, "ServiceMonitor", env)}
        assert set(monitors) == set(services) | {"edge"} == {"pay", "cart", "edge"}
        for name, monitor in monitors.items():
            if name == "edge":
                continue
            service = services[name]
            spec = monitor["spec"]
            assert spec["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
            assert spec["namespaceSelector"] == {"matchNames": [env]}
            assert spec["endpoints"][0]["port"] in {p["name"] for p in service["spec"]["ports"]}
            assert spec["endpoints"][0]["path"] == C.METRICS_PATH
            # Series get job=<catalog job>, the label every alert and dashboard selects on.
            assert (
                service["metadata"]["labels"][spec["jobLabel"]] == {"pay": "payments", "cart": "cart"}[name]
            )


def test_the_template_is_valid_yaml_for_hostile_descriptions() -> None:
    catalog = catalog_from(
        """
        apiVersion: obsgen/v1
        environments: {prod: {}}
        teams: {t: {}}
        services:
          x:
            team: t
            job: x
            description: "quotes \\" and: colons # hashes\\nand a second line"
            slos: {availability: {kind: availability, objective: 99}}
            deploy: {image: "x:1"}
        """
    )
    docs = _plan(catalog)["k8s/prod/x.yaml"]
    assert [d["kind"] for d in docs] == [
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
    ]
