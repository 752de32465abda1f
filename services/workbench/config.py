"""The workbench's settings (env prefix WORKBENCH_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, UnsafeSettings, development_mode, development_secret

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
DEV_SESSION_SECRET = "development-only-workbench-session-secret"


def _smtp(name: str, default, *, prefix: str = "SMTP_"):
    variable = f"{prefix}{name}".upper()
    return Field(default=default, validation_alias=AliasChoices(f"WORKBENCH_{variable}", f"NOTIFICATIONS_{variable}",
                                                                f"smtp_{name}" if prefix else name))


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
    # Follow-up reminders go out through the project's SMTP server: the notifications service's settings are
    # read when the workbench has none of its own, so one deployment configures one server.
    smtp_host: str = _smtp("host", "127.0.0.1")
    smtp_port: int = _smtp("port", 8025)
    smtp_starttls: bool = _smtp("starttls", False)
    smtp_username: str | None = _smtp("username", None)
    smtp_password: SecretStr | None = _smtp("password", None)
    smtp_timeout_seconds: float = _smtp("timeout_seconds", 10.0)
    mail_from: str = _smtp("mail_from", "Taskforce Groeiruimte <taskforce@groeiruimte.example>", prefix="")
    public_url: str = Field(default="http://127.0.0.1:8005", description="Where people open the workbench "
                                                                         "(the links in reminder mails).")

    # Sign-in through the organisation's OpenID Connect provider; off (local accounts file only) when no issuer.
    oidc_issuer: str | None = Field(default=None, description="The provider's issuer URL (discovery under it).")
    oidc_client_id: str = "groeiruimte-workbench"
    oidc_client_secret: SecretStr | None = Field(default=None, description="Required outside development "
                                                                           "when the issuer is set.")
    oidc_scopes: str = "openid profile email"
    oidc_role_claim: str = Field(default="groeiruimte_role", description="The ID token claim with the role.")
    oidc_organisation_claim: str = Field(default="groeiruimte_organisation",
                                         description="The ID token claim with the organisation.")

    def refuse_unsafe(self) -> None:
        if self.oidc_issuer and self.oidc_client_secret is None and not development_mode():
            raise UnsafeSettings("WORKBENCH_OIDC_CLIENT_SECRET is required when WORKBENCH_OIDC_ISSUER is set")
        super().refuse_unsafe()

    @property
    def development(self) -> bool:
        """Development mode (GROEIRUIMTE_ENV=development): plain-http cookies on loopback; elsewhere Secure."""
        return development_mode()

    def service_url(self, service: str) -> str:
        return getattr(self, f"{service}_url").rstrip("/")
