"""OpenTelemetry: one trace follows a lead from signal to email, carried in Kafka headers."""

from __future__ import annotations

import os
from collections.abc import Iterable

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter


def configure_tracing(service: str) -> None:
    """Install a tracer provider; spans are exported to the console only when OTEL_TRACES_EXPORTER=console."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"groeiruimte-{service}"}))
    if os.environ.get("OTEL_TRACES_EXPORTER") == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)


def current_trace_headers() -> dict[str, str]:
    """W3C trace context of the current span, to store beside an outgoing event."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Iterable[tuple[str, bytes]] | None):
    """The trace context a producer put in Kafka headers (or an empty one)."""
    carrier = {k: v.decode(errors="replace") for k, v in (headers or ()) if k in ("traceparent", "tracestate")}
    return propagate.extract(carrier)


def tracer(name: str):
    return trace.get_tracer(name)
