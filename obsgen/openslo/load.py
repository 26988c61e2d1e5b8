"""Read OpenSLO files (multi-document YAML) into plain values, remembering where each value was written.

The same protections as the catalog loader (``obsgen/catalog/loader.py``): PyYAML's safe
composer only, anchors/aliases/merge keys refused (a small file cannot expand into a huge
one), duplicate and non-string keys reported, UTF-8 only, a size limit per file and for all
files, a nesting limit and a document-count limit.  Everything returned is plain data:
dicts with string keys, lists, strings, numbers, booleans and None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml

from obsgen.catalog.loader import Path, dotted, type_name
from obsgen.errors import CatalogError, Problem

#: Limits: OpenSLO files are hand-written; anything beyond these is a mistake or an attack.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
MAX_DOCUMENTS = 10_000
MAX_DEPTH = 64
MAX_FILES = 10_000

_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SUFFIXES = (".yaml", ".yml")


@dataclass
class Doc:
    """One YAML document of one file, with the position of every value in it."""

    file: str
    index: int  # 1-based position of the document in its file
    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        kind = self.data.get("kind") if isinstance(self.data, dict) else None
        return kind if isinstance(kind, str) else "?"

    @property
    def name(self) -> str:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) else "?"

    def problem(self, path: Path, message: str) -> Problem:
        """A Problem naming file, line, document index, kind/name and field path."""
        line, col = self.locate(path)
        where = f"document {self.index} ({self.kind} {self.name})"
        return Problem(self.file, line, col, f"{where} {dotted(path)}" if path else where, message)

    def locate(self, path: Path) -> tuple[int, int]:
        probe = path
        while probe not in self.marks and probe:
            probe = probe[:-1]
        return self.marks.get(probe, (0, 0))


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases instead of expanding them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves Parser.peek_event unannotated
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            what = "aliases (*name)" if isinstance(event, yaml.AliasEvent) else "anchors (&name)"
            raise yaml.MarkedYAMLError(
                None,
                None,
                f"{what} are not allowed in OpenSLO files read by obsgen; write each value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def expand(paths: Iterable[str]) -> list[FilePath]:
    """FILE or DIR arguments -> the YAML files to read, sorted within each directory."""
    out: list[FilePath] = []
    problems: list[Problem] = []
    for arg in paths:
        p = FilePath(arg)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix in _SUFFIXES and f.is_file())
            if not found:
                problems.append(Problem(arg, 0, 0, "", "directory holds no .yaml or .yml file"))
            out += found
        elif p.is_file():
            out.append(p)
        else:
            problems.append(Problem(arg, 0, 0, "", "no such file or directory"))
    if len(out) > MAX_FILES:
        problems.append(Problem(str(paths), 0, 0, "", f"more than {MAX_FILES} files"))
    if problems:
        raise CatalogError(problems)
    return out


def read_files(files: Iterable[FilePath]) -> list[Doc]:
    """Every document of ``files``; raise CatalogError with every problem found."""
    docs: list[Doc] = []
    problems: list[Problem] = []
    total = 0
    for f in files:
        try:
            data = f.read_bytes()
        except OSError as exc:
            problems.append(Problem(str(f), 0, 0, "", f"cannot read: {exc.strerror}"))
            continue
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise CatalogError(
                [
                    Problem(
                        str(f), 0, 0, "", f"the files together are larger than {MAX_TOTAL_BYTES // 2**20} MiB"
                    )
                ]
            )
        try:
            found, found_problems = parse(data, str(f))
        except CatalogError as exc:
            problems += exc.problems
            continue
        docs += found
        problems += found_problems
        if len(docs) > MAX_DOCUMENTS:
            raise CatalogError([Problem(str(f), 0, 0, "", f"more than {MAX_DOCUMENTS} documents")])
    if problems:
        raise CatalogError(problems)
    return docs


def parse(data: bytes, file: str) -> tuple[list[Doc], list[Problem]]:
    """The documents of one file, and key problems found on the way."""
    if len(data) > MAX_FILE_BYTES:
        raise CatalogError([Problem(file, 0, 0, "", f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(
            [Problem(file, line, 0, "", "file is not valid UTF-8; save it as UTF-8")]
        ) from None
    text = text.removeprefix("\ufeff")
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise CatalogError(
            [Problem(file, line, col, "", f"control character {bad.group()!r} is not allowed in YAML")]
        )
    loader = _SafeLoader(text)
    docs: list[Doc] = []
    problems: list[Problem] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if len(docs) >= MAX_DOCUMENTS:
                raise CatalogError([Problem(file, 0, 0, "", f"more than {MAX_DOCUMENTS} documents")])
            if node is None:
                continue
            doc = Doc(file, len(docs) + 1, None)
            doc.data = _construct(node, (), doc, loader, problems, 0)
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise CatalogError(
            [Problem(file, line, col, "", f"invalid YAML: {exc.problem or exc.context}")]
        ) from None
    except yaml.YAMLError as exc:
        raise CatalogError([Problem(file, 0, 0, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise CatalogError([Problem(file, 0, 0, "", f"nesting is deeper than {MAX_DEPTH} levels")]) from None
    finally:
        loader.dispose()
    return docs, problems


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _construct(
    node: yaml.Node, path: Path, doc: Doc, loader: yaml.SafeLoader, problems: list[Problem], depth: int
) -> Any:
    if depth > MAX_DEPTH:
        line, col = _mark(node)
        raise CatalogError(
            [Problem(doc.file, line, col, dotted(path), f"nesting is deeper than {MAX_DEPTH} levels")]
        )
    doc.marks[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = _mark(key_node)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Problem(doc.file, line, col, dotted(path), "keys must be plain strings (no << merge)")
                )
                continue
            try:
                key = loader.construct_object(key_node)
            except (yaml.YAMLError, ValueError) as exc:  # ValueError: a tag its text does not fit (!!int "x")
                line, col = _mark(key_node)
                problems.append(Problem(doc.file, line, col, dotted(path), f"invalid key: {exc}"))
                continue
            if not isinstance(key, str):
                problems.append(
                    Problem(
                        doc.file,
                        line,
                        col,
                        dotted(path),
                        f"key {key_node.value!r} is read as {type_name(key)}; quote it",
                    )
                )
                continue
            if key in out:
                problems.append(
                    Problem(
                        doc.file, line, col, dotted((*path, key)), "duplicate key; each key may appear once"
                    )
                )
                continue
            out[key] = _construct(value_node, (*path, key), doc, loader, problems, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), doc, loader, problems, depth + 1)
            for i, item in enumerate(node.value)
        ]
    try:
        value = loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: !!int "x", or a date like 2024-13-45
        line, col = _mark(node)
        problems.append(Problem(doc.file, line, col, dotted(path), f"invalid value: {exc}"))
        return None
    # Timestamps and binary become strings again: JSON schema knows only JSON's types.
    return value if value is None or isinstance(value, bool | int | float | str) else str(node.value)
