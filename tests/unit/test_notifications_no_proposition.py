"""The coordinator's "no proposition" mail explains per region, in words and in the recipient's language."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.matching import domain as matching
from services.matching.domain import Catalogue, Site, Weights
from services.matching.domain.criteria import Case
from services.notifications import domain
from services.notifications.config import NotificationsSettings
from services.notifications.domain import blocking, rules
from shared.contracts import MatchProposedData, SpaceDemand

SETTINGS = NotificationsSettings()
DIRECTORY = domain.load_directory(SETTINGS.recipients_file)
ENV = domain.templates(SETTINGS.templates_dir)
NEED = date(2027, 6, 1)
# Codes as events carry them ("availability" is also a plain word, so it is not among them).
RAW_CODES = ("floor_space", "grid_capacity", "environmental_category", "no_sites", "vibration_free")


def site(sid: str, **overrides) -> Site:
    values = dict(id=sid, name=sid.title(), region="oost", province="Overijssel", municipality_code="GM0153",
                  floor_space_m2=10_000, largest_lot_m2=6_000, cleanroom_iso_class=6, cleanroom_m2=500,
                  cleanroom_facility="shared", vibration_free=True, environmental_category_max="4.1",
                  grid_mw_available=5.0, grid_congestion="none", clusters=["semiconductor-technologies"])
    return Site.model_validate(values | overrides)


def blocked_everywhere() -> MatchProposedData:
    """A real match (matching's own domain) that fails a different hard constraint in each region."""
    demand = SpaceDemand.model_validate({
        "floor_space": {"floor_space_m2": 5_000, "cleanroom_iso_class": 5, "cleanroom_m2": 200,
                        "environmental_category": "4.2", "vibration_free": True, "needed_by": NEED},
        "energy": {"grid_connection_mw": 12.5, "needed_by": NEED}})
    sites = [site("oo", cleanroom_iso_class=5, environmental_category_max="5", grid_mw_available=1.5),
             site("ww", region="west", province="Zuid-Holland", municipality_code="GM0503", floor_space_m2=1_200,
                  cleanroom_iso_class=5, environmental_category_max="5", grid_mw_available=20.0),
             site("zz", region="zuid", province="Noord-Brabant", municipality_code="GM0772", cleanroom_iso_class=7,
                  environmental_category_max="3.1", grid_mw_available=20.0, vibration_free=False),
             site("nn", region="noord", province="Groningen", municipality_code="GM0014", cleanroom_iso_class=5,
                  environmental_category_max="5", grid_mw_available=20.0, available_from=date(2028, 3, 1))]
    case = Case(demand=demand, domains=("semiconductor-technologies",), origin_region="oost")
    result = matching.match(case, Catalogue.of(sites), Weights(), top_n=5)
    assert result.no_proposition
    return MatchProposedData.model_validate({
        "case_id": uuid.uuid4(), "code_name": "Reiger", "technology_domains": ["semiconductor-technologies"],
        "origin_region": "oost", "proposals": [], "no_proposition": True, "blocking": result.blocking,
        "blocking_details": result.blocking_details})


def coordinator_mail(data: MatchProposedData, language: str) -> domain.Mail:
    (notice,) = rules.for_proposal(data, DIRECTORY, threshold=0.5).notices
    recipient = DIRECTORY[notice.recipient].model_copy(update={"language": language})
    context = notice.context | {"code_name": data.code_name, "reply_url": None,
                                "case": domain.case_view(None, recipient, language)}
    return domain.render(ENV, notice.template, recipient, context)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_proposition_mail_shows_readable_sentences_per_region_not_codes(language):
    data = blocked_everywhere()
    mail = coordinator_mail(data, language)
    for part in (mail.text, mail.html):
        assert not [code for code in RAW_CODES if code in part], part
    if language == "en":
        for lines in data.blocking_details.values():
            for line in lines:
                assert line in mail.text
        assert "Region Oost:" in mail.text and "Region Midden:" in mail.text
        return
    assert "Regio Oost:" in mail.text and "Regio West:" in mail.html
    assert "netcapaciteit: 1 van 1 locaties kunnen geen 12,5 MW leveren per 1 juni 2027 (het meeste daar: 1,5 MW)" \
        in mail.text
    assert "vloeroppervlak: 1 van 1 locaties hebben geen 5.000 m² per 1 juni 2027" in mail.text
    assert "cleanroom: 1 van 1 locaties hebben geen cleanroom ISO 5 van 200 m²" in mail.text
    assert "milieucategorie: 1 van 1 locaties staan milieucategorie 4.2 niet toe" in mail.text
    assert "trillingsvrije vloer: 1 van 1 locaties hebben geen trillingsvrije vloer" in mail.text
    assert "beschikbaarheid: 1 van 1 locaties zijn niet beschikbaar per 1 juni 2027" in mail.text
    assert "geen locaties in de catalogus" in mail.text  # midden has none
    assert " of 1 sites" not in mail.text and " sites " not in mail.html


def test_every_sentence_matching_writes_has_a_dutch_translation():
    """Guards the coupling to matching's wording: an untranslated sentence would show in English brackets."""
    for region, lines in blocked_everywhere().blocking_details.items():
        for line in lines:
            assert "(" not in blocking.dutch(line).split(":")[0], (region, line)
            assert blocking.dutch(line) != f"belemmering ({line})", line
            assert " sites " not in blocking.dutch(line), line


def test_an_event_without_sentences_still_names_the_constraints_in_words():
    data = MatchProposedData.model_validate({
        "case_id": uuid.uuid4(), "code_name": "Reiger", "technology_domains": ["quantum-technologies"],
        "origin_region": "oost", "proposals": [], "no_proposition": True,
        "blocking": {"oost": ["grid_capacity", "floor_space"], "zuid": ["no_sites"]}})
    nl, en = coordinator_mail(data, "nl"), coordinator_mail(data, "en")
    assert "- onvoldoende netcapaciteit" in nl.text and "- onvoldoende vloeroppervlak" in nl.text
    assert "- not enough grid capacity" in en.text and "- no sites in the catalogue" in en.text
    assert not [code for code in RAW_CODES if code in nl.text + nl.html + en.text + en.html]


def test_an_unknown_wording_keeps_its_detail_under_a_dutch_name():
    assert blocking.dutch("grid: a new way to say it", "grid_capacity") == \
        "onvoldoende netcapaciteit (grid: a new way to say it)"
