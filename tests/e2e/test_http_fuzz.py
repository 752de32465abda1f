"""Every operation of the four HTTP APIs answers as its OpenAPI document says, whatever it is sent.

schemathesis generates requests from each service's own /openapi.json (documented examples, boundary and
wrong-typed values, then random ones) and sends them to the real services, running as processes against real
Kafka and PostgreSQL, with a development token of a role that may call the operation. Each answer must be no
5xx, a documented status code, a documented content type, and a body that fits the documented schema.

Bounded: a fixed seed and a fixed number of random examples per operation, so a run is repeatable. In `make test`
every documented example and every boundary and wrong-typed case of the coverage phase is sent (nine in ten of
the requests), and 5 random examples per operation, from one worker. `make fuzz` is the deeper run:
FUZZ_EXAMPLES=100 random examples per operation (FUZZ_WORKERS sets the workers).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid

import pytest

from deploy.databases import create_database, drop_database
from deploy.processes import SERVICES, ServiceProcess, free_ports_for, peers_env
from shared.auth import parse_tokens
from shared.settings import ServiceSettings

pytestmark = pytest.mark.e2e

SEED = 20261201
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# One worker: with two, schemathesis' threads parse lambdas' source side by side (hypothesis describes its
# strategies), and Python 3.11's ast module, whose recursion count is not kept per thread, may then fail a run
# with "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905; seen once in the clean-clone
# CI of 2026-12-02).
WORKERS = int(os.environ.get("FUZZ_WORKERS", "1"))
# A guard against a hang, far above a run's time (the first test also starts the services); a deeper run gets more.
WITHIN = max(480, 30 * EXAMPLES)
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"]
# The development tokens cover no municipality: one is added for the operations only municipalities may call.
MUNICIPALITY_TOKEN = "dev-fuzz-enschede:GM0153:municipality"


def development_tokens() -> str:
    spec = ServiceSettings().api_tokens.get_secret_value()
    if "municipality" not in {caller.role for caller in parse_tokens(spec).values()}:
        spec = f"{spec},{MUNICIPALITY_TOKEN}"
    return spec


# Per service, (method or None, path regex, role): a role that may call those operations, so that requests get
# past the 403 into the route's own logic. Everything else is called as the coordinator.
ROLES = {
    "intake": [(None, "^/leads", "rom")],
    "notifications": [("POST", "^/replies$", "municipality")],
    "reporting": [("GET", "^/(metrics|reports|dashboard)", "ministry")],
}


@pytest.fixture(scope="module")
def fuzzed(infra, run_id, artifacts):
    """The four services on free ports with a database and topics of their own: the fuzzer's writes
    (leads, sites, directory entries) must not reach the other end-to-end tests."""
    name = f"groeiruimte_test_{run_id}_fuzz"
    database = _run(create_database(infra.database_url, name, services=SERVICES))
    env = {"KAFKA_BOOTSTRAP_SERVERS": infra.kafka, "DATABASE_URL": database, "LOG_LEVEL": "WARNING",
           "KAFKA_TOPIC_PREFIX": f"fuzz-{uuid.uuid4().hex[:8]}.", "KAFKA_SESSION_TIMEOUT_MS": "6000",
           "API_TOKENS": development_tokens()}
    # Nothing listens on the SMTP port: it is chosen with the services' ports so that none of them is given it.
    ports = free_ports_for([*SERVICES, "smtp"])
    env["NOTIFICATIONS_SMTP_PORT"] = str(ports.pop("smtp"))
    env |= peers_env(ports)
    procs = {s: ServiceProcess(s, ports[s], env, artifacts / "logs" / f"fuzz-{s}.log") for s in SERVICES}
    try:
        for p in procs.values():
            p.launch()
        for p in procs.values():
            p.wait_healthy(90)
        yield procs
    finally:
        for p in procs.values():
            p.stop()
        _run(drop_database(infra.database_url, name))


def _run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    return {caller.role: token for token, caller in reversed(parse_tokens(development_tokens()).items())}


@pytest.mark.timeout(WITHIN + 120)
@pytest.mark.parametrize("service", list(SERVICES))
def test_every_operation_answers_as_documented(service, fuzzed, tokens, tmp_path, artifacts):
    config = tmp_path / "schemathesis.toml"
    config.write_text(fuzz_config(service, tokens))
    report = artifacts / "fuzz" / service
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color", "run",
         f"{fuzzed[service].url}/openapi.json", "--checks", ",".join(CHECKS), "--phases", "examples,coverage,fuzzing",
         "--max-examples", str(EXAMPLES), "--workers", str(WORKERS), "--seed", str(SEED), "--request-timeout", "30",
         "--report", "junit", "--report-dir", str(report)],
        capture_output=True, text=True, timeout=WITHIN)
    assert run.returncode == 0, f"{service}: schemathesis found answers the OpenAPI document does not promise " \
                                f"(JUnit report in {report}):\n{run.stdout[-12000:]}{run.stderr[-2000:]}"
    generated = re.search(r"(\d+) generated", run.stdout)
    assert generated and int(generated[1]) > 0, run.stdout[-3000:]


def fuzz_config(service: str, tokens: dict[str, str]) -> str:
    """schemathesis.toml: the token of a role that may call each operation (the first matching rule wins)."""
    lines = [f'headers = {{ Authorization = "Bearer {tokens["coordinator"]}" }}', "",
             # Methods a path does not have answer FastAPI's own 405: a third of the coverage cases, none of ours.
             "[phases.coverage]", "unexpected-methods = []"]
    for method, path, role in ROLES.get(service, ()):
        lines += ["", "[[operations]]", f'include-path-regex = "{path}"']
        lines += [f'include-method = "{method}"'] if method else []
        lines += [f'headers = {{ Authorization = "Bearer {tokens[role]}" }}']
    return "\n".join(lines) + "\n"
