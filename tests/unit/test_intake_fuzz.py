"""Property-based fuzzing of the lead contract and the CSV reader: no crash, every rejection has a field and reason."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.intake import csv_rows
from services.intake.views import field_errors
from shared.contracts.events import LeadSignalled, LeadSignalledData
from shared.failures import describe
from tests.factories import intake_lead_payload, mutated_lead_payloads

REASON = re.compile(r"^.+?: \S", re.S)  # what goes into the dlq-reason header: "<field>: <reason>"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_lead_payloads())
def test_any_payload_is_accepted_whole_or_rejected_with_field_and_reason(payload):
    raw = json.dumps(payload).encode()
    try:
        evt = LeadSignalled.model_validate_json(raw)
    except ValidationError as err:
        assert REASON.match(describe(err).reason), describe(err).reason
        assert all(e["field"] and e["reason"] for e in field_errors(err))
        return
    # Accepted leads survive the round trip intake does (store the payload as JSON, read it back). Only the
    # payload: intake never re-publishes the envelope, whose extension attributes may be anything.
    assert LeadSignalledData.model_validate_json(evt.data.model_dump_json()) == evt.data


NUMBERS = [("investment_eur",), ("demand", "floor_space", "floor_space_m2"), ("demand", "floor_space", "cleanroom_m2"),
           ("demand", "energy", "grid_connection_mw")]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NUMBERS), st.floats())
def test_any_number_is_accepted_whole_or_rejected_never_turned_into_null(path, value):
    payload = intake_lead_payload()
    node = payload["data"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        evt = LeadSignalled.model_validate_json(json.dumps(payload))
    except ValidationError as err:
        assert describe(err).reason.startswith("data." + ".".join(path) + ": ")
        return
    assert LeadSignalled.from_json(evt.to_json()) == evt


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_are_rejected_with_a_reason(raw):
    try:
        LeadSignalled.model_validate_json(raw)
    except ValidationError as err:
        assert REASON.match(describe(err).reason), describe(err).reason


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(csv_rows.COLUMNS)), st.text(max_size=25), max_size=20))
def test_any_csv_row_becomes_a_lead_or_errors_by_column(cells):
    row = csv_rows.parse_row(7, cells, "oost-nl")
    assert (row.lead is None) == bool(row.errors)
    assert all(e.row == 7 and e.field and e.reason for e in row.errors)
