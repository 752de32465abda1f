"""The December report on a realistic small history (8 companies, the programme's real scale), end to end:
events through Kafka, the coordinator's reviewed notes, the report in Dutch as HTML and PDF, its pages as
images in artifacts/ (to look at), every headline count shown and amounts as bands."""

from __future__ import annotations

import asyncio
import struct
import uuid
import zlib
from datetime import datetime

import httpx
import pytest
from babel.dates import format_date

from deploy.databases import create_database, drop_database
from services.reporting.app import create_app
from services.reporting.config import ReportingSettings
from services.reporting.domain.figures import REGION_ROM
from services.reporting.domain.periods import dutch_today, parse_period, report_date
from services.reporting.reports import write_report
from services.reporting.synthetic import case_closed, case_opened, lead_registered, match_proposed
from services.reporting.synthetic import relocation_realised as realised
from shared.contracts import SiteChanged, SiteChangedData
from tests.kafka import eventually, produce

pytestmark = pytest.mark.integration
COORDINATOR = {"Authorization": "Bearer dev-coordinator"}
MINISTRY = {"Authorization": "Bearer dev-ministry"}
SEMI, PHOTONICS, QUANTUM = "semiconductor-technologies", "optical-systems-integrated-photonics", "quantum-technologies"


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


def site(day: str, site_id: str, region: str, **supply) -> SiteChanged:
    return SiteChanged(source="/matching/import", subject=site_id, time=at(day), data=SiteChangedData(
        site_id=site_id, changed={"region": region, **supply}, changed_by="reference"))


def history() -> list:
    """Eight companies over 2025-2026: six cases, four relocations (three to another region), supply at five
    hotspots."""
    c = [f"ref-dec-{i}-{uuid.uuid4().hex[:6]}" for i in range(9)]
    k, leads = [uuid.uuid4() for _ in range(9)], [uuid.uuid4() for _ in range(9)]
    plan = [  # company, region, signalled, case opened, stage, domain
        (1, "oost", "2025-02-03", "2025-02-20", "scale-up", SEMI), (2, "oost", "2025-03-10", "2025-03-25", "startup",
                                                                    PHOTONICS),
        (3, "west", "2025-04-01", "2025-04-15", "scale-up", QUANTUM), (4, "zuid", "2025-05-12", "2025-06-01",
                                                                      "scale-up", SEMI),
        (5, "oost", "2025-09-01", "2025-09-20", "grown-up", PHOTONICS), (6, "noord", "2025-10-01", "2025-10-20",
                                                                        "startup", QUANTUM),
        (7, "west", "2026-02-01", None, "scale-up", SEMI), (8, "zuid", "2026-04-01", None, "startup", PHOTONICS)]
    events = [site("2025-01-06", "zuid-hightech-campus", "zuid", floor_space_m2=8000, cleanroom_m2=600,
                   grid_mw_available=2.0, grid_reinforcement_date="2028-03-01", grid_mw_after_reinforcement=20.0),
              site("2025-01-06", "oost-kennispark", "oost", floor_space_m2=12000, grid_mw_available=9.0),
              site("2025-01-06", "west-tu-delft-campus", "west", floor_space_m2=5000, cleanroom_m2=300,
                   grid_mw_available=4.0, planned_floor_space_m2=6000, planned_available_from="2027-06-01"),
              site("2025-01-06", "noord-zernike", "noord", floor_space_m2=9000, grid_mw_available=8.0),
              site("2025-01-06", "midden-almere", "midden", floor_space_m2=15000, grid_mw_available=3.0)]
    for n, region, signalled, opened, stage, domain in plan:
        events.append(lead_registered(at(signalled), company=c[n], region=region, stage=stage, domains=(domain,),
                                      demand_types=("floor_space", "energy"), lead_id=leads[n],
                                      organisation=REGION_ROM[region],
                                      case_id=k[n] if opened else None))
        if opened:
            events.append(case_opened(at(opened), case_id=k[n], lead_id=leads[n], company=c[n],
                                      signalled_at=at(signalled), region=region, stage=stage, domains=(domain,),
                                      demand_types=("floor_space", "energy")))
    events += [
        match_proposed(at("2025-03-01"), case_id=k[1], origin="oost", regions=("zuid", "oost")),
        match_proposed(at("2025-04-05"), case_id=k[2], origin="oost", regions=("zuid",)),
        match_proposed(at("2025-05-01"), case_id=k[3], origin="west", regions=("zuid", "west")),
        match_proposed(at("2025-06-20"), case_id=k[4], origin="zuid", regions=("oost",),
                       blocking={"zuid": ["grid_capacity"]}),
        match_proposed(at("2025-10-01"), case_id=k[5], origin="oost", regions=(),
                       blocking={"oost": ["cleanroom"], "zuid": ["grid_capacity"], "west": ["grid_capacity"]}),
        match_proposed(at("2025-11-01"), case_id=k[6], origin="noord", regions=("noord",)),
        realised(at("2025-11-15"), case_id=k[1], origin="oost", destination="zuid", investment=100e6,
                 new_scale_up=True),
        case_closed(at("2025-11-15"), case_id=k[1], outcome="relocated", origin="oost"),
        realised(at("2026-01-20"), case_id=k[2], origin="oost", destination="zuid", investment=150e6,
                 status="verified", new_scale_up=True),
        case_closed(at("2026-01-20"), case_id=k[2], outcome="relocated", origin="oost"),
        realised(at("2026-03-02"), case_id=k[3], origin="west", destination="zuid", investment=80e6),
        case_closed(at("2026-03-02"), case_id=k[3], outcome="relocated", origin="west"),
        realised(at("2026-05-10"), case_id=k[4], origin="zuid", destination="oost", investment=120e6,
                 status="verified"),
        case_closed(at("2026-05-10"), case_id=k[4], outcome="relocated", origin="zuid"),
        realised(at("2026-09-01"), case_id=k[6], origin="noord", destination="noord", investment=40e6),
        case_closed(at("2026-09-01"), case_id=k[6], outcome="relocated", origin="noord"),
    ]
    return events


