"""Logging never breaks the code that logs, even when the stream it was configured with is gone."""

import io
import logging
import sys

import structlog

from shared.logging import configure_logging


def test_logging_follows_the_current_stderr_after_the_old_one_closed(monkeypatch):
    old = io.StringIO()
    monkeypatch.setattr(sys, "stderr", old)
    configure_logging("test", "INFO", json=True)
    old.close()
    new = io.StringIO()
    monkeypatch.setattr(sys, "stderr", new)
    structlog.get_logger().error("still_logged", n=1)
    logging.getLogger("other").error("stdlib too")
    assert '"event": "still_logged"' in new.getvalue() and "stdlib too" in new.getvalue()


def test_tracebacks_of_validation_and_database_errors_never_carry_the_data(monkeypatch):
    from pydantic import BaseModel
    from sqlalchemy import exc as sa

    class Company(BaseModel):
        name: int

    name, kvk = "Geh" + "eim Fotonica B.V.", "1234" + "5678"  # built: the traceback shows source lines
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("test", "INFO", json=True)
    try:
        Company(name=name)
    except Exception:
        structlog.get_logger().exception("validation_failed")
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    try:
        raise sa.DBAPIError("INSERT INTO lead VALUES ($1)", {"kvk": kvk}, Exception(f"Key (kvk)=({kvk})"))
    except Exception:
        structlog.get_logger().exception("database_failed")
    text = out.getvalue()
    assert "Geheim" not in text and "12345678" not in text
    assert text.count("ValidationError") >= 2 and "database_failed" in text
    assert "test_tracebacks_of_validation_and_database_errors_never_carry_the_data" in text  # where it happened


def test_other_tracebacks_are_logged_in_full(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("test", "INFO", json=True)
    try:
        raise RuntimeError("a developer's message")
    except RuntimeError:
        structlog.get_logger().exception("bug")
    assert "a developer's message" in out.getvalue()
