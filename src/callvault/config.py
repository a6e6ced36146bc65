"""Settings: one declared table, read from CALLVAULT_* environment variables (and CLI options).

Built by entry points only (the CLI's main), never at import time. The table is a plain
dataclass checked by the few functions below, not a pydantic-settings model: importing
pydantic and pydantic-settings cost every command ≈ 0.2 CPU-s before it did anything.
(No ``from __future__ import annotations`` here: the checks read each field's type object.)
"""

import os
import types
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from callvault.errors import ConfigError

ENV_PREFIX = "CALLVAULT_"
"""A setting's environment variable is this + its name (either case)."""

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callvault"


def _bounds(
    *, gt: float | None = None, ge: float | None = None, le: float | None = None
) -> dict[str, float]:
    """A field's metadata: the bounds its number must keep (checked for given values)."""
    return {k: v for k, v in (("gt", gt), ("ge", ge), ("le", le)) if v is not None}


@dataclass(init=False)
class Settings:
    """Every setting of callvault. Environment variable = CALLVAULT_ + the name in capitals;
    lists are comma-separated there (CALLVAULT_LOCAL_NETWORKS=10.0.0.0/8,192.168.0.0/16)."""

    data_dir: Path = field(default_factory=_default_data_dir)
    """Where the journal (and, later, recordings) live."""
    database_url: str | None = None
    """SQLAlchemy URL of the journal; default: SQLite file journal.sqlite3 in data_dir."""
    local_networks: list[str] = field(default_factory=list)
    """CIDR blocks of the business's own phones and PBX; decide call direction."""
    local_domains: list[str] = field(default_factory=list)
    """SIP domains of the business (URI host parts); decide call direction."""
    local_number_prefixes: list[str] = field(default_factory=list)
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
    batch_packets: int = 32000
    """Packets read and decoded at once; memory grows with it. 32,000 costs half the fixed
    work a batch brings (its NumPy calls, its quality update) that 16,000 did, ≈ 5 % of an
    ingest of the benchmark capture, for ≈ 20 MB more at the peak (≈ 135 MB)."""
    webhook_timeout_s: float = field(default=10.0, metadata=_bounds(gt=0))
    """How long a webhook receiver has to answer one POST before the attempt counts as failed."""
    webhook_max_attempts: int = field(default=8, metadata=_bounds(ge=1))
    """Attempts per webhook delivery before it is marked failed (redeliver sends it again)."""
    webhook_backoff_s: float = field(default=30.0, metadata=_bounds(gt=0))
    """Delay before the first retry; it doubles with each attempt, with jitter (0.5-1x)."""
    webhook_backoff_max_s: float = field(default=3600.0, metadata=_bounds(gt=0))
    """The longest delay between two attempts of a delivery."""
    webhook_poll_s: float = field(default=5.0, metadata=_bounds(gt=0))
    """How often the delivery worker looks for due deliveries written by other processes."""
    recording_mode: Literal["all", "none", "on-demand"] = "all"
    """Calls no recording rule matches: all recorded, none, or on demand (operators start)."""
    recording_rules: list[str] = field(default_factory=list)
    """Recording rules, first match wins: "KEY=VALUE… record|skip [NN%]" (docs/recordings.md)."""
    recording_sample_percent: float = field(default=100.0, metadata=_bounds(ge=0, le=100))
    """Share of the calls mode all records, chosen by a hash of the call id (reproducible)."""
    consent_announcement: Path | None = None
    """WAV of the consent notice ("this call is recorded…") looked for in every recording."""
    consent_window_s: float = field(default=15.0, metadata=_bounds(gt=0))
    """How much of each recording's start is searched for the consent notice."""
    consent_threshold: float = field(default=0.6, metadata=_bounds(gt=0, le=1))
    """Normalized cross-correlation at which the notice counts as heard."""
    consent_required: list[str] = field(default_factory=list)
    """Calls that must carry the notice: condition sets like "direction=inbound" ("all")."""
    siprec_listen: str = "127.0.0.1"
    """Address `callvault siprec` takes SIP (UDP and TCP) and RTP on (0.0.0.0: every one)."""
    siprec_port: int = field(default=5060, metadata=_bounds(ge=0, le=65535))
    """SIP port of the recording server (0: any free port, printed at start)."""
    siprec_rtp_ports: str = "20000-29999"
    """Port range for the recorded streams' RTP, one even port per stream."""
    siprec_media_address: str | None = None
    """Address put in the SDP answers (behind NAT); default: where the client reached us."""
    siprec_allow: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    """Recording clients allowed (addresses or networks; * for any); others get 403."""
    siprec_credentials: list[str] = field(default_factory=list)
    """user:password pairs a recording client must authenticate with (digest); none: no auth."""
    siprec_recorder: str | None = None
    """This recorder's name on the live board; default siprec@HOSTNAME."""
    metrics_token: str | None = None
    """Bearer token a Prometheus scraper may send for GET /metrics (besides metrics.read)."""
    disk_free_min_mb: int = field(default=1024, metadata=_bounds(ge=0))
    """Free space of the data directory below which health says "degraded"."""
    recorder_stale_s: float = field(default=10.0, metadata=_bounds(gt=0))
    """A running recorder whose heartbeat is older than this counts as down."""

    def __init__(self, **values: Any) -> None:
        """Each setting from ``values``, else from its environment variable, else its
        default. Given and environment values are checked and converted (strings to
        numbers, booleans, paths; comma-separated strings to lists); defaults are trusted.

        Raises ConfigError naming the first setting that cannot be used."""
        known = {spec.name: spec for spec in fields(self)}
        if unknown := sorted(values.keys() - known.keys()):
            raise ConfigError(f"setting {unknown[0]}: there is no such setting")
        environ = {
            key.upper(): text for key, text in os.environ.items()
            if key.upper().startswith(ENV_PREFIX)
        }
        for name, spec in known.items():
            if name in values:
                value = _checked(spec, values[name])
            elif (variable := ENV_PREFIX + name.upper()) in environ:
                value = _checked(spec, environ[variable])
            elif spec.default_factory is not MISSING:
                value = spec.default_factory()
            else:
                value = spec.default
            setattr(self, name, value)

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
    return Settings(**{k: v for k, v in overrides.items() if v is not None and v != ()})


