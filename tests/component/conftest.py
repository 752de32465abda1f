"""Component tests: a service's subscribers, as bootstrap wires them, against FastStream's in-memory
TestKafkaBroker; PostgreSQL is real (the effects and the processed-event keys commit there). Fast, beside
(not instead of) the integration tests against real Kafka."""

from __future__ import annotations

import importlib
import uuid

import pytest

SETTINGS = {"intake": "IntakeSettings", "matching": "MatchingSettings", "notifications": "NotificationsSettings",
            "reporting": "ReportingSettings"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/component/" in str(item.fspath):
            item.add_marker(pytest.mark.component)


@pytest.fixture
def build(database_url):
    """`build(service)`: the service's Deps from its own bootstrap, on this run's database and a topic prefix of
    this test's own (the in-memory broker routes by topic name)."""
    prefix = f"component-{uuid.uuid4().hex[:8]}."

    def make(service: str, **overrides):
        config = importlib.import_module(f"services.{service}.config")
        settings = getattr(config, SETTINGS[service])(database_url=database_url, topic_prefix=prefix, **overrides)
        return importlib.import_module(f"services.{service}.bootstrap").bootstrap(settings)

    return make
