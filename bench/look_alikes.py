"""Look-alike name search: EXPLAIN ANALYZE of intake's nearest-name query, and of trigram-threshold queries (`%`)
that could replace it, at growing numbers of leads; with how many true look-alikes each finds.

`python -m bench.look_alikes [--leads 1000,50000] [--probes 30]`: a fresh database with intake's migrations (its
GiST trigram index), a GIN trigram index added for the `%` variants, leads COPYed in up to each size and VACUUMed
(a GIN index's pending list would otherwise be scanned by every query). Probes: look-alikes of stored names (one
letter changed) and new names. Two name populations: invented company names (a coined word, often a common word
such as "photonics" or "systems", sometimes a place) and the test factories' "testbedrijf <10 hex>" (all share one
word). Prints median / max execution time, rows, the plan's index and the share of look-alikes found; writes
artifacts/bench-look-alikes.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import string
import uuid
from datetime import UTC, datetime

import asyncpg
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT
from services.intake import domain

console = Console()
CONSONANTS, VOWELS = "bcdfghjklmnprstvwz", "aeiou"
COMMON = ("photonics", "quantum", "systems", "technologies", "solutions", "labs", "materials", "devices",
          "instruments", "semiconductors", "robotics", "energy", "biotech", "analytics", "engineering", "optics")
PLACES = ("twente", "delft", "eindhoven", "groningen", "holland", "nederland", "europe", "leiden", "almere")
# intake's query (look_alikes.check_new_names): the five nearest names by trigram distance, GiST index.
NEAREST = ("SELECT id, name_key FROM intake.lead WHERE company_ref != 'x' "
           "ORDER BY name_key <-> {key} LIMIT 5")
# The candidate replacement: names above a trigram-similarity threshold (GIN index), nearest five of those.
THRESHOLD = ("SELECT id, name_key FROM intake.lead WHERE name_key % {key} AND company_ref != 'x' "
             "ORDER BY name_key <-> {key} LIMIT 5")
QUERIES = {"nearest <-> LIMIT 5 (GiST, now)": (NEAREST, None), "% at 0.3 (GIN)": (THRESHOLD, 0.3),
           "% at 0.5 (GIN)": (THRESHOLD, 0.5), "% at 0.6 (GIN)": (THRESHOLD, 0.6)}


def company_name(rng: random.Random) -> str:
    coined = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(rng.randint(2, 3)))
    words = [coined + rng.choice(("", "", "x", "n", "s"))]
    if rng.random() < 0.7:
        words.append(rng.choice(COMMON))
    if rng.random() < 0.3:
        words.append(rng.choice(PLACES))
    return " ".join(words)


def factory_name(rng: random.Random) -> str:
    return f"Testbedrijf {rng.randbytes(5).hex()} B.V."


def typo(name: str, rng: random.Random) -> str:
    """The same name with one letter changed: what a look-alike from another ROM looks like."""
    i = rng.randrange(len(name))
    return name[:i] + rng.choice(string.ascii_lowercase) + name[i + 1:]


async def add_leads(conn: asyncpg.Connection, names: list[str]) -> None:
    now = datetime.now(UTC)
    rows = [(uuid.uuid4(), "bench", f"ref-{uuid.uuid4().hex}", uuid.uuid4().hex * 2, "{}", "registered", "",
             uuid.uuid4(), now, domain.name_key(n)) for n in names]
    await conn.copy_records_to_table("lead", schema_name="intake", records=rows, columns=[
        "id", "organisation", "reference", "company_ref", "payload", "status", "triage_reason", "source_event_id",
        "signalled_at", "name_key"])
    await conn.execute("VACUUM ANALYZE intake.lead")


def index_node(plan: dict) -> str:
    nodes = [plan]
    while nodes:
        node = nodes.pop(0)
        if "Index Name" in node:
            return f"{node['Node Type']} on {node['Index Name']}"
        nodes.extend(node.get("Plans", []))
    return plan["Node Type"]


async def measure(conn: asyncpg.Connection, probes: list[tuple[str, str | None]]) -> dict:
    """Per query: execution times, rows, plan, and the share of probes whose look-alike came back."""
    out = {}
    for label, (sql, threshold) in QUERIES.items():
        if threshold is not None:
            # GiST answers `%` too (slowly): without it the planner takes the GIN index, which is the one measured.
            await conn.execute("DROP INDEX IF EXISTS intake.ix_lead_name_key_gist")
            await conn.execute(f"SET pg_trgm.similarity_threshold = {threshold}")
        times, rows, nodes, found, wanted = [], [], set(), 0, 0
        for probe, source in probes:
            key = domain.name_key(probe)
            query = sql.format(key="'" + key.replace("'", "''") + "'")
            (raw,) = await conn.fetchrow(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}")
            plan = json.loads(raw)[0]
            times.append(plan["Execution Time"])
            nodes.add(index_node(plan["Plan"]))
            got = [r["name_key"] for r in await conn.fetch(query)]
            rows.append(len(got))
            if source is not None and domain.names_look_alike(key, domain.name_key(source)):
                wanted += 1
                found += domain.name_key(source) in got
        out[label] = {"median_ms": round(statistics.median(times), 3), "max_ms": round(max(times), 3),
                      "rows_median": statistics.median(rows), "plan": sorted(nodes),
                      "look_alikes_found": f"{found}/{wanted}"}
    await conn.execute("CREATE INDEX ix_lead_name_key_gist ON intake.lead USING gist (name_key gist_trgm_ops)")
    return out


async def run(server_url: str, sizes: list[int], n_probes: int) -> list[dict]:
    name = f"groeiruimte_bench_names_{uuid.uuid4().hex[:8]}"
    url = await create_database(server_url, name, services=["intake"])
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    results = []
    try:
        await conn.execute("CREATE INDEX bench_name_gin ON intake.lead USING gin (name_key gin_trgm_ops)")
        for population, make in (("company names", company_name), ("factory 'testbedrijf <hex>'", factory_name)):
            await conn.execute("TRUNCATE intake.lead CASCADE")
            rng, stored = random.Random(11), []
            for size in sizes:
                fresh = [make(rng) for _ in range(size - len(stored))]
                await add_leads(conn, fresh)
                stored += fresh
                probes = [(typo(n, rng), n) for n in rng.sample(stored, n_probes // 2)]
                probes += [(make(rng), None) for _ in range(n_probes - len(probes))]
                results.append({"population": population, "leads": size} | await measure(conn, probes))
    finally:
        await conn.close()
        await drop_database(server_url, name)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.look_alikes")
    p.add_argument("--leads", default="1000,50000")
    p.add_argument("--probes", type=int, default=30)
    args = p.parse_args(argv)
    server = os.environ.get("DATABASE_URL") or stack.postgres_up()  # PostgreSQL only: no Kafka needed
    results = asyncio.run(run(server, [int(s) for s in args.leads.split(",")], args.probes))
    table = Table("names", "leads", "query", "median ms", "max ms", "rows", "look-alikes found", "plan reads")
    for r in results:
        for label in QUERIES:
            m = r[label]
            table.add_row(r["population"], f"{r['leads']:,}", label, f"{m['median_ms']:.2f}", f"{m['max_ms']:.2f}",
                          str(m["rows_median"]), m["look_alikes_found"], ", ".join(m["plan"]))
    console.print(table)
    load = open("/proc/loadavg").read().split()[:3]
    console.print(f"load average {' '.join(load)}")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-look-alikes.json").write_text(json.dumps({"results": results, "load": load},
                                                                          indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
