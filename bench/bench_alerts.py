"""Alert detection time and rule cost of the generated SLO rules, measured with promtool.

Detection: one service with a 99.9 % availability SLO over 30 days, scraped every 15 s, rules
evaluated every minute.  For each error ratio a promtool unit test feeds six hours of clean traffic
(so every window starts clean, as the theory assumes) and then constant errors; the first minute
the page alert fires is read from ``ALERTS`` and then confirmed by a second, passing promtool test
(not firing one evaluation before, firing at that minute).  The theoretical minimum is
window x burn rate x (1 - SLO) / error ratio for the fastest pair that can fire (SRE workbook).
Healthy traffic (0.05 % errors, half the budget) must raise no alert at all.  Each is measured
twice: with the low-traffic guard off (``min_failures: 0``, the page rules as they were before it)
and on (the default), so the table shows that high-traffic detection does not move; then a
service at 10 requests an hour: a single failed request, and a total outage.

Rule cost: rules per SLO in the generated rule file, and samples read per evaluation, from the range
selectors of every rule (raw series: window / scrape interval per matched series; recorded series:
window / evaluation interval), against Sloth's 17 rules per SLO reading raw counters over 5m..30d.

    .venv/bin/python -m bench.bench_alerts [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import math
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from obsgen import conventions as C
from obsgen import durations
from obsgen.catalog import load_catalog
from obsgen.generate import generate
from obsgen.generate.artifacts import serialise
from obsgen.model import Catalog

SERVICE = "svc"
OBJECTIVE_PERCENT = 99.9
SCRAPE = timedelta(seconds=15)
EVALUATION = timedelta(minutes=1)
#: Clean traffic before the errors start: the longest page window, so both page pairs start clean.
CLEAN_BEFORE = timedelta(hours=6)
#: Requests per scrape interval of the synthetic traffic (100 req/s).
REQUESTS_PER_SCRAPE = 1500.0
ERROR_RATIOS = (1.0, 0.10, 0.02, 0.01)
QUICK_ERROR_RATIOS = (1.0, 0.10)
HEALTHY_ERROR_RATIO = 0.0005
#: Sloth (REFERENCE.md): 8 SLI recordings over 5m..30d read raw counters, 7 metadata recordings, 2 alerts.
SLOTH_RULES_PER_SLO = 17
SLOTH_RAW_WINDOWS = tuple(timedelta(minutes=m) for m in (5, 30, 60, 120, 360, 1440, 3 * 1440, 30 * 1440))

CATALOG = f"""\
apiVersion: obsgen/v1
slo_period: 30d
prometheus: {{scrape_interval: 15s, evaluation_interval: 1m}}
teams:
  team: {{}}
services:
  {SERVICE}:
    team: team
    {{alerting}}
    targets: ["{SERVICE}-1:8000"]
    metrics:
      buckets: [0.1, 0.2, 0.4, 0.8]
    slos:
      availability: {{kind: availability, objective: {OBJECTIVE_PERCENT}}}
      latency: {{kind: latency, objective: 99, threshold: 400ms}}
"""


#: Catalog variants compared: the low-traffic guard off (as before issue 15) and at its default.
VARIANTS = {"guard off (before)": "alerting: {min_failures: 0}", "guard on (default)": ""}
#: Low traffic: 10 requests an hour, every 6 minutes, off the scrape and evaluation grid.
LOW_REQUEST_EVERY = 360
LOW_FIRST_REQUEST = 97


def catalog(alerting: str = "") -> Catalog:
    return load_catalog(CATALOG.replace("{alerting}", alerting).encode(), "bench-alerts.yaml")


def rule_file(cat: Catalog) -> tuple[bytes, str] | None:
    """The generated rule file of SERVICE and where it came from; None while no generator writes it."""
    path = C.alert_rules_path(SERVICE)
    plan = generate(cat)
    if path in plan:
        return plan[path], "obsgen generate"
    try:  # the alert generator exists but is not registered in the pipeline yet
        module = importlib.import_module("obsgen.generate.alerting.rules")
    except ImportError:
        return None
    artifacts = module.generate(cat)
    return (serialise(artifacts[path]), "obsgen.generate.alerting.rules") if path in artifacts else None


# --- Detection -------------------------------------------------------------------------


def theoretical_minimum(error_ratio: float, objective: float = OBJECTIVE_PERCENT / 100) -> float | None:
    """Minutes to the first page by the workbook: min over page pairs of window x burn x budget / ratio."""
    budget = 1 - objective
    times = [
        w.long.total_seconds() / 60 * w.burn_rate * budget / error_ratio
        for w in _page_windows()
        if w.burn_rate * budget < error_ratio
    ]
    return min(times) if times else None


def _page_windows() -> list[Any]:
    from obsgen.policy import alerting as policy

    return [w for w in policy.windows_for(timedelta(days=30)) if w.severity == C.SEVERITY_PAGE]


def _counter(values: list[tuple[int, float]]) -> str:
    """promtool's expanding notation for a counter growing by ``step`` per sample for ``count`` samples."""
    parts = []
    value = 0.0
    first = True
    for count, step in values:
        if first:
            parts.append(f"{_num(value)}+{_num(step)}x{count - 1}")
            value += step * (count - 1)
            first = False
        else:
            value += step
            parts.append(f"{_num(value)}+{_num(step)}x{count - 1}")
            value += step * (count - 1)
    return " ".join(parts)


