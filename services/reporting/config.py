from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, name_hash_key


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore", populate_by_name=True)

    http_port: int = 8004
    chromium: str = "chromium"  # headless Chromium for the PDF reports (Debian package `chromium`)
    # An event's `time` may lie at most this far after its arrival in Kafka; a later one is placed at its
    # arrival (a producer's clock ahead must not put figures in the future).
    max_clock_skew_seconds: float = 300.0
    # Keys the hashes of company names the review of qualitative notes compares with: set a real secret.
    name_hash_key: SecretStr = name_hash_key()
