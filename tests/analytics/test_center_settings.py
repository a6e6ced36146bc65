"""The center's KPI settings come from CALLVAULT_* environment variables, checked."""

from __future__ import annotations

import pytest

from callvault.analytics.kpis import AnalyticsError, center_settings


def test_environment_values_are_read_and_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLVAULT_TIMEZONE", "Europe/Copenhagen")
    monkeypatch.setenv("CALLVAULT_SERVICE_LEVEL_S", "30")
    monkeypatch.setenv("CALLVAULT_RESOLVED_OUTCOMES", " Done, fixed ,,")
    monkeypatch.setenv("CALLVAULT_DEAL_VALUE", "99.5")
    settings = center_settings()
    assert settings.timezone == "Europe/Copenhagen"
    assert settings.service_level_s == 30
    assert settings.short_abandon_s == 5
    assert settings.resolved_outcomes == frozenset({"done", "fixed"})
    assert settings.deal_outcomes == frozenset({"sale", "deal", "won"})
    assert settings.deal_value == 99.5


def test_overrides_win_and_none_is_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLVAULT_SERVICE_LEVEL_S", "30")
    assert center_settings(service_level_s=10).service_level_s == 10
    assert center_settings(service_level_s=None).service_level_s == 30


@pytest.mark.parametrize(
    ("variable", "text", "says"),
    [
        ("CALLVAULT_SERVICE_LEVEL_S", "soon", "CALLVAULT_SERVICE_LEVEL_S: 'soon' is not an integer"),
        ("CALLVAULT_DEAL_VALUE", "lots", "CALLVAULT_DEAL_VALUE: 'lots' is not a number"),
        ("CALLVAULT_TIMEZONE", "Mars/Base", "unknown time zone 'Mars/Base'"),
        ("CALLVAULT_SHORT_ABANDON_S", "7200", "short_abandon_s must be between 0 and 3600"),
    ],
)
def test_a_bad_value_names_what_to_fix(
    monkeypatch: pytest.MonkeyPatch, variable: str, text: str, says: str
) -> None:
    monkeypatch.setenv(variable, text)
    with pytest.raises(AnalyticsError) as raised:
        center_settings()
    assert says in str(raised.value)
