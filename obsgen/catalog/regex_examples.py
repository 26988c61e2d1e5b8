"""Strings a label regex matches, derived from its syntax (for synthetic test series).

The regex is parsed with Python's own regex parser (``re._parser``), which reads the RE2 subset
users write in matchers (alternations, classes, ``.+``, ``[^/]+``, escapes, ``(?i)``, repeats);
RE2-only syntax (``\\pL``, ``[[:alpha:]]``, ``\\Q..\\E``, ``(?U)``, ``\\z``, ``\\x{..}``,
``(?<name>..)``) is first rewritten to a Python equivalent or a near one.  Every candidate is
only a guess until :func:`obsgen.catalog.re2.fullmatch` (RE2, anchored, as Prometheus matches)
accepts it: callers must check.
"""

from __future__ import annotations

import itertools
import re
import re._parser as sre_parse
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["examples"]

#: At most this many alternatives per node and strings per regex: enough to satisfy a few matchers
#: on one label together, without exploring a regex's whole language.
_PER_NODE = 4
_PER_REGEX = 64
#: Characters tried, in order, for a class or a negated literal.
_PREFERRED = "ax0-_/.:AZ9z"

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
#: Characters tried for \d, \w, \s and their negations (several: RE2's \pL may stand behind \w).
_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "09",
    "CATEGORY_NOT_DIGIT": "aA-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "aA0",
    "CATEGORY_WORD": "aA0_",
    "CATEGORY_NOT_WORD": "-./",
}


def _to_python(pattern: str) -> str:
    """RE2-only syntax as Python's parser reads it (same language, or a subset of it)."""
    text = re.sub(r"\\Q(.*?)(?:\\E|$)", lambda m: re.escape(m.group(1)), pattern, flags=re.S)
    text = re.sub(
        r"\[:(\^?)([a-z]+):\]",
        lambda m: _POSIX_CLASSES.get(m.group(2), m.group(0)) if not m.group(1) else m.group(0),
        text,
    )
    text = re.sub(r"\\x\{([0-9A-Fa-f]{1,6})\}", lambda m: f"\\U{int(m.group(1), 16):08x}", text)
    text = re.sub(r"\\p\{[^}]*\}|\\p[A-Za-z]", r"\\w", text)
    text = re.sub(r"\\P\{[^}]*\}|\\P[A-Za-z]", r"\\W", text)
    text = text.replace("\\z", "").replace("\\C", ".")
    text = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", text)
    # Flags (i, m, s, U) change no example obsgen picks (it picks "a", never a newline), and Python
    # refuses flags after the start: drop them.
    text = re.sub(r"\(\?[imsU-]+\)", "", text)
    return re.sub(r"\(\?[imsU-]+:", "(?:", text)


def examples(pattern: str) -> list[str]:
    """Up to a few dozen strings ``pattern`` likely matches in full; [] when it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible set intersection": RE2 has no such syntax
            parsed = sre_parse.parse(_to_python(pattern))
        return list(dict.fromkeys(itertools.islice(_sequence(list(parsed)), _PER_REGEX)))
    except (re.error, OverflowError, RecursionError, ValueError):
        return []


def _sequence(items: list[tuple[Any, Any]]) -> Iterator[str]:
    options = [list(itertools.islice(_node(op, av), _PER_NODE)) for op, av in items]
    if any(not o for o in options):
        return
    for parts in itertools.product(*options):
        yield "".join(parts)


def _node(op: Any, av: Any) -> Iterator[str]:
    name = str(op)
    if name == "LITERAL":
        yield chr(av)
    elif name == "NOT_LITERAL":
        yield from (c for c in _PREFERRED if ord(c) != av)
    elif name == "ANY":
        yield from "ax"
    elif name == "IN":
        yield from _in(av)
    elif name == "BRANCH":
        for branch in av[1]:
            yield from itertools.islice(_sequence(list(branch)), _PER_NODE)
    elif name == "SUBPATTERN":
        yield from _sequence(list(av[-1]))
    elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = av
        inner = list(itertools.islice(_sequence(list(sub)), _PER_NODE))
        if not inner:
            if low == 0:
                yield ""
            return
        counts = [low] + ([low + 1] if high > low else [])
        # An empty ".*" first, then one character: two values that differ for != and !~ matchers.
        for count in counts:
            for text in inner:
                yield text * count
    elif name == "AT":
        yield ""  # anchors: Prometheus anchors anyway; a word boundary is checked by RE2 afterwards
    elif name == "CATEGORY":
        yield from _CATEGORY_CHARS.get(str(av), "a")
    # GROUPREF, ASSERT, ASSERT_NOT: not RE2 (the catalog rejects them first); no example.


def _in(items: list[tuple[Any, Any]]) -> Iterator[str]:
    negated = any(str(op) == "NEGATE" for op, _ in items)
    chars: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            chars.append(chr(av))
        elif name == "RANGE":
            low, high = av
            chars += [chr(low)] + ([chr(high)] if high != low else [])
            chars += [c for c in _PREFERRED if low <= ord(c) <= high]
        elif name == "CATEGORY":
            chars += _CATEGORY_CHARS.get(str(av), "a")
    if not negated:
        yield from dict.fromkeys(chars)
        return
    excluded = _class_matcher(items)
    yield from (c for c in _PREFERRED if not excluded(c))


def _class_matcher(items: list[tuple[Any, Any]]) -> Any:
    """Whether a character is in the (un-negated) class."""

    def inside(c: str) -> bool:
        for op, av in items:
            name = str(op)
            if name == "LITERAL" and ord(c) == av:
                return True
            if name == "RANGE" and av[0] <= ord(c) <= av[1]:
                return True
            if name == "CATEGORY" and re.fullmatch(_CATEGORY_RE.get(str(av), "(?!)"), c):
                return True
        return False

    return inside


_CATEGORY_RE = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}
