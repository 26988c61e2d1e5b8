"""Regexes as Prometheus reads them: RE2 syntax, anchored at both ends.

Every regex the catalog takes (``error_codes``, ``=~``/``!~`` matcher values) is checked and
matched here, with Google's RE2 itself, so what passes ``validate`` is what Prometheus accepts.
"""

from __future__ import annotations

from functools import lru_cache

import re2 as _re2

__all__ = ["RegexError", "compile_problem", "fullmatch"]


class RegexError(ValueError):
    """Not a regex RE2 accepts."""


def _options() -> _re2.Options:
    options = _re2.Options()
    options.log_errors = False  # RE2 logs parse errors to stderr; we report them ourselves
    return options


_OPTIONS = _options()


#: A catalog repeats a few patterns (error_codes, matcher values) on every service, each checked
#: against every status code of its source: compile each once and remember recent answers (bounded).
@lru_cache(maxsize=256)
def _compile(pattern: str) -> _re2._Regexp:
    try:
        # Prometheus anchors label regexes: ^(?:pattern)$.
        return _re2.compile(f"^(?:{pattern})$", _OPTIONS)
    except _re2.error as exc:
        message = exc.args[0] if exc.args else exc
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise RegexError(str(message)) from None


def compile_problem(pattern: str) -> str | None:
    """Why RE2 rejects ``pattern``, or None when it is valid."""
    try:
        _compile(pattern)
        # Also whole on its own: "a)|(b" only compiles inside Prometheus' anchoring group.
        _re2.compile(pattern, _OPTIONS)
    except RegexError as exc:
        return str(exc)
    except _re2.error as exc:
        message = exc.args[0] if exc.args else exc
        return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return None


@lru_cache(maxsize=8192)
def fullmatch(pattern: str, value: str) -> bool:
    """Whether Prometheus' ``label=~"pattern"`` matches ``value`` (RE2, anchored)."""
    return _compile(pattern).search(value) is not None
