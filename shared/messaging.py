"""Kafka helpers with safe defaults: idempotent acks=all producers, at-least-once consumers, dead letters."""

from __future__ import annotations

import json
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from pydantic import ValidationError

from shared.contracts.envelope import Envelope, parse_event
from shared.failures import Backoff, Failure, Rejected, describe, is_transient
from shared.settings import ServiceSettings
from shared.telemetry import context_from_headers

if TYPE_CHECKING:
    from shared.observability import Assignment, ServiceMetrics

log = structlog.get_logger()
DLQ_SUFFIX = ".dlq"
_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


def client_security(settings: ServiceSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for the configured security protocol (SASL/SCRAM, TLS) — config, not code."""
    kw: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        kw["ssl_context"] = ssl.create_default_context()
    if settings.kafka_security_protocol.startswith("SASL"):
        kw["sasl_mechanism"] = settings.kafka_sasl_mechanism
        kw["sasl_plain_username"] = settings.kafka_sasl_username
        kw["sasl_plain_password"] = (settings.kafka_sasl_password.get_secret_value()
                                     if settings.kafka_sasl_password else None)
    return kw


def _faststream_security(settings: ServiceSettings):
    from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

    protocol = settings.kafka_security_protocol
    if not protocol.startswith("SASL"):
        return BaseSecurity(ssl_context=ssl.create_default_context()) if protocol == "SSL" else None
    cls = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return cls[settings.kafka_sasl_mechanism](
        username=settings.kafka_sasl_username or "",
        password=settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else "",
        use_ssl=protocol == "SASL_SSL")


def make_broker(settings: ServiceSettings, *, service: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    """A FastStream broker whose producer waits for all in-sync replicas and never duplicates on retry.

    `middlewares`: FastStream's broker middlewares (Prometheus, OpenTelemetry), outermost first.
    """
    # A list: FastStream passes a string on as one host, where aiokafka would split "a:1,b:2" itself.
    return KafkaBroker(settings.kafka_bootstrap_servers.split(","), client_id=f"groeiruimte-{service}", acks="all",
                       enable_idempotence=True, security=_faststream_security(settings),
                       middlewares=tuple(middlewares),
                       description=f"Groeiruimte {service} service",
                       # Per-message "Received/Processed" lines only at DEBUG; our handlers log the facts.
                       log_level=logging.DEBUG)


def make_producer(settings: ServiceSettings, *, service: str) -> AIOKafkaProducer:
    # linger_ms=0: an event committed on an idle service leaves at once (5 ms of linger was up to 5 ms per hop).
    # Under load the records still travel in batches: the relay enqueues a whole pass before the sender runs, and
    # what arrives while a request is in flight waits for it and goes in the next one.
    # max_batch_size: aiokafka's default (16 KiB per partition) holds one match-proposed (about 15 KB), so each
    # record went in its own produce request and waited for its own ack: 512 µs of CPU per record against 124 µs
    # with 256 KiB batches (docs/benchmarks.md). A batch still leaves as soon as the sender is free.
    return AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                            enable_idempotence=True, client_id=f"groeiruimte-{service}-relay",
                            linger_ms=0, max_batch_size=RELAY_BATCH_BYTES, **client_security(settings))


RELAY_BATCH_BYTES = 256 * 1024


KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}
DAY_MS = 24 * 3600 * 1000
# Topics that carry a company's identity (names, KvK numbers) are kept only as long as intake needs to take them
# in (and someone to look at a dead letter); everything else is the history projections rebuild from: forever.
IDENTITY_TOPIC = "lead-signalled"
IDENTITY_RETENTION = {"retention.ms": str(7 * DAY_MS)}
DEAD_LETTER_RETENTION = {"retention.ms": str(30 * DAY_MS)}


def retention_of(name: str) -> dict[str, str]:
    """The explicit retention of a topic by its logical name (no run prefix)."""
    identity = name == IDENTITY_TOPIC or name.startswith(IDENTITY_TOPIC + ".")
    if identity:
        return IDENTITY_RETENTION
    return DEAD_LETTER_RETENTION if name.endswith(DLQ_SUFFIX) else KEEP_FOREVER


def replication_for(brokers: int, wanted: int) -> tuple[int, int]:
    """Replication factor and min.insync.replicas: 3/2 on a cluster of three or more, 1/1 on a single broker."""
    replicas = max(1, min(wanted, brokers))
    return replicas, (2 if replicas >= 3 else 1)


async def ensure_topics(settings: ServiceSettings, names: Iterable[str]) -> None:
    """Create the topics (and their dead-letter topics) if they are missing; safe to call at every start."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, **client_security(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        replicas, min_isr = replication_for(len((await admin.describe_cluster())["brokers"]),
                                            settings.topic_replication_factor)
        wanted = {logical for name in names for logical in (name, name + DLQ_SUFFIX)}
        missing = [NewTopic(settings.topic(logical), settings.topic_partitions, replicas,
                            topic_configs=retention_of(logical) | {"min.insync.replicas": str(min_isr)})
                   for logical in sorted(wanted) if settings.topic(logical) not in existing]
        if missing:
            try:
                response = await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                return
            refused = [(error[0], error[1]) for error in response.topic_errors if error[1] not in (0, 36)]
            if refused:  # 36: another instance created it first
                raise RuntimeError(f"Kafka refused to create {len(refused)} topics, e.g. {refused[0]} "
                                   "(error code; 29 = not authorised)")
    finally:
        await admin.close()


