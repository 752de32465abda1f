"""Mail exactly once across crashes: SIGKILL the notifications process while hundreds of mails flow.

Used by the e2e test (lean: ~200 mails, 2 kills) and by `make chaos` (more mails and kills). The notifications
service runs as its own process against a database and topics of its own; a real aiosmtpd server on loopback
counts what arrives by Message-ID. Proposals are published straight to `match-proposed` so that the mails
start at once and the other services are not needed.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import asyncpg
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from deploy.databases import create_database, drop_database
from deploy.processes import ServiceProcess, free_port
from services.notifications.config import NotificationsSettings
from services.notifications.domain import load_directory
from tests.chaos.supervisor import Supervisor
from tests.kafka import produce

MUNICIPALITIES = [(code, r.province) for code, r in load_directory(NotificationsSettings().recipients_file).items()
                  if r.kind == "municipality"]


class CountingInbox:
    """aiosmtpd handler: counts every accepted message by Message-ID, and what each Message-ID was."""

    def __init__(self) -> None:
        self.by_id: Counter[str] = Counter()
        self.mail_of: dict[str, set[tuple[str, str]]] = {}

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        mid = msg["Message-ID"]
        self.by_id[mid] += 1
        self.mail_of.setdefault(mid, set()).add((str(msg["To"]), str(msg["Subject"])))
        return "250 Message accepted for delivery"

    @property
    def distinct(self) -> int:
        return len(self.by_id)


KILL = "SIGKILL notifications"
POSTGRES = "stop PostgreSQL (-m immediate)"


@dataclass
class MailCrashResult:
    mails: int
    faults: list[str]
    connections: int
    received: int = 0
    distinct: int = 0
    repeated: list[str] = field(default_factory=list)  # Message-IDs received more than once
    different_mails_same_id: int = 0
    mid_flow: int = 0  # faults that came while published mails were still unsent
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.mails - self.distinct

    @property
    def repeats(self) -> int:
        return self.received - self.distinct

    @property
    def kills(self) -> int:
        return len(self.faults)

    @property
    def bound(self) -> int:
        """At most one mail per SMTP connection has an unknown fate at a crash."""
        return len(self.faults) * self.connections


def proposals(n: int, topic_prefix: str) -> list[tuple[bytes, bytes]]:
    """n match-proposed events, each proposing one site in one municipality: one mail each."""
    out = []
    for i in range(n):
        code, province = MUNICIPALITIES[i % len(MUNICIPALITIES)]
        case = uuid.uuid4()
        event = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/tests/chaos", "subject": str(case),
                 "type": "nl.groeiruimte.match-proposed", "time": datetime.now(UTC).isoformat(),
                 "schemaversion": 1, "data": {
                     "case_id": str(case), "code_name": f"Chaos-{i:05d}", "technology_domains": ["energy-materials"],
                     "origin_region": "oost", "no_proposition": False, "proposals": [{
                         "rank": 1, "site_id": f"site-{i}", "site_name": f"Site {i}", "region": "oost",
                         "province": province or "Overijssel", "municipality_code": code, "own_region": True,
                         "score": 0.9, "contributions": {"space": 0.9}}]}}
        out.append((str(case).encode(), json.dumps(event).encode()))
    return out


async def queued(database_url: str) -> int:
    """Mails not yet marked sent (pending or sending): 0 is the positive signal that the flow is over."""
    conn = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        return await conn.fetchval("SELECT count(*) FROM notifications.delivery WHERE status <> 'sent'")
    finally:
        await conn.close()


async def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


async def run_mail_crash(*, kafka: str, server_url: str, mails: int, logs: Path, kills: int = 0,
                         faults: Sequence[str] = (), connections: int = 4, lease: float = 3.0, timeout: float = 300,
                         stop_postgres: Callable[[], Awaitable[None]] | None = None,
                         log=print) -> MailCrashResult:
    """Publish `mails` proposals and inflict the faults (`kills` SIGKILLs, or the named `faults`) while they are
    mailed, evenly spread over the flow; count what the SMTP server accepted. A PostgreSQL stop needs
    `stop_postgres` (stops it immediately and starts it again): only for a private server."""
    faults = list(faults) or [KILL] * kills
    run = uuid.uuid4().hex[:8]
    db_name, prefix = f"groeiruimte_mailcrash_{run}", f"mailcrash-{run}."
    database_url = await create_database(server_url, db_name, services=("notifications",))
    inbox = CountingInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka, "DATABASE_URL": database_url, "KAFKA_TOPIC_PREFIX": prefix,
           "KAFKA_SESSION_TIMEOUT_MS": "6000", "NOTIFICATIONS_SMTP_PORT": str(smtp.port),
           "NOTIFICATIONS_SEND_CONNECTIONS": str(connections), "NOTIFICATIONS_SEND_LEASE_SECONDS": str(lease),
           "NOTIFICATIONS_RELEVANCE_THRESHOLD": "0", "NOTIFICATIONS_BUDGET_PER_PERIOD": "1000000",
           "NOTIFICATIONS_PROPOSAL_NOTIFIES_PROVINCE": "false", "NOTIFICATIONS_CASE_WAIT_SECONDS": "0",
           "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.5", "LOG_LEVEL": "WARNING"}
    proc = ServiceProcess("notifications", free_port(), env, logs / f"mailcrash-{run}.log")
    result = MailCrashResult(mails=mails, faults=faults, connections=connections)
    supervisor = Supervisor(log=log)  # a start still under way when the run is cut off leaves no process behind
    started = time.monotonic()
    try:
        await asyncio.to_thread(supervisor.start, proc, wait=60)
        # One slice of proposals per fault, published just before it: every fault lands while mails flow,
        # however fast the machine sends and however slowly a restarted process comes up.
        events = proposals(mails, prefix)
        size = -(-mails // (len(faults) + 1))
        slices = [events[i:i + size] for i in range(0, mails, size)]
        published = 0
        for k, part in enumerate(slices):
            await produce(kafka, f"{prefix}match-proposed", [v for _, v in part], keys=[key for key, _ in part])
            published += len(part)
            if k >= len(faults):
                break
            target = published - len(part) + max(1, len(part) // 3)
            await wait_for(lambda t=target: asyncio.sleep(0, inbox.distinct >= t), timeout=timeout,
                           what=f"{target} mails before fault {k + 1}", interval=0.002)
            result.mid_flow += inbox.distinct < published
            log(f"  mail fault {k + 1}/{len(faults)}: {faults[k]} after {inbox.distinct} of {mails} mails "
                f"({published} published)")
            if faults[k] == KILL:
                proc.kill()
                await asyncio.to_thread(supervisor.start, proc, wait=60)
            else:
                await stop_postgres()
        await wait_for(lambda: asyncio.sleep(0, inbox.distinct >= mails), timeout=timeout, what="every mail")
        await wait_for(lambda: _none_queued(database_url), timeout=timeout, what="every mail marked sent")
    finally:
        await asyncio.to_thread(supervisor.shutdown, [proc])
        smtp.stop()
        await drop_database(server_url, db_name)
    result.seconds = time.monotonic() - started
    result.received, result.distinct = sum(inbox.by_id.values()), inbox.distinct
    result.repeated = sorted(mid for mid, n in inbox.by_id.items() if n > 1)
    result.different_mails_same_id = sum(1 for seen in inbox.mail_of.values() if len(seen) > 1)
    return result


async def _none_queued(database_url: str) -> bool:
    return await queued(database_url) == 0
