"""The shape of catalog format obsgen/v1, written once.

The same description checks a loaded document (with file:line:column, field path
and a "did you mean" for unknown keys) and renders the JSON Schema that
``obsgen schema`` prints for editors.  Cross-field rules (a service's team must
exist, a latency threshold must be a bucket boundary) live in ``build.py``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from obsgen import conventions as C
from obsgen import durations
from obsgen.catalog.loader import Document, Path, type_name
from obsgen.errors import Problem
from obsgen.model import DEPLOY_TARGETS, OUTPUTS
from obsgen.sli.presets import PRESETS


class Spec:
    """A node of the catalog's shape."""

    description: str = ""

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def _with_doc(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.description:
            schema["description"] = self.description
        return schema


#: Characters no catalog string may carry, even written as YAML escapes ("\x1b", "\u2028"): C0
#: controls but tab and newline, DEL, C1 controls, and the Unicode line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass
class Str(Spec):
    description: str = ""
    pattern: str | None = None
    pattern_hint: str = ""
    max_length: int = 4096
    enum: tuple[str, ...] = ()

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, str | int | float)
            or (not isinstance(value, str) and (self.pattern or self.enum))
        ):
            problems.append(doc.problem(path, f"expected a string, got {type_name(value)}"))
            return
        if not isinstance(value, str):
            problems.append(doc.problem(path, f"expected a string, got {type_name(value)}; quote it"))
            return
        if bad := _CONTROL.search(value):
            problems.append(
                doc.problem(
                    path,
                    f"contains the control character {bad.group()!r}; remove it "
                    "(it would reach generated YAML, comments and log lines raw)",
                )
            )
        elif len(value) > self.max_length:
            problems.append(doc.problem(path, f"is longer than {self.max_length} characters"))
        elif self.enum and value not in self.enum:
            problems.append(
                doc.problem(
                    path, f"{value!r} is not one of {', '.join(self.enum)}{_did_you_mean(value, self.enum)}"
                )
            )
        elif self.pattern and not re.fullmatch(self.pattern, value):
            problems.append(
                doc.problem(path, f"{value!r} {self.pattern_hint or 'does not match ' + self.pattern}")
            )

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.pattern:
            s["pattern"] = self.pattern
        if self.enum:
            s["enum"] = list(self.enum)
        return self._with_doc(s)


@dataclass
class Num(Spec):
    description: str = ""
    exclusive_min: float | None = None
    exclusive_max: float | None = None
    integer: bool = False

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(doc.problem(path, f"expected a number, got {type_name(value)} {value!r}"))
            return
        if self.integer and value != int(value):
            problems.append(doc.problem(path, f"expected a whole number, got {value!r}"))
            return
        if self.exclusive_min is not None and value <= self.exclusive_min:
            problems.append(doc.problem(path, f"{value} must be greater than {self.exclusive_min:g}"))
        if self.exclusive_max is not None and value >= self.exclusive_max:
            problems.append(doc.problem(path, f"{value} must be less than {self.exclusive_max:g}"))

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.exclusive_min is not None:
            s["exclusiveMinimum"] = self.exclusive_min
        if self.exclusive_max is not None:
            s["exclusiveMaximum"] = self.exclusive_max
        return self._with_doc(s)


@dataclass
class Bool(Spec):
    description: str = ""

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        if not isinstance(value, bool):
            problems.append(doc.problem(path, f"expected true or false, got {type_name(value)} {value!r}"))

    def schema(self) -> dict[str, Any]:
        return self._with_doc({"type": "boolean"})


