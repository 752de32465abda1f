"""The ACL plan (deploy/kafka_security.py) says what each service consumes and publishes; it must be what the
services' bootstraps really do, or a service is refused by the broker (or holds a grant it does not need)."""

from __future__ import annotations

import pytest

from deploy import kafka_security
from deploy.kafka_security import READS, WRITES, grants, organisation_topic, rom_principal
from shared.contracts import EVENT_TYPES


def service_runtimes():
    from services.intake.bootstrap import bootstrap as intake
    from services.intake.config import IntakeSettings
    from services.matching.bootstrap import bootstrap as matching
    from services.matching.config import MatchingSettings
    from services.notifications.bootstrap import bootstrap as notifications
    from services.notifications.config import NotificationsSettings
    from services.reporting.bootstrap import bootstrap as reporting
    from services.reporting.config import ReportingSettings

    return {"intake": intake(IntakeSettings()).runtime, "matching": matching(MatchingSettings()).runtime,
            "notifications": notifications(NotificationsSettings()).runtime,
            "reporting": reporting(ReportingSettings()).runtime}


@pytest.mark.parametrize("service", ["intake", "matching", "notifications", "reporting"])
def test_the_acl_plan_matches_what_each_service_consumes_and_publishes(service):
    runtime = service_runtimes()[service]
    consumed = {topic for topic, _, _ in runtime.subscriptions}
    organisation_topics = {organisation_topic(o) for o in kafka_security.ROMS}
    assert set(READS[service]) == consumed
    assert set(READS[service]) | set(WRITES[service]) == set(runtime.topics) - organisation_topics


def test_only_intake_may_read_lead_topics_and_a_rom_writes_only_its_own():
    plan = grants("p.")
    readers = {g.principal for g in plan if g.operation == "read" and g.name.startswith("p.lead-signalled")}
    assert readers == {"intake"}


def test_identities_are_read_by_intake_and_by_notifications_for_a_consented_disclosure_only():
    plan = grants("p.")
    for topic, allowed in (("p.lead-signalled", {"intake"}), ("p.consent-granted", {"notifications"})):
        readers = {g.principal for g in plan if g.operation == "read" and g.name.startswith(topic)}
        assert readers == allowed, topic


def test_a_rom_writes_only_its_own_lead_topic():
    plan = grants("p.")
    for organisation in kafka_security.ROMS:
        mine = [g for g in plan if g.principal == rom_principal(organisation)]
        assert [(g.name, g.operation, g.prefixed) for g in mine] == [(f"p.lead-signalled.{organisation}", "write",
                                                                      False)]


def test_internal_events_are_written_only_by_the_service_that_owns_them():
    plan = grants("")
    for topic in EVENT_TYPES:
        writers = {g.principal for g in plan if g.operation == "write" and g.name == topic}
        assert len(writers) <= 1, (topic, writers)
    assert {g.principal for g in plan if g.operation == "write" and g.name in
            ("match-proposed", "relocation-realised")} == {"matching"}
    assert {g.principal for g in plan if g.operation == "write" and g.name == "case-opened"} == {"intake"}


def test_intake_subscribes_to_every_organisations_lead_topic_and_no_dead_letters():
    import re

    from services.intake.bootstrap import organisation_pattern
    from services.intake.config import IntakeSettings

    pattern = re.compile(organisation_pattern(IntakeSettings(topic_prefix="run-1.")))
    assert pattern.match("run-1.lead-signalled.oost-nl") and pattern.match("run-1.lead-signalled.new-rom")
    for other in ("run-1.lead-signalled", "run-1.lead-signalled.dlq", "run-1.lead-signalled.oost-nl.dlq",
                  "run-2.lead-signalled.oost-nl", "run-1.case-opened"):
        assert not pattern.match(other), other