Item = tuple[ConsumerRecord, Envelope]
DeadLetter = Callable[[ConsumerRecord, Failure, int], Awaitable[None]]


Vet = Callable[[ConsumerRecord, Envelope], None]


def subscribe_batches(broker: KafkaBroker, settings: ServiceSettings, *, event: type[Envelope], group: str,
                      handle_batch: Callable[[list[Item], DeadLetter], Awaitable[None]],
                      metrics: ServiceMetrics | None = None, pattern: str | None = None,
                      vet: Vet | None = None) -> Assignment | None:
    """Consume `event` at least once, a batch at a time: offsets are committed only after the batch is handled.

    Invalid messages go to `<topic>.dlq` with the reason in headers and the pipeline carries on; the
    handler may dead-letter more (those it rejects). A failure the handler lets through (it retried a
    transient one for a while) rewinds the batch after a backoff: idempotent handlers skip what they did.
    With `metrics`, dead letters are counted and the subscription's assignment is tracked (lag, /readyz).
    With `pattern` (a regular expression of whole topic names) every matching topic is consumed instead;
    `vet(record, event)` may reject a valid event for where it came from (raise Rejected: dead-lettered).
    """
    topic = pattern or settings.topic(event.topic)
    where = {"pattern": pattern} if pattern else {}
    pause = Backoff(settings.consumer_retry_max_seconds)
    assignment = metrics.track(topic, group) if metrics else None

    async def dead_letter(record: ConsumerRecord, failure: Failure, attempts: int = 1) -> None:
        await _dead_letter(broker, record, group=group, failure=failure, attempts=attempts)
        if metrics:
            metrics.dead_lettered.labels(record.topic, group, failure.error_class).inc()

    subscriber = broker.subscriber(
        *(() if pattern else (topic,)), **where, group_id=settings.group(group), batch=True,
        max_records=settings.consumer_batch_size,
        auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR, listener=assignment,
        decoder=_undecoded,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=max(1000, settings.kafka_session_timeout_ms // 4),
        title=f"{topic}:{group}", description=f"{group} consumes {event.__name__}")
    poll_without_idle_pause(subscriber, max_records=settings.consumer_batch_size)
    if assignment:
        assignment.subscriber = subscriber

    @subscriber
    async def on_batch(message: Any) -> None:
        # The message itself, as the "body" _undecoded gives: annotated as KafkaMessage, FastStream would inject it
        # from its context, whose synchronous lookup ran in a worker thread for every batch (a thread hop each).
        # A batch: a tuple of records from aiokafka, a list from FastStream's TestKafkaBroker.
        raw = message.raw_message
        records = tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)
        try:
            items = [item for record in records if (item := await _parsed(record, event, dead_letter, vet))]
            if items:
                await handle_batch(items, dead_letter)
        except Exception as err:
            failure = describe(err)
            log.warning("consume_failed_will_redeliver", topic=topic, group=group, transient=is_transient(err),
                        records=len(records), **failure.log_fields())
            await pause.wait()
            raise
        pause.reset()

    return assignment


