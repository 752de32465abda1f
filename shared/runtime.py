"""What every service process runs: database, broker, outbox relay and HTTP, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Literal

import structlog
import uvicorn
from fastapi import FastAPI, Response
from fastapi_offline import FastAPIOffline
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel, Field
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import PersonTokens, parse_tokens
from shared.consuming import BatchApplier, BatchEffect, Effect
from shared.contracts.envelope import Envelope
from shared.db import make_engine, make_sessionmaker
from shared.http import bearer_caller, install_conventions
from shared.idempotency import processed_event_table
from shared.logging import configure_logging
from shared.messaging import Vet, make_broker, make_producer, subscribe_batches
from shared.migrations import upgrade
from shared.observability import ServiceMetrics, readiness
from shared.operations import operations_router
from shared.outbox import Outbox, outbox_table
from shared.settings import ServiceSettings, UnsafeSettings
from shared.telemetry import configure_tracing

log = structlog.get_logger()
__all__ = ["BatchEffect", "Effect", "Runtime", "http_app", "main", "plumbing_tables"]


def plumbing_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The outbox and processed-event tables every service has in its own schema."""
    return outbox_table(metadata), processed_event_table(metadata)


@dataclass
class Runtime:
    """The live parts of one service process, built from settings in the service's bootstrap."""

    name: str
    settings: ServiceSettings
    metadata: MetaData
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    outbox: Outbox
    processed: Table
    topics: tuple[str, ...]
    metrics: ServiceMetrics
    workers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    startup_hooks: list[Callable[[Runtime], Awaitable[None]]] = field(default_factory=list)
    subscriptions: list[tuple[str, str, type[Envelope]]] = field(default_factory=list)
    # Each consumer group's applier, as subscribed (tests apply a batch through the very one production runs).
    appliers: dict[str, BatchApplier] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, settings: ServiceSettings, metadata: MetaData, *, topics: Iterable[str]) -> Runtime:
        settings.refuse_unsafe()  # fail closed: no service runs outside development with a public or missing secret
        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
        out = Outbox(metadata.tables[f"{metadata.schema}.outbox"], sessions, topic_prefix=settings.topic_prefix,
                     poll_seconds=settings.outbox_poll_seconds, max_attempts=settings.outbox_max_attempts,
                     retention=timedelta(hours=settings.outbox_retention_hours),
                     cleanup_every=settings.outbox_cleanup_seconds,
                     retry_max_seconds=settings.consumer_retry_max_seconds)
        metrics = ServiceMetrics(name)
        # FastStream's middlewares: a consumer span continuing the producer's trace (and the DLQ publishes'), and
        # processed/failed counts per topic and group.
        broker = make_broker(settings, service=name,
                             middlewares=[KafkaTelemetryMiddleware(), metrics.broker_middleware()])
        return cls(name=name, settings=settings, metadata=metadata, engine=engine, sessions=sessions,
                   broker=broker, outbox=out, metrics=metrics,
                   processed=metadata.tables[f"{metadata.schema}.processed_event"], topics=tuple(topics))

    def consume(self, event: type[Envelope], *, group: str, effect: Effect, pattern: str | None = None,
                vet: Vet | None = None) -> None:
        """Subscribe `effect(session, event)` idempotently, one transaction per Kafka batch.

        The batch's processed-event keys and all its effects commit together, so a redelivered batch
        changes nothing. Transient failures are retried with backoff; an event that fails otherwise (it
        raised Rejected, or the database refused it) is undone alone and dead-lettered within three
        attempts (before the commit: a crash can duplicate a dead letter, never lose one). See
        shared.consuming. `pattern` and `vet`: see shared.messaging.subscribe_batches.
        """
        s = self.settings
        applier = BatchApplier(self.sessions, self.processed, group=group, topic=event.topic, effect=effect,
                               max_attempts=s.consumer_max_attempts, retry_window_seconds=s.consumer_retry_seconds,
                               retry_max_seconds=s.consumer_retry_max_seconds)
        self.appliers[group] = applier
        subscribe_batches(self.broker, s, event=event, group=group, handle_batch=applier, metrics=self.metrics,
                          pattern=pattern, vet=vet)
        if not pattern:
            self.subscriptions.append((s.topic(event.topic), group, event))

    def consume_batches(self, event: type[Envelope], *, group: str, effect: BatchEffect, pattern: str | None = None,
                        vet: Vet | None = None) -> None:
        """Like `consume`, for a set-based effect: `effect(session, items)` gets the batch's new events at once.

        Same guarantees: one transaction with the processed-event keys; on a failure that is not transient the
        batch is redone one event at a time, so only the failing event is retried and dead-lettered.
        """
        s = self.settings
        applier = BatchApplier(self.sessions, self.processed, group=group, topic=event.topic, batch_effect=effect,
                               max_attempts=s.consumer_max_attempts, retry_window_seconds=s.consumer_retry_seconds,
                               retry_max_seconds=s.consumer_retry_max_seconds)
        self.appliers[group] = applier
        subscribe_batches(self.broker, s, event=event, group=group, handle_batch=applier, metrics=self.metrics,
                          pattern=pattern, vet=vet)
        if not pattern:
            self.subscriptions.append((s.topic(event.topic), group, event))

    def asyncapi(self) -> dict:
        """AsyncAPI 3 document of what this service consumes and produces, with each event's JSON Schema."""
        from faststream.specification import AsyncAPI

        from shared.contracts import EVENT_TYPES

        consumed = {topic for topic, _, _ in self.subscriptions}
        broker = make_broker(self.settings, service=self.name)  # a copy: documentation must not add publishers
        for name in self.topics:
            topic = self.settings.topic(name)
            if topic not in consumed and name in EVENT_TYPES:
                broker.publisher(topic, schema=EVENT_TYPES[name], title=f"{topic}:publish",
                                 description=f"{self.name} publishes {EVENT_TYPES[name].__name__} (via its outbox)")
        for topic, group, event in self.subscriptions:
            broker.subscriber(topic, group_id=self.settings.group(group), title=f"{topic}:{group}",
                              description=f"{group} consumes {event.__name__}")(_document_only)
        doc = json.loads(AsyncAPI(broker, title=f"Groeiruimte {self.name}", version="0.1.0")
                         .to_specification().to_json())
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for topic, group, event in self.subscriptions:
            message = doc["components"]["messages"].get(f"{topic}:{group}:SubscribeMessage")
            if message is not None:
                schema = event.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[event.__name__] = schema
                message["payload"] = {"$ref": f"#/components/schemas/{event.__name__}"}
        return doc

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        from shared.messaging import ensure_topics

        await ensure_topics(self.settings, self.topics)
        for hook in self.startup_hooks:
            await hook(self)
        # The relay makes its own producer (and a fresh one after the broker refused a record).
        relay = self.outbox.relay(partial(make_producer, self.settings, service=self.name))
        tasks = [asyncio.create_task(relay, name=f"{self.name}-outbox")]
        tasks += [asyncio.create_task(w(), name=f"{self.name}-worker") for w in self.workers]
        await self.broker.start()
        log.info("service_started", service=self.name, topics=self.topics)
        try:
            yield
        finally:
            await self.broker.stop()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.engine.dispose()
            log.info("service_stopped", service=self.name)


