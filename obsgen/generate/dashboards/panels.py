"""House style: grafanalib panel factories, layout, and the dashboard JSON a current Grafana stores.

grafanalib mirrors Grafana's JSON one class per object, but writes schemaVersion 12 and
legacy fields a current Grafana does not read (rows, panel ``span``/``height``, heatmap
``cards``/``xAxis``, target ``intervalFactor``...).  :func:`dashboard_json` turns its output
into Grafana's current model (the ``@grafana/schema`` Dashboard type) by one rule for each
object (dashboard, time picker, panel, target, variable, variable option), see :class:`Shape`:

- the keys the house style always writes are written (``None`` values left out);
- a key holding grafanalib's default for the class is left out: nothing asked for it, and
  Grafana applies its own default (grafanalib's ``maxDataPoints: 100`` would cap every panel);
- any other key is an option somebody set: written when Grafana's current model has it,
  otherwise refused with :class:`UnsupportedOption`, never dropped.

Panel ids come from the panel's identity, not its position (:func:`panel_id`), so inserting a
panel renumbers nothing and ``viewPanel=`` links keep working.  Datasources are always objects
``{type, uid}`` pointing at the ``$datasource`` variable.  Only this module knows grafanalib:
the dashboard modules call its factories, so another builder (grafana-foundation-sdk) could
replace it behind the same functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import isfinite
from typing import Any

import attr
import grafanalib.core as G

from obsgen import conventions as C
from obsgen.render import FiniteJson, check_finite, not_finite

#: Grafana's dashboard schema version, the last of its v1 dashboard API (Grafana 12): its
#: migrations (grafana/grafana apps/dashboard/pkg/migration/schemaversion) end at V42, and
#: what V40-V42 do is already true here (``refresh`` a string, no timepicker
#: ``time_options``, no ``hideFrom.viz`` overrides).  A Grafana that knows an older version
#: leaves a newer one as it is.
SCHEMA_VERSION = 42
PROMETHEUS = "prometheus"
DATASOURCE: dict[str, str] = {"type": PROMETHEUS, "uid": f"${{{C.VAR_DATASOURCE}}}"}
GRID_WIDTH = 24
#: Panel ids are 1..PANEL_ID_MAX: Grafana's schema types them uint32; 31 bits keep them
#: positive in every signed 32-bit reader too, and make a collision (refused) very unlikely.
PANEL_ID_MAX = 2**31 - 1

# Colours Grafana names in its palette.
GREEN, YELLOW, ORANGE, RED, DARK_RED = "green", "yellow", "orange", "red", "dark-red"
TRANSPARENT = "transparent"


class UnsupportedOption(ValueError):
    """A dashboard object carries an option the generated JSON cannot express (a bug, not user input)."""


@dataclass(frozen=True)
class Shape:
    """What obsgen writes of one kind of Grafana object."""

    name: str
    #: Keys always written (when not None).
    always: frozenset[str]
    #: Every key of Grafana's current model for this object (@grafana/schema 13, see
    #: ../shared/schemas/grafana-dashboard.schema.json): an option set to a non-default value
    #: is written when listed here, refused otherwise.
    model: frozenset[str]
    #: Keys grafanalib writes as a copy of another key's value (left out when they are a copy).
    copies: tuple[tuple[str, str], ...] = ()


DASHBOARD = Shape(
    "dashboard",
    always=frozenset(
        {
            "annotations",
            "description",
            "editable",
            "graphTooltip",
            "links",
            "panels",
            "refresh",
            "schemaVersion",
            "tags",
            "templating",
            "time",
            "timepicker",
            "timezone",
            "title",
            "uid",
            "version",
        }
    ),
    model=frozenset(
        {
            "annotations",
            "description",
            "editable",
            "fiscalYearStartMonth",
            "gnetId",
            "graphTooltip",
            "id",
            "links",
            "liveNow",
            "panels",
            "preload",
            "refresh",
            "revision",
            "schemaVersion",
            "snapshot",
            "tags",
            "templating",
            "time",
            "timepicker",
            "timezone",
            "title",
            "uid",
            "version",
            "weekStart",
        }
    ),
)
TIMEPICKER = Shape(
    "time picker",
    always=frozenset({"hidden", "nowDelay", "refresh_intervals"}),
    model=frozenset({"hidden", "nowDelay", "quick_ranges", "refresh_intervals"}),
)
PANEL = Shape(
    "panel",
    always=frozenset(
        {
            "datasource",
            "description",
            "fieldConfig",
            "gridPos",
            "id",
            "interval",
            "links",
            "options",
            "targets",
            "title",
            "transformations",
            "type",
        }
    ),
    model=frozenset(
        {
            "autoMigrateFrom",
            "cacheTimeout",
            "datasource",
            "description",
            "fieldConfig",
            "gridPos",
            "hideTimeOverride",
            "id",
            "interval",
            "libraryPanel",
            "links",
            "maxDataPoints",
            "maxPerRow",
            "options",
            "pluginVersion",
            "queryCachingTTL",
            "repeat",
            "repeatDirection",
            "targets",
            "timeCompare",
            "timeFrom",
            "timeShift",
            "title",
            "transformations",
            "transparent",
            "type",
        }
    ),
)
#: Targets are datasource-specific: DataQuery's keys plus the Prometheus query's (@grafana/schema
#: PromQuery without the deprecated ``intervalFactor``; ``interval`` is the query's min step).
TARGET = Shape(
    "target",
    always=frozenset({"datasource", "expr", "format", "instant", "legendFormat", "range", "refId"}),
    model=frozenset(
        {
            "datasource",
            "editorMode",
            "exemplar",
            "expr",
            "format",
            "hide",
            "instant",
            "interval",
            "key",
            "legendFormat",
            "queryType",
            "range",
            "refId",
        }
    ),
    copies=(("query", "expr"),),  # grafanalib's Target writes expr twice
)
VARIABLE = Shape(
    "variable",
    always=frozenset(
        {
            "allValue",
            "current",
            "datasource",
            "description",
            "hide",
            "includeAll",
            "label",
            "multi",
            "name",
            "options",
            "query",
            "refresh",
            "regex",
            "skipUrlSync",
            "sort",
            "type",
        }
    ),
    model=frozenset(
        {
            "allValue",
            "allowCustomValue",
            "current",
            "datasource",
            "description",
            "enableGroupBy",
            "hide",
            "includeAll",
            "label",
            "multi",
            "name",
            "options",
            "query",
            "refresh",
            "regex",
            "regexApplyTo",
            "skipUrlSync",
            "sort",
            "staticOptions",
            "staticOptionsOrder",
            "type",
            "valuesFormat",
        }
    ),
)
#: Dashboard and panel links (both Grafana's DashboardLink).
LINK = Shape(
    "link",
    always=frozenset(
        {
            "asDropdown",
            "icon",
            "includeVars",
            "keepTime",
            "tags",
            "targetBlank",
            "title",
            "tooltip",
            "type",
            "url",
        }
    ),
    model=frozenset(
        {
            "asDropdown",
            "icon",
            "includeVars",
            "keepTime",
            "origin",
            "placement",
            "tags",
            "targetBlank",
            "title",
            "tooltip",
            "type",
            "url",
        }
    ),
)
OPTION = Shape(
    "variable option",
    always=frozenset({"selected", "text", "value"}),
    model=frozenset({"properties", "selected", "text", "value"}),
)
#: What grafanalib writes in a variable option nobody tagged (tags were removed in Grafana 8).
_OPTION_DEFAULTS: dict[str, Any] = {"tags": []}
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
            expr=q.expr,
            legendFormat=q.legend,
            refId=chr(ord("A") + i),
            instant=q.instant,
            format=q.format,
            datasource=DATASOURCE,
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
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_targets(queries),
        unit=unit,
        valueMin=min_value,
        valueMax=max_value,
        fillOpacity=10 if not stacked else 30,
        stacking={"mode": "normal", "group": "A"} if stacked else {"mode": "none", "group": "A"},
        legendDisplayMode="table",
        legendPlacement="bottom",
        legendCalcs=list(legend_calcs),
        tooltipMode="multi",
        tooltipSort="desc",
        showPoints="never",
        # Lines only: the area below the first line stays uncoloured.
        thresholds=_steps(thresholds, base=TRANSPARENT),
        thresholdsStyleMode="dashed" if thresholds else "off",
        links=list(links),
        interval=min_step,
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
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_targets(queries),
        format=unit,
        decimals=decimals,
        noValue=no_value,
        graphMode="area" if sparkline else "none",
        colorMode="background",
        reduceCalc="lastNotNull",
        color={"mode": "thresholds"},
        thresholds=_steps(thresholds),
        mappings=list(mappings),
        textMode="auto",
    )


def heatmap(title: str, query: Query, *, unit: str, description: str) -> G.Heatmap:
    """A heatmap of pre-bucketed histogram data (Grafana does not re-bucket it)."""
    if query.format != "heatmap":
        raise ValueError("a bucket heatmap needs a query with format='heatmap'")
    return G.Heatmap(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=_targets([query]),
        extraJson={
            "options": {
                "calculate": False,
                "cellGap": 1,
                "color": {
                    "mode": "scheme",
                    "scheme": "Oranges",
                    "scale": "exponential",
                    "exponent": 0.5,
                    "steps": 64,
                    "reverse": False,
                    "fill": "dark-orange",
                },
                "filterValues": {"le": 1e-9},
                "legend": {"show": True},
                "rowsFrame": {"layout": "auto"},
                "tooltip": {"mode": "single", "yHistogram": True, "showColorScale": False},
                "yAxis": {"axisPlacement": "left", "unit": unit, "reverse": False},
            },
            "fieldConfig": {
                "defaults": {"custom": {"scaleDistribution": {"type": "linear"}}},
                "overrides": [],
            },
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
                *(
                    [
                        {"id": "thresholds", "value": {"mode": "absolute", "steps": _steps(c.thresholds)}},
                        {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                    ]
                    if c.thresholds
                    else []
                ),
                *([{"id": "mappings", "value": list(c.mappings)}] if c.mappings else []),
            ],
        }
        for c in columns
    ]
    overrides.extend(extra_overrides)
    return G.Table(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=targets,
        overrides=overrides,
        extraJson={
            "options": {
                "showHeader": True,
                "cellHeight": "sm",
                "sortBy": [{"displayName": sort_by, "desc": descending}],
            },
            "transformations": [
                {"id": "merge", "options": {}},
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True},
                        "indexByName": index,
                        "renameByName": renames,
                    },
                },
            ],
        },
    )


def link(
    title: str,
    url: str,
    *,
    tooltip: str = "",
    keep_time: bool = False,
    icon: str = "external link",
    new_tab: bool = True,
) -> G.DashboardLink:
    """A link (dashboard or panel) to ``url``."""
    return G.DashboardLink(
        title=title,
        uri=url,
        type="link",
        tooltip=tooltip,
        keepTime=keep_time,
        icon=icon,
        targetBlank=new_tab,
    )


def dashboards_link(title: str, tags: Sequence[str]) -> G.DashboardLink:
    """A drop-down of the dashboards carrying all of ``tags``."""
    return G.DashboardLink(
        title=title, type="dashboards", tags=list(tags), asDropdown=True, keepTime=True, includeVars=False
    )


def datasource_variable() -> G.Template:
    return G.Template(
        name=C.VAR_DATASOURCE,
        label="Data source",
        type="datasource",
        query=PROMETHEUS,
        default=C.DATASOURCE_PROMETHEUS_UID,
        hide=G.SHOW,
        regex="",
    )


def instance_variable(up_selector: str) -> G.Template:
    """Instances of a job (from ``up``, which exists as soon as a target is scraped)."""
    return G.Template(
        name=C.VAR_INSTANCE,
        label="Instance",
        query=f"label_values({up_selector}, {C.LABEL_INSTANCE})",
        dataSource=DATASOURCE,
        includeAll=True,
        multi=True,
        allValue=".*",
        default="All",
        refresh=G.REFRESH_ON_TIME_RANGE_CHANGE,
        sort=G.SORT_ALPHA_IGNORE_CASE_ASC,
        regex="",
    )


def label_variable(label: str, selector: str) -> G.Template:
    """A multi-value variable over one label's values (a group_by label: cluster, region)."""
    return G.Template(
        name=label,
        label=label,
        query=f"label_values({selector}, {label})",
        dataSource=DATASOURCE,
        includeAll=True,
        multi=True,
        allValue=".*",
        default="All",
        refresh=G.REFRESH_ON_TIME_RANGE_CHANGE,
        sort=G.SORT_ALPHA_IGNORE_CASE_ASC,
        regex="",
    )


