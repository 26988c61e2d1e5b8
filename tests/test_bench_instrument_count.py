"""The instruction-count benchmark's request sequence, ratios and goal verdicts (no valgrind run here).

The count itself runs in ``python -m bench.run --quick`` (CI); these check the arithmetic the
verdicts in BENCHMARKS.md rest on, on made-up counts.
"""

from __future__ import annotations

from typing import Any

from bench import bench_instrument_count as count
from bench import run


def _result(per_variant: dict[str, list[list[float]]]) -> dict[str, Any]:
    """A result of two runs: per variant, a list of samples per run."""
    runs = len(next(iter(per_variant.values())))
    return {
        "variants": list(per_variant),
        "missing": [],
        "runs": [{v: samples[i] for v, samples in per_variant.items()} for i in range(runs)],
        "samples": 2,
        "requests": 10,
        "warmup": 10,
        "mix": count.DEFAULT_MIX,
    }


def test_every_variant_gets_the_same_byte_identical_requests() -> None:
    first = count.request_sequence(50, count.DEFAULT_MIX, "127.0.0.1", seed=1)
    assert first == count.request_sequence(50, count.DEFAULT_MIX, "127.0.0.1", seed=1)
    assert first != count.request_sequence(50, count.DEFAULT_MIX, "127.0.0.1", seed=2)
    starts = {raw.split(b" ", 2)[0] + b" " + raw.split(b" ", 2)[1].split(b"?")[0] for raw in first}
    assert starts == {b"POST /predict", b"GET /predict", b"GET /model"}


def test_a_goal_is_met_only_when_every_sample_meets_it() -> None:
    result = _result(
        {
            "none": [[100.0, 100.0], [100.0, 100.0]],
            "metrics": [[104.0, 104.5], [104.2, 105.5]],  # one sample above 1.05x
            "full": [[110.0, 111.0], [110.5, 110.0]],
            "instrumentator": [[120.0, 120.0], [121.0, 119.0]],
            "starlette_exporter": [[104.0, 104.0], [104.0, 104.0]],  # as cheap as obsgen in one sample
        }
    )
    verdicts = {figure: met for figure, _, _, met in count.verdicts(result)}
    assert verdicts == {
        "obsgen metrics only / bare": False,
        "obsgen metrics + access log / bare": True,
        "obsgen metrics only / prometheus-fastapi-instrumentator": True,
        "obsgen metrics only / starlette-exporter": False,
    }
    ratios = count.ratios(result, "metrics", "none")
    assert ratios == [1.04, 1.045, 1.042, 1.055]
    assert abs(count.spread_pct([100.0, 100.5, 101.0]) - 1.0 / 1.005) < 1e-9


def test_the_markdown_table_and_the_goal_rows_rest_on_the_count() -> None:
    result = _result(
        {
            "none": [[800_000.0, 800_400.0], [801_000.0, 800_000.0]],
            "metrics": [[832_000.0, 832_400.0], [833_000.0, 832_000.0]],
            "full": [[880_000.0, 880_000.0], [880_000.0, 880_000.0]],
        }
    )
    table = count.markdown(result)
    assert "| bare | 800,350 |" in table
    assert "<= 1.05x: met" in table and "<= 1.15x: met" in table
    assert "Run to run" in table
    rows = run.instrument_rows(
        {
            "count": result,
            "per_request_us": {"none": [10.0, 10.0], "metrics": [12.0, 9.0], "full": [13.0, 9.0]},
        }
    )
    counted = [r for r in rows if "instructions per request" in r]
    assert len(counted) == 2 and all(r.endswith("| met |") for r in counted)
    cpu = [r for r in rows if "CPU time" in r]
    assert cpu and all("(no verdict: see the count)" in r for r in cpu)


def test_without_valgrind_the_cpu_time_gives_the_verdicts() -> None:
    rows = run.instrument_rows(
        {
            "count": {"skipped": "valgrind not found"},
            "per_request_us": {"none": [10.0], "metrics": [10.2], "full": [12.0]},
        }
    )
    assert not any("instructions" in r for r in rows)
    assert any("metrics only" in r and "| met |" in r for r in rows)
    assert any("access log" in r and "**not met**" in r for r in rows)
