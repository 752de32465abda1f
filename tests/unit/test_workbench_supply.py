"""The workbench's supply pages: the catalogue filtered onto a map and a table, and a site's edit form."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.requests import Request

from services.workbench import supply
from services.workbench.config import WorkbenchSettings
from services.workbench.render import Pages
from services.workbench.security import Csrf, Person

SVG = "{http://www.w3.org/2000/svg}"
SITES = json.loads((Path(__file__).resolve().parents[2] / "services" / "matching" / "data" / "sites.json")
                   .read_text())["sites"]
ENSCHEDE = next(s for s in SITES if s["municipality_code"] == "GM0153")


def _svg(view) -> ET.Element:
    return ET.fromstring(view.svg)


def matching_answer(sites: list[dict], *, kept: int | None = None, counts: dict | None = None,
                    total: int = 100) -> dict:
    """matching's GET /sites/catalogue answer (matching filters and pages; tests/integration has that part)."""
    per = counts or {}
    if counts is None:
        for site in sites:
            per[site["municipality_code"]] = per.get(site["municipality_code"], 0) + 1
    return {"total": total, "kept": len(sites) if kept is None else kept, "per_municipality": per, "sites": sites}


def test_a_page_of_few_sites_numbers_the_map_as_the_table():
    overijssel = sorted((s for s in SITES if s["province"] == "Overijssel"), key=lambda s: s["name"].casefold())
    filters = supply.SiteFilters(province="PV23")
    shown = supply.catalogue(matching_answer(overijssel), filters, page=1, english=False, title="t", description="d")
    assert shown.total == 100 and shown.sites == overijssel and shown.pages == 1
    numbers = [g.find(f"{SVG}text").text for g in _svg(shown.map).iter(f"{SVG}g")
               if g.get("class") == "marker marker-site"]
    assert sorted(numbers, key=int) == [str(n) for n in range(1, len(shown.sites) + 1)]
    assert [row[1] for row in _rows(shown.map.table)] == [s["name"] for s in shown.sites]
    legend = {t.text for t in _svg(shown.map).iter(f"{SVG}text")}
    assert "locatie in het aanbod (nummer: zie de tabel)" in legend and "huidige locatie" not in legend
    assert filters.params(3) == {"province": "PV23", "limit": supply.PAGE_SIZE, "offset": 2 * supply.PAGE_SIZE}


def _rows(table: str) -> list[list[str]]:
    return [[td.text for td in row] for row in ET.fromstring(table).findall("./tbody/tr")]


def test_a_large_catalogue_is_counted_per_municipality_on_the_map():
    many = [dict(ENSCHEDE, id=f"s{n}", name=f"Site {n}") for n in range(supply.MARKED + 1)]
    shown = supply.catalogue(matching_answer(many), supply.SiteFilters(), page=1, english=False, title="t",
                             description="d")
    counts = {g.get("data-code"): g.find(f"{SVG}text").text for g in _svg(shown.map).iter(f"{SVG}g")
              if g.get("class") == "count"}
    assert counts == {"GM0153": str(supply.MARKED + 1)}


@pytest.mark.parametrize(("role", "organisation", "offered"), [
    ("coordinator", "taskforce", True), ("municipality", "GM0153", True), ("municipality", "gm0153", True),
    ("municipality", "GM0014", False), ("province", "PV23", True), ("province", "PV20", False),
    ("rom", "oost-nl", False)])
def test_the_edit_form_is_offered_to_the_coordinator_and_the_sites_own_municipality_or_province(
        role, organisation, offered):
    assert supply.may_edit(role, organisation, ENSCHEDE) is offered