def _checked(spec: Field[Any], value: object) -> object:
    """``value`` converted to what ``spec`` declares and checked against its bounds and, for
    recording rules and consent conditions, their grammar."""
    try:
        converted = convert(value, spec.type)
        for bound, limit in spec.metadata.items():
            _check_bound(converted, bound, limit)
        if spec.name in ("recording_rules", "consent_required") and converted:
            _check_rules(spec.name, converted)  # type: ignore[arg-type]
    except (ValueError, ConfigError) as exc:
        raise ConfigError(f"setting {spec.name}: {exc}") from None
    return converted


def convert(value: object, kind: Any) -> object:
    """``value`` as the annotation ``kind`` has it; raises ValueError saying why it cannot be."""
    origin = get_origin(kind)
    if origin is Union or origin is types.UnionType:
        choices = [arg for arg in get_args(kind) if arg is not type(None)]
        if value is None and len(choices) < len(get_args(kind)):
            return None
        (kind,) = choices
        return convert(value, kind)
    if origin is Literal:
        if value in get_args(kind):
            return value
        raise ValueError(
            f"{value!r} is not one of " + ", ".join(repr(c) for c in get_args(kind))
        )
    if origin is list:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ValueError(f"{value!r} is not a list of strings")
    if kind is bool:
        word = value.strip().lower() if isinstance(value, str) else value
        if isinstance(value, bool) or word in _TRUE or word in _FALSE:
            return value if isinstance(value, bool) else word in _TRUE
        raise ValueError(f"{value!r} is not a boolean (true/false, yes/no, on/off, 1/0)")
    if kind is int and not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int | str):
            try:
                return int(value)
            except ValueError:
                pass
        raise ValueError(f"{value!r} is not an integer")
    if kind is float and not isinstance(value, bool):
        if isinstance(value, int | float | str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ValueError(f"{value!r} is not a number")
    if kind is str and isinstance(value, str):
        return value
    if kind is Path and isinstance(value, str | os.PathLike):
        return Path(value)
    raise ValueError(f"{value!r} is not a {getattr(kind, '__name__', kind)}")


def _check_bound(value: Any, bound: str, limit: float) -> None:
    if bound == "gt" and not value > limit:
        raise ValueError(f"must be greater than {limit:g} (not {value!r})")
    if bound == "ge" and not value >= limit:
        raise ValueError(f"must be at least {limit:g} (not {value!r})")
    if bound == "le" and not value <= limit:
        raise ValueError(f"must be at most {limit:g} (not {value!r})")


def _check_rules(name: str, texts: list[str]) -> None:
    """Raises ConfigError for the first recording rule or consent condition set that does not
    parse (the recorder would refuse it later, after the capture had been read)."""
    from callvault.recording import policy

    parse = policy.parse_rule if name == "recording_rules" else policy.parse_conditions
    for text in texts:
        parse(text)
