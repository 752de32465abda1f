"""Settings common to every service. Each service subclasses with its own env prefix (e.g. INTAKE_)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _shared(name: str, default, **kw):
    """A field read from the same unprefixed variable by every service (e.g. KAFKA_BOOTSTRAP_SERVERS)."""
    return Field(default=default, validation_alias=AliasChoices(name, name.lower()), **kw)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = _shared("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    database_url: str = _shared("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:54320/groeiruimte")
    topic_prefix: str = _shared("KAFKA_TOPIC_PREFIX", "", description="Isolates test runs on a shared cluster.")
    # Kafka client security is configuration, not code: PLAINTEXT locally, SASL_SSL in production.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = _shared(
        "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = _shared(
        "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    kafka_sasl_username: str | None = _shared("KAFKA_SASL_USERNAME", None)
    kafka_sasl_password: SecretStr | None = _shared("KAFKA_SASL_PASSWORD", None)
    kafka_session_timeout_ms: int = _shared("KAFKA_SESSION_TIMEOUT_MS", 10_000)
    topic_partitions: int = _shared("KAFKA_TOPIC_PARTITIONS", 3)
    log_level: str = _shared("LOG_LEVEL", "INFO")
    log_json: bool = _shared("LOG_JSON", True)
    # `token:organisation:role,...`; the defaults are for local development only.
    api_tokens: SecretStr = _shared(
        "API_TOKENS", SecretStr("dev-coordinator:taskforce:coordinator,dev-ministry:ministry:ministry,"
                                "dev-oost:oost-nl:rom,dev-bom:bom:rom"))
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    outbox_poll_seconds: float = Field(default=2.0, description="Fallback poll; the relay is woken on commit.")
    consumer_batch_size: int = 200

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"
