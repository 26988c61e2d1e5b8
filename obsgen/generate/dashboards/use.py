"""One USE dashboard per resource: utilization, saturation and errors of CPU, memory, disk, network.

After Brendan Gregg's USE method (https://www.brendangregg.com/usemethod.html):
for every resource, how busy it is, how much work queues for it, and whether it
fails.  Nodes read node_exporter 1.5, containers cAdvisor.  Where an exporter
has no metric for a cell of the checklist (CPU errors, container disk errors),
the cell is left out rather than filled with a proxy; docs/dashboards.md lists them.
"""

from __future__ import annotations

from typing import Any

import grafanalib.core as G

from obsgen import conventions as C
from obsgen import promql as Q
from obsgen.generate.dashboards import links as L
from obsgen.generate.dashboards import panels as P
from obsgen.generate.dashboards import queries as q
from obsgen.model import Resource
from obsgen.render import FiniteJson
from obsgen.sli import exporters as X

PERCENT = "percentunit"
BYTES_PER_SECOND = "Bps"
PER_SECOND = "short"

Query = P.Query


def tags(resource: Resource) -> list[str]:
    return [C.DASHBOARD_TAG, C.TAG_USE, resource.kind]


def dashboard(resource: Resource) -> FiniteJson:
    """The USE dashboard of ``resource``."""
    rows = _node_rows(resource) if resource.kind == "node" else _container_rows(resource)
    source = "node_exporter" if resource.kind == "node" else "cAdvisor"
    return P.dashboard_json(
        title=f"{resource.name}: USE ({resource.kind}s)",
        uid=C.use_dashboard_uid(resource.name),
        description=f"Utilization, saturation and errors of CPU, memory, disk and network ({source}, job "
        f"{resource.job}).",
        tags=tags(resource),
        panels=P.grid(rows),
        variables=[
            P.datasource_variable(),
            P.instance_variable(Q.selector(C.UP_METRIC, Q.eq(C.LABEL_JOB, resource.job))),
        ],
        links=[
            P.link(
                "Overview",
                L.dashboard_url(C.overview_dashboard_uid()),
                icon="dashboard",
                keep_time=True,
                new_tab=False,
            ),
            P.dashboards_link("USE dashboards", [C.DASHBOARD_TAG, C.TAG_USE]),
        ],
    )


def _ts(title: str, queries: list[Query], unit: str, description: str, **kw: Any) -> G.TimeSeries:
    return P.timeseries(title, queries, unit=unit, description=description, min_value=0, **kw)


