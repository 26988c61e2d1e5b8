"""The benchmarks still run and produce what BENCHMARKS.md is built from (no timed assertions)."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from bench import bench_alerts, bench_generate, bench_rules, run
from obsgen import render
from obsgen.catalog import load_catalog
from obsgen.generate.artifacts import Yaml, YamlDocuments


def test_synthesised_catalogs_are_valid_and_sized() -> None:
    catalog = load_catalog(bench_generate.synth_catalog(25), "synth.yaml")
    assert len(catalog.services) == 25
    assert all(len(s.slos) == 2 for s in catalog.services)


def test_one_generation_measurement_has_every_phase() -> None:
    result = bench_generate.measure(5, rounds=2)
    assert {"load", "generators", "serialise", "pipeline", "floor"} <= set(result["seconds"])
    assert all(len(v) == 2 for v in result["seconds"].values())
    assert result["files"] > 0 and result["output_bytes"] > 0 and result["floor_bytes"] > 0


def test_the_c_floor_serialises_as_much_as_obsgen_writes() -> None:
    """The floor dumps every artifact (dashboards from their dicts): sizes within a few percent."""
    result = bench_generate.measure(5, rounds=1)
    assert 0.8 < result["floor_bytes"] / result["output_bytes"] < 1.2


def test_rule_cost_counts_rules_and_raw_windows() -> None:
    found = bench_alerts.rule_file(bench_alerts.catalog())
    if found is None:
        pytest.skip("no alert rule generator yet")
    cost = bench_alerts.rule_cost(found[0])
    assert set(cost["per_slo"]) == {"availability", "latency"}
    for row in cost["per_slo"].values():
        assert row["alerts"] >= 1 and row["recordings"] >= 1 and row["raw_per_eval"] > 0


def test_range_reads_tell_raw_from_recorded() -> None:
    reads = bench_alerts.range_reads(
        'sum(rate(http_requests_total{job="a"}[1m])) / avg_over_time(slo:sli_requests:rate1m{slo="x"}[6h])'
    )
    assert [(r.metric, r.window.total_seconds(), r.recorded) for r in reads] == [
        ("http_requests_total", 60, False),
        ("slo:sli_requests:rate1m", 6 * 3600, True),
    ]


def test_theoretical_detection_matches_the_workbook() -> None:
    minutes = [bench_alerts.theoretical_minimum(r) for r in (1.0, 0.1, 0.02, 0.01)]
    assert minutes == pytest.approx([0.864, 8.64, 43.2, 216])


def test_update_keeps_sections_it_does_not_own() -> None:
    before = (
        "# Benchmarks\n\nold preamble\n\n## Generation\n\nold numbers\n\n"
        "## Someone else's\n\ntheirs, untouched\n"
    )
    after = run.update_benchmarks(
        before,
        "# Benchmarks\n\nnew preamble\n",
        {run.SECTION_GENERATION: "new numbers", run.SECTION_DETECTION: "detection"},
    )
    assert "old" not in after
    assert "## Someone else's\n\ntheirs, untouched\n" in after
    assert after.index("## Generation") < after.index("## Someone else's") < after.index("## Alert detection")


def test_sloth_reference_has_sloths_rules_per_slo() -> None:
    """8 SLI recordings (30d from the 5m one), 7 metadata recordings, 2 alerts, in three groups per SLO."""
    catalog = load_catalog(bench_generate.synth_catalog(2), "synth.yaml")
    groups = bench_rules.sloth_rules(catalog)["groups"]
    assert len(groups) == 3 * 4
    sli, meta, alerts = groups[:3]
    assert [r["record"] for r in sli["rules"]][-1] == "slo:sli_error:ratio_rate30d"
    assert (len(sli["rules"]), len(meta["rules"]), len(alerts["rules"])) == (8, 7, 2)
    assert "[30d]" in sli["rules"][-1]["expr"] and "slo:sli_error:ratio_rate5m" in sli["rules"][-1]["expr"]
    read = {labels["__name__"] for labels in bench_rules.recordings_read_over_ranges({"groups": groups})}
    assert read == {"slo:sli_error:ratio_rate5m"}


class _StockDumper(yaml.SafeDumper):
    """obsgen's YAML style on PyYAML's own emitter (no fast paths): the reference for render's."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_StockDumper.add_representer(str, render._str_representer)


