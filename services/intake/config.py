from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_ROMS, ServiceSettings, development_secret, name_hash_key


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", populate_by_name=True)

    http_port: int = 8001
    # The ROMs that publish leads on a topic of their own, lead-signalled.<organisation> (docs/kafka-security.md).
    rom_organisations: tuple[str, ...] = tuple(DEV_ROMS.values())
    # The KvK number leaves intake only as an HMAC with this key: with a known key every pseudonym is reversed by
    # brute force in minutes, so outside development the service refuses to start with the default.
    kvk_hash_key: SecretStr = development_secret("development-only-kvk-key")
    # Keys the digests of company names in lead-registered, which reporting's note review compares with.
    name_hash_key: SecretStr = name_hash_key()
    horizon_years: int = 3
    # Portfolio leads are triaged again this often (a far-off need date comes within the horizon).
    retriage_seconds: float = 3600.0
    # The look-alike job (look_alikes.py): every name_review_seconds it checks the waiting names, a batch at a
    # time, once no new name arrived for name_review_quiet_seconds or the oldest has waited
    # name_review_max_delay_seconds (a review waits at most about that long, also under a long burst of leads).
    name_review_seconds: float = 1.0
    name_review_quiet_seconds: float = 1.0
    name_review_max_delay_seconds: float = 300.0
    name_review_batch: int = Field(500, ge=1, le=10_000)
