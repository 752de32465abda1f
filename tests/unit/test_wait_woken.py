"""A worker loop's idle wait stops when its task is cancelled, also when the cancellation comes as it is woken."""

import asyncio

import pytest

from shared.failures import raise_if_cancelling, wait_woken

pytestmark = pytest.mark.timeout(10)


async def _worker(wake: asyncio.Event, waits: list) -> None:
    while True:
        wake.clear()
        await wait_woken(wake, 5)
        waits.append(1)


async def test_a_cancellation_that_comes_as_the_loop_is_woken_stops_it():
    """On Python 3.11 asyncio.wait_for returned as if woken and the loop went on: the mailer's shutdown hung."""
    wake, waits = asyncio.Event(), []
    task = asyncio.create_task(_worker(wake, waits))
    await asyncio.sleep(0.01)
    wake.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done and task.cancelled()


async def test_it_returns_when_woken_and_when_the_time_is_up():
    wake = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, wake.set)
    await asyncio.wait_for(wait_woken(wake, 5), timeout=1)
    wake.clear()
    await asyncio.wait_for(wait_woken(wake, 0.01), timeout=1)


async def test_a_cancellation_the_loop_s_work_swallowed_still_stops_it():
    """A library that catches the CancelledError and returns leaves the task marked as cancelling: the mailer's
    loop checks before its idle wait (its shutdown hung with its worker still looping, after mails_sent)."""
    started, waits = asyncio.Event(), []

    async def swallowing_work() -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass

    async def worker() -> None:
        wake = asyncio.Event()
        while True:
            await swallowing_work()
            raise_if_cancelling()
            await wait_woken(wake, 0.01)
            waits.append(1)

    task = asyncio.create_task(worker())
    await started.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done and task.cancelled() and waits == []
