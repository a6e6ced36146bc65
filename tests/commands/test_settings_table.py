"""The settings table: values given, from the environment or defaulted, converted to what each
setting declares and refused with a message that names the setting."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from callvault.config import Settings, load_settings
from callvault.errors import ConfigError


def test_environment_values_are_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLVAULT_RECORD_AUDIO", "off")
    monkeypatch.setenv("callvault_local_networks", " 10.0.0.0/8, ,192.168.0.0/16")
    monkeypatch.setenv("CALLVAULT_SIPREC_PORT", "0")
    monkeypatch.setenv("CALLVAULT_BYE_LINGER_S", "0.5")
    monkeypatch.setenv("CALLVAULT_CONSENT_ANNOUNCEMENT", "/srv/notice.wav")
    monkeypatch.setenv("CALLVAULT_AUDIO_FORMAT", "flac")
    settings = load_settings()
    assert settings.record_audio is False
    assert settings.local_networks == ["10.0.0.0/8", "192.168.0.0/16"]
    assert settings.siprec_port == 0 and settings.bye_linger_s == 0.5
    assert settings.consent_announcement == Path("/srv/notice.wav")
    assert settings.audio_format == "flac"


def test_given_values_win_over_the_environment_and_defaults_stay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CALLVAULT_DATA_DIR", "/nowhere")
    settings = Settings(data_dir=str(tmp_path), local_domains=("pbx.example",), batch_packets=8.0)
    assert settings.data_dir == tmp_path
    assert settings.local_domains == ["pbx.example"] and settings.batch_packets == 8
    assert settings.siprec_allow == ["127.0.0.1", "::1"] and settings.database_url is None
    assert settings.journal_url == f"sqlite:///{tmp_path / 'journal.sqlite3'}"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"extension_max_digits": "many"}, "setting extension_max_digits: 'many' is not an"),
        ({"extension_max_digits": 2.5}, "setting extension_max_digits: 2.5 is not an integer"),
        ({"record_audio": "maybe"}, "setting record_audio: 'maybe' is not a boolean"),
        ({"audio_format": "mp3"}, "setting audio_format: 'mp3' is not one of 'wav'"),
        ({"webhook_timeout_s": 0}, "setting webhook_timeout_s: must be greater than 0"),
        ({"siprec_port": 70000}, "setting siprec_port: must be at most 65535"),
        ({"local_networks": [1]}, "setting local_networks: .* is not a list of strings"),
        ({"recording_rules": ["colour=red record"]}, "setting recording_rules: .*colour"),
        ({"colour": "red"}, "setting colour: there is no such setting"),
    ],
)
def test_unusable_values_name_the_setting(given: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{message}"):
        Settings(**given)


def test_a_copy_with_changes_is_checked_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert replace(settings, bye_linger_s=0.2).bye_linger_s == 0.2
    assert replace(settings, bye_linger_s=0.2).data_dir == tmp_path
    with pytest.raises(ConfigError, match=r"^setting consent_threshold: "):
        replace(settings, consent_threshold=2)
