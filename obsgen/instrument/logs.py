"""Structured JSON logs on stdout, one object per line (12-factor XI).

Every line carries the service and environment; lines written while a request
is served carry its request id; the access log adds method, route, url,
status, duration and whatever the app set with :func:`set_log_fields`
(retries, error_code, ...).  The level comes from ``LOG_LEVEL``.
"""

from __future__ import annotations

import codecs
import contextvars
import itertools
import logging
import math
import os
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any, Final

import orjson

from obsgen.conventions import contract as c

__all__ = [
    "AccessLog",
    "JsonFormatter",
    "JsonLogHandler",
    "RequestContext",
    "configure_logging",
    "current_request_id",
    "iso_timestamp_ms",
    "new_request_id",
    "parse_level",
    "request_id_from",
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
_OPT_LINE: Final = orjson.OPT_APPEND_NEWLINE


def _seconds_prefix(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


#: ".000+00:00" to ".999+00:00": the end of a timestamp, by millisecond.
_MILLIS: Final = tuple(f".{milli:03d}+00:00" for milli in range(1000))

#: (second, "YYYY-MM-DDTHH:MM:SS") of the last timestamp formatted; replaced as a whole (thread-safe).
_ts_cache: tuple[int, str] = (0, _seconds_prefix(0))


def iso_timestamp_ms(ms: int) -> str:
    """``ms`` (milliseconds since the epoch) as ``datetime.isoformat(timespec="milliseconds")`` in UTC.

    The date and time of day change once a second: they are formatted once and
    cached, and the milliseconds come from a table, so a line costs one string
    concatenation instead of a datetime and isoformat() (or an int format).
    """
    global _ts_cache
    second, milli = divmod(ms, 1000)
    cached_second, prefix = _ts_cache
    if second != cached_second:
        prefix = _seconds_prefix(second)
        _ts_cache = (second, prefix)
    return prefix + _MILLIS[milli]


def _record_timestamp(created: float) -> str:
    # As datetime.fromtimestamp: the fraction rounded to the microsecond (half even),
    # then truncated to the millisecond by isoformat.
    fraction, second = math.modf(created)
    return iso_timestamp_ms(int(second) * 1000 + round(fraction * 1e6) // 1000)


# Request ids: a random per-process prefix and a counter.  They are correlation ids, not
# secrets: unique across processes and restarts (64 random bits per process) and the same
# shape as before (32 hex digits), but consecutive ids of one process are predictable.
# os.urandom(16) per request is a getrandom() system call on the request path.
#: The last 3 hex digits of the counter, formatted once: formatting an int as hex costs
#: more than the rest of an id, so the high part is formatted once per 4,096 ids.
_LOW_DIGITS: Final = tuple(f"{i:03x}" for i in range(4096))


class _RequestIds:
    """The id source: a per-process random prefix, and a counter whose high part is formatted once.

    Safe from any thread without a lock: ``itertools.count`` hands out each number once
    (one C call under the GIL), and the cached head is replaced as a whole (a racing
    thread at worst formats the same head again).  A generator would not be: two threads
    resuming one generator at once get ``ValueError: generator already executing``.
    """

    __slots__ = ("counter", "head", "prefix")

    def __init__(self) -> None:
        self.prefix = ""
        self.counter = itertools.count()
        self.head: tuple[int, str] = (-1, "")
        self.reseed()

    def reseed(self) -> None:
        """A new random prefix and counter (at start, and in a forked child)."""
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count()
        self.head = (-1, "")


_IDS: Final = _RequestIds()


os.register_at_fork(after_in_child=_IDS.reseed)  # forked workers must not share the prefix


def new_request_id() -> str:
    """A fresh request id: 32 hex digits, unique per process and across processes (thread-safe)."""
    ids = _IDS
    n = next(ids.counter)
    high = n >> 12
    head = ids.head
    if head[0] != high:
        head = (high, f"{ids.prefix}{high & 0xFFFFFFFFFFFFF:013x}")  # the counter's 52 high bits, wrapping
        ids.head = head
    return head[1] + _LOW_DIGITS[n & 0xFFF]


#: A caller's X-Request-ID goes in every log line of the request: accept it only when short and printable.
MAX_REQUEST_ID: Final = 128


def request_id_from(given: str | None) -> str:
    """The caller's request id when it is acceptable, a fresh one otherwise (ASGI and WSGI alike)."""
    if given and len(given) <= MAX_REQUEST_ID and given.isascii() and given.isprintable():
        return given
    return new_request_id()


class RequestContext:
    """What the log lines of one request share, and where the middleware keeps the request's start.

    ``fields`` stays None until the app sets one (most requests set none: no dict per request).
    """

    __slots__ = ("fields", "request_id", "start", "token")

    def __init__(self, request_id: str, fields: dict[str, Any] | None = None, start: float = 0.0) -> None:
        self.request_id = request_id
        self.fields = fields
        self.start = start
        self.token: contextvars.Token[RequestContext | None] | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "obsgen_request", default=None
)


#: The current request's context: the middleware sets it when a request begins and resets it
#: when the request is finished (a hot path: it uses the variable directly).
CURRENT_REQUEST: Final = _current


def set_log_fields(**fields: Any) -> None:
    """Add fields (e.g. ``retries=2, error_code="MODEL_TIMEOUT"``) to the current request's access-log line.

    Works from async endpoints and from sync ones run in a thread pool: the
    context holds a shared dict, and the thread pool copies the context.
    Outside a request it does nothing.
    """
    ctx = _current.get()
    if ctx is not None:
        if ctx.fields is None:
            ctx.fields = fields  # a fresh dict made for this call: kept, not copied
        else:
            ctx.fields.update(fields)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    ctx = _current.get()
    return None if ctx is None else ctx.request_id


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
            c.LOG_TIME: _record_timestamp(record.created),
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


def _utf8_fd(stream: IO[str]) -> int | None:
    """The file descriptor behind ``stream`` if lines may be written to it directly, else None."""
    try:
        fd = stream.fileno()
        encoding = getattr(stream, "encoding", None)
        if not isinstance(encoding, str) or codecs.lookup(encoding).name != "utf-8":
            return None
        stream.flush()  # whatever was written through the stream before goes first
    except (AttributeError, OSError, ValueError, LookupError):  # io.UnsupportedOperation: no descriptor
        return None
    return fd


class JsonLogHandler(logging.Handler):
    """Writes one JSON line per record to ``stream`` and hands the same line to ``sink``.

    When ``stream`` is a UTF-8 text file with a descriptor (stdout), each line
    is written with a single ``os.write``: no TextIOWrapper decode/encode/flush,
    nothing buffered in the process (so nothing to lose on exit), one write(2)
    per line so a container runtime sees it at once.  Other streams (StringIO in
    tests) get ``write`` + ``flush``.
    """

    def __init__(self, stream: IO[str], formatter: JsonFormatter, sink: LineSink | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.json_formatter = formatter
        self.setFormatter(formatter)
        self.sink = sink
        self._fd = _utf8_fd(stream)
        #: Pre-built head fields of access lines, per level.
        self._access_heads: dict[int, dict[str, Any]] = {}

    def _write_line(self, line: bytes) -> None:
        """Write one JSON line (ending in a newline)."""
        fd = self._fd
        if fd is None:
            self.stream.write(line.decode())
            self.stream.flush()
            return
        written = os.write(fd, line)
        while written < len(line):  # a short write (signal, full pipe): write the rest
            line = line[written:]
            written = os.write(fd, line)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = orjson.dumps(self.json_formatter.record_fields(record), default=str, option=_OPT_LINE)
            self._write_line(line)  # emit() runs under the handler lock (Handler.handle)
            if self.sink is not None:
                self.sink.submit(record.created, line)
        except Exception:
            self.handleError(record)

    def _access_head(self, level: int, logger_name: str) -> dict[str, Any]:
        """The fields every access line of ``level`` starts with after ``ts`` (built once)."""
        head = self._access_heads.get(level)
        if head is None or head[c.LOG_LOGGER] != logger_name:
            head = {
                c.LOG_LEVEL_FIELD: _LEVEL_NAMES[level],
                c.LOG_MESSAGE: c.ACCESS_LOG_MESSAGE,
                c.LOG_LOGGER: logger_name,
                **self.json_formatter.static,
            }
            self._access_heads[level] = head
        return head

    def write_request(
        self,
        level: int,
        logger_name: str,
        request_id: str,
        method: str,
        route: str,
        url: str,
        status: int,
        duration_ms: float,
        extra: dict[str, Any] | None,
    ) -> None:
        """The access line of one request, built in one dict and written with one orjson.dumps."""
        created_ns = time.time_ns()
        data: dict[str, Any] = {
            c.LOG_TIME: iso_timestamp_ms(created_ns // 1_000_000),
            **self._access_head(level, logger_name),
            c.LOG_REQUEST_ID: request_id,
            c.LOG_METHOD: method,
            c.LOG_ROUTE: route,
            c.LOG_URL: url,
            c.LOG_STATUS: status,
            c.LOG_DURATION_MS: duration_ms,
        }
        if extra:
            data.update(extra)
        self._write_access(data, created_ns)

    def _write_access(self, data: dict[str, Any], created_ns: int) -> None:
        try:
            line = orjson.dumps(data, default=str, option=_OPT_LINE)
            with self.lock:  # type: ignore[union-attr]
                self._write_line(line)
            if self.sink is not None:
                self.sink.submit(created_ns / 1e9, line)
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

    def _direct_handler(self) -> JsonLogHandler | None:
        """Our JSON handler, if it is the only place the access logger's records go."""
        handler = _installed
        if handler is None:
            return None
        logger = self.logger
        handlers = logging.root.handlers
        if logger.propagate and not logger.handlers and len(handlers) == 1 and handlers[0] is handler:
            return handler
        return None

    def request(
        self,
        request_id: str,
        method: str,
        route: str,
        url: str,
        status: int,
        duration_ms: float,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """The access line of one request (``extra``: what the app set with :func:`set_log_fields`).

        Written straight to the JSON handler when it is the only destination; otherwise as a
        LogRecord (with ``record.fields``) through the ``logging`` handlers.
        """
        level = logging.ERROR if status >= 500 else logging.INFO
        logger = self.logger
        if not logger.isEnabledFor(level):
            return
        handler = self._direct_handler()
        if handler is not None:
            handler.write_request(
                level, logger.name, request_id, method, route, url, status, duration_ms, extra
            )
            return
        fields: dict[str, Any] = {
            c.LOG_METHOD: method,
            c.LOG_ROUTE: route,
            c.LOG_URL: url,
            c.LOG_STATUS: status,
            c.LOG_DURATION_MS: duration_ms,
        }
        if extra:
            fields.update(extra)
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
