"""Run every obsgen benchmark side by side and record the results in BENCHMARKS.md.

    .venv/bin/python -m bench.run              # full run (about half an hour); rewrites BENCHMARKS.md
    .venv/bin/python -m bench.run --quick      # small sizes, few iterations (about a minute)
    .venv/bin/python -m bench.run --quick --no-write   # what CI runs: print only

The three of issue 19 — generation against the C floor, rule evaluation on a real Prometheus
against a Sloth-style rule set, instrumentation against the bare app and the peers — plus the JSON
log line cost, alert detection time and static rule cost.  Every figure is CPU time or a ratio
measured within one run: these machines are shared and noisy, so absolute times do not transfer.
The sections this script owns are replaced; any other section is kept as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import bench_alerts, bench_generate, bench_instrument_count, bench_rules

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
INSTRUMENT_SCRIPT = ROOT / "bench" / "bench_instrument.py"
CHOICES = ("generate", "rules", "instrument", "logline", "alerts")

SECTION_SUMMARY = "## Against the goals"
SECTION_GENERATION = "## Generation"
SECTION_RULE_EVAL = "## Rule evaluation"
SECTION_INSTRUMENT = "## Instrumentation overhead"
SECTION_DETECTION = "## Alert detection"
SECTION_RULE_COST = "## Rule cost"
SECTION_LOG_LINE = "## JSON log line cost"
#: Sections bench.run writes, in the order it creates them (an existing file keeps its order).
OWNED = (
    SECTION_SUMMARY,
    SECTION_GENERATION,
    SECTION_RULE_EVAL,
    SECTION_INSTRUMENT,
    SECTION_LOG_LINE,
    SECTION_DETECTION,
    SECTION_RULE_COST,
)


def machine() -> dict[str, Any]:
    """What ran the benchmarks: enough to tell two runs' machines apart."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


#: bench_instrument_count's arguments: (runs, samples per run, requests per sample, warm-up requests).
COUNT_QUICK = (1, 2, 20, 30)
COUNT_FULL = (2, 3, 300, 300)


def run_instrument_count(quick: bool) -> dict[str, Any]:
    """bench/bench_instrument_count.py: instructions per request under callgrind (deterministic)."""
    why = bench_instrument_count.tools_missing()
    if why is not None:
        return {"skipped": why}
    runs, samples, requests, warmup = COUNT_QUICK if quick else COUNT_FULL
    result = bench_instrument_count.run(runs, samples, requests, warmup)
    result["command"] = (
        "python -m bench.bench_instrument_count"
        f" --runs {runs} --samples {samples} --requests {requests} --warmup {warmup}"
    )
    return result


def instrument_markdown(data: dict[str, Any]) -> str:
    """The instrumentation section: the instruction count (the verdicts) and the CPU time."""
    count = data.get("count", {})
    if "skipped" in count:
        counted = f"Not counted: {count['skipped']}; the goal verdicts fall back to the CPU time below.\n"
    else:
        counted = (
            "**Instructions per request** (the goal verdicts are based on these): the same servers, each "
            "run under `valgrind --tool=callgrind`, counting the instructions the server process executes "
            "while it answers a fixed, byte-identical request sequence, one request at a time on one "
            "keep-alive connection (a pause after each response, so the server is idle when the next arrives), "
            "counting switched on with `callgrind_control` after an uninstrumented "
            "warm-up, uvicorn's 0.1 s tick off. The count does not depend on the machine's load, so the "
            "ratios are exact to the spread shown (samples within a run, and fresh processes run to run); "
            "instructions are not time (a cache miss costs more than an add), which is why the CPU time "
            f"follows. Command: `{count['command']}` (run by `bench.run`).\n\n"
            + bench_instrument_count.markdown(count)
            + "\n"
        )
    return (
        counted
        + "\n**Server CPU time per request** (for reference; its round-to-round spread on a shared machine "
        "is larger than the effects measured, so no verdict rests on it): " + str(data["cpu_markdown"])
    )


