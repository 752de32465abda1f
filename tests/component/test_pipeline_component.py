"""The four apps on one in-memory broker: a lead flows intake -> matching -> notifications, reporting counts it.

Each outbox is relayed by the service's own relay code (into the in-memory broker): the whole event flow of
docs/architecture.md, in seconds, without Kafka.
"""

from __future__ import annotations

from datetime import UTC, datetime

from faststream.kafka import TestKafkaBroker

from services.intake import domain
from services.notifications import repository as notifications
from services.reporting.synthetic import lead_registered
from shared.contracts import LeadSignalled
from tests.component.helpers import publish, relay
from tests.factories import intake_lead_payload


async def test_a_lead_becomes_a_case_a_match_mails_on_record_and_counted_figures(build):
    intake, matching, mails, reporting = (build(s) for s in ("intake", "matching", "notifications", "reporting"))
    payload = intake_lead_payload()
    case_id = domain.case_id(domain.lead_id(payload["data"]["organisation"], payload["data"]["reference"]))
    brokers = [s.runtime.broker for s in (intake, matching, mails, reporting)]
    async with TestKafkaBroker(*brokers):
        for service in (matching, mails):
            for hook in service.runtime.startup_hooks:  # the catalogue, the recipient directory
                await hook(service.runtime)
        before = await reporting.projections.event_counts()
        await publish(intake, payload, topic=LeadSignalled.topic)
        assert await relay(intake) >= 2  # lead-registered, case-opened
        assert await relay(matching) >= 1  # match-proposed (and the reference sites' site-changed)
        after = await reporting.projections.event_counts()

    async with mails.runtime.sessions() as session:
        recorded = await notifications.deliveries(session, case_id=case_id)
    assert recorded and {d["template"] for d in recorded} == {"match_proposed"}
    assert {d["status"] for d in recorded} == {"pending"}  # recorded; the mailer (not started here) sends them
    for topic in ("lead-registered", "case-opened", "match-proposed"):
        assert after.get(topic, 0) - before.get(topic, 0) == 1, topic
    assert "lead-signalled" not in after  # it carries the company's identity: reporting does not read it


async def test_reporting_counts_an_event_delivered_twice_once(build):
    reporting = build("reporting")
    registered = lead_registered(datetime.now(UTC), company="c" * 64)
    async with TestKafkaBroker(reporting.runtime.broker):
        before = await reporting.projections.event_counts()
        await publish(reporting, registered)
        await publish(reporting, registered)
        after = await reporting.projections.event_counts()
    assert after["lead-registered"] - before.get("lead-registered", 0) == 1
