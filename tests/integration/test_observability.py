"""`/metrics` (read with prometheus_client's own parser) and `/readyz` of the production runtime, on real Kafka and
PostgreSQL: processed, dead-lettered and lag move with events; readiness flips when PostgreSQL cannot be reached.

PostgreSQL is never stopped (it is shared): the service reaches it through a TCP relay the test opens and closes.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from shared.runtime import http_app
from tests.kafka import eventually, produce
from tests.lifecycle import running
from tests.runtime_harness import Probe, harness, probe

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    answer = await client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def total(samples: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())


def app_of(h):
    return http_app(h.runtime, title="harness", description="observability test")


async def test_processed_dead_lettered_and_lag_move_with_events(infra, database_url):
    release = asyncio.Event()
    hold_key = "hold"

    async def hold_until_released(session, evt: Probe) -> None:
        if evt.data.note == hold_key:
            await release.wait()

    async with harness(infra, database_url) as h:
        h.runtime.consume(Probe, group="harness", effect=h.store_effect(before=hold_until_released))
        topic = h.settings.topic(Probe.topic)
        app = app_of(h)
        async with running(h.runtime), httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                                         base_url="http://harness") as client:
            warm = probe(key="a")
            await produce(infra.kafka, topic, [warm.to_json()], keys=[b"a"])
            assert await eventually(lambda: _has(h, warm.id), timeout=60), "the consumer never started"
            before = await scrape(client)

            held = probe(key="a", note=hold_key)
            behind = [probe(key="a") for _ in range(4)]
            await produce(infra.kafka, topic, [held.to_json(), b"{not json"] + [e.to_json() for e in behind],
                          keys=[b"a"] * 6)

            async def lagging() -> bool:
                return total(await scrape(client), "groeiruimte_consumer_lag", topic=topic, group="harness") >= 5
            assert await eventually(lagging, timeout=30), "the lag did not show the held records"
            release.set()
            assert await eventually(lambda: _has(h, held.id, *(e.id for e in behind)), timeout=30)

            async def caught_up() -> bool:
                return total(await scrape(client), "groeiruimte_consumer_lag", topic=topic, group="harness") == 0
            assert await eventually(caught_up, timeout=30), "the lag did not return to 0 after the commit"
            await client.get("/healthz")
            after = await scrape(client)

    processed = "faststream_received_processed_messages_total"
    moved = (total(after, processed, handler=topic, group="harness", status="acked")
             - total(before, processed, handler=topic, group="harness", status="acked"))
    assert moved >= 6, f"processed moved by {moved}, expected the 6 records"
    dead = "groeiruimte_dead_lettered_total"
    assert total(after, dead, topic=topic, group="harness") - total(before, dead, topic=topic) == 1
    assert total(after, "groeiruimte_outbox_backlog") == 0 and total(after, "groeiruimte_outbox_parked") == 0
    assert total(after, "groeiruimte_http_request_duration_seconds_count", handler="/healthz") >= 1


async def _has(h, *ids) -> bool:
    return set(ids) <= await h.stored()


class Relay:
    """A TCP relay to PostgreSQL that the test can cut (every connection dropped, the port closed) and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer), return_exceptions=True)
        self.writers -= {writer, up_writer}


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def test_readyz_is_503_with_the_reason_while_postgresql_is_unreachable(infra, database_url):
    real = make_url(database_url)
    relay = Relay(real.host, real.port)
    await relay.open()
    relayed = real.set(port=relay.port).render_as_string(hide_password=False)
    async with harness(infra, relayed) as h:
        h.runtime.consume(Probe, group="harness", effect=h.store_effect())
        app = app_of(h)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://harness") as client:
            early = await client.get("/readyz")
            assert early.status_code == 503
            assert any(r.startswith("consumers not assigned") for r in early.json()["reasons"]), early.json()
            async with running(h.runtime):
                async def ready() -> bool:
                    return (await client.get("/readyz")).status_code == 200
                assert await eventually(ready, timeout=60), (await client.get("/readyz")).json()

                await relay.cut()
                down = await client.get("/readyz")
                assert down.status_code == 503 and down.json()["reasons"] == ["database unreachable"], down.json()

                await relay.open()  # the same port again: the service finds PostgreSQL without a restart
                assert await eventually(ready, timeout=30), (await client.get("/readyz")).json()
    await relay.cut()
