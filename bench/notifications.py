"""Notifications benchmark: emails/s to a local SMTP server, and the delay an SMTP outage adds.

Notifications runs in-process against the real Kafka and a fresh PostgreSQL database; aiosmtpd (a real SMTP
server on loopback, in its own process so that it does not compete for this one's GIL) accepts and counts.
- throughput: N cases (case-opened, then match-proposed with one site each) -> N mails; emails/s from the first
  match-proposed produced to the last mail accepted (consume, record, render both parts, send), beside the raw
  aiosmtplib rate (prebuilt messages over one connection) to the same server in the same run;
- outage: the server is stopped, M proposals arrive, the server is started again after S seconds; the added
  delay is the time from the restart to the last mail accepted (nothing may be lost), with the default retry
  settings (backoff from 2 s, doubling, capped at 10 s while the server is unreachable; all delayed mails are
  released as soon as one gets through).

`python -m bench.notifications [--mails N] [--outage-mails M] [--outages 5 15]`; writes
artifacts/bench-notifications.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT
from services.notifications.app import create_app
from services.notifications.config import NotificationsSettings
from shared.contracts import CaseOpened, MatchProposed
from shared.messaging import client_security

console = Console()
SITES = [("oost-kennispark", "GM0153", "Overijssel", "oost"),
         ("west-delft-tech-park", "GM0503", "Zuid-Holland", "west"),
         ("zuid-high-tech-campus", "GM0772", "Noord-Brabant", "zuid"),
         ("noord-zernike", "GM0014", "Groningen", "noord")]


def _serve(port: int, count, last_at, first_at, ready) -> None:
    """The SMTP server process: counts and timestamps accepted messages in shared memory."""

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
                last_at.value = time.time()
                first_at.value = first_at.value or last_at.value
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()


class Server:
    """aiosmtpd in its own process, so that it does not compete with the service for this process's GIL."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.count, self.last, self.first = self.ctx.Value("q", 0), self.ctx.Value("d", 0.0), self.ctx.Value("d", 0.0)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = None

    @property
    def accepted(self) -> int:
        return self.count.value

    @property
    def last_at(self) -> float:
        return self.last.value

    def start(self) -> float:
        """Start the server; returns the wall-clock time at which it listens."""
        ready = self.ctx.Event()
        self.first.value = 0.0  # the first message this server process accepts
        self.proc = self.ctx.Process(target=_serve, args=(self.port, self.count, self.last, self.first, ready),
                                     daemon=True)
        self.proc.start()
        if not ready.wait(60):
            raise RuntimeError("the SMTP server did not start")
        return time.time()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join()


def case_events(i: int) -> tuple[CaseOpened, MatchProposed]:
    case_id, site = uuid.uuid4(), SITES[i % len(SITES)]
    subject, code_name = str(case_id), f"Bench-{i}"
    opened = CaseOpened.model_validate({"source": "/bench", "subject": subject, "data": {
        "case_id": case_id, "lead_id": uuid.uuid4(), "code_name": code_name, "organisation": "oost-nl",
        "company_ref": "h", "stage": "scale-up", "technology_domains": ["quantum-technologies"],
        "origin": {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"},
        "demand": {"floor_space": {"floor_space_m2": 4000, "needed_by": "2027-08-01"},
                   "energy": {"grid_connection_mw": 1.5, "needed_by": "2027-08-01"}},
        "investment_eur": 1e7, "investment_status": "estimated", "signalled_at": "2026-01-01T00:00:00+00:00"}})
    proposed = MatchProposed.model_validate({"source": "/bench", "subject": subject, "data": {
        "case_id": case_id, "code_name": code_name, "technology_domains": ["quantum-technologies"],
        "origin_region": "oost", "no_proposition": False, "proposals": [{
            "rank": 1, "site_id": site[0], "site_name": site[0], "municipality_code": site[1], "province": site[2],
            "region": site[3], "own_region": site[3] == "oost", "score": 0.9, "contributions": {}}]}})
    return opened, proposed


async def produce(producer: AIOKafkaProducer, settings: NotificationsSettings, events) -> None:
    futures = [await producer.send(settings.topic(e.topic), e.to_json(), key=e.key) for e in events]
    await asyncio.gather(*futures)


async def wait_for(server: Server, target: int, label: str, timeout: float) -> bool:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=target)
        deadline = time.time() + timeout
        while server.accepted < target and time.time() < deadline:
            progress.update(task, completed=server.accepted)
            await asyncio.sleep(0.05)
    return server.accepted >= target


