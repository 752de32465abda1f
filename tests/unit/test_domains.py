"""Pure logic of the four services (no I/O)."""

from datetime import date, timedelta

from services.intake import domain as intake
from services.matching import domain as matching
from services.matching.repository import reference_sites
from services.notifications import domain as notifications
from services.notifications.config import NotificationsSettings
from shared.contracts import CaseOpenedData, MatchProposedData
from tests.factories import demand, lead_event


def case_for(lead=None, **overrides) -> CaseOpenedData:
    lead = (lead or lead_event(**overrides)).data
    lid = intake.lead_id(lead.organisation, lead.reference)
    cid = intake.case_id(lid)
    return CaseOpenedData(case_id=cid, lead_id=lid, code_name=intake.code_name(cid), organisation=lead.organisation,
                          company_ref=intake.company_ref(lead.company.kvk_number, b"k"), stage=lead.stage,
                          technology_domains=lead.technology_domains, origin=lead.location, demand=lead.demand,
                          investment_eur=lead.investment_eur, investment_status=lead.investment_status,
                          signalled_at="2026-11-30T09:00:00+00:00")


def sites() -> list[matching.Site]:
    return [matching.Site(**{**s, "clusters": frozenset(s["clusters"])}) for s in reference_sites()]


def test_same_organisation_and_reference_is_the_same_lead():
    assert intake.lead_id("oost-nl", "A-1") == intake.lead_id("oost-nl", "A-1")
    assert intake.lead_id("oost-nl", "A-1") != intake.lead_id("bom", "A-1")


def test_company_ref_is_keyed_and_hides_the_kvk_number():
    ref = intake.company_ref("12345678", b"secret")
    assert "12345678" not in ref and len(ref) == 64
    assert ref != intake.company_ref("12345678", b"other-key")


def test_triage_keeps_leads_beyond_the_horizon_in_portfolio():
    today = date(2026, 11, 30)
    soon = lead_event(demand=demand(floor_space_m2=100, needed_by="2028-01-01")).data
    late = lead_event(demand=demand(floor_space_m2=100, needed_by="2031-01-01")).data
    assert intake.triage(soon, today=today).eligible
    verdict = intake.triage(late, today=today)
    assert not verdict.eligible and "horizon" in verdict.reason


def test_matching_enforces_grid_capacity_and_explains_blocks():
    need = (date.today() + timedelta(days=300)).isoformat()
    case = case_for(demand=demand(floor_space_m2=5000, grid_connection_mw=10, needed_by=need))
    proposals, blocking = matching.propose(case, sites(), matching.Weights(), top_n=5)
    assert proposals and all(p.site_id in {"noord-eemshaven", "midden-almere-tech"} for p in proposals)
    assert any("grid" in reason for reason in blocking["zuid"])


def test_matching_ranks_cluster_fit_and_labels_own_region():
    case = case_for()
    proposals, _ = matching.propose(case, sites(), matching.Weights(), top_n=3)
    assert [p.rank for p in proposals] == [1, 2, 3]
    assert proposals == sorted(proposals, key=lambda p: -p.score)
    assert proposals[0].site_id == "oost-kennispark" and proposals[0].own_region
    assert abs(sum(proposals[0].contributions.values()) - proposals[0].score) < 1e-3


def test_no_site_anywhere_is_a_no_proposition():
    case = case_for(demand=demand(floor_space_m2=10**7, needed_by="2027-01-01"))
    proposals, blocking = matching.propose(case, sites(), matching.Weights(), top_n=5)
    assert proposals == [] and set(blocking) == {"noord", "oost", "zuid", "west", "midden"}


def test_mails_go_to_proposed_municipalities_without_company_identity():
    lead = lead_event()
    case = case_for(lead)
    proposals, _ = matching.propose(case, sites(), matching.Weights(), top_n=5)
    data = MatchProposedData(case_id=case.case_id, code_name=case.code_name,
                             technology_domains=case.technology_domains, origin_region=case.origin.region,
                             proposals=tuple(proposals), no_proposition=False)
    settings = NotificationsSettings()
    mails = notifications.mails_for_proposal(data, notifications.load_directory(settings.recipients_file),
                                             notifications.templates(settings.templates_dir))
    assert {m.recipient.code for m in mails} == {p.municipality_code for p in proposals}
    for mail in mails:
        assert case.code_name in mail.subject
        for text in (mail.text, mail.html, mail.subject):
            assert lead.data.company.name not in text and lead.data.company.kvk_number not in text


def test_message_id_is_deterministic_and_backoff_grows_to_a_cap():
    assert notifications.message_id("e", "a@b", "t") == notifications.message_id("e", "a@b", "t")
    assert [notifications.backoff(n, 2, 10) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