@dataclass
class List(Spec):
    item: Spec
    description: str = ""
    unique: bool = False
    min_items: int = 0
    max_items: int = 1000

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        if not isinstance(value, list):
            problems.append(doc.problem(path, f"expected a list, got {type_name(value)}"))
            return
        if len(value) < self.min_items:
            problems.append(doc.problem(path, f"needs at least {self.min_items} item(s)"))
        if len(value) > self.max_items:
            problems.append(doc.problem(path, f"has more than {self.max_items} items"))
        seen: set[Any] = set()
        for i, item in enumerate(value):
            self.item.check(item, (*path, i), doc, problems)
            if self.unique and isinstance(item, str | int | float):
                if item in seen:
                    problems.append(doc.problem((*path, i), f"{item!r} is listed twice"))
                seen.add(item)

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "array", "items": self.item.schema(), "maxItems": self.max_items}
        if self.min_items:
            s["minItems"] = self.min_items
        if self.unique:
            s["uniqueItems"] = True
        return self._with_doc(s)


@dataclass
class Field:
    spec: Spec
    required: bool = False


@dataclass
class Obj(Spec):
    fields: Mapping[str, Field]
    description: str = ""

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        if not isinstance(value, dict):
            problems.append(doc.problem(path, f"expected a mapping, got {type_name(value)}"))
            return
        for key in value:
            if key not in self.fields:
                problems.append(
                    doc.problem(
                        (*path, key),
                        f"unknown key {key!r}{_did_you_mean(key, self.fields)}; "
                        f"allowed here: {', '.join(sorted(self.fields))}",
                        at_key=True,
                    )
                )
        for name, f in self.fields.items():
            if name not in value:
                if f.required:
                    problems.append(doc.problem(path, f"missing required key {name!r}"))
                continue
            f.spec.check(value[name], (*path, name), doc, problems)

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: f.spec.schema() for name, f in self.fields.items()},
        }
        required = [name for name, f in self.fields.items() if f.required]
        if required:
            s["required"] = required
        return self._with_doc(s)


@dataclass
class Map(Spec):
    """A mapping from user-chosen names to values of one shape."""

    value: Spec
    description: str = ""
    min_items: int = 0
    max_items: int = 10_000
    key_pattern: str = C.NAME_PATTERN
    key_max_length: int = C.NAME_MAX_LENGTH

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        if not isinstance(value, dict):
            problems.append(doc.problem(path, f"expected a mapping of names, got {type_name(value)}"))
            return
        if len(value) < self.min_items:
            problems.append(doc.problem(path, f"needs at least {self.min_items} entry"))
        if len(value) > self.max_items:
            problems.append(doc.problem(path, f"has more than {self.max_items} entries"))
        for key, item in value.items():
            if not re.fullmatch(self.key_pattern, key) or len(key) > self.key_max_length:
                problems.append(
                    doc.problem(
                        (*path, key),
                        f"name {key!r} must start with a lowercase letter, contain only a-z, 0-9 and '-', "
                        f"and be at most {self.key_max_length} characters",
                        at_key=True,
                    )
                )
            self.value.check(item, (*path, key), doc, problems)

    def schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {
            "type": "object",
            "propertyNames": {"pattern": self.key_pattern, "maxLength": self.key_max_length},
            "additionalProperties": self.value.schema(),
        }
        if self.min_items:
            s["minProperties"] = self.min_items
        return self._with_doc(s)


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- The catalog ----------------------------------------------------------------

DURATION_PATTERN = r"^(?=[0-9])(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?$"
DURATION_HINT = "is not a duration; write a number with a unit: ms, s, m, h or d (e.g. 400ms, 5m, 28d)"
METRIC_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
METRIC_HINT = "is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
#: Job labels reach PromQL (escaped) and Grafana queries, where `$` and `[[` start a template variable.
JOB_PATTERN = r"^(?!.*\[\[)[^\x00-\x1f\x7f$]+$"
JOB_HINT = "must not be empty or contain control characters, '$' or '[[' (Grafana would read a variable)"
#: A service's job is also the Kubernetes label obsgen.dev/job of its Service: a label value.
SERVICE_JOB_PATTERN = r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
SERVICE_JOB_HINT = (
    f"becomes the Kubernetes label {C.K8S_JOB_LABEL} of the Service: use at most {C.K8S_LABEL_MAX} letters, "
    "digits, '-', '_' or '.', starting and ending with a letter or digit"
)
URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f]+$"
URL_HINT = "must be an http:// or https:// URL without spaces"


