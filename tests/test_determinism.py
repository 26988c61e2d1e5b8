"""Output is a function of the catalog's content alone: not of hash seeds, nor of key order.

Fresh interpreters generate every catalog the tests know: one with ``PYTHONHASHSEED=0`` from
the files as written, the others with other seeds from the same catalogs with every mapping's
keys in reverse order.  ``hash()`` and so set iteration order differ between them, so a
generator that iterates a set, or keeps the order the user happened to write keys in, changes
bytes.  (Generating twice in one process can catch neither.)  A set of two strings has the
same order under two seeds half of the time: several seeds make a miss unlikely (1 in 2**4 for
the smallest set, far less for larger ones), and the seeds are fixed, so the test never flakes.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO, TEST_CATALOGS

#: Hash seeds of the interpreters that read the reordered catalogs (the first one uses 0).
OTHER_SEEDS = ("1", "2", "3", "4")

#: Generates each catalog given on the command line into <out>/<catalog stem>/.
GENERATE = """
import sys
from pathlib import Path
from obsgen.catalog import load_catalog
from obsgen.generate import generate

out = Path(sys.argv[1])
for name in sys.argv[2:]:
    path = Path(name)
    for rel, content in generate(load_catalog(path.read_bytes(), path.name)).items():
        target = out / path.stem / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
"""


def reversed_keys(data: Any) -> Any:
    """``data`` with the keys of every mapping in reverse order (lists keep theirs: order is meaning)."""
    if isinstance(data, dict):
        return {k: reversed_keys(v) for k, v in reversed(data.items())}
    if isinstance(data, list):
        return [reversed_keys(v) for v in data]
    return data


def generate_in_subprocess(catalogs: list[Path], out: Path, hash_seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", GENERATE, str(out), *map(str, catalogs)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_output_does_not_depend_on_hash_seed_or_key_order(tmp_path: Path) -> None:
    originals = [*sorted(TEST_CATALOGS.glob("*.yaml")), REPO / "catalog.yaml"]
    reordered = []
    for path in originals:
        copy = tmp_path / "reordered" / path.name
        copy.parent.mkdir(exist_ok=True)
        data = yaml.safe_load(path.read_text("utf-8"))
        copy.write_text(yaml.safe_dump(reversed_keys(data), sort_keys=False, allow_unicode=True), "utf-8")
        reordered.append(copy)

    first = generate_in_subprocess(originals, tmp_path / "first", hash_seed="0")
    assert first, "nothing was generated"
    for seed in OTHER_SEEDS:
        other = generate_in_subprocess(reordered, tmp_path / f"seed-{seed}", hash_seed=seed)
        differing = sorted(p for p in first.keys() | other.keys() if first.get(p) != other.get(p))
        if differing:
            path = differing[0]
            diff = difflib.unified_diff(
                first.get(path, b"").decode().splitlines(),
                other.get(path, b"").decode().splitlines(),
                f"seed 0, keys as written: {path}",
                f"seed {seed}, keys reversed: {path}",
                n=1,
                lineterm="",
            )
            shown = "\n".join(list(diff)[:30])
            raise AssertionError(
                f"{len(differing)} files depend on the hash seed or key order: {differing[:10]}\n{shown}"
            )