def test_the_form_sends_only_what_changed_as_numbers_and_keeps_text_for_matching_to_refuse():
    site = dict(ENSCHEDE, floor_space_m2=12000.0, largest_lot_m2=None, cleanroom_m2=400.0, grid_mw_available=8.0)
    form = supply.SiteForm.from_site(site)
    assert form.values == {"floor_space_m2": "12000", "largest_lot_m2": "", "cleanroom_m2": "400",
                           "grid_mw_available": "8"}
    assert form.patch(site) == {}
    typed = supply.SiteForm.from_form({"floor_space_m2": "12.500,5", "largest_lot_m2": "3000", "cleanroom_m2": "",
                                       "grid_mw_available": "veel"})
    assert typed.patch(site) == {"floor_space_m2": 12500.5, "largest_lot_m2": 3000.0, "cleanroom_m2": None,
                                 "grid_mw_available": "veel"}
    for shown, number in (("16.500", 16500.0), ("1.234.567", 1234567.0), ("2,5", 2.5), ("8.5", 8.5), ("40", 40.0)):
        assert supply.SiteForm.from_form({"floor_space_m2": shown}).patch({})["floor_space_m2"] == number
    typed.take_errors([{"field": "grid_mw_available", "reason": "Input should be a valid number"}])
    typed.take_errors("municipality_code: GM0014 may create or move sites only within its own municipality")
    assert typed.errors == {"grid_mw_available": "Input should be a valid number",
                            "form": "municipality_code: GM0014 may create or move sites only within its own "
                                    "municipality"}


def _get(path: str) -> Request:
    return Request({"type": "http", "method": "GET", "headers": [(b"accept-language", b"nl-NL")], "path": path,
                    "query_string": b""})


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_pages_render_in_dutch_with_the_map_and_offer_the_form_only_to_an_owner():
    pages = Pages(Csrf(WorkbenchSettings()), asset_version="t")
    shown = supply.catalogue(matching_answer(SITES), supply.SiteFilters(), page=1, english=False, title="t",
                             description="d")
    mine = Person(username="ens", name="Enschede", role="municipality", organisation="GM0153")
    listing = pages.render(_get("/sites"), "sites.html.j2", person=mine, catalogue=shown, filters=supply.SiteFilters(),
                           regions=("noord", "oost"), provinces={"PV23": "Overijssel"}).body.decode()
    assert "<svg" in listing and 'role="img"' in listing and "Locaties" in _visible(listing)
    assert f'href="/sites/{ENSCHEDE["id"]}"' in listing
    site = dict(ENSCHEDE, source="reference", updated_at="2026-12-01T12:00:00+00:00")
    for person, offered in ((mine, True), (Person("gro", "Groningen", "municipality", "GM0014"), False)):
        page = pages.render(_get(f"/sites/{site['id']}"), "site.html.j2", person=person, site=site,
                            form=supply.SiteForm.from_site(site), fields=supply.EDITABLE,
                            editable=supply.may_edit(person.role, person.organisation, site), notice="",
                            provinces={}).body.decode()
        assert ('name="floor_space_m2"' in page) is offered
        assert ("Houd het aanbod actueel" in page) is offered


def test_a_later_page_numbers_its_rows_on_and_the_map_counts_every_kept_site():
    kept = 2 * supply.PAGE_SIZE + 5
    page = [dict(ENSCHEDE, id=f"s{n:04d}", name=f"Site {n:04d}") for n in range(supply.PAGE_SIZE)]
    second = supply.catalogue(matching_answer(page, kept=kept, counts={"GM0153": kept - 7, "GM0014": 7}),
                              supply.SiteFilters(), page=2, english=False, title="t", description="d")
    assert (second.kept, second.pages, second.page, second.offset) == (kept, 3, 2, supply.PAGE_SIZE)
    counts = {g.get("data-code"): g.find(f"{SVG}text").text for g in _svg(second.map).iter(f"{SVG}g")
              if g.get("class") == "count"}
    assert counts == {"GM0153": str(kept - 7), "GM0014": "7"}
    pages = Pages(Csrf(WorkbenchSettings()), asset_version="t")
    html = pages.render(_get("/sites"), "sites.html.j2", person=Person("c", "C", "coordinator", "taskforce"),
                        catalogue=second, filters=supply.SiteFilters(), regions=("oost",),
                        provinces={"PV23": "Overijssel"}).body.decode()
    assert '<td class="num">101</td>' in html and 'rel="prev"' in html and 'rel="next"' in html
    assert "pagina 2 van 3" in html
