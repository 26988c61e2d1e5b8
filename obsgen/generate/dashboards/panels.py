"""House style: grafanalib panel factories, layout, and the final JSON a current Grafana expects.

grafanalib 0.7 writes schemaVersion 12 and many legacy fields (rows, heatmap
``cards``/``xAxis``, target ``intervalFactor``, panel ``span``...).  Every
dashboard goes through :func:`dashboard_json`, which keeps only the keys of
Grafana's current dashboard model (the ``@grafana/schema`` Dashboard type), drops
``None`` values, and sets :data:`SCHEMA_VERSION`.  Datasources are always objects
``{type, uid}`` pointing at the ``$datasource`` variable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import attr
import grafanalib.core as G
from grafanalib._gen import DashboardEncoder

from obsgen import conventions as C

#: Grafana 10.4 / 11.x dashboards.
SCHEMA_VERSION = 39
PROMETHEUS = "prometheus"
DATASOURCE: dict[str, str] = {"type": PROMETHEUS, "uid": f"${{{C.VAR_DATASOURCE}}}"}
GRID_WIDTH = 24

# Colours Grafana names in its palette.
GREEN, YELLOW, ORANGE, RED, DARK_RED = "green", "yellow", "orange", "red", "dark-red"
TRANSPARENT = "transparent"

#: Keys of Grafana's current model (@grafana/schema Dashboard, Panel, target, VariableModel...).
DASHBOARD_KEYS = frozenset({
    "annotations", "description", "editable", "fiscalYearStartMonth", "graphTooltip", "links", "liveNow",
    "panels", "refresh", "schemaVersion", "tags", "templating", "time", "timepicker", "timezone", "title",
    "uid", "version",
})
PANEL_KEYS = frozenset({
    "datasource", "description", "fieldConfig", "gridPos", "id", "interval", "links", "options", "targets",
    "title", "transformations", "type",
})
TARGET_KEYS = frozenset({"datasource", "expr", "format", "instant", "legendFormat", "range", "refId"})
VARIABLE_KEYS = frozenset({
    "allValue", "current", "datasource", "description", "hide", "includeAll", "label", "multi", "name",
    "options", "query", "refresh", "regex", "skipUrlSync", "sort", "type",
})
OPTION_KEYS = frozenset({"selected", "text", "value"})
TIMEPICKER_KEYS = frozenset({"hidden", "nowDelay", "refresh_intervals"})
#: Keys where null means something to Grafana (threshold base step, open range ends).
_NULL_MEANS_SOMETHING = frozenset({"value", "from", "to"})


@dataclass(frozen=True)
class Query:
    """One PromQL query of a panel."""

    expr: str
    legend: str = ""
    instant: bool = False
    #: ``time_series``, ``table`` (instant tables) or ``heatmap`` (buckets, sorted by le).
    format: str = "time_series"


@dataclass(frozen=True)
class Step:
    """A threshold step: ``color`` from ``value`` up (None = from minus infinity)."""

    color: str
    value: float | None = None


def _targets(queries: Sequence[Query]) -> list[G.Target]:
    if not queries:
        raise ValueError("a panel needs at least one query")
    return [
        G.Target(
            expr=q.expr, legendFormat=q.legend, refId=chr(ord("A") + i), instant=q.instant,
            format=q.format, datasource=DATASOURCE,
        )
        for i, q in enumerate(queries)
    ]


def _steps(steps: Sequence[Step], base: str = GREEN) -> list[dict[str, Any]]:
    """Grafana's threshold steps; the base step (from minus infinity) is ``base`` unless given."""
    if not steps or steps[0].value is not None:
        steps = [Step(base), *steps]
    # Round away float noise (1 - 0.999 = 0.0010000000000000009) so the JSON reads as the catalog.
    return [{"color": s.color, "value": None if s.value is None else float(f"{s.value:.12g}")} for s in steps]


def timeseries(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str,
    description: str,
    thresholds: Sequence[Step] = (),
    min_value: int | None = None,
    max_value: int | None = None,
    stacked: bool = False,
    legend_calcs: Sequence[str] = ("mean", "max", "lastNotNull"),
    links: Sequence[G.DashboardLink] = (),
    min_step: str | None = None,
    legend_sort: str | None = None,
) -> G.TimeSeries:
    """A time series; thresholds are drawn as dashed lines; ``min_step`` bounds costly queries."""
    return G.TimeSeries(
        title=title, description=description, dataSource=DATASOURCE, targets=_targets(queries),
        unit=unit, valueMin=min_value, valueMax=max_value, fillOpacity=10 if not stacked else 30,
        stacking={"mode": "normal", "group": "A"} if stacked else {"mode": "none", "group": "A"},
        legendDisplayMode="table", legendPlacement="bottom", legendCalcs=list(legend_calcs),
        tooltipMode="multi", tooltipSort="desc", showPoints="never",
        # Lines only: the area below the first line stays uncoloured.
        thresholds=_steps(thresholds, base=TRANSPARENT),
        thresholdsStyleMode="dashed" if thresholds else "off",
        links=list(links), interval=min_step,
        extraJson={"options": {"legend": {"sortBy": legend_sort, "sortDesc": True}}} if legend_sort else None,
    )


