"""Pipeline benchmark, in one run on one broker: the raw aiokafka produce-to-consume rate; a burst of leads
through intake and matching (leads/s, CPU-ms per lead of each service, of PostgreSQL and of Kafka); then leads
at half the burst's rate for a while (end-to-end p50/p99 and each outbox hop's), each beside the figures
measured before the set-based batches (issue 12).

`python -m bench.pipeline [--leads 20000] [--raw 20000] [--steady-seconds 60] [--single 0]`; writes
artifacts/bench-pipeline.json. Shorter runs for development: `--leads 3000 --steady-seconds 15`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import timeit
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.engine import make_url

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT, ServiceProcess, free_port
from services.intake.domain import case_id, lead_id
from services.intake.look_alikes import APPLICATION_NAME as NAME_REVIEW_JOB
from shared.contracts.events import MatchProposedOutline
from shared.failures import wait_woken
from shared.messaging import security_from_env
from tests.factories import lead_payload

console = Console(width=130)
SERVICES = ("intake", "matching")
# The look-alike job's connection (services/intake/look_alikes.py): its database time is shown apart, it runs
# off the lead's path (once the pipeline is quiet); its Python part is in intake's figure.
JOB = "postgresql, look-alike job"
# Issue 12's figures, measured on this machine before the set-based batches (ranges over several runs).
BEFORE = {"leads_per_s": "115–206", "cpu_ms_per_lead": "9 (burst), 18 (moderate)", "raw": "18,000–34,000",
          "ratio": "0.53–0.71 %", "e2e": "159 / 358 ms", "hop": "p99 20–27 ms", "intake_cpu": "–",
          "matching_cpu": "–"}


def cpu_yardstick() -> float:
    """Milliseconds one core takes for a fixed pure-Python loop (best of five): this shared machine's speed changes
    from hour to hour (every process's CPU per unit of work with it), so runs are compared beside this figure."""
    return min(timeit.repeat("sum(range(100_000))", number=100, repeat=5)) * 1000 / 100


async def raw_rate(bootstrap: str, n: int, size: int) -> float:
    """Messages/s from the first produce to the last consume, acks=all idempotent producer, 3 partitions."""
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    await admin.create_topics([NewTopic(topic, 3, 1)])
    await admin.close()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, **security_from_env(),
                                group_id=f"bench-{uuid.uuid4().hex}",
                                auto_offset_reset="earliest")
    await consumer.start()
    await asyncio.sleep(1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(),
                                acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    payload = b"x" * size
    start = time.perf_counter()

    async def send_all():
        futures = [await producer.send(topic, payload, key=str(i).encode()) for i in range(n)]
        await asyncio.gather(*futures)

    sender = asyncio.create_task(send_all())
    got = 0
    while got < n:
        batch = await consumer.getmany(timeout_ms=500)
        got += sum(len(v) for v in batch.values())
    elapsed = time.perf_counter() - start
    await sender
    await producer.stop()
    await consumer.stop()
    return n / elapsed


async def cluster(bootstrap: str, topic: str) -> dict:
    """What the figures were measured on: the brokers, the security protocol and the bench topics' replication
    (issue 12's figures before came from one plaintext broker; the local stack now runs three with SCRAM)."""
    from aiokafka.admin import AIOKafkaAdminClient
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        (described,) = await admin.describe_topics([topic])
        replicas = max((len(p["replicas"]) for p in described["partitions"]), default=0)
    finally:
        await admin.close()
    return {"brokers": brokers, "replication": replicas,
            "security": security_from_env().get("security_protocol", "PLAINTEXT")}


async def idle(meter: CpuMeter, seconds: float) -> dict:
    """CPU-ms per second of each process while nothing flows: what the pipeline costs at rest."""
    await meter.begin()
    await asyncio.sleep(seconds)
    spent = await meter.end()
    return {"idle_seconds": seconds, "idle_cpu_ms_per_s": {k: v * 1000 / seconds for k, v in spent.items()}}


@dataclass
class CpuMeter:
    """CPU seconds of the services, of this run's PostgreSQL backends and of the Kafka nodes, over a phase.

    PostgreSQL: only the backends connected to the bench's database (not its background writers, and not the
    other databases' work on the shared server); the look-alike job's connection apart (JOB). Kafka: every node
    of the local cluster, which other work on this machine may use meanwhile (the load average is printed beside
    the figures)."""

    services: dict[str, int]
    database: str
    admin_dsn: str
    start: dict[str, dict[int, float]] = field(default_factory=dict)
    machine_start: Any = None
    machine_busy: float = 0.0  # the share of all cores busy over the last phase, every process counted

    async def snapshot(self) -> dict[str, dict[int, float]]:
        groups = {name: [pid] for name, pid in self.services.items()}
        groups |= await self._backends()
        groups["kafka"] = [p.pid for p in psutil.process_iter(["name", "cmdline"])
                           if p.info["name"] == "java" and any(str(stack.STATE / "kafka") in a
                                                              for a in p.info["cmdline"] or ())]
        return {name: {pid: _cpu(pid) for pid in pids} for name, pids in groups.items()}

    async def _backends(self) -> dict[str, list[int]]:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            rows = await conn.fetch("SELECT pid, application_name FROM pg_stat_activity "
                                    "WHERE datname = $1 AND pid <> pg_backend_pid()", self.database)
        finally:
            await conn.close()
        return {"postgresql": [r["pid"] for r in rows if r["application_name"] not in (NAME_REVIEW_JOB, SAMPLER)],
                JOB: [r["pid"] for r in rows if r["application_name"] == NAME_REVIEW_JOB]}

    async def begin(self) -> None:
        self.start = await self.snapshot()
        self.machine_start = psutil.cpu_times()

    async def end(self) -> dict[str, float]:
        """CPU seconds per group since begin() (a backend that started meanwhile counts from zero)."""
        now = await self.snapshot()
        self.machine_busy = _busy(self.machine_start, psutil.cpu_times())
        return {name: sum(max(0.0, cpu - self.start.get(name, {}).get(pid, 0.0)) for pid, cpu in pids.items())
                for name, pids in now.items()}


SAMPLER = "bench backlog sampler"  # the burst's backlog sampler (its database time is the bench's, not counted)
STAGES = ("lead-signalled, not yet read by intake", "intake's outbox, not yet published",
          "case-opened, not yet matched", "matching's outbox, not yet published")


class Backlog:
    """Where the burst's leads wait, sampled every `every` seconds: per stage the leads that reached it and have
    not left it. The stage that holds the most for longest is the one that sets the pace (Little's law: the queue
    before the slowest stage grows); its mean and peak are printed per stage.

    Cheap by design, since it shares the cores it measures: what the consumers have done is their groups'
    committed offsets and what was published the topic's end offsets (Kafka keeps both); only the outboxes'
    unpublished rows are counted in the database, through the relay's index of pending rows. Counting the
    growing tables every half second took a tenth of the two cores in a burst (docs/benchmarks.md)."""

    _PENDING = ("SELECT (SELECT count(*) FROM intake.outbox WHERE published_at IS NULL AND parked_at IS NULL"
                "        AND topic = $1),"
                " (SELECT count(*) FROM matching.outbox WHERE published_at IS NULL AND parked_at IS NULL"
                "  AND topic = $2)")

    def __init__(self, db_dsn: str, sent: int, every: float = 0.5, *, prefix: str = "",
                 bootstrap: str = "") -> None:
        self.db_dsn, self.sent, self.every, self.bootstrap = db_dsn, sent, every, bootstrap
        self.topics = (f"{prefix}case-opened", f"{prefix}match-proposed")  # the outbox holds the topic's full name
        self.groups = (f"{prefix}intake", f"{prefix}matching")  # intake's of lead-signalled, matching's of case-opened
        self.lead_topic = f"{prefix}lead-signalled"
        self.samples: list[tuple[int, ...]] = []

    async def run(self, done: asyncio.Event) -> None:
        conn = await asyncpg.connect(self.db_dsn, server_settings={"application_name": SAMPLER})
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **security_from_env())
        ends = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, **security_from_env(), enable_auto_commit=False)
        await admin.start()
        await ends.start()
        try:
            base = await self._counts(conn, admin, ends)  # offsets earlier phases left (none in a fresh run)
            while not done.is_set():
                read, matched, published, staged, proposed = await self._counts(conn, admin, ends)
                self.samples.append((self.sent - (read - base[0]), staged, (published - base[2]) - (matched - base[1]),
                                     proposed))
                await wait_woken(done, self.every)
        finally:
            await ends.stop()
            await admin.close()
            await conn.close()

    async def _counts(self, conn, admin: AIOKafkaAdminClient, ends: AIOKafkaConsumer) -> tuple[int, ...]:
        """Leads read by intake, case-opened matched, case-opened published; case-opened and match-proposed
        staged in the outboxes and not yet published."""
        read = await self._committed(admin, self.groups[0], self.lead_topic)
        matched = await self._committed(admin, self.groups[1], self.topics[0])
        published = sum((await ends.end_offsets(await self._partitions(ends, self.topics[0]))).values())
        staged, proposed = await conn.fetchrow(self._PENDING, *self.topics)
        return read, matched, published, staged, proposed

    @staticmethod
    async def _committed(admin: AIOKafkaAdminClient, group: str, topic: str) -> int:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)

    @staticmethod
    async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
        known = consumer.partitions_for_topic(topic)
        if not known:
            await consumer._client.force_metadata_update()  # a fresh client knows no topic until it asks
            known = consumer.partitions_for_topic(topic) or set()
        return [TopicPartition(topic, p) for p in sorted(known)]

    def summary(self) -> dict[str, dict[str, float]]:
        columns = list(zip(*self.samples, strict=True)) or [()] * len(STAGES)
        return {stage: {"mean": statistics.fmean(col) if col else 0.0, "peak": max(col, default=0)}
                for stage, col in zip(STAGES, columns, strict=True)}


