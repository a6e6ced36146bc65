"""The recording policy: rules (first match wins), modes, deterministic sampling, consent
requirements, the settings that hold them, and `ingest` following it."""

from __future__ import annotations

from pathlib import Path

import pytest

from callvault.calls.model import Call, Direction, Party
from callvault.config import load_settings
from callvault.errors import ConfigError
from callvault.recording.policy import RecordingPolicy, parse_rule, sampled


def call(
    uid: str = "c1",
    caller: str = "+4533123456",
    callee: str = "1001",
    direction: Direction = Direction.INBOUND,
) -> Call:
    return Call(
        uid,
        "sip-1",
        0.0,
        caller=Party(number=caller, e164=caller if caller.startswith("+") else None),
        callee=Party(number=callee),
        direction=direction,
    )


def test_first_matching_rule_wins() -> None:
    policy = RecordingPolicy(
        "all",
        [parse_rule("number=+4533 skip"), parse_rule("direction=inbound record")],
    )
    assert not policy.decide(call()).record
    assert "number=+4533 skip" in policy.decide(call()).reason
    assert policy.decide(call(caller="+4520000000")).record


def test_mode_decides_calls_no_rule_matches() -> None:
    rules = [parse_rule("agent=1001 record")]
    assert RecordingPolicy("none", rules).decide(call()).record
    assert not RecordingPolicy("none", rules).decide(call(callee="1002")).record
    assert not RecordingPolicy("on-demand", rules).decide(call(callee="1002")).record
    assert RecordingPolicy("all", rules).decide(call(callee="1002")).record
    assert RecordingPolicy("on-demand").controllable
    assert not RecordingPolicy("none").controllable


def test_keys_match_their_party() -> None:
    outbound = call(caller="1001", callee="+4970000000", direction=Direction.OUTBOUND)
    assert parse_rule("agent=1001 record").matches(outbound)
    assert not parse_rule("queue=1001 record").matches(outbound)
    assert parse_rule("callee=+49 record").matches(outbound)
    assert not parse_rule("caller=+49 record").matches(outbound)
    assert parse_rule("queue=1001 record").matches(call())
    assert parse_rule("direction=outbound agent=1001 record").matches(outbound)
    assert not parse_rule("direction=inbound agent=1001 record").matches(outbound)


def test_sampling_is_deterministic_and_near_its_share() -> None:
    uids = [f"call-{i}" for i in range(4000)]
    chosen = [u for u in uids if sampled(u, 25)]
    assert chosen == [u for u in uids if sampled(u, 25)]  # the same on every run
    assert 0.22 < len(chosen) / len(uids) < 0.28
    policy = RecordingPolicy("all", sample_percent=25)
    assert [u for u in uids if policy.decide(call(uid=u)).record] == chosen
    rule = RecordingPolicy("none", [parse_rule("direction=inbound record 10%")])
    share = sum(rule.decide(call(uid=u)).record for u in uids) / len(uids)
    assert 0.08 < share < 0.12
    assert not sampled("x", 0) and sampled("x", 100)


def test_records_everything_only_without_rules_and_sampling() -> None:
    assert RecordingPolicy().records_everything
    assert not RecordingPolicy(sample_percent=50).records_everything
    assert not RecordingPolicy("on-demand").records_everything
    assert not RecordingPolicy(rules=[parse_rule("number=1 skip")]).records_everything


def test_consent_requirement() -> None:
    policy = RecordingPolicy.from_settings(load_settings(consent_required=["direction=inbound"]))
    assert policy.must_carry_consent(call())
    assert not policy.must_carry_consent(call(direction=Direction.OUTBOUND))
    everyone = RecordingPolicy.from_settings(load_settings(consent_required=["all"]))
    assert everyone.must_carry_consent(call(direction=Direction.OUTBOUND))
    assert not RecordingPolicy().must_carry_consent(call())


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("direction=inbound", "end it with record or skip"),
        ("colour=red record", "unknown key 'colour'"),
        ("direction=sideways record", "direction must be one of"),
        ("number record", "'number' is not KEY=VALUE"),
        ("number=1 record 150%", "0% to 100%"),
    ],
)
def test_bad_rules_say_what_to_fix(rule: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_rule(rule)
    with pytest.raises(ConfigError, match="setting recording_rules"):
        load_settings(recording_rules=[rule])


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLVAULT_RECORDING_MODE", "on-demand")
    monkeypatch.setenv("CALLVAULT_RECORDING_RULES", "queue=8000 record 50%, number=+45 skip")
    settings = load_settings()
    policy = RecordingPolicy.from_settings(settings)
    assert policy.mode == "on-demand"
    assert [r.text for r in policy.rules] == ["queue=8000 record 50%", "number=+45 skip"]
    monkeypatch.setenv("CALLVAULT_RECORDING_MODE", "sometimes")
    with pytest.raises(ConfigError, match="recording_mode"):
        load_settings()


def test_ingest_follows_the_policy(tmp_path: Path) -> None:
    from tests.recording.test_recording_control import capture

    from callvault.engine import ingest_file

    path = capture(tmp_path, n=4)
    settings = load_settings(
        data_dir=tmp_path / "data", recording_rules=["callee=1001 record", "callee=1003 record"]
    )
    settings.recording_mode = "none"
    calls: list[Call] = []
    ingest_file(path, settings, calls.append)
    recorded = sorted(c.callee.number for c in calls if c.recording is not None)
    assert recorded == ["1001", "1003"]
    assert {c.audio_issue for c in calls if c.recording is None} == {"not recorded"}
    assert len(list((tmp_path / "data").rglob("*.wav"))) == 2
