"""The WSGI variant: the same core (metrics, request ids, access line, drain) as the ASGI middleware.

WSGI has no standard place for the matched route template, so the app (or a
framework hook) puts it in ``environ[ROUTE_ENVIRON_KEY]``; in Flask::

    @app.before_request
    def _route() -> None:
        if request.url_rule is not None:
            request.environ[ROUTE_ENVIRON_KEY] = request.url_rule.rule

Requests without it are counted under UNMATCHED_ROUTE, never the raw path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from obsgen import conventions as c
from obsgen.instrument.core import Observer
from obsgen.instrument.lifecycle import Lifecycle
from obsgen.instrument.logs import AccessLog
from obsgen.instrument.metrics import HttpMetrics

__all__ = ["ROUTE_ENVIRON_KEY", "InstrumentWSGI"]

ROUTE_ENVIRON_KEY: Final = "obsgen.route"
_REQUEST_ID_ENVIRON: Final = "HTTP_" + c.REQUEST_ID_HEADER.upper().replace("-", "_")
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
_REASONS: Final = {200: "OK", 503: "Service Unavailable"}
_CLOSE: Final = ("Connection", "close")


def _may_set_connection(environ: dict[str, Any]) -> bool:
    """Whether the server lets the app set ``Connection`` (a hop-by-hop header).

    PEP 3333 reserves hop-by-hop headers for the server, and the reference server
    (wsgiref) asserts on them; production servers pass ``Connection: close`` on or
    honour it by closing the connection after the response.
    """
    return not str(environ.get("SERVER_SOFTWARE", "")).startswith("WSGIServer/")


class InstrumentWSGI:
    """Wraps a WSGI app with RED metrics, the JSON access log, request ids and probes.

    A thin adapter of :class:`obsgen.instrument.core.Observer`, as the ASGI middleware
    is: the same series (``http_requests_in_flight`` included), the same access line,
    and ``Connection: close`` on every response while the process is draining.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        metrics: HttpMetrics,
        lifecycle: Lifecycle,
        access_log: AccessLog | None = None,
    ) -> None:
        self.app = app
        self.observer = Observer(metrics, lifecycle, access_log, threaded=True)
        self.metrics = metrics
        self.lifecycle = lifecycle
        self.access_log = access_log

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        answer = self.observer.probe(path)
        if answer is not None:
            status, content_type, body = answer
            headers = [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ]
            if self.observer.draining and _may_set_connection(environ):
                headers.append(_CLOSE)
            start_response(f"{status} {_REASONS.get(status, '')}".strip(), headers)
            return [body if environ.get("REQUEST_METHOD") != "HEAD" else b""]
        return self._observed(environ, start_response)

    def _observed(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        observer = self.observer
        request = observer.begin(environ.get(_REQUEST_ID_ENVIRON))
        code = 500

        def observed_start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            nonlocal code
            code = int(status[:3])
            headers.append((c.REQUEST_ID_HEADER, request.request_id))
            if observer.draining and _may_set_connection(environ):
                headers.append(_CLOSE)
            return start_response(status, headers, *exc)

        body = None
        try:
            body = self.app(environ, observed_start_response)
            yield from body
        except Exception as exc:
            observer.failed(request, exc)
            raise
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            observer.finish(
                request,
                environ.get("REQUEST_METHOD", "GET"),
                environ.get(ROUTE_ENVIRON_KEY) or c.UNMATCHED_ROUTE,
                code,
                path_of(environ),
                environ.get("QUERY_STRING", ""),
            )


def path_of(environ: dict[str, Any]) -> str:
    return str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
