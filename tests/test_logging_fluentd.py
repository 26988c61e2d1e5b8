"""The generated fluent.conf, read back through a parser of Fluentd's directive syntax."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obsgen import conventions as C
from obsgen.generate.logging import fluentd
from obsgen.generate.logging.fluentd_syntax import Fluentd, quote, record_value, ruby, ruby_words, tag_pattern
from obsgen.instrument.fluent import fluentd_tag
from obsgen.model import Catalog
from tests.conftest import catalog_from
from tests.fluentd_conf import ConfigError, Section, first_match, parse, unquote

TWO_SERVICES = """
    apiVersion: obsgen/v1
    environments:
      prod: {log_level: info}
      qa: {log_level: debug}
    teams:
      payments: {}
      search: {}
    services:
      pay:
        team: payments
        logs: {fields: [card_brand, retries]}
      find:
        team: search
"""


@pytest.fixture
def two_services() -> Catalog:
    return catalog_from(TWO_SERVICES)


def conf_of(catalog: Catalog) -> Section:
    return parse(fluentd.render(catalog))


def label(root: Section, name: str) -> Section:
    (found,) = [s for s in root.sections("label") if s.arg == name]
    return found


def outputs(root: Section) -> list[Section]:
    """Every section that writes somewhere: stores of copy, and plain non-relabel matches."""
    found = []
    for section in root.walk():
        if section.name in ("store", "match") and section.params.get("@type") not in (
            None,
            "copy",
            "relabel",
            "null",
        ):
            found.append(section)
    return found


# --- Structure ------------------------------------------------------------------------


def test_the_example_catalogs_conf_parses_with_balanced_sections(example_catalog: Catalog) -> None:
    root = conf_of(example_catalog)
    assert [s.name for s in root.children if s.name == "source"] == ["source"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("<match **>\n  @type null\n", id="a section that is never closed"),
        pytest.param("<match **>\n</filter>\n", id="a section closed by the wrong name"),
        pytest.param("</match>\n", id="a close without an open"),
        pytest.param("<match **>\n  @type null\n  @type stdout\n</match>\n", id="a parameter given twice"),
        pytest.param("<match **>\n  path 'unterminated\n</match>\n", id="an unterminated quote"),
    ],
)
def test_the_parser_rejects_malformed_configs(text: str) -> None:
    with pytest.raises(ConfigError):
        parse(text)


def test_one_forward_input_on_the_port_fluent_logger_and_the_docker_driver_use(
    example_catalog: Catalog,
) -> None:
    (source,) = conf_of(example_catalog).sections("source")
    assert source.params["@type"] == "forward"
    assert int(source.params["port"]) == C.DEFAULT_FLUENTD_PORT
    assert "@label" not in source.params  # events start at the top-level routing


def test_the_tag_is_the_one_the_instrumentation_library_sends() -> None:
    assert fluentd.service_tag("demo") == fluentd_tag("demo") == f"{C.FLUENTD_TAG_PREFIX}.demo"


# --- Routing --------------------------------------------------------------------------


def test_each_service_tag_reaches_its_own_route_and_others_the_unknown_route(two_services: Catalog) -> None:
    root = conf_of(two_services)
    for svc in two_services.services:
        route = first_match(root, fluentd.service_tag(svc.name))
        assert route is not None
        assert route.arg == fluentd.service_tag(svc.name)
        assert route.params["@label"] == fluentd.STORES_LABEL
    for stray in ("obsgen.not-in-catalog", "obsgen", "docker.abc123", "obsgen.pay.extra"):
        route = first_match(root, stray)
        assert route is not None, stray
        assert route.params["@label"] == fluentd.UNKNOWN_SERVICE_LABEL, stray


def test_every_top_level_match_is_reachable(two_services: Catalog) -> None:
    root = conf_of(two_services)
    tags = [fluentd.service_tag(s.name) for s in two_services.services] + ["obsgen.not-in-catalog"]
    reached = {id(first_match(root, tag)) for tag in tags}
    for match in root.sections("match"):
        assert id(match) in reached, f"<match {match.arg}> on line {match.line} is shadowed"


def test_every_relabel_target_exists_and_every_label_is_reached(two_services: Catalog) -> None:
    root = conf_of(two_services)
    labels = {s.arg for s in root.sections("label")}
    targets = {s.params["@label"] for s in root.walk() if "@label" in s.params and s.name != "label"}
    assert targets <= labels
    # @ERROR and @FLUENT_LOG are Fluentd's own: error events and Fluentd's log events go there without a relabel.
    assert labels - targets == {"@ERROR", "@FLUENT_LOG"}


def test_inside_each_label_every_event_reaches_a_match(two_services: Catalog) -> None:
    root = conf_of(two_services)
    for section in root.sections("label"):
        matches = section.sections("match")
        assert matches, section.arg
        assert matches[0].arg == "**", f"{section.arg}: its first match must take every tag"
        assert len(matches) == 1, f"{section.arg}: matches after ** are unreachable"


def test_services_are_enriched_with_their_team_from_the_catalog(two_services: Catalog) -> None:
    root = conf_of(two_services)
    for svc in two_services.services:
        (enrich,) = [f for f in root.sections("filter") if f.arg == fluentd.service_tag(svc.name)]
        (record,) = enrich.sections("record")
        assert record.params == {C.LOG_SERVICE: svc.name, C.LOG_TEAM: svc.team}


def test_container_stdout_json_under_log_is_parsed_before_routing(example_catalog: Catalog) -> None:
    root = conf_of(example_catalog)
    first = root.sections("filter")[0]
    assert first.params["@type"] == "parser"
    assert first.params["key_name"] == C.LOG_DOCKER_LINE
    assert first.params["reserve_data"] == "true"  # fluent-logger records (no "log") pass unchanged
    assert first.params["emit_invalid_record_to_error"] == "false"
    assert first.sections("parse")[0].params["@type"] == "json"


def test_fluentds_own_log_events_have_their_label_and_are_not_stored(example_catalog: Catalog) -> None:
    """Without @FLUENT_LOG, Fluentd's fluent.* events reach the top-level <match **> (shipped as service unknown)."""
    own = label(conf_of(example_catalog), "@FLUENT_LOG")
    (match,) = own.sections("match")
    assert (match.arg, match.params["@type"]) == ("**", "null")