IDLE_POLL_MS = 1000


def poll_without_idle_pause(subscriber: Any, *, max_records: int) -> None:
    """Read the next batch as soon as a record arrives, also on an idle subscription.

    FastStream's batch subscriber pauses for its batch timeout (200 ms) after every empty poll, so an event arriving
    on an idle pipeline waited up to that long at each hop. aiokafka's getmany already returns as soon as records
    are there (and with what is there: a busy partition still gives full batches), so this polls with getmany alone;
    an idle subscription wakes once a second.
    """

    async def get_msg(consumer) -> tuple[ConsumerRecord, ...]:
        batches = await consumer.getmany(timeout_ms=IDLE_POLL_MS, max_records=max_records)
        return tuple(chain.from_iterable(batches.values()))

    subscriber.get_msg = get_msg


async def _undecoded(message: KafkaMessage) -> KafkaMessage:
    """FastStream's decoder, replaced: it would JSON-decode every body, which `_parsed` then validates again.

    The handler takes the message (its raw records) as its body; each record is read once, straight into its typed
    event (pydantic's JSON parser, measured faster than json.loads or orjson followed by model_validate:
    docs/benchmarks.md)."""
    return message


async def _parsed(record: ConsumerRecord, event: type[Envelope], dead_letter: DeadLetter,
                  vet: Vet | None = None) -> Item | None:
    """The record as `event`, or None after dead-lettering it (its content can never become valid, or its
    topic may not carry it)."""
    try:
        if record.value is None:
            raise Rejected("empty message")
        parsed = parse_event(event, record.value)
        if vet:
            vet(record, parsed)
        return record, parsed
    except (ValidationError, Rejected) as err:
        await dead_letter(record, describe(err), 1)
        return None


def consuming_span(tracer, record: ConsumerRecord, topic: str):
    """A consumer span that continues the producer's trace (W3C context from the Kafka headers)."""
    return tracer.start_as_current_span(f"{topic} process", context=context_from_headers(record.headers),
                                        kind=trace.SpanKind.CONSUMER)


async def _dead_letter(broker: KafkaBroker, record: ConsumerRecord, *, group: str, failure: Failure,
                       attempts: int) -> None:
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    headers.update({"dlq-reason": failure.reason[:1000], "dlq-error-class": failure.error_class,
                    "dlq-attempts": str(attempts), "dlq-source-topic": record.topic,
                    "dlq-partition": str(record.partition), "dlq-offset": str(record.offset),
                    "dlq-consumer-group": group})
    if failure.field:
        headers["dlq-field"] = failure.field
    await broker.publish(record.value or b"", topic=record.topic + DLQ_SUFFIX, key=record.key, headers=headers)
    # The reason stays in the header: only where it went wrong is logged, never what the message said.
    log.warning("message_dead_lettered", topic=record.topic, partition=record.partition, offset=record.offset,
                group=group, event_id=_event_id(record), attempts=attempts, **failure.log_fields())


def _event_id(record: ConsumerRecord) -> str | None:
    """The CloudEvents id of a record, if it has one that reads as an id (for logs, which hold no payload)."""
    try:
        value = json.loads(record.value or b"null")
    except ValueError:
        return None
    event_id = value.get("id") if isinstance(value, dict) else None
    return event_id if isinstance(event_id, str) and _ID.fullmatch(event_id) else None


def security_from_env() -> dict[str, Any]:
    """aiokafka security keyword arguments from the KAFKA_* environment (tools and tests that take no settings)."""
    return client_security(ServiceSettings())
