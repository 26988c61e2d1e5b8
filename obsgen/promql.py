"""Small builders for PromQL, shared by alerts and dashboards.

Every label value goes through :func:`quote`, so a value from the catalog can
never break out of its selector; label and metric names are checked, not escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from obsgen import durations

_METRIC_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_OPS = ("=", "!=", "=~", "!~")
#: A string with nothing to escape (the common case: names, routes, durations).
_NOTHING_TO_ESCAPE = re.compile(r'[^\\"\x00-\x1f\x7f]*')


def quote(value: str) -> str:
    """A PromQL double-quoted string literal holding exactly ``value``."""
    if _NOTHING_TO_ESCAPE.fullmatch(value):
        return f'"{value}"'
    out = ['"']
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def metric_name(name: str) -> str:
    if not _METRIC_RE.match(name):
        raise ValueError(f"not a metric name: {name!r}")
    return name


def label_name(name: str) -> str:
    if not _LABEL_RE.match(name):
        raise ValueError(f"not a label name: {name!r}")
    return name


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def __str__(self) -> str:
        if self.op not in _OPS:
            raise ValueError(f"not a matcher operator: {self.op!r}")
        return f"{label_name(self.label)}{self.op}{quote(self.value)}"


def eq(label: str, value: str) -> Matcher:
    return Matcher(label, "=", value)


def re_match(label: str, value: str) -> Matcher:
    return Matcher(label, "=~", value)


def not_re_match(label: str, value: str) -> Matcher:
    return Matcher(label, "!~", value)


def selector(metric: str, *matchers: Matcher) -> str:
    """``metric{a="b",c=~"d"}``; matchers keep the order given."""
    inner = ",".join(str(m) for m in matchers)
    return f"{metric_name(metric)}{{{inner}}}" if inner else metric_name(metric)


def window(value: timedelta | str) -> str:
    """A range like ``[5m]`` (Grafana variables like ``$__rate_interval`` pass through)."""
    if isinstance(value, str):
        if not (value.startswith("$") and _LABEL_RE.match(value.lstrip("$"))):
            durations.parse_ms(value)
        return f"[{value}]"
    return f"[{durations.format_prometheus(value)}]"


def rate(series: str, over: timedelta | str) -> str:
    return f"rate({series}{window(over)})"


def increase(series: str, over: timedelta | str) -> str:
    return f"increase({series}{window(over)})"


def by(labels: Iterable[str]) -> str:
    return f"by ({', '.join(label_name(label) for label in labels)})"


def sum_by(labels: Iterable[str], expr: str) -> str:
    labels = list(labels)
    return f"sum {by(labels)} ({expr})" if labels else f"sum({expr})"


def with_label(expr: str, label: str, value: str) -> str:
    """``expr`` with ``label`` set to ``value`` on every element (``label_replace`` from no source label).

    The replacement is a template (``$1``, ``${name}``): ``$`` is doubled so ``value`` stays literal.
    """
    return f'label_replace({expr}, {quote(label_name(label))}, {quote(value.replace("$", "$$"))}, "", "")'


def number(value: float) -> str:
    """A float as PromQL reads it, without float noise (0.0010000000000000009 -> 0.001)."""
    text = f"{value:.12g}"
    return text
