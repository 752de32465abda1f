"""Workbench pages under load with 1,000 open cases and 10,000 sites (target: p95 < 200 ms each; docs/workbench.md):
every page a coordinator (board, case, timeline, mails, queues, catalogue, site), a ROM (its leads, a lead, the
lead form, the upload page, the catalogue) and a municipality (its catalogue, its own site with the form, import,
retire) opens.

Seeded through the services' own code paths on a fresh database and topic prefix: the sites stored as matching's
import stores them (`history.store_sites`, with their history), then 1,000 leads submitted to intake's HTTP API
by one ROM, each opening a case that matching matches over Kafka against the 10,000 sites. Then each person's
pages are timed through the workbench, which calls intake, matching and notifications over HTTP with the
person's token as in production (here each service's ASGI app in this process: no socket, the same routes,
middleware and SQL).

`python -m bench.workbench [--cases 1000] [--sites 10000] [--runs 40]`; writes artifacts/bench-workbench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from deploy import stack
from deploy.databases import create_database, drop_database
from deploy.processes import ROOT
from services.intake.app import create_app as intake_app
from services.intake.config import IntakeSettings
from services.matching import domain
from services.matching.app import create_app as matching_app
from services.matching.config import MatchingSettings
from services.matching.history import Author, store_sites
from services.notifications.app import create_app as notifications_app
from services.notifications.config import NotificationsSettings
from services.workbench import accounts
from services.workbench.app import create_app as workbench_app
from services.workbench.config import WorkbenchSettings
from shared.contracts.geography import municipalities
from shared.db import make_engine, make_sessionmaker, transaction
from shared.geo.boundaries import region_of_province
from tests.factories import intake_lead_payload

console = Console(width=130)  # one row per page, also when written to a file
PASSWORD = "bench password long enough"
TARGET_MS = 200
CLUSTERS = ["semiconductor-technologies", "quantum-technologies", "energy-materials",
            "artificial-intelligence-data-science"]


class Services(httpx.AsyncBaseTransport):
    """Each service's requests to its own ASGI app (by host name)."""

    def __init__(self, **apps) -> None:
        self.transports = {name: httpx.ASGITransport(app) for name, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transports[request.url.host].handle_async_request(request)


def synthetic_sites(n: int, seed: int = 14) -> list[domain.Site]:
    rng = random.Random(seed)
    places = [(code, province) for code, (_, province) in municipalities().items() if region_of_province(province)]
    sites = []
    for i in range(n):
        code, province = rng.choice(places)
        sites.append(domain.Site.model_validate({
            "id": f"bench-{i:05d}", "name": f"Bedrijventerrein {i:05d}", "region": region_of_province(province),
            "province": province, "municipality_code": code, "floor_space_m2": rng.randrange(500, 40_000, 500),
            "largest_lot_m2": rng.randrange(500, 20_000, 500), "grid_mw_available": rng.randrange(1, 40) / 2,
            "clusters": rng.sample(CLUSTERS, 2), "knowledge_distance_km": rng.randrange(1, 60)}))
    return sites


async def seed_sites(database_url: str, n: int) -> float:
    engine = make_engine(database_url, pool_size=2)
    start = time.perf_counter()
    try:
        sites = synthetic_sites(n)
        by = Author("bench", source="import:bench", role="coordinator")
        for chunk in range(0, n, 1000):
            async with transaction(make_sessionmaker(engine)) as session:
                await store_sites(session, [(None, s) for s in sites[chunk:chunk + 1000]], by)
    finally:
        await engine.dispose()
    return time.perf_counter() - start


async def seed_cases(intake: httpx.AsyncClient, matching: httpx.AsyncClient,
                     n: int) -> tuple[list[str], list[str], float]:
    """n leads over intake's API (each opens a case); the case and lead ids once matching has matched them all."""
    start = time.perf_counter()
    queue = iter(range(n))
    case_ids: list[str] = []
    lead_ids: list[str] = []

    async def worker(progress, task):
        for _ in queue:
            data = intake_lead_payload()["data"]
            del data["organisation"]
            answer = await intake.post("/leads", json=data, headers={"Authorization": "Bearer rom"})
            assert answer.status_code == 201, answer.text
            case_ids.append(answer.json()["lead"]["case_id"])
            lead_ids.append(answer.json()["lead"]["lead_id"])
            progress.advance(task)

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"submitting {n:,} leads to intake", total=n)
        await asyncio.gather(*(worker(progress, task) for _ in range(8)))
        matched = progress.add_task("matching matches the cases (Kafka)", total=n)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            listed = (await matching.get("/cases", params={"limit": 1000},
                                         headers={"Authorization": "Bearer coord"})).json()
            progress.update(matched, completed=len(listed))
            if len(listed) >= n:
                break
            await asyncio.sleep(2)
        # ... and until intake recorded every case's match (its consumer of match-proposed is the pipeline's last
        # step here): pages timed while it still works would measure its backlog, not the page.
        recorded = progress.add_task("intake records the matches (Kafka)", total=n)
        unmatched = {"status": "open", "case_status": "open", "order": "oldest", "offset": 0, "limit": 1}
        while time.monotonic() < deadline:
            waiting = (await intake.post("/cases/search", json=unmatched,
                                         headers={"Authorization": "Bearer coord"})).json()["kept"]
            progress.update(recorded, completed=n - waiting)
            if waiting == 0:
                break
            await asyncio.sleep(1)
    assert all(case_ids), "every bench lead opens a case"
    return case_ids, lead_ids, time.perf_counter() - start


