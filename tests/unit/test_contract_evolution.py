"""Contracts that evolve: the compatibility guard, versions read side by side, tolerant and strict readers."""

from __future__ import annotations

import copy
import json
from typing import ClassVar, Literal

import pytest
from pydantic import ValidationError

from shared.contracts import EVENT_TYPES, CaseOpened, LeadSignalled, parse_event
from shared.contracts.compatibility import breaking_changes
from shared.contracts.envelope import Envelope
from shared.contracts.export import SCHEMA_DIR, committed_versions, incompatible_changes, schema_documents
from tests.factories import case_opened_event, demand, lead_payload


@pytest.mark.parametrize("topic", sorted(EVENT_TYPES))
def test_current_schema_is_backward_compatible_with_its_committed_snapshot(topic):
    model = EVENT_TYPES[topic]
    committed = committed_versions(topic)
    current = model.current_version()
    assert current in committed, f"{topic} v{current} has no committed snapshot: run make schemas"
    assert breaking_changes(committed[current], model.model_json_schema()) == []


@pytest.mark.parametrize("topic", sorted(EVENT_TYPES))
def test_every_committed_version_stays_readable(topic):
    """A raised version keeps the old snapshot, and an upcaster for each step from it to the current one."""
    model = EVENT_TYPES[topic]
    versions = sorted(committed_versions(topic))
    assert versions == list(range(1, model.current_version() + 1)), f"{topic}: a version's snapshot is missing"
    assert set(model.upcasters) == set(versions[:-1]), f"{topic}: every older version needs an upcaster"


def test_the_export_refuses_nothing_now():
    assert incompatible_changes() == {}


def snapshot(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text())


def _data(schema: dict, name: str) -> dict:
    return schema["$defs"][name]


PLANTED = {
    "removed field": lambda s: _data(s, "CaseOpenedData")["properties"].pop("code_name"),
    "retyped field": lambda s: _data(s, "CaseOpenedData")["properties"].update(investment_eur={"type": "string"}),
    "new required field": lambda s: (_data(s, "CaseOpenedData")["properties"].update(owner={"type": "string"}),
                                     _data(s, "CaseOpenedData")["required"].append("owner")),
    "narrowed enum": lambda s: _data(s, "Stage")["enum"].remove("startup"),
    "tighter bound": lambda s: _data(s, "FloorSpaceDemand")["properties"]["floor_space_m2"].update(maximum=10),
    "optional made required": lambda s: _data(s, "SpaceDemand").setdefault("required", []).append("energy"),
    "unknown fields refused": lambda s: _data(s, "CaseOpenedData").update(additionalProperties=False),
}


@pytest.mark.parametrize("change", sorted(PLANTED))
def test_an_incompatible_change_is_caught(change):
    old = snapshot("case-opened.v2.json")
    new = copy.deepcopy(old)
    PLANTED[change](new)
    assert breaking_changes(old, new), f"{change} went unnoticed"


def test_the_export_refuses_to_overwrite_a_snapshot_with_an_incompatible_change(tmp_path):
    """`make schemas` cannot launder a breaking change: the committed snapshot it would replace says so."""
    name = "case-opened.v2.json"
    stricter = copy.deepcopy(snapshot(name))
    stricter["$defs"]["CaseOpenedData"]["properties"]["code_name"]["maxLength"] = 400  # the model has none...
    (tmp_path / name).write_text(json.dumps(stricter))  # ...so, compared with this snapshot, a bound was removed
    assert incompatible_changes(tmp_path) == {}
    wider = copy.deepcopy(snapshot(name))
    wider["$defs"]["Stage"]["enum"].append("scale-out")  # committed, but the model no longer accepts it
    (tmp_path / name).write_text(json.dumps(wider))
    assert "enum narrowed" in incompatible_changes(tmp_path)[name][0]


ADDITIVE = {
    "optional field": lambda s: _data(s, "CaseOpenedData")["properties"].update(note={"type": "string"}),
    "wider enum": lambda s: _data(s, "Stage")["enum"].append("scale-out"),
    "looser bound": lambda s: _data(s, "CapitalDemand")["properties"]["description"].update(maxLength=600),
    "new description": lambda s: _data(s, "CaseOpenedData").update(description="changed words"),
}


@pytest.mark.parametrize("change", sorted(ADDITIVE))
def test_an_additive_change_passes(change):
    old = snapshot("case-opened.v2.json")
    new = copy.deepcopy(old)
    ADDITIVE[change](new)
    assert breaking_changes(old, new) == []


