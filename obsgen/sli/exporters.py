"""Metric and label names of the resource exporters obsgen reads (node_exporter 1.5, cAdvisor), for
USE dashboards; beside the request exporters' presets (:mod:`obsgen.sli.presets`).

node_exporter: https://github.com/prometheus/node_exporter
cAdvisor: https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CADVISOR_CONTAINER_LABEL",
    "CADVISOR_IMAGE_LABEL",
    "CADVISOR_NAME_LABEL",
    "CADVISOR_PGMAJFAULT",
    "CONTAINER_CPU_CFS_PERIODS_TOTAL",
    "CONTAINER_CPU_CFS_THROTTLED_PERIODS_TOTAL",
    "CONTAINER_CPU_USAGE_SECONDS_TOTAL",
    "CONTAINER_FS_IO_TIME_WEIGHTED_SECONDS_TOTAL",
    "CONTAINER_FS_READS_BYTES_TOTAL",
    "CONTAINER_FS_WRITES_BYTES_TOTAL",
    "CONTAINER_MEMORY_FAILURES_TOTAL",
    "CONTAINER_MEMORY_WORKING_SET_BYTES",
    "CONTAINER_NETWORK_RECEIVE_BYTES_TOTAL",
    "CONTAINER_NETWORK_RECEIVE_ERRORS_TOTAL",
    "CONTAINER_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL",
    "CONTAINER_NETWORK_TRANSMIT_BYTES_TOTAL",
    "CONTAINER_NETWORK_TRANSMIT_ERRORS_TOTAL",
    "CONTAINER_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL",
    "CONTAINER_OOM_EVENTS_TOTAL",
    "CONTAINER_SPEC_MEMORY_LIMIT_BYTES",
    "LABEL_DEVICE",
    "LABEL_FAILURE_TYPE",
    "LABEL_FSTYPE",
    "LABEL_MODE",
    "LABEL_MOUNTPOINT",
    "NODE_CPU_IDLE_MODE",
    "NODE_CPU_SECONDS_TOTAL",
    "NODE_DISK_IO_TIME_SECONDS_TOTAL",
    "NODE_DISK_IO_TIME_WEIGHTED_SECONDS_TOTAL",
    "NODE_EDAC_CORRECTABLE_ERRORS_TOTAL",
    "NODE_EDAC_UNCORRECTABLE_ERRORS_TOTAL",
    "NODE_FILESYSTEM_AVAIL_BYTES",
    "NODE_FILESYSTEM_DEVICE_ERROR",
    "NODE_FILESYSTEM_SIZE_BYTES",
    "NODE_LOAD1",
    "NODE_LOOPBACK_DEVICE",
    "NODE_MEMORY_MEMAVAILABLE_BYTES",
    "NODE_MEMORY_MEMTOTAL_BYTES",
    "NODE_NETWORK_RECEIVE_BYTES_TOTAL",
    "NODE_NETWORK_RECEIVE_DROP_TOTAL",
    "NODE_NETWORK_RECEIVE_ERRS_TOTAL",
    "NODE_NETWORK_TRANSMIT_BYTES_TOTAL",
    "NODE_NETWORK_TRANSMIT_DROP_TOTAL",
    "NODE_NETWORK_TRANSMIT_ERRS_TOTAL",
    "NODE_PRESSURE_CPU_WAITING_SECONDS_TOTAL",
    "NODE_PSEUDO_FSTYPES",
    "NODE_VMSTAT_OOM_KILL",
    "NODE_VMSTAT_PGMAJFAULT",
    "NODE_VMSTAT_PSWPIN",
    "NODE_VMSTAT_PSWPOUT",
]

# node_exporter 1.5 (https://github.com/prometheus/node_exporter), for USE dashboards.
NODE_CPU_SECONDS_TOTAL: Final = "node_cpu_seconds_total"
NODE_LOAD1: Final = "node_load1"
NODE_PRESSURE_CPU_WAITING_SECONDS_TOTAL: Final = "node_pressure_cpu_waiting_seconds_total"
NODE_MEMORY_MEMAVAILABLE_BYTES: Final = "node_memory_MemAvailable_bytes"
NODE_MEMORY_MEMTOTAL_BYTES: Final = "node_memory_MemTotal_bytes"
NODE_VMSTAT_PGMAJFAULT: Final = "node_vmstat_pgmajfault"
NODE_VMSTAT_PSWPIN: Final = "node_vmstat_pswpin"
NODE_VMSTAT_PSWPOUT: Final = "node_vmstat_pswpout"
NODE_VMSTAT_OOM_KILL: Final = "node_vmstat_oom_kill"
NODE_EDAC_CORRECTABLE_ERRORS_TOTAL: Final = "node_edac_correctable_errors_total"
NODE_EDAC_UNCORRECTABLE_ERRORS_TOTAL: Final = "node_edac_uncorrectable_errors_total"
NODE_DISK_IO_TIME_SECONDS_TOTAL: Final = "node_disk_io_time_seconds_total"
NODE_DISK_IO_TIME_WEIGHTED_SECONDS_TOTAL: Final = "node_disk_io_time_weighted_seconds_total"
NODE_FILESYSTEM_AVAIL_BYTES: Final = "node_filesystem_avail_bytes"
NODE_FILESYSTEM_SIZE_BYTES: Final = "node_filesystem_size_bytes"
NODE_FILESYSTEM_DEVICE_ERROR: Final = "node_filesystem_device_error"
NODE_NETWORK_RECEIVE_BYTES_TOTAL: Final = "node_network_receive_bytes_total"
NODE_NETWORK_TRANSMIT_BYTES_TOTAL: Final = "node_network_transmit_bytes_total"
NODE_NETWORK_RECEIVE_DROP_TOTAL: Final = "node_network_receive_drop_total"
NODE_NETWORK_TRANSMIT_DROP_TOTAL: Final = "node_network_transmit_drop_total"
NODE_NETWORK_RECEIVE_ERRS_TOTAL: Final = "node_network_receive_errs_total"
NODE_NETWORK_TRANSMIT_ERRS_TOTAL: Final = "node_network_transmit_errs_total"
LABEL_MODE: Final = "mode"
LABEL_DEVICE: Final = "device"
LABEL_MOUNTPOINT: Final = "mountpoint"
LABEL_FSTYPE: Final = "fstype"
NODE_CPU_IDLE_MODE: Final = "idle"
#: Pseudo and in-memory filesystems: their fill level says nothing about disks.
NODE_PSEUDO_FSTYPES: Final = "tmpfs|ramfs|rootfs|squashfs|overlay|nsfs|fuse.*"
NODE_LOOPBACK_DEVICE: Final = "lo"
# cAdvisor (https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md).
CONTAINER_CPU_USAGE_SECONDS_TOTAL: Final = "container_cpu_usage_seconds_total"
CONTAINER_CPU_CFS_PERIODS_TOTAL: Final = "container_cpu_cfs_periods_total"
CONTAINER_CPU_CFS_THROTTLED_PERIODS_TOTAL: Final = "container_cpu_cfs_throttled_periods_total"
CONTAINER_MEMORY_WORKING_SET_BYTES: Final = "container_memory_working_set_bytes"
CONTAINER_SPEC_MEMORY_LIMIT_BYTES: Final = "container_spec_memory_limit_bytes"
CONTAINER_MEMORY_FAILURES_TOTAL: Final = "container_memory_failures_total"
CONTAINER_OOM_EVENTS_TOTAL: Final = "container_oom_events_total"
CONTAINER_FS_READS_BYTES_TOTAL: Final = "container_fs_reads_bytes_total"
CONTAINER_FS_WRITES_BYTES_TOTAL: Final = "container_fs_writes_bytes_total"
CONTAINER_FS_IO_TIME_WEIGHTED_SECONDS_TOTAL: Final = "container_fs_io_time_weighted_seconds_total"
CONTAINER_NETWORK_RECEIVE_BYTES_TOTAL: Final = "container_network_receive_bytes_total"
CONTAINER_NETWORK_TRANSMIT_BYTES_TOTAL: Final = "container_network_transmit_bytes_total"
CONTAINER_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL: Final = "container_network_receive_packets_dropped_total"
CONTAINER_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL: Final = "container_network_transmit_packets_dropped_total"
CONTAINER_NETWORK_RECEIVE_ERRORS_TOTAL: Final = "container_network_receive_errors_total"
CONTAINER_NETWORK_TRANSMIT_ERRORS_TOTAL: Final = "container_network_transmit_errors_total"
#: Standalone cAdvisor names containers in ``name``; the kubelet's in ``container``.
CADVISOR_NAME_LABEL: Final = "name"
CADVISOR_CONTAINER_LABEL: Final = "container"
#: Only real containers carry ``image``; cgroup aggregates (/, /system.slice) do not.
CADVISOR_IMAGE_LABEL: Final = "image"
LABEL_FAILURE_TYPE: Final = "failure_type"
CADVISOR_PGMAJFAULT: Final = "pgmajfault"
