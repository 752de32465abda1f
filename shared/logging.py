"""structlog JSON logging with the current OpenTelemetry trace id on every line."""

from __future__ import annotations

import logging
import sys

import structlog
from opentelemetry import trace

from shared.failures import carries_data, describe, safe_stack


def _add_trace_id(_, __, event_dict: dict) -> dict:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict["trace_id"] = format(ctx.trace_id, "032x")
        event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict


class _CurrentStderr:
    """Writes to whatever sys.stderr is *now*: a stream captured at configure time may be closed later
    (test runners swap it per test), and a log call must never fail the code that makes it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _CurrentStderrHandler(logging.StreamHandler):
    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _exception_of(exc_info) -> BaseException | None:
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, tuple):
        return exc_info[1]
    return exc_info if isinstance(exc_info, BaseException) else None


def _redact_data_errors(_, __, event_dict: dict) -> dict:
    """Tracebacks of validation and database errors quote the data (pydantic's input_value, a DBAPI error's
    statement and DETAIL): log where it happened and what kind of failure it was, never the values."""
    err = _exception_of(event_dict.get("exc_info"))
    if err is not None and carries_data(err):
        event_dict.pop("exc_info")
        failure = describe(err)
        event_dict["exception"] = f"{safe_stack(err)}: {failure.reason}"
        event_dict.setdefault("error_class", failure.error_class)
    return event_dict


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and route stdlib logging (aiokafka, uvicorn) through the same renderer."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_id,
        _redact_data_errors,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = _CurrentStderrHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processor=renderer))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
