"""Pipeline benchmark: leads/s end to end and lead-signalled -> match-proposed latency, beside the raw
aiokafka produce-to-consume rate on the same broker in the same run.

`python -m bench.pipeline [--leads N] [--raw N]`; writes artifacts/bench-pipeline.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT, ServiceProcess
from services.intake.domain import case_id, lead_id
from shared.contracts import MatchProposed
from shared.messaging import security_from_env
from tests.factories import lead_payload

console = Console()


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


async def pipeline(bootstrap: str, prefix: str, n: int) -> dict:
    leads = [lead_payload() for _ in range(n)]
    case_of = {case_id(lead_id(lp["data"]["organisation"], lp["data"]["reference"])): lp for lp in leads}
    consumer = AIOKafkaConsumer(f"{prefix}match-proposed", bootstrap_servers=bootstrap, **security_from_env(),
                                group_id=f"bench-{uuid.uuid4().hex}", auto_offset_reset="earliest")
    await consumer.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(),
                                acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    sent_at: dict = {}
    start = time.perf_counter()
    for lp in leads:
        lp["time"] = datetime.now().astimezone().isoformat()
        await producer.send(f"{prefix}lead-signalled", json.dumps(lp).encode(), key=lp["subject"].encode())
        sent_at[lp["id"]] = time.perf_counter()
    await producer.flush()
    latencies, seen = [], set()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("leads through intake and matching", total=n)
        while len(seen) < n:
            batch = await consumer.getmany(timeout_ms=500)
            now = time.perf_counter()
            for rec in (r for rs in batch.values() for r in rs):
                evt = MatchProposed.from_json(rec.value)
                lp = case_of.get(evt.data.case_id)
                if lp and evt.data.case_id not in seen:
                    seen.add(evt.data.case_id)
                    latencies.append((now - sent_at[lp["id"]]) * 1000)
                    progress.advance(task)
            if time.perf_counter() - start > 600:
                raise RuntimeError(f"only {len(seen)} of {n} leads matched in 10 minutes")
    elapsed = time.perf_counter() - start
    await producer.stop()
    await consumer.stop()
    q = statistics.quantiles(latencies, n=100)
    return {"leads": n, "seconds": elapsed, "leads_per_s": n / elapsed, "p50_ms": q[49], "p99_ms": q[98]}


async def one_at_a_time(bootstrap: str, prefix: str, n: int) -> dict:
    """Latency of a single lead on an otherwise idle pipeline: publish one, wait for its proposal, repeat."""
    consumer = AIOKafkaConsumer(f"{prefix}match-proposed", bootstrap_servers=bootstrap, **security_from_env(),
                                group_id=f"bench-{uuid.uuid4().hex}", auto_offset_reset="latest")
    await consumer.start()
    await consumer.getmany(timeout_ms=1000)  # join and take the current end before publishing
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(), acks="all", enable_idempotence=True)
    await producer.start()
    latencies = []
    for _ in range(n):
        lp = lead_payload()
        wanted = case_id(lead_id(lp["data"]["organisation"], lp["data"]["reference"]))
        start = time.perf_counter()
        await producer.send_and_wait(f"{prefix}lead-signalled", json.dumps(lp).encode(), key=lp["subject"].encode())
        seen = False
        while not seen:
            batch = await consumer.getmany(timeout_ms=200)
            seen = any(MatchProposed.from_json(r.value).data.case_id == wanted for rs in batch.values() for r in rs)
            if time.perf_counter() - start > 60:
                raise RuntimeError("a single lead took more than 60 s")
        latencies.append((time.perf_counter() - start) * 1000)
    await producer.stop()
    await consumer.stop()
    q = statistics.quantiles(latencies, n=100)
    return {"single_leads": n, "single_p50_ms": q[49], "single_p99_ms": q[98]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--raw", type=int, default=20000)
    parser.add_argument("--single", type=int, default=50, help="leads sent one at a time for idle latency")
    args = parser.parse_args()
    ends = stack.up()
    run = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_{run}"
    db = asyncio.run(create_database(ends.database_url, name, services=["intake", "matching"]))
    env = {"KAFKA_BOOTSTRAP_SERVERS": ends.kafka, "DATABASE_URL": db, "KAFKA_TOPIC_PREFIX": f"bench-{run}.",
           "LOG_LEVEL": "WARNING"}
    procs = [ServiceProcess(s, p, env, ROOT / "artifacts" / "logs" / f"bench-{s}.log").start()
             for s, p in (("intake", 8101), ("matching", 8102))]
    try:
        raw = asyncio.run(raw_rate(ends.kafka, args.raw, 700))
        result = asyncio.run(pipeline(ends.kafka, f"bench-{run}.", args.leads))
        result |= asyncio.run(one_at_a_time(ends.kafka, f"bench-{run}.", args.single))
    finally:
        for p in procs:
            p.stop()
        asyncio.run(drop_database(ends.database_url, name))
    result["raw_aiokafka_msgs_per_s"] = raw
    result["pipeline_vs_raw"] = result["leads_per_s"] / raw
    table = Table(title="Pipeline benchmark (this machine, one local broker)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("leads end to end (lead-signalled -> match-proposed)", f"{result['leads']}")
    table.add_row("pipeline throughput", f"{result['leads_per_s']:,.0f} leads/s")
    table.add_row("burst latency p50", f"{result['p50_ms']:,.0f} ms")
    table.add_row("burst latency p99", f"{result['p99_ms']:,.0f} ms")
    table.add_row(f"one lead at a time ({result['single_leads']}): p50 / p99",
                  f"{result['single_p50_ms']:,.0f} / {result['single_p99_ms']:,.0f} ms")
    table.add_row("raw aiokafka produce->consume (700 B, acks=all)", f"{raw:,.0f} msgs/s")
    table.add_row("pipeline / raw", f"{result['pipeline_vs_raw']:.3f}")
    console.print(table)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-pipeline.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