def run_instrument(quick: bool) -> dict[str, Any]:
    """Instrumentation overhead: instructions per request (callgrind) and server CPU per request."""
    count = _timed("instrumentation: instructions per request", lambda: run_instrument_count(quick))
    data = run_instrument_cpu(quick, verdicts="skipped" in count)
    data["count"] = count
    data["markdown"] = instrument_markdown(data)
    return data


def run_instrument_cpu(quick: bool, verdicts: bool = True) -> dict[str, Any]:
    """bench/bench_instrument.py: server CPU per request, obsgen vs bare and vs the peers."""
    args = (
        ["--rounds", "1", "--duration", "1", "--rps", "200", "--warmup", "1"] if quick else ["--rounds", "16"]
    )
    if not verdicts:
        args.append("--no-verdicts")
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-") as tmp:
        raw = Path(tmp) / "instrument.json"
        result = subprocess.run(
            [sys.executable, str(INSTRUMENT_SCRIPT), *args, "--json", str(raw)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"bench_instrument.py failed ({result.returncode}):\n{result.stderr[-4000:]}")
        data: dict[str, Any] = json.loads(raw.read_text())
    command = "python bench/bench_instrument.py" + ("".join(f" {a}" for a in args) if args else "")
    data["cpu_markdown"] = (
        "server CPU per request of the demo app (`obsgen.demo.app.create_app`, uvicorn) with obsgen's middleware, "
        'bare (`instrumentation="none"`: same routes, no middleware), and the bare app instrumented by each peer '
        "with its defaults; one server process per variant pinned to one CPU, one long-lived seeded open-loop "
        "load generator on the other, a fixed request rate far below saturation, interleaved rounds with the "
        "order rotating; only the server process's CPU is counted (its threads' `schedstat`). Ratios are per "
        f"round against the bare app in the same round. Command: `{command}` (run by `bench.run`).\n\n"
        + result.stdout.strip()
        + "\n"
    )
    data["args"] = args
    return data


def log_line_cost(quick: bool) -> dict[str, Any]:
    """Microseconds per JSON log line written by obsgen.instrument vs orjson.dumps + os.write of the same data.

    Lines go to /dev/null through the handler configure_logging installs (its direct os.write path),
    so the write syscall is in both; best of several batches.
    """
    import logging

    import orjson

    from obsgen.instrument import AccessLog, configure_logging

    n = 2_000 if quick else 50_000
    batches = 3 if quick else 7
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(service="bench", environment="bench", level="info", stream=sink)
        access = AccessLog()
        app = logging.getLogger("bench.app")
        fd = sink.fileno()
        line = {
            # The access line's own fields (see obsgen.instrument.logs).
            "ts": "2026-01-01T00:00:00.000+00:00",
            "level": "info",
            "msg": "request",
            "logger": "obsgen.access",
            "service": "bench",
            "env": "bench",
            "request_id": "0123456789abcdef0123456789abcdef",
            "method": "GET",
            "route": "/predict",
            "url": "/predict?x=1",
            "status": 200,
            "duration_ms": 12.345,
        }

        def run_access() -> None:
            for _ in range(n):
                access.request(
                    "0123456789abcdef0123456789abcdef", "GET", "/predict", "/predict?x=1", 200, 12.345, None
                )

        def run_app() -> None:
            for _ in range(n):
                app.info("model loaded")

        def run_floor() -> None:
            for _ in range(n):
                os.write(fd, orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))

        def run_stdlib() -> None:
            for _ in range(n):
                os.write(fd, (json.dumps(line) + "\n").encode())

        best: dict[str, float] = {}
        for _ in range(batches):
            for name, fn in (
                ("access", run_access),
                ("app", run_app),
                ("floor", run_floor),
                ("stdlib", run_stdlib),
            ):
                start = time.perf_counter()
                fn()
                us = (time.perf_counter() - start) / n * 1e6
                best[name] = min(best.get(name, us), us)
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_obsgen", False):
                root.removeHandler(handler)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        sink.close()
    return {"us": best, "lines": n, "batches": batches}


