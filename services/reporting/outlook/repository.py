"""The facts the outlook folds, read from the fact table (reporting's own copy of the events)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.orm import fact
from services.reporting.outlook.domain import OUTLOOK_TOPICS


async def outlook_facts(session: AsyncSession, before: datetime) -> list[tuple[datetime, str, dict]]:
    """(event time, topic, body) of the outlook's facts before a moment, in event-time order."""
    stmt = (select(fact.c.occurred_at, fact.c.topic, fact.c.body)
            .where(fact.c.topic.in_(OUTLOOK_TOPICS), fact.c.occurred_at < before)
            .order_by(fact.c.occurred_at, fact.c.seq))
    return [(at, topic, json.loads(body) if isinstance(body, str) else body)
            for at, topic, body in await session.execute(stmt)]
