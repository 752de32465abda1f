"""The chaos run's supervisor: a restart under way when the run ends (or runs out of time) starts no service
after the shutdown, and every process it launched is gone afterwards."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from deploy.processes import ServiceProcess
from tests.chaos.supervisor import ShuttingDown, Supervisor

pytestmark = pytest.mark.timeout(30)


class NeverHealthy(ServiceProcess):
    """A process that runs but never answers on /healthz (a service stuck starting on a loaded machine)."""

    launches = 0

    def launch(self) -> NeverHealthy:
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        self.launches += 1
        return self


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def service(tmp_path) -> NeverHealthy:
    proc = NeverHealthy("intake", _unused_port(), {}, tmp_path / "intake.log")
    yield proc
    proc.kill()


def _restart_in_thread(supervisor: Supervisor, proc: ServiceProcess) -> tuple[threading.Thread, list]:
    outcome: list[BaseException | None] = []

    def restart() -> None:
        try:
            supervisor.restart(proc, attempts=3, wait=60)
            outcome.append(None)
        except BaseException as err:  # noqa: BLE001 - the test inspects what the thread ended with
            outcome.append(err)

    thread = threading.Thread(target=restart)
    thread.start()
    return thread, outcome


def test_a_restart_under_way_at_shutdown_starts_nothing_more_and_leaves_no_process(service):
    supervisor = Supervisor(log=lambda _: None)
    thread, outcome = _restart_in_thread(supervisor, service)
    deadline = threading.Event()
    while not supervisor.alive() and not deadline.wait(0.05):  # positive signal: the first attempt runs
        pass

    supervisor.shutdown([service], timeout=5)
    thread.join(20)

    assert not thread.is_alive()
    assert isinstance(outcome[0], ShuttingDown)
    assert service.launches == 1  # no second attempt after the shutdown killed the first
    assert supervisor.alive() == []


def test_once_the_shutdown_began_no_start_is_made(service):
    supervisor = Supervisor(log=lambda _: None)
    supervisor.shutdown([service])

    with pytest.raises(ShuttingDown):
        supervisor.restart(service)
    assert service.launches == 0
    assert service.proc is None


def test_a_retried_start_kills_the_attempt_that_never_answered(service):
    supervisor = Supervisor(log=lambda _: None)

    with pytest.raises(RuntimeError, match="did not answer"):
        supervisor.restart(service, attempts=2, wait=0.5)

    assert service.launches == 2
    assert supervisor.alive() == []  # neither the first attempt nor the last lives on
