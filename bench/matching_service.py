"""The matching service at national scale: N synthetic sites in its table, then its own process started, timed and
measured, and cases sent one at a time through Kafka (see bench/matching.py for the command)."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT, ServiceProcess, free_port
from services.matching.domain import Site
from services.matching.site_columns import packed_expression
from shared.contracts import MatchProposed
from shared.messaging import security_from_env
from tests.factories import case_opened_event

console = Console()
ARTIFACT = ROOT / "artifacts" / "bench-matching-service.json"
# Measured before the set-wise load and the change-number refresh (issue 12), 1M sites, same machine.
BEFORE = {"start_s": "210-240", "rss_mb": "9,400 (peak 10,400)", "case_ms": "95,000-110,000"}
TARGET = {"start_s": 30, "rss_mb": 2048, "case_ms": 50}
REGIONS = [("noord", "Groningen", "GM0014"), ("oost", "Overijssel", "GM0153"), ("zuid", "Noord-Brabant", "GM0772"),
           ("west", "Zuid-Holland", "GM0503"), ("midden", "Flevoland", "GM0034")]

# One INSERT ... SELECT per chunk: PostgreSQL makes the rows itself (no client round trip per row), with the
# distributions of the in-process bench: most sites without a cleanroom, congested grids common, some data unknown.
# It computes catalogue_row with the trigger's own expression (site_columns.packed_expression), so the load runs
# with the trigger off: the trigger's per-row PL/pgSQL call was most of the time of a bulk load.
SYNTHETIC = """
INSERT INTO matching.site (id, name, region, province, municipality_code, floor_space_m2, grid_mw_available,
                           cleanroom_iso_class, clusters, record, catalogue_row, source)