def stat(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str,
    description: str,
    thresholds: Sequence[Step] = (),
    mappings: Sequence[dict[str, Any]] = (),
    decimals: int | None = None,
    no_value: str = "no data",
    sparkline: bool = False,
) -> G.Stat:
    """A single value per series, coloured by thresholds."""
    return G.Stat(
        title=title, description=description, dataSource=DATASOURCE, targets=_targets(queries),
        format=unit, decimals=decimals, noValue=no_value, graphMode="area" if sparkline else "none",
        colorMode="background", reduceCalc="lastNotNull", color={"mode": "thresholds"},
        thresholds=_steps(thresholds), mappings=list(mappings), textMode="auto",
    )


def heatmap(title: str, query: Query, *, unit: str, description: str) -> G.Heatmap:
    """A heatmap of pre-bucketed histogram data (Grafana does not re-bucket it)."""
    if query.format != "heatmap":
        raise ValueError("a bucket heatmap needs a query with format='heatmap'")
    return G.Heatmap(
        title=title, description=description, dataSource=DATASOURCE, targets=_targets([query]),
        extraJson={
            "options": {
                "calculate": False,
                "cellGap": 1,
                "color": {"mode": "scheme", "scheme": "Oranges", "scale": "exponential", "exponent": 0.5,
                          "steps": 64, "reverse": False, "fill": "dark-orange"},
                "filterValues": {"le": 1e-9},
                "legend": {"show": True},
                "rowsFrame": {"layout": "auto"},
                "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
                "yAxis": {"axisPlacement": "left", "unit": unit, "reverse": False},
            },
            "fieldConfig": {"defaults": {"custom": {"scaleDistribution": {"type": "linear"}}}, "overrides": []},
        },
    )


@dataclass(frozen=True)
class Column:
    """A table column from one instant query (Grafana names it ``Value #<refId>``)."""

    title: str
    query: Query
    unit: str
    thresholds: tuple[Step, ...] = ()
    mappings: tuple[dict[str, Any], ...] = ()


def table(
    title: str,
    columns: Sequence[Column],
    *,
    description: str,
    join_on: Sequence[str],
    sort_by: str,
    descending: bool = False,
    extra_overrides: Sequence[dict[str, Any]] = (),
) -> G.Table:
    """One row per label set of ``join_on``: instant queries merged, one column each, sorted."""
    targets = _targets([Query(c.query.expr, c.query.legend, instant=True, format="table") for c in columns])
    renames = {f"Value #{t.refId}": c.title for t, c in zip(targets, columns, strict=True)}
    index = {label: i for i, label in enumerate(join_on)}
    index.update({c.title: len(join_on) + i for i, c in enumerate(columns)})
    overrides = [
        {
            "matcher": {"id": "byName", "options": c.title},
            "properties": [
                {"id": "unit", "value": c.unit},
                *([{"id": "thresholds", "value": {"mode": "absolute", "steps": _steps(c.thresholds)}},
                   {"id": "custom.cellOptions", "value": {"type": "color-background"}}] if c.thresholds else []),
                *([{"id": "mappings", "value": list(c.mappings)}] if c.mappings else []),
            ],
        }
        for c in columns
    ]
    overrides.extend(extra_overrides)
    return G.Table(
        title=title, description=description, dataSource=DATASOURCE, targets=targets, overrides=overrides,
        extraJson={
            "options": {"showHeader": True, "cellHeight": "sm",
                        "sortBy": [{"displayName": sort_by, "desc": descending}]},
            "transformations": [
                {"id": "merge", "options": {}},
                {"id": "organize", "options": {
                    "excludeByName": {"Time": True},
                    "indexByName": index,
                    "renameByName": renames,
                }},
            ],
        },
    )


def link(title: str, url: str, *, tooltip: str = "", keep_time: bool = False, icon: str = "external link",
         new_tab: bool = True) -> G.DashboardLink:
    """A link (dashboard or panel) to ``url``."""
    return G.DashboardLink(
        title=title, uri=url, type="link", tooltip=tooltip, keepTime=keep_time, icon=icon, targetBlank=new_tab,
    )


def dashboards_link(title: str, tags: Sequence[str]) -> G.DashboardLink:
    """A drop-down of the dashboards carrying all of ``tags``."""
    return G.DashboardLink(title=title, type="dashboards", tags=list(tags), asDropdown=True, keepTime=True,
                           includeVars=False)


