"""Scale out proven: intake and matching as one and as two instances in the same consumer groups, the same load
of leads on the real stack; prints leads sent, cases opened and match-proposed per case (lost, duplicated), on
Kafka and in the databases, and the throughput of each configuration.

`python -m bench.scale [--leads N] [--instances 1 2]`; writes artifacts/bench-scale.json.

A duplicate is a second *distinct* event (another id) for one case, or a second row; the same event id
published twice (the outbox relay crashed between publish and marking) is counted apart as a redelivered
copy, which every consumer skips by its id.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT, ServiceProcess, free_port, stop_all
from services.intake.domain import case_id, lead_id
from shared.contracts import CaseOpened, MatchProposed
from shared.db import make_engine
from shared.messaging import security_from_env
from tests.factories import lead_payload
from tests.kafka import collect_all, produce
from tests.settle import pipeline_settled

console = Console()
SCALED = ("intake", "matching")


@dataclass
class Counts:
    instances: int
    leads_sent: int
    seconds: float
    leads_per_s: float
    cases_opened: int  # distinct case-opened events for these leads
    cases_lost: int
    cases_duplicated: int  # cases with more than one distinct case-opened event
    proposed: int
    proposed_lost: int
    proposed_duplicated: int
    redelivered_copies: int  # the same event id on a topic more than once (skipped by consumers)
    case_rows: int  # intake's case table
    match_rows: int  # matching's case_match table

    @property
    def clean(self) -> bool:
        n = self.leads_sent
        return (self.cases_opened == self.proposed == self.case_rows == self.match_rows == n
                and self.cases_lost == self.cases_duplicated == self.proposed_lost == self.proposed_duplicated == 0)


def start_instances(env: dict[str, str], instances: int, logs: Path, *, label: str,
                    wait: float = 180) -> list[ServiceProcess]:
    """`instances` processes each of intake and matching, all in the same consumer groups."""
    procs: list[ServiceProcess] = []
    try:
        for i in range(instances):
            for name in SCALED:
                log = logs / f"{label}-{name}-{i + 1}.log"
                procs.append(ServiceProcess(name, free_port(), env, log).start(wait=wait))
    except BaseException:
        stop_all(procs)
        raise
    return procs


def our_cases(leads: list[dict]) -> set[uuid.UUID]:
    return {case_id(lead_id(lp["data"]["organisation"], lp["data"]["reference"])) for lp in leads}


async def send(bootstrap: str, prefix: str, leads: list[dict]) -> None:
    await produce(bootstrap, f"{prefix}lead-signalled", [json.dumps(lp).encode() for lp in leads],
                  keys=[lp["subject"].encode() for lp in leads])


async def wait_proposed(bootstrap: str, prefix: str, cases: set[uuid.UUID], *, timeout: float) -> None:
    """Read match-proposed until every case has its proposal."""
    consumer = AIOKafkaConsumer(f"{prefix}match-proposed", bootstrap_servers=bootstrap, **security_from_env(),
                                group_id=f"bench-scale-{uuid.uuid4().hex}", auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    seen: set[uuid.UUID] = set()
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < len(cases):
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(seen)} of {len(cases)} cases proposed within {timeout:.0f} s")
            batch = await consumer.getmany(timeout_ms=500)
            seen |= {MatchProposed.from_json(r.value).data.case_id for rs in batch.values() for r in rs} & cases
    finally:
        await consumer.stop()


async def count(bootstrap: str, database_url: str, prefix: str, cases: set[uuid.UUID], *, instances: int,
                seconds: float) -> Counts:
    """What Kafka and the databases hold for these cases (call once the pipeline has settled)."""
    opened = [CaseOpened.from_json(r.value) for r in await collect_all(bootstrap, f"{prefix}case-opened")]
    proposed = [MatchProposed.from_json(r.value) for r in await collect_all(bootstrap, f"{prefix}match-proposed")]
    opened = [e for e in opened if e.data.case_id in cases]
    proposed = [e for e in proposed if e.data.case_id in cases]
    copies = (len(opened) - len({e.id for e in opened})) + (len(proposed) - len({e.id for e in proposed}))
    opened_per_case = Counter(e.data.case_id for e in {e.id: e for e in opened}.values())
    proposed_per_case = Counter(e.data.case_id for e in {e.id: e for e in proposed}.values())
    case_rows, match_rows = await rows(database_url, cases)
    n = len(cases)
    return Counts(instances=instances, leads_sent=n, seconds=seconds, leads_per_s=n / seconds,
                  cases_opened=sum(opened_per_case.values()), cases_lost=n - len(opened_per_case),
                  cases_duplicated=sum(1 for c in opened_per_case.values() if c > 1),
                  proposed=sum(proposed_per_case.values()), proposed_lost=n - len(proposed_per_case),
                  proposed_duplicated=sum(1 for c in proposed_per_case.values() if c > 1),
                  redelivered_copies=copies, case_rows=case_rows, match_rows=match_rows)


async def rows(database_url: str, cases: set[uuid.UUID]) -> tuple[int, int]:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            ids = list(cases)
            in_intake = await conn.scalar(text('SELECT count(*) FROM intake."case" WHERE id = ANY(:ids)'), {"ids": ids})
            in_matching = await conn.scalar(text("SELECT count(*) FROM matching.case_match WHERE case_id = ANY(:ids)"),
                                            {"ids": ids})
    finally:
        await engine.dispose()
    return in_intake, in_matching


async def measure(bootstrap: str, database_url: str, prefix: str, leads: list[dict], *, instances: int,
                  timeout: float) -> Counts:
    """Send the leads to running instances, wait for every proposal, let the pipeline settle, count."""
    cases = our_cases(leads)
    start = time.perf_counter()
    await send(bootstrap, prefix, leads)
    await wait_proposed(bootstrap, prefix, cases, timeout=timeout)
    seconds = time.perf_counter() - start
    await pipeline_settled(bootstrap, database_url, prefix, reported=(), timeout=timeout)
    return await count(bootstrap, database_url, prefix, cases, instances=instances, seconds=seconds)


def run_configuration(ends: stack.Endpoints, instances: int, n: int, partitions: int, timeout: float) -> Counts:
    """A fresh database and topic prefix, `instances` of each service, `n` leads."""
    run = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_scale_{run}"
    db = asyncio.run(create_database(ends.database_url, name, services=list(SCALED)))
    prefix = f"bench-scale-{run}."
    env = {"KAFKA_BOOTSTRAP_SERVERS": ends.kafka, "DATABASE_URL": db, "KAFKA_TOPIC_PREFIX": prefix,
           "LOG_LEVEL": "WARNING", "KAFKA_TOPIC_PARTITIONS": str(partitions), "KAFKA_SESSION_TIMEOUT_MS": "10000"}
    try:
        procs = start_instances(env, instances, ROOT / "artifacts" / "logs", label=f"bench-scale-x{instances}")
        try:
            leads = [lead_payload() for _ in range(n)]
            return asyncio.run(measure(ends.kafka, db, prefix, leads, instances=instances, timeout=timeout))
        finally:
            stop_all(procs)
    finally:
        asyncio.run(drop_database(ends.database_url, name))


def print_table(results: list[Counts]) -> None:
    table = Table(title="Scale out: intake and matching, N instances in the same consumer groups")
    table.add_column("measure")
    for r in results:
        table.add_column(f"{r.instances} instance{'s' if r.instances > 1 else ''} each", justify="right")
    rows_ = [("leads sent", "leads_sent"), ("cases opened (Kafka)", "cases_opened"), ("  lost", "cases_lost"),
             ("  duplicated", "cases_duplicated"), ("match-proposed (Kafka)", "proposed"),
             ("  lost", "proposed_lost"), ("  duplicated", "proposed_duplicated"),
             ("redelivered copies (same id)", "redelivered_copies"), ("case rows (intake)", "case_rows"),
             ("match rows (matching)", "match_rows"), ("seconds to the last proposal", "seconds"),
             ("throughput, leads/s", "leads_per_s")]
    for label, attr in rows_:
        table.add_row(label, *[f"{getattr(r, attr):,.1f}" if isinstance(getattr(r, attr), float)
                               else f"{getattr(r, attr):,}" for r in results])
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--partitions", type=int, default=4, help="per topic: 2 instances get 2 each")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    ends = stack.up()
    results = [run_configuration(ends, k, args.leads, args.partitions, args.timeout) for k in args.instances]
    print_table(results)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-scale.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    clean = all(r.clean for r in results)
    console.print("lost 0, duplicated 0" if clean else "[red]LOST OR DUPLICATED: see the table[/red]")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
