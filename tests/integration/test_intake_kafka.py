"""Intake over Kafka on real Kafka and PostgreSQL: de-duplication, cross-ROM cases, triage, audit, dead letters."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings
from services.intake.domain import lead_id
from services.intake.orm import case, identity_key, lead, lead_audit, lead_origin, name_review, processed_event
from services.intake.retriage import retriage_portfolio
from shared import sealing
from shared.contracts.events import (
    CaseOpened,
    ConsentGranted,
    LeadRegistered,
    LeadSignalled,
    LeadUpdated,
)
from tests.factories import fuzzed_lead_corpus, intake_lead_payload, random_kvk
from tests.kafka import collect, collect_all, eventually, produce
from tests.lifecycle import running

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def intake_deps(service_env, topic_prefix):
    """Intake in this process, on its own topics (the e2e services use the run's plain prefix)."""
    settings = IntakeSettings(kafka_bootstrap_servers=service_env["KAFKA_BOOTSTRAP_SERVERS"],
                              database_url=service_env["DATABASE_URL"],
                              topic_prefix=f"{topic_prefix}intake-kafka-{uuid.uuid4().hex[:6]}.",
                              kafka_session_timeout_ms=6000, outbox_poll_seconds=0.5)
    deps = bootstrap(settings)
    async with running(deps.runtime):
        yield deps


@pytest.fixture(scope="module")
def intake(intake_deps):
    return intake_deps.runtime


async def send(intake, *payloads: dict) -> None:
    await produce(intake.settings.kafka_bootstrap_servers, intake.settings.topic(LeadSignalled.topic),
                  [json.dumps(p).encode() for p in payloads])


async def processed(intake, *payloads: dict) -> bool:
    """True once intake's consumer has handled every one of these events."""
    ids = [uuid.UUID(p["id"]) for p in payloads]
    async with intake.sessions() as s:
        n = await s.scalar(select(func.count()).select_from(processed_event).where(
            processed_event.c.consumer == "intake", processed_event.c.event_id.in_(ids)))
    return n == len(ids)


async def rows(intake, stmt) -> list:
    async with intake.sessions() as s:
        return list((await s.execute(stmt)).all())


async def events(intake, model, *, until: int, where) -> list:
    """The events of `model` intake published that satisfy `where` (waits for `until` of them)."""
    found: list = []

    async def enough():
        # Everything the topic holds now, read to its end offsets: a consumer group's join can take longer than a
        # fixed read window on a replicated cluster, which then read nothing.
        found[:] = [e for r in await collect_all(intake.settings.kafka_bootstrap_servers,
                                                 intake.settings.topic(model.topic), timeout=20)
                    if where(e := model.from_json(r.value))]
        return len(found) >= until

    await eventually(enough, timeout=30)
    return found


def lid(p: dict) -> uuid.UUID:
    return lead_id(p["data"]["organisation"], p["data"]["reference"])


async def test_the_same_lead_sent_again_changes_nothing(intake):
    first = intake_lead_payload() | {"time": "2026-05-10T09:00:00+00:00"}  # signalled in May, delivered now
    same_event = dict(first)
    same_reference = json.loads(json.dumps(first)) | {"id": str(uuid.uuid4())}
    await send(intake, first, same_event, same_reference)
    assert await eventually(lambda: processed(intake, first, same_reference), timeout=30)

    assert len(await rows(intake, select(lead.c.id).where(lead.c.id == lid(first)))) == 1
    assert len(await rows(intake, select(lead_audit.c.id).where(lead_audit.c.lead_id == lid(first)))) == 1
    registered = await events(intake, LeadRegistered, until=1, where=lambda e: e.data.lead_id == lid(first))
    opened = await events(intake, CaseOpened, until=1, where=lambda e: e.data.lead_id == lid(first))
    assert len(registered) == 1 and len(opened) == 1
    assert registered[0].data.eligible and registered[0].data.case_id == opened[0].data.case_id
    assert registered[0].time.isoformat() == "2026-05-10T09:00:00+00:00"  # placed by when the ROM signalled it
    assert first["data"]["company"]["kvk_number"] not in (registered[0].to_json() + opened[0].to_json()).decode()


async def test_two_roms_signalling_one_company_make_one_case_with_two_origins(intake):
    kvk = random_kvk()
    from_oost = intake_lead_payload(organisation="oost-nl", kvk=kvk)
    from_bom = intake_lead_payload(organisation="bom", kvk=kvk, name="Another name for the same company")
    await send(intake, from_oost)
    assert await eventually(lambda: processed(intake, from_oost), timeout=30)
    await send(intake, from_bom)
    assert await eventually(lambda: processed(intake, from_bom), timeout=30)

    (the_case,) = await rows(intake, select(case).where(case.c.opened_by_lead_id == lid(from_oost)))
    origins = await rows(intake, select(lead_origin).where(lead_origin.c.case_id == the_case.id))
    assert {(o.organisation, o.lead_id) for o in origins} == {("oost-nl", lid(from_oost)), ("bom", lid(from_bom))}
    opened = await events(intake, CaseOpened, until=1, where=lambda e: e.data.case_id == the_case.id)
    joined = await events(intake, LeadRegistered, until=1, where=lambda e: e.data.lead_id == lid(from_bom))
    assert len(opened) == 1
    assert joined[0].data.case_id == the_case.id and joined[0].data.joined_existing_case
    assert joined[0].data.company_ref == opened[0].data.company_ref


async def test_a_look_alike_name_with_another_kvk_is_flagged_never_merged(intake):
    stem = f"Quantum Delta {uuid.uuid4().hex[:6]}"
    one = intake_lead_payload(organisation="oost-nl", name=f"{stem} B.V.")
    two = intake_lead_payload(organisation="bom", name=f"{stem.upper()}, b.v")
    await send(intake, one)
    assert await eventually(lambda: processed(intake, one), timeout=30)
    await send(intake, two)
    assert await eventually(lambda: processed(intake, two), timeout=30)

    # The look-alike job (running in the service) flags the pair once the pipeline is quiet.
    flags = await eventually(lambda: rows(intake, select(name_review).where(name_review.c.lead_id == lid(two))),
                             timeout=30)
    assert [(f.similar_lead_id, f.status) for f in flags] == [(lid(one), "open")]
    cases = await rows(intake, select(lead.c.case_id).where(lead.c.id.in_([lid(one), lid(two)])))
    assert len({c.case_id for c in cases}) == 2


async def test_an_ineligible_lead_stays_with_its_reason_and_is_triaged_again_on_update(intake):
    later = intake_lead_payload(needed_in_days=365 * 5)
    await send(intake, later)
    assert await eventually(lambda: processed(intake, later), timeout=30)
    (row,) = await rows(intake, select(lead).where(lead.c.id == lid(later)))
    assert (row.status, row.case_id, row.eligible) == ("portfolio", None, False)
    assert "beyond the 3-year horizon" in row.triage_reason

    sooner = json.loads(json.dumps(later)) | {"id": str(uuid.uuid4())}
    for kind in sooner["data"]["demand"].values():
        kind["needed_by"] = (date.today() + timedelta(days=200)).isoformat()
    sooner["data"]["stage"] = "grown-up"
    await send(intake, sooner)
    assert await eventually(lambda: processed(intake, sooner), timeout=30)

    (row,) = await rows(intake, select(lead).where(lead.c.id == lid(later)))
    assert row.status == "case-opened" and row.eligible and row.version == 2
    (updated,) = await events(intake, LeadUpdated, until=1, where=lambda e: e.data.lead_id == lid(later))
    assert set(updated.data.changed) == {"demand", "stage", "eligible", "case_id"}
    assert updated.data.case_id == row.case_id and updated.data.eligible
    audit = await rows(intake, select(lead_audit).where(lead_audit.c.lead_id == lid(later)).order_by(lead_audit.c.id))
    assert [a.action for a in audit] == ["registered", "updated"]
    assert audit[1].changes["stage"] == {"old": "scale-up", "new": "grown-up"}
    assert audit[1].actor.startswith("oost-nl") and audit[1].channel == "kafka" and audit[1].at is not None


async def test_out_of_scope_leads_stay_in_the_portfolio(intake):
    low_value = intake_lead_payload(low_value_production=True)
    await send(intake, low_value)
    assert await eventually(lambda: processed(intake, low_value), timeout=30)
    (row,) = await rows(intake, select(lead).where(lead.c.id == lid(low_value)))
    assert (row.status, row.triage_reason) == ("portfolio", "out of scope: low-value production")


async def test_consent_releases_the_identity_once_per_case(intake):
    consenting = intake_lead_payload(consent="consented")
    await send(intake, consenting)
    assert await eventually(lambda: processed(intake, consenting), timeout=30)
    (row,) = await rows(intake, select(lead.c.case_id).where(lead.c.id == lid(consenting)))
    (granted,) = await events(intake, ConsentGranted, until=1, where=lambda e: e.data.case_id == row.case_id)
    # Sealed with the case's own key: neither the name nor the KvK number is readable on the topic.
    assert granted.data.identity.form == "sealed"
    raw = granted.model_dump_json()
    assert consenting["data"]["company"]["name"] not in raw and consenting["data"]["company"]["kvk_number"] not in raw
    assert await opened(intake, granted) == (consenting["data"]["company"]["name"],
                                             consenting["data"]["company"]["kvk_number"])


async def test_bad_leads_are_dead_lettered_with_a_reason_and_the_good_ones_go_on(intake):
    bad = intake_lead_payload()
    bad["data"]["life_phase"] = 7
    other_company = json.loads(json.dumps(good := intake_lead_payload())) | {"id": str(uuid.uuid4())}
    other_company["data"]["company"]["kvk_number"] = random_kvk()
    await send(intake, bad, good)
    assert await eventually(lambda: processed(intake, good), timeout=30)
    await send(intake, other_company)
    dead = await collect(intake.settings.kafka_bootstrap_servers,
                         intake.settings.topic(LeadSignalled.topic) + ".dlq", until=2, timeout=30)
    reasons = {json.loads(r.value)["id"]: dict(r.headers)["dlq-reason"].decode() for r in dead}
    assert reasons[bad["id"]].startswith("data.life_phase:")
    assert reasons[other_company["id"]].startswith("data.company.kvk_number:")
    (row,) = await rows(intake, select(lead.c.payload).where(lead.c.id == lid(good)))
    assert row.payload["company"] == good["data"]["company"]


async def test_an_earlier_portfolio_lead_joins_when_another_rom_opens_the_company_case(intake):
    kvk = random_kvk()
    early = intake_lead_payload(organisation="oost-nl", kvk=kvk, needed_in_days=365 * 5, consent="consented")
    urgent = intake_lead_payload(organisation="bom", kvk=kvk)
    await send(intake, early)
    assert await eventually(lambda: processed(intake, early), timeout=30)
    await send(intake, urgent)
    assert await eventually(lambda: processed(intake, urgent), timeout=30)

    leads = {r.id: r for r in await rows(intake, select(lead).where(lead.c.id.in_([lid(early), lid(urgent)])))}
    case_id = leads[lid(urgent)].case_id
    assert leads[lid(early)].case_id == case_id and leads[lid(early)].status == "case-joined"
    assert not leads[lid(early)].eligible  # its own triage stands; it is an origin of the company's case
    origins = await rows(intake, select(lead_origin.c.organisation).where(lead_origin.c.case_id == case_id))
    assert sorted(o.organisation for o in origins) == ["bom", "oost-nl"]
    (joined,) = await events(intake, LeadUpdated, until=1, where=lambda e: e.data.lead_id == lid(early))
    assert joined.data.changed == ("case_id",) and joined.data.case_id == case_id
    # The earlier lead said the company consented: its identity is released for the case it joined.
    (granted,) = await events(intake, ConsentGranted, until=1, where=lambda e: e.data.case_id == case_id)
    assert (await opened(intake, granted))[1] == kvk


async def opened(intake, granted: ConsentGranted) -> tuple[str, str]:
    """The sealed identity of a consent-granted, opened with the key intake keeps for its case."""
    (key,) = await rows(intake, select(identity_key.c.key).where(identity_key.c.key_id == granted.data.identity.key_id))
    return sealing.unseal(key.key, granted.data.identity, case_id=granted.data.case_id)


async def test_fuzzed_leads_are_stored_or_dead_lettered_with_a_reason_and_none_is_lost(intake):
    corpus = fuzzed_lead_corpus(80)
    keys = [f"fuzz-{uuid.uuid4().hex}".encode() for _ in corpus]
    raw = [json.dumps(p).encode() for p in corpus]
    await produce(intake.settings.kafka_bootstrap_servers, intake.settings.topic(LeadSignalled.topic), raw, keys=keys)
    valid = {}
    for key, body in zip(keys, raw, strict=True):
        try:
            valid[key] = LeadSignalled.model_validate_json(body).data
        except ValidationError:
            pass
    dead: dict = {}

    async def unaccounted() -> list:
        """Messages neither dead-lettered nor (when valid) stored: empty once intake has handled them all."""
        records = await collect(intake.settings.kafka_bootstrap_servers,
                                intake.settings.topic(LeadSignalled.topic) + ".dlq", until=10**6, timeout=1)
        dead.update({r.key: dict(r.headers)["dlq-reason"].decode() for r in records if r.key in set(keys)})
        ids = {k: lead_id(d.organisation, d.reference) for k, d in valid.items()}
        stored = {r.id for r in await rows(intake, select(lead.c.id).where(lead.c.id.in_(list(ids.values()))))}
        return [k for k in keys if k not in dead and not (k in valid and ids[k] in stored)]

    assert await eventually(lambda: _empty(unaccounted()), timeout=40), "a lead was neither stored nor dead-lettered"
    assert set(keys) - set(valid) <= set(dead)
    assert all(": " in reason and reason.split(": ", 1)[1] for reason in dead.values())
    assert len(valid) and len(dead), "the corpus should hold valid and invalid leads"


async def _empty(pending) -> bool:
    return not await pending


async def test_a_portfolio_lead_opens_its_case_when_its_need_date_comes_within_the_horizon(intake, intake_deps):
    organisation = f"rom-{uuid.uuid4().hex[:6]}"
    far = intake_lead_payload(organisation=organisation, needed_in_days=365 * 5)
    await send(intake, far)
    assert await eventually(lambda: processed(intake, far), timeout=30)
    assert await retriage_portfolio(intake_deps, organisation=organisation) == 0

    # Two years on, the same need date lies within the horizon: here, a longer horizon stands in for time.
    two_years_on = intake.settings.model_copy(update={"horizon_years": 6})
    assert await retriage_portfolio(replace(intake_deps, settings=two_years_on), organisation=organisation) == 1
    (row,) = await rows(intake, select(lead).where(lead.c.id == lid(far)))
    assert row.status == "case-opened" and row.eligible
    audit = await rows(intake, select(lead_audit).where(lead_audit.c.lead_id == lid(far)).order_by(lead_audit.c.id))
    assert (audit[-1].actor, audit[-1].channel) == ("intake (scheduled triage)", "schedule")
    (updated,) = await events(intake, LeadUpdated, until=1, where=lambda e: e.data.lead_id == lid(far))
    assert set(updated.data.changed) == {"eligible", "case_id"}
    assert await retriage_portfolio(replace(intake_deps, settings=two_years_on), organisation=organisation) == 0


async def test_a_portfolio_lead_in_another_roms_case_is_triaged_again_and_then_shows_the_case(intake, intake_deps):
    """As its ROM would see it alone: in the portfolio until its own need date comes within the horizon."""
    from services.intake import views
    from services.intake.repository import lead_with_case

    organisation, kvk = f"rom-{uuid.uuid4().hex[:6]}", random_kvk()
    far = intake_lead_payload(organisation=organisation, kvk=kvk, needed_in_days=365 * 5)
    urgent = intake_lead_payload(organisation="bom", kvk=kvk)
    await send(intake, far)
    assert await eventually(lambda: processed(intake, far), timeout=30)
    await send(intake, urgent)
    assert await eventually(lambda: processed(intake, urgent), timeout=30)

    async def seen() -> views.LeadSummary:
        async with intake.sessions() as s:
            return views.summary(await lead_with_case(s, lead_id=lid(far)))

    assert ((await seen()).status, (await seen()).case_id) == ("portfolio", None)
    two_years_on = intake.settings.model_copy(update={"horizon_years": 6})
    assert await retriage_portfolio(replace(intake_deps, settings=two_years_on), organisation=organisation) == 1
    now = await seen()
    assert now.status == "case-opened" and now.eligible and now.case_id is not None


async def test_the_migration_reads_the_triage_facts_of_earlier_leads_back_from_their_reason(intake):
    """Leads triaged before intake kept the facts: the migration's backfill gives each exactly the facts triage
    gives now (every form of the reason), so the workbench can word them."""
    import importlib

    from sqlalchemy import null, text, update
    backfill = importlib.import_module("services.intake.migrations.versions.2026_12_02_triage_facts").BACKFILL
    leads = [intake_lead_payload(needed_in_days=365 * 5), intake_lead_payload(low_value_production=True),
             intake_lead_payload(negative_externalities=True), intake_lead_payload(needed_in_days=-3),
             intake_lead_payload(technology_domains=["strategic-autonomy"], sector="drinkwater"),
             intake_lead_payload(technology_domains=[], sector="retail")]
    await send(intake, *leads)
    assert await eventually(lambda: processed(intake, *leads), timeout=30)
    ids = [lid(p) for p in leads]
    kept = {r.id: r.triage for r in await rows(intake, select(lead.c.id, lead.c.triage).where(lead.c.id.in_(ids)))}
    assert {facts["code"] for facts in kept.values()} == {"beyond-horizon", "low-value-production", "nts-domain",
                                                          "negative-externalities", "strategic-autonomy", "no-domain"}
    async with intake.sessions() as s, s.begin():
        await s.execute(update(lead).where(lead.c.id.in_(ids)).values(triage=null()))  # SQL NULL, as before
        for where, facts in backfill:
            await s.execute(text(f"UPDATE intake.lead SET triage = {facts} WHERE triage IS NULL AND {where} "
                                 "AND id = ANY(:ids)"), {"ids": ids})
    again = {r.id: r.triage for r in await rows(intake, select(lead.c.id, lead.c.triage).where(lead.c.id.in_(ids)))}
    assert again == kept
