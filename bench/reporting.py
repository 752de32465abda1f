"""Reporting benchmark: rebuild of N events, and the ministry's figures after one live or late event.

For each size N: N synthetic events are produced to fresh topics (each record's Kafka timestamp is its event
time, as if it had arrived live), then timed:
- rebuild from Kafka (`rebuild --from-kafka`): read the topics, validate, project, load facts and projections
  with COPY (this also fills the fact table of the bench's fresh database);
- rebuild from the fact table (`rebuild`, the default): fresh projections from the stored facts;
- cold: a fresh app (new engine, no connection yet) answering its first GET /kpi/impact (as of today);
- after a live event: one event dated now stored and projected as a consumer batch would (`project_batch`),
  then GET /kpi/impact as of today; the write and the read are timed apart;
- after a late event: the same with an event dated in 2026-H1.
Beside each figure the last release's (docs/benchmarks.md): for the rebuild, the replay from Kafka of the
previous design at 1M events; for the latencies, the fold over all facts with checkpoints.

`python -m bench.reporting [--sizes 100000 1000000] [--runs 30] [--rebuild-only] [--topics PREFIX]
[--facts-only]`; writes artifacts/bench-reporting.json. With `--topics PREFIX` the events go to topics named
`PREFIX<size>.<event>` that are kept after the run: a later run with the same prefix replays them instead of
producing them again (producing 1M events takes longer than replaying them). With `--facts-only` no Kafka at
all: the synthetic events become facts exactly as the consumers store them (`fact_of`, arriving at their event
time as the Kafka timestamp would say, to the millisecond) and are COPYed into the fact table, in one process
per core; then only the default rebuild (from the fact table) and the latencies are timed. Producing 1M events
to Kafka and replaying them took most of an hour on this shared machine; filling the table so takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT
from services.reporting import repository
from services.reporting.app import create_app
from services.reporting.config import ReportingSettings
from services.reporting.domain.facts import fact_of
from services.reporting.handlers import arrival_at
from services.reporting.projections import project_batch
from services.reporting.rebuild import fold_processes, rebuild_from_facts, rebuild_from_kafka
from services.reporting.synthetic import case_closed, history
from shared.contracts import EVENT_TYPES
from shared.db import make_engine, make_sessionmaker, transaction
from shared.messaging import client_security, ensure_topics

console = Console()
MINISTRY = {"Authorization": "Bearer dev-ministry"}
LATE_AT = datetime(2026, 3, 15, 12, tzinfo=UTC)
# Kafka refuses timestamps far in the future, so the history ends today: stories begin up to a year ago.
STORIES_END = date.today() - timedelta(days=365)
# The last release (fold over all facts, checkpoints, collector paused): docs/benchmarks.md, 1M facts, p50 ms.
LAST_RELEASE = {"cold_ms": 22_027, "after_live_event_ms": 6_007, "after_late_event_ms": 19_842}
# The last release's rebuild (every topic replayed, each record validated, facts and projections loaded), 1M events:
# wall s, CPU s of the process and of its fold workers, load average (docs/benchmarks.md).
LAST_RELEASE_REBUILD = {"seconds": 302.8, "cpu_seconds": 94.6, "worker_cpu_seconds": 93.7, "load_average": 5.1}
# The previous design of the default rebuild (fold workers reading the fact table, each entity's cells compared
# day by day in Python), 1M events, 2026-12-02 (docs/benchmarks.md): the same measures.
PREVIOUS_FACTS_REBUILD = {"seconds": 366.6, "cpu_seconds": 8.5, "worker_cpu_seconds": 132.3, "load_average": 8.7}
REBUILD_TARGET_SECONDS = 60  # issue 13: a rebuild of 1M events


async def produce(settings: ReportingSettings, n: int) -> None:
    """n synthetic events to the bench topics, each with its event time as the Kafka timestamp."""
    await ensure_topics(settings, list(EVENT_TYPES))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                enable_idempotence=True, linger_ms=20, max_batch_size=512 * 1024,
                                **client_security(settings))
    await producer.start()
    pending = []
    with Progress(console=console) as bar:
        task = bar.add_task(f"producing {n:,} events to Kafka", total=n)
        for evt in history(n, seed=n, end=STORIES_END):
            pending.append(await producer.send(settings.topic(evt.topic), evt.to_json(), key=evt.key,
                                               timestamp_ms=int(evt.time.timestamp() * 1000)))
            if len(pending) == 5000:
                await asyncio.gather(*pending)
                bar.advance(task, len(pending))
                pending = []
        await asyncio.gather(*pending)
    await producer.stop()


async def _store_facts(database_url: str, n: int, seed: int) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        batch = []
        for evt in history(n, seed=seed, end=STORIES_END):
            # Arrived at its event time, as its Kafka timestamp (whole milliseconds) would tell the consumer.
            batch.append(fact_of(evt, arrived_at=arrival_at(int(evt.time.timestamp() * 1000))))
            if len(batch) == 50_000:
                async with transaction(make_sessionmaker(engine)) as session:
                    await repository.copy_facts(session, batch)
                batch = []
        async with transaction(make_sessionmaker(engine)) as session:
            await repository.copy_facts(session, batch)
    finally:
        await engine.dispose()


def _store_share_of_facts(database_url: str, n: int, seed: int) -> None:
    asyncio.run(_store_facts(database_url, n, seed))


def fill_facts(settings: ReportingSettings, n: int) -> None:
    """About n synthetic events' facts straight into the fact table (no Kafka), one process per core, each
    storing its own part of the history (a history of its own seed)."""
    processes = fold_processes()
    with Progress(console=console) as bar:
        bar.add_task(f"storing the facts of {n:,} events in {processes} processes", total=None)
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            for done in [pool.submit(_store_share_of_facts, settings.database_url, n // processes, n + share)
                         for share in range(processes)]:
                done.result()


async def produced(settings: ReportingSettings) -> int:
    """How many records the bench topics hold already (0 when they do not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, **client_security(settings))
    await admin.start()
    try:
        # Only topics that exist: describing a missing one would have the broker create it with its defaults
        # (a week's retention, which deletes the history's old records).
        existing = set(await admin.list_topics())
        wanted = [settings.topic(name) for name in EVENT_TYPES if settings.topic(name) in existing]
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    parts = [TopicPartition(d["topic"], p["partition"]) for d in described if d["error_code"] == 0
             for p in d["partitions"]]
    if not parts:
        return 0
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                                **client_security(settings))
    await consumer.start()
    try:
        begin, end = await consumer.beginning_offsets(parts), await consumer.end_offsets(parts)
        return sum(end[p] - begin[p] for p in parts)
    finally:
        await consumer.stop()


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


