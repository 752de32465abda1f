"""An in-memory `services.intake.unit_of_work.Leads`: the same answers as the PostgreSQL repository, in dicts."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

from services.intake.repository import NewLead
from shared import sealing
from tests.fakes import FakeUnitOfWork


def _copy(row: SimpleNamespace | None) -> SimpleNamespace | None:
    """A snapshot, as a fetched database row is: later updates do not change what the caller holds."""
    return None if row is None else SimpleNamespace(**vars(row))


class FakeLeads:
    def __init__(self) -> None:
        self.leads: dict[UUID, SimpleNamespace] = {}
        self.cases: dict[UUID, SimpleNamespace] = {}
        self.origins: dict[tuple[UUID, UUID], SimpleNamespace] = {}
        self.audit_trail: list[SimpleNamespace] = []
        self.identity_keys: dict[UUID, tuple[UUID, bytes]] = {}

    async def insert_new_lead(self, *, audit_as: dict[str, Any], **values) -> NewLead | None:
        if values["id"] in self.leads or any((r.organisation, r.reference) == (values["organisation"],
                                                                              values["reference"])
                                             for r in self.leads.values()):
            return None
        siblings = [r for r in self.leads.values() if r.company_ref == values["company_ref"] and r.case_id is None]
        self.leads[values["id"]] = SimpleNamespace(**({"names_checked": None} | values), version=1,
                                                   created_at=datetime.now(UTC))
        await self.audit(lead_id=values["id"], action="registered", **audit_as)
        return NewLead(bool(siblings))

    async def lock_lead(self, *, lead_id: UUID):
        return _copy(self.leads.get(lead_id))

    async def update_lead(self, *, lead_id: UUID, **values) -> None:
        row = self.leads[lead_id]
        vars(row).update(values, version=row.version + 1)

    async def set_case(self, *, lead_id: UUID, case_id: UUID, status: str) -> None:
        vars(self.leads[lead_id]).update(case_id=case_id, status=status)

    async def open_case(self, *, case_id: UUID, company_ref: str, code_name: str, opened_by: UUID,
                        organisation: str, reference: str) -> bool:
        if case_id in self.cases or await self.case_for_company(company_ref=company_ref) is not None:
            return False
        self.cases[case_id] = SimpleNamespace(id=case_id, company_ref=company_ref, code_name=code_name,
                                              opened_by_lead_id=opened_by, consent_granted_at=None,
                                              match_revision=None, sites_proposed=None, closed_at=None, outcome=None)
        self.origins[(case_id, opened_by)] = SimpleNamespace(case_id=case_id, lead_id=opened_by,
                                                             organisation=organisation, reference=reference)
        return True

    async def case_for_company(self, *, company_ref: str):
        return _copy(next((c for c in self.cases.values() if c.company_ref == company_ref), None))

    async def add_origin(self, *, case_id: UUID, lead_id: UUID, organisation: str, reference: str) -> None:
        if case_id in self.cases:
            self.origins.setdefault((case_id, lead_id), SimpleNamespace(
                case_id=case_id, lead_id=lead_id, organisation=organisation, reference=reference))

    async def unplaced_leads_of_company(self, *, company_ref: str, other_than: UUID) -> list:
        return [_copy(r) for r in sorted(self.leads.values(), key=lambda r: r.created_at)
                if r.company_ref == company_ref and r.case_id is None and r.id != other_than]

    async def mark_consent_granted(self, *, case_id: UUID) -> bool:
        found = self.cases.get(case_id)
        if found is None or found.consent_granted_at is not None:
            return False
        found.consent_granted_at = datetime.now(UTC)
        return True

    async def new_identity_key(self, *, case_id: UUID) -> tuple[UUID, bytes]:
        key = (uuid4(), sealing.new_key())
        self.identity_keys[case_id] = key
        return key

    async def audit(self, *, lead_id: UUID, actor: str, channel: str, action: str, event_id: UUID | None,
                    changes: dict[str, Any]) -> None:
        self.audit_trail.append(SimpleNamespace(lead_id=lead_id, actor=actor[:100], channel=channel, action=action,
                                                event_id=event_id, changes=changes))

    async def record_match(self, *, case_id: UUID, revision: int, sites: int, no_proposition: bool,
                           at: datetime) -> None:
        found = self.cases.get(case_id)
        if found is not None and (found.match_revision or 0) <= revision:
            vars(found).update(match_revision=revision, sites_proposed=sites, no_proposition=no_proposition,
                               proposed_at=at)

    async def record_closed(self, *, case_id: UUID, outcome: str, at: datetime) -> None:
        if case_id in self.cases:
            vars(self.cases[case_id]).update(closed_at=at, outcome=outcome)


class FakeIntakeUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.leads = FakeLeads()
