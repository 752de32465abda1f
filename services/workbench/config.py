"""The workbench's settings (env prefix WORKBENCH_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, development_mode, development_secret

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
DEV_SESSION_SECRET = "development-only-workbench-session-secret"


class WorkbenchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", extra="ignore", populate_by_name=True)

    http_port: int = 8005
    intake_url: str = "http://127.0.0.1:8001"
    matching_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"
    accounts_file: Path = Field(default=ROOT / ".local" / "workbench" / "accounts.json",
                                description="People who may sign in (hashed passwords); local state, not in git.")
    # Signs the CSRF tokens; outside development (GROEIRUIMTE_ENV) the public default stops the workbench.
    session_secret: SecretStr = development_secret(DEV_SESSION_SECRET)
    session_hours: float = Field(default=8.0, gt=0, description="A session ends this long after sign-in.")
    idle_minutes: float = Field(default=30.0, gt=0, description="... or this long after the last request.")
    upstream_timeout_seconds: float = 10.0

    @property
    def development(self) -> bool:
        """Development mode (GROEIRUIMTE_ENV=development): plain-http cookies on loopback; elsewhere Secure."""
        return development_mode()

    def service_url(self, service: str) -> str:
        return getattr(self, f"{service}_url").rstrip("/")