def _num(x: float) -> str:
    return f"{x:.6g}" if x != int(x) else str(int(x))


def _series(error_ratio: float, duration: timedelta, clean: timedelta) -> list[dict[str, str]]:
    """Request counters: ``clean`` of error-free traffic, then ``error_ratio`` errors until ``duration``."""
    n_clean = int(clean / SCRAPE) + 1  # samples 0..clean inclusive
    n_after = int((duration - clean) / SCRAPE)
    ok_after = REQUESTS_PER_SCRAPE * (1 - error_ratio)
    err_after = REQUESTS_PER_SCRAPE * error_ratio
    base = f'job="{SERVICE}",instance="{SERVICE}-1:8000",method="GET",route="/"'
    ok_segments = [(n_clean, REQUESTS_PER_SCRAPE)] + ([(n_after, ok_after)] if n_after else [])
    err_segments = [(n_clean, 0.0)] + ([(n_after, err_after)] if n_after else [])
    return [
        {"series": f'{C.REQUESTS_TOTAL}{{{base},code="200"}}', "values": _counter(ok_segments)},
        {"series": f'{C.REQUESTS_TOTAL}{{{base},code="500"}}', "values": _counter(err_segments)},
        {
            "series": f'{C.UP_METRIC}{{job="{SERVICE}",instance="{SERVICE}-1:8000"}}',
            "values": f"1+0x{int(duration / SCRAPE)}",
        },
    ]


def _alerts(severity: str | None, state: str = "firing") -> str:
    sev = f',{C.LABEL_SEVERITY}="{severity}"' if severity else ""
    return (
        f'max({C.ALERTS_METRIC}{{{C.LABEL_ALERTNAME}="{C.ALERT_SLO_BURN}",{C.LABEL_SLO}="availability",'
        f'{C.LABEL_ALERTSTATE}="{state}"{sev}}})'
    )


def _promtool(
    rules: Path, tests: list[dict[str, Any]], work: Path, name: str
) -> subprocess.CompletedProcess[str]:
    test_file = work / f"{name}.yaml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(rules)],
                "evaluation_interval": durations.format_prometheus(EVALUATION),
                "tests": tests,
            },
            sort_keys=False,
            width=1_000_000,
        )
    )
    return subprocess.run(
        ["promtool", "test", "rules", str(test_file)], capture_output=True, text=True, check=False
    )


_GOT = re.compile(r"got:\s*(?:\{\}\s*)?([-+0-9.eE]+)")


def _event_counter(events: list[int], end: int) -> str:
    """Samples every scrape up to ``end`` seconds of a counter of whole ``events`` (times in seconds)."""
    step = int(SCRAPE.total_seconds())
    values = [sum(1 for e in events if e <= t) for t in range(0, end + 1, step)]
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        parts.append(f"{values[i]}x{j - i}" if j > i else str(values[i]))
        i = j + 1
    return " ".join(parts)