def pipeline_cpu(cpu: dict[str, float]) -> float:
    """All in: the services, PostgreSQL and Kafka, without the look-alike job's database time (shown apart)."""
    return sum(v for k, v in cpu.items() if k != JOB)


async def name_reviews(meter: CpuMeter, db_dsn: str, *, timeout: float = 900) -> dict:
    """After the leads: how long the look-alike job takes to check every waiting name, and its CPU per name."""
    conn = await asyncpg.connect(db_dsn)
    waiting = "SELECT count(*) FROM intake.lead WHERE names_checked IS NULL"
    try:
        await meter.begin()
        start, n = time.perf_counter(), await conn.fetchval(waiting)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"look-alike job: {n:,} names waiting", total=n)
            while (left := await conn.fetchval(waiting)) and time.perf_counter() - start < timeout:
                progress.update(task, completed=n - left)
                await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - start
        cpu = await meter.end()
    finally:
        await conn.close()
    if left:
        raise RuntimeError(f"{left} of {n} names still waited for the look-alike job after {timeout:.0f} s")
    return {"name_review_names": n, "name_review_seconds": elapsed,
            "name_review_cpu_ms_per_name": {k: v * 1000 / max(n, 1) for k, v in cpu.items()}}


def _busy(before, after) -> float:
    """The share of the machine's cores that was busy between two `psutil.cpu_times()` (idle and I/O wait are not
    busy; time the hypervisor gave to others, steal, is neither)."""
    spent = {k: getattr(after, k) - getattr(before, k) for k in after._fields if k not in ("guest", "guest_nice")}
    idle = spent.get("idle", 0) + spent.get("iowait", 0)
    total = sum(spent.values()) - spent.get("steal", 0)
    return (total - idle) / total if total > 0 else 0.0


