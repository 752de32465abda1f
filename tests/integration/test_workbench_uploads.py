"""Uploads with a preview and retiring a site, through the real intake and matching services on real PostgreSQL and
Kafka: a ROM's CSV of leads and a municipality's file of sites are checked row by row with nothing written, loaded
only on confirmation and only as what the person may; another's site cannot be retired; no CSRF token, no write.

The workbench calls intake and matching over HTTP with the person's token, as in production; the transport hands
each request to the service's own ASGI app instead of a socket.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid

import httpx
import pytest
from pydantic import SecretStr

from deploy.databases import create_database, drop_database
from services.intake.app import create_app as intake_app
from services.intake.config import IntakeSettings
from services.matching.app import create_app as matching_app
from services.matching.config import MatchingSettings
from services.workbench import accounts, repository
from services.workbench.app import create_app as workbench_app
from services.workbench.config import WorkbenchSettings
from tests.factories import random_kvk
from tests.lifecycle import running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
PASSWORD = "a password long enough"
PEOPLE = {"anna-up": ("rom", "oost-nl"), "bert-up": ("rom", "bom"), "marit-up": ("coordinator", "taskforce"),
          "gemma-up": ("municipality", "GM0153")}
COORD = {"Authorization": "Bearer coord"}
COLUMNS = ("reference,company_name,kvk_number,stage,technology_domains,municipality_code,province,region,"
           "investment_eur,floor_space_m2,floor_space_needed_by,consent")
SITE_COLUMNS = "id,name,region,province,municipality_code,floor_space_m2,largest_lot_m2,clusters"


def lead_row(ref: str, *, kvk: str | None = None, m2: str = "800") -> str:
    return (f"{ref},Kwantum {ref} B.V.,{kvk or random_kvk()},scale-up,quantum-technologies,GM0153,Overijssel,oost,"
            f"2500000,{m2},2027-06-01,nda")


def site_row(sid: str, *, municipality: str = "GM0153", province: str = "Overijssel", region: str = "oost",
             m2: str = "9000") -> str:
    return f"{sid},Park {sid},{region},{province},{municipality},{m2},5000,semiconductor-technologies"


class Services(httpx.AsyncBaseTransport):
    """Each service's requests to its own ASGI app (by host name)."""

    def __init__(self, **apps) -> None:
        self.transports = {name: httpx.ASGITransport(app) for name, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transports[request.url.host].handle_async_request(request)


@pytest.fixture(scope="module")
async def intake(service_env, topic_prefix):
    settings = IntakeSettings(kafka_bootstrap_servers=service_env["KAFKA_BOOTSTRAP_SERVERS"],
                              database_url=service_env["DATABASE_URL"], kafka_session_timeout_ms=6000,
                              topic_prefix=f"{topic_prefix}wb-up-{uuid.uuid4().hex[:6]}.")
    app = intake_app(settings)
    async with running(app.state.runtime):
        yield app


@pytest.fixture(scope="module")
async def matching(infra, run_id, topic_prefix):
    # A database of its own: the sites loaded here touch no other module's catalogue.
    name = f"groeiruimte_test_{run_id}_wbup_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=["matching"])
    settings = MatchingSettings(kafka_bootstrap_servers=infra.kafka, database_url=url, kafka_session_timeout_ms=6000,
                                topic_prefix=f"{topic_prefix}wb-up-m-{uuid.uuid4().hex[:6]}.",
                                load_reference_sites=False, api_tokens=SecretStr("coord:taskforce:coordinator"),
                                outbox_poll_seconds=0.5)
    app = matching_app(settings)
    try:
        async with running(app.state.runtime):
            yield app
    finally:
        await drop_database(infra.database_url, name)


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("uploads") / "accounts.json"
    for username, (role, organisation) in PEOPLE.items():
        accounts.create(path, username=username, name=username.title(), role=role, organisation=organisation,
                        password=PASSWORD)
    return path


@pytest.fixture
async def app(database_url, accounts_file, intake, matching):
    settings = WorkbenchSettings(database_url=database_url, accounts_file=accounts_file,
                                 intake_url="http://intake", matching_url="http://matching")
    app = workbench_app(settings)
    deps = app.state.deps
    await deps.upstream.client.aclose()
    deps.upstream.client = httpx.AsyncClient(transport=Services(intake=intake, matching=matching))
    yield app
    await deps.upstream.client.aclose()
    await deps.close()


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def hidden(page: str, name: str) -> str:
    import html
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


@contextlib.asynccontextmanager
async def signed_in(app, username: str):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workbench") as browser:
        token = token_in((await browser.get("/sign-in")).text)
        answer = await browser.post("/sign-in", data={"username": username, "password": PASSWORD,
                                                      "csrf_token": token})
        assert answer.status_code == 303, answer.text
        yield browser


async def upload(browser, path: str, content: str, filename: str) -> httpx.Response:
    token = token_in((await browser.get(path)).text)
    return await browser.post(path, data={"csrf_token": token}, files={"file": (filename, content.encode())})


async def own_leads(intake, organisation: str) -> set[str]:
    """The references intake holds for this organisation (read through intake's own API, as that ROM)."""
    from shared.auth import issue_person_token
    from shared.settings import DEV_PERSON_TOKEN_SECRET
    token = issue_person_token(DEV_PERSON_TOKEN_SECRET, person="check", organisation=organisation, role="rom",
                               audience="intake")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(intake), base_url="http://intake") as client:
        answer = await client.get("/leads", params={"limit": 1000}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return {lead["reference"] for lead in answer.json()}


async def site_of(matching, site_id: str) -> dict | None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(matching), base_url="http://matching") as client:
        answer = await client.get(f"/sites/{site_id}", headers=COORD)
    return answer.json() if answer.status_code == 200 else None


