"""Every name obsgen generates or reads, grouped by owner.

* :mod:`~obsgen.conventions.contract`: the contract with instrumented services, shared with
  ``obsgen.instrument`` (metric, label and log field names, probe paths, environment variables).
* :mod:`~obsgen.conventions.catalog`: catalog format names and defaults.
* :mod:`~obsgen.conventions.rules`: Prometheus rule, alert and rule-group names.
* :mod:`~obsgen.conventions.layout`: generated file layout; :mod:`~obsgen.conventions.paths`: every path.
* :mod:`~obsgen.conventions.grafana`, :mod:`~obsgen.conventions.kubernetes`,
  :mod:`~obsgen.conventions.alertmanager`, :mod:`~obsgen.conventions.logging`: names of each target tool.
* :mod:`~obsgen.conventions.stack`: the compose demo stack's hosts, ports and mounts.

Exporters' names live beside the presets (:mod:`obsgen.sli.presets`, :mod:`obsgen.sli.exporters`) and
the demo's in :mod:`obsgen.demo.names`.  This package re-exports its modules' names so that
``from obsgen import conventions as C; C.REQUESTS_TOTAL`` reads the same everywhere; nothing else in
the package spells one of these names as a literal.
"""

from __future__ import annotations

from obsgen.conventions.alertmanager import *  # noqa: F403
from obsgen.conventions.catalog import *  # noqa: F403
from obsgen.conventions.contract import *  # noqa: F403
from obsgen.conventions.grafana import *  # noqa: F403
from obsgen.conventions.kubernetes import *  # noqa: F403
from obsgen.conventions.layout import *  # noqa: F403
from obsgen.conventions.logging import *  # noqa: F403
from obsgen.conventions.paths import *  # noqa: F403
from obsgen.conventions.rules import *  # noqa: F403
from obsgen.conventions.stack import *  # noqa: F403