async def timed(browser: httpx.AsyncClient, paths: list[str], body: dict | None = None) -> dict:
    """Latencies of GETs of `paths` (POSTs of `body` when given)."""
    latencies = []
    for path in paths:
        t0 = time.perf_counter()
        answer = await (browser.get(path) if body is None else browser.post(path, json=body))
        latencies.append((time.perf_counter() - t0) * 1000)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    q = statistics.quantiles(latencies, n=20, method="inclusive")
    return {"runs": len(paths), "p50_ms": statistics.median(latencies), "p95_ms": q[18], "max_ms": max(latencies),
            "bytes": len(answer.content)}


async def signed_in(browser: httpx.AsyncClient, username: str) -> httpx.AsyncClient:
    """The browser, signed in through the sign-in form (with its CSRF token)."""
    page = (await browser.get("/sign-in")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed = await browser.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 303, signed.text
    return browser


async def run(args: argparse.Namespace, ends) -> dict:
    tag = uuid.uuid4().hex[:8]
    name = f"groeiruimte_bench_wb_{tag}"
    db = await create_database(ends.database_url, name, services=["intake", "matching", "notifications", "workbench"])
    prefix = f"bench-wb-{tag}."
    common = dict(kafka_bootstrap_servers=ends.kafka, database_url=db, topic_prefix=prefix,
                  kafka_session_timeout_ms=6000)
    tokens = SecretStr("rom:oost-nl:rom,coord:taskforce:coordinator")
    os.environ.update(ends.kafka_security)
    intake = intake_app(IntakeSettings(**common, api_tokens=tokens))
    matching = matching_app(MatchingSettings(**common, api_tokens=tokens, load_reference_sites=False))
    notifications = notifications_app(NotificationsSettings(**common, api_tokens=tokens))
    folder = Path(tempfile.mkdtemp(prefix="bench-workbench-"))
    # The municipality with the most bench sites: its catalogue and its own sites' pages.
    municipality = collections.Counter(s.municipality_code for s in synthetic_sites(args.sites)).most_common(1)[0][0]
    for username, role, organisation in [("coordinator", "coordinator", "taskforce"), ("rom", "rom", "oost-nl"),
                                         ("municipality", "municipality", municipality)]:
        accounts.create(folder / "accounts.json", username=username, name=username.title(), role=role,
                        organisation=organisation, password=PASSWORD)
    try:
        sites_s = await seed_sites(db, args.sites)
        console.print(f"{args.sites:,} sites stored in {sites_s:.1f} s")
        async with contextlib.AsyncExitStack() as stack_:
            await stack_.enter_async_context(intake.state.runtime.running())
            await stack_.enter_async_context(matching.state.runtime.running())
            intake_c = await stack_.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(intake), base_url="http://intake", timeout=60))
            matching_c = await stack_.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(matching), base_url="http://matching", timeout=60))
            case_ids, lead_ids, cases_s = await seed_cases(intake_c, matching_c, args.cases)
            console.print(f"{args.cases:,} cases opened and matched in {cases_s:.1f} s")
            workbench = workbench_app(WorkbenchSettings(database_url=db, accounts_file=folder / "accounts.json",
                                                        intake_url="http://intake", matching_url="http://matching",
                                                        notifications_url="http://notifications"))
            deps = workbench.state.deps
            await deps.upstream.client.aclose()
            deps.upstream.client = httpx.AsyncClient(timeout=60, transport=Services(
                intake=intake, matching=matching, notifications=notifications))
            try:
                async def browser_of(username: str) -> httpx.AsyncClient:
                    return await signed_in(await stack_.enter_async_context(httpx.AsyncClient(
                        transport=httpx.ASGITransport(workbench), base_url="http://workbench", timeout=60)), username)

                pick = random.Random(1)
                cases, leads = pick.sample(case_ids, args.runs), pick.sample(lead_ids, args.runs)
                catalogue = synthetic_sites(args.sites)
                sites = [s.id for s in pick.sample(catalogue, args.runs)]
                own = [s.id for s in catalogue if s.municipality_code == municipality][:args.runs]
                own = (own * args.runs)[:args.runs]
                people = {"coordinator": await browser_of("coordinator"), "rom": await browser_of("rom"),
                          "municipality": await browser_of("municipality")}
                pages = {
                    ("coordinator", "board"): ["/board"] * args.runs,
                    ("coordinator", "board (oost, page 2)"): ["/board?region=oost&page=2"] * args.runs,
                    ("coordinator", "case"): [f"/cases/{c}" for c in cases],
                    ("coordinator", "case timeline (print)"): [f"/cases/{c}/timeline" for c in cases],
                    ("coordinator", "case mails and replies"): [f"/cases/{c}/mail" for c in cases],
                    ("coordinator", "look-alike reviews"): ["/reviews"] * args.runs,
                    ("coordinator", "no proposition anywhere"): ["/no-proposition"] * args.runs,
                    ("coordinator", "catalogue"): ["/sites"] * args.runs,
                    ("coordinator", "catalogue (oost, page 2)"): ["/sites?region=oost&page=2"] * args.runs,
                    ("coordinator", "site"): [f"/sites/{s}" for s in sites],
                    ("rom", "own leads"): ["/leads"] * args.runs,
                    ("rom", "lead"): [f"/leads/{lead}" for lead in leads],
                    ("rom", "lead form (new)"): ["/leads/new"] * args.runs,
                    ("rom", "lead form (correct)"): [f"/leads/{lead}/edit" for lead in leads],
                    ("rom", "leads upload"): ["/leads/upload"] * args.runs,
                    ("municipality", "catalogue"): ["/sites"] * args.runs,
                    ("municipality", "own site (with form)"): [f"/sites/{s}" for s in own],
                    ("municipality", "sites import"): ["/sites/import"] * args.runs,
                    ("municipality", "retire a site"): [f"/sites/{s}/retire" for s in own],
                }
                for (who, _), paths in pages.items():  # warm-up: connections, templates, the catalogue
                    await people[who].get(paths[0])
                figures = {f"{who}: {name}": await timed(people[who], paths) for (who, name), paths in pages.items()}
                # Where the board's time goes: the service calls it makes, on their own (one page of 100).
                board_query = {"status": "open", "order": "oldest", "offset": 0, "limit": 100}
                intake_c.headers["Authorization"] = matching_c.headers["Authorization"] = "Bearer coord"
                found = (await intake_c.post("/cases/search", json=board_query)).json()["cases"]
                page_ids = "&".join(f"case_id={c['case_id']}" for c in found)
                for name, (client, path, body) in {
                        "intake POST /cases/search (board)": (intake_c, "/cases/search", board_query),
                        "matching GET /cases?case_id= (board)": (matching_c, f"/cases?{page_ids}", None),
                        "matching GET /sites/catalogue": (matching_c, "/sites/catalogue", None)}.items():
                    figures[name] = await timed(client, [path] * args.runs, body)
                # ... the case page's (one case each time), and the ROM's list of its own leads.
                figures["intake GET /cases/{id} (case)"] = await timed(intake_c, [f"/cases/{c}" for c in cases])
                figures["matching GET /cases/{id}/proposals (case)"] = await timed(
                    matching_c, [f"/cases/{c}/proposals" for c in cases])
                intake_c.headers["Authorization"] = "Bearer rom"
                figures["intake GET /leads (a ROM's own)"] = await timed(intake_c, ["/leads"] * args.runs)
            finally:
                await deps.close()
    finally:
        await drop_database(ends.database_url, name)
    return {"cases": args.cases, "sites": args.sites, "seed_seconds": {"sites": sites_s, "cases": cases_s},
            "load": os.getloadavg(), "pages": figures}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.workbench")
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--sites", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=40)
    os.environ.setdefault("GROEIRUIMTE_ENV", "development")  # the services' development secrets, on loopback only
    ends = stack.up()  # the running stack's addresses (starts nothing that runs already)
    result = asyncio.run(run(p.parse_args(), ends))
    table = Table("page", "runs", "p50 ms", "p95 ms", "max ms", "KB", f"p95 < {TARGET_MS} ms",
                  title=f"workbench, {result['cases']:,} open cases, {result['sites']:,} sites "
                        f"(load {result['load'][0]:.1f})")
    for name, f in result["pages"].items():
        table.add_row(name, str(f["runs"]), f"{f['p50_ms']:.0f}", f"{f['p95_ms']:.0f}", f"{f['max_ms']:.0f}",
                      f"{f['bytes'] / 1024:.0f}", "yes" if f["p95_ms"] < TARGET_MS else "NO")
    console.print(table)
    out = ROOT / "artifacts" / "bench-workbench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    console.print(f"written to {out}")


if __name__ == "__main__":
    main()
