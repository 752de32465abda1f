"""What matching does on each event."""

from __future__ import annotations

import json

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import domain, repository
from services.matching.config import MatchingSettings
from shared.contracts import CaseOpened, MatchProposed, MatchProposedData
from shared.runtime import Runtime

log = structlog.get_logger()
SOURCE = "/groeiruimte/matching"


def weights(settings: MatchingSettings) -> domain.Weights:
    return domain.Weights(space=settings.weight_space, energy=settings.weight_energy,
                          cluster=settings.weight_cluster, own_region=settings.weight_own_region)


async def propose_sites_for_case(session: AsyncSession, evt: CaseOpened, *, runtime: Runtime,
                                 settings: MatchingSettings) -> None:
    """Score the case against the catalogue and emit match-proposed (or the no-proposition signal)."""
    case = evt.data
    sites = await repository.all_sites(session)
    proposals, blocking = domain.propose(case, sites, weights(settings), settings.top_n)
    proposed = MatchProposed(source=SOURCE, subject=str(case.case_id), data=MatchProposedData(
        case_id=case.case_id, code_name=case.code_name, technology_domains=case.technology_domains,
        origin_region=case.origin.region, proposals=tuple(proposals), no_proposition=not proposals,
        blocking=blocking if not proposals else {}))
    await repository.record_match(
        session, case_id=case.case_id, code_name=case.code_name, case_payload=case.model_dump(mode="json"),
        proposals=json.loads(proposed.data.model_dump_json())["proposals"], no_proposition=int(not proposals))
    await runtime.outbox.add(session, proposed)
    log.info("match_proposed", case_id=str(case.case_id), proposals=len(proposals))


async def load_reference_sites(runtime: Runtime) -> None:
    """Load the illustrative reference catalogue (idempotent upsert)."""
    async with runtime.sessions() as session, session.begin():
        await repository.upsert_sites(session, repository.reference_sites())