async def raw_smtp_rate(server: Server, n: int) -> float:
    """Prebuilt two-part messages over one connection: the ceiling for this server on this machine."""
    msgs = []
    for i in range(n):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@b.example", "c@d.example", f"raw {i}"
        msg.set_content("x" * 900)
        msg.add_alternative("<p>" + "x" * 1500 + "</p>", subtype="html")
        msgs.append(msg)
    before = server.accepted
    start = time.time()
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=server.port, start_tls=False) as smtp:
        for msg in msgs:
            await smtp.send_message(msg)
    assert server.accepted - before == n
    return n / (time.time() - start)


async def run(args, settings: NotificationsSettings, server: Server) -> dict:
    app = create_app(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                enable_idempotence=True, linger_ms=5, **client_security(settings))
    await producer.start()
    result: dict = {}
    try:
        async with app.state.runtime.running():
            pairs = [case_events(i) for i in range(args.mails)]
            await produce(producer, settings, [o for o, _ in pairs])
            await asyncio.sleep(2)  # let case-opened land first, as it does in the pipeline
            start = time.time()
            await produce(producer, settings, [p for _, p in pairs])
            ok = await wait_for(server, args.mails, f"{args.mails} mails", timeout=300)
            elapsed = server.last_at - start
            result |= {"mails": args.mails, "all_delivered": ok, "emails_per_s": args.mails / elapsed,
                       "seconds": elapsed}
            result["raw_aiosmtplib_per_s"] = await raw_smtp_rate(server, min(2000, args.mails))
            result["service_vs_raw"] = result["emails_per_s"] / result["raw_aiosmtplib_per_s"]
            result["outages"] = [await outage(producer, settings, server, seconds, args.outage_mails)
                                 for seconds in args.outages]
    finally:
        await producer.stop()
    return result


async def outage(producer, settings: NotificationsSettings, server: Server, seconds: float, m: int) -> dict:
    base = server.accepted
    server.stop()
    stopped = time.time()
    pairs = [case_events(i) for i in range(m)]
    await produce(producer, settings, [o for o, _ in pairs])
    await produce(producer, settings, [p for _, p in pairs])
    await asyncio.sleep(max(0.0, seconds - (time.time() - stopped)))
    accepted_during = server.accepted - base
    restarted = await asyncio.to_thread(server.start)
    ok = await wait_for(server, base + m, f"{m} mails after a {seconds:g} s outage", timeout=seconds * 4 + 120)
    await asyncio.sleep(1)
    return {"outage_s": round(restarted - stopped, 2), "mails": m, "delivered": server.accepted - base,
            "accepted_during_outage": accepted_during, "all_delivered": ok and server.accepted - base == m,
            "first_mail_after_restart_s": server.first.value - restarted,
            "added_delay_s": server.last_at - restarted}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--outage-mails", type=int, default=200)
    parser.add_argument("--outages", type=float, nargs="+", default=[5, 15])
    args = parser.parse_args()
    ends = stack.up()
    run_id = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_notifications_{run_id}"
    db = asyncio.run(create_database(ends.database_url, name, services=["notifications"]))
    server = Server()
    server.start()
    settings = NotificationsSettings(
        database_url=db, kafka_bootstrap_servers=ends.kafka, topic_prefix=f"bench-{run_id}.", smtp_port=server.port,
        relevance_threshold=0, budget_per_period=10**9, proposal_notifies_province=False, log_level="WARNING")
    try:
        from shared.logging import configure_logging
        configure_logging("notifications", "WARNING", False)
        result = asyncio.run(run(args, settings, server))
    finally:
        server.stop()
        asyncio.run(drop_database(ends.database_url, name))
    result["measured_at"] = datetime.now(UTC).isoformat()
    report(result)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-notifications.json").write_text(json.dumps(result, indent=2))
    return 0 if result["all_delivered"] and all(o["all_delivered"] for o in result["outages"]) else 1


def report(result: dict) -> None:
    table = Table(title="Notifications benchmark (this machine, local Kafka, PostgreSQL and aiosmtpd)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"emails/s, {result['mails']} proposals -> mails (consume, record, render, send)",
                  f"{result['emails_per_s']:.0f}")
    table.add_row("raw aiosmtplib to the same server (prebuilt, one connection)",
                  f"{result['raw_aiosmtplib_per_s']:.0f}")
    table.add_row("service / raw", f"{result['service_vs_raw']:.2f}")
    for o in result["outages"]:
        table.add_row(f"{o['outage_s']:g} s outage: first mail after restart (s)",
                      f"{o['first_mail_after_restart_s']:.2f}")
        table.add_row(f"{o['outage_s']:g} s outage, {o['mails']} mails: last mail after restart (added delay, s)",
                      f"{o['added_delay_s']:.2f}")
        table.add_row(f"{o['outage_s']:g} s outage: delivered / lost",
                      f"{o['delivered']} / {o['mails'] - o['delivered']}")
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
