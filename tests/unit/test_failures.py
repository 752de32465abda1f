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

from shared.failures import Backoff, Failure, Rejected, carries_data, describe, is_transient, safe_stack, sqlstate


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


def test_only_a_known_field_is_logged_beside_the_error_class():
    assert describe(ValueError("x")).log_fields() == {"error_class": "ValueError"}
    assert describe(Rejected("data.reference: collides")).log_fields() == {"error_class": "Rejected",
                                                                           "field": "data.reference"}


def test_the_reason_of_a_rejection_is_kept_and_an_empty_one_says_rejected():
    assert describe(Rejected("data.reference: collides")).reason == "data.reference: collides"
    assert describe(Rejected("")).reason == "rejected"


@pytest.mark.parametrize("reason", ["a b: x", ": x", "no colon here", "data.x:y"])
def test_a_reason_that_does_not_start_with_a_field_names_none(reason):
    assert Rejected(reason).field is None


def test_a_broker_error_is_described_by_its_class_and_the_brokers_words_cut_short():
    failure = describe(TopicAuthorizationFailedError())
    assert failure.error_class == "TopicAuthorizationFailedError" and failure.field is None
    assert failure.reason.startswith("broker refused it: ")
    long = KafkaConnectionError("x" * 1000)
    assert describe(long).reason == "broker refused it: " + str(long)[:300]


def test_any_other_error_is_described_by_its_class_alone():
    assert describe(KeyError("Geheim B.V.")) == Failure("KeyError", "KeyError while handling it", None)


def test_a_validation_error_counts_its_other_errors_and_a_message_level_one_names_no_field():
    class Pair(BaseModel):
        a: int
        b: int
        c: int

    with pytest.raises(ValidationError) as err:
        Pair(a="x", b="y", c="z")
    failure = describe(err.value)
    assert failure.field == "a" and failure.reason.startswith("a: ") and failure.reason.endswith(" (+2 more)")
    with pytest.raises(ValidationError) as err:
        Pair.model_validate_json("[")
    failure = describe(err.value)
    assert failure.field is None and failure.reason.startswith("(message): ") and "more" not in failure.reason


def test_a_database_error_without_a_sqlstate_or_names_says_only_its_class():
    failure = describe(database_error(Exception("boom")))
    assert failure == Failure("Exception", "database refused it: Exception", None)


def test_the_driver_error_names_the_column_and_the_code_comes_from_pgcode_too():
    driver = pg(asyncpg.exceptions.StringDataRightTruncationError, column_name="name_key", table_name="lead")
    err = database_error(driver)
    failure = describe(err)
    assert failure.reason == ("database refused it: StringDataRightTruncationError (SQLSTATE 22001) on table lead, "
                              "column name_key")
    assert failure.field == "name_key" and failure.error_class == "StringDataRightTruncationError"
    psycopg_like = Exception("x")
    psycopg_like.pgcode = "40001"
    assert sqlstate(sa.DBAPIError("SELECT 1", {}, psycopg_like)) == "40001"


def test_a_cause_chain_that_loops_ends_and_a_code_that_is_no_text_is_ignored():
    first, second = Exception("a"), Exception("b")
    first.__context__, second.__context__ = second, first
    second.sqlstate = 42
    assert sqlstate(first) is None
    assert not is_transient(sa.DBAPIError("SELECT 1", {}, first))


def test_without_a_sqlstate_only_operational_and_interface_errors_are_transient():
    assert is_transient(database_error(Exception("gone"), kind=sa.OperationalError))
    assert not is_transient(database_error(Exception("odd")))
    assert is_transient(sa.DisconnectionError("lost"))


def test_what_may_quote_the_data_is_recognised_through_the_cause_chain():
    class Named(BaseModel):
        n: int

    with pytest.raises(ValidationError) as err:
        Named(n="Geheim")
    assert carries_data(err.value)
    assert carries_data(database_error(pg(asyncpg.exceptions.UniqueViolationError), kind=sa.IntegrityError))
    assert carries_data(sa.StatementError("failed", "INSERT", {}, None))
    assert not carries_data(ValueError("x")) and not carries_data(KafkaConnectionError())


def test_the_safe_stack_keeps_the_last_eight_frames():
    def down(n):
        if n == 0:
            raise ValueError("deep")
        down(n - 1)

    try:
        down(20)
    except ValueError as err:
        stack = safe_stack(err)
    # Only the innermost frames: the test's own frame, 21 calls up, is gone; the raise is there.
    assert "test_the_safe_stack_keeps_the_last_eight_frames" not in stack and 'raise ValueError("deep")' in stack
    assert stack.endswith("ValueError") and "deep" not in stack.splitlines()[-1]


async def test_waiting_sleeps_the_next_delay(monkeypatch):
    slept = []

    async def sleep(seconds):
        slept.append(seconds)

    monkeypatch.setattr("shared.failures.asyncio.sleep", sleep)
    backoff = Backoff(cap=5.0, first=0.5)
    await backoff.wait()
    await backoff.wait()
    assert backoff.failures == 2 and len(slept) == 2 and 0 <= slept[0] <= 5.0 and slept[1] <= 5.0


def test_two_validation_errors_say_one_more():
    class Two(BaseModel):
        a: int
        b: int

    with pytest.raises(ValidationError) as err:
        Two(a="x", b="y")
    assert describe(err.value).reason.endswith(" (+1 more)")


def test_a_bare_driver_error_may_quote_the_data_too():
    assert carries_data(asyncpg.exceptions.UniqueViolationError("duplicate key (kvk_number)=(12345678)"))


def test_the_safe_stack_is_the_last_eight_frames_one_after_another():
    def ping(n):
        if n == 0:
            raise ValueError("deep")
        pong(n - 1)

    def pong(n):
        ping(n - 1)

    try:
        ping(20)
    except ValueError as err:
        stack = safe_stack(err)
    assert stack.count(", in ping\n") + stack.count(", in pong\n") == 8
    assert stack.startswith("  File ") and "\n  File " in stack  # frame after frame, nothing between


def test_a_reset_backoff_counts_from_zero_again():
    backoff = Backoff(cap=1.0)
    backoff.next_delay()
    backoff.reset()
    assert backoff.failures == 0
