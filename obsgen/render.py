"""Deterministic serialisation: the same data always gives the same bytes."""

from __future__ import annotations

import math
import re
from typing import Any, NewType

import orjson
import yaml
from yaml.emitter import ScalarAnalysis

from obsgen import conventions as C

#: Line breaks other than "\n" that PyYAML's emitter also treats as breaks.
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAKS = re.compile("[\n\x85\u2028\u2029]")
#: Characters PyYAML's emitter calls special (only double quotes can hold them), by allow_unicode.
_SPECIAL = {
    True: re.compile("[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]"),
    False: re.compile("[^\n\x20-\x7e]"),
}


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
        # For a string whose only line breaks are "\n", PyYAML's analysis reduces to a few searches:
        # line breaks rule out plain styles whatever the indicators, so only these flags remain.
        if "\n" not in scalar or _OTHER_BREAKS.search(scalar):
            return super().analyze_scalar(scalar)
        special = _SPECIAL[bool(self.allow_unicode)].search(scalar) is not None
        space_break = " \n" in scalar
        break_space = "\n " in scalar
        trailing_space = scalar.endswith(" ")
        return ScalarAnalysis(
            scalar=scalar,
            empty=False,
            multiline=True,
            allow_flow_plain=False,
            allow_block_plain=False,
            allow_single_quoted=not (break_space or space_break or special),
            allow_double_quoted=True,
            allow_block=not (trailing_space or space_break or special),
        )

    def write_plain(self, text: str, split: bool = True) -> None:
        # A one-line plain scalar that cannot reach best_width is written whole by PyYAML's loop too.
        if (
            not text
            or self.encoding
            or _BREAKS.search(text)
            or (split and self.column + 1 + len(text) > self.best_width)
        ):
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


def _str_representer(dumper: yaml.representer.SafeRepresenter, data: str) -> yaml.ScalarNode:
    # Multi-line strings (PromQL, descriptions) read best as literal blocks.
    if "\n" in data and not any(line != line.rstrip() for line in data.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)


class _CDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The same representation on libyaml's C emitter (no aliases, literal blocks for multi-line text).

    libyaml writes a block sequence that is a mapping value at its key's column ("indentless");
    :func:`_reindent` moves it (and everything inside it) two columns right, as ``_Dumper`` writes it.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent(self, data: Any) -> None:
        # The node tree SafeRepresenter builds (with the representers registered here), without its
        # per-node dispatch: exact JSON-like types are built directly, anything else goes through
        # represent_data.  The emitter sees the same nodes, so the bytes are the same.
        if self.sort_keys or self.default_flow_style is not False:
            super().represent(data)  # options obsgen does not use: the general path
            return
        self.serialize(self._node(data))
        self.represented_objects: dict[Any, Any] = {}
        self.object_keeper: list[Any] = []
        self.alias_key = None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # BaseResolver.resolve for scalars without path resolvers (libyaml's serializer asks twice
        # per scalar whether its tag may be left implicit), minus the list copies.
        if kind is yaml.ScalarNode and not self.yaml_path_resolvers:
            if implicit[0]:
                resolvers = self.yaml_implicit_resolvers
                for tag, regexp in resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
                for tag, regexp in resolvers.get(None, ()):
                    if regexp.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)

    def _node(self, data: Any) -> yaml.Node:
        kind = type(data)
        if kind is str:
            if "\n" in data:
                return _str_representer(self, data)
            return yaml.ScalarNode(_STR, data, style=self.default_style)
        # One-line strings (most keys and values) are built in place: the same node, one call less.
        if kind is dict:
            convert, scalar, style = self._node, yaml.ScalarNode, self.default_style
            return yaml.MappingNode(
                _MAP,
                [
                    (
                        scalar(_STR, k, style=style) if type(k) is str and "\n" not in k else convert(k),
                        scalar(_STR, v, style=style) if type(v) is str and "\n" not in v else convert(v),
                    )
                    for k, v in data.items()
                ],
                flow_style=self.default_flow_style,
            )
        if kind is list:
            convert, scalar, style = self._node, yaml.ScalarNode, self.default_style
            return yaml.SequenceNode(
                _SEQ,
                [
                    scalar(_STR, v, style=style) if type(v) is str and "\n" not in v else convert(v)
                    for v in data
                ],
                flow_style=self.default_flow_style,
            )
        if kind is bool:
            return yaml.ScalarNode(_BOOL, "true" if data else "false", style=self.default_style)
        if kind is int:
            return yaml.ScalarNode(_INT, str(data), style=self.default_style)
        if data is None:
            return yaml.ScalarNode(_NULL, "null", style=self.default_style)
        node: yaml.Node = self.represent_data(data)
        return node


_CDumper.add_representer(str, _str_representer)
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BOOL, _INT, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:null"

#: Whether PyYAML was built with libyaml (the fast path); without it every file takes the pure-Python path.
WITH_LIBYAML: bool = bool(getattr(yaml, "__with_libyaml__", False))

_OPTIONS: dict[str, Any] = {
    "sort_keys": False,
    "allow_unicode": True,
    "width": 1_000_000,
    "default_flow_style": False,
}

