"""Rule evaluation on a real Prometheus: obsgen's SLO rules vs a Sloth-style rule set for the same SLOs.

    .venv/bin/python -m bench.bench_rules [--quick] [--services 1000] [--history 1h] [--recorded-history 30d]

Both rule sets run on Debian's ``prometheus`` over the same backfilled data:

* **series in the exporter's shape** (``obsgen.instrument``): per service one instance, ``GET /predict``,
  ``http_requests_total`` for codes 200 and 500, and ``http_request_duration_seconds`` (the catalog's
  buckets, ``_count``, ``_sum``), 100 req/s with 0.1 % errors, every 15 s for ``--history``, and ``up``
  of each scrape target (1: healthy, so obsgen's target alerts are silent as in production); plus the
  history of the recordings the rules read back over ranges (obsgen's ``slo:sli_*:rate1m``, Sloth's
  ``slo:sli_error:ratio_rate5m``), one sample per evaluation interval.  Written as OpenMetrics and
  turned into blocks with ``promtool tsdb create-blocks-from openmetrics``;
* **obsgen**: the rule files ``obsgen generate`` writes for ``bench_generate.synth_catalog`` (two SLOs
  per service) — the generator as it is on this branch;
* **Sloth**: what Sloth generates for the same SLOs (its documented output, ``examples/_gen`` in
  slok/sloth): per SLO a group of 8 SLI recordings (``slo:sli_error:ratio_rate{5m,30m,1h,2h,6h,1d,3d}``
  from raw counters, ``30d`` from the 5m recording), a group of 7 metadata recordings and a group of
  2 multiwindow alerts;
* a **baseline** Prometheus with the same data and no rules, for the idle CPU.

Every group is evaluated every cycle (``--cycle``; the rule files' own intervals are replaced so that a
short run sees every group), each rule set's groups of one real interval in a Prometheus process of
their own, all side by side.  Reported per cycle: each process's CPU (``/proc/PID/task/*/schedstat``)
over the baseline's, rule evaluations, and the samples the rules read (``totalQueryableSamples`` of
each rule's expression through the query API with ``stats=all``, on a sample of services, scaled).  The
per-30 s figure at the rule files' real intervals (obsgen's slow group runs every 5 m, its budget group
every 30 m) scales each process's measured CPU by how often its groups really run.

Windows longer than the history read the history there is: samples read by Sloth's 1d..30d windows
grow with retained history, obsgen's recorded windows grow with it at a quarter of the rate (one
sample per 30 s recording instead of per 15 s scrape per series).  So ``bench.run`` measures twice:
at 1,000 services over 1 h of history (the fixed cost of groups and rules at the goal's scale), and at
a retention a production SLO deployment has (``RETENTION``: raw series for 3 d, the longest window
either rule set reads from raw counters, and the recordings for 30 d, the SLO period both rule sets
read them over — the samples every window reads are those of a 30 d retention) on fewer services, since
what a rule costs per service does not depend on how many services there are.  Blocks are cut at 24 h
(promtool's hidden ``--max-block-duration``; a 30 d Prometheus compacts to blocks of days) and the
servers do not compact during the run.  Each group's evaluation time is also reported by kind (obsgen's
fast, slow and budget groups; Sloth's SLI recordings, metadata recordings and alerts): what dominates.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bench.bench_generate import synth_catalog
from obsgen import conventions as C
from obsgen import durations
from obsgen.catalog import load_catalog
from obsgen.generate.alerting import rules as obsgen_rules
from obsgen.generate.artifacts import serialise
from obsgen.model import Catalog

SCRAPE_SECONDS = 15
RATE_PER_SECOND = 100.0
ERROR_RATIO = 0.001
#: Sloth's SLI windows; 30d is derived from the 5m recording.
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SLOTH_PAGE = ((14.4, "5m", "1h"), (6, "30m", "6h"))
SLOTH_TICKET = ((3, "2h", "1d"), (1, "6h", "3d"))
#: obsgen and Sloth groups run every CYCLE in the bench; per-30 s figures use the real intervals.
REAL_CYCLE = 30.0
#: Goal (issue 19) for obsgen's rule CPU per cycle against Sloth's.
GOAL_VS_SLOTH = 0.05


# --- The rule sets ------------------------------------------------------------------------------


def obsgen_rule_files(catalog: Catalog) -> dict[str, bytes]:
    """The generated rule files (path -> bytes)."""
    paths = {C.alert_rules_path(service.name) for service in catalog.services}
    # The rules generator also writes the PrometheusRules (with the kubernetes output): not rule files.
    return {path: serialise(a) for path, a in obsgen_rules.generate(catalog).items() if path in paths}


def _le(seconds: float) -> str:
    """A bucket bound as prometheus-client writes it (``0.4``, ``1.0``)."""
    return repr(float(seconds))


def sloth_rules(catalog: Catalog) -> dict[str, Any]:
    """A Sloth-style rule file for every SLO of ``catalog`` (the shape of Sloth's generated output)."""
    groups: list[dict[str, Any]] = []
    for svc in catalog.services:
        for slo in svc.slos:
            sloth_id = f"{svc.name}-{slo.name}"
            ids = {"sloth_id": sloth_id, "sloth_service": svc.name, "sloth_slo": slo.name}
            sel = ", ".join(f'{k}="{v}"' for k, v in ids.items())
            job = f'job="{svc.name}"'
            threshold = getattr(slo, "threshold", None)
            if threshold is None:
                errors = f'sum(rate(http_requests_total{{{job},code=~"(5..|429)"}}[{{w}}]))'
                total = f"sum(rate(http_requests_total{{{job}}}[{{w}}]))"
            else:
                le = _le(
                    threshold.total_seconds() if hasattr(threshold, "total_seconds") else float(threshold)
                )
                errors = (
                    f"(sum(rate(http_request_duration_seconds_count{{{job}}}[{{w}}])) - "
                    f'sum(rate(http_request_duration_seconds_bucket{{{job},le="{le}"}}[{{w}}])))'
                )
                total = f"sum(rate(http_request_duration_seconds_count{{{job}}}[{{w}}]))"
            sli = [
                {
                    "record": f"slo:sli_error:ratio_rate{w}",
                    "expr": f"({errors.replace('{w}', w)})\n/\n({total.replace('{w}', w)})\n",
                    "labels": {**ids, "sloth_window": w},
                }
                for w in SLOTH_WINDOWS
            ]
            sli.append(
                {
                    "record": "slo:sli_error:ratio_rate30d",
                    "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{{{sel}}}[30d])\n/ ignoring (sloth_window)\n"
                    f"count_over_time(slo:sli_error:ratio_rate5m{{{sel}}}[30d])\n",
                    "labels": {"sloth_window": "30d"},
                }
            )
            objective = slo.objective / 100 if slo.objective > 1 else slo.objective
            budget = 1 - objective
            on = "on(sloth_id, sloth_slo, sloth_service) group_left"
            meta = [
                {"record": "slo:objective:ratio", "expr": f"vector({objective!r})", "labels": ids},
                {"record": "slo:error_budget:ratio", "expr": f"vector(1-{objective!r})", "labels": ids},
                {"record": "slo:time_period:days", "expr": "vector(30)", "labels": ids},
                {
                    "record": "slo:current_burn_rate:ratio",
                    "expr": f"slo:sli_error:ratio_rate5m{{{sel}}}\n/ {on}\nslo:error_budget:ratio{{{sel}}}\n",
                    "labels": ids,
                },
                {
                    "record": "slo:period_burn_rate:ratio",
                    "expr": f"slo:sli_error:ratio_rate30d{{{sel}}}\n/ {on}\nslo:error_budget:ratio{{{sel}}}\n",
                    "labels": ids,
                },
                {
                    "record": "slo:period_error_budget_remaining:ratio",
                    "expr": f"1 - slo:period_burn_rate:ratio{{{sel}}}",
                    "labels": ids,
                },
                {
                    "record": "sloth_slo_info",
                    "expr": "vector(1)",
                    "labels": {**ids, "sloth_mode": "cli-gen-prom", "sloth_spec": "prometheus/v1"},
                },
            ]

            groups += [
                {"name": f"sloth-slo-sli-recordings-{sloth_id}", "rules": sli},
                {"name": f"sloth-slo-meta-recordings-{sloth_id}", "rules": meta},
                {
                    "name": f"sloth-slo-alerts-{sloth_id}",
                    "rules": [
                        _sloth_alert(f"{svc.name}-{slo.name}-SLO", sel, budget, "page", SLOTH_PAGE),
                        _sloth_alert(f"{svc.name}-{slo.name}-SLO", sel, budget, "ticket", SLOTH_TICKET),
                    ],
                },
            ]
    return {"groups": groups}


def _sloth_alert(
    name: str, sel: str, budget: float, severity: str, pairs: tuple[tuple[float, str, str], ...]
) -> dict[str, Any]:
    """Sloth's multiwindow multi-burn-rate alert: each pair's short and long windows over the budget."""
    parts = [
        f"(\n  (slo:sli_error:ratio_rate{short}{{{sel}}} > ({factor} * {budget!r}))\n"
        f"  and ignoring (sloth_window)\n"
        f"  (slo:sli_error:ratio_rate{long}{{{sel}}} > ({factor} * {budget!r}))\n)"
        for factor, short, long in pairs
    ]
    return {
        "alert": name,
        "expr": "\nor ignoring (sloth_window)\n".join(parts) + "\n",
        "labels": {"sloth_severity": severity},
    }


def split_by_interval(rule_file: dict[str, Any], real: dict[str, float]) -> dict[float, dict[str, Any]]:
    """The groups of ``rule_file`` by their real interval, each a rule file of its own."""
    out: dict[float, dict[str, Any]] = {}
    for group in rule_file["groups"]:
        out.setdefault(real[group["name"]], {"groups": []})["groups"].append(group)
    return dict(sorted(out.items()))


def with_interval(rule_file: dict[str, Any], cycle: float) -> tuple[dict[str, Any], dict[str, float]]:
    """The rule file with every group evaluated every ``cycle`` seconds; the groups' real intervals."""
    real: dict[str, float] = {}
    for group in rule_file["groups"]:
        interval = group.get("interval")
        real[group["name"]] = durations.parse(interval).total_seconds() if interval else REAL_CYCLE
        group["interval"] = f"{int(cycle * 1000)}ms"
    return rule_file, real


# --- The data ----------------------------------------------------------------------------------

_RANGE_READ = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s*\[")


def _read_over_ranges(rule_file: dict[str, Any]) -> set[str]:
    return {
        m.group(1) for g in rule_file["groups"] for r in g["rules"] for m in _RANGE_READ.finditer(r["expr"])
    }


def recordings_read_over_ranges(rule_file: dict[str, Any]) -> list[dict[str, str]]:
    """Label sets of the recorded series that some rule reads over a range (their history matters)."""
    read = _read_over_ranges(rule_file)
    out = []
    for group in rule_file["groups"]:
        for rule in group["rules"]:
            name = rule.get("record")
            if name in read and ":" in name:
                out.append({"__name__": name, **{k: str(v) for k, v in (rule.get("labels") or {}).items()}})
    return out


def obsgen_recordings_read_over_ranges(catalog: Catalog, rule_file: dict[str, Any]) -> list[dict[str, str]]:
    """The same for obsgen's rules, one label set per SLO: a recording the SLOs of a service share
    gives each SLO's series its ``slo`` label inside the expression, not among the rule's labels."""
    read = _read_over_ranges(rule_file)
    out = []
    for service in catalog.services:
        for group in obsgen_rules.planned_groups(catalog, service):
            for planned in group.rules:
                name = planned.rule.get("record")
                if name in read:
                    labels = {k: str(v) for k, v in planned.rule["labels"].items()}
                    out += [{"__name__": name, **labels, C.LABEL_SLO: slo} for slo, _ in planned.parts]
    return out


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__")


def raw_series(catalog: Catalog) -> dict[str, list[tuple[str, float]]]:
    """Per metric family, each raw series and how much it grows per second (0 for a gauge at 1)."""
    per_second = RATE_PER_SECOND
    families: dict[str, list[tuple[str, float]]] = {
        "up": [],
        "http_requests": [],
        "http_request_duration_seconds": [],
    }
    for svc in catalog.services:
        base = f'job="{svc.name}",instance="{svc.name}-a:8000",method="GET",route="/predict"'
        families["http_requests"] += [
            (f'http_requests_total{{{base},code="200"}}', per_second * (1 - ERROR_RATIO)),
            (f'http_requests_total{{{base},code="500"}}', per_second * ERROR_RATIO),
        ]
        buckets = [*svc.metrics.buckets, float("inf")] if hasattr(svc, "metrics") else [float("inf")]
        hist = families["http_request_duration_seconds"]
        for j, le in enumerate(buckets):
            share = min(1.0, 0.5 + 0.5 * (j + 1) / len(buckets)) if le != float("inf") else 1.0
            bound = "+Inf" if le == float("inf") else _le(le)
            hist.append((f'http_request_duration_seconds_bucket{{{base},le="{bound}"}}', per_second * share))
        hist.append((f"http_request_duration_seconds_count{{{base}}}", per_second))
        hist.append((f"http_request_duration_seconds_sum{{{base}}}", per_second * 0.05))
        # What Prometheus writes per scrape target: without it every ServiceAbsent alert would fire
        # (and expand its templates) on every evaluation, which no healthy deployment does.
        if svc.up_job is not None:
            for target in svc.targets or (f"{svc.name}-a:8000",):
                families["up"].append((f'up{{job="{svc.up_job}",instance="{target}"}}', 0.0))
    return families


_TYPES = {"up": "gauge", "http_requests": "counter", "http_request_duration_seconds": "histogram"}


def _value(per_second: float, seconds: float) -> float:
    return 1.0 if per_second == 0.0 else per_second * seconds


def exposition(families: dict[str, list[tuple[str, float]]], start: float, at: float) -> bytes:
    """The raw series as an exporter serves them at ``at``, continuing the backfill begun at ``start``."""
    seconds = at - start
    return "".join(
        f"{name} {_value(rate, seconds):.1f}\n" for series in families.values() for name, rate in series
    ).encode()


class Exporter:
    """Serves the raw series live, so that Prometheus scrapes them from where the backfill ends (its
    head then accepts the rules' results: a head only appends after the last block's end)."""

    def __init__(self, families: dict[str, list[tuple[str, float]]], start: float) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exposition(owner.families, owner.start, time.time())
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.families, self.start = families, start
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def openmetrics(
    catalog: Catalog,
    recorded: list[dict[str, str]],
    start: int,
    end: int,
    cycle: int,
    recorded_start: int | None = None,
) -> Iterator[str]:
    """The backfill: raw series every 15 s from ``start`` and recorded series every ``cycle`` s from
    ``recorded_start`` (default ``start``), to ``end``."""
    steps = range(start, end + 1, SCRAPE_SECONDS)
    for family, series in raw_series(catalog).items():
        yield f"# TYPE {family} {_TYPES[family]}\n"
        for name, rate in series:
            yield "".join(f"{name} {_value(rate, t - start):.1f} {t}\n" for t in steps)
    by_name: dict[str, list[dict[str, str]]] = {}
    for labels in recorded:
        by_name.setdefault(labels["__name__"], []).append(labels)
    rec_steps = range(start if recorded_start is None else recorded_start, end + 1, cycle)
    for name, sets in by_name.items():
        value = ERROR_RATIO if "error" in name else RATE_PER_SECOND
        yield f"# TYPE {name.replace(':', '_')}_bench unknown\n".replace(
            f"{name.replace(':', '_')}_bench", name
        )
        for labels in sets:
            recorded_series = f"{name}{{{_labels(labels)}}}"
            yield "".join(f"{recorded_series} {value} {t}\n" for t in rec_steps)
    yield "# EOF\n"


def backfill(work: Path, text: Iterator[str]) -> tuple[Path, int]:
    """TSDB blocks in ``work/blocks`` from OpenMetrics ``text``; the blocks and the text's size."""
    om = work / "data.om"
    with om.open("w") as f:
        for chunk in text:
            f.write(chunk)
    size = om.stat().st_size
    blocks = work / "blocks"
    subprocess.run(
        # Hidden flag: blocks of a day, as a Prometheus keeping 30 d compacts to, not 360 of 2 h.
        [
            "promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=24h",
            str(om),
            str(blocks),
        ],
        check=True,
        capture_output=True,
    )
    om.unlink()
    return blocks, size


# --- Prometheus ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """CPU time of a process: its threads' schedstat run time (ns), or utime + stime (ticks) as a fallback."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9
    except (OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Prometheus:
    """A Prometheus process on its own copy (hard links) of the backfilled blocks."""

    def __init__(
        self,
        name: str,
        work: Path,
        blocks: Path,
        rule_file: dict[str, Any] | None,
        cycle: float,
        scrape: str | None = None,
    ) -> None:
        self.name = name
        self.port = _free_port()
        home = work / name
        data = home / "data"
        shutil.copytree(blocks, data, copy_function=os.link)
        config: dict[str, Any] = {"global": {"evaluation_interval": f"{int(cycle * 1000)}ms"}}
        if rule_file is not None:
            (home / "rules.yaml").write_text(yaml.safe_dump(rule_file, sort_keys=False, width=1_000_000))
            config["rule_files"] = [str(home / "rules.yaml")]
        if scrape is not None:
            config["scrape_configs"] = [
                {
                    "job_name": "bench",
                    "scrape_interval": f"{SCRAPE_SECONDS}s",
                    "honor_labels": True,
                    "static_configs": [{"targets": [scrape]}],
                }
            ]
        (home / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = open(home / "log.txt", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=400d",
                "--enable-feature=promql-per-step-stats",
                "--query.max-samples=500000000",
                # No compaction during the run (the backfilled blocks are as a 30 d server keeps them).
                "--storage.tsdb.min-block-duration=2h",
                "--storage.tsdb.max-block-duration=2h",
            ],
            stdout=self.log,
            stderr=self.log,
        )

    def get(self, path: str, timeout: float = 60) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=timeout) as response:
            data: bytes = response.read()
            return data

    def metrics(self) -> dict[tuple[str, str], float]:
        out = {}
        for line in self.get("/metrics").decode().splitlines():
            if line.startswith("prometheus_rule_group_"):
                name, _, value = line.rpartition(" ")
                metric, _, labels = name.partition("{")
                out[(metric, labels.rstrip("}"))] = float(value)
        return out

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus {self.name} exited: see {self.log.name}")
            try:
                if self.get("/-/ready", timeout=2):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"prometheus {self.name} not ready after {timeout} s")

    def iterations(self) -> float:
        """Evaluations of the group evaluated least so far (every group at least this many)."""
        counts = [v for (m, _), v in self.metrics().items() if m == "prometheus_rule_group_iterations_total"]
        return min(counts) if counts else 0.0

    def query_samples(self, expr: str, at: float) -> int:
        query = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}", "stats": "all"})
        body = json.loads(self.get(f"/api/v1/query?{query}"))
        return int(body["data"].get("stats", {}).get("samples", {}).get("totalQueryableSamples", 0))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


