"""deploy/observability: the alert rules are well-formed Prometheus rule groups, cover what must page someone, and
(like the dashboard) only use metrics that the services really serve on /metrics (promtool is not available here:
this checks the file's structure and names, not PromQL's grammar)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from deploy.processes import ROOT
from services.intake.app import create_app as intake_app
from services.intake.config import IntakeSettings
from services.notifications.app import create_app as notifications_app
from services.notifications.config import NotificationsSettings

HERE = ROOT / "deploy" / "observability"
DURATION = re.compile(r"^\d+[smhdwy]$")
METRIC = re.compile(r"\b((?:groeiruimte|faststream)_[a-z_]+)\b")
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")
NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:9/none"


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    doc = yaml.safe_load((HERE / "alerts.yml").read_text())
    assert set(doc) == {"groups"} and doc["groups"]
    out = []
    for group in doc["groups"]:
        assert set(group) == {"name", "rules"} and group["rules"], group.get("name")
        out += group["rules"]
    return out


@pytest.fixture(scope="module")
async def served() -> set[str]:
    """Metric family names a scrape of intake and notifications shows (the others serve the same plumbing)."""
    names: set[str] = set()
    for create, settings in ((intake_app, IntakeSettings), (notifications_app, NotificationsSettings)):
        app = create(settings(database_url=NOWHERE))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as client:
            names |= {f.name for f in text_string_to_metric_families((await client.get("/metrics")).text)}
    return names


def family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def test_every_rule_is_a_complete_alert(rules):
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names)), "alert names must be unique"
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule["alert"]
        assert isinstance(rule["expr"], str) and rule["expr"].strip(), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        assert DURATION.match(rule.get("for", "0m")), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_the_alerts_cover_lag_dead_letters_parked_rows_and_smtp(rules):
    used = " ".join(r["expr"] for r in rules)
    for metric in ("groeiruimte_consumer_lag", "groeiruimte_dead_lettered_total", "groeiruimte_outbox_parked",
                   "groeiruimte_mail_failed_total"):
        assert metric in used, metric


async def test_alerts_and_dashboard_use_only_served_metrics(rules, served):
    dashboard = json.loads((HERE / "grafana-dashboard.json").read_text())
    exprs = [r["expr"] for r in rules] + [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {family(m) for e in exprs for m in METRIC.findall(e)}
    assert used and used <= served, sorted(used - served)


def test_the_dashboard_is_grafana_json_with_unique_panels():
    dashboard = json.loads((HERE / "grafana-dashboard.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 8
    for p in dashboard["panels"]:
        assert p["targets"] and all(t["expr"] for t in p["targets"]), p["title"]
        assert {"x", "y", "w", "h"} <= set(p["gridPos"]), p["title"]
