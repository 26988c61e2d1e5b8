"""Generation scaling: ``obsgen generate`` on synthesised catalogs vs the floor of serialising its output.

For each size the measurement runs in a fresh subprocess (so peak memory is that size's own):

* **pipeline**: catalog bytes -> model -> every generator -> ``{path: bytes}`` in memory
  (``load_catalog`` + ``obsgen.generate.generate``), split into its phases;
* **cli**: ``obsgen generate CATALOG --out TMP`` in-process (reads the file, writes through the writer:
  temp file + fsync + rename per file, manifest) into an empty directory;
* **floor**: the same final objects (the generators' artifacts, taken before serialisation) dumped with
  ``json.dumps`` and PyYAML's ``yaml.dump`` (``SafeDumper``), text artifacts encoded.  Reported too: the
  libyaml floor (``CSafeDumper``), which cannot reproduce obsgen's YAML style byte for byte.

Every time is the best of ``repeat`` interleaved runs; ratios are taken within one run.

    .venv/bin/python -m bench.bench_generate [--sizes 100 1000 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from obsgen import cli, render
from obsgen.catalog import load_catalog
from obsgen.generate import Generator, generate, generators
from obsgen.generate.artifacts import Artifact, Json, Yaml, YamlDocuments, serialise
from obsgen.model import Catalog

FULL_SIZES = (100, 1000, 5000)
QUICK_SIZES = (10, 100)
#: Goals of issue 9.
GOAL_FLOOR_RATIO = 2.0
GOAL_SCALING = 11.0

T = TypeVar("T")

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
        lines += [f"  team-{t}:", f'    slack_channel: "#team-{t}-oncall"', f"    pagerduty_service: team-{t}"]
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
    lines += ["resources:", "  nodes: {kind: node, job: node}", "  containers: {kind: container, job: cadvisor}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def artifacts(catalog: Catalog, gens: list[tuple[str, Generator]] | None = None) -> dict[str, Artifact]:
    """Every generator's artifacts, before serialisation."""
    out: dict[str, Artifact] = {}
    for _, gen in gens if gens is not None else generators():
        out.update(gen(catalog))
    return out


def floor_serialise(arts: dict[str, Artifact], dumper: type[yaml.SafeDumper] | Any = yaml.SafeDumper) -> int:
    """Dump the artifacts' data the plain way; returns the bytes produced (kept so nothing is skipped)."""
    total = 0
    for artifact in arts.values():
        if isinstance(artifact, Json):
            text = json.dumps(artifact.data, indent=2, sort_keys=True, ensure_ascii=False)
        elif isinstance(artifact, Yaml):
            text = yaml.dump(artifact.data, Dumper=dumper, sort_keys=False, allow_unicode=True)
        elif isinstance(artifact, YamlDocuments):
            text = yaml.dump_all(artifact.documents, Dumper=dumper, sort_keys=False, allow_unicode=True)
        else:
            text = artifact.text
        total += len(text.encode("utf-8"))
    return total