@dataclass
class Duration(Str):
    """A string that durations.parse accepts (positive, at most ten years)."""

    def check(self, value: Any, path: Path, doc: Document, problems: list[Problem]) -> None:
        before = len(problems)
        super().check(value, path, doc, problems)
        if len(problems) == before:
            try:
                durations.parse_ms(value)
            except durations.DurationError as exc:
                problems.append(doc.problem(path, str(exc)))


#: Endpoints reach Prometheus, Alertmanager, Fluentd and Grafana provisioning (which expands `$`):
#: scheme, host, port and path only; no credentials (secrets never live in the catalog).
ENDPOINT_PATTERN = r"^https?://[A-Za-z0-9.\-_~\[\]:]+(/[A-Za-z0-9.\-_~/%]*)?$"
ENDPOINT_HINT = (
    "must be an http:// or https:// URL of host, port and path only (no credentials, query or '$')"
)


def _endpoint(description: str) -> Str:
    return Str(description=description, pattern=ENDPOINT_PATTERN, pattern_hint=ENDPOINT_HINT, max_length=2048)


def _duration(description: str) -> Duration:
    return Duration(
        description=description, pattern=DURATION_PATTERN, pattern_hint=DURATION_HINT, max_length=32
    )


def _url(description: str) -> Str:
    return Str(description=description, pattern=URL_PATTERN, pattern_hint=URL_HINT, max_length=2048)


TARGETS = List(
    Str(
        pattern=r"^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$",
        pattern_hint="must be host:port (e.g. demo-1:8000)",
        max_length=255,
    ),
    description="Static scrape targets (host:port) for the generated Prometheus config of the demo stack.",
    unique=True,
    max_items=100,
)

#: Alert tuning, per service and per SLO (an SLO's keys override its service's).
ALERTING = Obj(
    {
        "page": Field(Bool(description="false: never page, tickets only")),
        "ticket": Field(Bool(description="false: no ticket alerts (and no budget-exhausted ticket)")),
        "min_failures": Field(
            Num(
                description="Low-traffic guard: an SLO alert fires only when its long window also "
                "holds at least this many failed events; 0 turns the guard off; "
                "default 5",
                exclusive_min=-1,
                exclusive_max=1e9,
                integer=True,
            )
        ),
        "windows": Field(
            List(
                Obj(
                    {
                        "severity": Field(Str(enum=(C.SEVERITY_PAGE, C.SEVERITY_TICKET)), required=True),
                        "long": Field(_duration("Long window, e.g. 1h"), required=True),
                        "short": Field(_duration("Short window, shorter than long, e.g. 5m"), required=True),
                        "burn_rate": Field(
                            Num(
                                description="Burn rate both windows must exceed, e.g. 14.4",
                                exclusive_min=0,
                                exclusive_max=1e6,
                            ),
                            required=True,
                        ),
                    }
                ),
                description="The window table for these SLOs, replacing the SRE workbook's (taken as written, "
                "not scaled to slo_period)",
                min_items=1,
                max_items=20,
            )
        ),
    },
    description="When SLO alerts fire",
)

#: Cost estimates only (obsgen explain): how many label combinations group_by yields.
GROUP_BY_CARDINALITY = Num(
    description="Estimated number of groups (series per SLI recording), for obsgen "
    "explain's cost report; default 1",
    exclusive_min=0,
    exclusive_max=1e9,
    integer=True,
)
#: Label names (group_by) as Prometheus allows them; names starting with __ are its own.
LABEL_PATTERN = r"^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$"
LABEL_HINT = "is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"
SELECTOR_HINT = 'PromQL label matchers in braces, e.g. \'{service="shop", uri!="/health"}\''


def _group_by(description: str) -> List:
    return List(
        Str(pattern=LABEL_PATTERN, pattern_hint=LABEL_HINT, max_length=100),
        description=description,
        unique=True,
        max_items=10,
    )