async def timed_rebuild(settings: ReportingSettings, *, from_kafka: bool) -> dict:
    load = os.getloadavg()[0]
    with Progress(console=console) as bar:
        task = bar.add_task("rebuild: replaying the topics" if from_kafka else "rebuild: folding the stored facts",
                            total=None)
        start, cpu, workers = time.perf_counter(), time.process_time(), _children_cpu()
        if from_kafka:
            result = await rebuild_from_kafka(
                settings, progress=lambda done, total: bar.update(task, completed=done, total=total))
        else:
            result = await rebuild_from_facts(settings)
        seconds, cpu, workers = time.perf_counter() - start, time.process_time() - cpu, _children_cpu() - workers
    # CPU seconds of this process and of its fold workers beside the wall time: on a shared machine the wall
    # time also counts waiting for a core (PostgreSQL's and Kafka's own work are in neither), hence the load.
    return {"events": result.records, "facts": result.facts, "seconds": seconds, "cpu_seconds": cpu,
            "worker_cpu_seconds": workers, "events_per_s": result.records / seconds,
            "load_average": [load, os.getloadavg()[0]], "steps_seconds": result.seconds,
            "steps_worker_cpu_seconds": result.worker_cpu_seconds}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples: list[float]) -> dict:
    return {"runs": len(samples), "p50_ms": percentile(samples, 0.5), "p99_ms": percentile(samples, 0.99),
            "ms": [round(x, 1) for x in samples]}  # in order: an outlier's place says whether it is a first time