def _node_rows(r: Resource) -> list[P.Row]:
    inst, dev = "{{instance}}", "{{instance}} {{device}}"
    return [
        P.even(
            4,
            [
                P.stat(
                    "CPU busy",
                    [Query(q.node_cpu_utilization(r), inst)],
                    unit=PERCENT,
                    decimals=1,
                    thresholds=[P.Step(P.GREEN), P.Step(P.ORANGE, 0.8), P.Step(P.RED, 0.95)],
                    sparkline=True,
                    description="Share of CPU time not idle, per instance.",
                ),
                P.stat(
                    "Memory used",
                    [Query(q.node_memory_utilization(r), inst)],
                    unit=PERCENT,
                    decimals=1,
                    thresholds=[P.Step(P.GREEN), P.Step(P.ORANGE, 0.85), P.Step(P.RED, 0.95)],
                    sparkline=True,
                    description="1 - MemAvailable / MemTotal, per instance.",
                ),
                P.stat(
                    "Fullest filesystem",
                    [Query(f"max by (instance) ({q.node_filesystem_used(r)})", inst)],
                    unit=PERCENT,
                    decimals=1,
                    sparkline=True,
                    thresholds=[P.Step(P.GREEN), P.Step(P.ORANGE, 0.8), P.Step(P.RED, 0.9)],
                    description="Used share of the fullest real filesystem, per instance.",
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "CPU: utilization",
                    [Query(q.node_cpu_utilization(r), inst)],
                    PERCENT,
                    "Share of CPU time not idle (all modes but idle), averaged over the CPUs.",
                    max_value=1,
                ),
                _ts(
                    "CPU: saturation (load per CPU)",
                    [Query(q.node_cpu_load_per_cpu(r), inst)],
                    PER_SECOND,
                    "1-minute load average / CPUs. Above 1 (dashed), runnable threads wait for a CPU.",
                    thresholds=[P.Step(P.TRANSPARENT), P.Step(P.ORANGE, 1.0)],
                ),
                _ts(
                    "CPU: saturation (pressure)",
                    [Query(q.node_cpu_pressure(r), inst)],
                    PERCENT,
                    "Share of time some runnable task waited for a CPU (PSI; Linux 4.20+).",
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "Memory: utilization",
                    [Query(q.node_memory_utilization(r), inst)],
                    PERCENT,
                    "1 - MemAvailable / MemTotal: memory not reclaimable without swapping.",
                    max_value=1,
                ),
                _ts(
                    "Memory: saturation (paging)",
                    [
                        Query(q.node_memory_major_faults(r), f"{inst} major faults"),
                        Query(q.node_swap_pages(r, X.NODE_VMSTAT_PSWPIN), f"{inst} swap in"),
                        Query(q.node_swap_pages(r, X.NODE_VMSTAT_PSWPOUT), f"{inst} swap out"),
                    ],
                    PER_SECOND,
                    "Major page faults and pages swapped per second: memory pressure forcing disk I/O.",
                ),
                _ts(
                    "Memory: errors",
                    [
                        Query(q.node_oom_kills(r), f"{inst} OOM kills"),
                        Query(
                            q.node_memory_ecc_errors(r, X.NODE_EDAC_CORRECTABLE_ERRORS_TOTAL),
                            f"{inst} ECC corrected",
                        ),
                        Query(
                            q.node_memory_ecc_errors(r, X.NODE_EDAC_UNCORRECTABLE_ERRORS_TOTAL),
                            f"{inst} ECC uncorrected",
                        ),
                    ],
                    "short",
                    "OOM kills and ECC memory errors (EDAC; absent on most VMs) per interval.",
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "Disk: utilization",
                    [Query(q.node_disk_busy(r), dev)],
                    PERCENT,
                    "Share of time each disk was busy with I/O.",
                    max_value=1,
                ),
                _ts(
                    "Disk: saturation (queue)",
                    [Query(q.node_disk_queue(r), dev)],
                    PER_SECOND,
                    "Average I/Os in flight per disk (weighted I/O time per second).",
                ),
                _ts(
                    "Filesystem: used",
                    [Query(q.node_filesystem_used(r), "{{instance}} {{mountpoint}}")],
                    PERCENT,
                    "Used share of each real filesystem (pseudo filesystems excluded).",
                    max_value=1,
                    thresholds=[P.Step(P.TRANSPARENT), P.Step(P.RED, 0.9)],
                ),
                _ts(
                    "Filesystem: errors",
                    [Query(q.node_filesystem_errors(r), "{{instance}} {{mountpoint}}")],
                    "short",
                    "1 while node_exporter cannot stat the filesystem (device error).",
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "Network: utilization",
                    [
                        Query(q.node_network(r, X.NODE_NETWORK_RECEIVE_BYTES_TOTAL), f"{dev} in"),
                        Query(q.node_network(r, X.NODE_NETWORK_TRANSMIT_BYTES_TOTAL), f"{dev} out"),
                    ],
                    BYTES_PER_SECOND,
                    "Bytes per second per interface (loopback excluded).",
                ),
                _ts(
                    "Network: saturation (drops)",
                    [
                        Query(q.node_network(r, X.NODE_NETWORK_RECEIVE_DROP_TOTAL), f"{dev} in"),
                        Query(q.node_network(r, X.NODE_NETWORK_TRANSMIT_DROP_TOTAL), f"{dev} out"),
                    ],
                    PER_SECOND,
                    "Packets dropped per second: queues overflowing.",
                ),
                _ts(
                    "Network: errors",
                    [
                        Query(q.node_network(r, X.NODE_NETWORK_RECEIVE_ERRS_TOTAL), f"{dev} in"),
                        Query(q.node_network(r, X.NODE_NETWORK_TRANSMIT_ERRS_TOTAL), f"{dev} out"),
                    ],
                    PER_SECOND,
                    "Receive and transmit errors per second.",
                ),
            ],
        ),
    ]