#: Output the re-indent pass does not vouch for (besides non-ASCII text, which libyaml and PyYAML
#: analyse and escape differently): an escape standing for a non-ASCII character, a complex key, and
#: the empty key (PyYAML writes it as a complex key, libyaml as a simple one).  libyaml never writes
#: an ASCII control character raw.  Each is gated on a substring test, far cheaper than the search.
_ESCAPE = re.compile(r"\\[NLP_xuU]")
_COMPLEX_KEY = re.compile(r"^ *(?:- )*(?:\?(?: |$)|'':)", re.MULTILINE)
#: A block scalar header at the end of a line (after a key's ": " or as a sequence item).
_LITERAL = re.compile(r"(?:^|: )\|[1-9]?[-+]?$")
#: Keys PyYAML writes as complex keys ("? key") are 123+ characters (its length counts "!!str");
#: libyaml's limit is 128 bytes.  Lines with a key near either limit take the pure-Python path.
_LONG_KEY = 120
#: A line this long means the emitter folded a scalar at the width (libyaml and PyYAML fold alike
#: only as far as tested): such output takes the pure-Python path.
_WIDTH: int = _OPTIONS["width"]
_QUOTED_KEY = re.compile(r"'(?:[^']|'')*'" + r'|"(?:[^"\\]|\\.)*"')
#: The end of a literal block whose lines are indented by N: the first non-empty line indented less.
_BLOCK_END: dict[int, re.Pattern[str]] = {}
_NONEMPTY_LINE = re.compile("^(?=.)", re.MULTILINE)


class _Unverified(Exception):
    """libyaml's output has something :func:`_reindent` cannot map to PyYAML's bytes."""


def _block_end(indent: int) -> re.Pattern[str]:
    pattern = _BLOCK_END.get(indent)
    if pattern is None:
        pattern = _BLOCK_END[indent] = re.compile("\n(?!\n|" + " " * indent + ")")
    return pattern


def _key_length(rest: str) -> int:
    """The length of the mapping key ``rest`` starts with (0 if it is no key)."""
    if rest[:1] in ("'", '"'):
        match = _QUOTED_KEY.match(rest)
        end = match.end() if match else 0
    else:
        end = rest.find(": ")
        if end < 0:
            end = len(rest) - 1 if rest.endswith(":") else 0
    return end if rest[end : end + 1] == ":" else 0


def _reindent(text: str) -> str:
    """libyaml's block YAML with every block sequence that is a mapping value indented by two more.

    Walks the structural lines (literal blocks are copied whole, shifted with their parent), keeping
    the columns of the open "indentless" sequences: a line inside n of them moves 2n columns right.
    Raises :class:`_Unverified` for output it cannot map exactly (checked by the property tests).
    """
    if (
        not text.isascii()
        or ("\\" in text and _ESCAPE.search(text))
        or (("? " in text or "?\n" in text or "'':" in text) and _COMPLEX_KEY.search(text))
    ):
        raise _Unverified
    out: list[str] = []
    frames: list[int] = []  # columns of the open indentless sequences, innermost last
    opens = False  # the previous structural line ended with "key:" (a block value follows)
    kept = False  # the last thing written was a "|+" block (the document is "open ended")
    pos = 0
    end = len(text)
    while pos < end:
        nl = text.find("\n", pos)
        if nl < 0:
            nl = end
        line = text[pos:nl]
        content = line.lstrip(" ")
        if not content:
            raise _Unverified  # an empty line outside a literal block: a multi-line quoted scalar
        if line == "...":
            # libyaml ends the stream with "..." once any "|+" block was written; PyYAML only when
            # the last one ends it (and never between documents without directives).
            if kept and nl + 1 >= end:
                out.append("...\n")
            pos = nl + 1
            continue
        column = len(line) - len(content)
        dash = content[:2] == "- " or content == "-"
        while frames and (column < frames[-1] or (column == frames[-1] and not dash)):
            frames.pop()
        if opens and dash:
            frames.append(column)
        shift = 2 * len(frames)
        out.append(" " * shift + line if shift else line)
        rest = content
        while rest[:2] == "- ":
            rest = rest[2:]
        if len(rest) >= _LONG_KEY and (_key_length(rest) >= _LONG_KEY or len(line) >= _WIDTH):
            raise _Unverified
        opens = rest[-1:] == ":"
        pos = nl + 1
        if rest[-1:] in "|-+123456789" and "|" in rest and _LITERAL.search(rest):
            key_column = column + len(content) - len(rest)
            indent = key_column if rest[0] == "|" else key_column + 2
            match = _block_end(indent).search(text, nl)
            stop = match.start() if match else end
            block = text[nl:stop]  # "\n" + the block's lines
            out.append(_NONEMPTY_LINE.sub(" " * shift, block) if shift else block)
            out.append("\n")
            pos = stop + 1
            opens = False
            kept = rest[-1] == "+"
        else:
            out.append("\n")
            kept = False
    return "".join(out)


