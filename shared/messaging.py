"""Kafka helpers with safe defaults: idempotent acks=all producers, at-least-once consumers, dead letters."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.settings import ServiceSettings
from shared.telemetry import context_from_headers

log = structlog.get_logger()
DLQ_SUFFIX = ".dlq"


class Rejected(Exception):
    """A message that can never be processed (bad content, not a passing fault): it goes to the dead letters."""


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


def make_broker(settings: ServiceSettings, *, service: str) -> KafkaBroker:
    """A FastStream broker whose producer waits for all in-sync replicas and never duplicates on retry."""
    return KafkaBroker(settings.kafka_bootstrap_servers, client_id=f"groeiruimte-{service}", acks="all",
                       enable_idempotence=True, security=_faststream_security(settings),
                       description=f"Groeiruimte {service} service",
                       # Per-message "Received/Processed" lines only at DEBUG; our handlers log the facts.
                       log_level=logging.DEBUG)


def make_producer(settings: ServiceSettings, *, service: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                            enable_idempotence=True, client_id=f"groeiruimte-{service}-relay",
                            linger_ms=5, **client_security(settings))


async def ensure_topics(settings: ServiceSettings, names: Iterable[str]) -> None:
    """Create the topics (and their dead-letter topics) if they are missing; safe to call at every start."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, **client_security(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = {settings.topic(n) for name in names for n in (name, name + DLQ_SUFFIX)}
        missing = [NewTopic(t, settings.topic_partitions, 1) for t in sorted(wanted - existing)]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def reason_of(err: Exception) -> str:
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(message)"
        more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return str(err) or type(err).__name__


Item = tuple[ConsumerRecord, Envelope]
DeadLetter = Callable[[ConsumerRecord, str], Awaitable[None]]


def subscribe_batches(broker: KafkaBroker, settings: ServiceSettings, *, event: type[Envelope], group: str,
                      handle_batch: Callable[[list[Item], DeadLetter], Awaitable[None]],
                      retry_delay: float = 1.0) -> None:
    """Consume `event` at least once, a batch at a time: offsets are committed only after the batch is handled.

    Invalid messages go to `<topic>.dlq` with the reason in headers and the pipeline carries on; the
    handler may dead-letter more (those it rejects). Any other failure (database down...) is retried after
    a pause: the batch is rewound, and idempotent handlers skip what they already did.
    """
    topic = settings.topic(event.topic)

    async def dead_letter(record: ConsumerRecord, reason: str) -> None:
        await _dead_letter(broker, record, group=group, reason=reason)

    @broker.subscriber(topic, group_id=group, batch=True, max_records=settings.consumer_batch_size,
                       auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
                       session_timeout_ms=settings.kafka_session_timeout_ms,
                       heartbeat_interval_ms=max(1000, settings.kafka_session_timeout_ms // 4),
                       title=f"{topic}:{group}", description=f"{group} consumes {event.__name__}")
    async def on_batch(message: KafkaMessage) -> None:
        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        try:
            items = []
            for record in records:
                try:
                    if record.value is None:
                        raise Rejected("empty message")
                    items.append((record, event.model_validate_json(record.value)))
                except (ValidationError, Rejected) as err:
                    await dead_letter(record, reason_of(err))
            if items:
                await handle_batch(items, dead_letter)
        except Exception:
            log.exception("consume_failed_will_retry", topic=topic, group=group)
            await asyncio.sleep(retry_delay)
            raise


def subscribe(broker: KafkaBroker, settings: ServiceSettings, *, event: type[Envelope], group: str,
              handle: Callable[[Envelope], Awaitable[Any]], retry_delay: float = 1.0) -> None:
    """Like subscribe_batches, for a handler of one event at a time (raising Rejected dead-letters it)."""
    tracer = trace.get_tracer(group)

    async def handle_batch(items: list[Item], dead_letter: DeadLetter) -> None:
        for record, evt in items:
            with consuming_span(tracer, record, event.topic):
                try:
                    await handle(evt)
                except Rejected as err:
                    await dead_letter(record, reason_of(err))

    subscribe_batches(broker, settings, event=event, group=group, handle_batch=handle_batch,
                      retry_delay=retry_delay)


def consuming_span(tracer, record: ConsumerRecord, topic: str):
    """A consumer span that continues the producer's trace (W3C context from the Kafka headers)."""
    return tracer.start_as_current_span(f"{topic} process", context=context_from_headers(record.headers),
                                        kind=trace.SpanKind.CONSUMER)


async def _dead_letter(broker: KafkaBroker, record: ConsumerRecord, *, group: str, reason: str) -> None:
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    headers.update({"dlq-reason": reason[:1000], "dlq-source-topic": record.topic,
                    "dlq-partition": str(record.partition), "dlq-offset": str(record.offset),
                    "dlq-consumer-group": group})
    await broker.publish(record.value or b"", topic=record.topic + DLQ_SUFFIX, key=record.key, headers=headers)
    log.warning("message_dead_lettered", topic=record.topic, offset=record.offset, reason=reason)
