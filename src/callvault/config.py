"""Settings: one declared table, read from CALLVAULT_* environment variables (and CLI options).

Built by entry points only (the CLI's main), never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from callvault.errors import ConfigError


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callvault"


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting of callvault. Environment variable = CALLVAULT_ + the name in capitals;
    lists are comma-separated there (CALLVAULT_LOCAL_NETWORKS=10.0.0.0/8,192.168.0.0/16)."""

    model_config = SettingsConfigDict(env_prefix="CALLVAULT_", extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where the journal (and, later, recordings) live."""
    database_url: str | None = None
    """SQLAlchemy URL of the journal; default: SQLite file journal.sqlite3 in data_dir."""
    local_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """CIDR blocks of the business's own phones and PBX; decide call direction."""
    local_domains: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """SIP domains of the business (URI host parts); decide call direction."""
    local_number_prefixes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Number prefixes of the business's own lines (e.g. +4533, 1); decide call direction."""
    extension_max_digits: int = 6
    """A number of at most this many digits is an internal extension (0 turns that off)."""
    default_region: str | None = None
    """ISO country (e.g. DK, BR) for reading national numbers as E.164; None: only +/00 numbers."""
    bye_linger_s: float = 2.0
    """After BYE, CANCEL or a final failure, wait this long (capture time) for stragglers."""
    setup_timeout_s: float = 180.0
    """A call not yet answered with no SIP for this long has failed."""
    inactivity_timeout_s: float = 300.0
    """An answered call with no SIP and no media for this long has ended."""
    media_timeout_s: float = 30.0
    """Unsignalled RTP with no packet for this long is a finished conversation."""
    record_audio: bool = True
    """Write a stereo recording of every call with media (ingest --no-audio turns it off)."""
    audio_format: Literal["wav", "flac", "opus"] = "wav"
    """wav: G.711 kept as sent (lossless, cheapest); flac: lossless PCM; opus: compact."""
    batch_packets: int = 16000
    """Packets read and decoded at once; memory grows with it. 16,000 keeps a batch's 8-byte
    arrays under glibc's 128 KiB mmap threshold (16,384 would page-fault every one: ~15 % slower)."""
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    """How long a webhook receiver has to answer one POST before the attempt counts as failed."""
    webhook_max_attempts: int = Field(default=8, ge=1)
    """Attempts per webhook delivery before it is marked failed (redeliver sends it again)."""
    webhook_backoff_s: float = Field(default=30.0, gt=0)
    """Delay before the first retry; it doubles with each attempt, with jitter (0.5-1x)."""
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0)
    """The longest delay between two attempts of a delivery."""
    webhook_poll_s: float = Field(default=5.0, gt=0)
    """How often the delivery worker looks for due deliveries written by other processes."""

    @field_validator("local_networks", "local_domains", "local_number_prefixes", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def journal_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'journal.sqlite3'}"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment with CLI overrides (None values ignored)."""
    given = {k: v for k, v in overrides.items() if v is not None and v != ()}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "setting"
        raise ConfigError(f"setting {name}: {first['msg']}") from exc
