"""The KPIs: versioned definitions over the additive measures of a group of calls.

Every KPI is a formula over the measures of ``analytics.measures`` (sums, one maximum), so
a KPI over any group of calls, from rollups or from raw calls, is the same arithmetic on
the same numbers. ``docs/analytics.md`` says in words what each counts; a change of what a
KPI counts bumps its ``version``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callvault.config import ENV_PREFIX, convert
from callvault.errors import CallvaultError
from callvault.journal.schema import KPI_WAIT_BOUNDS_S

DEFAULT_RESOLVED_OUTCOMES: Final = frozenset({"resolved", "sale", "deal", "closed", "won"})
"""Outcomes (compared trimmed and lower-cased) that count as resolved."""
DEFAULT_DEAL_OUTCOMES: Final = frozenset({"sale", "deal", "won"})
"""Outcomes that count as a closed deal (a conversion)."""
POOR_MOS: Final = 3.6
"""A call whose mean stream MOS is below this is of poor quality (ITU-T G.107: below
"satisfied" for most users)."""


class AnalyticsError(CallvaultError):
    """A KPI query that cannot be answered as asked (unknown KPI, dimension, zone…)."""


@dataclass(frozen=True, slots=True)
class KpiSettings:
    """What the KPIs depend on besides the calls: the center's settings."""

    timezone: str = "UTC"
    """The center's IANA time zone: dates, hours of day and weekdays are local to it."""
    service_level_s: int = 20
    """Service level: share of offered calls answered within this many seconds."""
    short_abandon_s: int = 5
    """Inbound calls abandoned within this many seconds are short abandons: not offered."""
    resolved_outcomes: frozenset[str] = DEFAULT_RESOLVED_OUTCOMES
    deal_outcomes: frozenset[str] = DEFAULT_DEAL_OUTCOMES
    deal_value: float | None = None
    """What a closed deal is worth (for marketing ROI); None: ROI is not computed."""
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise AnalyticsError(
                f"unknown time zone {self.timezone!r}: use an IANA name such as Europe/Copenhagen"
            ) from exc
        object.__setattr__(self, "zone", zone)
        for name in ("service_level_s", "short_abandon_s"):
            if not 0 <= getattr(self, name) <= 3600:
                raise AnalyticsError(f"{name} must be between 0 and 3600 seconds")
        for name in ("resolved_outcomes", "deal_outcomes"):
            normal = frozenset(o.strip().lower() for o in getattr(self, name) if o.strip())
            object.__setattr__(self, name, normal)

    @property
    def exact_from_rollups(self) -> bool:
        """Whether rollups can answer with these thresholds (histogram bounds, or 0)."""
        bounds = {0, *KPI_WAIT_BOUNDS_S}
        return self.service_level_s in bounds and self.short_abandon_s in bounds


Measures = Mapping[str, int]


def _within(measures: Measures, prefix: str, seconds: int) -> int:
    return 0 if seconds == 0 else measures[f"{prefix}_within_{seconds}"]


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def short_abandoned(m: Measures, s: KpiSettings) -> int:
    return _within(m, "abandoned", s.short_abandon_s)


def offered(m: Measures, s: KpiSettings) -> int:
    return m["inbound"] - short_abandoned(m, s)


def abandoned(m: Measures, s: KpiSettings) -> int:
    return m["inbound_abandoned"] - short_abandoned(m, s)