def log_line_markdown(result: dict[str, Any]) -> str:
    us = result["us"]
    floor = us["floor"]
    return (
        "Microseconds per JSON line written to /dev/null in one process (best of "
        f"{result['batches']} batches of {result['lines']:,} lines), against the floor of `orjson.dumps` of "
        "an equivalent 12-field dict + `os.write`. Complements the server-level numbers above.\n\n"
        "| line | µs per line | ratio to the orjson floor |\n|---|---|---|\n"
        f"| floor: `orjson.dumps` + `os.write` | {floor:.2f} | 1.00x |\n"
        f"| access line (`AccessLog.request`, obsgen.instrument) | {us['access']:.2f} | {us['access'] / floor:.2f}x |\n"
        f"| application line (`logging.info` through `JsonLogHandler`) | {us['app']:.2f} | {us['app'] / floor:.2f}x |\n"
        f"| stdlib `json.dumps` + `os.write` (for scale) | {us['stdlib']:.2f} | {us['stdlib'] / floor:.2f}x |\n"
    )


def preamble(info: dict[str, Any], quick: bool) -> str:
    load = info["loadavg"]
    return (
        "# Benchmarks\n\n"
        "Reproduce with `.venv/bin/python -m bench.run` (full run, rewrites the sections below that it owns; "
        "`--quick` for small sizes, `--no-write` to print only; CI runs `--quick --no-write`). "
        "Every number that matters is a ratio measured within one run: these machines are shared and noisy, "
        "so absolute times do not transfer.\n\n"
        "Each section says when and where it was measured. "
        f"Last `bench.run`: {info['date']}{' (quick mode)' if quick else ''}; {info['nproc']} CPUs usable "
        f"(nproc) of {info['cpu_count']}, {info['cpu_model']}, Python {info['python']}, {info['platform']}"
        + (f", load average {load[0]:.2f} at start" if load else "")
        + ".\n"
    )


def run_stamp(info: dict[str, Any], quick: bool, only: list[str]) -> str:
    """One line under each section saying when, where and how its numbers were measured."""
    load = info["loadavg"]
    command = (
        "python -m bench.run"
        + (" --quick" if quick else "")
        + "".join(f" --only {o}" for o in only if len(only) < len(CHOICES))
    )
    return (
        f"_Measured {info['date']} with `{command}` on {info['nproc']} CPUs ({info['cpu_model']}), "
        f"Python {info['python']}" + (f", load average {load[0]:.2f} at start" if load else "") + "._"
    )


