"""The Fluentd image's gems: the versions the tests run, and a Ruby requirement the base image meets.

RubyGems itself reads the vendored gemspecs (../shared/vendor/fluentd, the exact
upstream releases): ``gem install`` refuses a gem whose ``required_ruby_version``
does not accept the image's Ruby, which is how fluent-plugin-grafana-loki 1.2.19
(``~> 2.7``) broke the image build on Ruby 3.1.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from obsgen.generate.logging import fluentd
from tests.fluentd_real import vendored

#: Print a gemspec's name, version, Ruby requirement, whether ``ruby`` satisfies it, and its runtime deps.
_READ_GEMSPEC = """
require "json"
spec = Dir.chdir(File.dirname(ARGV[0])) { Gem::Specification.load(File.basename(ARGV[0])) }
puts JSON.generate({
  "name" => spec.name, "version" => spec.version.to_s,
  "required_ruby_version" => spec.required_ruby_version.to_s,
  "fits" => spec.required_ruby_version.satisfied_by?(Gem::Version.new(ARGV[1])),
  "runtime" => spec.runtime_dependencies.to_h { |d| [d.name, d.requirement.to_s] },
})
"""


def gemspec(folder: str, ruby_version: str) -> dict[str, Any]:
    ruby = shutil.which("ruby")
    if ruby is None:
        pytest.fail("ruby is not installed: scripts/test installs it (the vendored Fluentd's apt line)")
    (path,) = vendored(folder).glob("*.gemspec")
    result = subprocess.run(
        [ruby, "-e", _READ_GEMSPEC, str(path), ruby_version],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return data


def _pinned() -> dict[str, str]:
    return {gem.name: gem.version for gem in fluentd.GEMS}


def _vendored_plugins() -> list[str]:
    return sorted(
        p.name for p in vendored(".").iterdir() if p.is_dir() and p.name.startswith("fluent-plugin-")
    )


def _base_ruby() -> str:
    # The lowest patch release of the image's Ruby minor: a requirement that accepts it accepts them all
    # (gemspecs state lower bounds or ~> ranges).
    return f"{fluentd.BASE_IMAGE_RUBY}.0"


def test_the_dockerfile_pins_the_plugins_the_tests_run_on_real_fluentd() -> None:
    pinned = _pinned()
    plugins = _vendored_plugins()
    assert len(plugins) == 2
    for folder in plugins:
        name, _, version = folder.rpartition("-")
        assert pinned.get(name) == version, (
            f"{name}: the Dockerfile pins {pinned.get(name)}, the tests run {version}"
        )


@pytest.mark.parametrize("folder", ["fluent-plugin-elasticsearch-5.4.3", "fluent-plugin-grafana-loki-1.2.20"])
def test_every_plugins_ruby_requirement_accepts_the_images_ruby(folder: str) -> None:
    spec = gemspec(folder, _base_ruby())
    assert _pinned()[spec["name"]] == spec["version"]
    assert spec["fits"], f"{spec['name']} {spec['version']} requires Ruby {spec['required_ruby_version']}"


def test_the_ruby_check_refuses_loki_1_2_19s_requirement(tmp_path: Path) -> None:
    """The check can fail: 1.2.19's gemspec differs from 1.2.20's only in ``~> 2.7`` (grafana/loki#8195)."""
    source = next(vendored("fluent-plugin-grafana-loki-1.2.20").glob("*.gemspec")).read_text()
    old = tmp_path / "fluent-plugin-grafana-loki-1.2.19"
    old.mkdir()
    (old / "fluent-plugin-grafana-loki.gemspec").write_text(
        source.replace("'1.2.20'", "'1.2.19'").replace("'>= 2.7'", "'~> 2.7'")
    )
    ruby = shutil.which("ruby")
    assert ruby is not None
    result = subprocess.run(
        [ruby, "-e", _READ_GEMSPEC, str(old / "fluent-plugin-grafana-loki.gemspec"), _base_ruby()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout.splitlines()[-1])["fits"] is False


def test_the_elasticsearch_client_is_pinned_below_9_and_checked_in_the_build() -> None:
    """fluent-plugin-elasticsearch asks for ``elasticsearch`` with no bound: the 9.x client breaks ES 8."""
    spec = gemspec("fluent-plugin-elasticsearch-5.4.3", _base_ruby())
    assert spec["runtime"]["elasticsearch"] == ">= 0"  # why the image must bound it itself
    client = _pinned()["elasticsearch"]
    assert int(client.split(".")[0]) == fluentd.ELASTICSEARCH_MAJOR < 9
    dockerfile = fluentd.render_dockerfile()
    commands = [" ".join(c.split()) for c in dockerfile.replace("\\\n", " ").split("&&")]
    installs = [c.removeprefix("RUN ") for c in commands if "gem install" in c]
    # The client first; the plugins after it, without upgrading what is installed.
    assert f"elasticsearch:{client}" in installs[0]
    assert "--conservative" in installs[1] and "--minimal-deps" in installs[1]
    assert "fluent-plugin-elasticsearch:" in installs[1]
    # The build fails when a client of 9 or later got in anyway.
    assert re.search(r"gem list --installed '\^elasticsearch' --version '>= 9'.*exit 1", dockerfile, re.S)
