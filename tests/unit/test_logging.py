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