def _cpu(pid: int) -> float:
    try:
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except psutil.Error:
        return 0.0


class Proposals:
    """Reads match-proposed and records when each awaited case's first proposal arrived."""

    def __init__(self, bootstrap: str, topic: str, *, start: str = "earliest") -> None:
        self.consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, **security_from_env(),
                                         group_id=f"bench-{uuid.uuid4().hex}", auto_offset_reset=start)
        self.arrived: dict[uuid.UUID, float] = {}
        self.on_arrival = None

    async def __aenter__(self) -> Proposals:
        await self.consumer.start()
        return self

    async def __aexit__(self, *_exc) -> None:
        await self.consumer.stop()

    async def poll(self, cases: set[uuid.UUID]) -> None:
        """Read what arrived (up to 100 ms) and note the first proposal of each of `cases`."""
        batch = await self.consumer.getmany(timeout_ms=100)
        now = time.perf_counter()
        for rec in (r for rs in batch.values() for r in rs):
            # The outline (case, revision, proposals counted): the bench's own parsing competes with the pipeline.
            cid = MatchProposedOutline.from_json(rec.value).data.case_id
            if cid in cases and cid not in self.arrived:
                self.arrived[cid] = now
                if self.on_arrival:
                    self.on_arrival()

    async def wait_for(self, cases: set[uuid.UUID], *, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not cases <= self.arrived.keys():
            await self.poll(cases)
            if time.perf_counter() > deadline:
                raise RuntimeError(f"only {len(cases & self.arrived.keys())} of {len(cases)} leads matched "
                                   f"within {timeout:.0f} s")


def _lead() -> tuple[dict, uuid.UUID]:
    lp = lead_payload()
    return lp, case_id(lead_id(lp["data"]["organisation"], lp["data"]["reference"]))


async def _send(producer: AIOKafkaProducer, topic: str, lp: dict):
    lp["time"] = datetime.now().astimezone().isoformat()
    return await producer.send(topic, json.dumps(lp).encode(), key=lp["subject"].encode())


def _producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(), acks="all", enable_idempotence=True)