SLO = Obj(
    {
        "kind": Field(
            Str(
                description="availability: requests that succeed; latency: requests faster than threshold; "
                "ratio: errors / total from any two counters",
                enum=("availability", "latency", "ratio"),
            ),
            required=True,
        ),
        "objective": Field(
            Num(
                description="Percent of good requests, 0 < x < 100 (e.g. 99.9)",
                exclusive_min=0,
                exclusive_max=100,
            ),
            required=True,
        ),
        "threshold": Field(
            _duration("Latency SLOs only: a request is good when faster; must be a bucket boundary")
        ),
        "description": Field(Str(description="Free text shown in alerts and dashboards", max_length=1024)),
        "alerting": Field(ALERTING),
        "group_by_cardinality": Field(GROUP_BY_CARDINALITY),
        "selector": Field(
            Str(
                description="Extra label matchers for this SLO only (per endpoint, per method): "
                + SELECTOR_HINT,
                max_length=2000,
            )
        ),
        "group_by": Field(
            _group_by(
                "Labels this SLO is evaluated and alerted per value of (default: the service's group_by)"
            )
        ),
        "errors": Field(
            Str(description="Ratio SLOs: series selector of bad events, metric{matchers}", max_length=2000)
        ),
        "total": Field(
            Str(description="Ratio SLOs: series selector of all events, metric{matchers}", max_length=2000)
        ),
    },
    description="A service level objective",
)

#: Kubernetes quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/).
CPU_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,3})?m?$"
MEMORY_PATTERN = r"^[0-9]{1,9}(Ki|Mi|Gi|Ti|k|M|G|T)?$"
#: Container images: registry/path:tag or @sha256:digest, no spaces or quotes.
IMAGE_PATTERN = r"^[a-z0-9][a-z0-9._\-/:@]*$"
HTTP_PATH_PATTERN = r"^/[A-Za-z0-9._~\-/]*$"

WORKLOAD = Obj(
    {
        "image": Field(
            Str(
                description="Container image, e.g. registry.example.com/pay:1.4.2",
                max_length=255,
                pattern=IMAGE_PATTERN,
                pattern_hint="is not an image reference (registry/name:tag)",
            ),
            required=True,
        ),
        "port": Field(
            Num(
                description=f"Port the container serves HTTP and /metrics on; default {C.DEFAULT_PORT}",
                exclusive_min=0,
                exclusive_max=65536,
            )
        ),
        "probes": Field(
            Obj(
                {
                    "liveness": Field(
                        Str(
                            description=f"Liveness probe path; default {C.LIVENESS_PATH}",
                            max_length=255,
                            pattern=HTTP_PATH_PATTERN,
                            pattern_hint="must be a URL path like /healthz",
                        )
                    ),
                    "readiness": Field(
                        Str(
                            description=f"Readiness probe path; default {C.READINESS_PATH}",
                            max_length=255,
                            pattern=HTTP_PATH_PATTERN,
                            pattern_hint="must be a URL path like /ready",
                        )
                    ),
                },
                description="HTTP probe paths; the defaults are obsgen.instrument's",
            )
        ),
        "resources": Field(
            Obj(
                {
                    "cpu": Field(
                        Str(
                            description="CPU request = limit; default 500m",
                            max_length=16,
                            pattern=CPU_PATTERN,
                            pattern_hint="is not a CPU quantity (e.g. 500m, 2)",
                        )
                    ),
                    "memory": Field(
                        Str(
                            description="Memory request = limit; default 256Mi",
                            max_length=16,
                            pattern=MEMORY_PATTERN,
                            pattern_hint="is not a memory quantity (e.g. 256Mi, 1Gi)",
                        )
                    ),
                },
                description="Requests = limits (Guaranteed QoS)",
            )
        ),
        "prestop_delay": Field(_duration("preStop sleep before SIGTERM, 1s to 20s; default 5s")),
    },
    description="How obsgen deploys the service on Kubernetes; without it, no Deployment is generated",
)

