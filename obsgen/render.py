"""Deterministic serialisation: the same data always gives the same bytes."""

from __future__ import annotations

import json
from typing import Any

import yaml

from obsgen import conventions as C


class _Dumper(yaml.SafeDumper):
    """SafeDumper that keeps insertion order, indents lists, and never emits aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


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
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
