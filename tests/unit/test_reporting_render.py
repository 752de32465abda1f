"""Dashboard and report pages: self-contained HTML with inline SVG, Dutch first, for any history (even empty)."""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from xml.etree import ElementTree as ET

import pytest
from babel.messages.pofile import read_po

from services.reporting.catalogue import messages
from services.reporting.disclosure.views import Disclosure, TrendPoint, full_view, future_points
from services.reporting.domain.facts import fact_of
from services.reporting.domain.periods import parse_period, programme_periods
from services.reporting.domain.projection import figures_from_facts
from services.reporting.i18n import Formats, catalogue_path, choose, translations
from services.reporting.render import html, svg
from services.reporting.render.labels import label
from services.reporting.synthetic import history
from shared.geo.boundaries import REGION_PROVINCES, province_at
from shared.geo.canvas import country


def computed(as_of: date, events: int, reader: str = "ministry"):
    ends = [min(p.end, as_of) for p in programme_periods() if p.start <= as_of]
    moments = [p.end for p in programme_periods() if p.end <= as_of]
    got = figures_from_facts(map(fact_of, history(events, seed=3)), [*ends, *moments, as_of])
    if reader == "coordinator":
        return full_view(got[as_of]), [TrendPoint(period=p.name, as_of=min(p.end, as_of),
                                                  impact=full_view(got[min(p.end, as_of)]).impact)
                                       for p in programme_periods() if p.start <= as_of] + future_points(as_of)
    disclosure = Disclosure({d: got[d] for d in moments})
    trend = [TrendPoint(period=p.name, as_of=min(p.end, as_of), impact=disclosure.impact(got[min(p.end, as_of)]))
             for p in programme_periods() if p.start <= as_of]
    return disclosure.publish(got[as_of]), trend + future_points(as_of)


def external_references(page: str) -> list[str]:
    """Anything the browser would fetch: src/href to another origin, CSS imports or url()s."""
    return re.findall(r'(?:src|href)="(?:https?:)?//[^"]+"|@import|url\((?!#)', page)


def visible_text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|title)>.*?</\1>", " ", page, flags=re.S))


def test_the_dashboard_is_dutch_loads_nothing_from_outside_and_draws_every_chart():
    figures, trend = computed(date(2026, 6, 30), 400)
    page = html.dashboard(figures, trend, lang="nl", csv_link="/kpi/figures.csv?as_of=2026-06-30")
    assert not external_references(page)
    assert page.count("<svg") >= 5 + 5 + 2  # progress bars, trends, map and bottlenecks
    assert "Waar leads vandaan komen en waar ze landen" in page and "30 juni 2026" in page
    assert '<html lang="nl">' in page and "Aantal leads in portefeuille (gehad)" in page


def test_every_message_has_a_dutch_translation_and_english_is_the_message_itself():
    with catalogue_path("nl").open("rb") as po:
        dutch = {m.id: m.string for m in read_po(po) if m.id and not m.fuzzy}
    assert [m for m in messages() if not dutch.get(m)] == []
    assert translations("en").gettext("Portfolio") == "Portfolio"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_both_languages_render_with_no_untranslated_string(lang):
    figures, trend = computed(date(2026, 12, 31), 300)
    page = html.report(figures, trend, parse_period("2026-H2"), lang=lang)
    text = visible_text(page)
    other = translations("nl")
    if lang == "nl":  # no English message id that has a different Dutch text may show
        leaked = [m for m in messages() if other.gettext(m) != m and len(m) > 12 and m in text]
        assert not leaked and "Jaarverslag en voortgangsrapportage december 2026" in page
        assert "31 december 2026" in page
    else:
        dutch = [other.gettext(m) for m in messages() if other.gettext(m) != m and len(other.gettext(m)) > 12]
        assert not [d for d in dutch if d in text]
        assert "Annual report and December progress report 2026" in page and "December 31, 2026" in page


def test_the_language_is_chosen_by_query_then_browser_then_dutch():
    assert choose(None, None) == "nl" and choose("en", "nl-NL") == "en"
    assert choose(None, "en-GB,en;q=0.8") == "en" and choose(None, "de-DE") == "nl"


