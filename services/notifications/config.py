"""Notifications' settings (env prefix NOTIFICATIONS_)."""

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.notifications.domain.directory import no_header_breaks
from shared.settings import ServiceSettings, development_secret

HERE = Path(__file__).parent
DEV_REPLY_SECRET = "dev-only-reply-secret-change-me"
DEV_INTAKE_TOKEN = "dev-notifications"  # in the development API_TOKENS as notifications:service


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True)

    http_port: int = 8003
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Taskforce Groeiruimte <taskforce@groeiruimte.example>"
    recipients_file: Path = HERE / "data" / "recipients.json"
    templates_dir: Path = HERE / "templates"
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    outage_retry_max_seconds: float = Field(default=10.0, description="Backoff cap while the server is unreachable: "
                                                                     "one probe costs one connection attempt.")
    outage_probe_seconds: float = Field(default=2.0, description="While the server is unreachable, try to connect "
                                                                 "this often; on success every held mail goes.")
    max_attempts: int = Field(default=20, description="Refusals (4xx) before a mail is dead; outages never kill.")
    send_batch_size: int = Field(default=100, description="Mails sent over one SMTP connection.")
    send_connections: int = Field(default=4, ge=1, description="SMTP connections used side by side.")
    send_lease_seconds: float = Field(default=30.0, gt=0, description=(
        "A sender holds its claimed mails this long, renewed while it works. After a crash they wait at most "
        "this long; the one mail per connection whose fate is unknown then goes again with the same Message-ID."))
    # Rules
    relevance_threshold: float = Field(default=0.5, description="Proposals scoring below this are not mailed.")
    proposal_notifies_province: bool = True
    budget_per_period: int = Field(default=10, description="Proposal mails per recipient per period; then a digest.")
    budget_period_seconds: int = Field(default=86_400, description="Epoch-aligned (UTC) budget and digest period.")
    directory_cache_seconds: float = Field(default=5.0, description="How stale the rules' view of the directory "
                                                                      "may be (edits via this process: none).")
    case_wait_seconds: float = Field(default=30.0, description="How long a mail waits for its case-opened to "
                                                               "arrive (for the demand ranges) before going anyway.")
    # Replies
    public_base_url: str = "http://127.0.0.1:8003"
    # Signs reply links: with the public default anybody could forge a municipality's reply.
    reply_secret: SecretStr = development_secret(DEV_REPLY_SECRET)
    reply_valid_days: int = 90
    # Sealed identities (consent-granted): their keys come from intake, which destroys one on erasure.
    intake_url: str = "http://127.0.0.1:8001"
    intake_token: SecretStr = development_secret(DEV_INTAKE_TOKEN)
    intake_timeout_seconds: float = 10.0

    def _missing_credentials(self) -> list[str]:
        missing = super()._missing_credentials()
        if self.smtp_username and not (self.smtp_password and self.smtp_password.get_secret_value()):
            missing.append("NOTIFICATIONS_SMTP_PASSWORD: missing while NOTIFICATIONS_SMTP_USERNAME is set")
        return missing

    @field_validator("mail_from", "public_base_url")
    @classmethod
    def _no_header_breaks(cls, v: str, info) -> str:
        return no_header_breaks(v, info.field_name)
