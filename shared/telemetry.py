"""OpenTelemetry: one trace follows a lead from signal to email, carried in Kafka headers."""

from __future__ import annotations

import os
from collections.abc import Iterable

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter


def configure_tracing(service: str) -> None:
    """Install a tracer provider exporting as the standard OTEL_* variables say.

    `OTEL_TRACES_EXPORTER`: `otlp` (the OTLP/HTTP exporter, which reads `OTEL_EXPORTER_OTLP_ENDPOINT`,
    `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, ... itself), `console`, or `none` (the
    default: spans are made, for the trace ids in the logs, but not exported). `OTEL_SERVICE_NAME` and
    `OTEL_RESOURCE_ATTRIBUTES` are read by the SDK's resource; the service name defaults to groeiruimte-<service>.
    """
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": f"groeiruimte-{service}"}
    provider = TracerProvider(resource=Resource.create(attributes))
    for exporter in span_exporters(os.environ.get("OTEL_TRACES_EXPORTER", "none")):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def span_exporters(names: str) -> list:
    """The exporters OTEL_TRACES_EXPORTER names (comma-separated, as the specification allows)."""
    exporters = []
    for name in filter(None, (n.strip().lower() for n in names.split(","))):
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name != "none":
            raise ValueError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (otlp, console or none)")
    return exporters


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


def continued_trace_headers(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """The trace context of a consumed record, to store beside an event it caused (empty when it had none)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context_from_headers(headers))
    return carrier
