"""The leads in a case, as the fold takes them: each lead adds its ROM and the region it was signalled from, so
a case signalled from two regions is multi-regional; only an update of a lead changes the case's stage, domains
and demand types, not a second lead that joins it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.reporting.domain.facts import fact_of
from services.reporting.domain.projection import figures_from_facts
from services.reporting.synthetic import case_opened, lead_registered, lead_updated

START = datetime(datetime.now(UTC).year - 1, 1, 5, 12, tzinfo=UTC)  # a whole year in the past
AS_OF = date(START.year, 12, 31)


def figures(*events):
    return figures_from_facts([fact_of(e) for e in events], [AS_OF])[AS_OF]


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def values(cells: dict) -> dict:
    return {k: c.value for k, c in cells.items()}


def test_a_second_lead_from_another_region_and_rom_makes_the_case_multi_regional_and_credits_both_roms():
    case, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    got = figures(lead_registered(day(0), company="ref-a", lead_id=first, case_id=case, region="oost"),
                  case_opened(day(1), case_id=case, lead_id=first, company="ref-a", signalled_at=day(0)),
                  lead_registered(day(2), company="ref-a", lead_id=second, case_id=case, region="zuid",
                                  organisation="bom", stage="startup", domains=("quantum-technologies",),
                                  joined=True))
    assert got.ecosystem.multi_region.value == 1
    assert values(got.credit["cases_by_origin_rom"]) == {"oost-nl": 1, "bom": 1}
    assert values(got.breakdowns["cases_by_origin_region"]) == {"oost": 1}  # the case's own region stays
    # The joining lead's stage and domains are its own, not the case's.
    assert values(got.breakdowns["cases_by_stage"]) == {"scale-up": 1}
    assert values(got.breakdowns["cases_by_technology_domain"]) == {"semiconductor-technologies": 1}


def test_an_update_of_a_lead_in_an_opened_case_changes_the_cases_stage_domains_and_demand_types():
    case, lead = uuid.uuid4(), uuid.uuid4()
    opened = [lead_registered(day(0), company="ref-a", lead_id=lead, case_id=case, region="oost"),
              case_opened(day(1), case_id=case, lead_id=lead, company="ref-a", signalled_at=day(0))]
    got = figures(*opened, lead_updated(day(3), lead_id=lead, case_id=case, stage="grown-up",
                                        domains=("quantum-technologies",), demand_types=("energy",)))
    assert values(got.breakdowns["cases_by_stage"]) == {"grown-up": 1}
    assert values(got.breakdowns["cases_by_technology_domain"]) == {"quantum-technologies": 1}
    assert values(got.breakdowns["cases_by_demand_type"]) == {"energy": 1}
    assert got.ecosystem.multi_region.value == 0  # one region only