SELECT id, name, region, province, muni, floor, mw, iso, clusters, record, {packed}, 'bench'
FROM (SELECT *, jsonb_strip_nulls(jsonb_build_object(
    'id', id, 'name', name, 'hotspot', '', 'region', region, 'province', province, 'municipality_code', muni,
    'available_from', available_from, 'floor_space_m2', floor, 'planned_floor_space_m2', planned,
    'planned_available_from', planned_from, 'largest_lot_m2', lot, 'cleanroom_iso_class', iso,
    'cleanroom_m2', cleanroom_m2, 'cleanroom_facility', facility, 'vibration_free', vibration,
    'environmental_category_max', env, 'grid_mw_available', mw, 'grid_congestion', congestion,
    'grid_reinforcement_date', reinforce, 'grid_mw_after_reinforcement', mw_after, 'graduates_mbo', g_mbo,
    'graduates_hbo', g_hbo, 'graduates_wo', g_wo, 'labour_market_tightness', tight, 'housing_pressure', housing,
    'accessibility', access, 'clusters', to_jsonb(clusters), 'knowledge_institutions', '[]'::jsonb,
    'fieldlabs', fieldlabs, 'knowledge_distance_km', km, 'illustrative', true, 'retired', false)) AS record
FROM (
  SELECT 'bench-' || i AS id, 'Bench site ' || i AS name,
    (ARRAY{regions})[1 + i % 5] AS region, (ARRAY{provinces})[1 + i % 5] AS province,
    (ARRAY{munis})[1 + i % 5] AS muni,
    round(exp(ln(6000) + n1))::float8 AS floor,
    CASE WHEN r1 < 0.3 THEN round(exp(ln(8000) + 0.8 * n2))::float8 ELSE 0 END AS planned,
    CASE WHEN r1 < 0.3 THEN DATE '2026-12-01' + (r2 * 1500)::int END AS planned_from,
    CASE WHEN r3 < 0.1 THEN DATE '2026-12-01' + (r4 * 900)::int END AS available_from,
    CASE WHEN r5 >= 0.2 THEN round(exp(ln(3000) + 0.8 * n3))::float8 END AS lot,
    CASE WHEN r6 >= 0.8 THEN 4 + (r7 * 5)::int % 5 END AS iso,
    CASE WHEN r6 >= 0.8 AND r8 >= 0.3 THEN round(exp(ln(400) + 0.7 * n4))::float8 END AS cleanroom_m2,
    (ARRAY[NULL, 'shared', 'own'])[1 + (r9 * 3)::int % 3] AS facility,
    CASE WHEN r10 >= 0.4 THEN r11 < 0.3 END AS vibration,
    CASE WHEN r12 >= 0.1 THEN (ARRAY['1', '2', '3.1', '3.2', '4.1', '4.2', '5', '6'])[1 + (r13 * 8)::int % 8] END
      AS env,
    CASE WHEN r14 >= 0.15 THEN round(exp(ln(2) + n5)::numeric, 2)::float8 END AS mw,
    (ARRAY['none', 'pre-congestion', 'congested'])[1 + (r15 * 3)::int % 3] AS congestion,
    CASE WHEN r16 < 0.5 THEN DATE '2026-12-01' + (r17 * 2500)::int END AS reinforce,
    CASE WHEN r16 < 0.5 THEN round(exp(ln(8) + 0.8 * n6)::numeric, 2)::float8 END AS mw_after,
    round(exp(ln(800) + 0.7 * n7))::int AS g_mbo, round(exp(ln(900) + 0.7 * n8))::int AS g_hbo,
    CASE WHEN r18 >= 0.2 THEN round(exp(ln(600) + n9))::int END AS g_wo,
    round(exp(0.3 * n10)::numeric, 2)::float8 AS tight,
    CASE WHEN r19 >= 0.2 THEN round(r20::numeric, 2)::float8 END AS housing,
    to_jsonb(array_remove(ARRAY[{access}], NULL)) AS access,
    array_remove(ARRAY[{domains}], NULL) AS clusters,
    to_jsonb(array_remove(ARRAY[{fieldlabs}], NULL)) AS fieldlabs,
    round(exp(ln(8) + n11)::numeric, 1)::float8 AS km
  FROM (SELECT i, {randoms}, {normals} FROM generate_series($1::int, $2::int) AS i) AS draws
) AS s OFFSET 0) AS site  -- OFFSET 0: build each record once, not once per column that reads it
"""


def _array(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _flags(values, draw: str, bits: int) -> str:
    """Each value present when its bit of a random number is set (no subquery per row)."""
    return ", ".join(f"CASE WHEN (({draw} * {1 << bits})::int >> {k}) & 1 = 1 THEN '{v}' END"
                     for k, v in enumerate(values))


def synthetic_sql() -> str:
    from services.matching.domain.sites import ACCESS, DOMAINS

    return SYNTHETIC.format(
        packed=packed_expression(), regions=_array(r for r, _, _ in REGIONS),
        provinces=_array(p for _, p, _ in REGIONS),
        munis=_array(m for _, _, m in REGIONS), access=_flags(ACCESS, "r21", len(ACCESS)),
        domains=_flags(DOMAINS, "r22", len(DOMAINS)),
        fieldlabs=", ".join(f"CASE WHEN r23 * 4 >= {k} THEN 'lab {k}' END" for k in (1, 2, 3)),
        randoms=", ".join(f"random() AS r{k}" for k in range(1, 24)),
        normals=", ".join(f"random_normal() AS n{k}" for k in range(1, 12)))


async def load_sites(dsn: str, n: int) -> dict:
    """n synthetic sites into the table, in chunks; a sample validated as Site records (what the API would store)."""
    conn = await asyncpg.connect(dsn)
    try:
        start = time.perf_counter()
        await conn.execute("SELECT setseed(0.42)")
        sql, step = synthetic_sql(), 250_000
        async with conn.transaction():
            await conn.execute("ALTER TABLE matching.site DISABLE TRIGGER site_changed_xid")
            for first in range(1, n + 1, step):
                await conn.execute(sql, first, min(n, first + step - 1))
            await conn.execute("ALTER TABLE matching.site ENABLE TRIGGER site_changed_xid")
        await conn.execute("ANALYZE matching.site")
        seconds = time.perf_counter() - start
        sample = await conn.fetch("SELECT record FROM matching.site TABLESAMPLE SYSTEM (1) LIMIT 2000")
        for row in sample:
            Site.model_validate(json.loads(row["record"]))
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('matching.site'))")
    finally:
        await conn.close()
    return {"sites": n, "load_s": round(seconds, 1), "validated_sample": len(sample), "table_size": size}


def demand(i: int) -> dict:
    """Varied demanding cases: all five demand types, every hard constraint."""
    need = f"{2027 + i % 3}-{1 + i % 12:02d}-01"
    return {"floor_space": {"floor_space_m2": 2_000 + 700 * (i % 9), "cleanroom_iso_class": [None, 5, 6, 7, 8][i % 5],
                            "vibration_free": i % 2 == 0, "environmental_category": "3.2", "needed_by": need},
            "capital": {"facility": "shared" if i % 2 else "own", "needed_by": need},
            "talent": {"fte_mbo": 20, "fte_hbo": 40, "fte_wo": 10, "needed_by": need},
            "housing": {"staff_to_house": 30, "transport_needs": ["rail", "motorway"], "needed_by": need},
            "energy": {"grid_connection_mw": 1.0 + (i % 7), "needed_by": need}}


async def cases_one_at_a_time(bootstrap: str, prefix: str, n: int) -> list[dict]:
    """Publish a case-opened, wait for its match-proposed, repeat: the latency of one case on an idle service."""
    consumer = AIOKafkaConsumer(f"{prefix}match-proposed", bootstrap_servers=bootstrap, **security_from_env(),
                                group_id=f"bench-{uuid.uuid4().hex}", auto_offset_reset="latest")
    await consumer.start()
    await consumer.getmany(timeout_ms=1000)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(), acks="all",
                                enable_idempotence=True)
    await producer.start()
    out = []
    try:
        for i in range(n):
            region, province, muni = REGIONS[i % 5]
            evt = case_opened_event(demand=demand(i), region=region, province=province, municipality_code=muni)
            start = time.perf_counter()
            await producer.send_and_wait(f"{prefix}case-opened", evt.to_json(), key=evt.key)
            found = None
            while found is None:
                batch = await consumer.getmany(timeout_ms=200)
                found = next((m for rs in batch.values() for r in rs
                              if (m := MatchProposed.from_json(r.value)).data.case_id == evt.data.case_id), None)
                if time.perf_counter() - start > 300:
                    raise RuntimeError("a case took more than 300 s")
            out.append({"case_id": str(evt.data.case_id), "ms": (time.perf_counter() - start) * 1000,
                        "proposals": len(found.data.proposals), "near_misses": len(found.data.near_misses)})
    finally:
        await producer.stop()
        await consumer.stop()
    return out


def memory_mb(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    kb = {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mb": round(kb["VmRSS"] / 1024), "peak_rss_mb": round(kb["VmHWM"] / 1024)}


def logged(path: Path, event: str) -> list[dict]:
    lines = []
    for line in path.read_text().splitlines():
        if f'"{event}"' in line:
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def run_service_bench(*, sites: int, cases: int) -> int:
    ends = stack.up()
    os.environ.update(ends.kafka_security)
    run = uuid.uuid4().hex[:8]
    name, prefix = f"groeiruimte_bench_matching_{run}", f"bench-{run}."
    db = asyncio.run(create_database(ends.database_url, name, services=["matching"]))
    log_path = ROOT / "artifacts" / "logs" / f"bench-matching-service-{run}.log"
    proc = None
    try:
        console.print(f"loading {sites:,} synthetic sites into PostgreSQL ...")
        dsn = make_url(db).set(drivername="postgresql").render_as_string(hide_password=False)
        loaded = asyncio.run(load_sites(dsn, sites))
        console.print(f"  {loaded['load_s']} s, table {loaded['table_size']}; starting the matching service ...")
        env = {**ends.kafka_security, "KAFKA_BOOTSTRAP_SERVERS": ends.kafka, "DATABASE_URL": db,
               "KAFKA_TOPIC_PREFIX": prefix, "LOG_LEVEL": "INFO", "MATCHING_LOAD_REFERENCE_SITES": "false"}
        proc = ServiceProcess("matching", free_port(), env, log_path)
        started = time.perf_counter()
        proc.launch().wait_healthy(900)
        start_s = time.perf_counter() - started
        after_start = memory_mb(proc.proc.pid)
        per_case = asyncio.run(cases_one_at_a_time(ends.kafka, prefix, cases))
        after_cases = memory_mb(proc.proc.pid)
    finally:
        if proc is not None:
            proc.stop()
        asyncio.run(drop_database(ends.database_url, name))
    scored = {line["case_id"]: line["score_ms"] for line in logged(log_path, "match_proposed")}
    load = next(iter(logged(log_path, "catalogue_loaded")), {})
    result = {"load": loaded, "start_s": round(start_s, 1), "catalogue_loaded_s": load.get("seconds"),
              "catalogue_sites": load.get("sites"), "memory_after_start": after_start,
              "memory_after_cases": after_cases, "cases": per_case,
              "score_ms": [scored.get(c["case_id"]) for c in per_case],
              "load_average": Path("/proc/loadavg").read_text().split()[:3]}
    report(result)
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(result, indent=2))
    console.print(f"wrote {ARTIFACT}; service log {log_path}")
    return 0


def report(r: dict) -> None:
    e2e = [c["ms"] for c in r["cases"]]
    score = [s for s in r["score_ms"] if s is not None]
    table = Table("measure", "now", "before", "target",
                  title=f"matching service, {r['catalogue_sites'] or 0:,} sites in memory "
                        f"({r['load']['sites']:,} in the table), load average {' '.join(r['load_average'])}")
    table.add_row("start: process launched -> /healthz (catalogue loaded)", f"{r['start_s']:.1f} s",
                  f"{BEFORE['start_s']} s", f"< {TARGET['start_s']} s")
    table.add_row("  of which the catalogue load", f"{r['catalogue_loaded_s']} s", "", "")
    table.add_row("RSS after start (peak)", f"{r['memory_after_start']['rss_mb']:,} MB "
                  f"({r['memory_after_start']['peak_rss_mb']:,})", f"{BEFORE['rss_mb']} MB", "< 2,048 MB")
    table.add_row("RSS after the cases (peak)", f"{r['memory_after_cases']['rss_mb']:,} MB "
                  f"({r['memory_after_cases']['peak_rss_mb']:,})", "", "")
    table.add_row(f"per case, scoring in the service (median / max of {len(score)})",
                  f"{statistics.median(score):.1f} / {max(score):.1f} ms" if score else "?", "", "< 50 ms")
    table.add_row(f"per case, case-opened sent -> match-proposed received (median / max of {len(e2e)})",
                  f"{statistics.median(e2e):.1f} / {max(e2e):.1f} ms", f"{BEFORE['case_ms']} ms", "")
    table.add_row("synthetic sites written to PostgreSQL", f"{r['load']['load_s']} s ({r['load']['table_size']})",
                  "", "")
    console.print(table)
