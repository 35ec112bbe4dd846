"""Dyad's settings: environment variables prefixed DYAD_ (a .env file is read too)."""

import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DYAD_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./dyad.db"
    public_read: bool = True
    redis_url: str | None = None
    # Requests per key (or per client address when anonymous); "off" for none.
    rate_limit: str | None = "600/minute"
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0)
    # Imports carry whole data sets: they may be larger than other bodies.
    max_import_bytes: int = Field(200 * 1024 * 1024, gt=0)
    # Longest a single SQL statement may run before it is cancelled (a 503 for the client).
    statement_timeout: float = Field(10.0, gt=0)
    # A process in front of a read replica: writes are refused (503) and nothing is written,
    # not even a key's last use; the database connection itself is read-only too.
    read_only: bool = False
    # Comma-separated in the environment: DYAD_CORS_ORIGINS=https://a.org,https://b.org
    cors_origins: Annotated[list[str], NoDecode] = []
    # API reads one process runs at once; the others wait their turn (app/core/read_slots.py).
    concurrent_reads: int = Field(2, ge=1)
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    # auto: plain lines on a terminal, JSON lines when the logs go to a file or a pipe.
    log_format: Literal["auto", "json", "plain"] = "auto"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _rate(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            if value in ("", "off", "none"):
                return None
            if not re.fullmatch(r"\d+/(second|minute|hour|day)", value) or value.startswith("0"):
                raise ValueError(
                    "must look like 600/minute (per second, minute, hour or day), or off"
                )
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


@lru_cache
def get_settings() -> Settings:
    return Settings()


def describe_error(error: Exception) -> str:
    """One line that names the bad setting, for start-up failures."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return f"invalid settings: {error}"
    parts = []
    for item in error.errors():
        name = "DYAD_" + str(item["loc"][0]).upper() if item["loc"] else "settings"
        parts.append(f"{name}: {item['msg']}")
    return "invalid setting " + "; ".join(parts)
