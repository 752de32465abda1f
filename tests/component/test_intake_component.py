"""Intake's app against the in-memory broker: a lead in, its events out through the outbox; bad input dead-lettered."""

from __future__ import annotations

from faststream.kafka import TestKafkaBroker

from services.intake import domain
from shared.contracts import CaseOpened, LeadRegistered, LeadSignalled
from shared.names import name_digests
from tests.component.helpers import probe_dead_letters, probe_event, publish, relay
from tests.factories import intake_lead_payload


async def test_a_signalled_lead_comes_out_as_case_opened_and_lead_registered(build):
    intake = build("intake")
    opened, registered = probe_event(intake, CaseOpened), probe_event(intake, LeadRegistered)
    payload = intake_lead_payload()
    async with TestKafkaBroker(intake.runtime.broker):
        await publish(intake, payload, topic=LeadSignalled.topic)
        assert await relay(intake) == 2

    lid = domain.lead_id(payload["data"]["organisation"], payload["data"]["reference"])
    (case,) = opened.events(CaseOpened)
    assert (case.data.lead_id, case.data.case_id) == (lid, domain.case_id(lid))
    assert [e.data.lead_id for e in registered.events(LeadRegistered)] == [lid]
    # The batch path too puts the keyed digest of the name in it, for reporting's note check (never the name).
    key = intake.settings.name_hash_key.get_secret_value().encode()
    assert [set(e.data.name_digests) for e in registered.events(LeadRegistered)] == [
        name_digests(payload["data"]["company"]["name"], key)]
    # Keyed by the case: one case's events stay in order on one partition.
    assert opened.records[0].raw_message.key == str(case.data.case_id).encode()


async def test_the_same_event_delivered_twice_is_applied_once(build):
    intake = build("intake")
    opened = probe_event(intake, CaseOpened)
    payload = intake_lead_payload()
    async with TestKafkaBroker(intake.runtime.broker):
        await publish(intake, payload, topic=LeadSignalled.topic)
        await publish(intake, payload, topic=LeadSignalled.topic)
        await relay(intake)
    assert len(opened.records) == 1


async def test_a_lead_the_contract_refuses_is_dead_lettered_with_its_field_and_nothing_is_emitted(build):
    intake = build("intake")
    dead, opened = probe_dead_letters(intake, LeadSignalled), probe_event(intake, CaseOpened)
    payload = intake_lead_payload()
    payload["data"]["company"]["kvk_number"] = "not a number"
    async with TestKafkaBroker(intake.runtime.broker):
        await publish(intake, payload, topic=LeadSignalled.topic)
        assert await relay(intake) == 0

    (headers,) = dead.headers()
    assert headers["dlq-field"] == "data.company.kvk_number" and headers["dlq-consumer-group"] == "intake"
    assert opened.records == []


async def test_a_batch_reaches_its_handler_without_a_worker_thread(build, monkeypatch):
    """The subscriber takes the message as its body: injecting it from FastStream's context (a synchronous
    lookup) sent every batch through a worker thread and back, a thread hop's CPU per batch."""
    import fast_depends.utils

    hops = []
    original = fast_depends.utils.run_in_threadpool

    async def counted(func, *args, **kwargs):
        hops.append(getattr(func, "__qualname__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(fast_depends.utils, "run_in_threadpool", counted)
    intake = build("intake")
    async with TestKafkaBroker(intake.runtime.broker):
        await publish(intake, intake_lead_payload(), topic=LeadSignalled.topic)
        assert await relay(intake) == 2
    assert hops == []
