"""Inputs the fuzzer found answered 500 each answer a 422 naming the field and the reason (real PostgreSQL).

The apps run without their Kafka lifespan: these requests touch only the database (if they get that far).
"""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import insert

from services.intake.app import create_app as intake_app
from services.intake.config import IntakeSettings
from services.matching.app import create_app as matching_app
from services.matching.config import MatchingSettings
from services.notifications.app import create_app as notifications_app
from services.notifications.config import NotificationsSettings
from services.notifications.orm import recipient as recipient_table
from services.reporting.app import create_app as reporting_app
from services.reporting.config import ReportingSettings

pytestmark = pytest.mark.integration
TOKENS = "rom:oost-nl:rom,coord:taskforce:coordinator,min:ministry:ministry"
ROM, COORDINATOR, MINISTRY = ({"Authorization": f"Bearer {t}"} for t in ("rom", "coord", "min"))
BEYOND_64_BITS = "99999999999999999999"
APPS = {"intake": (intake_app, IntakeSettings), "matching": (matching_app, MatchingSettings),
        "notifications": (notifications_app, NotificationsSettings), "reporting": (reporting_app, ReportingSettings)}


@pytest.fixture(scope="module")
def apps(service_env):
    made = {}
    for name, (create, settings) in APPS.items():
        made[name] = create(settings(database_url=service_env["DATABASE_URL"], api_tokens=SecretStr(TOKENS),
                                     kafka_bootstrap_servers=service_env["KAFKA_BOOTSTRAP_SERVERS"]))
    yield made


@pytest.fixture
async def call(apps):
    clients = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{name}")
               for name, app in apps.items()}
    yield clients
    for client in clients.values():
        await client.aclose()


def rejected(response: httpx.Response, field: str) -> str:
    """The reason given for `field` in a 422 of the documented shape."""
    assert response.status_code == 422, (response.status_code, response.text)
    found = {e["field"]: e["reason"] for e in response.json()["detail"]}
    assert field in found, found
    assert found[field]
    return found[field]


@pytest.mark.parametrize(("service", "path", "field"), [
    ("matching", "/sites?region=%00", "region"),
    ("notifications", "/recipients?kind=%00", "kind"),
    ("notifications", "/deliveries?recipient=GM%000153", "recipient"),
    ("notifications", "/recipients/GM%000153", "code"),
    ("matching", "/sites/oost%00", "site_id"),
])
async def test_a_nul_character_in_a_query_or_path_is_a_422(call, service, path, field):
    assert rejected(await call[service].get(path, headers=COORDINATOR), field)


@pytest.mark.parametrize(("service", "path", "field", "headers"), [
    ("notifications", f"/deliveries?offset={BEYOND_64_BITS}", "offset", COORDINATOR),
    ("notifications", "/deliveries?offset=1e25", "offset", COORDINATOR),
    ("notifications", f"/deliveries/{BEYOND_64_BITS}", "delivery_id", COORDINATOR),
    ("intake", f"/leads?offset={BEYOND_64_BITS}", "offset", ROM),
])
async def test_an_integer_beyond_64_bits_is_a_422(call, service, path, field, headers):
    assert rejected(await call[service].get(path, headers=headers), field)


async def test_a_review_id_beyond_64_bits_is_a_422(call):
    response = await call["intake"].post(f"/reviews/{BEYOND_64_BITS}/decision", headers=COORDINATOR,
                                         json={"decision": "different-companies", "note": "checked"})
    assert rejected(response, "review_id")


@pytest.mark.parametrize("period", ["", "2026", "2026-H3", "9999-H1"])
async def test_a_snapshot_of_no_period_is_a_422(call, period):
    response = await call["reporting"].post("/reports/snapshots", headers=COORDINATOR, json={"period": period})
    assert rejected(response, "period")


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01"])
async def test_figures_as_of_a_date_past_any_plan_are_a_422(call, as_of):
    for path in ("/kpi/figures", "/kpi/impact", "/kpi/trend", "/kpi/figures.csv"):
        assert rejected(await call["reporting"].get(path, params={"as_of": as_of}, headers=MINISTRY), "as_of")


async def test_as_of_and_period_together_name_the_field(call):
    response = await call["reporting"].get("/kpi/figures", params={"as_of": "2026-06-30", "period": "2026-H1"},
                                           headers=MINISTRY)
    assert "either" in rejected(response, "period")


async def test_a_coordinator_entry_under_a_municipality_code_is_refused_on_write(call):
    entry = {"kind": "coordinator", "name": "Taskforce", "email": "taskforce@example.nl"}
    reason = rejected(await call["notifications"].put("/recipients/GM0268", json=entry, headers=COORDINATOR), "kind")
    assert "municipality" in reason
    assert rejected(await call["notifications"].put("/recipients/PV23", json=entry | {"kind": "mirt"},
                                                    headers=COORDINATOR), "kind")
    # A name that is only one character once its spaces are trimmed was stored, then broke every read.
    assert rejected(await call["notifications"].put("/recipients/GM0268", headers=COORDINATOR, json=entry | {
        "kind": "municipality", "name": "X "}), "name")
    listed = await call["notifications"].get("/recipients", headers=COORDINATOR)
    assert listed.status_code == 200
    assert "GM0268" not in {r["code"] for r in listed.json() if r["source"] == "api"}


async def test_one_bad_row_does_not_break_the_directory_listing(apps, call):
    # A row written under older (or no) rules: a one-letter name, a coordinator kind under a municipality code.
    async with apps["notifications"].state.runtime.sessions() as session, session.begin():
        await session.execute(insert(recipient_table).values(
            code="GM1700", kind="coordinator", name="X", email="x@example.nl", language="nl", province=None,
            active=True, source="api", updated_by="an-older-version"))
    listed = await call["notifications"].get("/recipients", headers=COORDINATOR)
    assert listed.status_code == 200, listed.text
    assert "GM1700" in {r["code"] for r in listed.json()}
    assert (await call["notifications"].get("/recipients/GM1700", headers=COORDINATOR)).status_code == 200
    assert (await call["notifications"].get("/recipients?kind=coordinator", headers=COORDINATOR)).status_code == 200


@pytest.mark.parametrize(("service", "path"), [
    ("intake", "/leads"), ("matching", "/sites"), ("notifications", "/recipients"), ("reporting", "/kpi/figures")])
async def test_authentication_errors_have_the_documented_shape(call, service, path):
    missing = await call[service].get(path)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert isinstance(missing.json()["detail"], str)
    unknown = await call[service].get(path, headers={"Authorization": "Bearer nobody"})
    assert unknown.status_code == 401 and isinstance(unknown.json()["detail"], str)
    wrong_role = {"intake": COORDINATOR}.get(service, ROM if service != "matching" else MINISTRY)
    forbidden = await call[service].get(path, headers=wrong_role)
    assert forbidden.status_code == 403 and isinstance(forbidden.json()["detail"], str)


async def test_a_nul_character_in_a_note_is_a_422(call):
    # Found by the fuzz test: PostgreSQL refused the text and the route answered 500.
    note = {"kind": "learning", "period": "2026-H1", "text": "grid\x00capacity decided it"}
    assert rejected(await call["reporting"].post("/qualitative/notes", json=note, headers=COORDINATOR), "text")
