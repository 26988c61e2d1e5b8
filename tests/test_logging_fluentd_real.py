"""The generated fluent.conf on real Fluentd 1.16 with the two pinned output plugins.

``--dry-run`` on the conf of every catalog; then live runs: the demo service (through
fluent-logger) and records shaped like the docker ``fluentd`` logging driver's, through
real Fluentd, to stand-in Loki and Elasticsearch endpoints on 127.0.0.1
(tests/fluentd_real.py).  Every wait is on a condition, bounded; Fluentd is stopped in
a finally.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fluent.sender import FluentSender

from obsgen import conventions as C
from obsgen.demo import names as D
from obsgen.generate.artifacts import serialise
from obsgen.generate.logging import elasticsearch, fluentd
from obsgen.model import Catalog
from tests.conftest import REPO, TEST_CATALOGS
from tests.dashboard_queries import case_catalog
from tests.fluentd_real import RUNNING, FakeElasticsearch, FakeLoki, Fluentd, live_conf, run_fluentd
from tests.instrument_helpers import demo_process, free_port, wait_for

CATALOGS = ["catalog.yaml", *sorted(p.name for p in TEST_CATALOGS.glob("*.yaml"))]
TAG = fluentd.service_tag(C.DEFAULT_SERVICE_NAME)
ENVIRONMENT = "dev"


def conf_text(catalog: Catalog) -> str:
    return serialise(fluentd.generate(catalog)[C.FLUENTD_CONFIG_PATH]).decode()


# --- Dry run ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CATALOGS)
def test_real_fluentd_accepts_the_generated_conf(case: str, tmp_path: Path) -> None:
    """Dry-run parses the conf, loads every plugin and runs its configure (README of the vendor folder)."""
    path = tmp_path / "fluent.conf"
    path.write_text(conf_text(case_catalog(case)))
    result = run_fluentd("--dry-run", "-c", str(path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "finished dry run mode" in output
    # Fluentd warns when its own events would reach a top-level <match> (finding 3).
    assert "[warn]" not in output, [line for line in output.splitlines() if "[warn]" in line]


def test_the_committed_conf_is_the_one_dry_run_checks() -> None:
    assert (REPO / C.FLUENTD_CONFIG_PATH).read_text() == conf_text(case_catalog("catalog.yaml"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("@type loki", "@type lokki", id="an output plugin that does not exist"),
        pytest.param("logstash_format true", "logstash_format maybe", id="a bool that is not one"),
    ],
)
def test_dry_run_can_fail(tmp_path: Path, old: str, new: str) -> None:
    path = tmp_path / "fluent.conf"
    path.write_text(conf_text(case_catalog("catalog.yaml")).replace(old, new, 1))
    assert run_fluentd("--dry-run", "-c", str(path)).returncode != 0


# --- Live runs -------------------------------------------------------------------------------


@dataclass
class Pipeline:
    """A running Fluentd on the demo catalog's conf, and the stand-in stores it ships to.

    Each test's records carry a fresh marker as their request_id (a mapped field).
    """

    fluentd: Fluentd
    port: int
    loki: FakeLoki
    es: FakeElasticsearch

    def send(self, tag: str, *records: dict[str, Any]) -> None:
        sender = FluentSender(tag, host="127.0.0.1", port=self.port, timeout=5.0)
        try:
            for record in records:
                assert sender.emit(None, record), sender.last_error
        finally:
            sender.close()

    def loki_lines(self, marker: str) -> list[tuple[dict[str, str], int, dict[str, Any]]]:
        return [e for e in self.loki.entries() if e[2].get(C.LOG_REQUEST_ID) == marker]

    def es_docs(self, marker: str) -> list[tuple[str, dict[str, Any]]]:
        return [d for d in self.es.documents() if d[1].get(C.LOG_REQUEST_ID) == marker]


@pytest.fixture(scope="module")
def demo_catalog() -> Catalog:
    return case_catalog("catalog.yaml")


def _start(
    demo_catalog: Catalog, folder: Path, es_up: bool, edit: Callable[[str], str] = lambda conf: conf
) -> Pipeline:
    loki, es = FakeLoki(free_port()), FakeElasticsearch(free_port())
    loki.start()
    if es_up:
        es.start()
    port = free_port()
    (folder / "elasticsearch").mkdir(parents=True, exist_ok=True)
    template = serialise(elasticsearch.generate(demo_catalog)[C.ES_INDEX_TEMPLATE_PATH])
    (folder / "elasticsearch" / "index-template.json").write_bytes(template)
    conf = folder / "live.conf"
    conf.write_text(edit(live_conf(conf_text(demo_catalog), folder, port, loki.url, es.url)))
    return Pipeline(Fluentd(conf, {C.ENV_ENVIRONMENT: ENVIRONMENT}), port, loki, es)


@pytest.fixture(scope="module")
def pipeline(demo_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    running = _start(demo_catalog, tmp_path_factory.mktemp("fluentd-live"), es_up=True)
    try:
        running.fluentd.wait_running()
        yield running
    finally:
        running.fluentd.stop()
        running.loki.stop()
        running.es.stop()


def _line(marker: str, **fields: Any) -> dict[str, Any]:
    return {
        C.LOG_TIME: "2026-01-07T10:00:00.123+00:00",
        C.LOG_LEVEL_FIELD: "info",
        C.LOG_MESSAGE: "hello",
        C.LOG_ENVIRONMENT: ENVIRONMENT,
        C.LOG_REQUEST_ID: marker,
        **fields,
    }


def _docker(line: str) -> dict[str, Any]:
    """What the docker fluentd logging driver sends for one stdout line."""
    return {
        C.LOG_DOCKER_LINE: line,
        C.LOG_CONTAINER_ID: "0f1e2d3c4b5a",
        C.LOG_CONTAINER_NAME: "/obsgen-demo-1",
        C.LOG_STREAM_SOURCE: "stdout",
    }


def _arrived(pipeline: Pipeline, marker: str, count: int = 1) -> bool:
    return len(pipeline.loki_lines(marker)) >= count and len(pipeline.es_docs(marker)) >= count


def _mapped(demo_catalog: Catalog) -> set[str]:
    return set(elasticsearch.index_template(demo_catalog)["template"]["mappings"]["properties"])


def test_the_demos_lines_arrive_once_in_each_store_with_labels_index_and_mapped_fields(
    pipeline: Pipeline, demo_catalog: Catalog
) -> None:
    ids = [f"live-{uuid.uuid4().hex[:12]}-{i}" for i in range(5)]
    with demo_process(
        FLUENTD_HOST="127.0.0.1",
        FLUENTD_PORT=str(pipeline.port),
        SERVICE_NAME=C.DEFAULT_SERVICE_NAME,
        ENVIRONMENT=ENVIRONMENT,
        LOG_LEVEL="debug",
    ) as demo:
        demo.wait_ready()
        for request_id in ids:
            demo.get(D.DEMO_PREDICT_PATH, params={"text": "good"}, headers={C.REQUEST_ID_HEADER: request_id})

        def access_logged() -> list[dict[str, Any]]:
            # The access log line of a request is written once its response is sent: after the
            # client has it, so wait for every request's line before taking what was written.
            lines = [r for r in demo.log_lines() if r.get(C.LOG_REQUEST_ID) in ids]
            logged = {r[C.LOG_REQUEST_ID] for r in lines if r.get(C.LOG_MESSAGE) == C.ACCESS_LOG_MESSAGE}
            return lines if logged == set(ids) else []

        written = wait_for(access_logged, "the demo's access log line of every request")

        def key(record: dict[str, Any]) -> tuple[Any, ...]:
            return (record.get(C.LOG_REQUEST_ID), record.get(C.LOG_MESSAGE), record.get(C.LOG_TIME))

        expected = Counter(key(r) for r in written)

        def loki_ours() -> list[tuple[dict[str, str], int, dict[str, Any]]]:
            return [e for e in pipeline.loki.entries() if e[2].get(C.LOG_REQUEST_ID) in ids]

        def es_ours() -> list[tuple[str, dict[str, Any]]]:
            return [d for d in pipeline.es.documents() if d[1].get(C.LOG_REQUEST_ID) in ids]

        pipeline.fluentd.wait(
            lambda: len(loki_ours()) >= len(written) and len(es_ours()) >= len(written),
            f"the demo's {len(written)} lines of these requests in both stores",
        )
    by_key = {key(r): r for r in written}
    assert Counter(key(line) for _, _, line in loki_ours()) == expected  # each once, none extra
    assert Counter(key(doc) for _, doc in es_ours()) == expected
    for labels, ns, line in loki_ours():
        record = by_key[key(line)]
        assert labels == {
            C.LOG_SERVICE: C.DEFAULT_SERVICE_NAME,
            C.LOG_ENVIRONMENT: ENVIRONMENT,
            C.LOG_LEVEL_FIELD: record[C.LOG_LEVEL_FIELD],
        }
        # The stream labels leave the line; everything else stays, plus the catalog's team.
        assert line == {
            **{k: v for k, v in record.items() if k not in C.LOKI_STREAM_LABELS},
            C.LOG_TEAM: demo_catalog.services[0].team,
        }
        ts = datetime.fromisoformat(record[C.LOG_TIME])
        assert ns == int(ts.timestamp()) * 10**9 + ts.microsecond * 1000  # event time = the line's ts
    mapped = _mapped(demo_catalog)
    for index, doc in es_ours():
        record = by_key[key(doc)]
        ts = datetime.fromisoformat(record[C.LOG_TIME]).astimezone(UTC)
        assert index == f"{C.ES_INDEX_PREFIX}-{ts:%Y.%m.%d}"
        assert doc == {
            **record,
            C.LOG_TEAM: demo_catalog.services[0].team,
            C.ES_TIME_FIELD: doc[C.ES_TIME_FIELD],
        }
        assert datetime.fromisoformat(doc[C.ES_TIME_FIELD]) == ts
        assert set(doc) <= mapped, f"unmapped fields would be invisible to queries: {set(doc) - mapped}"


def test_the_generated_index_template_is_installed_before_the_first_bulk(
    pipeline: Pipeline, demo_catalog: Catalog
) -> None:
    marker = uuid.uuid4().hex
    pipeline.send(TAG, _line(marker))
    pipeline.fluentd.wait(lambda: _arrived(pipeline, marker), "one record in both stores")
    templates = pipeline.es.templates()
    assert templates[C.ES_INDEX_TEMPLATE_NAME] == elasticsearch.index_template(demo_catalog)
    paths = [path for _, path, _ in pipeline.es.snapshot()]
    assert paths.index(f"/_index_template/{C.ES_INDEX_TEMPLATE_NAME}") < paths.index("/_bulk")


def test_docker_driver_records_become_the_lines_fields(pipeline: Pipeline, demo_catalog: Catalog) -> None:
    marker = uuid.uuid4().hex
    line = _line(marker, **{C.LOG_LEVEL_FIELD: "error", C.LOG_STATUS: 503})
    pipeline.send(TAG, _docker(json.dumps(line)))
    pipeline.fluentd.wait(lambda: _arrived(pipeline, marker), "the docker driver's record in both stores")
    ((labels, _, loki_line),) = pipeline.loki_lines(marker)
    assert labels == {
        C.LOG_SERVICE: C.DEFAULT_SERVICE_NAME,
        C.LOG_ENVIRONMENT: ENVIRONMENT,
        C.LOG_LEVEL_FIELD: "error",
    }
    assert C.LOG_DOCKER_LINE not in loki_line  # parsed, not kept as a string
    assert loki_line[C.LOG_STATUS] == 503
    assert loki_line[C.LOG_CONTAINER_NAME] == "/obsgen-demo-1"
    ((index, doc),) = pipeline.es_docs(marker)
    assert index == f"{C.ES_INDEX_PREFIX}-2026.01.07"
    assert set(doc) <= _mapped(demo_catalog)


def test_a_line_that_is_not_json_is_kept_whole(pipeline: Pipeline) -> None:
    text = f"Traceback (most recent call last): {uuid.uuid4().hex}"

    def found() -> bool:
        in_loki = [e for e in pipeline.loki.entries() if e[2].get(C.LOG_DOCKER_LINE) == text]
        in_es = [d for d in pipeline.es.documents() if d[1].get(C.LOG_DOCKER_LINE) == text]
        return len(in_loki) == 1 and len(in_es) == 1

    pipeline.send(TAG, _docker(text))
    pipeline.fluentd.wait(found, "the raw line in both stores")
    (labels,) = [e[0] for e in pipeline.loki.entries() if e[2].get(C.LOG_DOCKER_LINE) == text]
    assert labels[C.LOG_LEVEL_FIELD] == C.LOG_LABEL_UNKNOWN and labels[C.LOG_ENVIRONMENT] == ENVIRONMENT


@pytest.mark.parametrize(
    "ts",
    [
        pytest.param("yesterday", id="not a date"),
        pytest.param("2026-13-45T99:00:00Z", id="shaped like a date, out of range"),
        pytest.param(1767780000, id="a number"),
        pytest.param(None, id="null"),
        pytest.param("", id="empty"),
    ],
)
@pytest.mark.parametrize("via", ["fluent-logger", "docker driver"])
def test_a_record_with_a_bad_timestamp_is_kept_with_its_arrival_time(
    pipeline: Pipeline, ts: Any, via: str
) -> None:
    marker = uuid.uuid4().hex
    line = _line(marker, **{C.LOG_TIME: ts})
    before = datetime.now(UTC).timestamp() - 60
    pipeline.send(TAG, _docker(json.dumps(line)) if via == "docker driver" else line)
    pipeline.fluentd.wait(lambda: _arrived(pipeline, marker), f"the record with ts={ts!r} in both stores")
    ((_, ns, loki_line),) = pipeline.loki_lines(marker)
    assert loki_line[C.LOG_TIME] == ts  # the field itself is untouched
    assert fluentd.EVENT_TIME_KEY not in loki_line
    assert before < ns / 1e9 < datetime.now(UTC).timestamp() + 60  # the time it arrived
    ((_, doc),) = pipeline.es_docs(marker)
    assert doc[C.LOG_TIME] == ts and fluentd.EVENT_TIME_KEY not in doc


def test_a_valid_timestamp_without_fraction_or_with_an_offset_is_the_event_time(pipeline: Pipeline) -> None:
    marker = uuid.uuid4().hex
    pipeline.send(TAG, _line(marker, **{C.LOG_TIME: "2026-01-07T12:00:05+02:00"}))
    pipeline.fluentd.wait(lambda: _arrived(pipeline, marker), "the record in both stores")
    ((_, ns, _),) = pipeline.loki_lines(marker)
    assert ns == int(datetime(2026, 1, 7, 10, 0, 5, tzinfo=UTC).timestamp()) * 10**9


def test_an_unknown_services_tag_is_stored_as_service_unknown(pipeline: Pipeline) -> None:
    marker = uuid.uuid4().hex
    pipeline.send(f"{C.FLUENTD_TAG_PREFIX}.not-in-catalog", _line(marker, **{C.LOG_SERVICE: "demo"}))
    pipeline.fluentd.wait(lambda: _arrived(pipeline, marker), "the stray record in both stores")
    ((labels, _, line),) = pipeline.loki_lines(marker)
    assert labels[C.LOG_SERVICE] == C.LOG_LABEL_UNKNOWN and line[C.LOG_TEAM] == C.LOG_LABEL_UNKNOWN


def test_fluentds_own_events_are_not_shipped_as_a_services_logs(pipeline: Pipeline) -> None:
    # A record sent after start-up: once it is stored, every event Fluentd logged before it
    # (start-up, "worker is now running") would have been flushed with it.
    marker = uuid.uuid4().hex
    pipeline.send(TAG, _line(marker))
    pipeline.fluentd.wait(lambda: _arrived(pipeline, marker), "a record in both stores")
    assert RUNNING in pipeline.fluentd.log()
    # Fluentd's own events are {"message": ...} records (obsgen's lines say "msg"), and would be
    # stored as service "unknown"; the only "unknown" lines here are the tests' own (with a marker).
    for labels, _, line in pipeline.loki.entries():
        assert "message" not in line and RUNNING not in json.dumps(line), line
        assert labels[C.LOG_SERVICE] != C.LOG_LABEL_UNKNOWN or line.get(C.LOG_REQUEST_ID), line
    for _, doc in pipeline.es.documents():
        assert "message" not in doc and RUNNING not in json.dumps(doc), doc


def test_with_elasticsearch_down_fluentd_starts_loki_receives_and_es_gets_everything_once_back(
    demo_catalog: Catalog, tmp_path: Path
) -> None:
    running = _start(demo_catalog, tmp_path, es_up=False)
    try:
        # The forward input opens although Elasticsearch does not answer (finding 2).
        running.fluentd.wait_running()
        markers = [uuid.uuid4().hex for _ in range(3)]
        for marker in markers:
            running.send(TAG, _line(marker))
        running.fluentd.wait(
            lambda: all(len(running.loki_lines(m)) == 1 for m in markers), "Loki to receive while ES is down"
        )
        assert running.es.documents() == []
        running.fluentd.wait(lambda: "out_elasticsearch" in running.fluentd.log(), "a failed flush to ES")
        running.es.start()
        running.fluentd.wait(
            lambda: all(running.es_docs(m) for m in markers),
            "the buffered records to reach ES once it is back",
        )
        late = uuid.uuid4().hex
        running.send(TAG, _line(late))
        running.fluentd.wait(lambda: _arrived(running, late), "a record sent after ES came back")
        for marker in markers:
            assert len(running.es_docs(marker)) == 1, "nothing lost, nothing twice"
            assert len(running.loki_lines(marker)) == 1
    finally:
        running.fluentd.stop()
        running.loki.stop()
        running.es.stop()


def _small_es_buffer(conf: str) -> str:
    """The live conf with Elasticsearch's buffer at 32 KiB (4 KiB chunks): full within seconds."""
    head, sep, es = conf.partition("@id out_elasticsearch")
    assert sep, "no Elasticsearch output in the conf"
    es, n = re.subn(r"(?m)^(\s*total_limit_size\s+)\S+$", r"\g<1>32k", es, count=1)
    es, m = re.subn(r"(?m)^(\s*chunk_limit_size\s+)\S+$", r"\g<1>4k", es, count=1)
    assert n == m == 1, "the Elasticsearch buffer has no size limits to shrink"
    return head + sep + es


