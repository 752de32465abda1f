"""Session-wide real infrastructure: one Kafka, one fresh PostgreSQL database and topic prefix per run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

# The tests' own stack, apart from `make up`'s: one Kafka node and a PostgreSQL under .local/tests on ports of its
# own, started by the run when nothing listens there and stopped at its end. One node, not three: three replicas of
# every partition on two cores cost the suite CPU time for nothing it tests; the three-node cluster's failover is
# what `make chaos` attacks. GROEIRUIMTE_STATE_DIR (with its ports) points the run at another stack instead.
if "GROEIRUIMTE_STATE_DIR" not in os.environ:
    os.environ["GROEIRUIMTE_STATE_DIR"] = str(Path(__file__).resolve().parent.parent / ".local" / "tests")
    for name, value in (("GROEIRUIMTE_KAFKA_BROKERS", "1"), ("GROEIRUIMTE_KAFKA_PORT", "29092"),
                        ("GROEIRUIMTE_PG_PORT", "54330")):
        os.environ.setdefault(name, value)

from deploy.databases import create_database, drop_database  # noqa: E402 (after the stack's settings above)
from deploy.processes import ROOT  # noqa: E402
from tests.infra import real_stack, shared_local_stack  # noqa: E402
from tests.lifecycle import print_task_stacks  # noqa: E402

SERVICES = ("intake", "matching", "notifications", "reporting", "workbench")
# The tests run with the public development tokens and secrets (a test that checks the refusal clears it).
os.environ.setdefault("GROEIRUIMTE_ENV", "development")


@pytest.fixture(scope="session")
def infra():
    """Real Kafka and PostgreSQL for the whole run (fails loudly when they cannot be had)."""
    with real_stack() as ends:
        # In-process services and the test helpers connect as the stack's admin; service processes started by
        # tests connect as their own principals (deploy.processes), with the ACLs of their topic prefix.
        saved = {k: os.environ.get(k) for k in ends.kafka_security}
        os.environ.update(ends.kafka_security)
        try:
            yield ends
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="session")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def database_url(infra, run_id):
    """A fresh database for this run, with every service's migrations applied."""
    name = f"groeiruimte_test_{run_id}"
    url = asyncio.run(create_database(infra.database_url, name, services=SERVICES))
    yield url
    if not os.environ.get("KEEP_TEST_DATABASE"):
        asyncio.run(drop_database(infra.database_url, name))


@pytest.fixture(scope="session")
def topic_prefix(run_id) -> str:
    return f"test-{run_id}."


@pytest.fixture(scope="session")
def service_env(infra, database_url, topic_prefix) -> dict[str, str]:
    """Environment that points a service at this run's Kafka, database and topics."""
    return {**infra.kafka_security, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka, "DATABASE_URL": database_url,
            "KAFKA_TOPIC_PREFIX": topic_prefix, "LOG_LEVEL": "INFO", "KAFKA_SESSION_TIMEOUT_MS": "6000"}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = ROOT / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_timeout_set_timer(item, settings):
    """On a timeout, print where each asyncio task waits too: the thread stacks alone show only the event loop."""
    yield
    timed_out = signal.getsignal(signal.SIGALRM)
    if not callable(timed_out):
        return

    def report_tasks_then_fail(signum, frame):
        print(f"\n+++ {item.nodeid} timed out; pending asyncio tasks:", file=sys.stderr)
        print_task_stacks()
        timed_out(signum, frame)

    signal.signal(signal.SIGALRM, report_tasks_then_fail)


# `make test` splits the run over two xdist workers (`-n 2 --dist loadscope`): while one waits on Kafka, a service or
# a browser, the other computes. Each group below runs whole on one worker: the e2e tests share one running system,
# the HTTP fuzz has its own four services, and every other module keeps its module-scoped fixtures (apps,
# consumers). (A scheduler of our own: pytest 9 keeps xdist's `xdist_group` marks from reaching the scheduler.)
_STACK = pytest.StashKey[contextlib.ExitStack]()


def group_of(nodeid: str) -> str:
    path = nodeid.split("::")[0]
    return "fuzz" if path.endswith("test_http_fuzz.py") else "e2e" if path.startswith("tests/e2e/") else path


@pytest.hookimpl(optionalhook=True)  # a run without xdist (`-p no:xdist`) does not know this hook
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return ByGroup(config, log)


def pytest_sessionstart(session):
    """xdist's controller starts the local stack before its workers, so that they do not both start it."""
    if session.config.pluginmanager.getplugin("dsession") is not None:
        session.config.stash[_STACK] = contextlib.ExitStack()
        session.config.stash[_STACK].enter_context(shared_local_stack())


def pytest_sessionfinish(session):
    if (stack := session.config.stash.get(_STACK, None)) is not None:
        stack.close()
