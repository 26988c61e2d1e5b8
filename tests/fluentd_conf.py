"""A small parser of Fluentd's config directive syntax, for the tests of the generated fluent.conf.

It follows fluent/config/v1_parser.rb and literal_parser.rb for what obsgen
writes: ``<section arg>`` ... ``</section>``, ``key value`` parameters,
``#`` comment lines, and single- / double-quoted or bare values on one line.
Unbalanced or mismatched sections, and a parameter given twice in one
section, are errors, as they are for Fluentd.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

_OPEN = re.compile(r"^<([a-zA-Z_][\w-]*)(?:\s+([^>]*?))?\s*>$")
_CLOSE = re.compile(r"^</([a-zA-Z_][\w-]*)\s*>$")
_PARAM = re.compile(r"^(@?[\w.-]+)(?:\s+(.*))?$")


class ConfigError(ValueError):
    pass


@dataclass
class Section:
    name: str
    arg: str = ""
    params: dict[str, str] = field(default_factory=dict)
    children: list[Section] = field(default_factory=list)
    line: int = 0

    def sections(self, name: str) -> list[Section]:
        return [c for c in self.children if c.name == name]

    def walk(self) -> list[Section]:
        """This section and every section below it, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


def unquote(text: str, line: int) -> str:
    """A parameter value as Fluentd reads it."""
    out: list[str] = []
    i = 1
    if text.startswith("'"):
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if text[i + 1 :].strip():
                    raise ConfigError(f"line {line}: text after a quoted value: {text!r}")
                return "".join(out)
            if ch == "\\" and i + 1 < len(text) and text[i + 1] in "'\\":
                out.append(text[i + 1])
                i += 2
                continue
            out.append(ch)
            i += 1
        raise ConfigError(f"line {line}: unterminated single-quoted string")
    if text.startswith('"'):
        escapes = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "b": "\b"}
        while i < len(text):
            ch = text[i]
            if ch == '"':
                return "".join(out)
            if ch == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if nxt.isalnum() and nxt not in escapes:
                    raise ConfigError(f"line {line}: unexpected back-slash escape {nxt!r}")
                out.append(escapes.get(nxt, nxt))
                i += 2
                continue
            if text.startswith("#{", i):
                raise ConfigError(f"line {line}: embedded Ruby code in a double-quoted string")
            out.append(ch)
            i += 1
        raise ConfigError(f"line {line}: unterminated double-quoted string")
    return text.strip()


def parse(text: str) -> Section:
    """The config as a tree under a ``root`` section; ConfigError when it is malformed."""
    root = Section("root")
    stack = [root]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if m := _CLOSE.match(line):
            if len(stack) == 1 or stack[-1].name != m.group(1):
                raise ConfigError(f"line {number}: </{m.group(1)}> does not close <{stack[-1].name}>")
            stack.pop()
        elif m := _OPEN.match(line):
            section = Section(m.group(1), (m.group(2) or "").strip(), line=number)
            stack[-1].children.append(section)
            stack.append(section)
        elif m := _PARAM.match(line):
            key, value = m.group(1), unquote(m.group(2) or "", number)
            if key in stack[-1].params:
                raise ConfigError(f"line {number}: {key} given twice in <{stack[-1].name}>")
            stack[-1].params[key] = value
        else:
            raise ConfigError(f"line {number}: cannot parse {line!r}")
    if len(stack) != 1:
        raise ConfigError(f"<{stack[-1].name}> opened on line {stack[-1].line} is never closed")
    return root


def tag_matches(pattern: str, tag: str) -> bool:
    """Fluentd's match patterns: ``*`` one tag part, ``**`` zero or more; space-separated alternatives."""
    for alternative in pattern.split():
        regex = ""
        parts = alternative.split(".")
        for i, part in enumerate(parts):
            if part == "**":
                regex += r"(?:\.?.*)" if i else r"(?:.*)"
            else:
                piece = fnmatch.translate(part).replace(r"(?s:", "(?:").removesuffix(r"\Z")
                piece = piece.replace(".*", "[^.]*")
                regex += (r"\." if i else "") + piece
        if re.fullmatch(regex, tag):
            return True
    return False


def first_match(container: Section, tag: str) -> Section | None:
    """The ``<match>`` of ``container`` an event with ``tag`` reaches (Fluentd takes the first)."""
    for section in container.sections("match"):
        if tag_matches(section.arg, tag):
            return section
    return None
