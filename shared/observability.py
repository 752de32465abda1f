"""Prometheus metrics and readiness of one service process (`/metrics`, `/readyz`).

Per topic and group, FastStream's Kafka Prometheus middleware counts what the consumers received, processed
(`status`: acked, nacked, error) and the exceptions; this module adds what only the service knows: dead letters,
consumer lag, the outbox backlog and parked rows (read when scraped), and lets a service add its own (mail).
HTTP latency comes from prometheus-fastapi-instrumentator. Each process (and each app a test builds) has its
own registry, so two apps in one process never share or clash over a metric.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger()
SCRAPE_TIMEOUT = 3.0


class Assignment(ConsumerRebalanceListener):
    """What one subscription's consumer holds: joined once its group has given it a (possibly empty) share."""

    def __init__(self, topic: str, group: str) -> None:
        self.topic, self.group = topic, group
        self.joined = False
        self.partitions: set[TopicPartition] = set()
        self.subscriber: Any = None  # FastStream's subscriber; its aiokafka consumer exists while running

    async def on_partitions_revoked(self, revoked) -> None:
        self.partitions -= set(revoked)

    async def on_partitions_assigned(self, assigned) -> None:
        # An instance beyond the partition count is a member with nothing to read: joined, and ready.
        self.partitions = set(assigned)
        self.joined = True

    @property
    def consumer(self):
        return getattr(self.subscriber, "consumer", None)


@dataclass
class ServiceMetrics:
    """The registry of one service process and the metrics the shared plumbing feeds."""

    service: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    assignments: list[Assignment] = field(default_factory=list)

    def __post_init__(self) -> None:
        r = self.registry
        self.dead_lettered = Counter("groeiruimte_dead_lettered", "Messages sent to a dead-letter topic",
                                     ["topic", "group", "error_class"], registry=r)
        self.consumer_lag = Gauge("groeiruimte_consumer_lag", "Records on a partition not yet committed by the group",
                                  ["topic", "group", "partition"], registry=r)
        self.outbox_backlog = Gauge("groeiruimte_outbox_backlog", "Outbox rows still to publish (parked excluded)",
                                    registry=r)
        self.outbox_parked = Gauge("groeiruimte_outbox_parked", "Outbox rows the relay gave up on", registry=r)

    def broker_middleware(self) -> KafkaPrometheusMiddleware:
        """FastStream's middleware: received/processed/failed per topic (`handler`) and consumer group."""
        return KafkaPrometheusMiddleware(registry=self.registry, app_name=f"groeiruimte-{self.service}",
                                         custom_labels={"group": self.group_of})

    def group_of(self, message: ConsumerRecord | Sequence[ConsumerRecord] | None) -> str:
        record = message[0] if isinstance(message, Sequence) and message else message
        topic = getattr(record, "topic", None)
        return ",".join(sorted(a.group for a in self.assignments if a.topic == topic)) or "-"

    def track(self, topic: str, group: str) -> Assignment:
        assignment = Assignment(topic, group)
        self.assignments.append(assignment)
        return assignment

    async def refresh(self, outbox_counts) -> None:
        """Read what is measured at scrape time: consumer lag and the outbox's rows (bounded in time)."""
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT):
                await self._refresh_lag()
                backlog, parked = await outbox_counts()
                self.outbox_backlog.set(backlog)
                self.outbox_parked.set(parked)
        except Exception as err:  # a scrape still answers with what it has; /readyz says what is wrong
            log.warning("metrics_refresh_failed", error=type(err).__name__)

    async def _refresh_lag(self) -> None:
        self.consumer_lag.clear()  # partitions revoked since the last scrape are no longer this process's
        for a in self.assignments:
            consumer, partitions = a.consumer, sorted(a.partitions)
            if consumer is None or not partitions:
                continue
            ends = await consumer.end_offsets(partitions)
            for tp in partitions:
                committed = await consumer.committed(tp)
                lag = max(0, ends[tp] - (committed if committed is not None and committed >= 0 else 0))
                self.consumer_lag.labels(a.topic, a.group, str(tp.partition)).set(lag)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...]


async def readiness(*, engine: AsyncEngine, broker, assignments: Iterable[Assignment],
                    timeout: float = 2.0) -> Readiness:
    """Ready only when the database answers, the broker answers and every subscription has joined its group."""
    reasons = []
    if not await _database_answers(engine, timeout):
        reasons.append("database unreachable")
    if broker is not None and not await broker.ping(timeout=timeout):
        reasons.append("broker unreachable")
    waiting = sorted(f"{a.topic}:{a.group}" for a in assignments if not a.joined)
    if waiting:
        reasons.append(f"consumers not assigned: {', '.join(waiting)}")
    return Readiness(not reasons, tuple(reasons))


def serve_http_probes(app, *, service: str, engine: AsyncEngine) -> ServiceMetrics:
    """`/readyz` (the database answers) and `/metrics` (HTTP latency) for a service without Kafka consumers."""
    from fastapi import Response
    from fastapi.responses import JSONResponse
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    from prometheus_fastapi_instrumentator import Instrumentator

    metrics = ServiceMetrics(service)
    Instrumentator(registry=metrics.registry, excluded_handlers=["/metrics"]).instrument(
        app, metric_namespace="groeiruimte")

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        found = await readiness(engine=engine, broker=None, assignments=())
        return JSONResponse({"status": "ready" if found.ready else "not ready", "service": service,
                             "reasons": list(found.reasons)}, status_code=200 if found.ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


async def _database_answers(engine: AsyncEngine, timeout: float) -> bool:
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception as err:
        log.warning("readiness_database_unreachable", error=type(err).__name__)
        return False