def _dump(dump: Any, data: Any, **options: Any) -> str:
    """``data`` as obsgen's YAML: libyaml plus the re-indent pass, or PyYAML's pure-Python emitter."""
    roots = data if dump is yaml.dump_all else [data]
    if WITH_LIBYAML and all(isinstance(root, dict | list) for root in roots):  # a scalar root: rare, odd
        try:
            return _reindent(dump(data, Dumper=_CDumper, **_OPTIONS, **options))
        except _Unverified:
            pass
    return str(dump(data, Dumper=_Dumper, **_OPTIONS, **options))


def header(comment: str = "#") -> str:
    return f"{comment} {C.GENERATED_HEADER}\n"


def to_yaml(data: Any, *, with_header: bool = True) -> bytes:
    """YAML with keys in the order the generator built them (generators build in sorted order)."""
    return ((header() if with_header else "") + _dump(yaml.dump, data)).encode("utf-8")


def yaml_text(data: Any) -> str:
    """``data`` as obsgen's YAML text, without the header (what :func:`to_yaml` encodes)."""
    return _dump(yaml.dump, data)


def nested_yaml(text: str) -> str | None:
    """``text``, a block mapping as :func:`yaml_text` writes it, as the value of a block mapping key.

    PyYAML's emitter (whose bytes the libyaml path reproduces) writes a block collection one level
    down as the same lines two columns right: block and quoted continuation lines follow the
    enclosing indent and empty lines stay empty; nothing folds short of the width.  So the text
    need not be serialised again.  None where that is not vouched for: a stream left open with
    "..." (a "|+" block last), a line break other than "\n", text that could reach the width, an
    empty mapping (written "{}" on the key's line).
    """
    if (
        not text.endswith("\n")
        or text[:1] in ("{", "[")
        or text.endswith("\n...\n")
        or len(text) >= _WIDTH // 2
        or (not text.isascii() and _OTHER_BREAKS.search(text))
    ):
        return None
    return _NONEMPTY_LINE.sub("  ", text)


def literal_last(head: str, text: str) -> str | None:
    """``head``, YAML whose last value is the empty string (``''``), with ``text`` as that value.

    ``text`` is written as PyYAML's emitter writes a multi-line string (a literal block, each line
    two columns right of its key) without serialising it again: for ASCII text that starts with
    neither a space nor a line break, ends with exactly one line break, has no empty line and no
    special character or trailing space, the block is "|" and the lines themselves.  None where
    that is not vouched for (serialise the whole instead).
    """
    if (
        not head.endswith(": ''\n")
        or not text.endswith("\n")
        or text[:1] in ("", " ", "\n")
        or not text.isascii()
        or "\n\n" in text
        or " \n" in text
        # A character PyYAML's emitter calls special (ASCII: a control character or DEL).
        or not text.replace("\n", "").isprintable()
    ):
        return None
    start = head.rfind("\n", 0, len(head) - 1) + 1
    key_line = head[start:]
    pad = " " * (len(key_line) - len(key_line.lstrip(" ")) + 2)
    return head[: -len("''\n")] + "|\n" + pad + text[:-1].replace("\n", "\n" + pad) + "\n"


def to_yaml_documents(documents: list[Any]) -> bytes:
    """A multi-document YAML stream (Kubernetes manifests)."""
    return (header() + _dump(yaml.dump_all, documents, explicit_start=True)).encode("utf-8")


def python_yaml(data: Any) -> str:
    """``data`` through the pure-Python emitter only: the reference the libyaml path must equal."""
    return str(yaml.dump(data, Dumper=_Dumper, **_OPTIONS))


def to_json(data: Any) -> bytes:
    """JSON with sorted keys, two-space indent and a trailing newline."""
    # orjson: the same layout as json.dumps(indent=2, sort_keys=True, ensure_ascii=False) at a
    # fraction of the cost (the stdlib's indenting encoder is pure Python: 17% of generation at
    # 1,000 services). It writes NaN as null, so refuse non-finite floats first, as allow_nan=False did.
    check_finite(data)
    return _json(data)


#: JSON data whose producer refused every non-finite float as it built it (the dashboards' one-pass
#: conversion, :func:`obsgen.generate.dashboards.panels.dashboard_json`): :func:`finite_to_json`
#: writes it without walking it again.  Only a producer that checks may make one.
FiniteJson = NewType("FiniteJson", dict[str, Any])


def finite_to_json(data: FiniteJson) -> bytes:
    """:func:`to_json` for data already checked finite as it was built."""
    return _json(data)


def _json(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def not_finite(value: float) -> ValueError:
    """The error for a float JSON cannot hold (NaN, infinity): one message wherever it is caught."""
    return ValueError(f"cannot write {value} in JSON")


def check_finite(data: Any) -> None:
    """Refuse a NaN or infinite float anywhere in ``data`` (orjson would write it as null)."""
    if isinstance(data, float):
        if not math.isfinite(data):
            raise not_finite(data)
    elif isinstance(data, dict):
        for value in data.values():
            check_finite(value)
    elif isinstance(data, list | tuple):
        for value in data:
            check_finite(value)