def low_traffic_series(end: timedelta, failed: Any) -> list[dict[str, str]]:
    """10 requests an hour until ``end``; ``failed(seconds)`` says which fail."""
    end_s = int(end.total_seconds())
    times = list(range(LOW_FIRST_REQUEST, end_s, LOW_REQUEST_EVERY))
    base = f'job="{SERVICE}",instance="{SERVICE}-1:8000",method="GET",route="/"'
    return [
        {
            "series": f'{C.REQUESTS_TOTAL}{{{base},code="200"}}',
            "values": _event_counter([t for t in times if not failed(t)], end_s),
        },
        {
            "series": f'{C.REQUESTS_TOTAL}{{{base},code="500"}}',
            "values": _event_counter([t for t in times if failed(t)], end_s),
        },
        {
            "series": f'{C.UP_METRIC}{{job="{SERVICE}",instance="{SERVICE}-1:8000"}}',
            "values": f"1x{int(end / SCRAPE)}",
        },
    ]


def first_page(
    rules: Path,
    work: Path,
    error_ratio: float,
    horizon: timedelta,
    series: list[dict[str, str]] | None = None,
) -> float | None:
    """Minutes from error onset (CLEAN_BEFORE) to the first firing page alert (None: not within ``horizon``)."""
    end = CLEAN_BEFORE + horizon
    end_s = durations.format_prometheus(end)
    series = series if series is not None else _series(error_ratio, end, CLEAN_BEFORE)
    # The earliest evaluation with a firing page alert, as a timestamp (a deliberately wrong
    # expectation makes promtool print the value it got).
    probe = f"min_over_time(timestamp({_alerts(C.SEVERITY_PAGE)})[{end_s}:{durations.format_prometheus(EVALUATION)}])"
    run = _promtool(
        rules,
        [
            {
                "interval": durations.format_prometheus(SCRAPE),
                "input_series": series,
                "promql_expr_test": [
                    {"expr": probe, "eval_time": end_s, "exp_samples": [{"labels": "{}", "value": -1}]}
                ],
            }
        ],
        work,
        f"probe-{error_ratio:g}",
    )
    if run.returncode == 0:
        raise RuntimeError("the probe test passed; it was meant to fail and show the first firing time")
    output = run.stdout + run.stderr
    if re.search(r"got:\s*nil", output):
        return None  # never fired within the horizon
    found = _GOT.search(output)
    if not found:
        raise RuntimeError(f"cannot read promtool's answer:\n{run.stdout}\n{run.stderr}")
    fired = timedelta(seconds=float(found.group(1)))
    # Confirm with a passing unit test: silent one evaluation before, firing at that evaluation.
    before = durations.format_prometheus(fired - EVALUATION)
    confirm = _promtool(
        rules,
        [
            {
                "interval": durations.format_prometheus(SCRAPE),
                "input_series": series,
                "promql_expr_test": [
                    {"expr": _alerts(C.SEVERITY_PAGE), "eval_time": before, "exp_samples": []},
                    {
                        "expr": _alerts(C.SEVERITY_PAGE),
                        "eval_time": durations.format_prometheus(fired),
                        "exp_samples": [{"labels": "{}", "value": 1}],
                    },
                ],
            }
        ],
        work,
        f"confirm-{error_ratio:g}",
    )
    if confirm.returncode != 0:
        raise RuntimeError(
            f"confirmation of the first page at {fired} failed:\n{confirm.stdout}\n{confirm.stderr}"
        )
    return (fired - CLEAN_BEFORE).total_seconds() / 60


def healthy_is_silent(rules: Path, work: Path, duration: timedelta) -> bool:
    """No SLO alert of any severity, pending or firing, on ``duration`` of healthy traffic."""
    end_s = durations.format_prometheus(duration)
    any_alert = (
        f'count_over_time({C.ALERTS_METRIC}{{{C.LABEL_ALERTNAME}="{C.ALERT_SLO_BURN}"}}'
        f"[{end_s}:{durations.format_prometheus(EVALUATION)}])"
    )
    run = _promtool(
        rules,
        [
            {
                "interval": durations.format_prometheus(SCRAPE),
                "input_series": _series(HEALTHY_ERROR_RATIO, duration, timedelta(0)),
                "promql_expr_test": [{"expr": any_alert, "eval_time": end_s, "exp_samples": []}],
            }
        ],
        work,
        "healthy",
    )
    return run.returncode == 0


def low_traffic(rules: Path, work: Path) -> dict[str, Any]:
    """At 10 requests an hour: does one failed request page, and when does a total outage?"""
    horizon = timedelta(hours=3)
    end = CLEAN_BEFORE + horizon
    onset = int(CLEAN_BEFORE.total_seconds())
    one_at = next(
        t for t in range(LOW_FIRST_REQUEST, int(end.total_seconds()), LOW_REQUEST_EVERY) if t >= onset
    )
    one = first_page(rules, work, 1.0, horizon, low_traffic_series(end, lambda t: t == one_at))
    outage = first_page(rules, work, 1.0, horizon, low_traffic_series(end, lambda t: t >= onset))
    return {
        "one_failure_first_page_minutes": one,
        "outage_first_page_minutes": outage,
        "first_failure_after_minutes": (one_at - onset) / 60,
    }


