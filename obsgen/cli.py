"""The ``obsgen`` command line: a thin layer over the catalog, the pipeline and the writer."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from obsgen import __version__, gcpolicy
from obsgen import conventions as C
from obsgen.catalog import json_schema, load_catalog_file
from obsgen.errors import EXIT_BUG, EXIT_DRIFT, EXIT_OK, EXIT_USAGE, CatalogError, ObsgenError
from obsgen.generate import stream
from obsgen.generate.discovery import warnings
from obsgen.model import OUTPUTS, Catalog, Output
from obsgen.writer import diff, write, write_file


def starter_catalog() -> str:
    """The commented starter catalog `obsgen init` writes (it validates as is)."""
    return resources.files("obsgen.catalog").joinpath("starter.yaml").read_text("utf-8")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="obsgen",
        description="Generate dashboards, alerts, log pipeline and deployment configs from a service catalog.",
    )
    p.add_argument("--version", action="version", version=f"obsgen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def catalog_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "catalog",
            nargs="?",
            default=C.DEFAULT_CATALOG_FILE,
            help=f"catalog file (default: ./{C.DEFAULT_CATALOG_FILE})",
        )

    g = sub.add_parser("generate", help="write every generated file under --out")
    catalog_arg(g)
    g.add_argument("--out", default=".", help="output directory (default: .)")
    g.add_argument("--force", action="store_true", help="overwrite files obsgen did not write")
    c = sub.add_parser("check", help="exit 1 when the files under --out are not what generate would write")
    catalog_arg(c)
    c.add_argument("--out", default=".", help="output directory (default: .)")
    for sp in (g, c):
        sp.add_argument(
            "--outputs",
            metavar="LIST",
            help=f"comma-separated outputs for this run instead of the catalog's `outputs` "
            f"({','.join(OUTPUTS)}); files of the others are not in the plan "
            "(generate prunes the ones it wrote before)",
        )
    v = sub.add_parser("validate", help="check the catalog only")
    catalog_arg(v)
    sub.add_parser("schema", help="print the catalog's JSON Schema")
    i = sub.add_parser("init", help="write a commented starter catalog")
    i.add_argument("path", nargs="?", default=C.DEFAULT_CATALOG_FILE)
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    e = sub.add_parser("explain", help="what each alert of each SLO means, before it wakes anyone")
    catalog_arg(e)
    e.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: the same as data (schema: obsgen/explain.schema.json)",
    )
    _openslo_parsers(sub, catalog_arg)
    return p


def _openslo_parsers(sub: Any, catalog_arg: Any) -> None:
    """``import openslo`` and ``export openslo`` (docs/openslo.md)."""
    imp = sub.add_parser("import", help="write a catalog from another format (openslo)")
    fmt = imp.add_subparsers(dest="format", required=True, metavar="FORMAT")
    io = fmt.add_parser("openslo", help="OpenSLO v1 documents -> catalog")
    io.add_argument("paths", nargs="+", metavar="FILE|DIR", help="OpenSLO YAML files or directories")
    io.add_argument("--out", help="catalog file to write (default: print it)")
    io.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    exp = sub.add_parser("export", help="write the catalog in another format (openslo)")
    fmt = exp.add_subparsers(dest="format", required=True, metavar="FORMAT")
    eo = fmt.add_parser("openslo", help="catalog -> OpenSLO v1 documents")
    catalog_arg(eo)
    eo.add_argument("--out", help="file to write (default: print it)")
    eo.add_argument("--force", action="store_true", help="overwrite an existing --out file")


def _openslo(args: argparse.Namespace) -> int:
    from obsgen.openslo import export_openslo, import_openslo

    if args.command == "import":
        text, notes = import_openslo(args.paths)
        for note in dict.fromkeys(notes):
            print(f"obsgen: not mapped: {note}", file=sys.stderr)
    else:
        text = export_openslo(_load(args.catalog))
    if not args.out:
        sys.stdout.write(text)
        return EXIT_OK
    out = Path(args.out)
    if out.exists() and not args.force:
        raise ObsgenError(f"{out}: already exists; pass --force to overwrite it")
    write_file(out, text.encode())
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _outputs(value: str | None) -> tuple[Output, ...] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in OUTPUTS]
    if unknown or not names:
        raise ObsgenError(
            f"--outputs {value!r}: {', '.join(map(repr, unknown)) or 'empty'} is not an output; "
            f"choose from {','.join(OUTPUTS)}"
        )
    return tuple(o for o in OUTPUTS if o in names)


def _load(path: str, outputs: str | None = None) -> Catalog:
    with gcpolicy.loading():  # the collector off while the tree is built (see obsgen.gcpolicy)
        return load_catalog_file(path, _outputs(outputs))


def _warn(catalog: Catalog) -> None:
    for warning in warnings(catalog):
        print(f"obsgen: warning: {warning}", file=sys.stderr)


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")
        return EXIT_OK
    if args.command == "init":
        return _init(Path(args.path), args.force)
    if args.command in ("import", "export"):
        return _openslo(args)
    catalog = _load(args.catalog, getattr(args, "outputs", None))
    if args.command in ("validate", "generate"):
        _warn(catalog)
    if args.command == "validate":
        print(
            f"{args.catalog}: ok ({len(catalog.services)} services, "
            f"{sum(len(s.slos) for s in catalog.services)} SLOs, {len(catalog.resources)} resources)"
        )
        return EXIT_OK
    if args.command == "explain":
        from obsgen.explain import explain, explain_json

        if args.format == "json":
            sys.stdout.write(json.dumps(explain_json(catalog), indent=2, sort_keys=True) + "\n")
        else:
            sys.stdout.write(explain(catalog))
        return EXIT_OK
    with gcpolicy.generating():  # the catalog frozen, young collections rarer (see obsgen.gcpolicy)
        return _check_or_generate(args, catalog)


def _check_or_generate(args: argparse.Namespace, catalog: Catalog) -> int:
    # Streamed: each file is generated, compared (and for generate staged) and let go.
    plan = _Counted(stream(catalog))
    out = Path(args.out)
    if args.command == "check":
        drift = diff(out, plan)
        if drift:
            print(f"{out}: generated files are out of date with {args.catalog}:")
            print(drift.summary())
            print(f"run `obsgen generate {args.catalog} --out {out}` and commit the result")
            return EXIT_DRIFT
        print(f"{out}: {plan.count} generated files are up to date")
        return EXIT_OK
    drift = write(out, plan, force=args.force)
    print(
        f"{out}: {plan.count} files generated; {len(drift.changed)} changed, {len(drift.missing)} new, "
        f"{len(drift.removed)} removed"
    )
    for rel in drift.kept:
        print(
            f"kept {rel}: it looks generated but no manifest lists it; delete it if obsgen wrote it",
            file=sys.stderr,
        )
    return EXIT_OK


class _Counted:
    """A stream of files that counts what went through it."""

    def __init__(self, files: Iterator[tuple[str, bytes]]) -> None:
        self._files = files
        self.count = 0

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        for item in self._files:
            self.count += 1
            yield item


def _init(path: Path, force: bool) -> int:
    if path.exists() and not force:
        raise ObsgenError(f"{path}: already exists; pass --force to overwrite it")
    write_file(path, starter_catalog().encode())
    print(f"wrote {path}; edit it, then run `obsgen generate {path}`")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found; nothing was written", file=sys.stderr)
        return exc.exit_code
    except ObsgenError as exc:
        print(f"obsgen: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the machine's to fix (permissions, a full disk), not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"obsgen: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:
        # Not a user error: exit 1 means drift and 2 bad input, so a bug gets its own code.
        traceback.print_exc()
        print(
            f"obsgen: internal error (exit {EXIT_BUG}): this is a bug, please report it with the "
            "traceback above",
            file=sys.stderr,
        )
        return EXIT_BUG