async def burst(bootstrap: str, prefix: str, n: int, meter: CpuMeter, commits, *, timeout: float,
                db_dsn: str) -> dict:
    """N leads published at once; leads/s from the first publish to the last proposal, CPU per lead, and where
    the leads waited meanwhile (Backlog)."""
    leads = [_lead() for _ in range(n)]
    backlog, done = Backlog(db_dsn, n, prefix=prefix, bootstrap=bootstrap), asyncio.Event()
    async with Proposals(bootstrap, f"{prefix}match-proposed") as proposals:
        producer = _producer(bootstrap)
        await producer.start()
        await meter.begin()
        commits_before = await commits()
        start = time.perf_counter()
        sampling = asyncio.create_task(backlog.run(done))
        for lp, _ in leads:
            await _send(producer, f"{prefix}lead-signalled", lp)
        await producer.flush()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"burst: {n} leads through intake and matching", total=n)
            proposals.on_arrival = lambda: progress.advance(task)
            await proposals.wait_for({c for _, c in leads}, timeout=timeout)
        elapsed = time.perf_counter() - start
        done.set()
        await sampling
        cpu = await meter.end()
        commits_after = await commits()
        await producer.stop()
    return {"leads": n, "seconds": elapsed, "leads_per_s": n / elapsed,
            "cpu_ms_per_lead": {k: v * 1000 / n for k, v in cpu.items()},
            "commits_per_lead": (commits_after - commits_before) / n, "backlog": backlog.summary(),
            "machine_busy": meter.machine_busy}


