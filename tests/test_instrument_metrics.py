"""HttpMetrics keeps its RED series in plain lists: what it exports must be prometheus-client's own shape.

The reference is built in each test with prometheus-client's ``Counter`` and ``Histogram`` fed the
same observations, so the comparison holds for whatever version of the client is installed.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.exposition import generate_latest

from obsgen.conventions import contract as c
from obsgen.instrument.core import Observer
from obsgen.instrument.lifecycle import Lifecycle
from obsgen.instrument.logs import new_request_id
from obsgen.instrument.metrics import KNOWN_METHODS, OTHER_METHOD, HttpMetrics

OBSERVATIONS = [
    ("POST", "/predict", 200, 0.0004),
    ("GET", "/predict", 404, 0.3),
    ("POST", "/predict", 500, 7.0),
    ("BREW", "/coffee", 200, 0.05),  # a made-up method: counted as OTHER
    ("POST", "/predict", 200, 100.0),  # beyond the last bucket: +Inf only
    ("GET", "/model", 200, 0.005),  # exactly on a bound: le is inclusive
    ("GET", "/items/{id}", 200, 0.0),
]


def _only_ours(registry: CollectorRegistry) -> str:
    """The request counter and duration histogram families of ``registry``, created times masked."""
    text = generate_latest(registry).decode()
    keep = (c.REQUESTS_TOTAL.removesuffix("_total"), c.REQUEST_DURATION_SECONDS)
    lines = [
        line
        for line in text.splitlines()
        if any(name in line for name in keep) and c.REQUESTS_IN_FLIGHT not in line
    ]
    return re.sub(r"(_created(?:\{.*\})?) \S+$", r"\1 T", "\n".join(lines), flags=re.MULTILINE)


def _reference(buckets: tuple[float, ...], observations: list[tuple[str, str, int, float]]) -> str:
    registry = CollectorRegistry()
    requests = Counter(
        c.REQUESTS_TOTAL,
        "HTTP requests served, by method, route template and status code.",
        c.REQUEST_LABELS,
        registry=registry,
    )
    duration = Histogram(
        c.REQUEST_DURATION_SECONDS,
        "Time from receiving an HTTP request to sending the last byte of its response.",
        c.DURATION_LABELS,
        buckets=buckets,
        registry=registry,
    )
    for method, route, code, seconds in observations:
        method = method if method in KNOWN_METHODS else OTHER_METHOD
        requests.labels(method, route, str(code)).inc()
        duration.labels(method, route).observe(seconds)
    return _only_ours(registry)


def _ours(buckets: tuple[float, ...], observations: list[tuple[str, str, int, float]]) -> str:
    metrics = HttpMetrics(CollectorRegistry(), buckets)
    for observation in observations:
        metrics.observe(*observation)
    return _only_ours(metrics.registry)


@pytest.mark.parametrize("buckets", [c.DEFAULT_BUCKETS, (0.1, 1.0), (0.005, 0.5, math.inf)])
def test_exposition_is_prometheus_clients_counter_and_histogram(buckets: tuple[float, ...]) -> None:
    observations = OBSERVATIONS * 3
    ours = _ours(buckets, observations)
    assert ours == _reference(buckets, observations)
    assert 'le="+Inf"' in ours and f"{c.REQUESTS_TOTAL}{{" in ours


@pytest.fixture
def created_series_off() -> Iterator[None]:
    before = prometheus_metrics._use_created
    prometheus_metrics.disable_created_metrics()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        prometheus_metrics._use_created = before


@pytest.mark.usefixtures("created_series_off")
def test_disabling_prometheus_clients_created_series_drops_ours_too() -> None:
    ours = _ours(c.DEFAULT_BUCKETS, OBSERVATIONS)
    assert "_created" not in ours
    assert ours == _reference(c.DEFAULT_BUCKETS, OBSERVATIONS)


def test_sample_values_read_back_through_the_registry() -> None:
    metrics = HttpMetrics(CollectorRegistry(), (0.1, 1.0))
    for seconds in (0.05, 0.1, 0.5, 3.0):
        metrics.observe("GET", "/r", 200, seconds)
    get = metrics.registry.get_sample_value
    labels = {"method": "GET", "route": "/r"}
    assert get(c.REQUESTS_TOTAL, {**labels, "code": "200"}) == 4.0
    assert [
        get(f"{c.REQUEST_DURATION_SECONDS}_bucket", {**labels, "le": le}) for le in ("0.1", "1.0", "+Inf")
    ] == [
        2.0,
        3.0,
        4.0,
    ]
    assert get(f"{c.REQUEST_DURATION_SECONDS}_count", labels) == 4.0
    assert get(f"{c.REQUEST_DURATION_SECONDS}_sum", labels) == pytest.approx(3.65)


def test_threaded_observer_loses_no_request() -> None:
    """The WSGI observer (threaded) counts under its lock: plain-list increments lose nothing."""
    metrics = HttpMetrics(CollectorRegistry())
    observer = Observer(metrics, Lifecycle(), None, threaded=True)
    threads, per_thread = 8, 500

    def serve() -> None:
        for _ in range(per_thread):
            request = observer.begin(None)
            observer.finish(request, "GET", "/r", 200, "/r", "")

    workers = [threading.Thread(target=serve) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    get = metrics.registry.get_sample_value
    assert get(c.REQUESTS_TOTAL, {"method": "GET", "route": "/r", "code": "200"}) == threads * per_thread
    assert (
        get(f"{c.REQUEST_DURATION_SECONDS}_count", {"method": "GET", "route": "/r"}) == threads * per_thread
    )
    assert metrics.in_flight_requests == 0


def test_request_ids_are_32_hex_digits_and_unique_across_the_formatting_boundary() -> None:
    ids = [new_request_id() for _ in range(3 * 4096 + 10)]  # the high part is formatted every 4,096
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len({i[:16] for i in ids}) == 1  # one per-process prefix


def test_request_ids_from_many_threads_at_once_are_unique_and_never_raise() -> None:
    """A threaded WSGI server makes ids on every worker thread at once (a shared generator raised there)."""
    per_thread, threads = 20_000, 8
    results: list[list[str]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def make(out: list[str]) -> None:
        start.wait()
        try:
            for _ in range(per_thread):
                out.append(new_request_id())
        except BaseException as exc:  # recorded: an exception in a thread would otherwise be lost
            errors.append(exc)

    workers = [threading.Thread(target=make, args=(out,)) for out in results]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    ids = [i for out in results for i in out]
    assert len(ids) == per_thread * threads
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_forked_child_gets_its_own_request_id_prefix() -> None:
    parent = new_request_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send its first id, leave without running the test session's teardown
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    assert child[:16] != parent[:16]
