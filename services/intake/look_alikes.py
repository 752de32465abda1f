"""Look-alike company names, found off the lead's path: a job over the leads whose name is new or changed.

A lead is registered and its case opened without waiting for this. Its name waits in a queue (`names_checked`
NULL, a partial index) until the job compares it with the names of other companies' leads: the nearest names on
the trigram index, then `domain.name_similarity` (the coordinator reviews every pair at or above the threshold,
nothing is ever merged). The nearest-name search costs more as the number of leads grows (docs/intake.md); as a
job it no longer holds up the pipeline.

Each pair is compared once, when the later of its two leads is checked: the job numbers the names it checks
(`names_checked`, oldest first) and compares each with the lower numbers only. One job runs at a time in the whole
deployment (a transaction-level advisory lock), so two intake instances never check two look-alikes side by side
and miss the pair.

The job yields to a busy pipeline: it checks names once, for `name_review_quiet_seconds`, no new name has arrived
and this process has taken in no batch of leads or of case progress (match-proposed: the cases it opened are
still being matched), or once the oldest waiting name is `name_review_max_delay_seconds` old (a long burst), so a
review waits at most about that long.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import batch_repository, domain
from services.intake.config import IntakeSettings
from services.intake.orm import lead
from shared.db import make_engine, make_sessionmaker, transaction

log = structlog.get_logger()
# pg_try_advisory_xact_lock's key for this job (any fixed 64-bit number no other lock in the database uses).
LOCK_KEY = 0x6C6F6F6B616C696B  # "lookalik"
APPLICATION_NAME = "intake-name-review"  # the job's connection, as pg_stat_activity shows it


class Activity:
    """When this process last took in work the pipeline is busy with (the consumers note() it)."""

    def __init__(self) -> None:
        self.last = float("-inf")

    def note(self) -> None:
        self.last = time.monotonic()

    def quiet_for(self) -> float:
        return time.monotonic() - self.last


async def check_new_names(session: AsyncSession, *, batch: int = 500) -> int:
    """Compare the oldest `batch` waiting names with the others and flag the look-alikes; returns how many names
    were checked (0 when another instance's job holds the lock). Runs in the caller's transaction."""
    if not await session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))):
        return 0
    waiting = (await session.execute(
        select(lead.c.id, lead.c.name_key, lead.c.company_ref).where(lead.c.names_checked.is_(None))
        .order_by(lead.c.created_at, lead.c.id).limit(batch).with_for_update(skip_locked=True))).all()
    if not waiting:
        return 0
    numbers = await batch_repository.mark_names_checked(session, [r.id for r in waiting])
    named = [(n, r) for n, r in zip(numbers, waiting, strict=True) if r.name_key]  # erased: no name to compare
    found = await batch_repository.names_like_checked(session, [
        dict(lead_id=r.id, name_key=r.name_key, company_ref=r.company_ref, checked=n) for n, r in named])
    reviews = [review for _, r in named for review in look_alike_reviews(r.id, r.name_key, found[r.id])]
    await batch_repository.flag_name_reviews(session, reviews)
    for r in reviews:
        log.info("name_review_flagged", lead_id=str(r["lead_id"]), similar_lead_id=str(r["similar_lead_id"]))
    return len(waiting)


def look_alike_reviews(lead_id, key: str, candidates: list[tuple]) -> list[dict]:
    """The review rows of one lead: its candidates (id, name key) whose names look alike."""
    reviews = []
    for other_id, other_key in candidates:
        score = domain.name_similarity(key, other_key)
        if other_id != lead_id and score >= domain.NAME_MATCH_THRESHOLD:
            reviews.append(dict(lead_id=lead_id, similar_lead_id=other_id, similarity=round(score, 3)))
    return reviews


async def names_due(session: AsyncSession, settings: IntakeSettings, *, now: datetime | None = None,
                    quiet_for: float = float("inf")) -> bool:
    """Whether the job should run now: names wait, and none arrived lately while this process was quiet for
    `quiet_for` seconds, or the oldest has waited too long."""
    oldest, newest = (await session.execute(select(func.min(lead.c.created_at), func.max(lead.c.created_at))
                                            .where(lead.c.names_checked.is_(None)))).one()
    if oldest is None:
        return False
    now = now or datetime.now(UTC)
    quiet = settings.name_review_quiet_seconds
    return (((now - newest).total_seconds() >= quiet and quiet_for >= quiet)
            or (now - oldest).total_seconds() >= settings.name_review_max_delay_seconds)


async def check_names_periodically(settings: IntakeSettings, activity: Activity) -> None:
    """Worker: every `name_review_seconds`, check the waiting names when they are due, a batch at a time, until
    none are due; until cancelled. Its own connection, so its database time shows apart from the pipeline's."""
    engine = make_engine(settings.database_url, pool_size=1,
                         connect_args={"server_settings": {"application_name": APPLICATION_NAME}})
    sessions = make_sessionmaker(engine)
    try:
        while True:
            await asyncio.sleep(settings.name_review_seconds)
            try:
                while True:
                    async with transaction(sessions) as session:
                        if not await names_due(session, settings, quiet_for=activity.quiet_for()):
                            break
                        if not await check_new_names(session, batch=settings.name_review_batch):
                            break
            except Exception:  # a passing fault (database restart...): try again next round
                log.exception("name_review_failed")
    finally:
        await engine.dispose()
