"""Generation: ``obsgen generate`` on synthesised catalogs vs the C floor of serialising its output.

For each size, in fresh subprocesses (so peak memory is that size's own):

* **pipeline**: catalog bytes -> model -> every generator -> ``{path: bytes}`` in memory
  (``load_catalog`` + the generators + ``serialise``), split into its phases;
* **floor**: the same final objects serialised with the fastest serialisers available: libyaml's C
  emitter (``yaml.CSafeDumper``) for YAML, ``orjson`` (2-space indent, sorted keys) for JSON, text
  encoded.  Dashboards, their ConfigMaps, rule files and PrometheusRules are serialised from their
  objects (obsgen serialises them inside the generator and hands over text: see ``text_sources``).
* **cli**: ``obsgen generate CATALOG --out TMP`` as its own process (reads the file, writes through
  the writer into an empty directory): its CPU time and peak RSS from ``os.wait4``.

All times are CPU time of the measuring process (``time.process_time``), not wall time: the machine
is shared.  Pipeline and floor alternate round by round; ratios are taken per round (min/median/max).
Generation and the floor both run under ``obsgen.gcpolicy.generating`` (the collector settings
``obsgen generate`` and ``check`` use once the catalog is loaded).

    .venv/bin/python -m bench.bench_generate [--quick]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

import orjson
import yaml

from obsgen import conventions as C
from obsgen import gcpolicy
from obsgen.catalog import load_catalog
from obsgen.generate import Generator, generate, generators
from obsgen.generate.alerting.kubernetes import prometheus_rule
from obsgen.generate.alerting.rules import rule_groups
from obsgen.generate.artifacts import Artifact, Json, Text, Yaml, YamlDocuments, serialise
from obsgen.generate.dashboards import dashboards, provisioning
from obsgen.model import Catalog

ROOT = Path(__file__).resolve().parent.parent
FULL_SIZES = (100, 1000, 10000)
QUICK_SIZES = (100,)
#: Rounds (pipeline + floor, alternating) per size.
FULL_ROUNDS = {100: 5, 1000: 3, 10000: 1}
QUICK_ROUNDS = {100: 1}
#: Goals of issue 19.
GOAL_FLOOR_RATIO = 2.0
GOAL_LINEAR = 1.1  # CPU per service at 10,000 within 10 % of that at 1,000
GOAL_RSS_MIB = 150.0
GOAL_SIZE = 1000

_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
_OBJECTIVES = (99.9, 99.5, 99.95, 99.0)


def synth_catalog(services: int) -> bytes:
    """A valid obsgen/v1 catalog with ``services`` services (two SLOs each) and one team per ten."""
    teams = max(1, services // 10)
    lines = [
        "apiVersion: obsgen/v1",
        "slo_period: 30d",
        "grafana_url: https://grafana.example.com",
        "environments:",
        "  prod: {log_level: info}",
        "  dev: {log_level: debug}",
        "teams:",
    ]
    for t in range(teams):
        lines += [
            f"  team-{t}:",
            f'    slack_channel: "#team-{t}-oncall"',
            f"    pagerduty_service: team-{t}",
        ]
    lines.append("services:")
    for i in range(services):
        name = f"svc-{i:05d}"
        threshold_ms = round(_BUCKETS[3 + i % 4] * 1000)
        lines += [
            f"  {name}:",
            f"    team: team-{i % teams}",
            f"    description: Synthetic service {i}",
            f"    runbook_url: https://runbooks.example.com/{name}",
            "    metrics:",
            "      buckets: [" + ", ".join(str(b) for b in _BUCKETS) + "]",
            f"    alerting: {{page: {'true' if i % 5 else 'false'}, ticket: true}}",
            "    slos:",
            f"      availability: {{kind: availability, objective: {_OBJECTIVES[i % 4]}}}",
            f"      latency: {{kind: latency, objective: 99, threshold: {threshold_ms}ms}}",
            "    logs:",
            "      fields: [url, retries, error_code]",
            f'    targets: ["{name}-a:8000", "{name}-b:8000"]',
        ]
    lines += [
        "resources:",
        "  nodes: {kind: node, job: node}",
        "  containers: {kind: container, job: cadvisor}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def artifacts(catalog: Catalog, gens: list[tuple[str, Generator]] | None = None) -> dict[str, Artifact]:
    """Every generator's artifacts, before serialisation."""
    out: dict[str, Artifact] = {}
    for _, gen in gens if gens is not None else generators():
        out.update(gen(catalog))
    return out