def test_dutch_numbers_dates_and_amount_bands():
    figures, trend = computed(date(2028, 12, 31), 600)
    page = html.report(figures, trend, parse_period("2028-H2"), lang="nl")
    assert "Eindrapportage en voortgangsrapportage december 2028" in page and "Het jaar 2028" in page
    assert re.search(r"€ \d[\d.]*(,\d)?–\d[\d.]*(,\d)? mln", page), "a released amount shows as a Dutch band"
    assert "Bijlage: definities van de indicatoren" in page


def test_pages_render_before_the_programme_starts():
    figures, trend = computed(date(2024, 12, 31), 50)
    assert [t.period for t in trend] == [p.name for p in programme_periods()]
    assert all(t.future for t in trend)
    page = html.report(figures, trend, parse_period("2025-H1"), lang="nl")
    assert "Voortgangsrapportage juni 2025" in page and not external_references(page)


def test_the_coordinator_sees_exact_amounts():
    figures, trend = computed(date(2027, 12, 31), 300, reader="coordinator")
    page = html.dashboard(figures, trend, lang="nl", csv_link="x")
    assert "Weergave voor de coördinator" in page and "–" not in page.split("Impacttabel")[0][:0]


def _region_map(reader: str, lang: str = "nl"):
    figures, _ = computed(date(2026, 6, 30), 400, reader)
    fm = Formats(lang)
    groups = figures.groups
    return groups, ET.fromstring(svg.regions(groups["leads_by_origin_region"], groups["realised_flows"], fm,
                                             partial(label, gettext=fm._)))


SVG_NS = "{http://www.w3.org/2000/svg}"


def test_the_region_map_is_drawn_on_the_real_provinces_with_a_circle_inside_each_region():
    _, root = _region_map("ministry")
    assert root.get("role") == "img" and root.find(f"{SVG_NS}desc").text.startswith("Kaart van Nederland")
    provinces = {p.get("data-code") for p in root.iter(f"{SVG_NS}path") if p.get("data-code")}
    assert provinces == {f"PV{n}" for n in range(20, 32)}
    canvas = country(520)
    circles = [c for c in root.iter(f"{SVG_NS}circle") if float(c.get("r")) >= 16]
    assert len(circles) == 5
    for circle, (region, pvs) in zip(circles, REGION_PROVINCES.items(), strict=True):
        x, y = float(circle.get("cx")), float(circle.get("cy"))
        rd = (canvas.x0 + (x - canvas.margin) / canvas.scale, canvas.y1 - (y - canvas.margin) / canvas.scale)
        assert province_at(rd) in pvs, region
    assert "Grenzen: CBS, Kadaster (CC BY 4.0)" in {t.text for t in root.iter(f"{SVG_NS}text")}


def test_the_region_map_hatches_merged_regions_and_ends_each_arrow_at_the_edge_of_its_circle():
    _, ministry = _region_map("ministry")
    assert [c.get("fill") for c in ministry.iter(f"{SVG_NS}circle") if c.get("fill") == "url(#hatch)"]
    groups, root = _region_map("coordinator", "en")
    circles = {(float(c.get("cx")), float(c.get("cy"))): float(c.get("r")) for c in root.iter(f"{SVG_NS}circle")
               if float(c.get("r")) >= 16}
    arrows = [p for p in root.iter(f"{SVG_NS}path") if p.get("marker-end")]
    between = [c for c in groups["realised_flows"].cells if c.key.split(" -> ")[0] != c.key.split(" -> ")[1]]
    assert len(arrows) == len(between) > 0
    for arrow in arrows:
        end = tuple(float(v) for v in arrow.get("d").split()[-1].split(","))
        (cx, cy), r = min(circles.items(), key=lambda kv: (kv[0][0] - end[0]) ** 2 + (kv[0][1] - end[1]) ** 2)
        assert ((end[0] - cx) ** 2 + (end[1] - cy) ** 2) ** 0.5 >= r  # the arrowhead is not hidden under it
    assert "Boundaries: CBS, Kadaster (CC BY 4.0)" in {t.text for t in root.iter(f"{SVG_NS}text")}
