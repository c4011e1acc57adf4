"""Logging for tessera's processes, configured the same in ``tessera serve`` and in each worker.

Log lines often carry what a caller sent (a login name, a path): a newline in it must not start
a forged line, nor an escape sequence rewrite the operator's terminal. Every handler escapes the
control characters of each record's message (``\\n`` becomes the two characters ``\\n``); the
traceback of an exception, which is ours, stays as it is. JSON lines need no escaping of their
own: the encoder escapes every control character.

Each line carries the correlation id of the request being served, if any. The same
configuration is handed to uvicorn (``log_config``), which applies it in every worker process it
starts: configuring logging anywhere else would be undone there, and a worker's lines lost.
"""

from __future__ import annotations

import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from tessera.observability import context

LogFormat = Literal["text", "json"]
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(correlation)s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is data.
# (uvicorn adds its message again with terminal colours: not data.)
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "correlation",
    "color_message",
}


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class EscapeControlCharacters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = escape_controls(message)
        if escaped != message:
            record.msg, record.args = escaped, None
        return True


class CorrelationId(logging.Filter):
    """Adds ``correlation_id`` (the request being served, else None) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            current = context.current()
            record.correlation_id = current.correlation_id if current is not None else None
        correlation = getattr(record, "correlation_id", None)
        record.correlation = f" [correlation {correlation}]" if correlation else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlationId, and the fields a
    caller passed with ``extra=`` (the access log's request)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # Which worker: with --workers N, lines of N processes interleave.
            "process": record.process,
        }
        correlation = getattr(record, "correlation_id", None)
        if correlation:
            line["correlationId"] = correlation
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "correlation_id":
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def dict_config(level: str, log_format: LogFormat = "text") -> dict[str, Any]:
    """The ``logging.config`` dictionary of a tessera server process (and of uvicorn's)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "escape": {"()": f"{__name__}.EscapeControlCharacters"},
            "correlation": {"()": f"{__name__}.CorrelationId"},
        },
        "formatters": {"tessera": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "tessera",
                "filters": ["correlation", "escape"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        # uvicorn's own loggers go through the same handler (uvicorn's access log is off:
        # tessera writes its own, with the correlation id and the route).
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": level, "handlers": [], "propagate": False},
        },
    }


def configure(level: str, log_format: LogFormat = "text") -> None:
    """Root logger at ``level`` on standard error, as text or JSON lines, every message escaped."""
    logging.config.dictConfig(dict_config(level, log_format))
