"""The query plans of the statements a piece of code sends: for tests that a page's queries can use their indexes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.db import make_sessionmaker

# The tests' tables are small, where a scan and a sort win: priced out, the plan shows whether an index can serve
# the statement at all (PostgreSQL still scans or sorts when none can).
PRICED_OUT = ("enable_seqscan", "enable_sort", "enable_bitmapscan")


async def plans_of(engine: AsyncEngine, call: Callable[[AsyncSession], Awaitable[object]]) -> list[str]:
    """EXPLAIN of each statement `call` sends through a session of `engine`, with the parameters it sent."""
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with make_sessionmaker(engine)() as session:
            await call(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    plans = []
    async with engine.connect() as conn:
        for setting in PRICED_OUT:
            await conn.exec_driver_sql(f"SET {setting} = off")
        for statement, parameters in sent:
            rows = (await conn.exec_driver_sql("EXPLAIN " + statement, parameters)).all()
            plans.append("\n".join(r[0] for r in rows))
    return plans