def detection(rules: Path, quick: bool) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-alerts-") as tmp:
        work = Path(tmp)
        for ratio in QUICK_ERROR_RATIOS if quick else ERROR_RATIOS:
            theory = theoretical_minimum(ratio)
            horizon = timedelta(minutes=math.ceil((theory or 60) * 1.5) + 10)
            measured = first_page(rules, work, ratio, horizon)
            rows.append(
                {
                    "error_ratio": ratio,
                    "theory_minutes": theory,
                    "measured_minutes": measured,
                    "excess_minutes": None if measured is None or theory is None else measured - theory,
                    "within_one_evaluation": measured is not None
                    and theory is not None
                    and measured - theory <= EVALUATION.total_seconds() / 60 + 1e-9,
                }
            )
            print(
                f"detection at {ratio:.0%} errors: theory {theory} min, first page after {measured} min",
                file=sys.stderr,
            )
        healthy_for = timedelta(hours=2 if quick else 8)
        silent = healthy_is_silent(rules, work, healthy_for)
        low = low_traffic(rules, work)
    return {
        "rows": rows,
        "healthy_silent": silent,
        "healthy_hours": healthy_for.total_seconds() / 3600,
        "low_traffic": low,
    }


# --- Rule cost -------------------------------------------------------------------------

_RANGE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*\[([0-9smhdwy]+)\]")


@dataclass(frozen=True)
class RangeRead:
    metric: str
    window: timedelta
    recorded: bool


def range_reads(expr: str) -> list[RangeRead]:
    """The range selectors of an expression (subqueries excluded): metric, window, recorded or raw."""
    return [
        RangeRead(m.group(1), durations.parse(m.group(3)), ":" in m.group(1)) for m in _RANGE.finditer(expr)
    ]


def rule_cost(rule_yaml: bytes) -> dict[str, Any]:
    """Rules per SLO and samples read per evaluation and per hour, from a generated rule file."""
    groups = yaml.safe_load(rule_yaml)["groups"]
    per_slo: dict[str, dict[str, Any]] = {}
    per_service = 0
    slos_in_file = sorted(
        {
            r["labels"][C.LABEL_SLO]
            for g in groups
            for r in g["rules"]
            if C.LABEL_SLO in (r.get("labels") or {})
        }
    )
    for group in groups:
        evals_per_hour = timedelta(hours=1) / durations.parse(group.get("interval", "1m"))
        for rule in group["rules"]:
            parts = _slo_parts(rule, slos_in_file)
            if not parts:
                per_service += 1
                continue
            for slo, expr in parts:
                row = per_slo.setdefault(
                    slo,
                    {
                        "recordings": 0,
                        "alerts": 0,
                        "raw_windows": set(),
                        "raw_per_eval": 0.0,
                        "raw_per_hour": 0.0,
                        "recorded_per_eval": 0.0,
                        "recorded_per_hour": 0.0,
                    },
                )
                # A rule shared by n SLOs counts 1/n for each; each reads its own part.
                row["recordings" if "record" in rule else "alerts"] += 1 / len(parts)
                for read in range_reads(expr):
                    kind = "recorded" if read.recorded else "raw"
                    n = read.window / (EVALUATION if read.recorded else SCRAPE)
                    row[f"{kind}_per_eval"] += n
                    row[f"{kind}_per_hour"] += n * evals_per_hour
                    if not read.recorded:
                        row["raw_windows"].add(read.window)
    for row in per_slo.values():
        row["rules"] = row["recordings"] + row["alerts"]
        row["raw_windows"] = [durations.format_prometheus(w) for w in sorted(row["raw_windows"])]
    sloth_raw_per_eval = 2 * sum(w / SCRAPE for w in SLOTH_RAW_WINDOWS)
    return {
        "per_slo": dict(sorted(per_slo.items())),
        "per_service_rules": per_service,
        "sloth_rules_per_slo": SLOTH_RULES_PER_SLO,
        "sloth_raw_samples_per_eval": sloth_raw_per_eval,
        "sloth_raw_samples_per_hour": sloth_raw_per_eval * (timedelta(hours=1) / EVALUATION),
        "sloth_raw_samples_per_eval_30d_from_5m": 2 * sum(w / SCRAPE for w in SLOTH_RAW_WINDOWS[:-1]),
    }


