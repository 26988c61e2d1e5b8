"""Every probe of issue 17 as a case: hostile catalogs are refused with a located message, or made
safe; special files are refused before a byte is read; a bug exits 70 and says so."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from obsgen import cli
from obsgen import conventions as C
from obsgen.catalog import load_catalog, load_catalog_file
from obsgen.catalog.loader import MAX_BYTES
from obsgen.cli import starter_catalog
from obsgen.errors import EXIT_BUG, CatalogError
from obsgen.generate import generate
from obsgen.generate.logging import elasticsearch
from obsgen.policy import alerting as policy
from obsgen.policy import logging as log_policy
from tests.conftest import REPO, TEST_CATALOGS

BASE: dict[str, Any] = yaml.safe_load(starter_catalog())
Mutation = Callable[[dict[str, Any]], None]


def _set(*path: str | int, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for part in path[:-1]:
            node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
        node[path[-1]] = value

    return mutate


def _many_log_fields(doc: dict[str, Any]) -> None:
    for i in range(11):
        doc["services"][f"s{i}"] = {"team": "payments", "logs": {"fields": [f"f{i}_{j}" for j in range(100)]}}


def _refusal(doc: dict[str, Any] | str) -> list[str]:
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True)
    with pytest.raises(CatalogError) as info:
        load_catalog(text.encode(), "catalog.yaml")
    return [str(p) for p in info.value.problems]


#: (id, mutation of the starter catalog, expected message): each was accepted (or crashed) before.
REFUSED: list[tuple[str, Mutation, str]] = [
    (
        "job with a space",
        _set("services", "pay", "job", value="my job"),
        "services.pay.job: 'my job' becomes the Kubernetes label obsgen.dev/job",
    ),
    (
        "job with a slash",
        _set("services", "pay", "job", value="ns/job"),
        "services.pay.job: 'ns/job' becomes the Kubernetes label obsgen.dev/job",
    ),
    (
        "job over 63 characters",
        _set("services", "pay", "job", value="j" * 64),
        "services.pay.job: is longer than 63 characters",
    ),
    (
        "job with the old Grafana variable syntax",
        _set("services", "pay", "job", value="x[[instance]]"),
        "services.pay.job: 'x[[instance]]' becomes the Kubernetes label",
    ),
    (
        "resource job with the old Grafana variable syntax",
        _set("resources", "nodes", "job", value="x[[instance]]"),
        "resources.nodes.job: 'x[[instance]]' must not be empty or contain control characters, '$' or '[['",
    ),
    # error_codes: issue 12's rules (RE2, template markers, a status the source reports), probes of issue 17.
    (
        "error_codes with a Grafana variable",
        _set("services", "pay", "error_codes", value="5..|$code"),
        "services.pay.error_codes: '5..|$code' contains '$', which alert templates or Grafana would expand",
    ),
    (
        "error_codes with the old Grafana variable syntax",
        _set("services", "pay", "error_codes", value="5..|x[[instance]]"),
        "services.pay.error_codes: '5..|x[[instance]]' contains '[['",
    ),
    (
        "error_codes with a Go template action",
        _set("services", "pay", "error_codes", value='5..|{{ with query "up" }}{{ . }}{{ end }}'),
        "services.pay.error_codes: '5..|{{ with query \"up\" }}{{ . }}{{ end }}' contains '{{'",
    ),
    (
        "error_codes 5xx",
        _set("services", "pay", "error_codes", value="5xx"),
        "services.pay.error_codes: '5xx' matches no status the obsgen source reports",
    ),
    (
        "RE2 has no \\Z",
        _set("services", "pay", "error_codes", value="5..\\Z"),
        "is not a valid regex (RE2, as Prometheus reads it): invalid escape sequence",
    ),
    (
        "RE2 has no possessive quantifier",
        _set("services", "pay", "error_codes", value="5.++"),
        "is not a valid regex (RE2, as Prometheus reads it): bad repetition operator",
    ),
    (
        "RE2 has no atomic group",
        _set("services", "pay", "error_codes", value="(?>5..)"),
        "is not a valid regex (RE2, as Prometheus reads it): invalid perl operator",
    ),
    (
        "RE2 repeats at most 1000 times",
        _set("services", "pay", "error_codes", value="x{1001}"),
        "is not a valid regex (RE2, as Prometheus reads it): invalid repetition size",
    ),
    (
        "47-character service name",
        _set("services", "s" * 47, value={"team": "payments"}),
        f"services.{'s' * 47}: name '{'s' * 47}' makes 'obsgen-dashboard-{'s' * 47}' (the name label of its "
        "dashboard ConfigMap) longer than the 63 characters Kubernetes allows; use at most 46 characters",
    ),
    (
        "43-character resource name",
        _set("resources", "r" * 43, value={"kind": "node", "job": "node"}),
        "use at most 42 characters",
    ),
    (
        "escaped control character in a description",
        _set("services", "pay", "description", value="a\x1b[31mb"),
        "services.pay.description: contains the control character '\\x1b'",
    ),
    (
        "escaped C1 CSI in an SLO description",
        _set("services", "pay", "slos", "latency", "description", value="a\x9bb"),
        "services.pay.slos.latency.description: contains the control character '\\x9b'",
    ),
    (
        "line separator in a description",
        _set("services", "pay", "description", value="a\u2028b"),
        "contains the control character '\\u2028'",
    ),
    (
        "objective 99.99999999999",
        _set("services", "pay", "slos", "availability", "objective", value=99.99999999999),
        "services.pay.slos.availability.objective: 99.99999999999 leaves an error budget under 1e-07% of requests",
    ),
    (
        "evaluation_interval 3650d",
        _set("prometheus", "evaluation_interval", value="3650d"),
        "prometheus.evaluation_interval: 3650 days, 0:00:00 is longer than 0:04:40, the shortest alert window",
    ),
    (
        "evaluation_interval 30m",
        _set("prometheus", "evaluation_interval", value="30m"),
        "prometheus.evaluation_interval: 0:30:00 is longer than 0:04:40",
    ),
    (
        "over 1,000 Elasticsearch fields",
        _many_log_fields,
        "services: the services' logs.fields name 1103 distinct fields; the log stores map at most 900",
    ),
    (
        "environment named dashboards",
        _set("environments", "dashboards", value={}),
        "environments.dashboards: environment name 'dashboards' collides with the generated file "
        "k8s/dashboards/pay.yaml",
    ),
    (
        "environment named servicemonitors",
        _set("environments", "servicemonitors", value={}),
        "environment name 'servicemonitors' collides with the generated file k8s/servicemonitors/pay.yaml",
    ),
    (
        "environment named prometheusrules",
        _set("environments", "prometheusrules", value={}),
        "environment name 'prometheusrules' collides with the generated file k8s/prometheusrules/pay.yaml",
    ),
    (
        "service named namespace",
        _set("services", "namespace", value={"team": "payments"}),
        "services.namespace: service name 'namespace' collides with the generated file k8s/dev/namespace.yaml",
    ),
    (
        "service named use-nodes next to resource nodes",
        _set("services", "use-nodes", value={"team": "payments"}),
        "service name 'use-nodes' collides with the generated file dashboards/use-nodes.json",
    ),
]


@pytest.mark.parametrize(("mutation", "expected"), [pytest.param(m, e, id=i) for i, m, e in REFUSED])
def test_hostile_catalog_values_are_refused_with_a_located_message(mutation: Mutation, expected: str) -> None:
    doc = copy.deepcopy(BASE)
    mutation(doc)
    problems = _refusal(doc)
    assert any(expected in p for p in problems), "\n".join(problems)
    assert all(p.startswith("catalog.yaml:") for p in problems)


@pytest.mark.parametrize("value", ["2024-13-45", "2024-02-30"])
def test_an_unquoted_invalid_date_is_a_located_problem_not_a_traceback(value: str) -> None:
    text = starter_catalog().replace("slo_period: 28d", f"slo_period: {value}")
    problems = _refusal(text)
    assert any(
        f"slo_period: '{value}' is read as a timestamp but is not a valid one" in p and "quote it" in p
        for p in problems
    ), problems


@pytest.mark.parametrize("key", ['!!int "x"', '!!float "x"', "!!timestamp 2024-13-45"])
def test_a_tagged_key_its_text_does_not_fit_is_a_located_problem_not_a_traceback(key: str) -> None:
    problems = _refusal(starter_catalog() + f"? {key}\n: 1\n")
    assert any("invalid key" in p and p.startswith("catalog.yaml:") for p in problems), problems


def test_every_name_collision_the_generators_would_hit_is_refused() -> None:
    """The collision check is derived from conventions.generated_paths: it must list what generate writes."""
    for path in [REPO / "catalog.yaml", *sorted(TEST_CATALOGS.glob("*.yaml"))]:
        catalog = load_catalog(path.read_bytes(), path.name)
        listed = {
            p
            for p, _ in C.generated_paths(
                [s.name for s in catalog.services],
                [r.name for r in catalog.resources],
                [e.name for e in catalog.environments],
            )
        }
        written = set(generate(catalog))
        assert written <= listed, (
            f"{path.name}: generated but unknown to the collision check: {written - listed}"
        )


def test_the_log_field_bound_keeps_the_index_template_under_elasticsearchs_limit() -> None:
    standard = len(elasticsearch.STANDARD_FIELDS) + sum(
        len(elasticsearch.field_mapping(f).get("fields", {})) for f in elasticsearch.STANDARD_FIELDS
    )
    assert standard + policy.MAX_LOG_FIELDS < log_policy.ES_TOTAL_FIELDS_LIMIT


GO_TEMPLATE_VALUES: list[tuple[str, Mutation]] = [
    (
        "SLO description",
        _set(
            "services",
            "pay",
            "slos",
            "availability",
            "description",
            value='{{ with query "up" }}{{ . }}{{ end }}',
        ),
    ),
    ("runbook_url", _set("services", "pay", "runbook_url", value="https://runbooks.example.com/{{.Labels}}")),
]


@pytest.mark.parametrize("mutation", [pytest.param(m, id=i) for i, m in GO_TEMPLATE_VALUES])
def test_catalog_text_reaches_alert_annotations_as_literal_text(mutation: Mutation) -> None:
    doc = copy.deepcopy(BASE)
    mutation(doc)
    plan = generate(load_catalog(yaml.safe_dump(doc).encode(), "catalog.yaml"))
    rules = yaml.safe_load(plan[C.alert_rules_path("pay")])
    ours = re.compile(r'\{\{ "\{\{" \}\}|\{\{ printf "%\.1f" \$value \}\}')
    for group in rules["groups"]:
        for rule in group["rules"]:
            for text in rule.get("annotations", {}).values():
                assert "{{" not in ours.sub("", text), f"an unescaped template action in {text!r}"
    assert any(
        '{{ "{{" }}' in text
        for g in rules["groups"]
        for r in g["rules"]
        for text in r.get("annotations", {}).values()
    )


# --- Special files ----------------------------------------------------------------------------


def _obsgen(*args: str, cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "obsgen", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("fifo", "is not a regular file (a FIFO, socket or device)"),
        ("dev-zero-link", "is not a regular file (a FIFO, socket or device)"),
        ("directory", "is a directory, not a catalog file"),
        ("too-large", f"file is larger than {MAX_BYTES // 2**20} MiB"),
    ],
)
def test_special_catalog_files_are_refused_before_reading(tmp_path: Path, kind: str, expected: str) -> None:
    target = tmp_path / "catalog.yaml"
    if kind == "fifo":
        os.mkfifo(target)  # reading would hang forever
    elif kind == "dev-zero-link":
        target.symlink_to("/dev/zero")  # reading would grow memory without end
    elif kind == "directory":
        target.mkdir()
    else:
        with target.open("wb") as fh:
            fh.truncate(MAX_BYTES + 10 * 2**20)  # sparse: cheap to make, large to read
    result = _obsgen("validate", cwd=tmp_path, timeout=20)
    assert result.returncode == 2, result.stderr
    assert f"catalog.yaml: {expected}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_size_limit_is_enforced_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "catalog.yaml"
    with target.open("wb") as fh:
        fh.truncate(MAX_BYTES * 4)
    read: list[int] = []
    real_read = os.read

    def counting(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting)
    with pytest.raises(CatalogError, match="larger than"):
        load_catalog_file(target)
    assert sum(read) == MAX_BYTES + 1


@pytest.mark.parametrize("kind", ["fifo", "dev-null-link", "directory"])
def test_init_force_never_replaces_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "catalog.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-null-link":
        target.symlink_to("/dev/null")
    else:
        target.mkdir()
    result = _obsgen("init", "--force", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "not a regular file" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.yaml"]


# --- Exit codes ---------------------------------------------------------------------------------


def test_an_unexpected_exception_exits_70_and_asks_for_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "catalog.yaml").write_text(starter_catalog())

    def broken(catalog: Any) -> dict[str, bytes]:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(cli, "stream", broken)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["generate"]) == EXIT_BUG == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert "this is a bug, please report it" in err