# --- The measurement ----------------------------------------------------------------------------


def wait_for(condition: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.25)


def _sampled_groups(rule_file: dict[str, Any], services: list[str]) -> list[dict[str, Any]]:
    """The groups belonging to ``services`` (group names carry the service name)."""
    wanted = tuple(services)
    return [g for g in rule_file["groups"] if any(s in g["name"] for s in wanted)]


def group_kind(name: str) -> str:
    """What a group of either rule set is for, from its name (obsgen ``obsgen-<service>-slo-<kind>``;
    Sloth ``sloth-slo-<kind>-<id>``)."""
    if name.startswith("obsgen-"):
        return "obsgen " + name.rsplit("-", 1)[-1]
    for kind in ("sli-recordings", "meta-recordings", "alerts"):
        if name.startswith(f"sloth-slo-{kind}-"):
            return "Sloth " + kind.replace("-", " ")
    return "other"


def measure(
    services: int,
    history_s: int,
    cycle: float,
    cycles: int,
    sample_services: int,
    recorded_history_s: int | None = None,
) -> dict[str, Any]:
    """Both rule sets and a baseline on one backfill: raw series over ``history_s``, the recordings the
    rules read back over ``recorded_history_s`` (default: the same)."""
    catalog = load_catalog(synth_catalog(services), "catalog.yaml")
    obsgen_file: dict[str, Any] = {"groups": []}
    for data in obsgen_rule_files(catalog).values():
        obsgen_file["groups"] += yaml.safe_load(data)["groups"]
    sloth_file = sloth_rules(catalog)
    recorded = obsgen_recordings_read_over_ranges(catalog, obsgen_file) + recordings_read_over_ranges(
        sloth_file
    )
    obsgen_file, obsgen_real = with_interval(obsgen_file, cycle)
    sloth_file, sloth_real = with_interval(sloth_file, cycle)
    # History ends now; from now on the servers scrape the raw series live and the rules record.
    now = int(time.time())
    start, end = now - history_s, now
    recorded_start = now - (recorded_history_s or history_s)
    result: dict[str, Any] = {
        "services": services,
        "history_s": history_s,
        "recorded_history_s": recorded_history_s or history_s,
        "cycle": cycle,
        "cycles": cycles,
    }
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-rules-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        blocks, result["backfill_bytes"] = backfill(
            work, openmetrics(catalog, recorded, start, end, int(REAL_CYCLE), recorded_start)
        )
        result["backfill_seconds"] = time.perf_counter() - t0
        # One server per rule set and real interval: each part's process CPU, every group every cycle,
        # scaled by how often it really runs, is its CPU per 30 s (no apportioning by wall times, which
        # count the waiting of a group behind another group of the same process).
        parts = {
            name: split_by_interval(rule_file, real)
            for name, rule_file, real in (
                ("obsgen", obsgen_file, obsgen_real),
                ("sloth", sloth_file, sloth_real),
            )
        }
        exporter = Exporter(raw_series(catalog), start)
        servers = {"baseline": Prometheus("baseline", work, blocks, None, cycle, exporter.address)}
        for name, by_interval in parts.items():
            for interval, part in by_interval.items():
                key = f"{name}-{interval:g}s"
                servers[key] = Prometheus(key, work, blocks, part, cycle, exporter.address)
        try:
            for server in servers.values():
                server.wait_ready()
            # Two scrapes, so that the rules' one-minute rates read live samples.
            wait_for(lambda: time.time() >= now + 2 * SCRAPE_SECONDS, "two scrapes", 600)
            for key, server in servers.items():
                if key != "baseline":
                    # Warm-up: every group evaluated twice (caches, first-evaluation costs).
                    wait_for(lambda s=server: s.iterations() >= 2, f"{key} to evaluate every group", 600)
            cpu0 = {n: cpu_seconds(s.proc.pid) for n, s in servers.items()}
            it0 = {n: s.iterations() for n, s in servers.items() if n != "baseline"}
            w0 = time.monotonic()
            time.sleep(cycle * cycles)
            elapsed = time.monotonic() - w0
            cpu = {n: cpu_seconds(s.proc.pid) - cpu0[n] for n, s in servers.items()}
            per_cycle = elapsed / cycle
            idle = cpu["baseline"] / per_cycle
            for name, real in (("obsgen", obsgen_real), ("sloth", sloth_real)):
                rule_file = obsgen_file if name == "obsgen" else sloth_file
                row: dict[str, Any] = {
                    "groups": len(real),
                    "rules": sum(len(g["rules"]) for g in rule_file["groups"]),
                    "rules_per_30s": sum(
                        len(g["rules"]) * REAL_CYCLE / real[g["name"]] for g in rule_file["groups"]
                    ),
                    "cpu_per_cycle": 0.0,
                    "cpu_per_30s": 0.0,
                    "cycles_evaluated": min(
                        servers[k].iterations() - it0[k] for k in it0 if k.startswith(name)
                    ),
                    "by_interval": [],
                }
                for interval, part in parts[name].items():
                    key = f"{name}-{interval:g}s"
                    part_cpu = max(0.0, cpu[key] / per_cycle - idle)
                    row["cpu_per_cycle"] += part_cpu
                    row["cpu_per_30s"] += part_cpu * REAL_CYCLE / interval
                    kinds = sorted({group_kind(g["name"]) for g in part["groups"]})
                    row["by_interval"].append(
                        {
                            "interval": interval,
                            "kinds": kinds,
                            "groups": len(part["groups"]),
                            "cpu_per_cycle": part_cpu,
                            "cpu_per_30s": part_cpu * REAL_CYCLE / interval,
                        }
                    )
                server = servers[f"{name}-{min(parts[name]):g}s"]
                sample = [s.name for s in catalog.services[:sample_services]]
                at = time.time()
                samples = samples_30s = 0.0
                for group in _sampled_groups(rule_file, sample):
                    read = sum(server.query_samples(r["expr"], at) for r in group["rules"])
                    samples += read
                    samples_30s += read * REAL_CYCLE / real[group["name"]]
                row["samples_per_cycle"] = samples * services / max(1, len(sample))
                row["samples_per_30s"] = samples_30s * services / max(1, len(sample))
                result[name] = row
            result["baseline_cpu_per_cycle"] = idle
        finally:
            for server in servers.values():
                server.stop()
            exporter.stop()
        for key in servers:
            # A result the head refuses (out of bounds, out of order) is logged line by line: the run
            # would measure logging, not rules.
            log = (work / key / "log.txt").read_text(errors="replace")
            if "Rule evaluation result discarded" in log or "out of bounds" in log:
                raise RuntimeError(f"{key}: Prometheus discarded rule results, see {work / key / 'log.txt'}")
    o, s = result["obsgen"], result["sloth"]
    result["ratio"] = {
        "cpu": o["cpu_per_cycle"] / s["cpu_per_cycle"] if s["cpu_per_cycle"] > 0 else float("nan"),
        "cpu_30s": o["cpu_per_30s"] / s["cpu_per_30s"] if s["cpu_per_30s"] > 0 else float("nan"),
        "samples": o["samples_per_cycle"] / s["samples_per_cycle"]
        if s["samples_per_cycle"]
        else float("nan"),
        "samples_30s": o["samples_per_30s"] / s["samples_per_30s"] if s["samples_per_30s"] else float("nan"),
        "rules": o["rules"] / s["rules"],
    }
    return result


