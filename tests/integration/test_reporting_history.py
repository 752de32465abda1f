"""Reporting against a scripted history: real Kafka in, real PostgreSQL projections, figures = hand counts.

The history is published to this test's own topics, consumed by reporting's runtime in-process, and every
figure is checked against a count made by hand from the script below — as of three reporting moments, after
a late correction arrives, and again after a full rebuild from the topics.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import uuid
import zlib
from datetime import date, datetime

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from deploy.databases import create_database, drop_database
from services.reporting import chromium
from services.reporting.app import create_app
from services.reporting.config import ReportingSettings
from services.reporting.domain import REPORTED
from services.reporting.domain.periods import dutch_today
from services.reporting.rebuild import rebuild_from_facts, rebuild_from_kafka
from services.reporting.reports import write_report
from services.reporting.synthetic import case_closed, case_opened, lead_registered, lead_updated, match_proposed
from services.reporting.synthetic import relocation_realised as realised
from tests.factories import lead_event
from tests.kafka import eventually, produce
from tests.lifecycle import STOP_WITHIN, running, within

pytestmark = pytest.mark.integration

H1_2025, H2_2025, H1_2026 = date(2025, 6, 30), date(2025, 12, 31), date(2026, 6, 30)
MINISTRY = {"Authorization": "Bearer dev-ministry"}
COORDINATOR = {"Authorization": "Bearer dev-coordinator"}
SEMI, PHOTONICS, AI, QUANTUM, MATERIALS = ("semiconductor-technologies", "optical-systems-integrated-photonics",
                                           "artificial-intelligence-data-science", "quantum-technologies",
                                           "energy-materials")


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


C = [f"ref-{i:02d}-{uuid.uuid4().hex[:8]}" for i in range(11)]  # C[1]..C[10]: ten companies
L, K = ids(11), ids(7)  # leads L[1]..L[10], cases K[1]..K[6]
def reported(events):
    return [e for e in events if e.topic in REPORTED]


SECRET = lead_event()  # a raw lead-signalled: carries a company name and KvK number reporting must never keep


def script() -> list:
    """The history (see the module docstring); the counts below are made by hand from it."""
    return [
        SECRET,
        lead_registered(at("2025-02-10"), company=C[1], lead_id=L[1], region="oost", domains=(SEMI,),
                        demand_types=("floor_space", "energy"), case_id=K[1]),
        case_opened(at("2025-02-20"), case_id=K[1], lead_id=L[1], company=C[1], signalled_at=at("2025-02-10"),
                    region="oost"),
        match_proposed(at("2025-03-01"), case_id=K[1], origin="oost", regions=("zuid", "oost"),
                       blocking={"west": ["grid_capacity"]}),
        lead_registered(at("2025-03-05"), company=C[2], lead_id=L[2], region="zuid", stage="startup",
                        domains=(PHOTONICS,), demand_types=("energy",), case_id=K[2]),
        case_opened(at("2025-03-15"), case_id=K[2], lead_id=L[2], company=C[2], signalled_at=at("2025-03-05"),
                    region="zuid", stage="startup"),
        match_proposed(at("2025-03-20"), case_id=K[2], origin="zuid", regions=(), blocking={
            "zuid": ["grid_capacity"], "oost": ["grid_capacity", "cleanroom"], "west": ["grid_capacity"],
            "noord": ["talent"], "midden": ["grid_capacity"]}),
        lead_registered(at("2025-04-01"), company=C[3], lead_id=L[3], region="west", domains=(SEMI, AI),
                        demand_types=("talent",), case_id=K[3]),
        case_opened(at("2025-04-11"), case_id=K[3], lead_id=L[3], company=C[3], signalled_at=at("2025-04-01"),
                    region="west"),
        match_proposed(at("2025-04-20"), case_id=K[3], origin="west", regions=("west",),
                       blocking={"zuid": ["grid_capacity"]}),
        lead_registered(at("2025-05-20"), company=C[4], lead_id=L[4], region="noord", stage="grown-up",
                        domains=(QUANTUM,), demand_types=("floor_space",), case_id=K[4]),
        case_opened(at("2025-06-09"), case_id=K[4], lead_id=L[4], company=C[4], signalled_at=at("2025-05-20"),
                    region="noord", stage="grown-up"),
        lead_registered(at("2025-06-10"), company=C[5], lead_id=L[5], region="oost", stage="startup",
                        domains=(SEMI,), demand_types=("capital",), eligible=False),
        lead_registered(at("2025-06-15"), company=C[1], lead_id=L[6], region="zuid", domains=(SEMI,),
                        demand_types=("floor_space", "energy"), case_id=K[1], organisation="bom", joined=True),
        match_proposed(at("2025-06-20"), case_id=K[4], origin="noord", regions=(),
                       blocking={"noord": ["talent"], "west": ["grid_capacity"]}),
        # 00:30 on 1 July in the Netherlands: after the June reporting moment although still 30 June in UTC.
        lead_registered(at("2025-06-30", 22) .replace(minute=30), company=C[9], lead_id=L[10], region="west",
                        stage="grown-up", domains=(QUANTUM,), demand_types=("talent",)),
        lead_registered(at("2025-09-01"), company=C[6], lead_id=L[7], region="midden", domains=(MATERIALS,),
                        demand_types=("energy",), case_id=K[5]),
        case_opened(at("2025-09-11"), case_id=K[5], lead_id=L[7], company=C[6], signalled_at=at("2025-09-01"),
                    region="midden"),
        match_proposed(at("2025-09-20"), case_id=K[5], origin="midden", regions=("oost",),
                       blocking={"midden": ["grid_capacity"]}),
        match_proposed(at("2025-10-01"), case_id=K[2], origin="zuid", regions=("noord",),
                       blocking={"zuid": ["grid_capacity"]}),
        realised(at("2025-11-01"), case_id=K[1], origin="oost", destination="zuid", investment=100e6,
                 new_scale_up=True),
        case_closed(at("2025-11-01"), case_id=K[1], outcome="relocated", origin="oost"),
        realised(at("2025-12-01"), case_id=K[3], origin="west", destination="west", investment=50e6),
        case_closed(at("2025-12-01"), case_id=K[3], outcome="relocated", origin="west"),
        realised(at("2026-01-15"), case_id=K[5], origin="midden", destination="oost", investment=300e6,
                 status="verified", new_scale_up=True),
        case_closed(at("2026-01-15"), case_id=K[5], outcome="relocated", origin="midden"),
        lead_registered(at("2026-02-01"), company=C[7], lead_id=L[8], region="oost", domains=(SEMI,),
                        demand_types=("floor_space",), case_id=K[6]),
        case_opened(at("2026-02-21"), case_id=K[6], lead_id=L[8], company=C[7], signalled_at=at("2026-02-01"),
                    region="oost"),
        lead_registered(at("2026-03-01"), company=C[8], lead_id=L[9], region="zuid", domains=(PHOTONICS,),
                        demand_types=("energy", "housing")),
        match_proposed(at("2026-03-01"), case_id=K[6], origin="oost", regions=(),
                       blocking={"oost": ["cleanroom"], "zuid": ["grid_capacity"]}),
        lead_updated(at("2026-04-01"), lead_id=L[5], stage="scale-up", domains=(SEMI,), demand_types=("capital",),
                     eligible=True),
        # A correction: K1's investment verified at a higher amount.
        realised(at("2026-05-01"), case_id=K[1], origin="oost", destination="zuid", investment=120e6,
                 status="verified", new_scale_up=True),
        realised(at("2026-05-15"), case_id=K[2], origin="zuid", destination="noord", investment=80e6),
        case_closed(at("2026-05-15"), case_id=K[2], outcome="relocated", origin="zuid"),
        case_closed(at("2026-06-01"), case_id=K[4], outcome="left-country", origin="noord"),
    ]


# Late-arriving: a lead of a tenth company, signalled in November 2025, published after 2025-H2 was reported.
LATE = lead_registered(at("2025-11-15"), company=C[10], lead_id=ids(1)[0], region="noord", stage="startup",
                       domains=(PHOTONICS,), demand_types=("energy",))


def impact_by_hand(late: bool) -> dict[date, dict[str, float]]:
    """The impact table counted by hand from script() (and LATE when it has arrived)."""
    extra = 1 if late else 0
    return {
        H1_2025: {"leads_in_portfolio": 4, "cases_in_execution": 4, "realised_other_region": 0, "new_scale_ups": 0,
                  "investment_retained_eur": 0, "investment_retained_estimated_eur": 0,
                  "investment_retained_verified_eur": 0, "realised_own_region": 0, "cases_open": 4},
        # C1..C4, C6, C9 (+C10 late); K1 oost->zuid 100M est (scale-up); K3 west->west 50M est.
        H2_2025: {"leads_in_portfolio": 6 + extra, "cases_in_execution": 5, "realised_other_region": 1,
                  "new_scale_ups": 1, "investment_retained_eur": 150e6, "investment_retained_estimated_eur": 150e6,
                  "investment_retained_verified_eur": 0, "realised_own_region": 1, "cases_open": 3},
        # + C5 (now eligible), C7, C8; K1 corrected to 120M verified; K5 midden->oost 300M verified (scale-up);
        # K2 zuid->noord 80M est; K4 left the country; only K6 open.
        H1_2026: {"leads_in_portfolio": 9 + extra, "cases_in_execution": 6, "realised_other_region": 3,
                  "new_scale_ups": 2, "investment_retained_eur": 550e6, "investment_retained_estimated_eur": 130e6,
                  "investment_retained_verified_eur": 420e6, "realised_own_region": 1, "cases_open": 1},
    }


BREAKDOWNS_H1_2026 = {
    "leads_by_origin_region": {"oost": 3, "zuid": 3, "west": 2, "noord": 1, "midden": 1},
    "leads_by_stage": {"scale-up": 6, "startup": 1, "grown-up": 2},
    "leads_by_technology_domain": {SEMI: 4, PHOTONICS: 2, AI: 1, QUANTUM: 2, MATERIALS: 1},
    "leads_by_demand_type": {"floor_space": 3, "energy": 4, "talent": 2, "capital": 1, "housing": 1},
    "cases_by_origin_region": {"oost": 2, "zuid": 1, "west": 1, "noord": 1, "midden": 1},
    "realised_by_destination_region": {"zuid": 1, "west": 1, "oost": 1, "noord": 1},
    "realised_flows": {"oost -> zuid": 1, "west -> west": 1, "midden -> oost": 1, "zuid -> noord": 1},
}
BOTTLENECKS = {
    H1_2025: {"west": {"grid_capacity": 3}, "zuid": {"grid_capacity": 2},
              "oost": {"grid_capacity": 1, "cleanroom": 1}, "noord": {"talent": 2}, "midden": {"grid_capacity": 1}},
    H1_2026: {"west": {"grid_capacity": 2}, "zuid": {"grid_capacity": 3}, "noord": {"talent": 1},
              "midden": {"grid_capacity": 1}, "oost": {"cleanroom": 1}},
}
NO_PROPOSITION = {H1_2025: (2, 2), H2_2025: (1, 2), H1_2026: (2, 3)}  # (cases now, cases ever)
DAYS = {  # by hand, in days, per case, as of 2026-06-30
    "signal_to_case": [10, 10, 10, 20, 10, 20],
    "case_to_proposal": [9, 200, 9, 9],  # K1, K2 (re-matched 1 Oct), K3, K5
    "proposal_to_realisation": [245, 226, 225, 117],  # K1 1 Mar->1 Nov, K2 1 Oct->15 May, K3 20 Apr->1 Dec, K5
}


@pytest.fixture(scope="module")
def settings(infra, run_id):
    """Reporting's own database and topics: other tests' events must not enter these hand counts."""
    name = f"groeiruimte_test_{run_id}_reporting"
    url = asyncio.run(create_database(infra.database_url, name, services=["reporting"]))
    yield ReportingSettings(database_url=url, kafka_bootstrap_servers=infra.kafka,
                            topic_prefix=f"test-{run_id}-reporting-{uuid.uuid4().hex[:6]}.",
                            kafka_session_timeout_ms=6000, consumer_batch_size=500)
    asyncio.run(drop_database(infra.database_url, name))


async def publish(settings: ReportingSettings, events: list) -> None:
    for topic in {e.topic for e in events}:
        mine = [e for e in events if e.topic == topic]
        await produce(settings.kafka_bootstrap_servers, settings.topic(topic), [e.to_json() for e in mine],
                      keys=[e.key for e in mine])


async def figures_at(app, dates):
    """Through the cache on purpose: a late fact or a rebuild must invalidate what it changes."""
    return await app.state.projections.figures(dates)


def assert_hand_counts(computed, *, late: bool) -> None:
    for moment, expected in impact_by_hand(late).items():
        got = {name: cell.value for name, cell in computed[moment].impact.items()}
        assert got == pytest.approx(expected), moment
        now, ever = NO_PROPOSITION[moment]
        assert computed[moment].no_proposition["cases_now"].value == now
        assert computed[moment].no_proposition["cases_ever"].value == ever
    for moment, expected in BOTTLENECKS.items():
        got = {r: {k: c.value for k, c in cells.items()} for r, cells in computed[moment].bottlenecks.items()}
        assert got == expected, moment
    mid2026 = computed[H1_2026]
    for name, expected in BREAKDOWNS_H1_2026.items():
        shifted = dict(expected)
        if late and name.startswith("leads_"):
            key = {"leads_by_origin_region": "noord", "leads_by_stage": "startup",
                   "leads_by_technology_domain": PHOTONICS, "leads_by_demand_type": "energy"}[name]
            shifted[key] += 1
        assert {k: c.value for k, c in mid2026.breakdowns[name].items()} == shifted, name
    for name, days in DAYS.items():
        stat = mid2026.lead_times[name]
        assert stat.histogram == {d: days.count(d) for d in days}, name
        assert stat.mean == pytest.approx(round(sum(days) / len(days), 1)), name
    assert {k: c.value for k, c in mid2026.outcomes.items()} == {"relocated": 4, "left-country": 1}


@pytest.fixture(scope="module")
async def loaded(settings):
    """Reporting running in-process with the scripted history consumed from Kafka."""
    app = create_app(settings)
    async with running(app.state.runtime):
        await publish(settings, script())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://reporting") as http:
            async def all_counted():
                counts = (await http.get("/kpi/event-counts", headers=MINISTRY)).json()
                return sum(counts.values()) >= len(reported(script())) and counts
            app.state.first_counts = await eventually(all_counted, timeout=60)
            app.state.http = http
            yield app


async def test_figures_equal_hand_counts_as_of_each_moment_and_after_rebuild(settings, loaded):
    app, http, history = loaded, loaded.state.http, script()
    counts = app.state.first_counts
    # The raw lead-signalled is not read at all (it carries the company's identity).
    assert "lead-signalled" not in counts and counts["lead-registered"] == 10 and counts["case-opened"] == 6
    assert sum(counts.values()) == len(reported(history)) == len(history) - 1
    assert_hand_counts(await figures_at(app, [H1_2025, H2_2025, H1_2026]), late=False)

    # The ministry's view: headline counts as they are, the amount as a band once 4 companies stand behind it;
    # its parts (2 estimated, 2 verified) are not shown. Targets pro rata.
    published = (await http.get("/kpi/figures", params={"period": "2026-H1"}, headers=MINISTRY)).json()
    rows = {r["indicator"]: r for r in published["impact"]}
    assert rows["leads_in_portfolio"]["value"] == 9
    assert rows["leads_in_portfolio"]["target_pro_rata"] == pytest.approx(40 * 546 / 1461, abs=0.01)
    assert rows["realised_other_region"]["value"] == 3 and rows["new_scale_ups"]["value"] == 2
    total = rows["investment_retained_eur"]
    assert total["value"] is None and total["band"] == {"low": 550e6, "high": 560e6}
    assert total["released_as_of"] == "2026-06-30"
    for small in ("investment_retained_estimated_eur", "investment_retained_verified_eur"):
        assert rows[small]["suppressed"] and rows[small]["value"] is None and rows[small]["band"] is None
    coordinator = (await http.get("/kpi/impact", params={"period": "2026-H1"}, headers=COORDINATOR)).json()
    assert {r["indicator"]: r["value"] for r in coordinator}["investment_retained_estimated_eur"] == 130e6

    # Reported as of 2025-H2, then a late lead from November 2025 arrives: the report stays frozen.
    frozen = await http.post("/reports/snapshots", json={"period": "2025-H2"}, headers=COORDINATOR)
    assert frozen.status_code == 201, frozen.text
    early = await figures_at(app, [H1_2025])
    await publish(settings, [LATE])

    async def late_counted():
        counts = (await http.get("/kpi/event-counts", headers=MINISTRY)).json()
        return counts["lead-registered"] == 11
    assert await eventually(late_counted, timeout=30)
    again = await http.post("/reports/snapshots", json={"period": "2025-H2"}, headers=COORDINATOR)
    assert again.status_code == 409
    report = (await http.get("/reports/snapshots/2025-H2", headers=MINISTRY)).json()
    assert {r["indicator"]: r["value"] for r in report["as_reported"]["impact"]}["leads_in_portfolio"] == 6
    assert {r["indicator"]: r["value"] for r in report["current"]["impact"]}["leads_in_portfolio"] == 7
    assert report["corrections"] == [{"indicator": "leads_in_portfolio", "reported_value": 6, "reported_band": None,
                                      "current_value": 7, "current_band": None}]
    assert report["late_events_since_report"] == 1 and report["late_events_by_topic"] == {"lead-registered": 1}
    assert_hand_counts(await figures_at(app, [H1_2025, H2_2025, H1_2026]), late=True)
    assert await figures_at(app, [H1_2025]) == early  # a fact from November leaves June's figures as they were

    # Nothing of a company's identity was kept, though a lead-signalled with name and KvK number was on its topic.
    async with app.state.runtime.sessions() as session:
        dump = (await session.execute(text("SELECT string_agg(body::text, ' ') FROM reporting.fact"))).scalar()
    assert SECRET.data.company.name not in dump and SECRET.data.company.kvk_number not in dump

    # A full rebuild from the topics (while the service runs) gives the same figures; the reported snapshot
    # is not a projection and stays.
    moments = [H1_2025, H2_2025, H1_2026, date(2026, 12, 31)]
    live = await figures_at(app, moments)
    progress = []
    result = await rebuild_from_kafka(settings, progress=lambda done, total: progress.append((done, total)))
    assert await figures_at(app, moments) == live  # identical, every cell (late events counted alike)
    # The rebuild replays what reporting reads, and not lead-signalled (+ 1: the late lead).
    assert result.records == len(reported(history)) + 1 and result.skipped_invalid == 0
    assert progress[-1] == (len(reported(history)) + 1, len(reported(history)) + 1)
    assert_hand_counts(await figures_at(app, [H1_2025, H2_2025, H1_2026]), late=True)
    # And the default rebuild, from the stored facts (forked workers on the rebuild's snapshot), the same again:
    # projections spoilt first, so that only a rebuild that replaced them all passes.
    async with app.state.runtime.sessions() as session, session.begin():
        await session.execute(text("UPDATE reporting.figure_delta SET n = n + 1"))
    assert await figures_at(app, moments) != live
    from_facts = await rebuild_from_facts(settings)
    assert from_facts.facts == result.facts and await figures_at(app, moments) == live
    report = (await http.get("/reports/snapshots/2025-H2", headers=MINISTRY)).json()
    assert {r["indicator"]: r["value"] for r in report["as_reported"]["impact"]}["leads_in_portfolio"] == 6


async def test_the_ministry_reaches_aggregates_only_and_small_cells_are_suppressed(loaded):
    http = loaded.state.http
    spec = (await http.get("/openapi.json")).json()
    identifiers = [*(c for c in C if c), *map(str, L), *map(str, K), SECRET.data.company.name,
                   SECRET.data.company.kvk_number]
    reached = 0
    for path, operations in spec["paths"].items():
        if "get" not in operations or "{" in path or not path.startswith(("/kpi", "/reports", "/dashboard")):
            continue
        assert (await http.get(path)).status_code == 401, path
        response = await http.get(path, headers=MINISTRY, params={"as_of": "2026-06-30"} if "metrics" in path
                                  and "event-counts" not in path else None)
        assert response.status_code == 200, (path, response.text)
        assert not [i for i in identifiers if i in response.text], path
        reached += 1
    assert reached >= 5
    assert (await http.post("/reports/snapshots", json={"period": "2026-H1"}, headers=MINISTRY)).status_code == 403

    published = (await http.get("/kpi/figures", params={"as_of": "2025-06-30"}, headers=MINISTRY)).json()
    # 2 cases without a proposition: a national count, shown. Bottlenecks: a case may be blocked in several
    # regions, so the small ones (1-2 cases each) cannot be shown to stand for 3 companies apart from
    # "west: grid capacity"; all are merged into one cell, which counts blocked (case, constraint) pairs.
    assert published["no_proposition"]["cases_now"] == 2
    cells = {c["key"]: c for c in published["groups"]["bottlenecks"]["cells"]}
    assert cells["__other__"]["value"] == 10 and "zuid: grid_capacity" in cells["__other__"]["members"]
    for group in published["groups"].values():
        assert all(cell["value"] == 0 or cell["value"] >= 3 for cell in group["cells"])
    csv = (await http.get("/kpi/figures.csv", params={"as_of": "2025-06-30"}, headers=MINISTRY)).text
    assert "no_proposition,cases,cases_now,2" in csv
    assert "breakdown,bottlenecks,__other__,10" in csv
    trend = (await http.get("/kpi/trend", params={"as_of": "2026-06-30"}, headers=MINISTRY)).json()
    assert [t["period"] for t in trend] == [f"{y}-H{h}" for y in range(2025, 2029) for h in (1, 2)]
    first, last = ({r["indicator"]: r for r in trend[i]["impact"]} for i in (0, -1))
    assert first["leads_in_portfolio"]["value"] == 4 and first["cases_in_execution"]["value"] == 4
    assert trend[-1]["future"] and last["leads_in_portfolio"]["target_pro_rata"] == 40
    under_way = f"{dutch_today().year}-H{1 if dutch_today().month <= 6 else 2}"
    current = (await http.get("/kpi/figures", params={"period": under_way}, headers=MINISTRY)).json()
    assert current["as_of"] == dutch_today().isoformat()  # a half-year under way: as of today, never its end
    bad = await http.get("/kpi/figures", params={"period": "2026-07"}, headers=MINISTRY)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "period"


def png_summary(data: bytes, rows: int) -> tuple[int, int, set[bytes]]:
    """Width, height and the colours of the first `rows` rows of a PNG (8-bit RGB/RGBA, no Pillow needed)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, colour_type = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, _, colour_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, bpp = zlib.decompress(idat), {2: 3, 6: 4}[colour_type]
    stride, prev, colours = width * bpp, bytearray(width * bpp), set()
    for r in range(rows):
        kind, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            a, b = line[i - bpp] if i >= bpp else 0, prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            predictor = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) \
                else c
            line[i] = (line[i] + (0, a, b, (a + b) // 2, predictor)[kind]) & 0xFF
        colours |= {bytes(line[i:i + 3]) for i in range(0, stride, bpp)}
        prev = line
    return width, height, colours


@pytest.fixture
async def served(loaded):
    """The loaded app on a real loopback port, for the browser."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(loaded, host="127.0.0.1", port=port, lifespan="off", log_config=None,
                                           access_log=False))
    task = asyncio.create_task(server.serve())
    for _ in range(200):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await within(task, STOP_WITHIN, "stopping the dashboard's HTTP server")


async def test_the_dashboard_renders_real_figures_in_headless_chromium(served, artifacts, tmp_path):
    url = f"{served}/dashboard?as_of=2026-06-30&token=dev-ministry"  # the token moves into a cookie
    shot = artifacts / "reporting-dashboard.png"
    shot.unlink(missing_ok=True)
    await asyncio.to_thread(chromium.run, "chromium", "--accept-lang=nl-NL,nl", f"--screenshot={shot}",
                            "--window-size=1400,2400", url)  # tall enough to show the map of the regions
    width, height, colours = png_summary(shot.read_bytes(), rows=60)
    assert (width, height) == (1400, 2400)
    assert bytes.fromhex("1f5f99") in colours and len(colours) > 20  # the header band, with its text
    assert shot.stat().st_size > 30_000  # a blank page of this size compresses to a few kB

    dom = await asyncio.to_thread(chromium.run, "chromium", "--accept-lang=nl-NL,nl", "--dump-dom", url)
    assert "voortgang per 30 juni 2026" in dom  # Dutch by default
    assert "€ 550–560 mln" in dom  # investment retained as counted by hand, above, in its band
    assert "overige" in dom and "Knelpunten" in dom and "<svg" in dom
    assert dom.count('data-code="PV') >= 12 and "Grenzen: CBS, Kadaster (CC BY 4.0)" in dom  # the real map
    assert not [c for c in C if c and c in dom]
    assert "http://" not in dom.replace(served, "").replace("http://www.w3.org", "")  # nothing from outside


async def test_the_june_report_is_written_as_html_and_pdf(settings, loaded, artifacts, tmp_path):
    written = await write_report(settings, "2026-H1", tmp_path)
    page, pdf = (p.read_bytes() for p in written)
    assert b"Voortgangsrapportage juni 2026" in page and b"nergens een propositie" in page.lower()
    assert b"Knelpunten per regio" in page and "€ 550–560 mln".encode() in page
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (artifacts / "reporting-report-2026-H1.pdf").write_bytes(pdf)
    december = await write_report(settings, "2025-H2", tmp_path, pdf=False)
    december_page = december[0].read_text(encoding="utf-8")
    assert "Jaarverslag en voortgangsrapportage december 2025" in december_page
    # 2025-H2 was reported before a lead of November 2025 arrived: as reported (6) beside corrected (7).
    corrected = december_page.split("Zoals gerapporteerd en gecorrigeerd")[1].split("</table>")[0]
    assert "1 gebeurtenissen ervan kwamen later binnen" in corrected
    assert "Aantal leads in portefeuille (gehad)</td><td>6</td><td>7</td>" in corrected
    with pytest.raises(ValueError, match="YYYY-H1"):
        await write_report(settings, "2026", tmp_path)
    with pytest.raises(ValueError, match="has not been reported"):
        await write_report(settings, "2027-H1", tmp_path, pdf=False, as_reported=True)
    frozen = await loaded.state.http.post("/reports/snapshots", json={"period": "2026-H1"}, headers=COORDINATOR)
    assert frozen.status_code == 201
    reported = await write_report(settings, "2026-H1", tmp_path / "reported", pdf=False, as_reported=True)
    assert b"Cijfers zoals gerapporteerd op" in reported[0].read_bytes()