SERVICE = Obj(
    {
        "team": Field(Str(description="The owning team; must name an entry of teams"), required=True),
        "description": Field(Str(description="Free text, treated literally everywhere", max_length=1024)),
        "runbook_url": Field(_url("Runbook linked from alerts and dashboards")),
        "job": Field(
            Str(
                description="Prometheus job label; default: the service name",
                max_length=C.K8S_LABEL_MAX,
                pattern=SERVICE_JOB_PATTERN,
                pattern_hint=SERVICE_JOB_HINT,
            )
        ),
        "source": Field(
            Str(
                description="The exporter the service's request metrics come from (a preset); default obsgen",
                enum=tuple(PRESETS),
            )
        ),
        "selector": Field(
            Str(
                description="Label matchers selecting the service's series, replacing the default "
                '{job="<job>"}: ' + SELECTOR_HINT,
                max_length=2000,
            )
        ),
        "group_by": Field(
            _group_by("Labels the SLIs, alerts and target checks are split by (e.g. [cluster])")
        ),
        "metrics": Field(
            Obj(
                {
                    "requests": Field(
                        Str(
                            description="Counter of requests (may be a histogram's _count); default: the "
                            "source's",
                            pattern=METRIC_PATTERN,
                            pattern_hint=METRIC_HINT,
                            max_length=200,
                        )
                    ),
                    "duration": Field(
                        Str(
                            description="Request duration histogram (base name); default: the source's",
                            pattern=METRIC_PATTERN,
                            pattern_hint=METRIC_HINT,
                            max_length=200,
                        )
                    ),
                    "status_label": Field(
                        Str(
                            description="Label holding the response status; default: the source's",
                            pattern=LABEL_PATTERN,
                            pattern_hint=LABEL_HINT,
                            max_length=100,
                        )
                    ),
                    "route_label": Field(
                        Str(
                            description="Label holding the route template; default: the source's",
                            pattern=LABEL_PATTERN,
                            pattern_hint=LABEL_HINT,
                            max_length=100,
                        )
                    ),
                    "duration_unit": Field(
                        Str(description="Unit of the duration histogram", enum=("seconds", "milliseconds"))
                    ),
                    "buckets": Field(
                        List(
                            Num(exclusive_min=0),
                            description="Histogram bucket boundaries in the metric's unit (as in le)",
                            unique=True,
                            min_items=1,
                            max_items=100,
                        )
                    ),
                },
                description="Metric names and labels; defaults come from source",
            )
        ),
        "error_codes": Field(
            Str(
                description="Regex (RE2) on the status label for failed requests; default: the "
                "source's (5.., or gRPC code names for grpc)",
                max_length=200,
            )
        ),
        "alerting": Field(ALERTING),
        "group_by_cardinality": Field(GROUP_BY_CARDINALITY),
        "slos": Field(Map(SLO, description="SLO name -> SLO", max_items=50)),
        "logs": Field(
            Obj(
                {
                    "fields": Field(
                        List(
                            Str(
                                pattern=r"^[a-z_][a-z0-9_]*$",
                                pattern_hint="must be a snake_case field name",
                                max_length=63,
                            ),
                            description="Structured log fields mapped in the log stores",
                            unique=True,
                            max_items=100,
                        )
                    ),
                }
            )
        ),
        "targets": Field(TARGETS),
        "deploy": Field(WORKLOAD),
    },
    description="A service",
)

