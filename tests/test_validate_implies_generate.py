"""Property: a catalog that validates generates — and Prometheus accepts the rules it generates.

Seeded (derandomized) with a fixed budget of examples, so CI runs the same cases every time.
Mutations aim at the values issue 17 found unsafe: names that become paths and Kubernetes names,
jobs and error codes that reach PromQL, Grafana and Go templates, free text with template and
control characters, extreme numbers and durations.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from obsgen import conventions as C
from obsgen.catalog import load_catalog
from obsgen.cli import starter_catalog
from obsgen.errors import CatalogError
from obsgen.generate import generate
from tests.conftest import require_binary

BASE: dict[str, Any] = yaml.safe_load(starter_catalog())

hostile_text = st.one_of(
    st.sampled_from(
        [
            '{{ with query "up" }}{{ . }}{{ end }}',
            "x[[instance]]",
            "$job",
            "${x}",
            "a\x1bb",
            "a\u2028b",
            "a/b",
            "a b",
            "namespace",
            "dashboards",
            "servicemonitors",
            "prometheusrules",
            "overview",
            "use-nodes",
            "j" * 64,
            "s" * 47,
            "5..|429",
            "5..\\Z",
            "5xx",
            "(5..)",
            "4..|5..",
            '"',
            "\\",
            "'",
            "}}",
            "{{",
            "2024-13-45",
            "99.99999999999",
            "3650d",
            "1ms",
            "0s",
            "",
            "-",
            "a-",
            "a.b",
            "UPPER",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)
#: error_codes: free text plus the probes of issue 17 (RE2-only syntax, template markers) and valid ones.
hostile_codes = st.one_of(
    hostile_text,
    st.sampled_from(
        [
            '5..|{{ with query "up" }}{{ . }}{{ end }}',
            "5..|$job",
            "5..|${x}",
            "5..|x[[instance]]",
            "5..\\Z",
            "5.++",
            "(?>5..)",
            "x{1001}",
            "5xx",
            "5..|429",
            '5..|"',
            "5..|\\\\",
            "5..|}}",
            "(5..)",
            "4..|5..",
            "5..|a\x1bb",
        ]
    ),
)
names = st.one_of(
    st.sampled_from(
        [
            "namespace",
            "dashboards",
            "servicemonitors",
            "prometheusrules",
            "overview",
            "use-nodes",
            "priorityclass",
            "tests",
            "s" * 47,
            "n" * 63,
            "a",
            "pay",
        ]
    ),
    st.from_regex(r"[a-z][a-z0-9-]{0,50}", fullmatch=True),
)
numbers = st.one_of(
    st.sampled_from([99.99999999999, 99.9999999, 1e-9, 50, 0.001, 100, 0, -1]),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
durations = st.sampled_from(["3650d", "30m", "10m", "5m", "4m", "1s", "1ms", "28d", "365d", "1d", "1h"])

PLACES: list[tuple[tuple[str, ...], Any]] = [
    (("services", "pay", "job"), hostile_text),
    (("services", "pay", "error_codes"), hostile_codes),
    (("services", "pay", "description"), hostile_text),
    (("services", "pay", "slos", "availability", "description"), hostile_text),
    (("services", "pay", "slos", "availability", "objective"), numbers),
    (("services", "pay", "slos", "latency", "objective"), numbers),
    (("resources", "nodes", "job"), hostile_text),
    (("prometheus", "evaluation_interval"), durations),
    (("prometheus", "scrape_interval"), durations),
    (("slo_period",), durations),
]


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for path, values in draw(st.lists(st.sampled_from(PLACES), min_size=1, max_size=2)):
        node = doc
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = draw(values)
    for kind, body in draw(
        st.lists(
            st.sampled_from(
                [
                    (
                        "services",
                        {"team": "payments", "slos": {"a": {"kind": "availability", "objective": 99.9}}},
                    ),
                    ("environments", {}),
                    ("resources", {"kind": "node", "job": "node"}),
                ]
            ),
            max_size=2,
        )
    ):
        doc.setdefault(kind, {})[draw(names)] = copy.deepcopy(body)
    return doc


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(catalogs())
def test_validate_ok_implies_generate_ok_and_promtool_accepts_the_rules(
    tmp_path: Path, doc: dict[str, Any]
) -> None:
    promtool = require_binary("promtool", "prometheus")
    text = yaml.safe_dump(doc, allow_unicode=True).encode()
    try:
        catalog = load_catalog(text, "catalog.yaml")
    except CatalogError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        event("refused")
        return
    event("validated")
    plan = generate(catalog)  # must not raise: validate said ok
    rules = []
    for rel, content in plan.items():
        if rel.endswith(".json"):
            json.loads(content)
        elif rel.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(content))
        if rel.startswith(C.ALERTS_DIR + "/") and not rel.startswith(C.ALERT_TESTS_DIR + "/"):
            path = tmp_path / rel.replace("/", "_")
            path.write_bytes(content)
            rules.append(str(path))
    assert rules
    result = subprocess.run([promtool, "check", "rules", *rules], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