async def timed_get(http: httpx.AsyncClient) -> float:
    start = time.perf_counter()
    response = await http.get("/kpi/impact", headers=MINISTRY)  # as of today
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return elapsed


async def one_event(app, at: datetime) -> float:
    """One event (a closure of an unseen case) stored and projected as a consumer's batch; returns ms."""
    evt = case_closed(at, case_id=uuid.uuid4(), outcome="stayed")
    start = time.perf_counter()
    async with transaction(app.state.runtime.sessions) as session:
        await project_batch(session, [fact_of(evt, arrived_at=datetime.now(UTC))])
    return (time.perf_counter() - start) * 1000


async def cold(settings: ReportingSettings) -> float:
    """A fresh app (new engine and pool) answering its first request."""
    start = time.perf_counter()
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench") as http:
        response = await http.get("/kpi/impact", headers=MINISTRY)
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    await app.state.runtime.engine.dispose()
    return elapsed


async def settle(settings: ReportingSettings) -> None:
    """VACUUM (ANALYZE) the reporting tables a million rows were just loaded into. Otherwise autovacuum does it
    during the latency runs (on two cores it takes one of them for minutes) and the figures measure that
    catch-up after a bulk load, not a running service's steady state."""
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM (ANALYZE) reporting.fact, reporting.figure_delta, reporting.amount_step")
    finally:
        await engine.dispose()