def test_version_2_of_case_opened_is_incompatible_with_version_1_hence_the_new_version():
    problems = breaking_changes(snapshot("case-opened.v1.json"), snapshot("case-opened.v2.json"))
    assert any("signalled_at" in p for p in problems)


def case_opened_v1(**data) -> dict:
    raw = case_opened_event(demand=demand(floor_space_m2=1000)).model_dump(mode="json")
    raw["schemaversion"] = 1
    raw["data"].update(data)
    return raw


def test_a_version_1_case_opened_is_upcast_to_the_current_model():
    raw = case_opened_v1(signalled_at="2026-11-30T09:00:00")  # v1 was text: here without a zone, meant as UTC
    evt = CaseOpened.model_validate_json(json.dumps(raw))
    assert evt.schemaversion == 2 and evt.data.signalled_at.isoformat() == "2026-11-30T09:00:00+00:00"
    assert CaseOpened.model_validate(raw) == evt


def test_a_version_1_case_opened_whose_text_is_no_timestamp_names_the_field():
    with pytest.raises(ValidationError) as err:
        CaseOpened.model_validate_json(json.dumps(case_opened_v1(signalled_at="gisteren")))
    assert err.value.errors()[0]["loc"] == ("data", "signalled_at")


def test_a_version_newer_than_the_consumer_knows_is_refused_with_the_field():
    raw = case_opened_v1()
    raw["schemaversion"] = 3
    with pytest.raises(ValidationError) as err:
        CaseOpened.model_validate_json(json.dumps(raw))
    assert err.value.errors()[0]["loc"] == ("schemaversion",)


def test_internal_events_ignore_fields_they_do_not_know():
    raw = case_opened_event(demand=demand(floor_space_m2=1000)).model_dump(mode="json")
    raw["data"]["priority"] = "high"
    raw["data"]["demand"]["floor_space"]["ceiling_height_m"] = 8
    evt = CaseOpened.model_validate_json(json.dumps(raw))
    assert str(evt.data.case_id) == raw["data"]["case_id"] and evt.data.demand.floor_space.floor_space_m2 == 1000


@pytest.mark.parametrize("where", [(), ("company",), ("demand", "floor_space"), ("location",)])
def test_the_rom_boundary_stays_strict(where):
    raw = lead_payload()
    node = raw["data"]
    for key in where:
        node = node[key]
    node["typo_field"] = 1
    with pytest.raises(ValidationError) as err:
        LeadSignalled.model_validate(raw)
    assert err.value.errors()[0]["loc"] == ("data", *where, "typo_field")


def test_snapshots_exist_for_every_current_version():
    assert set(schema_documents()) <= {p.name for p in SCHEMA_DIR.glob("*.json")}


def test_a_version_1_timestamp_keeps_the_zone_it_was_written_with():
    raw = case_opened_v1(signalled_at="2026-11-30T09:00:00+02:00")
    assert CaseOpened.model_validate_json(json.dumps(raw)).data.signalled_at.isoformat() == "2026-11-30T09:00:00+02:00"


class Thrice(Envelope):
    """An event at version 3 that forgot the upcaster from version 1 (2 -> 3 is there)."""

    topic: ClassVar[str] = "thrice"
    type: str = "nl.groeiruimte.thrice"
    schemaversion: Literal[3] = 3
    upcasters: ClassVar = {2: lambda data: data | {"step": "2->3"}}
    data: dict


def thrice(version, **data) -> bytes:
    return json.dumps({"source": "test", "subject": "s", "schemaversion": version, "data": data}).encode()


def test_a_version_without_its_upcaster_is_refused_on_the_version_with_the_reason():
    with pytest.raises(ValidationError) as err:
        parse_event(Thrice, thrice(1))
    (error,) = err.value.errors()
    assert error["loc"] == ("schemaversion",) and error["type"] == "unreadable_version" and error["input"] == 1
    assert error["msg"] == "version 1 of thrice can no longer be read (no upcaster)"


def test_a_known_older_version_is_upcast_step_by_step_and_the_current_one_is_left_alone():
    evt = parse_event(Thrice, thrice(2, a=1))
    assert evt.schemaversion == 3 and evt.data == {"a": 1, "step": "2->3"}
    assert parse_event(Thrice, thrice(3, a=1)).data == {"a": 1}


@pytest.mark.parametrize("version", [0, 4, True, "2", None])
def test_a_version_that_is_not_an_older_known_one_is_not_upcast(version):
    raw = {"subject": "s", "schemaversion": version, "data": {"a": 1}}
    assert Thrice.upcast(raw) is raw