#: The production-retention measurement: raw history, recorded history, services.
RETENTION = (3 * 86400, 30 * 86400, 20)
RETENTION_QUICK = (6 * 3600, 86400, 3)


def run(quick: bool) -> dict[str, Any]:
    """At the goal's scale over 1 h of history, and at production retention on fewer services."""
    raw, recorded, services = RETENTION_QUICK if quick else RETENTION
    if quick:
        result = measure(services=20, history_s=1800, cycle=2.0, cycles=2, sample_services=20)
        result["retention"] = measure(services, raw, 2.0, 2, services, recorded_history_s=recorded)
    else:
        result = measure(services=1000, history_s=3600, cycle=30.0, cycles=6, sample_services=20)
        result["retention"] = measure(services, raw, 30.0, 6, services, recorded_history_s=recorded)
    return result


def history_label(r: dict[str, Any]) -> str:
    """``1h of history``, or ``3d of raw and 30d of recorded history``."""
    raw = durations.format_prometheus(timedelta(seconds=r["history_s"]))
    recorded = durations.format_prometheus(timedelta(seconds=r["recorded_history_s"]))
    return f"{raw} of history" if raw == recorded else f"{raw} of raw and {recorded} of recorded history"


def _table(r: dict[str, Any]) -> list[str]:
    o, s, ratio = r["obsgen"], r["sloth"], r["ratio"]
    lines = [
        f"{r['services']:,} services (two SLOs each, `synth_catalog`), {history_label(r)} backfilled "
        f"({r['backfill_bytes'] / 2**20:.0f} MiB of OpenMetrics, {r['backfill_seconds']:.0f} s to backfill), "
        f"every group evaluated every {r['cycle']:g} s, measured over {r['cycles']} cycles. Process CPU is over "
        f"a no-rules Prometheus on the same data ({r['baseline_cpu_per_cycle'] * 1000:.0f} ms per cycle idle).",
        "",
        "| | groups | rules | rule evaluations per 30 s (real intervals) | process CPU per cycle (every group) "
        "| **process CPU per 30 s (real intervals)** | samples read per cycle | samples read per 30 s (real intervals) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in (("obsgen (this branch)", o), ("Sloth-style reference", s)):
        lines.append(
            f"| {name} | {row['groups']:,} | {row['rules']:,} | {row['rules_per_30s']:,.0f} "
            f"| {row['cpu_per_cycle']:.3f} s | {row['cpu_per_30s']:.3f} s "
            f"| {row['samples_per_cycle']:,.0f} | {row['samples_per_30s']:,.0f} |"
        )
    lines += [
        f"| **obsgen / Sloth** | | {ratio['rules']:.2f}x | | {ratio['cpu']:.3f}x | **{ratio['cpu_30s']:.3f}x** "
        f"| {ratio['samples']:.4f}x | {ratio['samples_30s']:.4f}x |",
        "",
        f"obsgen's process CPU per 30 s at its rule files' real intervals is **{ratio['cpu_30s']:.3f}x** Sloth's "
        f"(goal <= {GOAL_VS_SLOTH:g}x: "
        + ("met)." if ratio["cpu_30s"] <= GOAL_VS_SLOTH else "**not met**).")
        + " Each interval's groups ran in a Prometheus of their own, so each part's CPU is measured, not "
        "apportioned:",
        "",
        "| rule set | groups every | kind | groups | process CPU per cycle | per 30 s (real interval) "
        "| share of its rule set |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in (("obsgen", o), ("Sloth", s)):
        for part in row["by_interval"]:
            share = part["cpu_per_30s"] / row["cpu_per_30s"] if row["cpu_per_30s"] else float("nan")
            every = durations.format_prometheus(timedelta(seconds=part["interval"]))
            lines.append(
                f"| {name} | {every} | {', '.join(part['kinds'])} | {part['groups']:,} "
                f"| {part['cpu_per_cycle']:.3f} s | {part['cpu_per_30s']:.3f} s | {share:.0%} |"
            )
    return lines


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"Prometheus {_prometheus_version()}, obsgen's rules and the Sloth-style reference side by side (one "
        "process per rule set and group interval, and one with no rules) over the same backfilled blocks, twice: at the goal's scale "
        "over 1 h of history, where what a group and a rule cost dominates; and at a production retention "
        "(raw series 3 d, the longest raw window either rule set reads; recordings 30 d, the SLO period), "
        "where the samples long windows read dominate.",
        "",
        f"**At {r['services']:,} services over {history_label(r)}.** " + "\n".join(_table(r)),
    ]
    if "retention" in r:
        t = r["retention"]
        lines += ["", f"**At {t['services']:,} services over {history_label(t)}.** " + "\n".join(_table(t))]
    lines += [
        "",
        "Process CPU (`/proc/PID/task/*/schedstat`) is the measure of cost. Group evaluation times "
        "(`prometheus_rule_group_last_duration_seconds`) are wall times: they include a group's waiting behind "
        "the process's other groups, so they are not used to apportion CPU.",
    ]
    return "\n".join(lines) + "\n"


def _prometheus_version() -> str:
    try:
        out = subprocess.run(["prometheus", "--version"], capture_output=True, text=True, check=False)
        return (out.stdout or out.stderr).split()[2]
    except (OSError, IndexError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--services", type=int)
    parser.add_argument("--history", default=None, help="backfilled history, e.g. 1h")
    parser.add_argument(
        "--recorded-history",
        default=None,
        help="history of the recordings the rules read back (default: --history)",
    )
    parser.add_argument("--cycle", type=float, default=None)
    parser.add_argument("--cycles", type=int, default=None)
    args = parser.parse_args()
    custom = (args.services, args.history, args.recorded_history, args.cycle, args.cycles)
    if all(v is None for v in custom):
        result = run(args.quick)
    else:
        result = measure(
            services=args.services or (20 if args.quick else 1000),
            history_s=int(durations.parse(args.history).total_seconds()) if args.history else 3600,
            cycle=args.cycle or (5.0 if args.quick else 30.0),
            cycles=args.cycles or (2 if args.quick else 6),
            sample_services=20,
            recorded_history_s=int(durations.parse(args.recorded_history).total_seconds())
            if args.recorded_history
            else None,
        )
    print(json.dumps({k: v for k, v in result.items()}, default=str), file=sys.stderr)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