async def steady(bootstrap: str, prefix: str, rate: float, seconds: float, meter: CpuMeter, commits) -> dict:
    """Leads at `rate` per second for `seconds`: end-to-end latency (publish -> its match-proposed arrives)."""
    n = max(1, int(rate * seconds))
    # From the topic's end: the burst's proposals are not read (and parsed) again beside the measured leads.
    async with Proposals(bootstrap, f"{prefix}match-proposed", start="latest") as proposals:
        await proposals.consumer.getmany(timeout_ms=1000)  # joined before the first lead
        producer = _producer(bootstrap)
        await producer.start()
        sent: dict[uuid.UUID, float] = {}
        await meter.begin()
        commits_before = await commits()
        start = time.perf_counter()
        cases: set[uuid.UUID] = set()
        all_sent = asyncio.Event()
        reading = asyncio.create_task(_read_until_all_arrived(proposals, cases, all_sent))
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"steady: {rate:,.0f} leads/s for {seconds:.0f} s", total=n)
            for i in range(n):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                lp, cid = _lead()
                cases.add(cid)
                sent[cid] = time.perf_counter()
                await _send(producer, f"{prefix}lead-signalled", lp)
                progress.advance(task)
        await producer.flush()
        all_sent.set()
        await asyncio.wait_for(reading, timeout=120)
        cpu = await meter.end()
        commits_after = await commits()
        await producer.stop()
    latencies = [(proposals.arrived[c] - sent[c]) * 1000 for c in sent]
    q = statistics.quantiles(latencies, n=100)
    return {"steady_leads": n, "steady_rate": rate, "steady_seconds": seconds, "e2e_p50_ms": q[49],
            "e2e_p99_ms": q[98], "steady_cpu_ms_per_lead": {k: v * 1000 / n for k, v in cpu.items()},
            "steady_commits_per_lead": (commits_after - commits_before) / n}


async def _read_until_all_arrived(proposals: Proposals, cases: set, all_sent: asyncio.Event) -> None:
    while not (all_sent.is_set() and cases <= proposals.arrived.keys()):
        await proposals.poll(cases)


async def outbox_hops(db_dsn: str, since: float) -> dict:
    """Per service: outbox row staged (its insert, right before the batch's commit) -> acked by Kafka."""
    conn = await asyncpg.connect(db_dsn)
    try:
        out = {}
        for service in SERVICES:
            rows = await conn.fetch(
                f"SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms FROM {service}.outbox "
                "WHERE published_at IS NOT NULL AND created_at >= to_timestamp($1)", since)
            ms = [r["ms"] for r in rows]
            q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [0.0] * 99
            out[service] = {"rows": len(ms), "p50_ms": q[49], "p99_ms": q[98]}
        return out
    finally:
        await conn.close()


