"""The lead-signalled contract at the ROM boundary: what PostgreSQL would refuse is refused first, with its field;
fields a ROM often does not know are optional or derived; companies outside the NTS domains can be signalled."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.contracts.events import LeadSignalled
from shared.contracts.geography import PROVINCES, TABLE, municipalities, province_code, province_of_municipality
from shared.failures import describe
from tests.factories import intake_lead_payload

ROOT = Path(__file__).resolve().parents[2]
NUL_PLACES = [("data", "company", "name"), ("data", "reference"), ("data", "organisation"), ("data", "sector"),
              ("data", "contact", "role"), ("data", "demand", "capital", "description"),
              ("data", "contact", "email"), ("source",), ("subject",)]


def payload(**data) -> dict:
    raw = intake_lead_payload(contact={"role": "CFO", "email": "cfo@example.nl"}, sector="photonics",
                              leaving_risk={"likelihood": "high", "candidate_countries": ["DE"]})
    raw["data"]["demand"]["capital"] = {"facility": "shared", "description": "a cleanroom", "needed_by": "2027-01-01"}
    raw["data"].update(data)
    return raw


def errors_of(raw: dict) -> list[tuple[tuple, str]]:
    """Validated as Kafka does (bytes); [] when accepted."""
    try:
        LeadSignalled.model_validate_json(json.dumps(raw))
    except ValidationError as err:
        return [(e["loc"], e["msg"]) for e in err.errors()]
    return []


def put(raw: dict, path: tuple, value) -> dict:
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return raw


def get(raw: dict, path: tuple):
    for key in path:
        raw = raw[key]
    return raw


@pytest.mark.parametrize("path", NUL_PLACES, ids=lambda p: ".".join(map(str, p)))
def test_a_nul_character_in_any_string_is_refused_with_its_field(path):
    raw = payload()
    put(raw, path, f"{get(raw, path)[:1]}\u0000{get(raw, path)[1:]}")
    assert errors_of(raw) == [(path, "must not contain a NUL character (U+0000)")]


def test_the_poison_name_is_refused_without_quoting_it():
    raw = payload()
    raw["data"]["company"]["name"] = "Poison\u0000geheim B.V."
    with pytest.raises(ValidationError) as err:
        LeadSignalled.model_validate_json(json.dumps(raw))
    reason = describe(err.value).reason
    assert reason == "data.company.name: must not contain a NUL character (U+0000)"
    assert "Poison" not in reason and raw["data"]["company"]["kvk_number"] not in reason


def test_an_unpaired_surrogate_from_a_json_body_is_refused():
    """Python's json (FastAPI's body parser) lets a lone surrogate through; PostgreSQL's UTF-8 does not."""
    raw = json.loads(json.dumps(payload()).replace("Testbedrijf", "Test\\ud800bedrijf"))
    with pytest.raises(ValidationError) as err:
        LeadSignalled.model_validate(raw)
    assert [e["loc"] for e in err.value.errors()] == [("data", "company", "name")]


def test_a_name_is_measured_after_normalisation():
    raw = payload()
    raw["data"]["company"]["name"] = "Ⅷ" * 200
    assert errors_of(raw) == [(("data", "company", "name"), "String should have at most 200 characters after "
                               "Unicode compatibility normalisation (NFKC); this one has 800")]
    raw["data"]["company"]["name"] = "é" * 200  # 200 either way
    assert errors_of(raw) == []


def test_the_province_follows_from_the_municipality_code():
    raw = payload()
    del raw["data"]["location"]["province"]
    assert LeadSignalled.model_validate_json(json.dumps(raw)).data.location.province == "Overijssel"
    for spelling in ("overijssel", "PV23", "Provincie Overijssel"):
        raw["data"]["location"]["province"] = spelling
        assert LeadSignalled.model_validate_json(json.dumps(raw)).data.location.province == "Overijssel"


def test_a_province_that_is_not_the_municipalitys_is_refused_with_the_field_and_reason():
    raw = payload()
    raw["data"]["location"]["province"] = "Limburg"
    assert errors_of(raw) == [(("data", "location", "province"),
                               "GM0153 lies in Overijssel (PV23): leave the province out or give that one")]
    raw["data"]["location"]["province"] = "Atlantis"
    assert errors_of(raw)[0][0] == ("data", "location", "province")


def test_a_code_that_is_no_municipality_is_refused():
    raw = payload()
    raw["data"]["location"] = {"municipality_code": "GM9999", "region": "oost"}
    assert [loc for loc, _ in errors_of(raw)] == [("data", "location", "municipality_code")]


def test_other_services_events_always_carry_the_province():
    raw = payload()
    del raw["data"]["location"]["province"]
    location = LeadSignalled.model_validate_json(json.dumps(raw)).data.location.as_location()
    assert location.model_dump(mode="json") == {"municipality_code": "GM0153", "province": "Overijssel",
                                                "region": "oost"}


