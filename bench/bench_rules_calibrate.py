"""What a part of obsgen's fast rule group costs Prometheus, per group evaluation (calibration).

    .venv/bin/python -m bench.bench_rules_calibrate [--services 4] [--seconds 40]

On the data ``bench_rules`` measures at production retention (raw series 3 d, recordings 30 d, raw
series then scraped live), one Prometheus per variant of the fast groups (every rule of them, the base
recordings only, the ratio recordings only, the page alerts only, the target alerts only, four
trivial rules ``vector(1) == 0``) and one with no rules, side by side, every group every second.
Reported: process CPU per group evaluation over the no-rules process.  Not run by ``bench.run``: it
explains a figure of it (BENCHMARKS.md, "What a rule costs Prometheus").
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench import bench_rules as B
from bench.bench_generate import synth_catalog
from obsgen.catalog import load_catalog

Rule = dict[str, Any]


def variants(fast: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rule files made of parts of the fast groups."""

    def only(keep: Callable[[Rule], bool]) -> dict[str, Any]:
        groups = []
        for group in fast:
            rules = [r for r in group["rules"] if keep(r)]
            if rules:
                groups.append({**copy.deepcopy(group), "rules": copy.deepcopy(rules)})
        return {"groups": groups}

    return {
        "the whole fast group": only(lambda r: True),
        "base recordings (`slo:sli_*:rate1m`)": only(lambda r: str(r.get("record", "")).endswith(":rate1m")),
        "ratio recordings (page windows)": only(lambda r: "ratio_rate" in str(r.get("record", ""))),
        "page alerts": only(lambda r: r.get("alert") == "SLOErrorBudgetBurn"),
        "target alerts": only(lambda r: str(r.get("alert", "")).startswith("Service")),
        "four rules `vector(1) == 0`": {
            "groups": [
                {
                    "name": g["name"],
                    "rules": [{"alert": f"Never{i}", "expr": "vector(1) == 0"} for i in range(4)],
                }
                for g in fast
            ]
        },
    }


def measure(services: int, seconds: float) -> list[dict[str, Any]]:
    catalog = load_catalog(synth_catalog(services), "catalog.yaml")
    rule_file: dict[str, Any] = {"groups": []}
    for data in B.obsgen_rule_files(catalog).values():
        rule_file["groups"] += yaml.safe_load(data)["groups"]
    recorded = B.obsgen_recordings_read_over_ranges(catalog, rule_file)
    fast = [g for g in rule_file["groups"] if B.group_kind(g["name"]) == "obsgen fast"]
    raw, recorded_history, _ = B.RETENTION
    cycle = 1.0
    rows = []
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-calibrate-") as tmp:
        work = Path(tmp)
        now = int(time.time())
        start = now - raw
        blocks, _ = B.backfill(
            work, B.openmetrics(catalog, recorded, start, now, int(B.REAL_CYCLE), now - recorded_history)
        )
        exporter = B.Exporter(B.raw_series(catalog), start)
        parts = {name: B.with_interval(v, cycle)[0] for name, v in variants(fast).items()}
        servers = {"baseline": B.Prometheus("baseline", work, blocks, None, cycle, exporter.address)}
        for i, (name, part) in enumerate(parts.items()):
            servers[name] = B.Prometheus(f"variant-{i}", work, blocks, part, cycle, exporter.address)
        try:
            for server in servers.values():
                server.wait_ready()
            B.wait_for(lambda: time.time() >= now + 2 * B.SCRAPE_SECONDS + 5, "two scrapes", 600)
            cpu0 = {k: B.cpu_seconds(s.proc.pid) for k, s in servers.items()}
            it0 = {k: s.iterations() for k, s in servers.items() if k != "baseline"}
            time.sleep(seconds)
            cpu = {k: B.cpu_seconds(s.proc.pid) - cpu0[k] for k, s in servers.items()}
            for name, part in parts.items():
                evaluations = servers[name].iterations() - it0[name]
                groups = len(part["groups"])
                rows.append(
                    {
                        "variant": name,
                        "groups": groups,
                        "rules": sum(len(g["rules"]) for g in part["groups"]),
                        "ms_per_group_evaluation": (cpu[name] - cpu["baseline"])
                        / evaluations
                        / groups
                        * 1000,
                    }
                )
        finally:
            for server in servers.values():
                server.stop()
            exporter.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--services", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    rows = measure(args.services, args.seconds)
    print("| variant of the fast groups | groups | rules | process CPU per group evaluation |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['variant']} | {r['groups']} | {r['rules']} | {r['ms_per_group_evaluation']:.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
