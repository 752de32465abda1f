from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore", populate_by_name=True)

    http_port: int = 8002
    top_n: int = Field(default=5, ge=1, le=50, description="Proposals per case.")
    near_misses: int = Field(default=3, ge=0, le=20, description="Near misses (with counterfactuals) per case.")
    load_reference_sites: bool = Field(default=True, description="Seed the illustrative catalogue at startup.")
    # Weights of the criteria; configuration, not code. Criteria a case has no demand for drop out and the
    # rest renormalise, so only the ratios matter.
    weight_space: float = Field(default=0.2, ge=0)
    weight_capital: float = Field(default=0.1, ge=0)
    weight_talent: float = Field(default=0.15, ge=0)
    weight_housing: float = Field(default=0.1, ge=0)
    weight_energy: float = Field(default=0.2, ge=0)
    weight_cluster: float = Field(default=0.15, ge=0)
    weight_knowledge: float = Field(default=0.05, ge=0)
    weight_own_region: float = Field(default=0.1, ge=0)
