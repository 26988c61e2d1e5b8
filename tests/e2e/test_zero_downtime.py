"""Zero downtime: rolling restarts behind a real HAProxy lose no request; SIGKILL does (so the test can fail).

HAProxy runs stack/haproxy/haproxy.cfg as shipped: it checks ``/ready`` every
second, takes a server out after two failures, and has ``retries 0``, so a
request sent to an instance that is going away fails visibly instead of being
retried elsewhere.  The instances run with docker-compose.yml's
SHUTDOWN_DELAY_SECONDS: on SIGTERM they fail readiness at once, keep serving
for the delay while HAProxy takes them out, then drain and exit 0.
"""

from __future__ import annotations

import json
import signal

import pytest

from obsgen import conventions as C
from obsgen.demo import names as D
from tests.conftest import REPO

from .conftest import BalancedPair
from .harness import LOOPBACK, LoadClient, log_problems, mapping_problems

pytestmark = pytest.mark.e2e

#: Rounds of restarting each instance in turn.
ROUNDS = 3
#: Requests per second through HAProxy: enough that every restart happens under load.
RPS = 100
PATH = f"{D.DEMO_PREDICT_PATH}?text=steady+load"


def _rolling_restarts(pair: BalancedPair, sig: signal.Signals, rounds: int) -> tuple[LoadClient, list[int]]:
    codes = []
    with LoadClient(LOOPBACK, pair.port, PATH, rps=RPS) as load:
        load.wait_requests(RPS, timeout=30)
        for _ in range(rounds):
            for server in pair.servers:
                codes.append(pair.restart(server, sig))
                # Both instances take traffic again before the next one goes.
                load.wait_requests(RPS // 5, timeout=30)
    return load, codes


def test_sigterm_rolling_restarts_fail_no_request(balanced_pair: BalancedPair) -> None:
    before = balanced_pair.served_by()
    load, codes = _rolling_restarts(balanced_pair, signal.SIGTERM, ROUNDS)
    result = load.result
    print(f"SIGTERM x{len(codes)}: {result.describe()}")
    assert codes == [0] * len(codes), f"every instance must exit 0 on SIGTERM; exit codes {codes}"
    assert result.failed == 0, f"rolling restart with SIGTERM lost requests: {result.describe()}"
    served = {name: n - before.get(name, 0) for name, n in balanced_pair.served_by().items()}
    assert all(n > 0 for n in served.values()), f"both instances must have taken traffic: {served}"
    assert result.requests > 0


def test_sigkill_rolling_restarts_do_fail_requests(balanced_pair: BalancedPair) -> None:
    """The counter-case: without the drain, the same test sees failures, so it is able to fail."""
    load, codes = _rolling_restarts(balanced_pair, signal.SIGKILL, rounds=2)
    result = load.result
    print(f"SIGKILL x{len(codes)}: {result.describe()}")
    assert codes == [-signal.SIGKILL] * len(codes)
    assert result.failed > 0, f"SIGKILL restarts lost no request: the test cannot tell. {result.describe()}"


def test_every_line_the_instances_wrote_across_restarts_is_a_json_log_record(
    balanced_pair: BalancedPair,
) -> None:
    """Start-up, readiness, drain and access lines of every restart: one JSON object per line, no stray text.

    Field types are checked against the demo stack's committed Elasticsearch mapping.
    """
    mapping = json.loads((REPO / C.ES_INDEX_TEMPLATE_PATH).read_text())["template"]["mappings"]
    for server, demo in balanced_pair.servers.items():
        if demo.starts == 1:  # run alone: restart once so there are start-up and drain lines to check
            balanced_pair.restart(server, signal.SIGTERM)
        records = demo.log_records()
        problems = log_problems(records, service="demo", environment="e2e")
        problems += mapping_problems(records, mapping["properties"])
        assert not problems, f"{demo.name}:\n" + "\n".join(problems)
        assert "Traceback" not in demo.stderr(), f"{demo.name} stderr:\n{demo.stderr()[-3000:]}"