_FLOOR_YAML: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_ORJSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def text_sources(catalog: Catalog, arts: dict[str, Artifact]) -> dict[str, Artifact]:
    """The data behind the files obsgen serialises inside a generator (its artifact is their text), by path.

    The dashboards (JSON, serialised as they are built), their ConfigMaps (around that JSON text),
    the rule files and the PrometheusRules (the rule file's text is the resource's ``spec``): the
    floor serialises these objects, so the comparison stays between the same final objects.
    ``arts``: the pipeline's artifacts (the ConfigMaps' data is the dashboards' text in them).
    """
    sources: dict[str, Artifact] = {}
    for path, board in dashboards(catalog).items():
        sources[path] = Json(board)
        configmap = C.dashboard_configmap_path(PurePosixPath(path).stem)
        written = arts.get(path)
        if configmap in arts and isinstance(written, Text):
            name = PurePosixPath(path).stem
            sources[configmap] = Yaml(provisioning.configmap(name, written.text))
    for service in catalog.services:
        groups = rule_groups(catalog, service)
        if groups:
            sources[C.alert_rules_path(service.name)] = Yaml({"groups": groups})
            if catalog.wants("kubernetes"):
                resource = prometheus_rule(service, groups)
                sources[C.k8s_prometheusrule_path(service.name)] = YamlDocuments([resource])
    return sources


def floor_serialise(arts: dict[str, Artifact], sources: dict[str, Artifact]) -> int:
    """Serialise the artifacts' objects with libyaml's C dumper and orjson; returns the bytes produced.

    ``sources`` holds, by path, the objects of the artifacts obsgen hands over as text
    (:func:`text_sources`).
    """
    total = 0
    for path, given in arts.items():
        artifact = sources.get(path, given)
        if isinstance(artifact, Json):
            total += len(orjson.dumps(artifact.data, option=_ORJSON_OPTIONS))
        elif isinstance(artifact, Yaml):
            total += len(
                yaml.dump(
                    artifact.data, Dumper=_FLOOR_YAML, sort_keys=False, allow_unicode=True, encoding="utf-8"
                )
            )
        elif isinstance(artifact, YamlDocuments):
            total += len(
                yaml.dump_all(
                    artifact.documents,
                    Dumper=_FLOOR_YAML,
                    sort_keys=False,
                    allow_unicode=True,
                    encoding="utf-8",
                )
            )
        else:
            total += len(artifact.text.encode("utf-8"))
    return total


def _cpu() -> float:
    return time.process_time()


def measure(services: int, rounds: int) -> dict[str, Any]:
    """CPU seconds of every phase for one catalog size, ``rounds`` times, pipeline and floor alternating."""
    data = synth_catalog(services)
    gens = generators()
    t: dict[str, list[float]] = {k: [] for k in ("load", "generators", "serialise", "pipeline", "floor")}
    per_gen: dict[str, list[float]] = {name: [] for name, _ in gens}
    files = out_bytes = floor_bytes = 0
    for _ in range(rounds):
        c0 = _cpu()
        with gcpolicy.loading():  # as `obsgen generate` loads the catalog
            catalog = load_catalog(data, "catalog.yaml")
        c1 = _cpu()
        arts: dict[str, Artifact] = {}
        with gcpolicy.generating():  # as `obsgen generate` runs the generators and the writer
            for name, gen in gens:
                g0 = _cpu()
                arts.update(gen(catalog))
                per_gen[name].append(_cpu() - g0)
            c2 = _cpu()
            out = [serialise(a) for a in arts.values()]
            c3 = _cpu()
        files, out_bytes = len(out), sum(len(b) for b in out)
        del out
        t["load"].append(c1 - c0)
        t["generators"].append(c2 - c1)
        t["serialise"].append(c3 - c2)
        t["pipeline"].append(c3 - c0)
        # The floor: the same objects (dashboards, rule files, PrometheusRules as data), the fastest serialisers.
        sources = text_sources(catalog, arts)
        with gcpolicy.generating():  # the floor under the same collector settings as the pipeline
            f0 = _cpu()
            floor_bytes = floor_serialise(arts, sources)
            t["floor"].append(_cpu() - f0)
        del arts, sources, catalog
    return {
        "services": services,
        "catalog_bytes": len(data),
        "files": files,
        "output_bytes": out_bytes,
        "floor_bytes": floor_bytes,
        "seconds": t,
        "generators": {name: statistics.median(v) for name, v in per_gen.items()},
        "rounds": rounds,
    }


