"""Start and restart the chaos run's service processes, and never leave one behind.

A killed service restarts in a worker thread (a start takes tens of seconds on a loaded machine). When the run
ends, or runs out of time, such a thread may still be starting a process: the event loop cannot cancel a thread,
so without a flag it would launch a service after the others were stopped, which then runs on, orphaned, against
a stack that is being torn down. Once `shutdown` began, nothing is launched again, and every process this
supervisor ever launched is killed.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterable

from deploy.processes import ServiceProcess, stop_all


class ShuttingDown(RuntimeError):
    """A start was asked for after the shutdown began: the service stays down."""


class Supervisor:
    def __init__(self, log: Callable[[str], object] = print) -> None:
        self._lock = threading.Lock()  # a launch and the shutdown never interleave
        self._stopping = False
        self._launched: list[subprocess.Popen] = []
        self._log = log

    @property
    def stopping(self) -> bool:
        return self._stopping

    def launch(self, proc: ServiceProcess) -> None:
        """Start the process without waiting for it; refused once the shutdown began."""
        with self._lock:
            if self._stopping:
                raise ShuttingDown(f"{proc.name} not started: the run is shutting down")
            proc.kill()  # an earlier attempt that never answered must not live on beside the new one
            proc.launch()
            self._launched.append(proc.proc)

    def start(self, proc: ServiceProcess, *, wait: float) -> None:
        self.launch(proc)
        self._wait(proc, wait)

    def restart(self, proc: ServiceProcess, *, attempts: int = 3, wait: float = 240) -> None:
        """Start it again, as a supervisor would: a start that fails (e.g. the broker is not back yet) is retried,
        unless the run is shutting down."""
        for attempt in range(1, attempts + 1):
            try:
                self.start(proc, wait=wait)
                return
            except ShuttingDown:
                raise
            except RuntimeError as err:
                if attempt == attempts:
                    proc.kill()  # a start that never answered leaves nothing running
                    raise
                self._log(f"  {proc.name} failed to start ({err}); starting it again")

    def _wait(self, proc: ServiceProcess, wait: float) -> None:
        try:
            proc.wait_healthy(wait)
        except RuntimeError:
            if self._stopping:  # the shutdown killed it while it was starting: that is no failure to retry
                raise ShuttingDown(f"{proc.name} stopped while starting: the run is shutting down") from None
            raise

    def shutdown(self, procs: Iterable[ServiceProcess], *, timeout: float = 20) -> None:
        """No start from now on; SIGTERM the running services (SIGKILL after `timeout`), then SIGKILL whatever
        else this supervisor launched and is still alive (a start that was under way)."""
        with self._lock:
            self._stopping = True
        stop_all(procs, timeout=timeout)
        for popen in self._launched:
            if popen.poll() is None:
                popen.kill()
                popen.wait()

    def alive(self) -> list[subprocess.Popen]:
        """The processes this supervisor launched that still run."""
        return [p for p in self._launched if p.poll() is None]
