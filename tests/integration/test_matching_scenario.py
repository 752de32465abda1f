"""The programme's five anonymised example cases (DOMAIN.md, section 3.6) against the illustrative reference
catalogue, on real Kafka and PostgreSQL: each gets a sensible, explained outcome."""

from __future__ import annotations

import uuid

import pytest

from deploy.databases import create_database, drop_database
from services.matching.app import create_app
from services.matching.config import MatchingSettings
from shared.contracts import MatchProposed
from tests.factories import case_opened_event
from tests.kafka import collect, eventually, produce
from tests.lifecycle import running

pytestmark = pytest.mark.integration
HOME = {"west": ("Zuid-Holland", "GM0599"), "zuid": ("Noord-Brabant", "GM0772"), "midden": ("Flevoland", "GM0034")}

CASES = {
    # 1. Maritime manufacturer: homes built in its environmental zone block growth on site.
    "maritime": ("west", ("mechatronics-optomechatronics", "strategic-defence"), {
        "floor_space": {"floor_space_m2": 15_000, "environmental_category": "4.2", "needed_by": "2027-09-01"},
        "energy": {"grid_connection_mw": 4, "needed_by": "2027-09-01"},
        "housing": {"staff_to_house": 40, "transport_needs": ["port", "motorway"], "needed_by": "2028-01-01"}}),
    # 2. Microchip scale-up: no space to scale in its dense region.
    "microchip": ("zuid", ("semiconductor-technologies",), {
        "floor_space": {"floor_space_m2": 6_000, "cleanroom_iso_class": 5, "cleanroom_m2": 600,
                        "vibration_free": True, "needed_by": "2028-01-01"},
        "capital": {"facility": "own", "needed_by": "2028-01-01"},
        "energy": {"grid_connection_mw": 3, "needed_by": "2028-01-01"},
        "talent": {"fte_hbo": 40, "fte_wo": 30, "needed_by": "2028-01-01"}}),
    # 3. Flow-meter manufacturer: no suitable talent for a new development lab in its region.
    "flow-meter": ("midden", ("mechatronics-optomechatronics", "process-technology"), {
        "floor_space": {"floor_space_m2": 1_500, "needed_by": "2027-06-01"},
        "talent": {"fte_hbo": 60, "fte_wo": 40, "needed_by": "2027-06-01"}}),
    # 4. Energy-storage scale-up: could not settle for lack of grid power.
    "energy-storage": ("zuid", ("energy-materials",), {
        "floor_space": {"floor_space_m2": 10_000, "environmental_category": "3.2", "needed_by": "2027-06-01"},
        "energy": {"grid_connection_mw": 8, "needed_by": "2027-06-01"}}),
    # 5. Multinational's R&D facility: no timely grid connection in its region.
    "multinational": ("zuid", ("optical-systems-integrated-photonics", "semiconductor-technologies",
                               "mechatronics-optomechatronics"), {
        "floor_space": {"floor_space_m2": 15_000, "cleanroom_iso_class": 7, "needed_by": "2028-12-01"},
        "energy": {"grid_connection_mw": 15, "needed_by": "2028-12-01"},
        "talent": {"fte_hbo": 50, "fte_wo": 100, "needed_by": "2028-12-01"}}),
}


@pytest.fixture(scope="module")
async def proposed(infra, run_id, topic_prefix) -> dict[str, MatchProposed]:
    """Each example case opened on Kafka against the seeded reference catalogue, and its match-proposed."""
    name = f"groeiruimte_test_{run_id}_scenario_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=["matching"])
    settings = MatchingSettings(kafka_bootstrap_servers=infra.kafka, database_url=url, kafka_session_timeout_ms=6000,
                                topic_prefix=f"{topic_prefix}scenario-{uuid.uuid4().hex[:6]}.", outbox_poll_seconds=0.5)
    app = create_app(settings)
    try:
        async with running(app.state.runtime):
            events = {label: case_opened_event(demand=demand, region=region, province=HOME[region][0],
                                               municipality_code=HOME[region][1], domains=domains)
                      for label, (region, domains, demand) in CASES.items()}
            await produce(infra.kafka, settings.topic("case-opened"), [e.to_json() for e in events.values()],
                          keys=[e.key for e in events.values()])
            by_case = await eventually(lambda: _matches(settings, len(events)), timeout=45)
            yield {label: by_case[e.data.case_id] for label, e in events.items()}
    finally:
        await drop_database(infra.database_url, name)