_SLO_PART = re.compile(r'^label_replace\((.*), "slo", "((?:[^"\\]|\\.)*)", "", ""\)$', re.S)


def _slo_parts(rule: dict[str, Any], slos_in_file: list[str]) -> list[tuple[str, str]]:
    """(SLO, the part of the expression it evaluates) for each SLO a rule serves; none for a per-service rule.

    A rule the SLOs of a service share holds one ``label_replace(..., "slo", "<name>", "", "")`` part per
    SLO joined with ``or``, or reads every SLO's recordings by service alone (a shared window).
    """
    expr = rule["expr"]
    slo = (rule.get("labels") or {}).get(C.LABEL_SLO) or _slo_from_expr(expr)
    if slo is not None:
        return [(slo, expr)]
    matches = [_SLO_PART.match(part) for part in expr.split("\nor\n")]
    if matches and all(matches):
        return [(m.group(2), m.group(1)) for m in matches if m is not None]
    if "record" in rule and any(read.recorded for read in range_reads(expr)):
        return [(s, expr) for s in slos_in_file]
    return []


def _slo_from_expr(expr: str) -> str | None:
    m = re.search(rf'{C.LABEL_SLO}="([^"]+)"', expr)
    return m.group(1) if m else None


# --- Entry points ----------------------------------------------------------------------


def run(quick: bool) -> dict[str, Any]:
    found = rule_file(catalog())
    if found is None:
        return {"skipped": "no generator writes alerts/<service>.yaml yet"}
    rule_yaml, source = found
    result: dict[str, Any] = {"source": source, "cost": rule_cost(rule_yaml)}
    if shutil.which("promtool") is None:
        result["detection_skipped"] = (
            "promtool not found (apt-get install --no-install-recommends prometheus)"
        )
        return result
    result["variants"] = {}
    for name, alerting in VARIANTS.items():
        variant = rule_file(catalog(alerting))
        assert variant is not None
        with tempfile.TemporaryDirectory(prefix="obsgen-bench-rules-") as tmp:
            rules = Path(tmp) / "rules.yaml"
            rules.write_bytes(variant[0])
            check = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True)
            if check.returncode != 0:
                raise RuntimeError(f"promtool check rules failed:\n{check.stdout}\n{check.stderr}")
            print(f"-- {name}", file=sys.stderr)
            result["variants"][name] = detection(rules, quick)
    result["detection"] = result["variants"][list(VARIANTS)[-1]]
    return result


def _minutes(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f} min"


