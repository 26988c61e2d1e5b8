"""URLs from a dashboard to the other signals: logs in Explore, other dashboards.

Explore URLs use the ``panes`` form (Grafana 10+).  The time range is
``${__from}``/``${__to}``, which Grafana fills in when the link is clicked, so a
link from a dashboard opens the logs of the time range being looked at.
"""

from __future__ import annotations

import json
from urllib.parse import quote as urlquote

from obsgen import conventions as C
from obsgen import promql as Q

_FROM, _TO = "__OBSGEN_FROM__", "__OBSGEN_TO__"


def loki_selector(service: str, **stream: str) -> str:
    """A LogQL stream selector on the service (and other stream labels), JSON-parsed."""
    labels = {C.LOG_SERVICE: service, **stream}
    unknown = set(labels) - set(C.LOKI_STREAM_LABELS)
    if unknown:
        raise ValueError(f"not Loki stream labels: {sorted(unknown)}")
    inner = ",".join(f"{Q.label_name(k)}={Q.quote(v)}" for k, v in labels.items())
    return f"{{{inner}}} | json"


def lucene_phrase(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def elasticsearch_query(service: str, **fields: str) -> str:
    """A Lucene query on the service (and other log fields)."""
    terms = {C.LOG_SERVICE: service, **fields}
    return " AND ".join(f"{k}:{lucene_phrase(v)}" for k, v in terms.items())


def explore_url(
    datasource_type: str,
    datasource_uid: str,
    query: dict[str, object],
    time_from: str = "${__from}",
    time_to: str = "${__to}",
) -> str:
    """A Grafana Explore URL running ``query`` on a datasource, by default over the dashboard's time range."""
    pane = {
        "logs": {
            "datasource": datasource_uid,
            "queries": [
                {"refId": "A", "datasource": {"type": datasource_type, "uid": datasource_uid}, **query}
            ],
            "range": {"from": _FROM, "to": _TO},
        }
    }
    encoded = urlquote(json.dumps(pane, sort_keys=True, separators=(",", ":")), safe="")
    return "/explore?schemaVersion=1&orgId=1&panes=" + encoded.replace(_FROM, time_from).replace(_TO, time_to)


def loki_explore(service: str, **stream: str) -> str:
    return explore_url(
        "loki", C.DATASOURCE_LOKI_UID, {"expr": loki_selector(service, **stream), "queryType": "range"}
    )


def elasticsearch_explore(service: str, **fields: str) -> str:
    return explore_url(
        "elasticsearch",
        C.DATASOURCE_ELASTICSEARCH_UID,
        {
            "query": elasticsearch_query(service, **fields),
            "metrics": [{"id": "1", "type": "logs"}],
            "bucketAggs": [],
            "timeField": C.ES_TIME_FIELD,
        },
    )


def dashboard_url(uid: str) -> str:
    return f"/d/{uid}"
