"""Every service has the same shape: bootstrap builds one Deps, app.py wires routes, routes answer typed views."""

from __future__ import annotations

import dataclasses
import importlib
import json

import pytest

SERVICES = {"intake": "IntakeSettings", "matching": "MatchingSettings", "notifications": "NotificationsSettings",
            "reporting": "ReportingSettings"}
# The AsyncAPI document follows its own specification, not a schema of ours.
UNTYPED_ON_PURPOSE = {"/asyncapi.json"}


def settings_of(service: str):
    config = importlib.import_module(f"services.{service}.config")
    return getattr(config, SERVICES[service])()


@pytest.mark.parametrize("service", SERVICES)
def test_bootstrap_builds_one_deps_holding_settings_and_runtime(service):
    bootstrap = importlib.import_module(f"services.{service}.bootstrap").bootstrap
    deps = bootstrap(settings_of(service))  # builds, connects to nothing
    assert dataclasses.is_dataclass(deps) and type(deps).__name__ == "Deps"
    assert type(deps).__module__ == f"services.{service}.handlers"
    assert deps.runtime.name == service and deps.settings is deps.runtime.settings


@pytest.mark.parametrize("service", SERVICES)
def test_every_json_route_documents_a_typed_response(service):
    app = importlib.import_module(f"services.{service}.app").create_app(settings_of(service))
    assert type(app.state.deps).__name__ == "Deps"
    untyped = []
    for path, operations in app.openapi()["paths"].items():
        if path in UNTYPED_ON_PURPOSE:
            continue
        for method, op in operations.items():
            for code, response in op["responses"].items():
                json_body = response.get("content", {}).get("application/json")
                # A view is a named component ($ref, also inside an array or a union); pages and CSV are not JSON.
                if code.startswith("2") and json_body is not None and "$ref" not in json.dumps(json_body):
                    untyped.append(f"{method.upper()} {path} {code}")
    assert not untyped, f"routes answering JSON without a typed view: {untyped}"