def split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(preamble, [(heading line, body)]) of a Markdown file split at its level-2 headings."""
    parts = re.split(r"(?m)^(## .*)$", text)
    head, rest = parts[0], parts[1:]
    return head, [(rest[i].strip(), rest[i + 1]) for i in range(0, len(rest), 2)]


def update_benchmarks(text: str, head: str, sections: dict[str, str]) -> str:
    """Replace the owned sections (and the preamble) of ``text``; keep every other section as it is."""
    _, existing = split_sections(text)
    out: list[tuple[str, str]] = []
    seen = set()
    for heading, body in existing:
        if heading in sections:
            out.append((heading, "\n\n" + sections[heading].strip()))
            seen.add(heading)
        else:
            out.append((heading, body))
    for heading in OWNED:
        if heading in sections and heading not in seen:
            out.append((heading, "\n\n" + sections[heading].strip()))
    body = "".join(f"{heading}{content.rstrip()}\n\n" for heading, content in out)
    return (head.rstrip() + "\n\n" + body).rstrip() + "\n"


def _timed(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"== {label}", file=sys.stderr)
    start = time.perf_counter()
    result = fn()
    print(f"== {label}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return result


def _ratios(per_request: dict[str, list[float]], variant: str, against: str) -> tuple[float, float, float]:
    r = [a / b for a, b in zip(per_request[variant], per_request[against], strict=True)]
    return min(r), statistics.median(r), max(r)


def summary(results: dict[str, Any]) -> str:
    """One table: every goal of issue 19 and where this run puts it (min / median / max where rounds exist)."""
    rows: list[str] = []
    gen = results.get("generation")
    if gen:
        by = {r["services"]: r for r in gen["rows"]}
        for n, r in by.items():
            ratio = r["ratio"]
            goal = n == bench_generate.GOAL_SIZE
            rows.append(
                f"| generation at {n:,} services: pipeline CPU / C floor CPU | "
                f"{ratio['min']:.2f}x / **{ratio['median']:.2f}x** / {ratio['max']:.2f}x | "
                + (
                    f"<= {bench_generate.GOAL_FLOOR_RATIO:g}x | {_met(ratio['median'] <= bench_generate.GOAL_FLOOR_RATIO)} |"
                    if goal
                    else "| |"
                )
            )
            rows.append(
                f"| generation at {n:,} services: `obsgen generate` peak RSS | {r['cli_rss_mib']:.0f} MiB | "
                + (
                    f"<= {bench_generate.GOAL_RSS_MIB:g} MiB | {_met(r['cli_rss_mib'] <= bench_generate.GOAL_RSS_MIB)} |"
                    if goal
                    else "| |"
                )
            )
        if "linear" in gen:
            rows.append(
                f"| generation: CPU per service at 10,000 / at 1,000 | {gen['linear']:.2f}x | "
                f"<= {bench_generate.GOAL_LINEAR:g}x | {_met(gen['linear'] <= bench_generate.GOAL_LINEAR)} |"
            )
    rules = results.get("rules")
    for r in (rules, (rules or {}).get("retention")):
        if not r:
            continue
        ratio = r["ratio"]
        where = f"{r['services']:,} services, {bench_rules.history_label(r)}"
        rows.append(
            f"| rule evaluation at {where}: obsgen / Sloth, process CPU per 30 s "
            f"(real intervals, each interval's groups measured in their own process) | **{ratio['cpu_30s']:.3f}x** | <= {bench_rules.GOAL_VS_SLOTH:g}x | "
            f"{_met(ratio['cpu_30s'] <= bench_rules.GOAL_VS_SLOTH)} |"
        )
        rows.append(
            f"| rule evaluation at {where}: obsgen / Sloth, process CPU per cycle (every group every cycle) | "
            f"{ratio['cpu']:.3f}x | | |"
        )
        rows.append(
            f"| rule evaluation at {where}: obsgen / Sloth, samples read per 30 s (real intervals) | "
            f"{ratio['samples_30s']:.4f}x | | |"
        )
    inst = results.get("instrument")
    if inst:
        rows += instrument_rows(inst)
    return (
        "Each goal of issue 19 and this run's figure (min / **median** / max over rounds where there are rounds). "
        "The instrumentation verdicts rest on the instruction count (callgrind: deterministic, a fraction of a "
        "percent from run to run), not on the CPU time beside it, whose spread on this shared machine is larger "
        "than the effects. The sections below say how each was measured.\n\n| figure | this run | goal | |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )


def instrument_rows(inst: dict[str, Any]) -> list[str]:
    """The instrumentation goals: verdicts from the instruction count, the CPU time beside them."""
    rows: list[str] = []
    count = inst.get("count", {})
    counted = "runs" in count
    if counted:
        for figure, r, goal_text, met in bench_instrument_count.verdicts(count):
            rows.append(
                f"| instrumentation, {figure}: instructions per request (callgrind; min / **mean** / max over "
                f"samples and runs) | {min(r):.4f}x / **{statistics.fmean(r):.4f}x** / {max(r):.4f}x | {goal_text} "
                f"| {_met(met)}{'' if met else ' (in every sample)'} |"
            )
    per = inst.get("per_request_us")
    if per:
        for variant, goal in (("metrics", 1.05), ("full", 1.15)):
            lo, mid, hi = _ratios(per, variant, "none")
            label = "metrics only" if variant == "metrics" else "metrics + access log"
            verdict = (
                "(no verdict: see the count)"
                if counted
                else f"{_met(mid <= goal)}{'' if hi <= goal else ' at the median, not in every round'}"
            )
            rows.append(
                f"| instrumentation, {label}: server CPU time per request / bare | {lo:.3f}x / **{mid:.3f}x** / "
                f"{hi:.3f}x | <= {goal:.2f}x | {verdict} |"
            )
        if "none_again" in per:
            lo, mid, hi = _ratios(per, "none_again", "none")
            rows.append(
                f"| instrumentation: a second bare process / bare, CPU time (that method's resolution) | "
                f"{lo:.3f}x / **{mid:.3f}x** / {hi:.3f}x | | |"
            )
        for peer in ("instrumentator", "starlette_exporter"):
            if peer in per:
                lo, mid, hi = _ratios(per, "metrics", peer)
                name = bench_instrument_count.PEER_NAMES[peer]
                verdict = "(no verdict: see the count)" if counted else _met(hi < 1)
                rows.append(
                    f"| instrumentation, metrics only / {name}, CPU time | {lo:.3f}x / **{mid:.3f}x** / {hi:.3f}x | "
                    f"< 1 in every round | {verdict} |"
                )
    return rows


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run obsgen's benchmarks and record them in BENCHMARKS.md.")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and few iterations (CI; about a minute)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the results; leave BENCHMARKS.md alone"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=CHOICES,
        help="run only these benchmarks (repeatable); the default runs all",
    )
    parser.add_argument(
        "--output", type=Path, default=BENCHMARKS, help="file to update (default BENCHMARKS.md)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    args = parser.parse_args(argv)
    only = set(args.only or CHOICES)

    info = machine()
    results: dict[str, Any] = {"machine": info, "quick": args.quick}
    sections: dict[str, str] = {}
    if "generate" in only:
        gen = _timed("generation", lambda: bench_generate.run(args.quick))
        results["generation"] = gen
        sections[SECTION_GENERATION] = bench_generate.markdown(gen)
    if "rules" in only:
        rules = _timed("rule evaluation", lambda: bench_rules.run(args.quick))
        results["rules"] = rules
        sections[SECTION_RULE_EVAL] = bench_rules.markdown(rules)
    if "instrument" in only:
        inst = _timed("instrumentation overhead", lambda: run_instrument(args.quick))
        results["instrument"] = inst
        sections[SECTION_INSTRUMENT] = inst["markdown"]
    if "logline" in only:
        line = _timed("JSON log line cost", lambda: log_line_cost(args.quick))
        results["log_line"] = line
        sections[SECTION_LOG_LINE] = log_line_markdown(line)
    if "alerts" in only:
        alerts = _timed("alert detection and rule cost", lambda: bench_alerts.run(args.quick))
        results["alerts"] = alerts
        sections[SECTION_DETECTION] = bench_alerts.detection_markdown(alerts)
        sections[SECTION_RULE_COST] = bench_alerts.rule_cost_markdown(alerts)
    if only >= {"generate", "rules", "instrument"}:
        sections[SECTION_SUMMARY] = summary(results)

    stamp = run_stamp(info, args.quick, sorted(only))
    sections = {heading: f"{stamp}\n\n{body}" for heading, body in sections.items()}
    head = preamble(info, args.quick)
    print(head)
    for heading in OWNED:
        if heading in sections:
            print(f"{heading}\n\n{sections[heading]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if not args.no_write:
        current = args.output.read_text("utf-8") if args.output.exists() else ""
        args.output.write_text(update_benchmarks(current, head, sections), "utf-8")
        print(f"updated {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
