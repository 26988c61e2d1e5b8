"""A strict parser for PromQL label-matcher lists and plain series selectors.

``{label op "value", ...}`` (op one of ``= != =~ !~``) and ``metric{...}`` (or a bare
``metric``): nothing else, no functions, no ranges, no offsets.  The parsed matchers are
re-emitted through :mod:`obsgen.promql`'s escaping builders, never pasted as text.  Values take
PromQL's string forms: double or single quotes with Go escapes, or backquotes (raw).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from obsgen import promql as Q

__all__ = ["SelectorError", "Series", "parse_matchers", "parse_series", "read_string"]

_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}


class SelectorError(ValueError):
    """Text that is not a matcher list (or series selector) of the accepted form."""


@dataclass(frozen=True)
class Series:
    """``metric{matchers}``."""

    metric: str
    matchers: tuple[Q.Matcher, ...]

    def __str__(self) -> str:
        return Q.selector(self.metric, *self.matchers)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, what: str) -> SelectorError:
        found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end"
        return SelectorError(f"expected {what} at character {self.pos + 1}, found {found}")

    def expect(self, char: str, what: str) -> None:
        self.skip_space()
        if self.peek() != char:
            raise self.fail(what)
        self.pos += 1

    def name(self, pattern: re.Pattern[str], what: str) -> str:
        self.skip_space()
        m = pattern.match(self.text, self.pos)
        if not m:
            raise self.fail(what)
        self.pos = m.end()
        return m.group()

    def op(self) -> str:
        self.skip_space()
        for op in ("=~", "!~", "!=", "="):
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return op
        raise self.fail("one of =, !=, =~, !~")

    def string(self) -> str:
        self.skip_space()
        quote = self.peek()
        if quote not in ("'", '"', "`"):
            raise self.fail("a quoted value")
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise SelectorError(f"unterminated string starting with {quote}")
            ch = self.text[self.pos]
            self.pos += 1
            if ch == quote:
                return "".join(out)
            if quote != "`" and ch == "\n":
                raise SelectorError("a newline inside a quoted value; write it as \\n")
            if quote == "`" or ch != "\\":
                out.append(ch)
                continue
            out.append(self._escape(quote))

    def _escape(self, quote: str) -> str:
        ch = self.peek()
        self.pos += 1
        if ch in _SIMPLE_ESCAPES and (ch not in "'\"" or ch == quote):
            return _SIMPLE_ESCAPES[ch]
        digits = {"x": 2, "u": 4, "U": 8}.get(ch)
        if digits:
            hex_ = self.text[self.pos : self.pos + digits]
            if len(hex_) != digits or not all(c in "0123456789abcdefABCDEF" for c in hex_):
                raise SelectorError(f"invalid \\{ch} escape in a quoted value")
            self.pos += digits
            if int(hex_, 16) > 0x10FFFF:
                raise SelectorError(f"\\{ch}{hex_} is beyond the last Unicode code point")
            return chr(int(hex_, 16))
        if ch in "01234567":
            octal = self.text[self.pos - 1 : self.pos + 2]
            if len(octal) != 3 or not all(c in "01234567" for c in octal):
                raise SelectorError("invalid octal escape in a quoted value")
            self.pos += 2
            return chr(int(octal, 8))
        raise SelectorError(f"unknown escape \\{ch} in a quoted value")


def _matcher_list(r: _Reader) -> tuple[Q.Matcher, ...]:
    r.expect("{", "'{'")
    matchers: list[Q.Matcher] = []
    while True:
        r.skip_space()
        if r.peek() == "}":
            r.pos += 1
            break
        label = r.name(_NAME, "a label name")
        if label.startswith("__"):
            raise SelectorError(f"label {label!r} is reserved (names starting with __ are Prometheus' own)")
        op = r.op()
        matchers.append(Q.Matcher(label, op, r.string()))
        r.skip_space()
        if r.peek() == ",":
            r.pos += 1
            continue
        r.expect("}", "',' or '}'")
        break
    r.skip_space()
    if r.pos != len(r.text):
        raise r.fail("nothing after '}'")
    return tuple(matchers)


def read_string(text: str, pos: int) -> tuple[str, int]:
    """The PromQL string literal starting at ``text[pos]`` (quotes and Go escapes as above) and the
    position after it.  Raises SelectorError."""
    r = _Reader(text)
    r.pos = pos
    value = r.string()
    return value, r.pos


def parse_matchers(text: str) -> tuple[Q.Matcher, ...]:
    """``{a="b", c!~"d|e"}`` -> matchers, in order.  Raises SelectorError."""
    return _matcher_list(_Reader(text))


def parse_series(text: str) -> Series:
    """``metric{a="b"}`` or ``metric`` -> Series.  Raises SelectorError."""
    r = _Reader(text)
    metric = r.name(_METRIC, "a metric name")
    r.skip_space()
    if r.pos == len(text):
        return Series(metric, ())
    return Series(metric, _matcher_list(r))
