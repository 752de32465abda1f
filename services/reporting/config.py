from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore", populate_by_name=True)

    http_port: int = 8004
    chromium: str = "chromium"  # headless Chromium for the PDF reports (Debian package `chromium`)
    # How often today's figures and trend are recomputed in the background if facts changed (0: never).
    warm_every_seconds: float = 30.0
