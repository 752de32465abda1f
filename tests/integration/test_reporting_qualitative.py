"""The coordinator's notes against real PostgreSQL and Kafka: the review refuses a known company's name (learnt
from the keyed digest intake puts in lead-registered; reporting never reads the name), the ministry reads reviewed
notes only, the report shows them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text

from deploy.databases import create_database, drop_database
from services.reporting.app import create_app
from services.reporting.config import ReportingSettings
from services.reporting.reports import build_report, pages
from services.reporting.synthetic import lead_registered
from shared.names import name_digests
from tests.factories import lead_event
from tests.kafka import eventually, produce

pytestmark = pytest.mark.integration
MINISTRY = {"Authorization": "Bearer dev-ministry"}
COORDINATOR = {"Authorization": "Bearer dev-coordinator"}


@pytest.fixture(scope="module")
def settings(infra, run_id):
    name = f"groeiruimte_test_{run_id}_qualitative"
    url = asyncio.run(create_database(infra.database_url, name, services=["reporting"]))
    yield ReportingSettings(database_url=url, kafka_bootstrap_servers=infra.kafka,
                            topic_prefix=f"test-{run_id}-qualitative-{uuid.uuid4().hex[:6]}.",
                            kafka_session_timeout_ms=6000)
    asyncio.run(drop_database(infra.database_url, name))


@pytest.mark.timeout(120)
async def test_notes_are_reviewed_for_identities_before_the_ministry_and_the_report_see_them(settings):
    name = lead_event().data.company.name
    # What intake publishes of the company: its name's keyed digest (tests/unit/test_intake_use_cases.py).
    registered = lead_registered(datetime.now(UTC), company="c" * 64, name_digests=tuple(
        name_digests(name, settings.name_hash_key.get_secret_value().encode())))
    app = create_app(settings)
    async with app.state.runtime.running():
        await produce(settings.kafka_bootstrap_servers, settings.topic(registered.topic), [registered.to_json()],
                      keys=[registered.key])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://reporting") as http:
            async def counted():
                counts = (await http.get("/kpi/event-counts", headers=MINISTRY)).json()
                return counts["lead-registered"] == 1
            assert await eventually(counted, timeout=60)

            leaky = await http.post("/qualitative/notes", headers=COORDINATOR, json={
                "kind": "why_chose", "period": "2026-H2", "case_id": str(uuid.uuid4()),
                "text": f"{name} koos voor Brainport: netcapaciteit binnen een jaar."})
            assert leaky.status_code == 201 and leaky.json()["identity_problems"]
            refused = await http.post(f"/qualitative/notes/{leaky.json()['id']}/review", headers=COORDINATOR,
                                      json={"reviewed": True})
            assert refused.status_code == 422 and name not in refused.text
            fixed = await http.patch(f"/qualitative/notes/{leaky.json()['id']}", headers=COORDINATOR,
                                     json={"text": "Een fotonicabedrijf koos voor Brainport: netcapaciteit binnen "
                                                   "een jaar, waar de eigen regio pas in 2029 kon leveren."})
            assert fixed.status_code == 200 and not fixed.json()["identity_problems"]
            learning = await http.post("/qualitative/notes", headers=COORDINATOR, json={
                "kind": "learning", "period": "2026-H2",
                "text": "Casussen met netcongestie vragen om vroeg overleg met de netbeheerder."})
            draft = await http.post("/qualitative/notes", headers=COORDINATOR, json={
                "kind": "learning", "period": "2026-H2", "text": "Nog niet gecontroleerd concept."})
            assert (await http.get("/qualitative/notes", headers=MINISTRY)).json() == []
            for note in (fixed.json(), learning.json()):
                ok = await http.post(f"/qualitative/notes/{note['id']}/review", headers=COORDINATOR,
                                     json={"reviewed": True})
                assert ok.status_code == 200 and ok.json()["reviewed_by"] == "taskforce"
            seen = (await http.get("/qualitative/notes", headers=MINISTRY, params={"period": "2026-H2"})).json()
            assert sorted(n["scope"] for n in seen) == ["case", "half_year"]
            assert all(set(n) == {"kind", "period", "scope", "text"} for n in seen)
            assert (await http.post("/qualitative/notes", headers=MINISTRY, json={
                "kind": "learning", "period": "2026-H2", "text": "x"})).status_code == 403
            bad = await http.post("/qualitative/notes", headers=COORDINATOR, json={
                "kind": "learning", "period": "2026-07", "text": "x"})
            assert bad.status_code == 422 and "period" in bad.text

        page = await build_report(app.state.projections, "2026-H2", extras=pages.extras(app.state.projections))
        assert "Leereffecten van het experiment" in page and "vroeg overleg met de netbeheerder" in page
        assert "Waarom bedrijven kozen zoals ze kozen" in page and "Over één casus" in page
        assert draft.json()["text"] not in page and name not in page
        async with app.state.runtime.sessions() as session:
            kept = (await session.execute(text("SELECT string_agg(digest, ' ') FROM reporting.known_name"))).scalar()
        assert kept and name.split()[0].lower() not in kept
