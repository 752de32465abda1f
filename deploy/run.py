"""`make up`: the whole system on one machine — Kafka, PostgreSQL, an SMTP catcher, four services, the workbench."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
from typing import TextIO

from rich.console import Console
from rich.table import Table

from deploy import kafka_security, stack
from deploy.processes import ROOT, SERVICES, WORKBENCH_PORT, ServiceProcess, migrate_all, workbench_env
from deploy.publish_lead import EXAMPLE as EXAMPLE_LEAD

MINISTRY_COUNTS = f"http://127.0.0.1:{SERVICES['reporting']}/kpi/event-counts"


def make_console(file: TextIO | None = None) -> Console:
    """On a terminal, rich fits its width; elsewhere (a log, a pipe, CI) it must not wrap or cut URLs and
    commands at 80 columns, so lines keep their full length there."""
    file = file or sys.stdout
    if file.isatty():
        return Console(file=file)
    return Console(file=file, width=UNBOUNDED_WIDTH, soft_wrap=True)


UNBOUNDED_WIDTH = 1_000  # wider than any line printed here: tables keep their content width


def start_smtp_catcher(port: int):
    """A real SMTP server on loopback that keeps the mails in .local/mail (when no SMTP server is configured)."""
    from aiosmtpd.controller import Controller

    box = stack.STATE / "mail"
    box.mkdir(parents=True, exist_ok=True)

    class SaveToFolder:
        async def handle_DATA(self, server, session, envelope):
            (box / f"{time.time_ns()}.eml").write_bytes(envelope.original_content or envelope.content)
            return "250 Message accepted for delivery"

    controller = Controller(SaveToFolder(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def print_banner(out: Console, procs, *, kafka: str, database_url: str, smtp_port: int | None) -> None:
    """Where everything answers and how to try it: each command complete, ready to copy."""
    table = Table(title="Groeiruimte is running", show_lines=False)
    for col in ("service", "HTTP", "API docs", "log"):
        table.add_column(col, overflow="fold")
    for p in procs:
        docs = "–" if p.name == "workbench" else f"{p.url}/docs"  # pages for people, no API
        table.add_row(p.name, p.url, docs, os.path.relpath(p.log_path, ROOT))
    out.print(table)
    out.print(f"Kafka [bold]{kafka}[/]   PostgreSQL [bold]{database_url}[/]")
    if smtp_port:
        out.print(f"SMTP catcher 127.0.0.1:{smtp_port}, mails kept in {stack.STATE / 'mail'}")
    out.print("Publish a lead:   [bold].venv/bin/python -m deploy.publish_lead[/]")
    # A ROM publishes on its own topic, as its own principal (docs/kafka-security.md).
    rom = "oost-nl"
    config = os.path.relpath(stack.STATE / "kafka" / "clients" / f"{kafka_security.rom_principal(rom)}.properties",
                             ROOT)
    out.print(f"  or any Kafka client, e.g. [bold]kcat -P -b {kafka} -F {config} "
              f"-t {kafka_security.organisation_topic(rom)} -k OOST-1 {os.path.relpath(EXAMPLE_LEAD, ROOT)}[/]",
              highlight=False)
    out.print("Counts:           [bold]curl -H 'Authorization: Bearer dev-ministry' "
              f"{MINISTRY_COUNTS}[/]", highlight=False)
    out.print("Development tokens (role, organisation): see the README, section 'Development tokens'.")
    out.print(f"Workbench:        [bold]http://127.0.0.1:{WORKBENCH_PORT}/[/]  (pages for people; first create an "
              "account: [bold].venv/bin/python -m services.workbench create-account NAME --role coordinator "
              "--organisation taskforce[/])", highlight=False)
    out.print("Stop with Ctrl-C (then `make down` stops Kafka and PostgreSQL).")


def main() -> int:
    console = make_console()
    with console.status("starting Kafka and PostgreSQL..."):
        ends = stack.up()
    env = ends.as_env()
    catcher = None
    if not os.environ.get("NOTIFICATIONS_SMTP_HOST"):
        catcher = start_smtp_catcher(int(os.environ.get("NOTIFICATIONS_SMTP_PORT", "8025")))
    with console.status("applying migrations..."):
        migrate_all(env)
    procs = []
    with console.status("starting services...") as status:
        for name, port in SERVICES.items():
            status.update(f"starting {name}...")
            procs.append(ServiceProcess(name, port, env, stack.STATE / "logs" / f"{name}.log").start())
        status.update("starting the workbench...")
        procs.append(ServiceProcess("workbench", WORKBENCH_PORT, env | workbench_env(procs),
                                    stack.STATE / "logs" / "workbench.log").start())
    print_banner(console, procs, kafka=ends.kafka, database_url=ends.database_url,
                 smtp_port=catcher.port if catcher else None)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            for p in procs:
                if p.proc.poll() is not None:
                    console.print(f"[red]{p.name} exited ({p.proc.returncode}); see {p.log_path}[/]")
                    stop.set()
    except KeyboardInterrupt:
        pass
    for p in procs:
        p.stop()
    if catcher:
        catcher.stop()
    return 0


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