def missed(m: Measures, s: KpiSettings) -> int:
    return offered(m, s) - m["inbound_answered"]


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI: its name, what it counts (docs/analytics.md has the long form), its unit
    and its formula over the measures."""

    name: str
    version: int
    unit: str
    """"calls", "seconds", "share" (0…1), "score", "contacts" or "percent"."""
    label: str
    formula: Callable[[Measures, KpiSettings], float | int | None]


KPIS: Final[tuple[Kpi, ...]] = (
    Kpi("calls", 1, "calls", "Calls", lambda m, s: m["calls"]),
    Kpi("offered", 1, "calls", "Offered", offered),
    Kpi("answered", 1, "calls", "Answered", lambda m, s: m["inbound_answered"]),
    Kpi("missed", 1, "calls", "Missed", missed),
    Kpi("abandoned", 1, "calls", "Abandoned", abandoned),
    Kpi("short_abandoned", 1, "calls", "Short abandons", short_abandoned),
    Kpi("outbound", 1, "calls", "Outbound", lambda m, s: m["outbound"]),
    Kpi("outbound_answered", 1, "calls", "Outbound answered",
        lambda m, s: m["outbound_answered"]),
    Kpi("answer_rate", 1, "share", "Answer rate",
        lambda m, s: _ratio(m["inbound_answered"], offered(m, s))),
    Kpi("missed_share", 1, "share", "Missed share",
        lambda m, s: _ratio(missed(m, s), offered(m, s))),
    Kpi("abandon_rate", 1, "share", "Abandon rate",
        lambda m, s: _ratio(abandoned(m, s), offered(m, s))),
    Kpi("service_level", 1, "share", "Service level",
        lambda m, s: _ratio(_within(m, "answered", s.service_level_s), offered(m, s))),
    Kpi("avg_talk_s", 1, "seconds", "Avg talk",
        lambda m, s: _ratio(m["talk_ms"] / 1000, m["handled"])),
    Kpi("avg_handle_s", 1, "seconds", "Avg handle",
        lambda m, s: _ratio(m["handle_ms"] / 1000, m["handled"])),
    Kpi("avg_hold_s", 1, "seconds", "Avg hold",
        lambda m, s: _ratio(m["hold_ms"] / 1000, m["handled"])),
    Kpi("asa_s", 1, "seconds", "ASA",
        lambda m, s: _ratio(m["answer_wait_ms"] / 1000, m["inbound_answered"])),
    Kpi("avg_wait_s", 1, "seconds", "Avg wait",
        lambda m, s: _ratio(m["wait_ms"] / 1000, m["inbound"])),
    Kpi("longest_wait_s", 1, "seconds", "Longest wait",
        lambda m, s: m["wait_max_ms"] / 1000 if m["inbound"] else None),
    Kpi("transfer_rate", 1, "share", "Transfer rate",
        lambda m, s: _ratio(m["transferred"], m["handled"])),
    Kpi("resolution_rate", 1, "share", "Resolution rate",
        lambda m, s: _ratio(m["resolved"], m["with_outcome"])),
    Kpi("deals", 1, "calls", "Deals", lambda m, s: m["deals"]),
    Kpi("contacts_before_deal", 1, "contacts", "Contacts before deal",
        lambda m, s: _ratio(m["deal_prior_contacts"], m["deals"])),
    Kpi("repeat_24h_rate", 1, "share", "Repeat 24 h",
        lambda m, s: _ratio(m["repeat_24h"], m["repeat_base"])),
    Kpi("repeat_7d_rate", 1, "share", "Repeat 7 d",
        lambda m, s: _ratio(m["repeat_7d"], m["repeat_base"])),
    Kpi("fcr_24h", 1, "share", "FCR 24 h",
        lambda m, s: _ratio(m["repeat_base"] - m["repeat_24h"], m["repeat_base"])),
    Kpi("fcr_7d", 1, "share", "FCR 7 d",
        lambda m, s: _ratio(m["repeat_base"] - m["repeat_7d"], m["repeat_base"])),
    Kpi("csat_scored", 1, "calls", "CSAT scored", lambda m, s: m["csat_scored"]),
    Kpi("csat_avg", 1, "score", "CSAT", lambda m, s: _ratio(m["csat_sum"], m["csat_scored"])),
    Kpi("mos_avg", 1, "score", "MOS",
        lambda m, s: _ratio(m["mos_milli_sum"] / 1000, m["mos_calls"])),
    Kpi("poor_quality_share", 1, "share", "Poor MOS",
        lambda m, s: _ratio(m["mos_poor"], m["mos_calls"])),
    Kpi("loss_pct", 1, "percent", "Loss %",
        lambda m, s: _ratio(100 * m["rtp_lost"], m["rtp_expected"])),
)
"""Every KPI, in the order reports show them."""

BY_NAME: Final[dict[str, Kpi]] = {kpi.name: kpi for kpi in KPIS}


def select(names: list[str] | tuple[str, ...] | None) -> tuple[Kpi, ...]:
    """The KPIs named (all when None or empty), or AnalyticsError naming the unknown one."""
    if not names:
        return KPIS
    chosen = []
    for name in names:
        kpi = BY_NAME.get(name.strip())
        if kpi is None:
            raise AnalyticsError(f"unknown KPI {name!r}: one of {', '.join(BY_NAME)}")
        chosen.append(kpi)
    return tuple(chosen)


def evaluate(
    measures: Measures, settings: KpiSettings, kpis: tuple[Kpi, ...] = KPIS
) -> dict[str, float | int | None]:
    """The KPIs' values for one group's measures (None where the denominator is 0)."""
    return {kpi.name: kpi.formula(measures, settings) for kpi in kpis}


_CENTER_SETTINGS: Final[dict[str, Any]] = {
    "timezone": str,
    "service_level_s": int,
    "short_abandon_s": int,
    "resolved_outcomes": list[str],
    "deal_outcomes": list[str],
    "deal_value": float,
}
"""The center's KPI settings read from CALLVAULT_* environment variables (docs/analytics.md),
with their types; outcome lists are comma-separated there."""


def center_settings(**overrides: object) -> KpiSettings:
    """The center's KPI settings (environment), with the overrides given (None: not given).

    Raises AnalyticsError naming the environment variable whose value cannot be used."""
    environ = {key.upper(): text for key, text in os.environ.items()}
    values: dict[str, Any] = {}
    for name, kind in _CENTER_SETTINGS.items():
        variable = ENV_PREFIX + name.upper()
        if variable in environ:
            try:
                values[name] = convert(environ[variable], kind)
            except ValueError as exc:
                raise AnalyticsError(f"{variable}: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    for name in ("resolved_outcomes", "deal_outcomes"):
        if name in values:
            values[name] = frozenset(values[name])
    return KpiSettings(**values)
