"""Bounded start and stop for what the tests run in-process, so that a slow or stuck teardown on a loaded
machine fails or moves on within seconds instead of stalling the whole run."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable
from typing import Any

START_WITHIN = 120.0  # topics, migrations and a consumer group join can take a while on 2 busy cores
STOP_WITHIN = 30.0


class StuckError(RuntimeError):
    """Something did not finish within its bound (its stack was printed)."""


def print_task_stacks(file=sys.stderr) -> None:
    """Where every pending task of the running loop waits: what a hang report needs."""
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # no running loop
        return
    for task in tasks:
        print(f"--- task {task.get_name()} ---", file=file)
        task.print_stack(file=file)


async def within(awaitable: Awaitable[Any], seconds: float, what: str) -> Any:
    """Await `awaitable` for at most `seconds`; past that cancel it and raise StuckError.

    Unlike asyncio.wait_for (3.11), this does not wait for the cancelled work to finish: code that
    swallows the cancellation cannot hang the caller.
    """
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        return task.result()
    print(f"{what} did not finish within {seconds:.0f} s; pending tasks:", file=sys.stderr)
    print_task_stacks()
    task.cancel()
    await asyncio.wait({task}, timeout=2)
    raise StuckError(f"{what} did not finish within {seconds:.0f} s")


@contextlib.asynccontextmanager
async def bounded(cm: contextlib.AbstractAsyncContextManager, what: str, *, start_within: float = START_WITHIN,
                  stop_within: float = STOP_WITHIN) -> AsyncIterator[Any]:
    """Enter and leave an async context manager (e.g. `Runtime.running()`) within bounds."""
    value = await within(cm.__aenter__(), start_within, f"starting {what}")
    try:
        yield value
    except BaseException:
        if not await within(cm.__aexit__(*sys.exc_info()), stop_within, f"stopping {what}"):
            raise
    else:
        await within(cm.__aexit__(None, None, None), stop_within, f"stopping {what}")


@contextlib.asynccontextmanager
async def running(runtime, *, stop_within: float = STOP_WITHIN) -> AsyncIterator[None]:
    """`runtime.running()` within bounds; its engine is disposed even when its own stop got stuck."""
    try:
        async with bounded(runtime.running(), runtime.name, stop_within=stop_within):
            yield
    finally:
        with contextlib.suppress(Exception):
            await within(runtime.engine.dispose(), 10, f"disposing {runtime.name}'s engine")


async def disposed(engine) -> None:
    """Dispose an engine within a bound (a connection that never answers must not hang teardown)."""
    await within(engine.dispose(), 10, "disposing an engine")
