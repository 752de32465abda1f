"""Erasure on request and sealed identities, without a database: the sealing itself, what an erased lead and its
audit entries keep, and that intake's consent-granted carries the identity only sealed with its case's key."""

from __future__ import annotations

import json
import uuid

import pytest

from services.intake import domain
from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings
from services.intake.handlers import Via, receive_lead
from shared import sealing
from shared.contracts import ConsentGranted, LeadSignalled
from tests.factories import intake_lead_payload, random_kvk
from tests.fakes.intake import FakeIntakeUnitOfWork

NAME, KVK = "Fotonica Geheim B.V.", "12345678"


def sealed_once():
    key, key_id, case_id = sealing.new_key(), uuid.uuid4(), uuid.uuid4()
    return key, case_id, sealing.seal(key, key_id=key_id, case_id=case_id, company_name=NAME, kvk_number=KVK)


def test_a_sealed_identity_opens_with_its_key_for_its_case_only():
    key, case_id, sealed = sealed_once()
    assert NAME not in sealed.model_dump_json() and KVK not in sealed.model_dump_json()
    assert sealing.unseal(key, sealed, case_id=case_id) == (NAME, KVK)
    with pytest.raises(sealing.Unsealable):  # copied onto another case's event
        sealing.unseal(key, sealed, case_id=uuid.uuid4())
    with pytest.raises(sealing.Unsealable):  # any other key: a destroyed key is gone for good
        sealing.unseal(sealing.new_key(), sealed, case_id=case_id)


def test_a_tampered_sealed_identity_does_not_open():
    key, case_id, sealed = sealed_once()
    raw = bytearray(sealing._unb64(sealed.ciphertext))
    raw[0] ^= 1
    forged = sealed.model_copy(update={"ciphertext": sealing._b64(bytes(raw))})
    with pytest.raises(sealing.Unsealable):
        sealing.unseal(key, forged, case_id=case_id)


def test_a_version_1_consent_in_the_clear_is_still_read_as_a_plain_identity():
    case_id = uuid.uuid4()
    old = ConsentGranted.model_validate({"source": "/old", "subject": str(case_id), "schemaversion": 1,
                                         "data": {"case_id": str(case_id), "company_name": NAME, "kvk_number": KVK}})
    assert old.schemaversion == 2
    identity = old.data.identity
    assert (identity.form, identity.company_name, identity.kvk_number) == ("plain", NAME, KVK)


def test_an_erased_lead_keeps_what_the_figures_need_and_no_identity():
    payload = intake_lead_payload(name=NAME, kvk=KVK)["data"] | {"contact": {"role": "CFO",
                                                                               "email": "jansen@example.nl"}}
    erased = domain.erased_payload(payload)
    text = json.dumps(erased)
    assert NAME not in text and KVK not in text and "Jansen" not in text
    assert {k: v for k, v in erased.items() if k not in ("company", "contact")} == \
        {k: v for k, v in payload.items() if k not in ("company", "contact")}
    assert erased["company"] == domain.ERASED_COMPANY


def test_audit_entries_lose_the_identity_and_keep_what_changed():
    payload = intake_lead_payload(name=NAME, kvk=KVK)["data"]
    registered = domain.erased_changes({"new": payload})
    renamed = domain.erased_changes({"company": {"old": {"name": NAME, "kvk_number": KVK},
                                                 "new": {"name": NAME + " X", "kvk_number": KVK}},
                                     "stage": {"old": "startup", "new": "scale-up"}})
    assert NAME not in json.dumps([registered, renamed]) and KVK not in json.dumps([registered, renamed])
    assert renamed["stage"] == {"old": "startup", "new": "scale-up"} and "company" in renamed
    assert domain.erased_changes({"stage": {"old": "startup", "new": "scale-up"}}) == \
        {"stage": {"old": "startup", "new": "scale-up"}}


async def test_intake_releases_a_consented_identity_sealed_with_the_key_it_keeps_for_the_case():
    uow, deps = FakeIntakeUnitOfWork(), bootstrap(IntakeSettings())
    kvk = random_kvk()
    outcome = await receive_lead(uow, LeadSignalled.model_validate(intake_lead_payload(name=NAME, kvk=kvk,
                                                                                        consent="consented")),
                                 via=Via("test", "kafka"), deps=deps)
    await uow.commit()
    (granted,) = uow.outbox.of(ConsentGranted)
    assert granted.data.identity.form == "sealed"
    assert NAME not in granted.model_dump_json() and kvk not in granted.model_dump_json()
    key_id, key = uow.leads.identity_keys[outcome.case_id]
    assert granted.data.identity.key_id == key_id
    assert sealing.unseal(key, granted.data.identity, case_id=outcome.case_id) == (NAME, kvk)