async def trail(app, username: str) -> list[tuple[str, str]]:
    async with app.state.deps.db() as session:
        return [(r.action, r.outcome) for r in reversed(await repository.audit_trail(session, username=username))]


async def test_a_rom_sees_each_row_checked_and_only_the_valid_rows_are_submitted_on_confirmation(app, intake):
    tag = uuid.uuid4().hex[:6]
    good = [f"UP{tag}-1", f"UP{tag}-2"]
    text = "\n".join([COLUMNS, lead_row(good[0]), lead_row(f"BAD{tag}", kvk="12AB"), lead_row(good[1])])
    async with signed_in(app, "anna-up") as anna:
        preview = await upload(anna, "/leads/upload", text, "crm.csv")
        assert preview.status_code == 200, preview.text
        page = preview.text
        assert "Controleer voor het indienen" in page and "Geldige rijen: 2 van 3" in page
        assert re.search(r"BAD" + tag + r".*?Niet geldig.*?<li>KvK-nummer: Een KvK-nummer heeft 8 cijfers",
                         page, re.S)
        assert await own_leads(intake, "oost-nl") & {*good, f"BAD{tag}"} == set()  # the preview wrote nothing

        assert (await anna.post("/leads/upload/confirm", data={"content": text})).status_code == 403  # no CSRF
        assert await own_leads(intake, "oost-nl") & set(good) == set()

        done = await anna.post("/leads/upload/confirm", data={"csrf_token": token_in(page),
                                                              "content": hidden(page, "content")})
        assert done.status_code == 200 and "2 rijen ingediend als leads van oost-nl." in done.text
        assert "1 rij niet ingediend." in done.text  # one row: singular
        assert await own_leads(intake, "oost-nl") >= set(good)
        assert f"BAD{tag}" not in await own_leads(intake, "oost-nl")
        lead_link = re.search(r'href="(/leads/[0-9a-f-]{36})"', done.text).group(1)
    assert await own_leads(intake, "bom") & set(good) == set()  # another ROM holds none of them ...
    async with signed_in(app, "bert-up") as bert:
        assert (await bert.get(lead_link)).status_code == 404  # ... and cannot open them
    assert await trail(app, "anna-up") == [("sign-in", "done"), ("leads-previewed", "done"),
                                           ("leads-uploaded", "done")]


