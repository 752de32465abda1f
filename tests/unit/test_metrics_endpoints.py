"""Every service serves Prometheus metrics on /metrics and documents /readyz; traces export as OTEL_* says."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from prometheus_client.parser import text_string_to_metric_families

from services.intake.app import create_app as intake_app
from services.intake.config import IntakeSettings
from services.matching.app import create_app as matching_app
from services.matching.config import MatchingSettings
from services.notifications.app import create_app as notifications_app
from services.notifications.config import NotificationsSettings
from services.reporting.app import create_app as reporting_app
from services.reporting.config import ReportingSettings
from shared.telemetry import span_exporters

NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:9/none"  # a closed port: the scrape must answer all the same
APPS = {"intake": (intake_app, IntakeSettings), "matching": (matching_app, MatchingSettings),
        "notifications": (notifications_app, NotificationsSettings), "reporting": (reporting_app, ReportingSettings)}
PLUMBING = {"groeiruimte_dead_lettered", "groeiruimte_consumer_lag", "groeiruimte_outbox_backlog",
            "groeiruimte_outbox_parked", "groeiruimte_http_request_duration_seconds"}


@pytest.fixture(params=list(APPS))
def service(request):
    create, settings = APPS[request.param]
    return request.param, create(settings(database_url=NOWHERE))


async def test_metrics_are_prometheus_text_with_the_plumbing_families(service):
    name, app = service
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert PLUMBING <= set(families), sorted(families)
    if name == "notifications":
        outcomes = {s.labels["outcome"] for s in families["groeiruimte_mail_failed"].samples}
        assert {"deferred", "dead", "unreachable"} <= outcomes
        assert "groeiruimte_mail_sent" in families


def test_readyz_is_documented_with_its_503_and_metrics_is_not_an_api_operation(service):
    _, app = service
    paths = app.openapi()["paths"]
    assert "503" in paths["/readyz"]["get"]["responses"]
    assert "/metrics" not in paths


def test_traces_export_as_otel_traces_exporter_says(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces")
    assert span_exporters("none") == [] and span_exporters("") == []
    assert [type(e) for e in span_exporters("otlp, console")] == [OTLPSpanExporter, ConsoleSpanExporter]
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER"):
        span_exporters("zipkin")


async def test_the_workbench_serves_metrics_and_is_not_ready_without_its_database():
    from services.workbench.app import create_app as workbench_app
    from services.workbench.config import WorkbenchSettings

    app = workbench_app(WorkbenchSettings(database_url=NOWHERE))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as client:
        ready = await client.get("/readyz")
        await client.get("/healthz")
        scraped = await client.get("/metrics")
    assert ready.status_code == 503 and ready.json()["reasons"] == ["database unreachable"], ready.text
    families = {f.name for f in text_string_to_metric_families(scraped.text)}
    assert "groeiruimte_http_request_duration_seconds" in families
