"""`make chaos`: faults under load, on a private Kafka and PostgreSQL, then a table of what was lost or doubled.

    .venv/bin/python -m tests.chaos [--leads 2000] [--kills 3] [--mails 600] [--max-minutes 10]

1. Starts its own three-broker Kafka (SASL/SCRAM, ACLs) and PostgreSQL (deploy/stack.py on free ports, state in
   .local/chaos-<run>), so the stack others use is never touched, and the four services as processes (each as
   its own Kafka principal) with a real SMTP server.
2. Publishes the leads in chunks; between chunks it SIGKILLs each service `--kills` times (restarting it), SIGKILLs
   one of the three brokers once (and starts it again) and stops PostgreSQL with `pg_ctl -m immediate` once (and
   starts it). With acks=all and min.insync.replicas 2 the broker's death must lose and duplicate nothing.
3. Waits for positive signals (every case proposed, every mail marked sent), then counts from the topics, the
   reporting projection and the SMTP server: leads, cases, events and mails lost and duplicated. A mail repeated
   with the same Message-ID (its fate was unknown at a crash) is counted apart, with its bound: one per SMTP
   connection per crash of notifications or PostgreSQL.
4. Then the mail phase: `--mails` proposals straight to notifications, SIGKILLed `--kills` times and PostgreSQL
   stopped once while they are mailed, counted by Message-ID.
Exits 1 when anything was lost or duplicated, or a bound was exceeded; 2 when it ran out of time.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from rich.table import Table
from sqlalchemy.engine import make_url

from deploy.processes import DEVELOPMENT, ROOT, SERVICES, ServiceProcess, free_port, free_ports_for, peers_env
from deploy.run import make_console
from tests import log_scan
from tests.chaos.mail_crash import KILL, POSTGRES, run_mail_crash
from tests.chaos.supervisor import Supervisor
from tests.factories import lead_payload
from tests.kafka import collect_all, produce

console = make_console()
SEND_CONNECTIONS = 4
# What finishes within --max-minutes 10 on two shared cores (docs/chaos.md has the measured runs).
DEFAULT_LEADS = 200
PIPELINE_TOPICS = ("lead-registered", "case-opened", "match-proposed")


def free_port_run(length: int) -> int:
    """A port whose `length - 1` successors are free too (each Kafka node listens on base + i, its controller on
    base + brokers + i)."""
    for _ in range(100):
        port = free_port()
        if port < 65_000 and all(_bindable(port + i) for i in range(1, length)):
            return port
    raise RuntimeError(f"no {length} free consecutive ports")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Inbox:
    """The municipalities' SMTP server: every accepted mail, by Message-ID and by (case code name, recipient).

    The code name is what the run can see while it waits; the count at the end keys each mail by its case id
    (`by_case`): code names are short and two of thousands of cases can share one, whose mails would then look
    like one case's mail sent twice."""

    def __init__(self) -> None:
        self.by_id: Counter[str] = Counter()
        self.ids_of: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.address_of: dict[str, str] = {}

    async def handle_DATA(self, server, session, envelope):
        # Headers only: the bodies are not counted, and parsing thousands of them slows the run's own process.
        msg = BytesHeaderParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        self.by_id[msg["Message-ID"]] += 1
        key = (str(msg["Subject"]).split("case ")[-1], msg["To"].addresses[0].addr_spec)
        self.ids_of[key].add(msg["Message-ID"])
        self.address_of[msg["Message-ID"]] = key[1]
        return "250 Message accepted for delivery"


