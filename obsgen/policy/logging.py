"""Numbers of the log pipeline, in one place, with where they come from."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

#: How long both stores keep logs.  The demo runs on a laptop; a week is enough
#: to look back over a demo and small enough for a single-node Elasticsearch.
RETENTION: Final = timedelta(days=7)

#: Fluentd file buffers, per output.  "Nothing lost while a backend is down for
#: minutes": the demo writes well under 1 MiB/s of logs, so 1 GiB of disk rides
#: out a backend outage of more than 15 minutes even at that rate; retries never
#: give up (retry_forever) and wait at most 30 s between attempts, so delivery
#: resumes within 30 s of the backend's return.
BUFFER_TOTAL_LIMIT: Final = "1g"
#: Loki's distributor rejects pushes above grpc_server_max_recv_msg_size (4 MiB
#: by default); Elasticsearch's http.max_content_length is 100 MiB.  1 MiB chunks
#: stay far below both.
BUFFER_CHUNK_LIMIT: Final = "1m"
BUFFER_FLUSH_INTERVAL: Final = "5s"
BUFFER_RETRY_WAIT: Final = "1s"
BUFFER_RETRY_MAX_INTERVAL: Final = "30s"
#: When Loki's buffer is full, block the input (back-pressure reaches the senders,
#: where fluent-logger counts drops in obsgen_log_records_dropped_total) rather
#: than drop chunks in Fluentd (drop_oldest_chunk) or throw.  Loki always runs in
#: the stack: it is the store that loses nothing.
BUFFER_OVERFLOW_ACTION: Final = "block"
#: When Elasticsearch's buffer is full, drop its oldest chunk: Elasticsearch runs
#: only with `--profile elk`, so without it the buffer fills (1 GiB, about a day
#: of demo logs) and a blocking buffer would stop the input, and Loki with it.
#: The copy's ES store also ignores errors: a dead Elasticsearch never stops Loki;
#: it gets the newest BUFFER_TOTAL_LIMIT of logs when it comes back.
ES_BUFFER_OVERFLOW_ACTION: Final = "drop_oldest_chunk"

#: Elasticsearch's default index.mapping.total_fields.limit (REFERENCE.md); the
#: generator refuses a catalog whose mapped fields would not fit under it.
ES_TOTAL_FIELDS_LIMIT: Final = 1000
#: keyword values longer than this are kept in _source but not indexed.
ES_KEYWORD_IGNORE_ABOVE: Final = 1024


def go_duration(value: timedelta) -> str:
    """``168h`` for 7 days: Loki (Go / Prometheus durations) and hours always round-trip."""
    seconds = int(value.total_seconds())
    if seconds % 3600:
        raise ValueError(f"{value} is not a whole number of hours")
    return f"{seconds // 3600}h"


def es_duration(value: timedelta) -> str:
    """``7d`` for 7 days: Elasticsearch time units (whole days, else hours)."""
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    raise ValueError(f"{value} is not a whole number of hours")
