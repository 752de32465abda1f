"""What intake's use cases read and write, as a protocol: PostgreSQL in production (repository.py), a fake in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from services.intake.repository import NewLead
from shared.outbox import Outbox
from shared.unit_of_work import SqlUnitOfWork, UnitOfWork


class Leads(Protocol):
    """Leads, cases, origins, name reviews and the audit trail, as the use cases see them."""

    async def insert_new_lead(self, *, audit_as: dict[str, Any], **values) -> NewLead | None: ...
    async def lock_lead(self, *, lead_id: UUID): ...
    async def update_lead(self, *, lead_id: UUID, **values) -> None: ...
    async def set_case(self, *, lead_id: UUID, case_id: UUID, status: str) -> None: ...
    async def open_case(self, *, case_id: UUID, company_ref: str, code_name: str, opened_by: UUID,
                        organisation: str, reference: str) -> bool: ...
    async def case_for_company(self, *, company_ref: str): ...
    async def add_origin(self, *, case_id: UUID, lead_id: UUID, organisation: str, reference: str) -> None: ...
    async def unplaced_leads_of_company(self, *, company_ref: str, other_than: UUID) -> list: ...
    async def names_like(self, *, name_key: str, other_than: str) -> list: ...
    async def flag_name_review(self, *, lead_id: UUID, similar_lead_id: UUID, similarity: float) -> None: ...
    async def mark_consent_granted(self, *, case_id: UUID) -> bool: ...
    async def audit(self, *, lead_id: UUID, actor: str, channel: str, action: str, event_id: UUID | None,
                    changes: dict[str, Any]) -> None: ...
    async def record_match(self, *, case_id: UUID, revision: int, sites: int, no_proposition: bool,
                           at: datetime) -> None: ...
    async def record_closed(self, *, case_id: UUID, outcome: str, at: datetime) -> None: ...


class IntakeUnitOfWork(UnitOfWork, Protocol):
    leads: Leads


class SqlLeads:
    """`Leads` over one session: each method is the repository function of the same name."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def __getattr__(self, name: str):
        # Only the protocol's methods: anything else in repository.py is not part of the seam.
        if name not in _LEADS_METHODS:
            raise AttributeError(name)
        function = getattr(repository, name)

        async def bound(**kwargs):
            return await function(self.session, **kwargs)
        return bound


_LEADS_METHODS = frozenset(name for name in vars(Leads) if not name.startswith("_"))


class SqlIntakeUnitOfWork(SqlUnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox)
        self.leads = SqlLeads(session)
