"""Deterministic serialisation: the same data always gives the same bytes."""

from __future__ import annotations

import math
import re
from typing import Any

import orjson
import yaml
from yaml.emitter import ScalarAnalysis

from obsgen import conventions as C

#: Line breaks other than "\n" that PyYAML's emitter also treats as breaks.
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAKS = re.compile("[\n\x85\u2028\u2029]")
#: Characters PyYAML's emitter calls special (only double quotes can hold them), by allow_unicode.
_SPECIAL = {
    True: re.compile("[^\n\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010FFFE]"),
    False: re.compile("[^\n\x20-\x7E]"),
}
#: Analyses of scalars already emitted: keys and label values repeat across thousands of rules.
_ANALYSES: dict[tuple[str, bool], ScalarAnalysis] = {}
_ANALYSES_MAX = 100_000


class _Dumper(yaml.SafeDumper):
    """SafeDumper that keeps insertion order, indents lists, and never emits aliases.

    Multi-line strings (PromQL, dashboards inside ConfigMaps) take two fast paths that produce the
    same bytes as PyYAML's character-by-character loops, which otherwise dominate generation time.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        # A pure function of the string and allow_unicode; the emitter only reads the result.
        key = (scalar, bool(self.allow_unicode))
        analysis = _ANALYSES.get(key)
        if analysis is None:
            if len(_ANALYSES) >= _ANALYSES_MAX:
                _ANALYSES.clear()
            analysis = _ANALYSES[key] = self._analyze_scalar(scalar)
        return analysis

    def _analyze_scalar(self, scalar: str) -> ScalarAnalysis:
        # For a string whose only line breaks are "\n", PyYAML's analysis reduces to a few searches:
        # line breaks rule out plain styles whatever the indicators, so only these flags remain.
        if "\n" not in scalar or _OTHER_BREAKS.search(scalar):
            return super().analyze_scalar(scalar)
        special = _SPECIAL[bool(self.allow_unicode)].search(scalar) is not None
        space_break = " \n" in scalar
        break_space = "\n " in scalar
        trailing_space = scalar.endswith(" ")
        return ScalarAnalysis(
            scalar=scalar, empty=False, multiline=True,
            allow_flow_plain=False, allow_block_plain=False,
            allow_single_quoted=not (break_space or space_break or special),
            allow_double_quoted=True,
            allow_block=not (trailing_space or space_break or special),
        )

    def write_plain(self, text: str, split: bool = True) -> None:
        # A one-line plain scalar that cannot reach best_width is written whole by PyYAML's loop too.
        if (not text or self.encoding or _BREAKS.search(text)
                or (split and self.column + 1 + len(text) > self.best_width)):
            super().write_plain(text, split)
            return
        if self.root_context:
            self.open_ended = True
        if not self.whitespace:
            self.stream.write(" ")
            self.column += 1
        self.whitespace = False
        self.indention = False
        self.stream.write(text)
        self.column += len(text)

    def write_literal(self, text: str) -> None:
        # Same output as PyYAML's loop for "\n"-only text: each non-empty line indented, breaks kept.
        if not text or self.encoding or _OTHER_BREAKS.search(text):
            super().write_literal(text)
            return
        hints = self.determine_block_hints(text)
        self.write_indicator("|" + hints, True)
        if hints[-1:] == "+":
            self.open_ended = True
        self.write_line_break()
        indent = " " * (self.indent or 0)
        br = self.best_line_break
        lines = text.split("\n")
        out = br.join(indent + line if line else "" for line in lines)
        if not text.endswith("\n"):
            out += br
        self.stream.write(out)
        self.line += text.count("\n") + (0 if text.endswith("\n") else 1)
        self.column = 0
        self.whitespace = True
        self.indention = True


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # Multi-line strings (PromQL, descriptions) read best as literal blocks.
    if "\n" in data and not any(line != line.rstrip() for line in data.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)


def header(comment: str = "#") -> str:
    return f"{comment} {C.GENERATED_HEADER}\n"


def to_yaml(data: Any, *, with_header: bool = True) -> bytes:
    """YAML with keys in the order the generator built them (generators build in sorted order)."""
    body = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False
    )
    return ((header() if with_header else "") + body).encode("utf-8")


def to_yaml_documents(documents: list[Any]) -> bytes:
    """A multi-document YAML stream (Kubernetes manifests)."""
    body = yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000,
        default_flow_style=False, explicit_start=True,
    )
    return (header() + body).encode("utf-8")


def to_json(data: Any) -> bytes:
    """JSON with sorted keys, two-space indent and a trailing newline."""
    # orjson: the same layout as json.dumps(indent=2, sort_keys=True, ensure_ascii=False) at a
    # fraction of the cost (the stdlib's indenting encoder is pure Python: 17% of generation at
    # 1,000 services). It writes NaN as null, so refuse non-finite floats first, as allow_nan=False did.
    _check_finite(data)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def _check_finite(data: Any) -> None:
    if isinstance(data, float):
        if not math.isfinite(data):
            raise ValueError(f"cannot write {data} in JSON")
    elif isinstance(data, dict):
        for value in data.values():
            _check_finite(value)
    elif isinstance(data, list | tuple):
        for value in data:
            _check_finite(value)
