"""Structured JSON logs on stdout, one object per line (12-factor XI).

Every line carries the service and environment; lines written while a request
is served carry its request id; the access log adds method, route, url,
status, duration and whatever the app set with :func:`set_log_fields`
(retries, error_code, ...).  The level comes from ``LOG_LEVEL``.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, Final

import orjson

from obsgen import conventions as c

__all__ = [
    "AccessLog",
    "JsonFormatter",
    "JsonLogHandler",
    "RequestContext",
    "configure_logging",
    "current_request_id",
    "parse_level",
    "set_log_fields",
]

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RESERVED: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
    "taskName",
}
_PLAIN_RECORD_ATTRS: Final = len(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_LEVEL_ALIASES: Final = {"warn": "warning", "fatal": "critical"}
#: uvicorn configures these itself unless told not to; their records must reach our handler.
_UVICORN_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access")


_LEVEL_NAMES: Final = {logging.INFO: "info", logging.ERROR: "error"}


@dataclass(slots=True)
class RequestContext:
    """What the log lines of one request share."""

    request_id: str
    fields: dict[str, Any] = field(default_factory=dict)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "obsgen_request", default=None
)


def set_log_fields(**fields: Any) -> None:
    """Add fields (e.g. ``retries=2, error_code="MODEL_TIMEOUT"``) to the current request's access-log line.

    Works from async endpoints and from sync ones run in a thread pool: the
    context holds a shared dict, and the thread pool copies the context.
    Outside a request it does nothing.
    """
    ctx = _current.get()
    if ctx is not None:
        ctx.fields.update(fields)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    ctx = _current.get()
    return None if ctx is None else ctx.request_id


def enter_request(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def exit_request(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def parse_level(value: str | None) -> int:
    """``LOG_LEVEL`` text (any case; ``warn`` accepted) → logging level; ValueError if unknown."""
    name = (value or c.DEFAULT_LOG_LEVEL).strip().lower()
    name = _LEVEL_ALIASES.get(name, name)
    if name not in c.LOG_LEVELS:
        raise ValueError(f"{c.ENV_LOG_LEVEL}={value!r}: expected one of {', '.join(c.LOG_LEVELS)}")
    level: int = logging.getLevelNamesMapping()[name.upper()]
    return level


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def __init__(self, static: Mapping[str, str]) -> None:
        super().__init__()
        self.static = dict(static)

    def record_fields(self, record: logging.LogRecord) -> dict[str, Any]:
        """The fields of ``record`` as a dict, in a stable order."""
        data: dict[str, Any] = {
            c.LOG_TIME: datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            c.LOG_LEVEL_FIELD: record.levelname.lower(),
            c.LOG_MESSAGE: record.getMessage(),
            c.LOG_LOGGER: record.name,
        }
        data.update(self.static)
        ctx = _current.get()
        if ctx is not None:
            data[c.LOG_REQUEST_ID] = ctx.request_id
        attrs = record.__dict__
        fields = attrs.get("fields")
        if isinstance(fields, dict):
            data.update(fields)
        # Scan for ``extra=`` keys only when the record has more attributes than a plain one.
        if len(attrs) > _PLAIN_RECORD_ATTRS + (fields is not None):
            for key, value in attrs.items():
                if key not in _RESERVED and key != "fields":
                    data[key] = value
        if record.exc_info:
            data[c.LOG_EXCEPTION] = self.formatException(record.exc_info)
        elif record.stack_info:
            data[c.LOG_EXCEPTION] = self.formatStack(record.stack_info)
        return data

    def format(self, record: logging.LogRecord) -> str:
        return dumps(self.record_fields(record)).decode()


def dumps(data: Mapping[str, Any]) -> bytes:
    """JSON bytes of ``data``; values JSON cannot hold are written as their ``str()``."""
    return orjson.dumps(data, default=str)


class LineSink:
    """Something that also wants every JSON line (the Fluentd forwarder)."""

    def submit(self, created: float, line: bytes) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class JsonLogHandler(logging.Handler):
    """Writes one JSON line per record to ``stream`` and hands the same line to ``sink``."""

    def __init__(self, stream: IO[str], formatter: JsonFormatter, sink: LineSink | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.json_formatter = formatter
        self.setFormatter(formatter)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = dumps(self.json_formatter.record_fields(record))
            self.stream.write(line.decode() + "\n")
            self.stream.flush()
            if self.sink is not None:
                self.sink.submit(record.created, line)
        except Exception:
            self.handleError(record)

    def write_access(self, level: int, logger_name: str, fields: dict[str, Any]) -> None:
        """Write an access line built from ``fields`` (what emit() would write for it)."""
        created = time.time()
        data: dict[str, Any] = {
            c.LOG_TIME: datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
            c.LOG_LEVEL_FIELD: _LEVEL_NAMES[level],
            c.LOG_MESSAGE: c.ACCESS_LOG_MESSAGE,
            c.LOG_LOGGER: logger_name,
        }
        data.update(self.json_formatter.static)
        ctx = _current.get()
        if ctx is not None:
            data[c.LOG_REQUEST_ID] = ctx.request_id
        data.update(fields)
        try:
            line = dumps(data)
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(line.decode() + "\n")
                self.stream.flush()
            if self.sink is not None:
                self.sink.submit(created, line)
        except Exception:
            logging.getLogger(__name__).exception("could not write an access-log line")

    def close(self) -> None:
        global _installed
        if _installed is self:
            _installed = None
        try:
            if self.sink is not None:
                self.sink.close()
                self.sink = None
        finally:
            super().close()


#: The handler configure_logging() installed on the root logger, if any.
_installed: JsonLogHandler | None = None


class AccessLog:
    """One line per request: info below 500, error from 500 on."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(c.ACCESS_LOGGER)

    def log(self, status: int, fields: dict[str, Any]) -> None:
        level = logging.ERROR if status >= 500 else logging.INFO
        logger = self.logger
        if not logger.isEnabledFor(level):
            return
        # makeRecord + handle skips Logger._log's caller lookup (a stack walk) on the hot path.
        handler = _installed
        root = logging.root
        if handler is not None and logger.propagate and not logger.handlers and root.handlers == [handler]:
            # Fast path: the access line goes straight to our JSON handler, without a LogRecord.
            handler.write_access(level, logger.name, fields)
            return
        record = logger.makeRecord(logger.name, level, "", 0, c.ACCESS_LOG_MESSAGE, (), None)
        record.fields = fields
        logger.handle(record)


