"""Which schema changes break old events and which are free, on small schemas (the rules of docs/contracts.md)."""

from __future__ import annotations

import pytest

from shared.contracts.compatibility import breaking_changes

STRING, INTEGER, NUMBER, NULL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "null"}


def obj(required=(), extra=None, **properties) -> dict:
    schema = {"type": "object", "properties": properties, "required": list(required)}
    if extra is not None:
        schema["additionalProperties"] = extra
    return schema


@pytest.mark.parametrize("old, new, problems", [
    (STRING, INTEGER, ["$: retyped from ['string'] to ['integer']"]),
    (NUMBER, INTEGER, ["$: retyped from ['number'] to ['integer']"]),
    ({"type": ["string", "null"]}, STRING, ["$: retyped from ['null', 'string'] to ['string']"]),
    ({}, STRING, ["$: now restricted to ['string']"]),
    # The JSON type of each enum value: a boolean is no integer, a float is a number.
    ({"enum": [1, "a"]}, STRING, ["$: retyped from ['integer', 'string'] to ['string']"]),
    ({"enum": [True]}, INTEGER, ["$: retyped from ['boolean'] to ['integer']"]),
    ({"enum": [None]}, STRING, ["$: retyped from ['null'] to ['string']"]),
    ({"enum": [2.5]}, INTEGER, ["$: retyped from ['number'] to ['integer']"]),
    ({"enum": [[1]]}, STRING, ["$: retyped from ['array'] to ['string']"]),
    ({"enum": [{"a": 1}]}, STRING, ["$: retyped from ['object'] to ['string']"]),
])
def test_a_value_the_old_type_allowed_and_the_new_one_refuses_is_a_retyping(old, new, problems):
    assert breaking_changes(old, new) == problems


@pytest.mark.parametrize("old, new", [
    (INTEGER, NUMBER), (STRING, {}), (STRING, {"type": ["string", "null"]}), ({"enum": [2.5]}, NUMBER),
    ({"enum": [1]}, NUMBER), ({"const": "a"}, STRING),
])
def test_a_wider_type_is_free(old, new):
    assert breaking_changes(old, new) == []


@pytest.mark.parametrize("old, new, problems", [
    (STRING, {"type": "string", "enum": ["b", "a"]}, ["$: now limited to ['a', 'b']"]),
    ({"enum": ["a", "b", "c"]}, {"enum": ["a", "b"]}, ["$: enum narrowed, ['c'] no longer accepted"]),
    ({"const": "x"}, {"const": "y"}, ["$: enum narrowed, ['x'] no longer accepted"]),
    ({"enum": [3, 1, 2]}, {"enum": [2]}, ["$: enum narrowed, ['1', '3'] no longer accepted"]),
])
def test_fewer_allowed_values_break(old, new, problems):
    assert breaking_changes(old, new) == problems


def test_more_or_unlimited_values_are_free():
    assert breaking_changes({"enum": ["a"]}, {"enum": ["a", "b"]}) == []
    assert breaking_changes({"type": "string", "enum": ["a"]}, STRING) == []


@pytest.mark.parametrize("key, old, new", [
    ("maximum", 10, 5), ("exclusiveMaximum", 10, 9), ("maxLength", 10, 9), ("maxItems", 3, 2),
    ("maxProperties", 3, 2), ("minimum", 1, 2), ("exclusiveMinimum", 0, 1), ("minLength", 1, 2),
    ("minItems", 0, 1), ("minProperties", 0, 1),
])
def test_a_tighter_bound_breaks_and_a_looser_or_equal_one_is_free(key, old, new):
    assert breaking_changes({"type": "string", key: old}, {"type": "string", key: new}) == [
        f"$: {key} tightened to {new} (was {old})"]
    assert breaking_changes({"type": "string", key: new}, {"type": "string", key: old}) == []
    assert breaking_changes({"type": "string", key: old}, {"type": "string", key: old}) == []
    assert breaking_changes({"type": "string"}, {"type": "string", key: new}) == [
        f"$: {key} tightened to {new} (was unbounded)"]
    assert breaking_changes({"type": "string", key: old}, STRING) == []


def test_every_tightened_bound_is_reported():
    old = {"type": "string", "minLength": 1, "maxLength": 10}
    assert breaking_changes(old, {"type": "string", "minLength": 2, "maxLength": 5}) == [
        "$: maxLength tightened to 5 (was 10)", "$: minLength tightened to 2 (was 1)"]