@dataclass
class Stack:
    """The private Kafka and PostgreSQL: where they are, and how to break them."""

    stack: object  # the deploy.stack module, imported after the private ports were set
    kafka: str
    database_url: str
    faults: list[str] = field(default_factory=list)

    def kill_broker(self) -> None:
        """SIGKILL a broker under load, then start it again. Of three: the partition leaders it held move, and
        acks=all with min.insync.replicas 2 keeps every acknowledged record. A single broker: Kafka is gone for
        everybody until it recovered its logs; producers and consumers must wait and lose nothing."""
        node = self.stack.BROKERS  # the last: of three, clients bootstrap from all of them anyway
        pidfile = self.stack.STATE / "kafka" / f"node-{node}" / "kafka.pid"
        os.killpg(int(pidfile.read_text()), signal.SIGKILL)
        port = self.stack.broker_ports()[node - 1]
        self.stack.wait_for(lambda: not self.stack.port_open(port), "Kafka to die", 30)
        self.faults.append(f"SIGKILL broker {node} of {self.stack.BROKERS}")
        # After a SIGKILL the broker recovers its logs before it listens: on a loaded machine that took more than
        # the 90 s a cold start gets (the first 2,000-lead run failed on it), so a restart gets longer.
        self.stack.kafka_up(timeout=300)

    def discard(self) -> None:
        """The run is over and its state is thrown away: SIGKILL the brokers and stop PostgreSQL -m immediate,
        rather than wait (up to 30 s per broker) for shutdowns whose clean state nobody reads."""
        for node in range(1, self.stack.BROKERS + 1):
            pidfile = self.stack.STATE / "kafka" / f"node-{node}" / "kafka.pid"
            if pid := self.stack._pid_alive(pidfile):
                os.killpg(pid, signal.SIGKILL)
                pidfile.unlink(missing_ok=True)
        pgdata = self.stack.STATE / "postgres" / "data"
        if (pgdata / "postmaster.pid").exists():
            self.stack._pg_run([str(self.stack._pg_bin() / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "immediate",
                                "stop"], stdout=subprocess.DEVNULL)

    def stop_postgres(self) -> None:
        pgdata = self.stack.STATE / "postgres" / "data"
        self.stack._pg_run([str(self.stack._pg_bin() / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"],
                           stdout=subprocess.DEVNULL)
        self.faults.append("stop PostgreSQL -m immediate")
        self.stack.postgres_up()


async def pg_count(database_url: str, sql: str) -> int:
    conn = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def wait_until(predicate, *, deadline: float, what: str, interval: float = 1.0) -> None:
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"ran out of time waiting for {what}")
        await asyncio.sleep(interval)


async def read_topic(kafka: str, topic: str) -> list[dict]:
    """Everything the topic holds now, read to its end offsets (not "whatever arrived within a few seconds")."""
    records = await collect_all(kafka, topic, timeout=120)
    return [json.loads(r.value) for r in records]


STAGES = {"registered": "SELECT count(*) FROM intake.lead", "cases": 'SELECT count(*) FROM intake."case"',
          "matched": "SELECT count(*) FROM matching.case_match",
          "mails recorded": "SELECT count(*) FROM notifications.delivery",
          "mails sent": "SELECT count(*) FROM notifications.delivery WHERE status = 'sent'"}


async def stage_counts(database_url: str) -> dict[str, int | str]:
    """How far each stage got: the one that lags behind the one before it is what limits the run."""
    out: dict[str, int | str] = {}
    for stage, sql in STAGES.items():
        try:
            out[stage] = await pg_count(database_url, sql)
        except (OSError, asyncpg.PostgresError):
            out[stage] = "?"  # PostgreSQL is down (a fault) or the table is not there yet
    return out


async def watch(ends: Stack, inbox: Inbox, procs, *, every: float = 30) -> None:
    """A progress line every `every` seconds: stage by stage, the mails at the SMTP server, the load."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(every)
        counts = await stage_counts(ends.database_url)
        reported = await _reporting_counts(procs)
        stages = ", ".join(f"{k} {v}" for k, v in counts.items())
        console.print(f"  [{time.monotonic() - started:4.0f} s] {stages}, at SMTP {sum(inbox.by_id.values())}, "
                      f"reporting counted {sum(reported.values()) if reported else '?'}; "
                      f"load {os.getloadavg()[0]:.1f}")


async def pipeline_phase(ends: Stack, *, leads: int, kills: int, proposals: int, deadline: float, logs) -> dict:
    """Leads through all four services while each is killed, the broker killed and PostgreSQL stopped."""
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"KAFKA_BOOTSTRAP_SERVERS": ends.kafka, "DATABASE_URL": ends.database_url, "LOG_LEVEL": "WARNING",
           "KAFKA_SESSION_TIMEOUT_MS": "6000", "NOTIFICATIONS_SMTP_PORT": str(smtp.port),
           "NOTIFICATIONS_SEND_LEASE_SECONDS": "5", "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.5",
           "NOTIFICATIONS_RELEVANCE_THRESHOLD": "0", "NOTIFICATIONS_BUDGET_PER_PERIOD": "1000000",
           "NOTIFICATIONS_PROPOSAL_NOTIFIES_PROVINCE": "false",
           "NOTIFICATIONS_SEND_CONNECTIONS": str(SEND_CONNECTIONS), "MATCHING_TOP_N": str(proposals)}
    await migrate_side_by_side(env)
    ports = free_ports_for(SERVICES)
    env |= peers_env(ports)
    procs = {name: ServiceProcess(name, ports[name], env, logs / f"chaos-{name}.log") for name in SERVICES}
    watcher = asyncio.create_task(watch(ends, inbox, procs))
    supervisor = Supervisor(log=console.print)
    try:
        for p in procs.values():  # side by side: each start is mostly waiting for imports and the broker
            supervisor.launch(p)
        for p in procs.values():
            await asyncio.to_thread(p.wait_healthy, 180)
        payloads = [lead_payload() for _ in range(leads)]
        faults = fault_schedule(kills)
        chunks = _split(payloads, len(faults) + 1)
        console.print(f"pipeline: {leads} leads in {len(chunks)} chunks, {len(faults)} faults between them")
        restarting: dict[str, asyncio.Task] = {}
        progress = Progress(ends, inbox)
        for i, chunk in enumerate(chunks):
            await produce(ends.kafka, "lead-signalled", [json.dumps(p).encode() for p in chunk],
                          keys=[p["subject"].encode() for p in chunk])
            if i < len(faults):
                await progress.moved(within=20)  # the fault lands mid-stream, not between two idle moments
                await _inflict(faults[i], procs, ends, restarting, supervisor)
                console.print(f"  fault {i + 1}/{len(faults)}: {ends.faults[-1]} "
                              f"({sum(inbox.by_id.values())} mails so far)")
        await asyncio.gather(*restarting.values())
        try:
            await _wait_for_pipeline(ends, procs, inbox, leads, deadline)
        except TimeoutError as late:
            # What arrived so far is counted all the same: nothing may be duplicated even in a run cut short, and
            # "lost" then reads as "not there yet".
            rows = await _count_pipeline(ends, procs, inbox, payloads)
            raise OutOfTime(str(late), rows) from None
        return await _count_pipeline(ends, procs, inbox, payloads)
    finally:
        watcher.cancel()
        # Also when the run timed out: a restart still under way in its thread starts nothing after this.
        await asyncio.to_thread(supervisor.shutdown, procs.values())
        smtp.stop()


async def migrate_side_by_side(env: dict[str, str]) -> None:
    """Every service's migrations, one process each, all at once: each is mostly a Python start-up (seconds of
    CPU), and one after the other they took 40 s of the run on a loaded machine."""
    names = [*SERVICES, "workbench"]
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", f"services.{name}", "migrate", cwd=ROOT,
                                                  env=DEVELOPMENT | os.environ | env,
                                                  stdout=asyncio.subprocess.DEVNULL) for name in names]
    codes = [await p.wait() for p in procs]
    if failed := [name for name, code in zip(names, codes, strict=True) if code]:
        raise RuntimeError(f"migrations failed: {', '.join(failed)}")


class OutOfTime(TimeoutError):
    """The pipeline did not settle within the bound; `rows` holds what was counted at the cut."""

    def __init__(self, what: str, rows: dict) -> None:
        super().__init__(what)
        self.rows = rows


class Progress:
    """Cases matched plus mails accepted: the pipeline moved since the last look."""

    def __init__(self, ends: Stack, inbox: Inbox) -> None:
        self.ends, self.inbox, self.seen = ends, inbox, 0

    async def now(self) -> int:
        try:
            matched = await pg_count(self.ends.database_url, "SELECT count(*) FROM matching.case_match")
        except (OSError, asyncpg.PostgresError):
            matched = 0
        return matched + sum(self.inbox.by_id.values())

    async def moved(self, *, within: float) -> None:
        """Wait until something more was matched or mailed, at most `within` seconds (a restart may be slow)."""
        deadline = time.monotonic() + within
        while True:
            current = await self.now()
            if current > self.seen or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        self.seen = current


def fault_schedule(kills: int) -> list[str]:
    """Each service `kills` times, round by round; the broker after the first round, PostgreSQL after the second."""
    out: list[str] = []
    for r in range(max(kills, 1)):
        out += list(SERVICES) if r < kills else []
        out += ["broker"] if r == 0 else []
        out += ["postgres"] if r == min(1, kills - 1) else []
    return out


def _split(items: list, n: int) -> list[list]:
    size = -(-len(items) // n)
    return [items[i:i + size] for i in range(0, len(items), size)]


async def _inflict(fault: str, procs: dict[str, ServiceProcess], ends: Stack,
                   restarting: dict[str, asyncio.Task], supervisor: Supervisor) -> None:
    """Broker and PostgreSQL come back before the next fault; a killed service restarts in the background (a
    start takes tens of seconds on a loaded machine), and is up again before it is killed again."""
    if fault in ("broker", "postgres"):
        await asyncio.gather(*restarting.values())  # a service that starts while the broker is gone exits
        restarting.clear()
        await asyncio.to_thread(ends.kill_broker if fault == "broker" else ends.stop_postgres)
        return
    if fault in restarting:
        await restarting.pop(fault)
    procs[fault].kill()
    ends.faults.append(f"SIGKILL {fault}")
    restarting[fault] = asyncio.create_task(asyncio.to_thread(supervisor.restart, procs[fault]))


async def _wait_for_pipeline(ends: Stack, procs, inbox: Inbox, leads: int, deadline: float) -> None:
    async def proposed() -> bool:
        matched = await pg_count(ends.database_url, "SELECT count(*) FROM matching.case_match")
        if time.monotonic() > deadline:
            console.print(f"  out of time with {matched} of {leads} cases matched")
        return matched >= leads

    expected: set[tuple[str, str]] = set()

    async def mailed() -> bool:
        """Every mail the proposals call for arrived, and none is left unsent (not merely: none recorded yet)."""
        if not expected:  # once every case's proposal is on the topic (the relay may still be publishing)
            proposals = await read_topic(ends.kafka, "match-proposed")
            if len({e["data"]["case_id"] for e in proposals}) < leads:
                return False
            expected.update(_mails_for(proposals, await _directory_emails(ends)))
        if not expected <= set(inbox.ids_of):
            if time.monotonic() > deadline:
                console.print(f"  out of time with {len(expected & set(inbox.ids_of))} of {len(expected)} mails")
            return False
        return await pg_count(ends.database_url,
                              "SELECT count(*) FROM notifications.delivery WHERE status <> 'sent'") == 0

    async def reported() -> bool:
        counts = await _reporting_counts(procs)
        return all(counts.get(t, 0) >= leads for t in ("lead-registered", "case-opened", "match-proposed"))

    for what, check in (("every case proposed", proposed), ("every mail marked sent", mailed),
                        ("reporting to count every event", reported)):
        await wait_until(check, deadline=deadline, what=what)
        console.print(f"  {what}")


async def _reporting_counts(procs) -> dict[str, int]:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            r = await client.get(f"{procs['reporting'].url}/kpi/event-counts",
                                 headers={"Authorization": "Bearer dev-ministry"})
        return r.json() if r.status_code == 200 else {}
    except httpx.HTTPError:
        return {}


async def _count_pipeline(ends: Stack, procs, inbox: Inbox, payloads: list[dict]) -> dict:
    topics = {t: await read_topic(ends.kafka, t) for t in PIPELINE_TOPICS}
    leads, reporting = len(payloads), await _reporting_counts(procs)
    out: dict[str, dict] = {}
    for name, topic, key in (("leads (lead-registered)", "lead-registered", "lead_id"),
                             ("cases (case-opened)", "case-opened", "case_id"),
                             ("proposals (match-proposed)", "match-proposed", "case_id")):
        events = topics[topic]
        ids_per_fact: dict[str, set[str]] = defaultdict(set)
        for e in events:
            ids_per_fact[e["data"][key]].add(e["id"])
        distinct_ids = {e["id"] for e in events}
        out[name] = {"expected": leads, "arrived": len(ids_per_fact), "lost": leads - len(ids_per_fact),
                     "duplicated": sum(len(ids) - 1 for ids in ids_per_fact.values()),
                     "same id again": len(events) - len(distinct_ids)}
    distinct = {t: len({e["id"] for e in topics[t]}) for t in PIPELINE_TOPICS}
    counted = {t: reporting.get(t, 0) for t in ("lead-registered", "case-opened", "match-proposed")}
    out["events counted by reporting"] = {
        "expected": 3 * leads, "arrived": sum(counted.values()),
        "lost": sum(max(0, leads - c) for c in counted.values()),
        "duplicated": sum(max(0, c - leads) for c in counted.values()), "same id again": "-"}
    expected_keys = _mails_for(topics["match-proposed"], await _directory_emails(ends), key="case_id")
    ids_of = by_case(inbox, await _case_of_message(ends))
    arrived = {k for k in ids_of if k in expected_keys}
    crashes = sum(1 for f in ends.faults if f in ("SIGKILL notifications", "stop PostgreSQL -m immediate"))
    out["mails"] = {"expected": len(expected_keys), "arrived": len(arrived), "lost": len(expected_keys - arrived),
                    "duplicated": sum(len(ids) - 1 for ids in ids_of.values()),
                    "same id again": sum(inbox.by_id.values()) - len(inbox.by_id),
                    "bound": crashes * SEND_CONNECTIONS, "unexpected": len(set(ids_of) - expected_keys)}
    out["_distinct_events"] = distinct
    return out


def _mails_for(proposals: list[dict], emails: dict[str, str], *, key: str = "code_name") -> set[tuple[str, str]]:
    """(code name or case id, address) of every municipality mail the proposals call for (threshold 0, no
    budget)."""
    return {(e["data"][key], emails[m]) for e in proposals
            for m in {p["municipality_code"] for p in e["data"]["proposals"]} if m in emails}


def by_case(inbox: Inbox, case_of: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    """The Message-IDs that arrived per (case id, address). A Message-ID notifications has no mail of is kept
    under its own key, so that it counts as unexpected rather than vanishing."""
    ids_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for message_id, address in inbox.address_of.items():
        ids_of[(case_of.get(message_id, f"unknown {message_id}"), address)].add(message_id)
    return ids_of


async def _case_of_message(ends: Stack) -> dict[str, str]:
    """Notifications' own record of which case each Message-ID belongs to. Two mails of one case to one address
    are still two Message-IDs under one key here, so a mail sent twice as two mails is still counted."""
    conn = await asyncpg.connect(make_url(ends.database_url).set(drivername="postgresql").render_as_string(False))
    try:
        rows = await conn.fetch("SELECT message_id, case_id::text AS case_id FROM notifications.delivery"
                                " WHERE case_id IS NOT NULL")
        return {r["message_id"]: r["case_id"] for r in rows}
    finally:
        await conn.close()


async def _directory_emails(ends: Stack) -> dict[str, str]:
    conn = await asyncpg.connect(make_url(ends.database_url).set(drivername="postgresql").render_as_string(False))
    try:
        return {r["code"]: r["email"] for r in await conn.fetch("SELECT code, email FROM notifications.recipient")}
    finally:
        await conn.close()


def print_table(rows: dict[str, dict], title: str) -> bool:
    table = Table(title=title)
    for col in ("what", "expected", "arrived", "lost", "duplicated", "same id again (after a crash)"):
        table.add_column(col, justify="left" if col == "what" else "right")
    ok = True
    for what, r in rows.items():
        if what.startswith("_"):
            continue
        again = str(r["same id again"])
        if "bound" in r:
            again += f" (at most {r['bound']})"
            ok &= r["same id again"] <= r["bound"] and not r.get("unexpected")
        ok &= r["lost"] == 0 and r["duplicated"] == 0
        table.add_row(what, str(r["expected"]), str(r["arrived"]), str(r["lost"]), str(r["duplicated"]), again)
    console.print(table)
    return ok


async def mail_phase(ends: Stack, *, mails: int, kills: int, logs) -> bool:
    async def stop_postgres() -> None:
        await asyncio.to_thread(ends.stop_postgres)

    result = await run_mail_crash(kafka=ends.kafka, server_url=ends.database_url, mails=mails, logs=logs,
                                  faults=[KILL] * kills + [POSTGRES], connections=SEND_CONNECTIONS, lease=3.0,
                                  stop_postgres=stop_postgres, log=console.print)
    return print_table({"mails": {"expected": mails, "arrived": result.distinct, "lost": result.lost,
                                  "duplicated": result.different_mails_same_id, "same id again": result.repeats,
                                  "bound": result.bound}},
                       f"Mail phase: {mails} mails, {', '.join(result.faults)}; {result.mid_flow} of "
                       f"{len(result.faults)} faults while mails were unsent ({result.seconds:.0f} s)")


async def run(args, ends: Stack, logs) -> int:
    started = time.monotonic()
    deadline = started + args.max_minutes * 60
    ok = True
    if args.leads:
        try:
            rows = await pipeline_phase(ends, leads=args.leads, kills=args.kills, proposals=args.proposals,
                                        deadline=deadline, logs=logs)
        except OutOfTime as cut:
            print_table(cut.rows, f"INCOMPLETE, out of time ({cut}): pipeline, {args.leads} leads, faults: "
                                  f"{len(ends.faults)} ({time.monotonic() - started:.0f} s); lost = not arrived yet")
            console.print("faults: " + "; ".join(ends.faults))
            raise
        ok &= print_table(rows, f"Pipeline: {args.leads} leads, faults: {len(ends.faults)} "
                                f"({time.monotonic() - started:.0f} s)")
        console.print("faults: " + "; ".join(ends.faults))
    if args.mails:
        ends.faults.clear()
        ok &= await mail_phase(ends, mails=args.mails, kills=args.kills, logs=logs)
    ok &= logs_hold_no_identity(logs)
    console.print(f"chaos: {'PASSED' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return 0 if ok else 1


def logs_hold_no_identity(logs) -> bool:
    """No line of the services' logs of this run carries a company name or KvK number (tests/log_scan.py)."""
    paths = log_scan.log_files([*logs.glob("chaos-*.log"), *logs.glob("mailcrash-*.log")])
    leaks = list(log_scan.findings(paths))
    for leak in leaks[:20]:
        console.print(f"  identity in a log: {leak}")
    console.print(f"logs: {len(paths)} service logs scanned, {len(leaks)} lines with a company's identity")
    return not leaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=DEFAULT_LEADS)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per service")
    parser.add_argument("--proposals", type=int, default=2,
                        help="proposals per case (matching's top N): each is a municipality's mail, the slowest "
                             "stage (5, the service's default, means five mails per lead)")
    parser.add_argument("--brokers", type=int, default=1, choices=(1, 3),
                        help="Kafka brokers of the private cluster: 1 (the broker kill is then a whole outage) or "
                             "3 (replication 3, min.insync 2: the kill moves partition leaders; slower to start)")
    parser.add_argument("--mails", type=int, default=200, help="mails in the mail phase (0: skip it)")
    parser.add_argument("--max-minutes", type=float, default=10)
    args = parser.parse_args(argv)
    # The load's own producer retries through the broker kill; its per-retry warnings are noise in the report.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    for given in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "KAFKA_TOPIC_PREFIX"):
        os.environ.pop(given, None)  # never the shared stack: everything below is private
    state = ROOT / ".local" / f"chaos-{uuid.uuid4().hex[:8]}"
    brokers = args.brokers
    os.environ |= {"GROEIRUIMTE_KAFKA_BROKERS": str(brokers), "GROEIRUIMTE_KAFKA_PORT": str(free_port_run(2 * brokers)),
                   "GROEIRUIMTE_PG_PORT": str(free_port()), "GROEIRUIMTE_STATE_DIR": str(state)}
    # deploy.stack reads its ports and state directory when imported; something may have imported it already.
    stack = importlib.reload(importlib.import_module("deploy.stack"))
    if (stack.KAFKA_PORT, stack.PG_PORT, stack.STATE, stack.BROKERS) != (
            int(os.environ["GROEIRUIMTE_KAFKA_PORT"]), int(os.environ["GROEIRUIMTE_PG_PORT"]), state, brokers):
        raise SystemExit("chaos: the private stack's ports did not take effect; refusing to touch another stack")
    logs = ROOT / "artifacts" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    console.print(f"private Kafka 127.0.0.1:{stack.KAFKA_PORT}, PostgreSQL 127.0.0.1:{stack.PG_PORT}, state {state}")
    private = Stack(stack, "", "")
    try:
        ends = stack.up()
        os.environ |= ends.kafka_security  # the load and the counts as the admin; each service as itself
        private.kafka, private.database_url = ends.kafka, ends.database_url
        return asyncio.run(asyncio.wait_for(run(args, private, logs), timeout=args.max_minutes * 60 + 120))
    except TimeoutError as err:
        console.print(f"chaos: OUT OF TIME ({err or 'overall bound'})")
        return 2
    finally:
        private.discard()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
