"""When the running pipeline has finished with what it was given: the positive signal a test waits for
before it asserts that nothing more (no duplicate, no extra mail) happens.

Stage by stage, in flow order: a consumer group has committed to the end of its input topic (it has handled
every record, and offsets are committed only after the effects' transaction), then that service's outbox
holds nothing unpublished (whatever those effects emit is on Kafka). After that no stage can add anything
unless new input arrives, so counting is final.
"""

from __future__ import annotations

from sqlalchemy import text

from shared.db import make_engine
from tests.kafka import caught_up, eventually
from tests.lifecycle import disposed

# (consumer group, the topic it reads, the schema whose outbox its effects fill)
STAGES = (("intake", "lead-signalled", "intake"), ("matching", "case-opened", "matching"))
REPORTED = ("lead-registered", "case-opened", "match-proposed")


async def outbox_empty(engine, schema: str) -> bool:
    async with engine.connect() as conn:
        left = await conn.scalar(text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"))
    return left == 0


async def deliveries_final(engine) -> bool:
    """No mail is waiting or on its way: each is sent or dead."""
    async with engine.connect() as conn:
        open_ = await conn.scalar(text("SELECT count(*) FROM notifications.delivery "
                                       "WHERE status NOT IN ('sent', 'dead')"))
    return open_ == 0


async def pipeline_settled(bootstrap: str, database_url: str, prefix: str, *, mails: bool = False,
                           reported: tuple[str, ...] = REPORTED, timeout: float = 120) -> None:
    """Wait until intake, matching, reporting on `reported` topics (and with `mails`, notifications) are done
    with their input."""
    engine = make_engine(database_url, pool_size=1)
    try:
        for group, topic, schema in STAGES:
            await _until(lambda g=group, t=topic: caught_up(bootstrap, prefix + g, prefix + t),
                         f"{group} on {topic}", timeout)
            await _until(lambda s=schema: outbox_empty(engine, s), f"{schema}'s outbox", timeout)
        for topic in reported:
            await _until(lambda t=topic: caught_up(bootstrap, f"{prefix}reporting-{t}", prefix + t),
                         f"reporting on {topic}", timeout)
        if mails:
            await _until(lambda: caught_up(bootstrap, prefix + "notifications", prefix + "match-proposed"),
                         "notifications on match-proposed", timeout)
            await _until(lambda: deliveries_final(engine), "notifications' deliveries", timeout)
    finally:
        await disposed(engine)


async def _until(predicate, what: str, timeout: float) -> None:
    assert await eventually(predicate, timeout=timeout, interval=0.2), f"{what} did not settle within {timeout:.0f} s"