def test_no_time_parse_can_drop_a_record(example_catalog: Catalog) -> None:
    """A parser filter drops a record whose time does not parse: only the checked helper key is parsed."""
    for section in conf_of(example_catalog).walk():
        if section.name != "filter" or section.params["@type"] != "parser":
            continue
        (parse,) = section.sections("parse")
        assert section.params["emit_invalid_record_to_error"] == "false"
        assert section.params["reserve_data"] == "true"
        assert parse.params.get("time_key") == fluentd.EVENT_TIME_KEY, section.params["@id"]
    (check,) = [f for f in conf_of(example_catalog).sections("filter") if f.params.get("@id") == "check_ts"]
    assert "rescue nil" in check.sections("record")[0].params[fluentd.EVENT_TIME_KEY]


# --- Outputs --------------------------------------------------------------------------


def test_every_output_has_its_own_file_buffer(two_services: Catalog) -> None:
    root = conf_of(two_services)
    paths = []
    for output in outputs(root):
        (buffer,) = output.sections("buffer")
        assert buffer.params["@type"] == "file", output.params["@id"]
        paths.append(buffer.params["path"])
        if "path" in output.params:  # out_file writes where its buffer must not be
            paths.append(output.params["path"])
    assert len(paths) == len(set(paths)), paths
    assert {o.params["@type"] for o in outputs(root)} == {"loki", "elasticsearch", "file"}


def test_buffers_survive_a_backend_down_for_minutes(example_catalog: Catalog) -> None:
    for output in outputs(conf_of(example_catalog)):
        buffer = output.sections("buffer")[0].params
        assert buffer["retry_forever"] == "true"
        # Loki and the error file: back-pressure, never a silent drop.  Elasticsearch (only with
        # --profile elk) drops its oldest chunk so a dead ES never blocks Loki (the live test proves it).
        es = output.params["@type"] == "elasticsearch"
        assert buffer["overflow_action"] == ("drop_oldest_chunk" if es else "block")
        assert buffer["path"].startswith(C.FLUENTD_BUFFER_MOUNT + "/")
        assert re.fullmatch(r"\d+[kmg]", buffer["total_limit_size"])


def test_loki_gets_only_the_low_cardinality_stream_labels(two_services: Catalog) -> None:
    root = conf_of(two_services)
    (loki,) = [o for o in outputs(root) if o.params["@type"] == "loki"]
    (labels,) = loki.sections("label")
    assert tuple(labels.params) == C.LOKI_STREAM_LABELS
    assert all(value == "" for value in labels.params.values())  # each label is the record key itself
    assert C.LOG_REQUEST_ID not in labels.params and C.LOG_URL not in labels.params
    # request ids and URLs stay in the JSON line: nothing removes them, nothing adds labels.
    assert loki.params["line_format"] == "json"
    assert "remove_keys" not in loki.params and "extra_labels" not in loki.params
    assert loki.params["include_thread_label"] == "false"
    assert loki.params["extract_kubernetes_labels"] == "false"


