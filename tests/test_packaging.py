"""The distribution: the README's install line works, and each extra pulls only what it needs.

What an extra pulls is computed the way pip resolves it: obsgen's requirements from
pyproject.toml, then every installed distribution's own requirements, transitively (the test
environment has all of them installed).  No index is queried, so it is offline and fast.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import obsgen
from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
#: The README's install line, with its placeholders.
README_INSTALL = re.compile(
    r'pip install "obsgen\[generate\] @ (git\+https://<your-git-host>/<org>/obsgen@<ref>)"'
)


def _requirements(extras: set[str]) -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in sorted(extras):
        reqs += [Requirement(r) for r in PROJECT["optional-dependencies"][extra]]
    return reqs


def pulled(*extras: str) -> set[str]:
    """Every distribution ``pip install "obsgen[<extras>]"`` installs besides obsgen itself."""
    seen: set[str] = set()
    todo: list[tuple[Requirement, set[str]]] = [(r, set()) for r in _requirements(set(extras))]
    while todo:
        req, active = todo.pop()
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in (active or {""})):
            continue
        name = canonicalize_name(req.name)
        if name == "obsgen":
            todo += [(r, set()) for r in _requirements(set(req.extras))]
            continue
        if name in seen:
            continue
        seen.add(name)
        dist = md.distribution(req.name)
        todo += [(Requirement(r), set(req.extras)) for r in dist.requires or []]
    return seen


WEB_SERVER = {"uvicorn", "starlette", "fluent-logger", "h11"}
GENERATOR = {"grafanalib", "jinja2", "pyyaml"}


def test_the_generator_does_not_pull_the_web_server() -> None:
    deps = pulled("generate")
    assert deps >= GENERATOR
    assert not deps & (WEB_SERVER | {"prometheus-client"}), deps


def test_the_instrumentation_library_does_not_pull_grafanalib() -> None:
    deps = pulled("instrument")
    assert {"prometheus-client", "uvicorn", "fluent-logger", "msgpack"} <= deps
    assert not deps & (GENERATOR | {"starlette"}), deps


def test_the_demo_pulls_the_instrumentation_and_starlette_but_not_the_generator() -> None:
    deps = pulled("demo")
    assert {"prometheus-client", "uvicorn", "starlette"} <= deps
    assert not deps & GENERATOR, deps


def test_test_installs_every_extra() -> None:
    assert pulled("test") >= pulled("generate") | pulled("instrument") | pulled("demo")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"obsgen", "__future__"}


@pytest.mark.parametrize(
    ("part", "extras"),
    [
        ("instrument", ("instrument",)),
        ("demo", ("demo",)),
        ("openslo", ("openslo",)),
        ("", ("generate",)),
    ],
    ids=["obsgen.instrument", "obsgen.demo", "obsgen.openslo", "the generator"],
)
def test_every_directly_imported_package_is_declared_by_its_extra(part: str, extras: tuple[str, ...]) -> None:
    root = REPO / "obsgen"
    files = [
        p
        for p in root.rglob("*.py")
        if (
            p.relative_to(root).parts[0] == part
            if part
            else p.relative_to(root).parts[0] not in {"instrument", "demo", "openslo"}
        )
    ]
    assert files
    dists = md.packages_distributions()
    declared = {canonicalize_name(r.name) for r in _requirements(set(extras))}
    for extra in extras:  # self-references such as demo -> obsgen[instrument]
        for r in _requirements({extra}):
            if canonicalize_name(r.name) == "obsgen":
                declared |= {canonicalize_name(x.name) for x in _requirements(set(r.extras))}
    for path in files:
        for module in _imports(path):
            owners = {canonicalize_name(d) for d in dists.get(module, [])}
            assert owners & declared, (
                f"{path.relative_to(REPO)} imports {module} ({owners}): declare it in {extras}"
            )


BLOCK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not installed with this extra)", name=name)
        return None
sys.meta_path.insert(0, Block())
"""


@pytest.mark.parametrize(
    ("blocked", "code"),
    [
        (
            {"yaml", "jinja2", "grafanalib", "attr", "starlette"},
            "import obsgen.instrument, obsgen.instrument.wsgi",
        ),
        ({"yaml", "jinja2", "grafanalib", "attr"}, "import obsgen.demo.app, obsgen.demo.loadgen"),
        (
            {"uvicorn", "starlette", "fluent", "msgpack", "prometheus_client"},
            "import obsgen.cli, obsgen.explain, obsgen.writer\n"
            "from obsgen.generate import generate, generators\n"
            "from obsgen.catalog import load_catalog_file\n"
            "generators(); generate(load_catalog_file({catalog!r}))",
        ),
    ],
    ids=[
        "obsgen.instrument without the generator's packages",
        "obsgen.demo without them",
        "the generator without the web server's",
    ],
)
def test_each_part_runs_without_the_other_parts_packages(blocked: set[str], code: str) -> None:
    program = BLOCK.format(blocked=sorted(blocked)) + code.format(catalog=str(REPO / "catalog.yaml"))
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr


def test_one_version_source() -> None:
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "obsgen.__version__"}
    assert md.version("obsgen") == obsgen.__version__


def test_the_readme_install_line_installs_a_working_generator(tmp_path: Path) -> None:
    """The README's CI line, pointed at this repository's HEAD, installs an importable generator."""
    match = README_INSTALL.search((REPO / "README.md").read_text())
    assert match, "the README's CI snippet must install from the repository"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    # pip wants a host in a VCS URL; git reads file://localhost/<path> as the local path.
    source = f"git+file://localhost{REPO}@{head.stdout.strip()}"
    spec = match.group(0).removeprefix("pip install ").strip('"').replace(match.group(1), source)
    target = tmp_path / "site"
    # --no-deps: the dependencies are the test environment's; what they are is tested above.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            spec,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "bin" / "obsgen").exists(), "the console script is installed"
    check = subprocess.run(
        [sys.executable, "-c", "import obsgen, obsgen.cli; print(obsgen.__file__, obsgen.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(target)},
        cwd=tmp_path,
    )
    assert check.returncode == 0, check.stderr
    where, version = check.stdout.split()
    assert Path(where).is_relative_to(target) and version == obsgen.__version__
    # Package data came along: the starter catalog and the Kubernetes template.
    assert (target / "obsgen" / "catalog" / "starter.yaml").exists()
    assert (target / "obsgen" / "templates" / "kubernetes" / "service.yaml.j2").exists()


def test_the_console_script_says_what_to_install_without_the_generator(tmp_path: Path) -> None:
    """`pip install obsgen[instrument]` installs the script too; without pyyaml it must not trace back."""
    blocker = tmp_path / "yaml.py"
    blocker.write_text("raise ModuleNotFoundError('No module named yaml', name='yaml')\n")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from obsgen.console import main; sys.exit(main(['validate']))"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert 'pip install "obsgen[generate]"' in result.stderr and "Traceback" not in result.stderr
