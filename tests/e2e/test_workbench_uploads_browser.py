"""The upload pages and retiring a site in a real browser (Debian's chromium) on the real stack: a ROM uploads its
CSV, sees each row checked and submits the valid ones; a municipality imports its sites, sees another's row
refused, loads its own and retires one after the confirmation page (by keyboard). axe-core and screenshots as in
test_workbench_browser.py.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e import test_workbench_browser as walk
from tests.factories import random_kvk

# The walk's browser (one per module) and screenshot folder, and its helpers.
browser, shots = walk.browser, walk.shots
accessible, signed_in = walk.accessible, walk.signed_in

pytestmark = pytest.mark.e2e
LEAD_COLUMNS = ("reference,company_name,kvk_number,stage,technology_domains,municipality_code,province,region,"
                "floor_space_m2,floor_space_needed_by,consent")
SITE_COLUMNS = "id,name,region,province,municipality_code,floor_space_m2,largest_lot_m2,clusters"


def lead_row(ref: str, kvk: str) -> str:
    return f"{ref},Upload {ref} B.V.,{kvk},scale-up,quantum-technologies,GM0153,Overijssel,oost,700,2027-06-01,nda"


@pytest.mark.timeout(600)  # the first e2e test of a run starts the whole system
async def test_a_rom_uploads_its_csv_sees_every_row_checked_and_submits_the_valid_ones(browser, workbench, system,
                                                                                       shots):
    tag = uuid.uuid4().hex[:6].upper()
    good = [f"OOST-UP-{tag}-1", f"OOST-UP-{tag}-2"]
    text = "\n".join([LEAD_COLUMNS, lead_row(good[0], random_kvk()), lead_row(f"OOST-UP-{tag}-X", "12AB"),
                      lead_row(good[1], random_kvk())])
    page = await signed_in(browser, workbench, "anna")
    await page.get_by_role("link", name="Leads uploaden (CSV)").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Leads uploaden")
    await accessible(page, shots, "leads-upload")
    await page.get_by_label("Bestand").set_input_files(
        files=[{"name": "crm-export.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    await page.get_by_role("button", name="Bestand controleren").click()
    await expect(page.get_by_role("heading", name="Controleer voor het indienen")).to_be_visible()
    refused = page.get_by_role("row").filter(has_text=f"OOST-UP-{tag}-X")
    await expect(refused).to_contain_text("Niet geldig")
    await expect(refused).to_contain_text("Een KvK-nummer heeft 8 cijfers")
    await accessible(page, shots, "leads-upload-preview")
    async with httpx.AsyncClient(timeout=30) as client:  # nothing submitted yet
        listed = (await client.get(f"{system.url('intake')}/leads", params={"limit": 1000},
                                   headers={"Authorization": "Bearer dev-oost"})).json()
    assert not {lead["reference"] for lead in listed} & set(good)

    await page.get_by_role("button", name="De 2 geldige rijen indienen").click()
    await expect(page.get_by_role("status")).to_contain_text("2 rijen ingediend als leads van oost-nl")
    await accessible(page, shots, "leads-upload-done")
    await page.get_by_role("link", name=good[0]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Lead {good[0]}")

    await page.goto(f"{workbench.url}/leads/upload?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Upload leads")
    await accessible(page, shots, "leads-upload-en")
    await page.context.close()


async def test_a_municipality_imports_its_sites_and_retires_one_with_the_keyboard(browser, workbench, shots):
    sid = f"enschede-upload-{uuid.uuid4().hex[:6]}"
    text = "\n".join([SITE_COLUMNS,
                      f"{sid},Uploadpark {sid[-6:]},oost,Overijssel,GM0153,400,300,quantum-technologies",
                      f"elders-{sid[-6:]},Elders,zuid,Noord-Brabant,GM0772,400,300,quantum-technologies"])
    page = await signed_in(browser, workbench, "enschede")
    await page.get_by_role("link", name="Locaties importeren (CSV of GeoJSON)").click()
    await accessible(page, shots, "sites-import")
    await page.get_by_label("Bestand").set_input_files(
        files=[{"name": "register.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    await page.get_by_role("button", name="Bestand controleren").click()
    await expect(page.get_by_role("heading", name="Controleer voor het laden")).to_be_visible()
    # Another municipality's site is refused on its row, in Dutch, naming where it would lie.
    elsewhere = page.get_by_role("row").filter(has_text=f"elders-{sid[-6:]}")
    await expect(elsewhere).to_contain_text("Niet geldig")
    await expect(elsewhere).to_contain_text("Eindhoven (Noord-Brabant)")
    await accessible(page, shots, "sites-import-preview")
    await page.get_by_role("button", name="De gewijzigde locatie laden").click()
    await expect(page.get_by_role("status")).to_contain_text("1 rij geladen. 1 rij niet geladen.")
    await accessible(page, shots, "sites-import-done")

    await page.get_by_role("link", name=sid).click()
    await page.get_by_role("link", name="Deze locatie buiten gebruik stellen…").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("buiten gebruik stellen")
    await accessible(page, shots, "site-retire")
    await page.get_by_role("button", name="Locatie buiten gebruik stellen").click()  # no reason: refused
    await expect(page.locator("#reason-error")).to_contain_text("Geef aan waarom")
    await expect(page.get_by_label("Reden")).to_have_attribute("aria-invalid", "true")
    await accessible(page, shots, "site-retire-error")
    await page.get_by_label("Reden").focus()
    await page.keyboard.type("Volledig verhuurd")
    await page.keyboard.press("Tab")
    assert (await page.evaluate("document.activeElement.textContent")).strip() == "Locatie buiten gebruik stellen"
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("De locatie is buiten gebruik gesteld")
    await expect(page.locator(".facts")).to_contain_text("nooit meer voorgesteld")
    await accessible(page, shots, "site-retired")
    await page.context.close()