def configure_logging(
    *,
    service: str,
    environment: str | None = None,
    level: str | int | None = None,
    stream: IO[str] | None = None,
    sink: LineSink | None = None,
    environ: Mapping[str, str] | None = None,
) -> JsonLogHandler:
    """Send every log record of the process to ``stream`` (stdout) as JSON lines.

    ``environment`` defaults to ``ENVIRONMENT``, ``level`` to ``LOG_LEVEL``.
    Calling it again replaces the handler it installed before (and closes its
    sink).  uvicorn's loggers are made to propagate here, so its start-up and
    shutdown messages are JSON too.
    """
    env = os.environ if environ is None else environ
    if environment is None:
        environment = env.get(c.ENV_ENVIRONMENT, c.DEFAULT_ENVIRONMENT)
    bad_level: str | None = None
    if isinstance(level, int):
        numeric = level
    else:
        try:
            numeric = parse_level(level if level is not None else env.get(c.ENV_LOG_LEVEL))
        except ValueError as exc:
            numeric, bad_level = logging.INFO, str(exc)
    formatter = JsonFormatter({c.LOG_SERVICE: service, c.LOG_ENVIRONMENT: environment})
    handler = JsonLogHandler(stream or sys.stdout, formatter, sink)
    handler._obsgen = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_obsgen", False):
            root.removeHandler(old)
            old.close()
    root.addHandler(handler)
    global _installed
    _installed = handler
    root.setLevel(numeric)
    for name in _UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    if bad_level is not None:
        logging.getLogger(__name__).warning("%s; using info", bad_level)
    return handler