async def test_a_file_the_service_cannot_read_is_said_beside_the_field_and_others_may_not_upload_leads(app):
    async with signed_in(app, "anna-up") as anna:
        missing = await upload(anna, "/leads/upload", "reference,company_name\nR-1,X B.V.\n", "crm.csv")
        assert missing.status_code == 422 and 'id="file-error"' in missing.text and "kvk_number" in missing.text
        empty = await upload(anna, "/leads/upload", "", "crm.csv")
        assert empty.status_code == 422 and "Kies een bestand" in empty.text
    for who in ("marit-up", "gemma-up"):
        async with signed_in(app, who) as other:
            assert (await other.get("/leads/upload")).status_code == 403


async def test_a_municipality_imports_only_its_own_sites_after_the_preview(app, matching):
    tag = uuid.uuid4().hex[:6]
    own, elsewhere, bad = f"eigen-{tag}", f"elders-{tag}", f"fout-{tag}"
    text = "\n".join([SITE_COLUMNS, site_row(own), site_row(elsewhere, municipality="GM0772",
                                                             province="Noord-Brabant", region="zuid"),
                      site_row(bad, m2="veel")])
    async with signed_in(app, "gemma-up") as gemma:
        preview = await upload(gemma, "/sites/import", text, "register.csv")
        assert preview.status_code == 200, preview.text
        page = preview.text
        assert "Geldige rijen: 1 van 3" in page and "2 rijen zijn niet geldig" in page
        assert re.search(elsewhere + r".*?Niet geldig.*?<li>Gemeente \(CBS-code\): ", page, re.S)
        assert re.search(bad + r".*?Niet geldig.*?<li>Vloeroppervlak \(m²\): ", page, re.S)
        assert [await site_of(matching, s) for s in (own, elsewhere, bad)] == [None, None, None]  # nothing written

        form = {"content": hidden(page, "content"), "format": hidden(page, "format")}
        assert (await gemma.post("/sites/import/confirm", data=form)).status_code == 403  # no CSRF token
        assert await site_of(matching, own) is None
        done = await gemma.post("/sites/import/confirm", data=form | {"csrf_token": token_in(page)})
        assert done.status_code == 200 and "1 rij geladen. 2 rijen niet geladen." in done.text
    assert (await site_of(matching, own))["municipality_code"] == "GM0153"
    assert await site_of(matching, elsewhere) is None and await site_of(matching, bad) is None
    async with signed_in(app, "anna-up") as anna:
        assert (await anna.get("/sites/import")).status_code == 403  # a ROM imports no sites


async def test_the_coordinator_imports_geojson(app, matching):
    sid = f"geo-{uuid.uuid4().hex[:6]}"
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.89, 52.22]},
         "properties": {"id": sid, "name": "Geo Park", "region": "oost", "province": "Overijssel",
                        "municipality_code": "GM0153", "floor_space_m2": 4000}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": "nowhere"}, "properties": {"id": "x-1"}}]}
    async with signed_in(app, "marit-up") as marit:
        preview = await upload(marit, "/sites/import", json.dumps(doc), "parks.geojson")
        assert preview.status_code == 200 and "Geldige rijen: 1 van 2" in preview.text
        assert await site_of(matching, sid) is None
        page = preview.text
        done = await marit.post("/sites/import/confirm", data={"csrf_token": token_in(page), "format": "geojson",
                                                               "content": hidden(page, "content")})
        assert done.status_code == 200, done.text
    assert (await site_of(matching, sid))["latitude"] == pytest.approx(52.22)


