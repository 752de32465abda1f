"""Settings common to every service. Each service subclasses with its own env prefix (e.g. INTAKE_)."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_ENV = "GROEIRUIMTE_ENV"
"""`GROEIRUIMTE_ENV=development` (set by `make up`, the local stack's service starts, CI and the tests) allows
the public development secrets; anywhere else a service with one of them, or with a missing secret, refuses to
start."""

# One development token per role and organisation (README, "Development tokens"): every ROM of the programme,
# the coordinator, the ministry, and each municipality and province of the reference sites. A municipality's or
# province's organisation is its CBS code (GM..../PV..), as the notification directory names it.
DEV_ROMS = {"nom": "nom", "oost": "oost-nl", "bom": "bom", "iq": "innovationquarter", "horizon": "horizon-flevoland"}
DEV_MUNICIPALITIES = ("GM0014", "GM1966", "GM0153", "GM0268", "GM0772", "GM0503", "GM0546", "GM0599", "GM0034")
DEV_PROVINCES = ("PV20", "PV23", "PV24", "PV25", "PV28", "PV30")
DEV_API_TOKENS = ",".join(
    ["dev-coordinator:taskforce:coordinator", "dev-ministry:ministry:ministry"]
    + [f"dev-{short}:{organisation}:rom" for short, organisation in DEV_ROMS.items()]
    + [f"dev-{code.lower()}:{code}:municipality" for code in DEV_MUNICIPALITIES]
    + [f"dev-{code.lower()}:{code}:province" for code in DEV_PROVINCES]
    + ["dev-notifications:notifications:service"])

DEV_PERSON_TOKEN_SECRET = "development-only-person-token-secret-0123456789"
DEV_NAME_HASH_KEY = "development-only-name-key"


class UnsafeSettings(RuntimeError):
    """A development or missing secret outside development mode: the service must not start."""


def development_mode() -> bool:
    return os.environ.get(DEVELOPMENT_ENV, "").strip().lower() == "development"


def development_secret(default: str, **kw) -> Any:
    """A secret field whose default is public (for local use only): outside development mode it must be set."""
    extra = kw.pop("json_schema_extra", {}) | {"development_secret": True}
    return Field(default=SecretStr(default), json_schema_extra=extra, **kw)


def _shared(name: str, default, **kw):
    """A field read from the same unprefixed variable by every service (e.g. KAFKA_BOOTSTRAP_SERVERS)."""
    return Field(default=default, validation_alias=AliasChoices(name, name.lower()), **kw)


def name_hash_key() -> Any:
    """NAME_HASH_KEY: keys the digests of company names (shared.names); one secret known to intake, which makes
    the digests, and reporting, which compares notes with them (REPORTING_NAME_HASH_KEY is its former name)."""
    return Field(default=SecretStr(DEV_NAME_HASH_KEY), json_schema_extra={"development_secret": True},
                 validation_alias=AliasChoices("NAME_HASH_KEY", "name_hash_key", "REPORTING_NAME_HASH_KEY"))


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
    # Capped at the cluster's size when topics are created (3 replicas, min.insync 2; 1/1 on a single broker).
    topic_replication_factor: int = _shared("KAFKA_TOPIC_REPLICATION_FACTOR", 3)
    log_level: str = _shared("LOG_LEVEL", "INFO")
    log_json: bool = _shared("LOG_JSON", True)
    # `token:organisation:role,...`; the defaults are for local development only.
    api_tokens: SecretStr = _shared("API_TOKENS", SecretStr(DEV_API_TOKENS),
                                    json_schema_extra={"development_secret": True})
    # Signs and verifies the 60-second tokens the workbench issues for the person signed in (shared/auth.py):
    # one secret per deployment, known to the workbench and the services only.
    person_token_secret: SecretStr = _shared("PERSON_TOKEN_SECRET", SecretStr(DEV_PERSON_TOKEN_SECRET),
                                             json_schema_extra={"development_secret": True})
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    outbox_poll_seconds: float = Field(default=2.0, description="Fallback poll; the relay is woken on commit.")
    outbox_max_attempts: int = Field(default=3, ge=1, description="A row the broker keeps refusing (too large, "
                                     "not authorised) is parked after this many attempts; later rows go on.")
    outbox_retention_hours: float = Field(default=168.0, ge=0, description="Published rows are deleted after this.")
    outbox_cleanup_seconds: float = Field(default=300.0, gt=0, description="How often published rows are cleaned up.")
    consumer_batch_size: int = 200
    consumer_max_attempts: int = Field(default=3, ge=1, description="An event that keeps failing (not a "
                                       "passing fault) is dead-lettered after this many attempts.")
    consumer_retry_seconds: float = Field(default=60.0, description="How long a transient failure is retried "
                                          "in place before the batch is redelivered (and retried again).")
    consumer_retry_max_seconds: float = Field(default=10.0, description="Cap of the exponential backoff.")

    def refuse_unsafe(self) -> None:
        """Raise UnsafeSettings naming the first setting that keeps this service from starting outside development."""
        if development_mode():
            return
        problem = next(iter(self.unsafe_settings()), None)
        if problem:
            raise UnsafeSettings(f"refusing to start outside development mode: {problem} "
                                 f"(or set {DEVELOPMENT_ENV}=development on a developer's machine)")

    def unsafe_settings(self) -> list[str]:
        """Every development or missing secret, as `VARIABLE: why`."""
        found = []
        for name, info in type(self).model_fields.items():
            if (info.json_schema_extra or {}).get("development_secret"):
                value = getattr(self, name)
                secret = value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")
                if not secret.strip():
                    found.append(f"{self.variable(name)}: is empty")
                elif secret == info.get_default().get_secret_value():
                    found.append(f"{self.variable(name)}: is the public development value")
        found += self._development_tokens() + self._missing_credentials()
        return found

    def _development_tokens(self) -> list[str]:
        development = {entry.split(":", 1)[0] for entry in DEV_API_TOKENS.split(",")}
        given = {entry.split(":", 1)[0].strip() for entry in self.api_tokens.get_secret_value().split(",")}
        used = sorted(development & given)
        if used and self.api_tokens.get_secret_value() != DEV_API_TOKENS:
            return [f"API_TOKENS: holds the development token {used[0]!r}"]
        return []

    def _missing_credentials(self) -> list[str]:
        """A secret that a chosen option needs but nobody gave."""
        if self.kafka_security_protocol.startswith("SASL") and not (
                self.kafka_sasl_username and self.kafka_sasl_password and self.kafka_sasl_password.get_secret_value()):
            return [f"KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD: missing while KAFKA_SECURITY_PROTOCOL="
                    f"{self.kafka_security_protocol}"]
        return []

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable a field is read from (`INTAKE_KVK_HASH_KEY`, `API_TOKENS`)."""
        alias = cls.model_fields[field].validation_alias
        if isinstance(alias, AliasChoices):
            return str(alias.choices[0])
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def group(self, name: str) -> str:
        """The Kafka consumer group id of a logical group: isolated like the topics, so one run's members
        never join (and stall the rebalances of) another's."""
        return f"{self.topic_prefix}{name}"
