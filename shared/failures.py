"""What kind of failure an exception is, and how to describe it without the data that caused it.

Transient failures (the database or the broker is unavailable, a deadlock, a timeout) pass by themselves and
are retried with backoff; anything else is permanent for that message and is dead-lettered (consumers) or
parked (outbox) after a few attempts. The description carries the error class, a reason and the field when
known, never a value: messages of DBAPI errors can quote the input, and their DETAIL quotes key values
(a KvK number), so only the SQLSTATE, the condition and the constraint/column names are kept.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from pydantic import ValidationError
from sqlalchemy import exc as sa
from tenacity import RetryCallState, wait_exponential_jitter

# SQLSTATE classes and codes that describe the database's state, not the statement's content (PostgreSQL
# appendix A): connection exception, insufficient resources (too many connections, disk full), operator
# intervention (shutdown, "cannot connect now" while starting, statement timeout under load), system error;
# serialization failure, deadlock and lock timeout succeed when the transaction is simply run again.
TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "58")
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


class Rejected(Exception):
    """A message that can never be processed (bad content, not a passing fault): it goes to the dead letters."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field or _field_prefix(reason)


@dataclass(frozen=True)
class Failure:
    """A loggable description of an exception: no payload values, ever."""

    error_class: str
    reason: str
    field: str | None = None

    def log_fields(self) -> dict[str, str]:
        return {"error_class": self.error_class, **({"field": self.field} if self.field else {})}


def _chain(err: BaseException) -> Iterator[BaseException]:
    """The exception and what caused it (a DBAPI error wraps the driver's, a timeout wraps a cancellation)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        # SQLAlchemy keeps the driver's exception as .orig (also raised "from" it, but not when re-wrapped).
        err = getattr(err, "orig", None) or err.__cause__ or err.__context__


def sqlstate(err: BaseException) -> str | None:
    for e in _chain(err):
        code = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(err: BaseException) -> bool:
    """True for failures of the infrastructure that a later attempt can get past."""
    if isinstance(err, sa.DBAPIError):
        if err.connection_invalidated:
            return True
        code = sqlstate(err)
        if code:
            return code in TRANSIENT_SQLSTATES or code.startswith(TRANSIENT_SQLSTATE_CLASSES)
        return isinstance(err, sa.OperationalError | sa.InterfaceError)
    if isinstance(err, sa.DisconnectionError | sa.TimeoutError):  # pool: lost connection, no connection free
        return True
    if isinstance(err, KafkaError):
        return bool(err.retriable) or isinstance(err, KafkaConnectionError | KafkaTimeoutError)
    if isinstance(err, OSError | TimeoutError):  # refused or reset connections, asyncio timeouts
        return True
    # An exception raised *from* a transient one (a wrapper) is as transient as its cause.
    return err.__cause__ is not None and is_transient(err.__cause__)


def describe(err: BaseException) -> Failure:
    """Error class, reason and field of `err`, safe to log and to put in dead-letter headers."""
    if isinstance(err, Rejected):
        return Failure("Rejected", str(err) or "rejected", err.field)
    if isinstance(err, ValidationError):
        return _describe_validation(err)
    if isinstance(err, sa.DBAPIError):
        return _describe_database(err)
    if isinstance(err, KafkaError):  # the broker's messages name the condition, never the record's content
        return Failure(type(err).__name__, f"broker refused it: {str(err)[:300] or type(err).__name__}")
    return Failure(type(err).__name__, f"{type(err).__name__} while handling it")


def _describe_validation(err: ValidationError) -> Failure:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(message)"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return Failure("ValidationError", f"{where}: {first['msg']}{more}", None if where == "(message)" else where)


def _describe_database(err: sa.DBAPIError) -> Failure:
    driver = next((e for e in _chain(err.orig) if type(e).__module__.startswith("asyncpg")), err.orig)
    names = {k: getattr(driver, k, None) for k in ("table_name", "column_name", "constraint_name")}
    where = ", ".join(f"{k.removesuffix('_name')} {v}" for k, v in names.items() if v)
    code = sqlstate(err)
    reason = f"database refused it: {type(driver).__name__}" + (f" (SQLSTATE {code})" if code else "")
    return Failure(type(driver).__name__, reason + (f" on {where}" if where else ""), names["column_name"])


def carries_data(err: BaseException) -> bool:
    """Whether the text of `err` (or of what caused it) may quote the data that was being handled."""
    return any(isinstance(e, ValidationError | sa.StatementError) or type(e).__module__.startswith("asyncpg")
               for e in _chain(err))


def safe_stack(err: BaseException) -> str:
    """Where an exception was raised, frame by frame, without its message (which may quote the input)."""
    frames = traceback.format_list(traceback.extract_tb(err.__traceback__)[-8:])
    return "".join(frames) + type(err).__name__


def _field_prefix(reason: str) -> str | None:
    """`data.company.name: ...` -> `data.company.name`: Rejected reasons start with the field by convention."""
    head, sep, _ = reason.partition(": ")
    return head if sep and head and " " not in head else None


async def wait_woken(wake: asyncio.Event, seconds: float) -> None:
    """Wait until `wake` is set or `seconds` have passed, whichever comes first, for a worker loop's idle wait.

    asyncio.timeout, not asyncio.wait_for: on Python 3.11 wait_for swallows a cancellation that arrives as the event
    is set (the wait returns as if woken), and a loop around it never stops (a stuck shutdown in the test suite;
    tests/unit/test_wait_woken.py)."""
    try:
        async with asyncio.timeout(seconds):
            await wake.wait()
    except TimeoutError:
        pass


def raise_if_cancelling() -> None:
    """Raise the cancellation the loop's work swallowed (a library that caught it and returned): the task stays
    marked as cancelling, and its loop would otherwise go on for ever, each timeout of its idle wait taken for the
    end of the wait. Only in the mailer's worker: in the outbox relay's loop this check stopped the relay at once
    (the pipeline's e2e tests failed), so something leaves its task marked; what, is not known yet."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Backoff:
    """Capped exponential backoff with jitter (tenacity's), for loops that keep going after a failure."""

    def __init__(self, cap: float, *, first: float = 0.2) -> None:
        self._wait = wait_exponential_jitter(multiplier=first, max=cap)
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        # The wait reads only the attempt number: the call's args and kwargs (None or empty) change nothing.
        state = RetryCallState(None, None, (), {})  # pragma: no mutate
        state.attempt_number = self.failures
        return self._wait(state)

    async def wait(self) -> None:
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        self.failures = 0