def test_a_new_or_changed_pattern_or_format_breaks_and_an_unchanged_or_dropped_one_is_free():
    assert breaking_changes(STRING, {"type": "string", "pattern": "^a"}) == ["$: pattern now '^a' (was 'none')"]
    assert breaking_changes({"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}) == [
        "$: format now 'date' (was 'date-time')"]
    assert breaking_changes({"type": "string", "pattern": "^a", "format": "email"},
                            {"type": "string", "pattern": "^b", "format": "uri"}) == [
        "$: pattern now '^b' (was '^a')", "$: format now 'uri' (was 'email')"]
    assert breaking_changes({"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^a"}) == []
    assert breaking_changes({"type": "string", "pattern": "^a"}, STRING) == []


def test_an_object_breaks_on_removed_fields_new_required_ones_and_changed_nested_ones():
    old = obj(required=["a"], a=STRING, b=INTEGER, c=STRING)
    new = obj(required=["a", "z", "d"], a=INTEGER, c=STRING, d=STRING, z=STRING)
    assert breaking_changes(old, new) == ["$.b: removed", "$.d: new required field", "$.z: new required field",
                                          "$.a: retyped from ['string'] to ['integer']"]


def test_an_object_is_free_to_gain_optional_fields_and_to_drop_a_requirement():
    old = obj(required=["a"], a=STRING)
    assert breaking_changes(old, obj(a=STRING, b=INTEGER)) == []


def test_refusing_unknown_fields_breaks_once_and_their_schema_is_compared_like_a_field():
    assert breaking_changes(obj(a=STRING), obj(extra=False, a=STRING)) == ["$: no longer accepts unknown fields"]
    assert breaking_changes(obj(extra=True, a=STRING), obj(extra=False, a=STRING)) == [
        "$: no longer accepts unknown fields"]
    assert breaking_changes(obj(extra=False, a=STRING), obj(extra=False, a=STRING)) == []
    assert breaking_changes(obj(extra=STRING), obj(extra=INTEGER)) == ["$.*: retyped from ['string'] to ['integer']"]
    assert breaking_changes(obj(extra=STRING), obj()) == []


def test_the_items_of_an_array_are_compared():
    assert breaking_changes({"type": "array", "items": STRING}, {"type": "array", "items": INTEGER}) == [
        "$[]: retyped from ['string'] to ['integer']"]
    assert breaking_changes({"type": "array", "items": STRING}, {"type": "array"}) == []
    assert breaking_changes({"type": "array"}, {"type": "array", "items": STRING}) == []


def test_references_are_followed_on_each_side_with_the_referring_keys_on_top():
    old = {**obj(x={"$ref": "#/$defs/A"}), "$defs": {"A": {"type": "string", "maxLength": 5}}}
    new = {**obj(x={"$ref": "#/$defs/B", "maxLength": 3}), "$defs": {"B": {"type": "string", "maxLength": 9}}}
    assert breaking_changes(old, new) == ["$.x: maxLength tightened to 3 (was 5)"]
    chained = {**obj(x={"$ref": "#/$defs/B"}), "$defs": {"B": {"$ref": "#/$defs/C"}, "C": INTEGER}}
    assert breaking_changes(old, chained) == ["$.x: retyped from ['string'] to ['integer']"]


def test_a_reference_to_itself_ends():
    loop = {**obj(x={"$ref": "#/$defs/L"}), "$defs": {"L": {"$ref": "#/$defs/L"}}}
    assert breaking_changes(loop, loop) == []


def test_an_alternative_that_no_new_alternative_accepts_breaks():
    nullable = {"anyOf": [STRING, NULL]}
    assert breaking_changes(nullable, STRING) == ["$: no longer accepts ['null']"]
    assert breaking_changes({"anyOf": [{}, STRING]}, {"anyOf": [STRING, INTEGER]}) == [
        "$: no longer accepts a value"]
    assert breaking_changes(STRING, nullable) == []
    assert breaking_changes(nullable, {"anyOf": [NULL, STRING, INTEGER]}) == []
    assert breaking_changes({"anyOf": [STRING, INTEGER]}, {"anyOf": [{}]}) == []


def test_an_alternative_that_only_fails_everywhere_reports_its_smallest_set_of_problems():
    old = {"anyOf": [{"type": "string", "maxLength": 10}, NULL]}
    new = {"anyOf": [{"type": "string", "maxLength": 5, "pattern": "^a"}, {"type": "string", "maxLength": 5},
                     NULL]}
    assert breaking_changes(old, new) == ["$: maxLength tightened to 5 (was 10)"]
    fits = {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "string", "maxLength": 20}, NULL]}
    assert breaking_changes(old, fits) == []


def test_references_inside_alternatives_are_followed():
    old = {**obj(x={"anyOf": [{"$ref": "#/$defs/A"}, NULL]}), "$defs": {"A": STRING}}
    new = {**obj(x={"anyOf": [{"$ref": "#/$defs/A"}, NULL]}), "$defs": {"A": INTEGER}}
    assert breaking_changes(old, new) == ["$.x: no longer accepts ['string']"]
