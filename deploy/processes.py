"""Start the four services (and the workbench) as their own processes and wait until each answers on /healthz."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy import kafka_security

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"intake": 8001, "matching": 8002, "notifications": 8003, "reporting": 8004}
# The local stack is for developers: its services accept the public development secrets unless the caller's
# environment says otherwise (GROEIRUIMTE_ENV, see shared.settings).
DEVELOPMENT = {"GROEIRUIMTE_ENV": "development"}
# The pages for people: started after the four, pointed at them (WORKBENCH_<SERVICE>_URL).
WORKBENCH_PORT = 8005


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports nothing listens on now: every socket stays bound until all are chosen (a port
    closed at once can be handed out again by the next bind, and two services were once given the same one)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def free_ports_for(names: Iterable[str]) -> dict[str, int]:
    """A distinct free port for each name (each of several services started side by side)."""
    names = list(names)
    return dict(zip(names, free_ports(len(names)), strict=True))


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: float = 180) -> ServiceProcess:
        # Generous: waiting ends at the first healthy answer; only a process that never answers waits this long
        # (a restart on a loaded 2-core machine took over 60 s to import and join its consumer groups).
        self.launch()
        self.wait_healthy(wait)
        return self

    def launch(self) -> ServiceProcess:
        """Start the process without waiting for it (several can then start side by side)."""
        env = DEVELOPMENT | os.environ | self.env | {f"{self.name.upper()}_HTTP_PORT": str(self.port)}
        env |= kafka_security.as_own_principal(self.name, env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", f"services.{self.name}", "serve"], cwd=ROOT,
                                         env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                answer = httpx.get(f"{self.url}/healthz", timeout=1)
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code == 200:
                # Another process on the same port answers too: that is not this service being healthy.
                if (service := answer.json().get("service")) != self.name:
                    raise RuntimeError(f"{self.url} answers as {service!r}, not {self.name}: its port is taken")
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer on {self.url}/healthz within {timeout:.0f}s")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing — what a crash looks like."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
        stop_all([self], timeout=timeout)


def stop_all(procs: Iterable[ServiceProcess], *, timeout: float = 20) -> None:
    """SIGTERM every running process at once, then SIGKILL those not gone within `timeout` seconds in all.

    Stopping them together bounds the whole teardown by one timeout, however many services run.
    """
    running = [p for p in procs if p.proc and p.proc.poll() is None]
    for p in running:
        p.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in running:
        try:
            p.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()


def migrate_all(env: dict[str, str]) -> None:
    """Apply every service's migrations (each in its own schema), in one process per service."""
    for name in [*SERVICES, "workbench"]:
        subprocess.run([sys.executable, "-m", f"services.{name}", "migrate"], cwd=ROOT,
                       env=DEVELOPMENT | os.environ | env, check=True, stdout=subprocess.DEVNULL)


def peers_env(ports: dict[str, int]) -> dict[str, str]:
    """Where a service finds the others it calls: notifications asks intake for the keys of sealed identities."""
    return {"NOTIFICATIONS_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}"} if "intake" in ports else {}


def workbench_env(procs: Iterable[ServiceProcess]) -> dict[str, str]:
    """Where the workbench finds each service."""
    return {f"WORKBENCH_{p.name.upper()}_URL": p.url for p in procs}
