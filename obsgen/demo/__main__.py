"""``python -m obsgen.demo``: serve the demo on PORT (default 8000) until SIGTERM."""

from __future__ import annotations

import logging
import sys

from obsgen.demo.app import create_app, describe
from obsgen.demo.settings import DemoSettings
from obsgen.instrument import serve


def main() -> int:
    try:
        settings = DemoSettings.from_env()
    except ValueError as exc:
        print(f"obsgen.demo: {exc}", file=sys.stderr)
        return 2
    app, lifecycle = create_app(settings)
    logging.getLogger("obsgen.demo").info("starting", extra=describe(settings))
    serve(app, lifecycle, settings.server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