class Health(BaseModel):
    """The process is alive and serves HTTP."""

    status: Literal["ok"]
    service: str


async def _document_only(message: KafkaMessage) -> None:
    """Stand-in handler: only used to describe a subscription in the AsyncAPI document."""


def http_app(runtime: Runtime, *, title: str, description: str) -> FastAPI:
    """A FastAPI app whose lifespan runs the service; it always serves /healthz."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        async with runtime.running():
            yield

    # FastAPIOffline serves the /docs and /redoc assets from the installed package, not from a CDN.
    app = FastAPIOffline(title=title, description=description, lifespan=lifespan, version="0.1.0")
    app.state.runtime = runtime
    persons = PersonTokens(runtime.settings.person_token_secret.get_secret_value(), audience=runtime.name)
    app.state.caller = caller = bearer_caller(parse_tokens(runtime.settings.api_tokens.get_secret_value()), persons)
    install_conventions(app)
    app.include_router(operations_router(runtime.name, runtime.outbox, caller))

    document: dict = {}

    @app.get("/asyncapi.json", tags=["documentation"], summary="AsyncAPI document of this service's events")
    async def asyncapi() -> dict:
        # Built on the first request only: what a service consumes and publishes is fixed at bootstrap, and
        # building it (a broker copy, every event's JSON Schema) was 8 % of a service's CPU under the HTTP fuzz.
        if not document:
            document.update(runtime.asyncapi())
        return document

    @app.get("/healthz", tags=["health"], summary="Liveness: the process serves HTTP")
    async def healthz() -> Health:
        return Health(status="ok", service=runtime.name)

    _observability(app, runtime)
    return app


class ReadinessView(BaseModel):
    status: str = Field(description="`ready`, or `not ready` (then 503) with the reasons.", examples=["ready"])
    service: str
    reasons: list[str] = Field(description="What is missing: `database unreachable`, `broker unreachable`, "
                                           "`consumers not assigned: <topic>:<group>, ...`.")


def _observability(app: FastAPI, runtime: Runtime) -> None:
    """`/readyz` (database, broker, consumer assignment) and `/metrics` (Prometheus text format)."""
    metrics = runtime.metrics
    Instrumentator(registry=metrics.registry, excluded_handlers=["/metrics"]).instrument(
        app, metric_namespace="groeiruimte")

    @app.get("/readyz", tags=["health"], response_model=ReadinessView,
             responses={503: {"model": ReadinessView, "description": "Not ready; the reasons say why."}},
             summary="Readiness: the database and the broker answer and every consumer has joined its group")
    async def readyz(response: Response) -> ReadinessView:
        found = await readiness(engine=runtime.engine, broker=runtime.broker, assignments=metrics.assignments)
        if not found.ready:
            response.status_code = 503
        return ReadinessView(status="ready" if found.ready else "not ready", service=runtime.name,
                             reasons=list(found.reasons))

    # For the Prometheus scrape, not for people: no token (the metrics carry no identities; the cluster's network
    # policy limits who reaches it), and not in the OpenAPI document.
    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        await metrics.refresh(runtime.outbox.counts)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def main(name: str, settings: ServiceSettings, migrations: Path, create_app: Callable[[ServiceSettings], FastAPI],
         argv: list[str]) -> int:
    """`python -m services.<name> [serve|migrate]`; exits 2 naming the setting when a secret is unsafe."""
    try:
        settings.refuse_unsafe()
    except UnsafeSettings as refused:
        print(f"{name}: {refused}", file=sys.stderr)
        return 2
    configure_logging(name, settings.log_level, settings.log_json)
    configure_tracing(name)
    cmd = argv[0] if argv else "serve"
    if cmd in ("migrate", "serve"):
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade(migrations, settings.database_url)
        log.info("migrated", service=name)
    if cmd == "serve":
        uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None,
                    access_log=False)
    elif cmd != "migrate":
        print(f"usage: python -m services.{name} [serve|migrate]")
        return 2
    return 0