def test_label_values_are_bounded_to_the_catalogs_sets(two_services: Catalog) -> None:
    stores = label(conf_of(two_services), fluentd.STORES_LABEL)
    (bound,) = [f for f in stores.sections("filter") if f.params["@type"] == "record_transformer"]
    record = bound.sections("record")[0].params
    assert '["prod", "qa"].include?' in record[C.LOG_ENVIRONMENT]
    assert ruby_words(C.LOG_LEVELS) in record[C.LOG_LEVEL_FIELD]
    assert set(record) | {C.LOG_SERVICE} == set(C.LOKI_STREAM_LABELS)
    # service is set from the catalog (or "unknown") before the stores, never taken from the record
    unknown = label(conf_of(two_services), fluentd.UNKNOWN_SERVICE_LABEL)
    assert unknown.sections("filter")[0].sections("record")[0].params[C.LOG_SERVICE] == C.LOG_LABEL_UNKNOWN


def test_elasticsearch_output_installs_the_composable_template(example_catalog: Catalog) -> None:
    (es,) = [o for o in outputs(conf_of(example_catalog)) if o.params["@type"] == "elasticsearch"]
    assert es.params["logstash_prefix"] == C.ES_INDEX_PREFIX
    assert f"{C.ES_INDEX_PREFIX}-*" == C.ES_INDEX_PATTERN
    assert es.params["use_legacy_template"] == "false"
    assert es.params["template_name"] == C.ES_INDEX_TEMPLATE_NAME
    assert es.params["template_file"].endswith("/" + C.ES_INDEX_TEMPLATE_PATH.rsplit("/", 1)[1])
    assert es.params["hosts"] == C.STACK_ELASTICSEARCH_URL


def test_elasticsearch_being_absent_does_not_hold_fluentd_at_startup(example_catalog: Catalog) -> None:
    """Elasticsearch runs only with --profile elk: asking its version at startup would block for hours."""
    (es,) = [o for o in outputs(conf_of(example_catalog)) if o.params["@type"] == "elasticsearch"]
    assert es.params["verify_es_version_at_startup"] == "false"
    assert int(es.params["default_elasticsearch_version"]) == fluentd.ELASTICSEARCH_MAJOR


# --- Escaping -------------------------------------------------------------------------

_NO_CONTROL = st.text(st.characters(blacklist_categories=("Cc", "Cs")))


@given(_NO_CONTROL)
def test_any_text_survives_quoting_as_fluentd_reads_it(value: str) -> None:
    assert unquote(quote(value), 1) == value


@given(_NO_CONTROL)
def test_a_quoted_parameter_is_one_parameter(value: str) -> None:
    root = parse(f"<match **>\n  key {quote(value)}\n</match>\n")
    assert root.sections("match")[0].params == {"key": value}


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "tab\there", "nul\x00"])
def test_control_characters_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        quote(value)


@pytest.mark.parametrize(
    ("make", "value"),
    [
        pytest.param(record_value, "${record['x']}", id="record_transformer placeholder"),
        pytest.param(tag_pattern, "obsgen.demo evil", id="space in a tag"),
        pytest.param(tag_pattern, "obsgen.<demo>", id="section syntax in a tag"),
        pytest.param(lambda v: ruby_words([v]), 'x"] + `id` + ["', id="quote in a ruby word"),
        pytest.param(ruby, "x}", id="brace in a ruby placeholder"),
    ],
)
def test_values_that_cannot_be_written_safely_are_refused(make: object, value: str) -> None:
    with pytest.raises(ValueError):
        make(value)  # type: ignore[operator]


def test_the_template_refuses_to_print_an_unescaped_value(example_catalog: Catalog) -> None:
    ctx = fluentd.context(example_catalog)
    ctx["services"][0]["team"] = "raw 'team'"  # a plain str, not Fluentd
    template = fluentd._CONF_TEMPLATES.get_template("fluent.conf.j2")
    with pytest.raises(TypeError, match="unescaped"):
        template.render(ctx)
    assert isinstance(fluentd.context(example_catalog)["services"][0]["team"], Fluentd)


# --- Files ----------------------------------------------------------------------------


def test_dockerfile_pins_the_image_and_every_plugin() -> None:
    text = fluentd.render_dockerfile()
    (image,) = re.findall(r"^FROM (\S+)$", text, re.M)
    assert re.fullmatch(r"fluent/fluentd:v\d+\.\d+\.\d+-debian-\d+\.\d+", image)
    gems = re.findall(r"^\s+([a-z][\w-]+):(\S+)", text, re.M)
    assert {name for name, _ in gems} >= {"fluent-plugin-elasticsearch", "fluent-plugin-grafana-loki"}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for _, version in gems)
