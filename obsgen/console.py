"""The ``obsgen`` console script: the CLI, or a clear message when the generator's extra is missing.

``pip install obsgen[instrument]`` installs the script too, without pyyaml, jinja2 and
grafanalib; running it then says what to install instead of showing a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from obsgen.errors import EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from obsgen.cli import main as cli_main
    except ModuleNotFoundError as exc:
        print(
            f"obsgen: the generator needs {exc.name}, which is not installed; "
            'install the generator with `pip install "obsgen[generate]"`',
            file=sys.stderr,
        )
        return EXIT_USAGE
    return cli_main(argv)
