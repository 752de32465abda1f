"""A ROM's own leads (the workbench's "Mijn leads") on real PostgreSQL: the page is read from
`ix_lead_organisation_newest` in order, not by sorting every lead of the ROM, for the statement `leads_of` sends."""

from __future__ import annotations

import pytest

from services.intake import repository
from tests.plans import plans_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.mark.parametrize("in_case", [None, True])
async def test_a_roms_own_leads_are_read_newest_first_from_the_index(engine, in_case):
    (page,) = await plans_of(engine, lambda session: repository.leads_of(session, organisation="oost-nl",
                                                                        limit=100, offset=0, in_case=in_case))
    assert "ix_lead_organisation_newest" in page and "Sort" not in page, page