def datasource_variable() -> G.Template:
    return G.Template(
        name=C.VAR_DATASOURCE, label="Data source", type="datasource", query=PROMETHEUS,
        default=C.DATASOURCE_PROMETHEUS_UID, hide=G.SHOW, regex="",
    )


def instance_variable(up_selector: str) -> G.Template:
    """Instances of a job (from ``up``, which exists as soon as a target is scraped)."""
    return G.Template(
        name=C.VAR_INSTANCE, label="Instance", query=f"label_values({up_selector}, {C.LABEL_INSTANCE})",
        dataSource=DATASOURCE, includeAll=True, multi=True, allValue=".*", default="All",
        refresh=G.REFRESH_ON_TIME_RANGE_CHANGE, sort=G.SORT_ALPHA_IGNORE_CASE_ASC, regex="",
    )


# --- Layout -------------------------------------------------------------------------------

#: A row of the grid: (height, [(width, panel), ...]).
Row = tuple[int, Sequence[tuple[int, G.Panel]]]


def grid(rows: Iterable[Row]) -> list[G.Panel]:
    """Place panels left to right, row by row; ids in reading order."""
    placed: list[G.Panel] = []
    y = 0
    for height, cells in rows:
        x = 0
        for width, panel in cells:
            if x + width > GRID_WIDTH:
                raise ValueError(f"row at y={y} is wider than {GRID_WIDTH} columns")
            placed.append(attr.evolve(panel, gridPos=G.GridPos(h=height, w=width, x=x, y=y),
                                      id=len(placed) + 1))
            x += width
        y += height
    return placed


def even(height: int, panels: Sequence[G.Panel]) -> Row:
    """A row of equally wide panels (the last takes what is left)."""
    if not panels:
        return (height, [])
    width = GRID_WIDTH // len(panels)
    cells = [(width, p) for p in panels]
    cells[-1] = (GRID_WIDTH - width * (len(panels) - 1), panels[-1])
    return (height, cells)


# --- The dashboard -------------------------------------------------------------------------


def dashboard_json(
    *,
    title: str,
    uid: str,
    description: str,
    tags: Sequence[str],
    panels: list[G.Panel],
    variables: Sequence[G.Template],
    links: Sequence[G.DashboardLink] = (),
    annotations: Sequence[dict[str, Any]] = (),
    time_from: str = "now-6h",
) -> dict[str, Any]:
    """The dashboard as the JSON a current Grafana stores (see module docstring)."""
    board = G.Dashboard(
        title=title, uid=uid, description=description, tags=list(tags), panels=panels,
        templating=G.Templating(list=list(variables)), links=list(links),
        annotations=G.Annotations(list=[_builtin_annotation(), *annotations]),
        time=G.Time(time_from, "now"), timezone="browser", refresh="1m", editable=True,
        graphTooltip=G.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
    )
    raw = json.loads(json.dumps(board.to_json_data(), cls=DashboardEncoder))
    return _house_style(raw)


def _builtin_annotation() -> dict[str, Any]:
    return {
        "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
    }


def alerts_annotation(name: str, expr: str) -> dict[str, Any]:
    """An annotation drawn while ``expr`` (e.g. ALERTS{...}) returns series."""
    return {
        "datasource": DATASOURCE, "enable": True, "hide": False, "iconColor": RED, "name": name,
        "expr": expr, "step": "60s",
        "titleFormat": "{{alertname}}", "textFormat": "{{severity}}: {{slo}}",
        "useValueForTime": False,
    }


def _house_style(raw: dict[str, Any]) -> dict[str, Any]:
    board = _only(_drop_none(raw), DASHBOARD_KEYS)
    board["schemaVersion"] = SCHEMA_VERSION
    board["timepicker"] = _only(board["timepicker"], TIMEPICKER_KEYS)
    board["panels"] = [_panel(p) for p in board["panels"]]
    variables = []
    for var in board["templating"]["list"]:
        var = _only(var, VARIABLE_KEYS)
        var["current"] = _only(var["current"], OPTION_KEYS)
        var["options"] = [_only(o, OPTION_KEYS) for o in var["options"]]
        if var["type"] == "datasource":
            var["current"]["text"] = "Prometheus"
        variables.append(var)
    board["templating"]["list"] = variables
    return board


def _panel(panel: dict[str, Any]) -> dict[str, Any]:
    panel = _only(panel, PANEL_KEYS)
    panel["targets"] = [_target(t) for t in panel["targets"]]
    return panel


def _target(target: dict[str, Any]) -> dict[str, Any]:
    target = _only(target, TARGET_KEYS)
    target["range"] = not target["instant"]
    return target


def _only(data: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in keys}


def _drop_none(data: Any, key: str = "") -> Any:
    if isinstance(data, dict):
        return {k: _drop_none(v, k) for k, v in data.items() if v is not None or k in _NULL_MEANS_SOMETHING}
    if isinstance(data, list):
        return [_drop_none(v) for v in data]
    return data