CATALOG = Obj(
    {
        "apiVersion": Field(Str(description="Catalog format version", enum=(C.API_VERSION,)), required=True),
        "slo_period": Field(_duration("Period over which SLOs and error budgets are measured; default 28d")),
        "grafana_url": Field(
            _url(
                "Base URL of Grafana, for dashboard links in alerts; default http://localhost:3000 "
                "(same as deploy.grafana_url; set one of them)"
            )
        ),
        "deploy": Field(
            Obj(
                {
                    "target": Field(
                        Str(
                            enum=DEPLOY_TARGETS,
                            description="compose: the docker-compose demo (default); "
                            "kubernetes: a cluster with the Prometheus Operator; hosts: plain Prometheus and "
                            "Alertmanager",
                        )
                    ),
                    "prometheus_url": Field(
                        _endpoint("Prometheus, as Grafana and Prometheus itself reach it")
                    ),
                    "alertmanager_url": Field(_endpoint("Alertmanager, as Prometheus and Grafana reach it")),
                    "loki_url": Field(_endpoint("Loki, as Fluentd and Grafana reach it")),
                    "elasticsearch_url": Field(_endpoint("Elasticsearch, as Fluentd and Grafana reach it")),
                    "grafana_url": Field(
                        _url("Grafana, for dashboard links in alerts; default http://localhost:3000")
                    ),
                    "demo_webhook": Field(
                        Bool(
                            description="compose only: every alert also goes to the demo stack's local "
                            f"webhook ({C.WEBHOOK_URL}); default false"
                        )
                    ),
                },
                description="Where the generated output runs and the endpoints it points at",
            )
        ),
        "outputs": Field(
            List(
                Str(enum=OUTPUTS),
                unique=True,
                min_items=1,
                max_items=len(OUTPUTS),
                description="What generate writes; default: everything",
            )
        ),
        "prometheus": Field(
            Obj(
                {
                    "scrape_interval": Field(
                        _duration("Scrape interval of the generated Prometheus config; default 15s")
                    ),
                    "evaluation_interval": Field(
                        _duration("Evaluation interval of fast rule groups; default 30s")
                    ),
                }
            )
        ),
        "environments": Field(
            Map(
                Obj(
                    {
                        "log_level": Field(
                            Str(enum=C.LOG_LEVELS, description="LOG_LEVEL of services in this environment")
                        ),
                    }
                ),
                description="Environment name -> settings",
            )
        ),
        "teams": Field(
            Map(
                Obj(
                    {
                        "slack_channel": Field(
                            Str(
                                pattern=r"^[#@][A-Za-z0-9._\-]{1,80}$",
                                pattern_hint="must look like #channel or @user",
                                max_length=81,
                            )
                        ),
                        "pagerduty_service": Field(
                            Str(
                                pattern=r"^[A-Za-z0-9._\-]{1,100}$",
                                pattern_hint="must be a name (letters, digits, . _ -); secrets never live in the catalog",
                                max_length=100,
                            )
                        ),
                        "webhook_url": Field(
                            _url(
                                "A webhook receiving every alert of the team (not a secret: use Slack or "
                                "PagerDuty for endpoints that need one)"
                            )
                        ),
                    }
                ),
                description="Team name -> contact points",
                min_items=1,
            ),
            required=True,
        ),
        "services": Field(Map(SERVICE, description="Service name -> service", min_items=1), required=True),
        "resources": Field(
            Map(
                Obj(
                    {
                        "kind": Field(
                            Str(
                                enum=("node", "container"),
                                description="node: node_exporter; container: cAdvisor",
                            ),
                            required=True,
                        ),
                        "job": Field(
                            Str(
                                description="Prometheus job label",
                                max_length=200,
                                pattern=JOB_PATTERN,
                                pattern_hint=JOB_HINT,
                            ),
                            required=True,
                        ),
                        "targets": Field(TARGETS),
                    }
                ),
                description="Targets of USE dashboards",
            )
        ),
    },
    description="obsgen service catalog",
)


def check(doc: Document) -> list[Problem]:
    """Every structural problem of ``doc`` against the obsgen/v1 shape."""
    problems: list[Problem] = []
    CATALOG.check(doc.data, (), doc, problems)
    return problems


def json_schema() -> dict[str, Any]:
    """The catalog's JSON Schema (draft 2020-12), for editors' YAML language servers."""
    schema = CATALOG.schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://obsgen.dev/schema/obsgen-v1.json",
        "title": "obsgen catalog (obsgen/v1)",
        **schema,
    }
