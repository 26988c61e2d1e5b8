"""Names of the demo model-serving service (``python -m obsgen.demo``): its paths, settings and log fields."""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_MODEL_LOAD_SECONDS",
    "DEMO_FAULTS_ENABLED",
    "DEMO_FAULTS_PATH",
    "DEMO_MODEL_PATH",
    "DEMO_PREDICT_PATH",
    "DEMO_RELOAD_PATH",
    "ENV_DEMO_FAULTS",
    "ENV_ERROR_RATE",
    "ENV_EXTRA_LATENCY_MS",
    "ENV_MODEL_LOAD_SECONDS",
    "LOG_MODEL_VERSION",
]

#: The demo's model version on each /predict line (a catalog logs.field of the demo).
LOG_MODEL_VERSION: Final = "model_version"
#: Demo service settings (python -m obsgen.demo).
ENV_MODEL_LOAD_SECONDS: Final = "MODEL_LOAD_SECONDS"
ENV_ERROR_RATE: Final = "ERROR_RATE"
ENV_EXTRA_LATENCY_MS: Final = "EXTRA_LATENCY_MS"
#: Fault injection (ERROR_RATE, EXTRA_LATENCY_MS, /admin/faults) exists only when this is "enabled":
#: the demo stack and tests set it; generated Kubernetes manifests never do.
ENV_DEMO_FAULTS: Final = "DEMO_FAULTS"
DEMO_FAULTS_ENABLED: Final = "enabled"
DEFAULT_MODEL_LOAD_SECONDS: Final = 2.0
#: Paths of the demo service (the talk's liveness example probes port 8000, path /model).
DEMO_PREDICT_PATH: Final = "/predict"
DEMO_MODEL_PATH: Final = "/model"
DEMO_RELOAD_PATH: Final = "/admin/reload"
DEMO_FAULTS_PATH: Final = "/admin/faults"