def test_an_unknown_investment_is_none_never_zero():
    raw = payload()
    del raw["data"]["investment_eur"]
    assert LeadSignalled.model_validate_json(json.dumps(raw)).data.investment_eur is None
    raw["data"]["investment_eur"] = 0
    assert LeadSignalled.model_validate_json(json.dumps(raw)).data.investment_eur == 0
    defs = LeadSignalled.model_json_schema()["$defs"]
    assert not {"investment_eur", "technology_domains"} & set(defs["LeadSignalledData"]["required"])
    assert "province" not in defs["SignalledLocation"]["required"]


def test_a_company_outside_every_technology_domain_can_be_signalled_with_its_sector():
    assert errors_of(payload(technology_domains=[], sector="retail")) == []
    assert errors_of(payload(technology_domains=[], sector=None)) == [
        (("data", "sector"), "give the company's sector: technology_domains is empty")]
    assert errors_of(payload(technology_domains=["strategic-autonomy"], sector="space industry")) == []
    assert [loc for loc, _ in errors_of(payload(technology_domains=["strategic-autonomy"], sector=None))] == [
        ("data", "sector")]


def test_the_municipality_table_is_cbs_shaped_and_complete():
    with TABLE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["GemeentecodeGM", "Gemeentenaam", "ProvinciecodePV", "Provincienaam"]
    assert len(municipalities()) == len(rows) == 342
    assert {r["ProvinciecodePV"] for r in rows} == set(PROVINCES)
    assert all(PROVINCES[r["ProvinciecodePV"]] == r["Provincienaam"] for r in rows)


def test_the_repositorys_own_places_agree_with_the_municipality_table():
    """The notifications directory and the matching catalogue name municipalities with their provinces."""
    recipients = json.loads((ROOT / "services/notifications/data/recipients.json").read_text())["recipients"]
    sites = json.loads((ROOT / "services/matching/data/sites.json").read_text())
    sites = sites["sites"] if isinstance(sites, dict) else sites
    pairs = [(r["code"], r["province"]) for r in recipients if r["kind"] == "municipality"]
    pairs += [(s["municipality_code"], s["province"]) for s in sites]
    assert len(pairs) > 20
    assert [(code, p) for code, p in pairs if province_of_municipality(code) != province_code(p)] == []


def test_a_stored_lead_stays_readable_after_its_municipality_merged_away(monkeypatch):
    """Municipalities merge every 1 January: a lead accepted before is read back, a new one is refused."""
    from shared.contracts import events

    stored = LeadSignalled.model_validate_json(json.dumps(payload())).data.model_dump(mode="json")
    monkeypatch.setattr(events, "province_of_municipality", lambda code: None)  # next year's table lacks it
    assert events.LeadSignalledData.from_stored(stored).location.municipality_code == "GM0153"
    with pytest.raises(ValidationError, match="municipality_code"):
        events.LeadSignalledData.model_validate(stored)


def test_the_table_is_replaced_from_cbss_file_of_the_year(tmp_path, monkeypatch):
    from shared.contracts import geography

    cbs = tmp_path / "Gemeenten alfabetisch 2027.csv"
    cbs.write_text("Gemeentecode;GemeentecodeGM;Gemeentenaam;Provinciecode;ProvinciecodePV;Provincienaam\n"
                   "153;GM0153;Enschede;23;PV23;Overijssel\n772;GM0772;Eindhoven;30;PV30;Noord-Brabant\n",
                   encoding="utf-8-sig")
    monkeypatch.setattr(geography, "TABLE", tmp_path / "gemeenten.csv")
    assert geography.main([str(cbs)]) == 0
    assert geography._read(geography.TABLE.read_text(encoding="utf-8")) == {
        "GM0772": ("Eindhoven", "PV30"), "GM0153": ("Enschede", "PV23")}
    cbs.write_text("GemeentecodeGM;Gemeentenaam;ProvinciecodePV;Provincienaam\nGM01;X;PV99;Nergens\n")
    with pytest.raises(ValueError, match="not a CBS municipality row"):
        geography.main([str(cbs)])


def test_storable_text_passes_unchanged_and_unstorable_text_is_refused_by_kind():
    from pydantic_core import PydanticCustomError

    from shared.contracts.text import storable

    assert storable("Fotonica B.V.") == "Fotonica B.V."
    with pytest.raises(PydanticCustomError) as err:
        storable("a\x00b")
    assert err.value.type == "string_nul_character"
    with pytest.raises(PydanticCustomError) as err:
        storable("a\ud800b")
    assert err.value.type == "string_unpaired_surrogate"