@pytest.fixture(scope="module")
def settings(infra, run_id):
    name = f"groeiruimte_test_{run_id}_december"
    url = asyncio.run(create_database(infra.database_url, name, services=["reporting"]))
    yield ReportingSettings(database_url=url, kafka_bootstrap_servers=infra.kafka,
                            topic_prefix=f"test-{run_id}-december-{uuid.uuid4().hex[:6]}.",
                            kafka_session_timeout_ms=6000)
    asyncio.run(drop_database(infra.database_url, name))


async def publish(settings, events) -> None:
    for topic in {e.topic for e in events}:
        mine = [e for e in events if e.topic == topic]
        await produce(settings.kafka_bootstrap_servers, settings.topic(topic), [e.to_json() for e in mine],
                      keys=[e.key for e in mine])


def png(pixels) -> bytes:
    """An RGB array (height, width, 3) as PNG bytes (no imaging library needed)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def pages_as_images(pdf, folder) -> list:
    """Each PDF page as a PNG (rendered by pdfium), to look at."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    written = []
    for i in range(len(document)):
        path = folder / f"reporting-december-page-{i + 1}.png"
        bitmap = document[i].render(scale=1.3, rev_byteorder=True)
        path.write_bytes(png(bitmap.to_numpy()[:, :, :3].copy()))
        written.append(path)
    return written


@pytest.mark.timeout(240)
async def test_the_december_report_is_dutch_complete_and_discloses_by_the_policy(settings, artifacts):
    events = history()
    app = create_app(settings)
    async with app.state.runtime.running():
        await publish(settings, events)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://reporting") as http:
            async def all_counted():
                counts = (await http.get("/kpi/event-counts", headers=MINISTRY)).json()
                return sum(counts.values()) >= len(events)
            assert await eventually(all_counted, timeout=90)
            for kind, words in (("learning", "Vroeg overleg met de netbeheerder maakte het verschil: twee casussen "
                                             "vonden netcapaciteit in een andere regio."),
                                ("why_chose", "Bedrijven kozen voor een campus met een gedeelde cleanroom boven een "
                                              "eigen pand, vanwege de snelheid waarmee ze konden opschalen."),
                                ("ecosystem", "Brainport ontving drie bedrijven uit Oost en West; de brandpunten "
                                              "werken samen in één taskforce.")):
                note = await http.post("/qualitative/notes", headers=COORDINATOR,
                                       json={"kind": kind, "period": "2026-H2", "text": words})
                review = await http.post(f"/qualitative/notes/{note.json()['id']}/review", headers=COORDINATOR,
                                         json={"reviewed": True})
                assert review.status_code == 200, review.text
            impact = {r["indicator"]: r for r in (await http.get("/kpi/impact", headers=MINISTRY,
                                                                  params={"as_of": "2026-12-01"})).json()}
    assert impact["leads_in_portfolio"]["value"] == 8 and impact["cases_in_execution"]["value"] == 6
    assert impact["realised_other_region"]["value"] == 4 and impact["new_scale_ups"]["value"] == 2
    assert impact["investment_retained_eur"]["band"] == {"low": 450e6, "high": 460e6}  # released 30 June 2026

    written = await write_report(settings, "2026-H2", artifacts / "reporting-december")
    page = written[0].read_text(encoding="utf-8")
    assert "Jaarverslag en voortgangsrapportage december 2026" in page and '<html lang="nl">' in page
    # As of today (in the Netherlands) while the half-year is under way: never "as of" a day still to come.
    as_of = report_date(parse_period("2026-H2"), dutch_today())
    assert f"cijfers per {format_date(as_of, format='long', locale='nl')}" in page
    for part in ("Bijlage: definities van de indicatoren", "Leereffecten van het experiment",
                 "Waarom bedrijven kozen zoals ze kozen", "Eén samenhangend ecosysteem: stromen tussen regio's",
                 "Regionale vooruitblik: vraag tegenover aanbod", "€ 450–460 mln", "Vroeg overleg met de netbeheerder"):
        assert part in page, part
    assert written[1].read_bytes().startswith(b"%PDF")
    images = pages_as_images(written[1], artifacts)
    assert len(images) >= 3
