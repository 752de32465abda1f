"""Which failures pass by themselves, and how a failure is described without the data behind it."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    TopicAuthorizationFailedError,
)
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import exc as sa

from shared.failures import Backoff, Rejected, describe, is_transient, safe_stack


def database_error(driver_error: Exception, kind=sa.DBAPIError, **kw) -> sa.DBAPIError:
    """A DBAPI error as SQLAlchemy raises it over asyncpg: the driver's exception is the cause."""
    orig = Exception(str(driver_error))
    orig.__cause__ = driver_error
    orig.sqlstate = getattr(driver_error, "sqlstate", None)
    return kind("INSERT INTO lead VALUES ($1)", {"kvk": "12345678"}, orig, **kw)


def pg(cls: type, **attrs) -> Exception:
    err = cls("value too long")
    for k, v in attrs.items():
        setattr(err, k, v)
    return err


@pytest.mark.parametrize("err", [
    database_error(pg(asyncpg.exceptions.ConnectionDoesNotExistError)),      # 08003
    database_error(pg(asyncpg.exceptions.CannotConnectNowError)),            # 57P03: starting up
    database_error(pg(asyncpg.exceptions.TooManyConnectionsError)),          # 53300
    database_error(pg(asyncpg.exceptions.DeadlockDetectedError)),            # 40P01
    database_error(pg(asyncpg.exceptions.SerializationError)),               # 40001
    database_error(pg(asyncpg.exceptions.QueryCanceledError)),               # 57014: statement timeout
    database_error(pg(asyncpg.exceptions.AdminShutdownError)),               # 57P01
    database_error(Exception("closed"), kind=sa.InterfaceError),
    database_error(Exception("server closed the connection"), connection_invalidated=True),
    sa.TimeoutError("QueuePool limit reached"),
    ConnectionRefusedError(111, "refused"), TimeoutError(), OSError("network unreachable"),
    KafkaConnectionError(), KafkaTimeoutError(), NotLeaderForPartitionError(),
])
def test_infrastructure_failures_are_transient(err):
    assert is_transient(err)


@pytest.mark.parametrize("err", [
    database_error(pg(asyncpg.exceptions.StringDataRightTruncationError)),   # 22001: too long
    database_error(pg(asyncpg.exceptions.CharacterNotInRepertoireError)),    # 22021: NUL
    database_error(pg(asyncpg.exceptions.UniqueViolationError), kind=sa.IntegrityError),
    database_error(pg(asyncpg.exceptions.NotNullViolationError), kind=sa.IntegrityError),
    database_error(pg(asyncpg.exceptions.UndefinedColumnError), kind=sa.ProgrammingError),
    MessageSizeTooLargeError(), TopicAuthorizationFailedError(),
    Rejected("data.reference: collides"), ValueError("bad"), KeyError("x"), TypeError("not serialisable"),
])
def test_everything_else_is_permanent(err):
    assert not is_transient(err)


def test_a_wrapper_raised_from_a_transient_failure_is_transient():
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError as cause:
            raise RuntimeError("handler failed") from cause
    except RuntimeError as err:
        assert is_transient(err)


def test_a_database_error_is_described_by_condition_and_names_never_by_values():
    driver = pg(asyncpg.exceptions.UniqueViolationError, constraint_name="uq_lead_kvk", table_name="lead",
                detail="Key (kvk_number)=(12345678) already exists.")
    failure = describe(database_error(driver, kind=sa.IntegrityError))
    assert failure.error_class == "UniqueViolationError"
    assert failure.reason == ("database refused it: UniqueViolationError (SQLSTATE 23505) on table lead, "
                              "constraint uq_lead_kvk")
    assert "12345678" not in repr(failure) and "value too long" not in failure.reason


def test_a_column_the_database_names_is_the_field():
    driver = pg(asyncpg.exceptions.NotNullViolationError, column_name="name_key", table_name="lead")
    assert describe(database_error(driver, kind=sa.IntegrityError)).field == "name_key"


def test_a_validation_error_names_the_field_and_not_the_input():
    class Company(BaseModel):
        kvk_number: str = Field(pattern=r"^\d{8}$")

    with pytest.raises(ValidationError) as err:
        Company(kvk_number="Geheim 1234")
    failure = describe(err.value)
    assert failure.field == "kvk_number" and failure.error_class == "ValidationError"
    assert "Geheim" not in failure.reason


def test_a_rejection_names_its_field_from_its_reason():
    assert describe(Rejected("data.reference: collides with another lead")).field == "data.reference"
    assert describe(Rejected("empty message")).field is None
    assert describe(Rejected("free text", field="data.x")).field == "data.x"


def test_other_errors_are_described_by_class_alone():
    failure = describe(ValueError("Geheim Fotonica B.V. is not allowed"))
    assert failure.error_class == "ValueError" and "Geheim" not in failure.reason


def test_the_safe_stack_shows_where_not_what():
    try:
        raise ValueError("Geheim Fotonica B.V.")
    except ValueError as err:
        stack = safe_stack(err)
    assert "test_the_safe_stack_shows_where_not_what" in stack and "Geheim" not in stack.split("\n")[-1]
    assert stack.endswith("ValueError")


def test_backoff_grows_to_its_cap_and_starts_again_after_a_reset():
    backoff = Backoff(cap=2.0, first=0.1)
    delays = [backoff.next_delay() for _ in range(12)]
    assert delays[0] < 1.5 and max(delays) <= 2.0 and delays[-1] >= 1.0
    backoff.reset()
    assert backoff.next_delay() < 1.5