async def one_at_a_time(bootstrap: str, prefix: str, n: int, meter: CpuMeter) -> dict:
    """Latency of a single lead on an otherwise idle pipeline: publish one, wait for its proposal, repeat. Its CPU
    per lead is what a batch of one costs at every hop (the fixed cost per batch, idle time included)."""
    latencies = []
    # From the topic's end: the earlier phases' proposals are not read again before the first lead's.
    async with Proposals(bootstrap, f"{prefix}match-proposed", start="latest") as proposals:
        await proposals.consumer.getmany(timeout_ms=1000)  # joined before the first lead
        producer = _producer(bootstrap)
        await producer.start()
        await meter.begin()
        for _ in range(n):
            lp, cid = _lead()
            start = time.perf_counter()
            await (await _send(producer, f"{prefix}lead-signalled", lp))
            await proposals.wait_for({cid}, timeout=60)
            latencies.append((proposals.arrived[cid] - start) * 1000)
        cpu = await meter.end()
        await producer.stop()
    q = statistics.quantiles(latencies, n=100)
    return {"single_leads": n, "single_p50_ms": q[49], "single_p99_ms": q[98],
            "single_cpu_ms_per_lead": {k: v * 1000 / n for k, v in cpu.items()}}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def run(ends, args, db_url: str, db_name: str, prefix: str, pids: dict[str, int]) -> dict:
    meter = CpuMeter(pids, db_name, _dsn(ends.database_url))

    async def commits() -> int:
        conn = await asyncpg.connect(_dsn(ends.database_url))
        try:
            return await conn.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", db_name)
        finally:
            await conn.close()

    result = {"load_before": os.getloadavg(), "cpu_yardstick_ms": [cpu_yardstick()]}
    result["cluster"] = await cluster(ends.kafka, f"{prefix}lead-signalled")
    result["raw_aiokafka_msgs_per_s"] = await raw_rate(ends.kafka, args.raw, 700)
    if args.idle_seconds > 0:  # after the raw rate: the services have joined their groups by then
        result |= await idle(meter, args.idle_seconds)
    result |= await burst(ends.kafka, prefix, args.leads, meter, commits, timeout=args.timeout, db_dsn=_dsn(db_url))
    result["load_after_burst"] = os.getloadavg()
    result["cpu_yardstick_ms"].append(cpu_yardstick())
    if args.steady_seconds > 0:
        began = time.time()
        result |= await steady(ends.kafka, prefix, result["leads_per_s"] / 2, args.steady_seconds, meter, commits)
        result["outbox_hops"] = await outbox_hops(_dsn(db_url), began)
        result["load_after_steady"] = os.getloadavg()
    # The look-alike job catches up before the single leads, so they measure the pipeline at rest.
    result |= await name_reviews(meter, _dsn(db_url))
    if args.single:
        result |= await one_at_a_time(ends.kafka, prefix, args.single, meter)
    result["pipeline_vs_raw"] = result["leads_per_s"] / result["raw_aiokafka_msgs_per_s"]
    return result


