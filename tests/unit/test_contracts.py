import json
import uuid

import pytest
from pydantic import ValidationError

from shared.contracts import EVENT_TYPES, LeadSignalled
from shared.contracts.export import SCHEMA_DIR, schema_documents
from tests.factories import lead_event, lead_payload


def test_committed_json_schemas_match_the_models():
    """A contract change must come with a regenerated snapshot (python -m shared.contracts.export)."""
    for name, text in schema_documents().items():
        assert (SCHEMA_DIR / name).read_text() == text, f"{name} is stale: run python -m shared.contracts.export"


def test_every_event_carries_the_cloudevents_attributes():
    for model in EVENT_TYPES.values():
        required = set(model.model_json_schema()["required"])
        assert {"source", "subject", "data"} <= required
        assert {"id", "type", "time", "specversion", "schemaversion"} <= set(model.model_fields)


def test_lead_round_trips_through_json():
    evt = lead_event()
    again = LeadSignalled.from_json(evt.to_json())
    assert again == evt
    assert again.key == evt.subject.encode()


def test_events_are_frozen():
    evt = lead_event()
    with pytest.raises(ValidationError):
        evt.subject = "other"
    with pytest.raises(ValidationError):
        evt.data.company.name = "other"


@pytest.mark.parametrize("kvk", ["1234567", "123456789", "1234567a", ""])
def test_kvk_number_must_be_eight_digits(kvk):
    raw = lead_payload()
    raw["data"]["company"]["kvk_number"] = kvk
    with pytest.raises(ValidationError) as err:
        LeadSignalled.model_validate(raw)
    assert err.value.errors()[0]["loc"] == ("data", "company", "kvk_number")


def test_unknown_payload_fields_and_wrong_type_are_rejected():
    raw = lead_payload()
    raw["data"]["companny"] = {}
    with pytest.raises(ValidationError, match="companny"):
        LeadSignalled.model_validate(raw)
    raw = lead_payload()
    raw["type"] = "nl.groeiruimte.case-opened"
    with pytest.raises(ValidationError, match="type"):
        LeadSignalled.model_validate(raw)


def test_cloudevents_extension_attributes_are_accepted():
    raw = lead_payload() | {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}
    assert LeadSignalled.model_validate(raw).id == uuid.UUID(raw["id"])


def test_time_must_carry_a_timezone():
    raw = lead_payload() | {"time": "2026-11-30T09:00:00"}
    with pytest.raises(ValidationError, match="timezone"):
        LeadSignalled.model_validate_json(json.dumps(raw))


def test_asyncapi_document_describes_consumed_and_produced_events():
    from services.intake.bootstrap import bootstrap
    from services.intake.config import IntakeSettings

    doc = bootstrap(IntakeSettings()).runtime.asyncapi()
    assert doc["asyncapi"].startswith("3.")
    messages = doc["components"]["messages"]
    consumed = messages["lead-signalled:intake:SubscribeMessage"]["payload"]["$ref"].rsplit("/", 1)[-1]
    assert consumed == "LeadSignalled"
    lead = doc["components"]["schemas"]["LeadSignalled"]
    assert {"id", "source", "type", "subject", "data"} <= set(lead["properties"])
    assert any(name.startswith("case-opened") for name in messages)


@pytest.mark.parametrize("name,value", [("ext", float("inf")), ("ext", 1.5), ("ext", {"a": 1}), ("Bad-Name", "x")])
def test_extension_attributes_must_be_cloudevents_types(name, value):
    raw = lead_payload() | {name: value}
    with pytest.raises(ValidationError, match="extension attribute"):
        LeadSignalled.model_validate(raw)


def _proposed():
    from services.matching import handlers
    from services.matching.bootstrap import bootstrap
    from services.matching.config import MatchingSettings
    from services.matching.domain import Catalogue, Site
    from services.matching.repository import reference_sites
    from tests.factories import case_opened_event, demand

    deps = bootstrap(MatchingSettings())
    deps.supply.catalogue = Catalogue.of([Site.model_validate(r) for r in reference_sites()])
    new = handlers.scored(case_opened_event(demand=demand(floor_space_m2=1500)).data, deps=deps, trigger="case-opened")
    return new.event


def test_explanation_facts_carry_only_what_applies_and_read_back_the_same():
    from shared.contracts import MatchProposed

    proposed = _proposed()
    facts = [f for p in json.loads(proposed.to_json())["data"]["proposals"] for f in p["explanation_facts"]]
    assert facts and all(v not in (None, [], {}) for f in facts for v in f.values())
    assert MatchProposed.from_json(proposed.to_json()) == proposed


def test_the_outline_of_match_proposed_reads_what_intake_records():
    from shared.contracts.events import MatchProposedOutline

    proposed = _proposed()
    outline = MatchProposedOutline.from_json(proposed.to_json())
    assert (outline.id, outline.time, outline.data.case_id, outline.data.revision, outline.data.no_proposition,
            len(outline.data.proposals)) == (proposed.id, proposed.time, proposed.data.case_id, proposed.data.revision,
                                             proposed.data.no_proposition, len(proposed.data.proposals))
    assert outline.data.proposals