def _container_rows(r: Resource) -> list[P.Row]:
    ctr = "{{name}}{{container}}"
    return [
        P.even(
            4,
            [
                P.stat(
                    "CPU cores used",
                    [
                        Query(
                            f"sum({q.container_rate(r, X.CONTAINER_CPU_USAGE_SECONDS_TOTAL)})",
                            "all containers",
                        )
                    ],
                    unit="short",
                    decimals=2,
                    sparkline=True,
                    description="CPU cores used by all containers.",
                ),
                P.stat(
                    "Memory working set",
                    [
                        Query(
                            f"sum({q.container_gauge(r, X.CONTAINER_MEMORY_WORKING_SET_BYTES)})",
                            "all containers",
                        )
                    ],
                    unit="bytes",
                    sparkline=True,
                    description="Working set of all containers.",
                ),
                P.stat(
                    "Most throttled container",
                    [Query(f"max({q.container_cpu_throttled(r)})", "max")],
                    unit=PERCENT,
                    decimals=1,
                    sparkline=True,
                    thresholds=[P.Step(P.GREEN), P.Step(P.ORANGE, 0.1), P.Step(P.RED, 0.25)],
                    description="Highest share of CFS periods throttled (containers with a CPU limit).",
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "CPU: utilization",
                    [Query(q.container_rate(r, X.CONTAINER_CPU_USAGE_SECONDS_TOTAL), ctr)],
                    "short",
                    "CPU cores used per container.",
                    stacked=True,
                ),
                _ts(
                    "CPU: saturation (throttling)",
                    [Query(q.container_cpu_throttled(r), ctr)],
                    PERCENT,
                    "Share of CFS periods in which the container hit its CPU limit.",
                    max_value=1,
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "Memory: utilization",
                    [Query(q.container_gauge(r, X.CONTAINER_MEMORY_WORKING_SET_BYTES), ctr)],
                    "bytes",
                    "Working set per container (what the OOM killer judges).",
                    stacked=True,
                ),
                _ts(
                    "Memory: utilization of limit",
                    [Query(q.container_memory_of_limit(r), ctr)],
                    PERCENT,
                    "Working set / memory limit (containers with a limit).",
                    max_value=1,
                    thresholds=[P.Step(P.TRANSPARENT), P.Step(P.RED, 0.9)],
                ),
                _ts(
                    "Memory: saturation (major faults)",
                    [Query(q.container_major_faults(r), ctr)],
                    PER_SECOND,
                    "Major page faults per second: pages read back from disk.",
                ),
                _ts(
                    "Memory: errors (OOM)",
                    [Query(q.container_oom_events(r), ctr)],
                    "short",
                    "OOM events per interval.",
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "Disk: utilization",
                    [
                        Query(q.container_rate(r, X.CONTAINER_FS_READS_BYTES_TOTAL), f"{ctr} read"),
                        Query(q.container_rate(r, X.CONTAINER_FS_WRITES_BYTES_TOTAL), f"{ctr} write"),
                    ],
                    BYTES_PER_SECOND,
                    "Bytes read and written per second per container.",
                ),
                _ts(
                    "Disk: saturation (queue)",
                    [Query(q.container_rate(r, X.CONTAINER_FS_IO_TIME_WEIGHTED_SECONDS_TOTAL), ctr)],
                    PER_SECOND,
                    "Average I/Os in flight per container (weighted I/O time).",
                ),
            ],
        ),
        P.even(
            8,
            [
                _ts(
                    "Network: utilization",
                    [
                        Query(q.container_rate(r, X.CONTAINER_NETWORK_RECEIVE_BYTES_TOTAL), f"{ctr} in"),
                        Query(q.container_rate(r, X.CONTAINER_NETWORK_TRANSMIT_BYTES_TOTAL), f"{ctr} out"),
                    ],
                    BYTES_PER_SECOND,
                    "Bytes per second per container.",
                ),
                _ts(
                    "Network: saturation (drops)",
                    [
                        Query(
                            q.container_rate(r, X.CONTAINER_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL),
                            f"{ctr} in",
                        ),
                        Query(
                            q.container_rate(r, X.CONTAINER_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL),
                            f"{ctr} out",
                        ),
                    ],
                    PER_SECOND,
                    "Packets dropped per second.",
                ),
                _ts(
                    "Network: errors",
                    [
                        Query(q.container_rate(r, X.CONTAINER_NETWORK_RECEIVE_ERRORS_TOTAL), f"{ctr} in"),
                        Query(q.container_rate(r, X.CONTAINER_NETWORK_TRANSMIT_ERRORS_TOTAL), f"{ctr} out"),
                    ],
                    PER_SECOND,
                    "Receive and transmit errors per second.",
                ),
            ],
        ),
    ]
