"""The WSGI variant: same metrics, access log and probes as the ASGI middleware.

WSGI has no standard place for the matched route template, so the app (or a
framework hook) puts it in ``environ[ROUTE_ENVIRON_KEY]``; in Flask::

    @app.before_request
    def _route() -> None:
        if request.url_rule is not None:
            request.environ[ROUTE_ENVIRON_KEY] = request.url_rule.rule

Requests without it are counted under UNMATCHED_ROUTE, never the raw path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from obsgen import conventions as c
from obsgen.instrument.lifecycle import Lifecycle
from obsgen.instrument.logs import AccessLog, RequestContext, enter_request, exit_request, request_id_from
from obsgen.instrument.metrics import HttpMetrics
from obsgen.instrument.probes import probe_response

__all__ = ["ROUTE_ENVIRON_KEY", "InstrumentWSGI"]

ROUTE_ENVIRON_KEY: Final = "obsgen.route"
_REQUEST_ID_ENVIRON: Final = "HTTP_" + c.REQUEST_ID_HEADER.upper().replace("-", "_")
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
_REASONS: Final = {200: "OK", 503: "Service Unavailable"}


class InstrumentWSGI:
    """Wraps a WSGI app with RED metrics, the JSON access log, request ids and probes."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        metrics: HttpMetrics,
        lifecycle: Lifecycle,
        access_log: AccessLog | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.lifecycle = lifecycle
        self.access_log = access_log

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path in c.UNCOUNTED_PATHS:
            answer = probe_response(path, self.lifecycle, self.metrics)
            assert answer is not None
            status, content_type, body = answer
            start_response(
                f"{status} {_REASONS.get(status, '')}".strip(),
                [("Content-Type", content_type), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self._observed(environ, start_response)

    def _observed(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start = time.perf_counter()
        request_id = request_id_from(environ.get(_REQUEST_ID_ENVIRON))
        ctx = RequestContext(request_id)
        token = enter_request(ctx)
        code = 500

        def observed_start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            nonlocal code
            code = int(status[:3])
            headers.append((c.REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, *exc)

        body = None
        try:
            body = self.app(environ, observed_start_response)
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            seconds = time.perf_counter() - start
            method = environ.get("REQUEST_METHOD", "GET")
            route = environ.get(ROUTE_ENVIRON_KEY) or c.UNMATCHED_ROUTE
            self.metrics.observe(method, route, code, seconds)
            if self.access_log is not None:
                query = environ.get("QUERY_STRING", "")
                url = f"{path_of(environ)}?{query}" if query else path_of(environ)
                self.access_log.request(
                    request_id, method, route, url, code, round(seconds * 1000, 3), ctx.fields
                )
            exit_request(token)


def path_of(environ: dict[str, Any]) -> str:
    return str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
