"""Runtime instrumentation for Python web services, named by :mod:`obsgen.conventions`.

A Starlette (or any ASGI) service adopts it in a few lines::

    from obsgen.instrument import ServerSettings, instrument, serve

    app = instrument(Starlette(routes=routes), service="pay")  # metrics, JSON logs, probes
    serve(app, app.lifecycle, ServerSettings.from_env())        # PORT, graceful SIGTERM

What it gives: ``http_requests_total`` and ``http_request_duration_seconds``
by route template; one JSON log line per request on stdout (optionally
forwarded to Fluentd); ``/healthz``, ``/ready`` and ``/metrics``; and a
shutdown that fails readiness first and drains before exiting.
"""

from obsgen.instrument.asgi import InstrumentMiddleware, instrument, starlette_route
from obsgen.instrument.fluent import FluentForwarder, fluentd_tag, forwarder_from_env
from obsgen.instrument.lifecycle import Lifecycle, State
from obsgen.instrument.logs import (
    AccessLog,
    JsonFormatter,
    configure_logging,
    current_request_id,
    set_log_fields,
)
from obsgen.instrument.metrics import HttpMetrics, log_records_dropped
from obsgen.instrument.server import DrainingServer, ServerSettings, serve
from obsgen.instrument.wsgi import ROUTE_ENVIRON_KEY, InstrumentWSGI

__all__ = [
    "ROUTE_ENVIRON_KEY",
    "AccessLog",
    "DrainingServer",
    "FluentForwarder",
    "HttpMetrics",
    "InstrumentMiddleware",
    "InstrumentWSGI",
    "JsonFormatter",
    "Lifecycle",
    "ServerSettings",
    "State",
    "configure_logging",
    "current_request_id",
    "fluentd_tag",
    "forwarder_from_env",
    "instrument",
    "log_records_dropped",
    "serve",
    "set_log_fields",
    "starlette_route",
]
