"""The OpenAPI documents promise the error shapes the services answer (shared.http), on every operation."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from services.intake.app import create_app as intake_app
from services.matching.app import create_app as matching_app
from services.notifications.app import create_app as notifications_app
from services.reporting.app import create_app as reporting_app
from shared.http import Day, Id, Text, field_errors, rejections

APPS = {"intake": intake_app, "matching": matching_app, "notifications": notifications_app, "reporting": reporting_app}
REF = "#/components/schemas/{}"


@pytest.fixture(scope="module", params=list(APPS))
def document(request) -> dict:
    return APPS[request.param]().openapi()


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def schema_of(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_bearer_auth_is_declared_and_every_protected_operation_documents_401_and_403(document):
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    protected = [(name, op) for name, op in operations(document) if op.get("security")]
    assert protected
    for name, op in protected:
        for code in ("401", "403"):
            assert schema_of(op["responses"][code]) == REF.format("Problem"), name


def test_every_422_is_documented_as_field_and_reason(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["FieldError"]["required"] == ["field", "reason"]
    for name, op in operations(document):
        if op.get("parameters") or op.get("requestBody"):
            assert schema_of(op["responses"]["422"]) == REF.format("ValidationProblem"), name


def test_every_error_is_documented_as_json_even_on_html_pages(document):
    for name, op in operations(document):
        for code, response in op["responses"].items():
            if code.startswith("4") and code != "422":
                assert schema_of(response) == REF.format("Problem"), (name, code)
                assert list(response["content"]) == ["application/json"], (name, code)


def test_not_found_is_documented_where_a_route_answers_it():
    doc = notifications_app().openapi()
    assert "404" in doc["paths"]["/recipients/{code}"]["get"]["responses"]
    assert "404" in doc["paths"]["/deliveries/{delivery_id}"]["get"]["responses"]
    assert "409" in reporting_app().openapi()["paths"]["/reports/snapshots"]["post"]["responses"]


class Inputs(BaseModel):
    note: Text = ""
    review_id: Id = 1
    as_of: Day | None = None


@pytest.mark.parametrize(("value", "field", "reason"), [
    ({"note": "a\x00b"}, "note", "must not contain NUL characters (\\x00)"),
    ({"review_id": 2**63}, "review_id", "less than or equal to 9223372036854775807"),
    ({"as_of": "9999-12-31"}, "as_of", "less than or equal to 2100-12-31"),
])
def test_constrained_types_reject_with_the_field_and_a_readable_reason(value, field, reason):
    with pytest.raises(ValidationError) as err:
        Inputs.model_validate(value)
    [error] = field_errors(err.value.errors())
    assert error["field"] == field and reason in error["reason"]


def test_field_errors_drop_the_location_and_name_the_body_for_unreadable_json():
    assert field_errors([{"loc": ("query", "offset"), "msg": "too big", "type": "x"}]) == [
        {"field": "offset", "reason": "too big", "type": "x"}]
    [error] = field_errors([{"loc": ("body", 7), "msg": "JSON decode error", "type": "json_invalid"}])
    assert error["field"] == "(body)" and "7" in error["reason"]


def test_field_errors_carry_the_error_type_and_its_limit_for_clients_that_word_them():
    class Bounded(BaseModel):
        name: str = Field(max_length=3)

    with pytest.raises(ValidationError) as err:
        Bounded.model_validate({"name": "abcd"})
    assert field_errors(err.value.errors()) == [{"field": "name", "reason": "String should have at most 3 characters",
                                                 "type": "string_too_long", "ctx": {"max_length": 3}}]


def test_a_handler_message_becomes_field_errors():
    assert rejections("floor_space_m2: must be >= 0; region: unknown") == [
        {"field": "floor_space_m2", "reason": "must be >= 0"}, {"field": "region", "reason": "unknown"}]
    assert rejections("unknown site fields: colour") == [{"field": "(body)", "reason": "unknown site fields: colour"}]
