"""`make up`: the whole system on one machine — Kafka, PostgreSQL, an SMTP catcher and the four services."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time

from rich.console import Console
from rich.table import Table

from deploy import stack
from deploy.processes import ROOT, SERVICES, ServiceProcess, migrate_all

console = Console()


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


def main() -> int:
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
    table = Table(title="Groeiruimte is running", show_lines=False)
    for col in ("service", "HTTP", "API docs", "log"):
        table.add_column(col)
    for p in procs:
        table.add_row(p.name, p.url, f"{p.url}/docs", str(p.log_path.relative_to(ROOT)))
    console.print(table)
    console.print(f"Kafka [bold]{ends.kafka}[/]   PostgreSQL [bold]{ends.database_url}[/]")
    if catcher:
        console.print(f"SMTP catcher 127.0.0.1:{catcher.port}, mails kept in {stack.STATE / 'mail'}")
    console.print("Publish a lead:   [bold].venv/bin/python -m deploy.publish_lead[/]"
                  "   (or any Kafka client, e.g. kcat -P -b 127.0.0.1:9092 -t lead-signalled example-lead.json)")
    console.print("Counts:           curl -H 'Authorization: Bearer dev-ministry' "
                  "http://127.0.0.1:8004/metrics/event-counts")
    console.print("Stop with Ctrl-C (then `make down` stops Kafka and PostgreSQL).")
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
