"""Outside development mode a service refuses to start with a public development secret or a missing one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deploy.processes import ROOT
from services.intake.app import create_app as intake_app
from services.intake.config import IntakeSettings
from services.matching.config import MatchingSettings
from services.notifications.app import create_app as notifications_app
from services.notifications.config import NotificationsSettings
from services.reporting.config import ReportingSettings
from shared.settings import DEVELOPMENT_ENV, UnsafeSettings

PROPER = {"API_TOKENS": "s3cr3t-ministry-token-0123456789:ministry:ministry",
          "INTAKE_KVK_HASH_KEY": "a-real-kvk-hash-key-from-the-vault",
          "NOTIFICATIONS_REPLY_SECRET": "a-real-reply-secret-from-the-vault",
          "NOTIFICATIONS_INTAKE_TOKEN": "a-real-notifications-token-for-intake",
          "NAME_HASH_KEY": "a-real-name-hash-key-from-the-vault",
          "PERSON_TOKEN_SECRET": "a-real-person-token-secret-from-the-vault"}


@pytest.fixture
def production(monkeypatch):
    """No development mode, and every secret set to a proper value (a test then spoils one)."""
    monkeypatch.delenv(DEVELOPMENT_ENV, raising=False)
    for name, value in PROPER.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.mark.parametrize(("variable", "settings"), [
    ("API_TOKENS", MatchingSettings),
    ("PERSON_TOKEN_SECRET", MatchingSettings),
    ("INTAKE_KVK_HASH_KEY", IntakeSettings),
    ("NOTIFICATIONS_REPLY_SECRET", NotificationsSettings),
    ("NAME_HASH_KEY", ReportingSettings),
    ("NAME_HASH_KEY", IntakeSettings),
])
def test_a_development_default_is_refused_naming_the_setting(production, variable, settings):
    production.delenv(variable)
    with pytest.raises(UnsafeSettings, match=f"{variable}: is the public development value"):
        settings().refuse_unsafe()


def test_the_name_hash_key_s_former_name_is_still_read(production):
    production.delenv("NAME_HASH_KEY")
    production.setenv("REPORTING_NAME_HASH_KEY", "a-real-name-hash-key-from-the-vault")
    ReportingSettings().refuse_unsafe()
    assert ReportingSettings().name_hash_key.get_secret_value() == "a-real-name-hash-key-from-the-vault"


def test_an_empty_secret_is_refused(production):
    production.setenv("INTAKE_KVK_HASH_KEY", " ")
    with pytest.raises(UnsafeSettings, match="INTAKE_KVK_HASH_KEY: is empty"):
        IntakeSettings().refuse_unsafe()


def test_a_development_token_among_real_ones_is_refused(production):
    production.setenv("API_TOKENS", PROPER["API_TOKENS"] + ",dev-bom:bom:rom")
    with pytest.raises(UnsafeSettings, match="API_TOKENS: holds the development token 'dev-bom'"):
        IntakeSettings().refuse_unsafe()


def test_sasl_without_a_password_is_a_missing_secret(production):
    production.delenv("KAFKA_SASL_PASSWORD", raising=False)  # the test run's own cluster sets one
    production.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    production.setenv("KAFKA_SASL_USERNAME", "intake")
    with pytest.raises(UnsafeSettings, match="KAFKA_SASL_PASSWORD: missing"):
        MatchingSettings().refuse_unsafe()


def test_an_smtp_user_without_a_password_is_a_missing_secret(production):
    production.setenv("NOTIFICATIONS_SMTP_USERNAME", "mailer")
    with pytest.raises(UnsafeSettings, match="NOTIFICATIONS_SMTP_PASSWORD: missing"):
        NotificationsSettings().refuse_unsafe()


def test_notifications_refuses_the_development_token_for_intake_s_identity_keys(production):
    production.setenv("NOTIFICATIONS_INTAKE_TOKEN", "dev-notifications")
    with pytest.raises(UnsafeSettings, match="NOTIFICATIONS_INTAKE_TOKEN: is the public development value"):
        NotificationsSettings().refuse_unsafe()


def test_building_the_app_is_refused_too(production):
    production.delenv("NOTIFICATIONS_REPLY_SECRET")
    with pytest.raises(UnsafeSettings, match="NOTIFICATIONS_REPLY_SECRET"):
        notifications_app(NotificationsSettings())


def test_with_proper_secrets_every_service_builds(production):
    for settings in (IntakeSettings, MatchingSettings, NotificationsSettings, ReportingSettings):
        assert settings().unsafe_settings() == [], settings.__name__
    assert intake_app(IntakeSettings()).openapi()["info"]["title"] == "Groeiruimte intake"


def test_development_mode_accepts_the_development_secrets(monkeypatch):
    monkeypatch.setenv(DEVELOPMENT_ENV, "development")
    for name in PROPER:
        monkeypatch.delenv(name, raising=False)
    IntakeSettings().refuse_unsafe()
    assert intake_app(IntakeSettings()).title == "Groeiruimte intake"


def test_the_process_exits_non_zero_with_one_line_naming_the_setting():
    """`python -m services.intake serve` without development mode: exit 2 before touching the database."""
    env = {"PATH": "/usr/bin:/bin", **PROPER, "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:9/none"}
    del env["INTAKE_KVK_HASH_KEY"]
    run = subprocess.run([sys.executable, "-m", "services.intake", "serve"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "INTAKE_KVK_HASH_KEY" in lines[0], run.stderr