def test_with_elasticsearch_down_and_its_buffer_full_loki_still_receives_everything(
    demo_catalog: Catalog, tmp_path: Path
) -> None:
    """Without --profile elk the ES buffer fills; it must drop its own oldest chunks, never block
    the input (which would stop Loki too).  ES gets the newest records once it is back."""
    running = _start(demo_catalog, tmp_path, es_up=False, edit=_small_es_buffer)
    try:
        running.fluentd.wait_running()
        padding = "x" * 400  # ~0.5 KiB a record: 32 KiB hold ~60 of them
        markers = [uuid.uuid4().hex for _ in range(400)]
        for i in range(0, len(markers), 50):
            running.send(TAG, *(_line(m, **{C.LOG_MESSAGE: padding}) for m in markers[i : i + 50]))

            # Loki keeps up with every batch while ES's buffer overflows
            def batch_in_loki(i: int = i) -> bool:
                return all(running.loki_lines(m) for m in markers[i : i + 50])

            running.fluentd.wait(
                batch_in_loki,
                f"Loki to receive records {i}..{i + 49} while Elasticsearch is down with a full buffer",
            )
        running.fluentd.wait(
            lambda: "dropping oldest chunk" in running.fluentd.log(), "the ES buffer to overflow"
        )
        assert running.es.documents() == []
        assert all(len(running.loki_lines(m)) == 1 for m in markers), "every record once in Loki"
        running.es.start()
        running.fluentd.wait(
            lambda: running.es_docs(markers[-1]), "the newest record to reach ES once it is back"
        )
        stored = [doc[C.LOG_REQUEST_ID] for _, doc in running.es.documents()]
        assert len(stored) == len(set(stored)), "nothing twice"
        assert len(stored) < len(markers), "chunks beyond the buffer's limit were dropped, not kept"
    finally:
        running.fluentd.stop()
        running.loki.stop()
        running.es.stop()
