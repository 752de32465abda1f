"""Bounded teardown: a stop that hangs, even one that swallows its cancellation, ends within its bound."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from tests.lifecycle import StuckError, bounded, within


@contextlib.asynccontextmanager
async def service_whose_stop_hangs(released: asyncio.Event):
    yield "started"
    while not released.is_set():  # what a consumer stuck leaving its group looks like, deaf to cancellation
        with contextlib.suppress(asyncio.CancelledError):
            await released.wait()


async def test_a_stop_that_swallows_cancellation_is_abandoned_within_its_bound():
    released = asyncio.Event()
    began = time.monotonic()
    try:
        with pytest.raises(StuckError, match="stopping the stuck service"):
            async with bounded(service_whose_stop_hangs(released), "the stuck service", stop_within=0.2) as value:
                assert value == "started"
        assert time.monotonic() - began < 5
    finally:
        released.set()  # let the abandoned stop end, or closing the event loop would wait for it


async def test_work_that_finishes_in_time_gives_its_result():
    async def answer():
        await asyncio.sleep(0)
        return 42

    assert await within(answer(), 5, "answering") == 42


async def test_an_error_inside_the_block_still_stops_the_service_and_propagates():
    stopped = []

    @contextlib.asynccontextmanager
    async def service():
        try:
            yield
        finally:
            stopped.append(True)

    with pytest.raises(ValueError):
        async with bounded(service(), "a service"):
            raise ValueError("test failed")
    assert stopped == [True]