def latency_in_own_process(settings: ReportingSettings, runs: int) -> dict:
    """The latencies in a fresh process, as the service runs: this one has just made a million facts, and its
    heap's collections would be timed inside the requests."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_latency, settings, runs).result()


def _latency(settings: ReportingSettings, runs: int) -> dict:
    return asyncio.run(latency(settings, runs))


async def latency(settings: ReportingSettings, runs: int) -> dict:
    out = {"cold": summary([await cold(settings) for _ in range(min(runs, 10))])}
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench") as http:
        await timed_get(http)
        for label in ("live_event", "late_event"):
            writes, reads = [], []
            for i in range(runs):
                at = datetime.now(UTC) if label == "live_event" else LATE_AT + timedelta(milliseconds=i)
                writes.append(await one_event(app, at))
                reads.append(await timed_get(http))
            out[f"store_{label}"] = summary(writes)
            out[f"after_{label}"] = summary(reads)
    await app.state.runtime.engine.dispose()
    return out


def measure(ends, n: int, runs: int, *, rebuild_only: bool = False, topics: str | None = None,
            facts_only: bool = False) -> dict:
    run = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_reporting_{run}"
    url = asyncio.run(create_database(ends.database_url, name, services=["reporting"]))
    prefix = f"{topics}{n}." if topics else f"bench-reporting-{run}."
    settings = ReportingSettings(database_url=url, kafka_bootstrap_servers=ends.kafka,
                                 topic_prefix=prefix, log_level="WARNING")
    try:
        result = {}
        if facts_only:
            fill_facts(settings, n)
        else:
            held = asyncio.run(produced(settings)) if topics else 0
            if held < n:  # kept topics that hold fewer events (a produce that was stopped) are filled up
                asyncio.run(produce(settings, n - held))
            else:
                console.print(f"replaying the {held:,} events kept in {prefix}*")
            # From Kafka first: it fills the fresh database's fact table, which the default rebuild then folds.
            result["rebuild_from_kafka"] = asyncio.run(timed_rebuild(settings, from_kafka=True))
        result["rebuild_from_facts"] = asyncio.run(timed_rebuild(settings, from_kafka=False))
        if not rebuild_only:
            asyncio.run(settle(settings))
            result |= latency_in_own_process(settings, runs)
    finally:
        asyncio.run(drop_database(ends.database_url, name))
    return result


def main() -> int:
    os.environ.setdefault("GROEIRUIMTE_ENV", "development")  # the service's development secrets, on loopback only
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=30, help="requests per latency measure (cold: at most 10)")
    parser.add_argument("--rebuild-only", action="store_true", help="time the rebuild only, not the latencies")
    parser.add_argument("--topics", metavar="PREFIX",
                        help="keep the produced events in topics PREFIX<size>.* and replay them on the next run")
    parser.add_argument("--facts-only", action="store_true",
                        help="no Kafka: store the events' facts straight in the fact table, time the default rebuild")
    args = parser.parse_args()
    ends = stack.up()
    os.environ.update(ends.kafka_security)  # the settings read the Kafka credentials from the environment
    result = {n: measure(ends, n, args.runs, rebuild_only=args.rebuild_only, topics=args.topics,
                         facts_only=args.facts_only) for n in sorted(args.sizes)}
    show(result)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-reporting.json").write_text(json.dumps(result, indent=2))
    return 0


def _ms(s: dict) -> str:
    return f"p50 {s['p50_ms']:,.1f} ms  p99 {s['p99_ms']:,.1f} ms"


def _rebuilt(rb: dict) -> str:
    return (f"{rb['seconds']:.1f} s wall, {rb['cpu_seconds']:.1f} + {rb['worker_cpu_seconds']:.1f} s CPU "
            f"(process + fold workers); {rb['events_per_s']:,.0f} events/s; load "
            f"{rb['load_average'][0]:.1f} -> {rb['load_average'][1]:.1f}")


def show(result: dict) -> None:
    table = Table(title="Reporting benchmark (this machine, shared local Kafka and PostgreSQL)")
    for column in ("measure", "this design", "before (1M)", "target (1M)"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    before = {"rebuild_from_facts": (PREVIOUS_FACTS_REBUILD, "the previous design, from the fact table"),
              "rebuild_from_kafka": (LAST_RELEASE_REBUILD, "the last release, from Kafka")}
    for n, r in result.items():
        big = n >= 1_000_000
        for key, label in (("rebuild_from_facts", "rebuild from the fact table (default)"),
                           ("rebuild_from_kafka", "rebuild from Kafka (--from-kafka)")):
            if key not in r:  # --facts-only
                continue
            rb, (last, which) = r[key], before[key]
            last_rebuild = (f"{last['seconds']:.1f} s wall, {last['cpu_seconds']:.1f} + "
                            f"{last['worker_cpu_seconds']:.1f} s CPU; load {last['load_average']:.1f} ({which})")
            table.add_row(f"{label}, {rb['events']:,} events", _rebuilt(rb),
                          last_rebuild if big else "", f"< {REBUILD_TARGET_SECONDS} s" if big else "")
        if "cold" not in r:  # --rebuild-only
            continue
        table.add_row(f"cold process, first GET /kpi/impact, {n:,} events", _ms(r["cold"]),
                      f"{LAST_RELEASE['cold_ms']:,} ms" if big else "", "< 1 s" if big else "")
        for label in ("live_event", "late_event"):
            table.add_row(f"store + project one {label.replace('_', ' ')}, {n:,} events", _ms(r[f"store_{label}"]),
                          "", "")
            table.add_row(f"GET /kpi/impact after one {label.replace('_', ' ')}, {n:,} events",
                          _ms(r[f"after_{label}"]), f"{LAST_RELEASE[f'after_{label}_ms']:,} ms" if big else "",
                          "p50/p99 < 100 ms" if big else "")
    console.print(table)
    for n, r in result.items():
        for key in ("rebuild_from_facts", "rebuild_from_kafka"):
            if key not in r:
                continue
            steps = ", ".join(f"{step} {s:.1f}" for step, s in r[key]["steps_seconds"].items())
            cpu = ", ".join(f"{step} {s:.1f}" for step, s in r[key]["steps_worker_cpu_seconds"].items())
            console.print(f"{key}, {n:,}: wall s per step: {steps}" + (f"; workers' CPU s: {cpu}" if cpu else ""))


if __name__ == "__main__":
    raise SystemExit(main())
