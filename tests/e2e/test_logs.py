"""Logs: each instance of the stack writes JSON lines with the fields the log pipeline reads.

The instances have served the load generator's traffic (and, after the alert
test, a total outage), so their stdout holds start-up lines, access lines of
successful and failed requests, and the fault-injection warnings.  Loki and
Elasticsearch cannot be installed here (REFERENCE.md): the lines are checked
against what their generated configs expect instead — the fields conventions
name, and the types of the generated Elasticsearch mapping.  (Real Fluentd
ships the demo's lines to stand-in stores in tests/test_logging_fluentd_real.py.)
"""

from __future__ import annotations

import json

import pytest

from obsgen import conventions as C

from .conftest import Stack
from .harness import DemoInstance, log_problems, mapping_problems, wait_for

pytestmark = pytest.mark.e2e


def test_each_instance_writes_json_lines_with_the_pipeline_fields(stack: Stack) -> None:
    (service,) = stack.catalog.services
    (environment,) = stack.catalog.environments
    for demo in stack.demos:

        def has_access_line(demo: DemoInstance = demo) -> bool:
            return any(r.get(C.LOG_LOGGER) == C.ACCESS_LOGGER for r in demo.log_records())

        wait_for(has_access_line, f"an access-log line from {demo.name}", timeout=30)
        records = demo.log_records()
        problems = log_problems(records, service=service.name, environment=environment.name)
        assert not problems, f"{demo.name}:\n" + "\n".join(problems)
        mapping = json.loads((stack.out / C.ES_INDEX_TEMPLATE_PATH).read_text())["template"]["mappings"]
        mismatched = mapping_problems(records, mapping["properties"])
        assert not mismatched, f"{demo.name}:\n" + "\n".join(mismatched)
        urls = {r[C.LOG_URL] for r in records if r.get(C.LOG_LOGGER) == C.ACCESS_LOGGER}
        assert any(u.startswith(C.DEMO_PREDICT_PATH) for u in urls), (
            f"{demo.name}: no /predict in {sorted(urls)[:5]}"
        )