def detection_markdown(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"Not measured: {result['skipped']}.\n"
    if "detection" not in result:
        return f"Not measured: {result['detection_skipped']}.\n"
    variants = result["variants"]
    names = list(variants)
    before, after = variants[names[0]], variants[names[-1]]
    lines = [
        f"A {OBJECTIVE_PERCENT:g}% availability SLO over 30d, rules from {result['source']}, promtool unit tests "
        f"with {durations.format_prometheus(SCRAPE)} samples and {durations.format_prometheus(EVALUATION)} "
        f"evaluation; {CLEAN_BEFORE.total_seconds() / 3600:g} h of error-free traffic at "
        f"{REQUESTS_PER_SCRAPE / SCRAPE.total_seconds():g} requests/s, then constant errors. Measured: the first "
        "evaluation with the page alert firing, confirmed by a passing promtool test (silent one evaluation "
        "before). Theory: window x burn rate x (1 - SLO) / error ratio (SRE workbook). Measured twice: the "
        "low-traffic guard off (`min_failures: 0`, the page rule as it was before the guard) and on (default, 5 "
        "failed requests in the long window).",
        "",
        f"| errors | theoretical minimum | first page, {names[0]} | first page, {names[-1]} | excess (guard on) "
        "| within one evaluation |",
        "|---|---|---|---|---|---|",
    ]
    for b, r in zip(before["rows"], after["rows"], strict=True):
        theory = "never" if r["theory_minutes"] is None else f"{r['theory_minutes']:.2f} min"
        measured_b = "none" if b["measured_minutes"] is None else f"{b['measured_minutes']:.0f} min"
        measured = "none" if r["measured_minutes"] is None else f"{r['measured_minutes']:.0f} min"
        excess = "" if r["excess_minutes"] is None else f"{r['excess_minutes']:+.2f} min"
        lines.append(
            f"| {r['error_ratio']:.0%} | {theory} | {measured_b} | {measured} | {excess} | "
            f"{'yes' if r['within_one_evaluation'] else '**no**'} |"
        )
    lb, la = before["low_traffic"], after["low_traffic"]
    lines += [
        "",
        f"Healthy traffic ({HEALTHY_ERROR_RATIO:.2%} errors, half the budget) for {after['healthy_hours']:g} h: "
        + (
            "no SLO alert, pending or firing"
            if after["healthy_silent"] and before["healthy_silent"]
            else "**an SLO alert went pending or fired**"
        )
        + " (both variants).",
        "",
        "At 10 requests an hour (one every 6 minutes, off the scrape grid), minutes from the end of the clean "
        f"hours to the first page (the first failed request comes {la['first_failure_after_minutes']:.1f} min in; "
        "failures follow every 6 min when every request fails):",
        "",
        f"| scenario | first page, {names[0]} | first page, {names[-1]} |",
        "|---|---|---|",
        f"| one failed request | {_minutes(lb['one_failure_first_page_minutes'])} "
        f"| {_minutes(la['one_failure_first_page_minutes'])} |",
        f"| every request fails | {_minutes(lb['outage_first_page_minutes'])} "
        f"| {_minutes(la['outage_first_page_minutes'])} |",
    ]
    return "\n".join(lines) + "\n"


def rule_cost_markdown(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"Not measured: {result['skipped']}.\n"
    c = result["cost"]
    sloth_eval = c["sloth_raw_samples_per_eval"]
    lines = [
        f"From the generated rule file of the catalog above (scrape {durations.format_prometheus(SCRAPE)}, "
        f"fast group every {durations.format_prometheus(EVALUATION)}, slow group as generated). Samples are per "
        "series a raw selector matches: a raw range read costs window / scrape interval samples, a read of an "
        "obsgen recording window / evaluation interval; a recording the service's SLOs share counts 1/n rule for "
        "each of its n SLOs, with the reads of that SLO's part. Sloth's groups are taken to run every "
        f"{durations.format_prometheus(EVALUATION)}.",
        "",
        "| | rules per SLO | raw windows | raw samples per evaluation | vs Sloth | raw samples per hour "
        "| recorded samples per evaluation (per hour) |",
        "|---|---|---|---|---|---|---|",
    ]
    for slo, r in c["per_slo"].items():
        lines.append(
            f"| obsgen, {slo} SLO | {r['rules']:g} ({r['recordings']:g} recordings, {r['alerts']:g} alerts) "
            f"| {', '.join(r['raw_windows'])} | {r['raw_per_eval']:,.0f} | "
            f"{sloth_eval / r['raw_per_eval']:,.0f}x fewer | {r['raw_per_hour']:,.0f} "
            f"| {r['recorded_per_eval']:,.0f} ({r['recorded_per_hour']:,.0f}) |"
        )
    lines += [
        f"| Sloth (REFERENCE.md) | {c['sloth_rules_per_slo']} (8 SLI recordings, 7 metadata, 2 alerts) "
        f"| 5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d | {sloth_eval:,.0f} | 1x | {c['sloth_raw_samples_per_hour']:,.0f} "
        "| alerts read recordings as instant vectors |",
        "",
        "Recorded samples per evaluation add each rule's reads at its own group's interval (the budget alert's "
        "two period-long reads run every 30 min); per hour is the comparable figure. The low-traffic guard and the "
        "budget alert (issue 15) brought it from 195,720 to 462,840 per hour per SLO, all of it from two recorded "
        "series per SLO; raw reads did not change.",
        "",
        f"Per service, outside SLOs: {c['per_service_rules']} rules (every target down, job absent). "
        "Raw samples scale with the series a selector matches (instances x routes x codes, x buckets for "
        "latency); recorded samples do not (one series per SLO). Sloth is modelled as REFERENCE.md and the "
        "issue describe it, every SLI window read from raw counters; with its 30d window derived from the 5m "
        f"recording instead it would read {c['sloth_raw_samples_per_eval_30d_from_5m']:,.0f} raw samples per "
        "evaluation.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result = run(args.quick)
    print(detection_markdown(result))
    print(rule_cost_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
