"""Settings: one declared table, read from CALLVAULT_* environment variables (and CLI options).

Built by entry points only (the CLI's main), never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
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
    recording_mode: Literal["all", "none", "on-demand"] = "all"
    """Calls no recording rule matches: all recorded, none, or on demand (operators start)."""
    recording_rules: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Recording rules, first match wins: "KEY=VALUE… record|skip [NN%]" (docs/recordings.md)."""
    recording_sample_percent: float = Field(default=100.0, ge=0, le=100)
    """Share of the calls mode all records, chosen by a hash of the call id (reproducible)."""
    consent_announcement: Path | None = None
    """WAV of the consent notice ("this call is recorded…") looked for in every recording."""
    consent_window_s: float = Field(default=15.0, gt=0)
    """How much of each recording's start is searched for the consent notice."""
    consent_threshold: float = Field(default=0.6, gt=0, le=1)
    """Normalized cross-correlation at which the notice counts as heard."""
    consent_required: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Calls that must carry the notice: condition sets like "direction=inbound" ("all")."""
    siprec_listen: str = "127.0.0.1"
    """Address `callvault siprec` takes SIP (UDP and TCP) and RTP on (0.0.0.0: every one)."""
    siprec_port: int = Field(default=5060, ge=0, le=65535)
    """SIP port of the recording server (0: any free port, printed at start)."""
    siprec_rtp_ports: str = "20000-29999"
    """Port range for the recorded streams' RTP, one even port per stream."""
    siprec_media_address: str | None = None
    """Address put in the SDP answers (behind NAT); default: where the client reached us."""
    siprec_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"])
    """Recording clients allowed (addresses or networks; * for any); others get 403."""
    siprec_credentials: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """user:password pairs a recording client must authenticate with (digest); none: no auth."""
    siprec_recorder: str | None = None
    """This recorder's name on the live board; default siprec@HOSTNAME."""
    metrics_token: str | None = None
    """Bearer token a Prometheus scraper may send for GET /metrics (besides metrics.read)."""
    disk_free_min_mb: int = Field(default=1024, ge=0)
    """Free space of the data directory below which health says "degraded"."""
    recorder_stale_s: float = Field(default=10.0, gt=0)
    """A running recorder whose heartbeat is older than this counts as down."""

    @field_validator("local_networks", "local_domains", "local_number_prefixes", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @field_validator("siprec_allow", "siprec_credentials", mode="before")
    @classmethod
    def _siprec_lists(cls, value: object) -> object:
        return _split(value)

    @field_validator("recording_rules", "consent_required", mode="before")
    @classmethod
    def _recording_rules(cls, value: object) -> object:
        return _split(value)

    @field_validator("recording_rules", "consent_required")
    @classmethod
    def _valid_rules(cls, value: list[str], info: ValidationInfo) -> list[str]:
        from callvault.recording import policy

        parse = (
            policy.parse_rule if info.field_name == "recording_rules" else policy.parse_conditions
        )
        for text in value:
            try:
                parse(text)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return value

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