def report(result: dict) -> None:
    c = result["cluster"]
    table = Table(title=f"Pipeline benchmark (this machine, 2 cores shared; same run) on {c['brokers']} Kafka "
                        f"broker(s), {c['security']}, topics replicated {c['replication']}x; issue 12's figures "
                        "before were measured on one plaintext broker")
    for col, justify in (("measure", "left"), ("now", "right"), ("before (issue 12)", "right")):
        table.add_column(col, justify=justify)
    cpu = result["cpu_ms_per_lead"]
    if "idle_cpu_ms_per_s" in result:
        table.add_row(f"idle for {result['idle_seconds']:.0f} s: CPU-ms per second, "
                      + " / ".join((*SERVICES, "postgresql", "kafka")),
                      " / ".join(f"{result['idle_cpu_ms_per_s'].get(k, 0):.1f}"
                                 for k in (*SERVICES, "postgresql", "kafka")), "")
    table.add_row(f"burst of {result['leads']:,} leads: throughput", f"{result['leads_per_s']:,.0f} leads/s",
                  BEFORE["leads_per_s"])
    table.add_row("  CPU per lead, all in (services + PostgreSQL + Kafka)", f"{pipeline_cpu(cpu):.2f} ms",
                  BEFORE["cpu_ms_per_lead"])
    for name in (*SERVICES, "postgresql", "kafka", JOB):
        table.add_row(f"  CPU per lead: {name}", f"{cpu.get(name, 0):.2f} ms", "in PostgreSQL's" if name == JOB
                      else "")
    table.add_row(f"  the machine's {os.cpu_count()} cores busy meanwhile (every process)",
                  f"{result['machine_busy'] * 100:.0f} %", "")
    table.add_row("  commits per lead (bench database)", f"{result['commits_per_lead']:.2f}", "0.08 (burst)")
    for stage, held in result["backlog"].items():
        table.add_row(f"  leads waiting: {stage}, mean / peak", f"{held['mean']:,.0f} / {held['peak']:,}", "")
    table.add_row("raw aiokafka produce->consume (700 B, acks=all)", f"{result['raw_aiokafka_msgs_per_s']:,.0f} msgs/s",
                  BEFORE["raw"])
    table.add_row("pipeline / raw", f"{result['pipeline_vs_raw'] * 100:.2f} %", BEFORE["ratio"])
    table.add_row("CPU yardstick: ms for sum(range(100,000)), before / after the burst",
                  " / ".join(f"{x:.3f}" for x in result["cpu_yardstick_ms"]), "")
    if "e2e_p50_ms" in result:
        table.add_row(f"steady {result['steady_rate']:,.0f} leads/s (half the burst) for "
                      f"{result['steady_seconds']:.0f} s: end to end p50 / p99",
                      f"{result['e2e_p50_ms']:,.0f} / {result['e2e_p99_ms']:,.0f} ms", BEFORE["e2e"])
        steady_cpu = result["steady_cpu_ms_per_lead"]
        table.add_row("  CPU per lead, all in", f"{pipeline_cpu(steady_cpu):.2f} ms", "18 (moderate)")
        table.add_row("  commits per lead", f"{result['steady_commits_per_lead']:.2f}", "1.57 (at 103 leads/s)")
        for service, hop in result["outbox_hops"].items():
            table.add_row(f"  outbox hop {service}: staged -> acked p50 / p99",
                          f"{hop['p50_ms']:,.1f} / {hop['p99_ms']:,.1f} ms", BEFORE["hop"])
    if "single_p50_ms" in result:
        table.add_row(f"one lead at a time ({result['single_leads']}): p50 / p99",
                      f"{result['single_p50_ms']:,.0f} / {result['single_p99_ms']:,.0f} ms", "42 / 242 ms")
        single = result["single_cpu_ms_per_lead"]
        table.add_row("  CPU per lead, all in / " + " / ".join((*SERVICES, "postgresql", "kafka")),
                      f"{pipeline_cpu(single):.1f} / " + " / ".join(f"{single.get(k, 0):.1f}"
                                                               for k in (*SERVICES, "postgresql", "kafka")), "")
    reviews = result["name_review_cpu_ms_per_name"]
    table.add_row(f"look-alike job, after the leads: {result['name_review_names']:,} names checked in",
                  f"{result['name_review_seconds']:,.1f} s", "in the lead's transaction")
    table.add_row("  CPU per name: its database time / intake / all in",
                  f"{reviews.get(JOB, 0):.2f} / {reviews.get('intake', 0):.2f} / {sum(reviews.values()):.2f} ms",
                  "1.8 ms per lead at 20,000 leads")
    load = ", ".join(f"{k.removeprefix('load_')}: {' '.join(f'{x:.1f}' for x in v)}" for k, v in result.items()
                     if k.startswith("load_"))
    table.caption = f"load average (1/5/15 min) {load}"
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=20000, help="leads in the burst")
    parser.add_argument("--raw", type=int, default=20000, help="messages for the raw aiokafka rate")
    parser.add_argument("--steady-seconds", type=float, default=60, help="0: no steady phase")
    parser.add_argument("--idle-seconds", type=float, default=10, help="CPU at rest before the burst; 0: skip")
    parser.add_argument("--single", type=int, default=0, help="leads sent one at a time for idle latency")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds the burst may take")
    args = parser.parse_args()
    ends = stack.up()
    os.environ.update(ends.kafka_security)  # the bench's clients (and the services, as themselves) connect with SASL
    run_id = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_{run_id}"
    db = asyncio.run(create_database(ends.database_url, name, services=list(SERVICES)))
    prefix = f"bench-{run_id}."
    env = {"KAFKA_BOOTSTRAP_SERVERS": ends.kafka, "DATABASE_URL": db, "KAFKA_TOPIC_PREFIX": prefix,
           "LOG_LEVEL": "WARNING"}
    procs = [ServiceProcess(s, free_port(), env, ROOT / "artifacts" / "logs" / f"bench-{s}.log").start()
             for s in SERVICES]
    try:
        result = asyncio.run(run(ends, args, db, name, prefix, {p.name: p.proc.pid for p in procs}))
    finally:
        for p in procs:
            p.stop()
        asyncio.run(drop_database(ends.database_url, name))
    report(result)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-pipeline.json").write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
