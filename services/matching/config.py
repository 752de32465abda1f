from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore", populate_by_name=True)

    http_port: int = 8002
    top_n: int = 5
    # Weights of the soft criteria; configuration, not code.
    weight_space: float = 0.3
    weight_energy: float = 0.3
    weight_cluster: float = 0.25
    weight_own_region: float = 0.15