async def _matches(settings, count: int) -> dict:
    found = {(e := MatchProposed.from_json(r.value)).data.case_id: e
             for r in await collect(settings.kafka_bootstrap_servers, settings.topic("match-proposed"),
                                    until=count, timeout=1)}
    return found if len(found) >= count else {}


@pytest.fixture(scope="module", autouse=True)
def scenario_report(proposed, artifacts):
    """artifacts/matching-scenario.md: what a coordinator would read for each example case."""
    lines = ["# The five example cases against the ILLUSTRATIVE reference catalogue", ""]
    for label, evt in proposed.items():
        d = evt.data
        lines += [f"## {label} (origin {d.origin_region.value})", ""]
        lines += [f"{p.rank}. **{p.site_name}** ({p.region_label}, score {p.score:.2f}): " + "; ".join(p.explanations)
                  + (f" — missing: {', '.join(p.missing_data)}" if p.missing_data else "") for p in d.proposals]
        lines += [f"- near miss {n.site_name}: " + "; ".join(n.counterfactuals) for n in d.near_misses]
        lines += [f"- no option in {region}: " + "; ".join(text) for region, text in d.blocking_details.items()]
        lines.append("")
    (artifacts / "matching-scenario.md").write_text("\n".join(lines))


def ids(evt: MatchProposed) -> list[str]:
    return [p.site_id for p in evt.data.proposals]


def test_maritime_manufacturer_is_offered_heavy_industry_sites_with_port_access_own_region_first(proposed):
    data = proposed["maritime"].data
    assert ids(proposed["maritime"])[0] == "west-rdm-rotterdam" and data.proposals[0].own_region
    assert set(ids(proposed["maritime"])) <= {"west-rdm-rotterdam", "west-maasvlakte", "noord-eemshaven"}
    assert any(p.region_label == "other region" for p in data.proposals)
    assert "environmental category 4.2 were allowed" in data.near_misses[0].counterfactuals[0]


def test_microchip_scale_up_finds_an_iso5_cleanroom_in_another_region(proposed):
    data = proposed["microchip"].data
    assert ids(proposed["microchip"]) == ["oost-kennispark"] and data.proposals[0].region_label == "other region"
    assert "cleanroom: ISO 5, shared facility for ISO 5 needed" in data.proposals[0].explanations
    assert "grid_capacity" in data.blocking["zuid"]
    assert any(line.startswith("grid: 3 of 3 sites cannot deliver 3 MW") for line in data.blocking_details["zuid"])
    htc = next(n for n in data.near_misses if n.site_id == "zuid-high-tech-campus")
    assert htc.counterfactuals[0].startswith("qualifies with +2.5 MW by 2028-01")


def test_flow_meter_lab_goes_where_graduates_are_and_own_region_data_gaps_are_flagged(proposed):
    data = proposed["flow-meter"].data
    best = data.proposals[0]
    assert best.region != "midden" and best.contributions["talent"] > 0.15
    assert any(e.startswith("talent: yearly graduates") for e in best.explanations)
    own = [p for p in data.proposals if p.own_region]
    assert own, "the company's own region is shown too"
    assert all("graduate numbers unknown" in p.missing_data or "talent" in p.contributions for p in own)


def test_energy_storage_scale_up_is_proposed_where_grid_capacity_exists_by_its_need_date(proposed):
    data = proposed["energy-storage"].data
    assert {"noord-eemshaven", "midden-almere-tech"} <= set(ids(proposed["energy-storage"]))
    assert all(p.region != "zuid" for p in data.proposals)
    for p in data.proposals:
        grid = next(e for e in p.explanations if e.startswith("grid: "))
        assert float(grid.split()[1]) >= 8 and "by 2027-06-01" in grid
    assert "grid_capacity" in data.blocking["zuid"]
    assert any(line.startswith("grid: 3 of 3 sites cannot deliver 8 MW") for line in data.blocking_details["zuid"])


def test_multinational_rd_facility_gets_a_site_whose_reinforcement_is_done_in_time(proposed):
    data = proposed["multinational"].data
    assert ids(proposed["multinational"]) == ["noord-zernike"]
    assert "grid: 20 MW by 2028-12-01 for 15 MW needed (congestion: pre-congestion)" in data.proposals[0].explanations
    assert not data.no_proposition and "zuid" in data.blocking
    assert {n.site_id for n in data.near_misses} >= {"oost-kennispark"}
