"""What makes a file recognisably obsgen's, so pruning never deletes anything else.

A file is obsgen's when its first line is the generated-by header (every format that
has comments carries it) or, for JSON, which has none, when it is a JSON document that
names obsgen as a string value (dashboards are tagged ``"obsgen"``, Elasticsearch
documents say ``"generated_by": "obsgen"``).  Only the directories obsgen generates
into are ever pruned: a manifest naming ``README.md`` or ``.git/HEAD`` is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from obsgen import conventions as C

#: Enough to hold the header line; JSON documents are read whole (bounded by this).
MAX_RECOGNISED_BYTES = 64 * 1024 * 1024
_HEADER = C.GENERATED_HEADER.encode()


def has_header(content: bytes) -> bool:
    """The first line is ``<comment> <generated-by header>``."""
    first = content.split(b"\n", 1)[0]
    return first.endswith(_HEADER) and len(first) <= len(_HEADER) + 4


def recognised(rel: str, content: bytes) -> bool:
    """``content`` at ``rel`` is a file obsgen generated (header, or a JSON document naming obsgen)."""
    if has_header(content):
        return True
    if rel.endswith(".json") and content.lstrip().startswith(b"{") and b'"obsgen"' in content:
        try:
            json.loads(content)
        except ValueError:
            return False
        return True
    return False


def output_roots(paths: Iterable[str]) -> set[str]:
    """The top-level directories obsgen generates into: its conventions' plus this plan's."""
    roots = set(C.OUTPUT_DIRS)
    roots |= {p.split("/", 1)[0] for p in paths if "/" in p}
    return roots


def prunable_path(rel: str, roots: set[str]) -> bool:
    """Only files inside the directories obsgen generates into may ever be pruned."""
    return "/" in rel and rel.split("/", 1)[0] in roots
