"""Recognise the Prometheus queries of ratio SLIs that name one counter, exactly, and print them back.

Accepted forms (whitespace free), where ``S`` is a selector ``metric{label op "value", ...}`` or
``{__name__="metric", ...}``::

    S    rate(S[w])    increase(S[w])    sum(S)    sum(rate(S[w]))    sum(increase(S[w]))

All of them read the same counter: obsgen sums it and takes its own rates over its own windows,
so the range ``w`` of the query does not matter.  Anything else (grouping, other functions,
arithmetic, offsets, subqueries) is refused: the SLI would no longer be that counter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from obsgen import promql
from obsgen.promql import Matcher
from obsgen.sli.selector import SelectorError, read_string

_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_OP = re.compile(r"=~|!~|!=|=")
_RANGE = re.compile(r"\[\s*(?:(?:[0-9]+(?:ms|[smhdwy]))+|\$[a-zA-Z_][a-zA-Z0-9_]*)\s*\]")
MAX_QUERY = 4096


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Selector:
    """One counter and its label matchers (in the order written)."""

    metric: str
    matchers: tuple[Matcher, ...]

    def __str__(self) -> str:
        return promql.selector(self.metric, *self.matchers)

    def braces(self) -> str:
        """The matchers alone, ``{a="b"}``, as a catalog ``selector`` is written."""
        return "{" + ",".join(str(m) for m in self.matchers) + "}"


def parse(text: str) -> Selector:
    """The counter selector ``text`` reads; raise QueryError saying why it is not one."""
    if len(text) > MAX_QUERY:
        raise QueryError(f"query is longer than {MAX_QUERY} characters")
    p = _Parser(text)
    sel = p.query()
    p.ws()
    if p.i != len(text):
        raise QueryError(f"unexpected {text[p.i : p.i + 20]!r} at character {p.i + 1}")
    return sel


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def peek_word(self) -> str:
        self.ws()
        m = _IDENT.match(self.s, self.i)
        return m.group() if m else ""

    def expect(self, ch: str) -> None:
        self.ws()
        if not self.s.startswith(ch, self.i):
            found = self.s[self.i : self.i + 10] or "the end"
            raise QueryError(f"expected {ch!r} at character {self.i + 1}, found {found!r}")
        self.i += len(ch)

    def query(self) -> Selector:
        word = self.peek_word()
        if word == "sum":
            self.i += 3
            self.ws()
            if self.peek_word() in ("by", "without"):
                raise QueryError(
                    "sum by/without groups the SLI into several series; obsgen needs one total "
                    "(write sum(...), or one SLO per group)"
                )
            self.expect("(")
            sel = self.inner()
            self.expect(")")
            self.ws()
            if self.peek_word() in ("by", "without"):
                raise QueryError(
                    "sum (...) by/without groups the SLI into several series; obsgen needs one total"
                )
            return sel
        return self.inner()

    def inner(self) -> Selector:
        word = self.peek_word()
        if word in ("rate", "increase"):
            self.i += len(word)
            self.expect("(")
            sel = self.selector()
            self.ws()
            m = _RANGE.match(self.s, self.i)
            if not m:
                raise QueryError(f"{word}() needs a range such as [5m] right after the selector")
            self.i = m.end()
            self.expect(")")
            return sel
        if word and self.s.startswith("(", self._after(word)):
            raise QueryError(
                f"{word}() is not a counter: obsgen maps sum, rate and increase of one counter only"
            )
        return self.selector()

    def _after(self, word: str) -> int:
        j = self.i + len(word)
        while j < len(self.s) and self.s[j] in " \t\r\n":
            j += 1
        return j

    def selector(self) -> Selector:
        self.ws()
        metric = ""
        m = _IDENT.match(self.s, self.i)
        if m:
            metric = m.group()
            self.i = m.end()
        matchers: list[Matcher] = []
        self.ws()
        if self.s.startswith("{", self.i):
            self.i += 1
            while True:
                self.ws()
                if self.s.startswith("}", self.i):
                    self.i += 1
                    break
                matchers.append(self.matcher())
                self.ws()
                if self.s.startswith(",", self.i):
                    self.i += 1
                    continue
                self.expect("}")
                break
        names = [x for x in matchers if x.label == "__name__"]
        if names:
            if metric or len(names) > 1 or names[0].op != "=":
                raise QueryError('__name__ must be a single exact match (__name__="metric")')
            metric = names[0].value
            matchers = [x for x in matchers if x.label != "__name__"]
        if not metric or not _IDENT.fullmatch(metric):
            raise QueryError('expected a counter selector such as http_requests_total{job="api"}')
        self.ws()
        if self.peek_word() in ("offset", "bool", "and", "or", "unless") or self.s.startswith("@", self.i):
            raise QueryError(
                "offsets, modifiers and set operators change which events are counted; remove them"
            )
        if len(set(matchers)) != len(matchers):
            raise QueryError("a matcher is written twice; write it once")
        return Selector(metric, tuple(matchers))

    def matcher(self) -> Matcher:
        m = _LABEL.match(self.s, self.i)
        if not m:
            raise QueryError(f"expected a label name at character {self.i + 1}")
        self.i = m.end()
        self.ws()
        op = _OP.match(self.s, self.i)
        if not op:
            raise QueryError(f"expected =, !=, =~ or !~ after {m.group()!r}")
        self.i = op.end()
        self.ws()
        return Matcher(m.group(), op.group(), self.string())

    def string(self) -> str:
        try:
            value, self.i = read_string(self.s, self.i)
        except SelectorError as exc:
            raise QueryError(str(exc)) from None
        return value
