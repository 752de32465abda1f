"""Reporting benchmark: rebuild throughput (events/s) and KPI API latency (p50/p99).

Two rebuild measures, said apart:
- projection step: synthetic events as JSON bytes in memory (what a Kafka record holds) -> validated events ->
  facts -> COPY into a fresh fact table, in one transaction, exactly as the rebuild does it; Kafka excluded.
- Kafka replay: the events produced to real topics first, then `rebuild` end to end (read + project + load).
KPI latency: GET /metrics/impact in-process (httpx ASGI transport, real PostgreSQL), for every fact of the
programme (as of 2028-12-31): "cold" recomputes from all facts (cache and checkpoints dropped, as in a fresh
process), "warm" is the cache that any new fact invalidates; "after live event" is the first request after
one new fact dated now (folded on from the last computed point), "late 2028-H2"/"late 2026-H1" after one
fact dated in that past half-year (folded on from the checkpoint at the end of the half-year before it).

`python -m bench.reporting [--sizes 100000 1000000] [--kafka 100000]`; writes artifacts/bench-reporting.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka import AIOKafkaProducer
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
from services.reporting.rebuild import rebuild
from services.reporting.synthetic import case_closed, history
from shared.contracts import EVENT_TYPES
from shared.db import make_engine, make_sessionmaker, transaction
from shared.messaging import ensure_topics

console = Console()
CHUNK = 5000


def chunks(n: int, seed: int):
    """Synthetic events serialised as Kafka would carry them, CHUNK at a time (never all in memory)."""
    batch = []
    for evt in history(n, seed=seed):
        batch.append((evt.topic, evt.to_json()))
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


async def projection_step(settings: ReportingSettings, n: int) -> dict:
    """Parse + project + load into a fresh fact table; only that is timed (generation is not)."""
    engine = make_engine(settings.database_url, pool_size=1)
    timed, events = 0.0, 0
    with Progress(console=console) as bar:
        task = bar.add_task(f"projecting {n:,} events", total=n)
        async with transaction(make_sessionmaker(engine)) as session:
            await repository.forget_facts(session)
            for batch in chunks(n, seed=n):
                start = time.perf_counter()
                facts = [fact_of(EVENT_TYPES[topic].model_validate_json(raw)) for topic, raw in batch]
                await repository.bulk_add_facts(session, facts)
                timed += time.perf_counter() - start
                events += len(batch)
                bar.update(task, completed=events)
            start = time.perf_counter()
        timed += time.perf_counter() - start  # the commit
    await engine.dispose()
    return {"events": events, "seconds": timed, "events_per_s": events / timed}


async def kafka_replay(settings: ReportingSettings, n: int) -> dict:
    """Produce n events to the bench topics, then time `rebuild` from the beginning of the topics."""
    await ensure_topics(settings, list(EVENT_TYPES))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                enable_idempotence=True, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    with Progress(console=console) as bar:
        task = bar.add_task(f"producing {n:,} events to Kafka", total=n)
        for batch in chunks(n, seed=n + 1):
            futures = [await producer.send(settings.topic(topic), raw) for topic, raw in batch]
            await asyncio.gather(*futures)
            bar.advance(task, len(batch))
    await producer.stop()
    with Progress(console=console) as bar:
        task = bar.add_task("rebuild: replaying the topics", total=n)
        start = time.perf_counter()
        result = await rebuild(settings, progress=lambda done, total: bar.update(task, completed=done, total=total))
        seconds = time.perf_counter() - start
    return {"events": result.records, "seconds": seconds, "events_per_s": result.records / seconds}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


IMPACT = {"as_of": "2028-12-31"}
MINISTRY = {"Authorization": "Bearer dev-ministry"}
LIVE_AT = datetime(2028, 12, 31, 22, 59, 59, tzinfo=UTC)  # just before the cut-off: after every synthetic fact
LATE_AT = {"late_2028_h2": datetime(2028, 9, 15, 12, tzinfo=UTC), "late_2026_h1": datetime(2026, 3, 15, 12, tzinfo=UTC)}


async def timed_get(http: httpx.AsyncClient) -> float:
    start = time.perf_counter()
    response = await http.get("/metrics/impact", params=IMPACT, headers=MINISTRY)
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return elapsed


async def store_one(app, at: datetime) -> None:
    """One new fact (a closure of an unseen case) dated `at`: it invalidates the figures as of 2028-12-31."""
    evt = case_closed(at, case_id=uuid.uuid4(), outcome="stayed")
    async with transaction(app.state.runtime.sessions) as session:
        await repository.add_facts(session, [fact_of(evt)])


def summary(samples: list[float]) -> dict:
    return {"runs": len(samples), "p50_ms": percentile(samples, 0.5), "p99_ms": percentile(samples, 0.99)}


async def kpi_latency(settings: ReportingSettings, *, cold: int, warm: int, after: int) -> dict:
    """GET /metrics/impact as of the end of the programme: cold (cache and checkpoints dropped: every fact
    folded), warm (cached), and uncached after one new fact, live (dated now: folded on from the last computed
    point) or late (dated in a past half-year: folded on from the checkpoint before it)."""
    app = create_app(settings)
    projections = app.state.projections
    out = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench") as http:
        samples = []
        for _ in range(cold):
            projections.forget()
            samples.append(await timed_get(http))
        out["cold"] = summary(samples)
        out["warm"] = summary([await timed_get(http) for _ in range(warm)])
        for label, at in {"after_live_event": LIVE_AT, **LATE_AT}.items():
            samples = []
            for i in range(after):
                await store_one(app, at + timedelta(microseconds=i))
                samples.append(await timed_get(http))
            out[label] = summary(samples)
    await app.state.runtime.engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--kafka", type=int, default=100_000, help="events for the Kafka replay (0: skip)")
    parser.add_argument("--small", type=int, default=1_000, help="a programme-sized history for the latency")
    parser.add_argument("--runs", type=int, default=0,
                        help="uncached requests per measure (default: 30 up to 10k events, 10 up to 100k, 3 above)")
    args = parser.parse_args()
    ends = stack.up()
    run = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_reporting_{run}"
    url = asyncio.run(create_database(ends.database_url, name, services=["reporting"]))
    settings = ReportingSettings(database_url=url, kafka_bootstrap_servers=ends.kafka,
                                 topic_prefix=f"bench-reporting-{run}.", log_level="WARNING")
    result: dict = {"projection": {}, "kpi_latency": {}}
    try:
        for n in sorted({args.small, *args.sizes}):
            if n != args.small:
                result["projection"][n] = asyncio.run(projection_step(settings, n))
            else:
                asyncio.run(projection_step(settings, n))
            cold = args.runs or (30 if n <= 10_000 else 10 if n <= 100_000 else 3)
            result["kpi_latency"][n] = asyncio.run(kpi_latency(settings, cold=cold, warm=200, after=cold))
        if args.kafka:
            result["kafka_replay"] = asyncio.run(kafka_replay(settings, args.kafka))
    finally:
        asyncio.run(drop_database(ends.database_url, name))
    show(result)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-reporting.json").write_text(json.dumps(result, indent=2))
    return 0


def show(result: dict) -> None:
    table = Table(title="Reporting benchmark (this machine, shared local Kafka and PostgreSQL)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for n, r in result["projection"].items():
        table.add_row(f"rebuild, projection step, {n:,} events (no Kafka)",
                      f"{r['events_per_s']:,.0f} events/s ({r['seconds']:.1f} s)")
    if "kafka_replay" in result:
        r = result["kafka_replay"]
        table.add_row(f"rebuild from Kafka topics, {r['events']:,} events",
                      f"{r['events_per_s']:,.0f} events/s ({r['seconds']:.1f} s)")
    for n, r in result["kpi_latency"].items():
        for label in ("cold", "warm", "after_live_event", *LATE_AT):
            s = r[label]
            table.add_row(f"GET /metrics/impact, {n:,} events, {label} ({s['runs']} runs)",
                          f"p50 {s['p50_ms']:,.1f} ms  p99 {s['p99_ms']:,.1f} ms")
    if len(result["projection"]) > 1:
        sizes = sorted(result["projection"])
        ratio = result["projection"][sizes[-1]]["events_per_s"] / result["projection"][sizes[0]]["events_per_s"]
        table.add_row(f"throughput {sizes[-1]:,} / {sizes[0]:,}", f"{ratio:.2f}")
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