def _dump(data: Any, dumper: type[yaml.SafeDumper], allow_unicode: bool = True) -> str:
    return yaml.dump(
        data,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=allow_unicode,
        width=1_000_000,
        default_flow_style=False,
    )


def test_render_fast_paths_write_the_bytes_pyyaml_writes() -> None:
    """The emitter fast paths the generation benchmark led to change speed, never output."""
    arts = bench_generate.artifacts(load_catalog(bench_generate.synth_catalog(3), "synth.yaml"))
    docs = [a.data for a in arts.values() if isinstance(a, Yaml)]
    docs += [d for a in arts.values() if isinstance(a, YamlDocuments) for d in a.documents]
    assert docs
    for doc in docs:
        assert _dump(doc, render._Dumper) == _dump(doc, _StockDumper)
    alphabet = [
        "a",
        " ",
        "\n",
        "\t",
        "\r",
        ":",
        "#",
        "-",
        "'",
        '"',
        "é",
        "\u2028",
        "\x85",
        "\ufeff",
        "\U0001f600",
        "{",
        "|",
        "\x00",
        "\uffff",
        "\xa0",
        "~",
    ]
    rnd = random.Random(9)
    for _ in range(3000):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10)))
        for allow_unicode in (True, False):
            data = {"k": s, "l": [s, {s: s}]}
            assert _dump(data, render._Dumper, allow_unicode) == _dump(data, _StockDumper, allow_unicode), (
                repr(s)
            )


def test_obsgen_backfill_has_one_recorded_series_per_slo() -> None:
    """A recording the SLOs of a service share is backfilled per SLO, as Prometheus records it."""
    catalog = load_catalog(bench_generate.synth_catalog(2), "synth.yaml")
    rule_file: dict[str, Any] = {"groups": []}
    for data in bench_rules.obsgen_rule_files(catalog).values():
        rule_file["groups"] += yaml.safe_load(data)["groups"]
    recorded = bench_rules.obsgen_recordings_read_over_ranges(catalog, rule_file)
    by_service = {(r["__name__"], r["service"], r["slo"]) for r in recorded}
    assert len(by_service) == len(recorded) == 2 * 2 * 2  # errors and requests x 2 SLOs x 2 services


def test_each_rule_set_is_measured_per_real_interval() -> None:
    """Every group lands in exactly one part, the part of its own interval; kinds are told apart."""
    catalog = load_catalog(bench_generate.synth_catalog(3), "synth.yaml")
    rule_file: dict[str, Any] = {"groups": []}
    for data in bench_rules.obsgen_rule_files(catalog).values():
        rule_file["groups"] += yaml.safe_load(data)["groups"]
    rule_file, real = bench_rules.with_interval(rule_file, 2.0)
    parts = bench_rules.split_by_interval(rule_file, real)
    assert sorted(parts) == [30.0, 300.0, 1800.0]  # fast, slow, budget
    names = [g["name"] for part in parts.values() for g in part["groups"]]
    assert sorted(names) == sorted(g["name"] for g in rule_file["groups"])
    for interval, part in parts.items():
        assert all(real[g["name"]] == interval for g in part["groups"])
    kinds = {
        interval: {bench_rules.group_kind(g["name"]) for g in part["groups"]}
        for interval, part in parts.items()
    }
    assert kinds == {30.0: {"obsgen fast"}, 300.0: {"obsgen slow"}, 1800.0: {"obsgen budget"}}
    sloth = bench_rules.sloth_rules(catalog)
    assert {bench_rules.group_kind(g["name"]) for g in sloth["groups"]} == {
        "Sloth sli recordings",
        "Sloth meta recordings",
        "Sloth alerts",
    }


def test_recordings_are_backfilled_over_their_own_history() -> None:
    """Production retention: raw series over the raw history, recordings over the SLO period."""
    catalog = load_catalog(bench_generate.synth_catalog(1), "synth.yaml")
    recorded = [{"__name__": "slo:sli_errors:rate1m", "service": "svc-00000", "slo": "availability"}]
    text = "".join(bench_rules.openmetrics(catalog, recorded, 10_000, 10_060, 30, recorded_start=9_000))
    raw_times = {
        int(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("http_requests_total")
    }
    rec_times = {
        int(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("slo:sli_errors")
    }
    assert raw_times == {10_000, 10_015, 10_030, 10_045, 10_060}
    assert min(rec_times) == 9_000 and max(rec_times) == 10_050 and len(rec_times) == 36