def _run_child(args: list[str]) -> tuple[str, float, float]:
    """Run ``args`` as a child process; its stdout, CPU seconds (user + system) and peak RSS (MiB)."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{err.decode()[-4000:]}")
        out.seek(0)
        # ru_maxrss is in KiB on Linux.
        return out.read().decode(), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def measure_in_subprocess(services: int, rounds: int) -> dict[str, Any]:
    """The phases in one child, then ``obsgen generate`` as another (its own CPU and peak RSS)."""
    stdout, _, _ = _run_child(
        [sys.executable, "-m", "bench.bench_generate", "--one", str(services), "--rounds", str(rounds)]
    )
    parsed: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    obsgen = Path(sys.executable).with_name("obsgen")
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-") as tmp:
        catalog_file = Path(tmp) / "catalog.yaml"
        catalog_file.write_bytes(synth_catalog(services))
        _, cpu, rss = _run_child(
            [str(obsgen), "generate", str(catalog_file), "--out", str(Path(tmp) / "out")]
        )
    parsed["cli_cpu"] = cpu
    parsed["cli_rss_mib"] = rss
    return parsed


def profile(services: int, top: int = 12) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """cProfile of the in-memory pipeline: own time by area, and the functions with the most own time."""
    data = synth_catalog(services)
    profiler = cProfile.Profile()
    profiler.enable()
    with gcpolicy.loading():
        catalog = load_catalog(data, "catalog.yaml")
    with gcpolicy.generating():
        generate(catalog)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    rows = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        areas[_area(file)] = areas.get(_area(file), 0.0) + tottime / total
        rows.append(
            {
                "function": f"{_short(file)}:{line}({func})",
                "calls": calls,
                "own_share": tottime / total,
                "cum_share": cumtime / total,
            }
        )
    rows.sort(key=lambda r: r["own_share"], reverse=True)
    # Callers of the stdlib json.dumps (the dashboards' JSON round trip), by cumulative share.
    for (file, _, func), entry in stats.stats.items():  # type: ignore[attr-defined]
        if func == "dumps" and file.endswith("json/__init__.py"):
            for (cfile, cline, cfunc), (_, _, _, ct) in entry[4].items():
                rows.append(
                    {
                        "function": f"json.dumps <- {_short(cfile)}:{cline}({cfunc})",
                        "calls": 0,
                        "own_share": 0.0,
                        "cum_share": ct / total,
                    }
                )
    top_rows = (
        rows[:top]
        + sorted(
            (r for r in rows[top:] if r["function"].startswith("json.dumps <-")),
            key=lambda r: r["cum_share"],
            reverse=True,
        )[:4]
    )
    return dict(sorted(areas.items(), key=lambda kv: kv[1], reverse=True)), top_rows


def _short(file: str) -> str:
    for marker in ("/site-packages/", "/obsgen/"):
        if marker in file:
            return ("" if marker == "/site-packages/" else "obsgen/") + file.split(marker, 1)[1]
    return file


def _area(file: str) -> str:
    if "/json/" in file:
        return "json (stdlib)"
    if file == "~":
        return "builtins (len, isinstance, str methods)"
    short = _short(file)
    if short.startswith("yaml/"):
        return "PyYAML"
    if short.startswith("jinja2/") or short.startswith("markupsafe/"):
        return "jinja2"
    if short.startswith("obsgen/"):
        parts = short.split("/")
        return "/".join(parts[:3]) if parts[1] == "generate" and len(parts) > 3 else "/".join(parts[:2])
    return "other stdlib"


def _stats(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def run(quick: bool) -> dict[str, Any]:
    """The generation benchmark: per-size results, per-round ratios, scaling and (full runs) a profile."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    rows = []
    for size in sizes:
        row = measure_in_subprocess(size, rounds[size])
        s = row["seconds"]
        row["ratio"] = _stats([p / f for p, f in zip(s["pipeline"], s["floor"], strict=True)])
        row["pipeline"] = _stats(s["pipeline"])
        row["floor"] = _stats(s["floor"])
        row["ratio_cli"] = row["cli_cpu"] / row["floor"]["median"]
        print(
            f"generate {size:>6} services: {row['files']} files, pipeline {row['pipeline']['median']:.2f} s CPU "
            f"({row['ratio']['median']:.2f}x the C floor), floor {row['floor']['median']:.2f} s, "
            f"obsgen generate {row['cli_cpu']:.2f} s ({row['ratio_cli']:.2f}x), peak RSS {row['cli_rss_mib']:.0f} MiB",
            file=sys.stderr,
        )
        rows.append(row)
    result: dict[str, Any] = {"sizes": list(sizes), "rows": rows, "quick": quick}
    by = {r["services"]: r for r in rows}
    if 1000 in by and 10000 in by:
        per = {n: by[n]["pipeline"]["median"] / n for n in (1000, 10000)}
        result["linear"] = per[10000] / per[1000]
    if not quick:
        result["profile_services"] = GOAL_SIZE
        result["areas"], result["hotspots"] = profile(GOAL_SIZE)
    return result


