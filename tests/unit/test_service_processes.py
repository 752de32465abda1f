"""Starting services as processes: each gets its own port, and only its own answer counts as healthy.

CI once gave matching and reporting the same port: reporting could not bind and exited, while matching's /healthz
on that port was taken for reporting's, and four end-to-end tests then failed with a 404 far from the cause.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deploy.processes import ServiceProcess, free_ports


def test_ports_handed_out_together_are_distinct_and_free():
    ports = free_ports(64)
    assert len(set(ports)) == 64
    assert all(1024 < port < 65536 for port in ports)


class _AnswersAsMatching(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        body = json.dumps({"status": "ok", "service": "matching"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def matching_on_a_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AnswersAsMatching)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_another_service_answering_on_the_port_is_not_health(matching_on_a_port, tmp_path: Path):
    reporting = ServiceProcess("reporting", matching_on_a_port, {}, tmp_path / "reporting.log")
    with pytest.raises(RuntimeError, match="answers as 'matching', not reporting: its port is taken"):
        reporting.wait_healthy(timeout=10)


def test_the_service_itself_answering_is_health(matching_on_a_port, tmp_path: Path):
    ServiceProcess("matching", matching_on_a_port, {}, tmp_path / "matching.log").wait_healthy(timeout=10)