async def test_a_site_is_retired_after_confirmation_only_by_its_own_municipality_or_the_coordinator(app, matching):
    tag = uuid.uuid4().hex[:6]
    own, other = f"ret-{tag}", f"ret-elders-{tag}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(matching), base_url="http://matching") as client:
        for sid, municipality, province, region in ((own, "GM0153", "Overijssel", "oost"),
                                                    (other, "GM0772", "Noord-Brabant", "zuid")):
            body = {"id": sid, "name": f"Park {sid}", "region": region, "province": province,
                    "municipality_code": municipality, "floor_space_m2": 5000}
            assert (await client.put(f"/sites/{sid}", json=body, headers=COORD)).status_code == 200
    async with signed_in(app, "gemma-up") as gemma:
        site_page = (await gemma.get(f"/sites/{own}")).text
        assert f'href="/sites/{own}/retire"' in site_page
        confirm = await gemma.get(f"/sites/{own}/retire")
        assert confirm.status_code == 200 and "buiten gebruik stellen" in confirm.text
        token = token_in(confirm.text)
        assert (await gemma.post(f"/sites/{own}/retire", data={"reason": "verhuurd"})).status_code == 403  # no CSRF
        empty = await gemma.post(f"/sites/{own}/retire", data={"csrf_token": token, "reason": " "})
        assert empty.status_code == 422 and 'id="reason-error"' in empty.text
        assert not (await site_of(matching, own))["retired"]
        refused = await gemma.post(f"/sites/{other}/retire", data={"csrf_token": token, "reason": "weg"})
        assert refused.status_code == 403 and not (await site_of(matching, other))["retired"]
        done = await gemma.post(f"/sites/{own}/retire", data={"csrf_token": token, "reason": "volledig verhuurd"})
        assert done.status_code == 303 and done.headers["location"] == f"/sites/{own}?notice=site-retired"
    assert (await site_of(matching, own))["retired"]
    assert ("site-retired", "refused") in await trail(app, "gemma-up")


async def test_the_catalogue_page_is_filtered_counted_and_paged_by_matching(app, matching):
    tag = uuid.uuid4().hex[:6]
    sites = [(f"cat-a-{tag}", f"Aa Kennispark {tag}", "GM0153", "Overijssel", "oost"),
             (f"cat-b-{tag}", f"Bb Kennispark {tag}", "GM0153", "Overijssel", "oost"),
             (f"cat-c-{tag}", f"Cc Kennispark {tag}", "GM0772", "Noord-Brabant", "zuid"),
             (f"cat-d-{tag}", f"Dd Kennispark {tag}", "GM0153", "Overijssel", "oost")]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(matching), base_url="http://matching") as client:
        for sid, name, municipality, province, region in sites:
            body = {"id": sid, "name": name, "region": region, "province": province,
                    "municipality_code": municipality, "floor_space_m2": 5000}
            assert (await client.put(f"/sites/{sid}", json=body, headers=COORD)).status_code == 200
        retired = await client.post(f"/sites/{sites[3][0]}/retire", json={"reason": "weg"}, headers=COORD)
        assert retired.status_code == 200

        async def page(**params) -> dict:
            answer = await client.get("/sites/catalogue", params=params, headers=COORD)
            assert answer.status_code == 200, answer.text
            return answer.json()

        everything = await page(q=f"kennispark {tag}")  # any case; the retired one is left out
        assert [s["id"] for s in everything["sites"]] == [s[0] for s in sites[:3]]
        assert everything["kept"] == 3 and everything["per_municipality"] == {"GM0153": 2, "GM0772": 1}
        overijssel = await page(q=tag, province="PV23", limit=1, offset=1)
        assert overijssel["kept"] == 2 and [s["id"] for s in overijssel["sites"]] == [sites[1][0]]
        assert (await page(q=tag, region="zuid"))["per_municipality"] == {"GM0772": 1}
        assert (await page(q="%"))["kept"] == 0  # a LIKE wildcard is a character like any other
    async with signed_in(app, "gemma-up") as gemma:
        shown = await gemma.get("/sites", params={"q": tag, "province": "PV23"})
        assert shown.status_code == 200 and "2 van" in shown.text and sites[1][1] in shown.text
        assert sites[2][1] not in shown.text
