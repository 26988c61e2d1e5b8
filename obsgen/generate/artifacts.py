"""What generators return: data tagged with its format.  Only ``serialise`` makes bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from obsgen import render


@dataclass(frozen=True)
class Yaml:
    data: Any
    header: bool = True
    #: Comment lines after the header (what a reader of the file must know).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class YamlDocuments:
    documents: list[Any]


@dataclass(frozen=True)
class Json:
    data: Any


@dataclass(frozen=True)
class Text:
    """Already-formatted text (templated configs; dashboards, rule files and the resources built
    around their text, serialised once in the generator); ``comment`` prefixes the generated-by header."""

    text: str
    comment: str | None = "#"


Artifact = Yaml | YamlDocuments | Json | Text


def serialise(artifact: Artifact) -> bytes:
    if isinstance(artifact, Yaml):
        if artifact.notes:
            notes = "".join(f"# {line}\n" for note in artifact.notes for line in note.splitlines())
            head = render.header() if artifact.header else ""
            return (head + notes).encode("utf-8") + render.to_yaml(artifact.data, with_header=False)
        return render.to_yaml(artifact.data, with_header=artifact.header)
    if isinstance(artifact, YamlDocuments):
        return render.to_yaml_documents(artifact.documents)
    if isinstance(artifact, Json):
        return render.to_json(artifact.data)
    text = artifact.text if artifact.text.endswith("\n") else artifact.text + "\n"
    if artifact.comment is not None:
        text = render.header(artifact.comment) + text
    return text.encode("utf-8")