def _clock(times: list[float], fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, its wall time appended to ``times``."""
    start = time.perf_counter()
    result = fn(*args)
    times.append(time.perf_counter() - start)
    return result


def _serialise_all(arts: dict[str, Artifact]) -> list[bytes]:
    return [serialise(a) for a in arts.values()]


def _cli_generate(catalog_file: Path, out: Path) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return cli.run(["generate", str(catalog_file), "--out", str(out)])


def measure(services: int, repeat: int) -> dict[str, Any]:
    """Time every phase for one catalog size in this process (call it in a fresh one)."""
    data = synth_catalog(services)
    gens = generators()
    c_dumper = getattr(yaml, "CSafeDumper", None)
    t: dict[str, list[float]] = {
        k: [] for k in ("load", "generators", "serialise", "pipeline", "cli", "floor", "floor_libyaml")
    }
    per_gen: dict[str, list[float]] = {name: [] for name, _ in gens}
    files = 0
    out_bytes = 0
    floor_bytes = 0
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-") as tmp:
        catalog_file = Path(tmp) / "catalog.yaml"
        catalog_file.write_bytes(data)
        for r in range(repeat):
            # Every repetition starts as cold as a fresh `obsgen generate` process: render memoises
            # scalar analyses for the life of the process, which would flatter the later repetitions.
            render._ANALYSES.clear()
            # Phases, one after the other, as generate() runs them.
            catalog = _clock(t["load"], load_catalog, data, "catalog.yaml")
            arts: dict[str, Artifact] = {}
            start = time.perf_counter()
            for name, gen in gens:
                g0 = time.perf_counter()
                arts.update(gen(catalog))
                per_gen[name].append(time.perf_counter() - g0)
            t["generators"].append(time.perf_counter() - start)
            out = _clock(t["serialise"], _serialise_all, arts)
            files, out_bytes = len(out), sum(len(b) for b in out)
            del out
            # The in-memory pipeline is these three phases (generate() only adds a sort).
            t["pipeline"].append(t["load"][-1] + t["generators"][-1] + t["serialise"][-1])
            # End to end through the writer, into an empty directory.
            render._ANALYSES.clear()
            code = _clock(t["cli"], _cli_generate, catalog_file, Path(tmp) / f"out-{r}")
            if code != 0:
                raise RuntimeError(f"obsgen generate exited {code}")
            # The floors, on the same objects.
            floor_bytes = _clock(t["floor"], floor_serialise, arts)
            if c_dumper is not None:
                _clock(t["floor_libyaml"], floor_serialise, arts, c_dumper)
    best = {k: min(v) for k, v in t.items() if v}
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "services": services,
        "catalog_bytes": len(data),
        "files": files,
        "output_bytes": out_bytes,
        "floor_bytes": floor_bytes,
        "seconds": best,
        "generators": {name: min(v) for name, v in per_gen.items()},
        "peak_rss_mib": round(rss_mib, 1),
        "repeat": repeat,
    }


def measure_in_subprocess(services: int, repeat: int) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_generate", "--one", str(services), "--repeat", str(repeat)],
        capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parent.parent,
    )
    if result.returncode != 0:
        raise RuntimeError(f"generation bench at {services} services failed:\n{result.stderr}")
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def profile(services: int, top: int = 12) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """cProfile of the in-memory pipeline: own time by area, and the functions with the most own time."""
    data = synth_catalog(services)
    profiler = cProfile.Profile()
    profiler.enable()
    generate(load_catalog(data, "catalog.yaml"))
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    rows = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        areas[_area(file)] = areas.get(_area(file), 0.0) + tottime / total
        rows.append({
            "function": f"{_short(file)}:{line}({func})",
            "calls": calls,
            "own_share": tottime / total,
            "cum_share": cumtime / total,
        })
    rows.sort(key=lambda r: r["own_share"], reverse=True)
    # Who pays for the pure-Python JSON encoder: callers of json.dumps, by cumulative share.
    for (file, _, func), entry in stats.stats.items():  # type: ignore[attr-defined]
        if func == "dumps" and file.endswith("json/__init__.py"):
            for (cfile, cline, cfunc), (_, _, _, ct) in entry[4].items():
                rows.append({"function": f"json.dumps <- {_short(cfile)}:{cline}({cfunc})", "calls": 0,
                             "own_share": 0.0, "cum_share": ct / total})
    top_rows = rows[:top] + sorted((r for r in rows[top:] if r["function"].startswith("json.dumps <-")),
                                   key=lambda r: r["cum_share"], reverse=True)[:4]
    return dict(sorted(areas.items(), key=lambda kv: kv[1], reverse=True)), top_rows


def _short(file: str) -> str:
    for marker in ("/site-packages/", "/obsgen/"):
        if marker in file:
            return ("" if marker == "/site-packages/" else "obsgen/") + file.split(marker, 1)[1]
    return file


def _area(file: str) -> str:
    if "/json/" in file:
        return "json (stdlib; indent=2 runs its pure-Python encoder)"
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


def run(quick: bool) -> dict[str, Any]:
    """The generation benchmark: per-size results, ratios, scaling and (full runs) a profile."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    repeats = {size: 1 if quick else (3 if size <= 100 else 1) for size in sizes}
    rows = []
    for size in sizes:
        row = measure_in_subprocess(size, repeats[size])
        s = row["seconds"]
        row["ratio_pipeline"] = s["pipeline"] / s["floor"]
        row["ratio_cli"] = s["cli"] / s["floor"]
        row["ratio_floor_libyaml"] = s.get("floor_libyaml", float("nan")) / s["floor"]
        print(
            f"generate {size:>5} services: {row['files']} files, pipeline {s['pipeline']:.3f}s "
            f"({row['ratio_pipeline']:.2f}x floor), cli {s['cli']:.3f}s ({row['ratio_cli']:.2f}x), "
            f"floor {s['floor']:.3f}s, peak RSS {row['peak_rss_mib']} MiB",
            file=sys.stderr,
        )
        rows.append(row)
    small, mid = sizes[0], sizes[1]
    by = {r["services"]: r for r in rows}
    result: dict[str, Any] = {
        "sizes": list(sizes),
        "rows": rows,
        "scaling": {
            "from": small,
            "to": mid,
            "pipeline": by[mid]["seconds"]["pipeline"] / by[small]["seconds"]["pipeline"],
            "cli": by[mid]["seconds"]["cli"] / by[small]["seconds"]["cli"],
            "floor": by[mid]["seconds"]["floor"] / by[small]["seconds"]["floor"],
        },
        "goal_size": mid,
    }
    if not quick:
        result["profile_services"] = 1000
        result["areas"], result["hotspots"] = profile(1000)
    return result


def markdown(result: dict[str, Any]) -> str:
    rows = result["rows"]
    lines = [
        "Synthesised catalogs (`bench.bench_generate.synth_catalog`: two SLOs per service, one team per ten "
        "services, two environments). Best of the runs shown; one subprocess per size (peak RSS is that process's, interpreter "
        "included). The pipeline is catalog bytes -> `{path: bytes}` in memory; `obsgen generate` adds reading the "
        "file and the writer (temp file, fsync, rename per file) into an empty directory.",
        "",
        "| services | files | output | pipeline (bytes -> bytes in memory) | `obsgen generate` via writer "
        "| floor (json + yaml dump) | pipeline / floor | generate / floor | libyaml floor / floor "
        "| peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["seconds"]
        lines.append(
            f"| {r['services']:,} | {r['files']:,} | {r['output_bytes'] / 2**20:.1f} MiB | {s['pipeline']:.3f} s "
            f"| {s['cli']:.3f} s | {s['floor']:.3f} s | **{r['ratio_pipeline']:.2f}x** | {r['ratio_cli']:.2f}x "
            f"| {r['ratio_floor_libyaml']:.2f}x | {r['peak_rss_mib']:.0f} MiB |"
        )
    sc = result["scaling"]
    goal = next(r for r in rows if r["services"] == result["goal_size"])
    lines += [
        "",
        f"- Scaling t({sc['to']:,})/t({sc['from']:,}): pipeline **{sc['pipeline']:.2f}x**, `obsgen generate` "
        f"{sc['cli']:.2f}x, floor {sc['floor']:.2f}x (goal <= {GOAL_SCALING:g}x: "
        f"{_verdict(sc['pipeline'] <= GOAL_SCALING)}).",
        f"- At {goal['services']:,} services the pipeline is {goal['ratio_pipeline']:.2f}x the floor and "
        f"`obsgen generate` through the writer {goal['ratio_cli']:.2f}x (goal <= {GOAL_FLOOR_RATIO:g}x: "
        f"{_verdict(goal['ratio_pipeline'] <= GOAL_FLOOR_RATIO)} in memory, "
        f"{_verdict(goal['ratio_cli'] <= GOAL_FLOOR_RATIO)} through the writer).",
        "",
        "Phases at each size (seconds):",
        "",
        "| services | load catalog | generators (data) | serialise | floor | " +
        " | ".join(f"`{_gen_label(n)}`" for n in rows[0]["generators"]) + " |",
        "|---|---|---|---|---|" + "---|" * len(rows[0]["generators"]),
    ]
    for r in rows:
        s = r["seconds"]
        lines.append(
            f"| {r['services']:,} | {s['load']:.3f} | {s['generators']:.3f} | {s['serialise']:.3f} | {s['floor']:.3f} | "
            + " | ".join(f"{v:.3f}" for v in r["generators"].values()) + " |"
        )
    if "areas" in result:
        lines += [
            "",
            f"cProfile of the pipeline at {result['profile_services']:,} services, own time by area:",
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.repeat)))
        return 0
    print(markdown(run(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
