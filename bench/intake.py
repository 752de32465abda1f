"""Intake benchmark: HTTP lead submissions (requests/s, p50/p99) against /healthz on the same server, and
Kafka intake (leads/s from the first publish until the last lead is stored).

`python -m bench.intake [--http N] [--concurrency C] [--kafka N]`; writes artifacts/bench-intake.json.
Intake runs as its own process (uvicorn on loopback) on a fresh database and topic prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import httpx
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT, ServiceProcess, free_port
from services.intake.orm import lead
from shared.db import make_engine, make_sessionmaker
from shared.messaging import security_from_env
from tests.factories import intake_lead_payload

console = Console()
TOKEN = "bench-token"


async def http_rate(url: str, *, n: int, concurrency: int, path: str, bodies: list[dict] | None) -> dict:
    """n requests from `concurrency` keep-alive connections; each latency from send to full response."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(range(n))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:
        async def worker(progress, task):
            for i in queue:
                t0 = time.perf_counter()
                r = (await client.post(path, json=bodies[i]) if bodies else await client.get(path))
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                progress.advance(task)

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"HTTP {path}", total=n)
            start = time.perf_counter()
            await asyncio.gather(*(worker(progress, task) for _ in range(concurrency)))
            elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return {"requests": n, "concurrency": concurrency, "seconds": elapsed, "requests_per_s": n / elapsed,
            "p50_ms": q[49], "p99_ms": q[98], "statuses": statuses}


def http_bodies(n: int) -> list[dict]:
    bodies = []
    for _ in range(n):
        data = intake_lead_payload()["data"]
        del data["organisation"]
        bodies.append(data)
    return bodies


async def kafka_rate(bootstrap: str, topic: str, database_url: str, n: int) -> dict:
    """Publish n leads at once; leads/s from the first publish until all n are stored by intake."""
    leads = [intake_lead_payload(organisation="bench-kafka") for _ in range(n)]
    engine = make_engine(database_url, pool_size=1)
    sessions = make_sessionmaker(engine)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(),
                                acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    start = time.perf_counter()
    for lp in leads:
        await producer.send(topic, json.dumps(lp).encode(), key=lp["subject"].encode())
    await producer.flush()
    published = time.perf_counter() - start
    stored = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("leads stored from Kafka", total=n)
        while stored < n:
            await asyncio.sleep(0.1)
            async with sessions() as s:
                stored = await s.scalar(select(func.count()).select_from(lead)
                                        .where(lead.c.organisation == "bench-kafka"))
            progress.update(task, completed=stored)
            if time.perf_counter() - start > 600:
                raise RuntimeError(f"only {stored} of {n} leads stored in 10 minutes")
    elapsed = time.perf_counter() - start
    await producer.stop()
    await engine.dispose()
    return {"leads": n, "seconds": elapsed, "leads_per_s": n / elapsed, "publish_seconds": published}


def report(result: dict) -> None:
    post, health, kafka = result["http_post_leads"], result["http_healthz"], result["kafka"]
    table = Table(title="Intake benchmark (this machine, loopback, one local broker)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"HTTP POST /leads ({post['requests']} new leads, {post['concurrency']} connections)",
                  f"{post['requests_per_s']:,.0f} req/s")
    table.add_row("  latency p50 / p99", f"{post['p50_ms']:,.1f} / {post['p99_ms']:,.1f} ms")
    table.add_row("  statuses", json.dumps(post["statuses"]))
    table.add_row(f"HTTP GET /healthz (same server, {health['requests']} requests)",
                  f"{health['requests_per_s']:,.0f} req/s")
    table.add_row("  latency p50 / p99", f"{health['p50_ms']:,.1f} / {health['p99_ms']:,.1f} ms")
    table.add_row("POST /leads / healthz throughput", f"{result['post_vs_healthz']:.2f}")
    table.add_row(f"Kafka lead-signalled -> stored ({kafka['leads']} leads)", f"{kafka['leads_per_s']:,.0f} leads/s")
    table.add_row("Kafka / HTTP leads per second", f"{result['kafka_vs_http']:.2f}")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http", type=int, default=2000, help="HTTP lead submissions")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--kafka", type=int, default=5000, help="leads published to Kafka")
    args = parser.parse_args()
    ends = stack.up()
    run = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_intake_{run}"
    db = asyncio.run(create_database(ends.database_url, name, services=["intake"]))
    prefix = f"bench-intake-{run}."
    env = {"KAFKA_BOOTSTRAP_SERVERS": ends.kafka, "DATABASE_URL": db, "KAFKA_TOPIC_PREFIX": prefix,
           "LOG_LEVEL": "WARNING", "API_TOKENS": f"{TOKEN}:bench-rom:rom"}
    proc = ServiceProcess("intake", free_port(), env, ROOT / "artifacts" / "logs" / "bench-intake.log").start()
    try:
        health = asyncio.run(http_rate(proc.url, n=args.http, concurrency=args.concurrency, path="/healthz",
                                       bodies=None))
        post = asyncio.run(http_rate(proc.url, n=args.http, concurrency=args.concurrency, path="/leads",
                                     bodies=http_bodies(args.http)))
        kafka = asyncio.run(kafka_rate(ends.kafka, f"{prefix}lead-signalled", db, args.kafka))
    finally:
        proc.stop()
        asyncio.run(drop_database(ends.database_url, name))
    result = {"http_post_leads": post, "http_healthz": health, "kafka": kafka,
              "post_vs_healthz": post["requests_per_s"] / health["requests_per_s"],
              "kafka_vs_http": kafka["leads_per_s"] / post["requests_per_s"]}
    report(result)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-intake.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