def markdown(result: dict[str, Any]) -> str:
    rows = result["rows"]
    lines = [
        "Synthesised catalogs (`bench.bench_generate.synth_catalog`: two SLOs per service, one team per ten "
        "services, two environments). **CPU time** (`time.process_time`; `os.wait4` for the `obsgen generate` "
        "process), never wall time. The *C floor* serialises the same final objects with libyaml's C emitter "
        "(`yaml.CSafeDumper`) and `orjson` (dashboards, their ConfigMaps, rule files and PrometheusRules from their objects); the *pipeline* is catalog bytes -> "
        "`{path: bytes}` in memory (load + generators + serialisation); both run under the collector settings of "
        "`obsgen generate` (`obsgen.gcpolicy`). Pipeline and floor alternate in one "
        "process, round by round; the ratio is per round, min / **median** / max. `obsgen generate` runs as its "
        "own process (interpreter start-up, reading the catalog, the writer into an empty directory): its CPU "
        "over the floor's median, and its peak RSS (`ru_maxrss`).",
        "",
        "| services | files | output | rounds | pipeline CPU (median) | C floor CPU (median) "
        "| pipeline / floor: min / **median** / max | `obsgen generate` CPU | generate / floor | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["ratio"]
        lines.append(
            f"| {r['services']:,} | {r['files']:,} | {r['output_bytes'] / 2**20:.1f} MiB | {r['rounds']} "
            f"| {r['pipeline']['median']:.2f} s | {r['floor']['median']:.2f} s "
            f"| {ratio['min']:.2f}x / **{ratio['median']:.2f}x** / {ratio['max']:.2f}x "
            f"| {r['cli_cpu']:.2f} s | {r['ratio_cli']:.2f}x | {r['cli_rss_mib']:.0f} MiB |"
        )
    by = {r["services"]: r for r in rows}
    lines.append("")
    if GOAL_SIZE in by:
        goal = by[GOAL_SIZE]
        lines += [
            f"- At {GOAL_SIZE:,} services: pipeline **{goal['ratio']['median']:.2f}x** the C floor, "
            f"`obsgen generate` {goal['ratio_cli']:.2f}x (goal <= {GOAL_FLOOR_RATIO:g}x: "
            f"{_verdict(goal['ratio']['median'] <= GOAL_FLOOR_RATIO)}); peak RSS {goal['cli_rss_mib']:.0f} MiB "
            f"(goal <= {GOAL_RSS_MIB:g} MiB: {_verdict(goal['cli_rss_mib'] <= GOAL_RSS_MIB)}).",
        ]
    if "linear" in result:
        lines.append(
            f"- Linear to 10,000: pipeline CPU per service at 10,000 is **{result['linear']:.2f}x** that at 1,000 "
            f"(goal <= {GOAL_LINEAR:g}x: {_verdict(result['linear'] <= GOAL_LINEAR)})."
        )
    lines += [
        "",
        "Phases (median CPU seconds):",
        "",
        "| services | load catalog | generators | serialise | C floor | "
        + " | ".join(f"`{_gen_label(n)}`" for n in rows[0]["generators"])
        + " |",
        "|---|---|---|---|---|" + "---|" * len(rows[0]["generators"]),
    ]
    for r in rows:
        s = {k: statistics.median(v) for k, v in r["seconds"].items()}
        lines.append(
            f"| {r['services']:,} | {s['load']:.2f} | {s['generators']:.2f} | {s['serialise']:.2f} | {s['floor']:.2f} | "
            + " | ".join(f"{v:.2f}" for v in r["generators"].values())
            + " |"
        )
    if "areas" in result:
        lines += [
            "",
            f"cProfile of the in-memory pipeline at {result['profile_services']:,} services, own time by area "
            "(cProfile inflates many small Python calls relative to C calls; the phase table above is the "
            "unprofiled split):",
            "",
            "| area | share |",
            "|---|---|",
            *[f"| {area} | {share:.0%} |" for area, share in result["areas"].items() if share >= 0.005],
            "",
            "Functions with the most own time:",
            "",
            "| function | calls | own | cumulative |",
            "|---|---|---|---|",
            *[
                f"| `{h['function']}` | {h['calls'] or ''} | {h['own_share'] or 0:.1%} | {h['cum_share']:.1%} |"
                for h in result["hotspots"]
            ],
        ]
    return "\n".join(lines) + "\n"


def _gen_label(module: str) -> str:
    return module.removeprefix("obsgen.generate.")


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.rounds)))
        return 0
    print(markdown(run(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
