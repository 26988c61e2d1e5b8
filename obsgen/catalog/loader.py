"""Read a catalog file into plain Python values, remembering where each value was written.

Safe loading only (PyYAML's SafeLoader composer), and stricter than PyYAML on the
things that silently bite catalog authors: duplicate keys are errors (PyYAML keeps
the last one), anchors and aliases are rejected (a small file cannot explode in
memory or time), keys must be strings, and the file must be UTF-8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from obsgen.errors import CatalogError, Problem

#: A field path inside the catalog: ("services", "pay", "slos", "latency").
Path = tuple[str | int, ...]

#: Characters YAML refuses (PyYAML's Reader.NON_PRINTABLE), reported with a location.
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: Bigger catalogs than this are refused: they would be a mistake or an attack.
MAX_BYTES = 16 * 1024 * 1024


def dotted(path: Path) -> str:
    """``("services", "pay", "buckets", 2)`` -> ``services.pay.buckets[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class Document:
    """The catalog as plain data plus the position of every value and key in it."""

    file: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def problem(self, path: Path, message: str, *, at_key: bool = False) -> Problem:
        """A Problem located at ``path`` (or the closest enclosing value we know)."""
        line, col = self.locate(path, at_key=at_key)
        return Problem(self.file, line, col, dotted(path), message)

    def locate(self, path: Path, *, at_key: bool = False) -> tuple[int, int]:
        probe = path
        while True:
            marks = self.key_marks if at_key else self.marks
            if probe in marks:
                return marks[probe]
            if not probe:
                return (0, 0)
            probe = probe[:-1]
            at_key = False


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases instead of expanding them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves Parser.peek_event unannotated
            raise yaml.MarkedYAMLError(
                None,
                None,
                "aliases (*name) are not allowed in a catalog; write the value out in full",
                event.start_mark,
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves Parser.peek_event unannotated
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.MarkedYAMLError(
                None,
                None,
                "anchors (&name) are not allowed in a catalog; write each value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)


#: Whether PyYAML has libyaml: catalogs are then composed by its C parser (the same nodes, marks
#: and tags, several times faster), and anything unusual takes the pure-Python path above.
WITH_LIBYAML: bool = bool(getattr(yaml, "__with_libyaml__", False))


#: An empty key or value in a flow collection ("{a: , b}", "{: 1}"), comments between allowed.
_FLOW_EMPTY = re.compile(r":\s*(?:#[^\n]*\n\s*)*[,}\]]|[{\[,]\s*(?:#[^\n]*\n\s*)*:")


def _read_with_libyaml(text: str, file: str) -> Document | None:
    """The catalog read through libyaml when it is plain YAML without a problem, else None.

    None hands the text to the pure-Python loader, which then reads it (or reports it) exactly as
    it always has: whatever libyaml reads differently from PyYAML's own parser is left to it, as is
    anything with a problem (so every message, location and excerpt stays the pure loader's).
    """
    if (
        not WITH_LIBYAML
        or "\t" in text
        or (("{" in text or "[" in text) and ("?" in text or _FLOW_EMPTY.search(text)))
    ):
        # Tabs and "?" in flow collections: libyaml accepts some that PyYAML refuses; an empty
        # key or value in a flow collection: libyaml locates it one column apart.
        return None
    try:
        if any(c in text for c in "&*!") and any(
            isinstance(event, yaml.AliasEvent)
            or getattr(event, "anchor", None) is not None
            or getattr(event, "tag", None) is not None  # explicit tags: read apart from PyYAML
            for event in yaml.parse(text, Loader=yaml.CSafeLoader)
        ):
            return None
        loader = yaml.CSafeLoader(text)
        try:
            root: yaml.Node | None = loader.get_single_node()
            if root is None:
                return None
            doc = Document(file, None)
            problems: list[Problem] = []
            doc.data = _construct(root, (), doc, loader, problems)
        finally:
            loader.dispose()
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError):
        return None
    return doc if not problems and isinstance(doc.data, dict) else None


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def load(text_bytes: bytes, file: str) -> tuple[Document, list[Problem]]:
    """Parse catalog bytes into a Document and the key problems found on the way.

    Raise CatalogError when the file cannot be read as YAML at all; duplicate or
    non-string keys are returned as problems so later checks can still run.
    """
    if len(text_bytes) > MAX_BYTES:
        raise CatalogError([Problem(file, 0, 0, "", f"file is larger than {MAX_BYTES // 2**20} MiB")])
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = text_bytes[: exc.start].count(b"\n") + 1
        col = exc.start - (text_bytes.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CatalogError(
            [Problem(file, line, col, "", "file is not valid UTF-8; save it as UTF-8")]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise CatalogError(
            [
                Problem(
                    file,
                    0,
                    0,
                    "",
                    "file is empty; start from `obsgen init`, which writes a commented example",
                )
            ]
        )
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise CatalogError(
            [
                Problem(
                    file,
                    line,
                    col,
                    "",
                    f"control character {bad.group()!r} is not allowed in YAML; remove it",
                )
            ]
        )
    fast = _read_with_libyaml(text, file)
    if fast is not None:
        return fast, []
    loader = _NoAliasLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = exc.problem or exc.context or "invalid YAML"
        if "\t" in text and ("cannot start any token" in message or "tab" in message):
            message = "tabs are not allowed for indentation in YAML; indent with spaces"
        raise CatalogError([Problem(file, line, col, "", f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise CatalogError([Problem(file, 0, 0, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise CatalogError([Problem(file, 0, 0, "", "nesting is too deep for a catalog")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise CatalogError([Problem(file, 0, 0, "", "file is empty")])
    doc = Document(file, None)
    problems: list[Problem] = []
    try:
        doc.data = _construct(root, (), doc, loader, problems)
    except RecursionError:
        raise CatalogError([Problem(file, 0, 0, "", "nesting is too deep for a catalog")]) from None
    if not isinstance(doc.data, dict):
        line, col = _mark(root)
        raise CatalogError(
            [
                Problem(
                    file,
                    line,
                    col,
                    "",
                    f"the top level must be a mapping (apiVersion: ..., teams: ..., services: ...), not {type_name(doc.data)}",
                )
            ]
        )
    return doc, problems


def _construct(
    node: yaml.Node,
    path: Path,
    doc: Document,
    loader: yaml.SafeLoader | yaml.CSafeLoader,
    problems: list[Problem],
) -> Any:
    doc.marks[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _mark(key_node)
                problems.append(Problem(doc.file, line, col, dotted(path), "keys must be plain strings"))
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                line, col = _mark(key_node)
                problems.append(
                    Problem(
                        doc.file,
                        line,
                        col,
                        dotted(path),
                        "merge keys (<<) are not allowed; write the fields out",
                    )
                )
                continue
            try:
                key = loader.construct_object(key_node)
            except (yaml.YAMLError, ValueError) as exc:  # ValueError: a tag its text does not fit (!!int "x")
                line, col = _mark(key_node)
                problems.append(Problem(doc.file, line, col, dotted(path), f"invalid key: {exc}"))
                continue
            if not isinstance(key, str):
                # `on:`/`no:`/`1:` become booleans or numbers in YAML 1.1: say so.
                line, col = _mark(key_node)
                problems.append(
                    Problem(
                        doc.file,
                        line,
                        col,
                        dotted(path),
                        f'key {key_node.value!r} is read as {type_name(key)}; quote it ("{key_node.value}")',
                    )
                )
                continue
            if key in out:
                line, col = _mark(key_node)
                first = doc.key_marks.get((*path, key), (0, 0))
                problems.append(
                    Problem(
                        doc.file,
                        line,
                        col,
                        dotted((*path, key)),
                        f"duplicate key (first defined at line {first[0]}); each key may appear once",
                    )
                )
                continue
            doc.key_marks[(*path, key)] = _mark(key_node)
            out[key] = _construct(value_node, (*path, key), doc, loader, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), doc, loader, problems) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        line, col = _mark(node)
        problems.append(Problem(doc.file, line, col, dotted(path), f"invalid value: {exc}"))
        return None
    except ValueError as exc:
        # YAML reads 2024-13-45 as a date, then the calendar refuses it.
        line, col = _mark(node)
        problems.append(
            Problem(
                doc.file,
                line,
                col,
                dotted(path),
                f"{node.value!r} is read as a {node.tag.rsplit(':', 1)[-1]} but is not a valid "
                f'one ({exc}); quote it ("{node.value}") if it is meant as text',
            )
        )
        return None


def type_name(value: Any) -> str:
    """How a YAML author would name the type of ``value``."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
