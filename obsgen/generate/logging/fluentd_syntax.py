"""Writing values in Fluentd's config syntax, so catalog text can never become config.

Fluentd's literal parser (fluent/config/literal_parser.rb): a single-quoted
string knows only the escapes ``\\'`` and ``\\\\``, never interpolates, and
cannot span lines; a double-quoted one also runs ``#{...}`` as Ruby when the
file is loaded.  So every string goes out single-quoted, control characters
are refused, and the Ruby expressions the pipeline needs are built here from
words that cannot leave a Ruby string literal.

Every value a template prints must be a :class:`Fluentd` (see ``render``), so
an unescaped value is a rendering error, not a config injection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["Fluentd", "comment", "number", "quote", "record_value", "ruby", "ruby_words", "tag_pattern"]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
#: Words safe inside a Ruby double-quoted literal inside ``${...}`` inside ``%Q[...]``.
_RUBY_WORD: Final = re.compile(r"^[A-Za-z0-9_.:@-]+$")
#: Tag parts the forward protocol and match patterns take without quoting.
_TAG_PATTERN: Final = re.compile(r"^(\*\*|\*|[A-Za-z0-9_-]+)(\.(\*\*|\*|[A-Za-z0-9_-]+))*$")


class Fluentd(str):
    """Text already written in Fluentd config syntax."""


def quote(value: str) -> Fluentd:
    """``value`` as a single-quoted Fluentd string; ValueError for control characters."""
    if _CONTROL.search(value):
        raise ValueError(
            f"{value!r}: control characters (newlines, tabs, ...) cannot be written in fluent.conf"
        )
    return Fluentd("'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'")


def comment(value: str) -> Fluentd:
    """``value`` inside a ``#`` comment line (ValueError for control characters)."""
    if _CONTROL.search(value):
        raise ValueError(f"{value!r}: control characters cannot be written in fluent.conf")
    return Fluentd(value)


def record_value(value: str) -> Fluentd:
    """A literal value for record_transformer's ``<record>``, which expands ``${...}``."""
    if "${" in value:
        raise ValueError(f"{value!r}: '${{' would be expanded by record_transformer")
    return quote(value)


def number(value: int) -> Fluentd:
    return Fluentd(str(int(value)))


def tag_pattern(value: str) -> Fluentd:
    """A tag or match pattern (``obsgen.demo``, ``obsgen.**``); ValueError for anything else."""
    if not _TAG_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a Fluentd tag pattern")
    return Fluentd(value)


def ruby_words(values: Iterable[str]) -> str:
    """A Ruby array literal of words, e.g. ``["dev", "prod"]`` (ValueError for non-words)."""
    words = list(values)
    for word in words:
        if not _RUBY_WORD.match(word):
            raise ValueError(f"{word!r} cannot be embedded in a Ruby expression of fluent.conf")
    return "[" + ", ".join(f'"{w}"' for w in words) + "]"


def ruby(expression: str) -> Fluentd:
    """``${expression}`` for record_transformer's enable_ruby mode, as a single-quoted string.

    record_transformer finds placeholders with ``\\$\\{([^}]+)\\}``, so the
    expression cannot contain ``}``.
    """
    if "}" in expression:
        raise ValueError(f"{expression!r}: record_transformer placeholders cannot contain '}}'")
    return quote("${" + expression + "}")