# --- Layout -------------------------------------------------------------------------------

#: A row of the grid: (height, [(width, panel), ...]).
Row = tuple[int, Sequence[tuple[int, G.Panel]]]


def grid(rows: Iterable[Row]) -> list[G.Panel]:
    """Place panels left to right, row by row (ids are not positional: see :func:`panel_id`)."""
    placed: list[G.Panel] = []
    y = 0
    for height, cells in rows:
        x = 0
        for width, panel in cells:
            if x + width > GRID_WIDTH:
                raise ValueError(f"row at y={y} is wider than {GRID_WIDTH} columns")
            placed.append(attr.evolve(panel, gridPos=G.GridPos(h=height, w=width, x=x, y=y)))
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


def panel_id(dashboard_uid: str, title: str) -> int:
    """A panel's id from its identity: the dashboard's uid and the panel's title (unique per dashboard).

    Stable when panels are added, removed or moved, so ``viewPanel=`` links users bookmark keep
    pointing at the same panel; a hash (not ``hash()``, which is salted per process).
    """
    digest = hashlib.sha256(f"{dashboard_uid}\n{title}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % PANEL_ID_MAX + 1


def dashboard_json(
    *,
    title: str,
    uid: str,
    description: str,
    tags: Sequence[str],
    panels: Sequence[G.Panel],
    variables: Sequence[G.Template],
    links: Sequence[G.DashboardLink] = (),
    annotations: Sequence[dict[str, Any]] = (),
    time_from: str = "now-6h",
) -> FiniteJson:
    """The dashboard as the JSON a current Grafana stores (see the module docstring).

    Every value comes from :func:`_to_json`, which refuses NaN and infinity as it converts: the
    result is :data:`~obsgen.render.FiniteJson`, written without a second walk.
    """
    board = G.Dashboard(
        title=title,
        uid=uid,
        description=description,
        tags=list(tags),
        panels=[],
        templating=G.Templating(list=[]),
        links=list(links),
        annotations=G.Annotations(list=[_builtin_annotation(), *annotations]),
        time=G.Time(time_from, "now"),
        timezone="browser",
        refresh="1m",
        editable=True,
        graphTooltip=G.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
    )
    where = f"dashboard {uid!r}"
    default = _defaults(board)
    out = _conform(_to_json(board), default, DASHBOARD, where)
    out["schemaVersion"] = SCHEMA_VERSION
    out["timepicker"] = _conform(out["timepicker"], default["timepicker"], TIMEPICKER, where)
    out["links"] = _links(links, where)
    out["panels"] = _panels(uid, panels)
    out["templating"] = {"list": [_variable(v, where) for v in variables]}
    return FiniteJson(out)


def _builtin_annotation() -> dict[str, Any]:
    return {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }


def alerts_annotation(name: str, expr: str) -> dict[str, Any]:
    """An annotation drawn while ``expr`` (e.g. ALERTS{...}) returns series."""
    return {
        "datasource": DATASOURCE,
        "enable": True,
        "hide": False,
        "iconColor": RED,
        "name": name,
        "expr": expr,
        "step": "60s",
        "titleFormat": "{{alertname}}",
        "textFormat": "{{severity}}: {{slo}}",
        "useValueForTime": False,
    }


def _panels(uid: str, panels: Sequence[G.Panel]) -> list[dict[str, Any]]:
    """Each panel in Grafana's current model, its id from its identity; duplicate ids refused."""
    out: list[dict[str, Any]] = []
    owner: dict[int, str] = {}
    for panel in panels:
        where = f"dashboard {uid!r}: panel {panel.title!r}"
        if panel.id is not None:
            raise UnsupportedOption(f"{where}: sets id={panel.id!r}; ids come from the title (panel_id)")
        # Links and targets are converted below, each against its own defaults.
        written = _conform(_to_json(panel, _PANEL_PARTS), _defaults(panel), PANEL, where)
        written["links"] = _links(panel.links, where)
        written["targets"] = [
            _target(_conform(_to_json(t), _defaults(t), TARGET, where)) for t in panel.targets
        ]
        pid = panel_id(uid, panel.title)
        if pid in owner:
            clash = (
                "has the same title" if owner[pid] == panel.title else f"gets the same id as {owner[pid]!r}"
            )
            raise ValueError(f"{where}: {clash}; give it a distinct title (panel ids come from titles)")
        owner[pid] = panel.title
        written["id"] = pid
        out.append(written)
    return out


_PANEL_PARTS = frozenset({"links", "targets"})


def _links(links: Sequence[G.DashboardLink], where: str) -> list[dict[str, Any]]:
    return [_conform(_to_json(link), _defaults(link), LINK, where) for link in links]


def _target(target: dict[str, Any]) -> dict[str, Any]:
    target["range"] = not target["instant"]
    return target


def _variable(variable: G.Template, where: str) -> dict[str, Any]:
    var = _conform(_to_json(variable), _defaults(variable), VARIABLE, f"{where}: variable {variable.name!r}")
    var["current"] = _conform(
        var["current"], _OPTION_DEFAULTS, OPTION, f"{where}: variable {variable.name!r}"
    )
    var["options"] = [
        _conform(o, _OPTION_DEFAULTS, OPTION, f"{where}: variable {variable.name!r}") for o in var["options"]
    ]
    if var["type"] == "datasource":
        var["current"]["text"] = "Prometheus"
    return var


_MISSING = object()


def _conform(written: dict[str, Any], default: dict[str, Any], shape: Shape, where: str) -> dict[str, Any]:
    """``written`` in Grafana's current model: see :class:`Shape` and the module docstring."""
    out: dict[str, Any] = {}
    copies = dict(shape.copies)
    for key, value in written.items():
        if value is None:
            continue
        if key in shape.always:
            out[key] = value
        elif default.get(key, _MISSING) == value:
            continue  # grafanalib's default, which nobody asked for
        elif key in copies and written.get(copies[key], _MISSING) == value:
            continue  # grafanalib's copy of a key that is written
        elif key in shape.model:
            out[key] = value
        else:
            raise UnsupportedOption(
                f"{where}: {shape.name} option {key}={value!r} has no place in a current Grafana "
                f"{shape.name} (schemaVersion {SCHEMA_VERSION}); use the current option instead"
            )
    return out


def _defaults(obj: Any) -> dict[str, Any]:
    """What grafanalib writes for ``obj``'s class when given only its required arguments.

    The result is shared between calls (it is a pure function of the class and those arguments):
    callers only read it.
    """
    cls = type(obj)
    if not attr.has(cls):
        return {}  # plain JSON data: every key in it was set on purpose
    required = tuple(
        (f.name, getattr(obj, f.name)) for f in attr.fields(cls) if f.init and f.default is attr.NOTHING
    )
    try:
        return _class_defaults(cls, required)
    except TypeError:  # an unhashable required argument: not remembered
        return _class_defaults.__wrapped__(cls, required)


@lru_cache(maxsize=64)
def _class_defaults(cls: type, required: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    data: dict[str, Any] = _to_json(cls(**dict(required)))
    return data


def _to_json(obj: Any, keep: frozenset[str] = frozenset()) -> Any:
    """grafanalib objects as plain JSON data, ``None`` left only where it means something.

    The same data as ``json.loads(json.dumps(obj, default=_encode))`` with ``None`` dropped, built
    in one pass; anything the pass does not handle exactly (a non-string key, a subclass of a JSON
    type) takes that round trip instead.  ``keep``: top-level keys whose values the caller
    replaces (they are left unconverted).  A NaN or infinite float is refused (``ValueError``, the
    message of :func:`obsgen.render.to_json`), which is why a dashboard needs no second check.
    """
    try:
        return _plain(obj, keep)
    except _RoundTrip:
        data = _drop_none(json.loads(json.dumps(obj, default=_encode)))
        check_finite(data)
        return data


class _RoundTrip(Exception):
    """``obj`` holds something only the JSON round trip converts exactly."""


#: Values the JSON round trip returns unchanged (exact types: a subclass takes the round trip).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(obj: Any, keep: frozenset[str] = frozenset()) -> Any:
    """``obj`` as plain JSON data; the values of the top-level keys in ``keep`` are left as they are.

    Refuses a NaN or infinite float (orjson would write it as null), so the result needs no
    second walk before it is written.
    """
    kind = type(obj)
    if kind in _SCALARS:
        if kind is float and not isfinite(obj):
            raise not_finite(obj)
        return obj
    if kind is dict:
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if type(key) is not str:
                raise _RoundTrip
            kind = type(value)
            if kind not in _SCALARS:
                if key not in keep:
                    value = _plain(value)
            elif kind is float and not isfinite(value):
                raise not_finite(value)
            if value is not None or key in _NULL_MEANS_SOMETHING:
                out[key] = value
        return out
    if kind is list or kind is tuple:
        # A float goes through _plain too, which refuses it if it is not finite.
        return [v if (t := type(v)) in _SCALARS and t is not float else _plain(v) for v in obj]
    if isinstance(obj, str | int | float | list | tuple | dict):
        raise _RoundTrip
    return _plain(_encode(obj), keep)


def _encode(obj: Any) -> Any:
    to_json_data = getattr(obj, "to_json_data", None)
    if to_json_data is None:
        raise TypeError(f"cannot write {type(obj).__name__} to dashboard JSON")
    return to_json_data()


def _drop_none(data: Any, key: str = "") -> Any:
    if isinstance(data, dict):
        return {k: _drop_none(v, k) for k, v in data.items() if v is not None or k in _NULL_MEANS_SOMETHING}
    if isinstance(data, list):
        return [_drop_none(v) for v in data]
    return data
