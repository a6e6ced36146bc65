"""The engine over captures written by callvault's own writer, whose every fact is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from callvault.calls.model import Call, CallStatus, Direction, Side
from callvault.config import Settings
from callvault.engine import Engine, ingest_file
from callvault.synth import SynthCall, SynthParty, demo_calls, write_capture

T0 = 1_767_225_600.0


def ingest(path: Path, **settings: object) -> tuple[list[Call], object]:
    calls: list[Call] = []
    summary = ingest_file(path, Settings(**settings), calls.append)
    return calls, summary


def call(n: int, **kw: object) -> SynthCall:
    caller = SynthParty(
        f"+45331000{n:02d}", f"198.51.100.{n + 1}", f"Customer {n}", rtp_port=40000 + 2 * n
    )
    callee = SynthParty(f"2{n:03d}", f"10.0.0.{n + 1}", rtp_port=16000 + 2 * n)
    kw.setdefault("start", T0 + n)
    return SynthCall(
        f"call-{n}@test", caller, callee, ssrc_caller=0x100 + n, ssrc_callee=0x200 + n, **kw
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[SynthCall], list[Call], object]:
    plans = demo_calls(T0)
    path = tmp_path_factory.mktemp("demo") / "demo.pcap"
    write_capture(path, plans)
    calls, summary = ingest(path)
    return plans, sorted(calls, key=lambda c: c.started_at), summary


def test_every_demo_call_is_journaled_with_its_facts(demo) -> None:
    plans, calls, summary = demo
    assert [c.sip_call_id for c in calls] == [p.call_id for p in plans]
    assert summary.errors == [] and summary.skipped == {}
    for plan, got in zip(plans, calls, strict=True):
        assert got.started_at == pytest.approx(plan.start, abs=1e-6)
        assert got.ringing_at == pytest.approx(plan.start + 0.050, abs=1e-6)
        assert got.status.value == plan.outcome
        assert got.caller.number == plan.caller.number
        assert got.callee.number == plan.callee.number
        assert got.caller.display_name == plan.caller.name
        if plan.outcome == "answered":
            assert got.sip_code == 200
            assert got.ring_ms == round(plan.ring_s * 1000)
            assert got.talk_ms == round((plan.talk_s + 0.050) * 1000)
            assert got.hangup_by == Side(plan.hangup_by)
            assert got.end_cause == "bye"
            assert got.codecs == ("PCMU/8000", "telephone-event/8000")
            sides = {s.side for s in got.streams}
            assert sides == {Side.CALLER, Side.CALLEE}
            audio = [s for s in got.streams if s.codec == "PCMU/8000"]
            assert len(audio) == 2
            assert {s.ssrc for s in audio} == {plan.ssrc_caller, plan.ssrc_callee}
        else:
            assert got.talk_ms == 0 and got.streams == []
            assert got.ring_ms == round(plan.ring_s * 1000)
        digits = "".join(e.value for e in got.events if e.kind == "dtmf")
        assert digits == plan.dtmf
        holds = [(e.kind, got.offset_ms(e.at)) for e in got.events if e.kind in ("hold", "resume")]
        if plan.hold:
            talk = plan.ring_s + 0.020
            assert holds == [
                ("hold", round((talk + plan.hold[0]) * 1000)),
                ("resume", round((talk + plan.hold[0] + plan.hold[1]) * 1000)),
            ]
        else:
            assert holds == []


def test_status_codes_and_hangup_side(demo) -> None:
    _, calls, _ = demo
    by_status = {c.status: c for c in calls}
    assert by_status[CallStatus.MISSED].sip_code == 487
    assert by_status[CallStatus.MISSED].hangup_by is Side.CALLER
    assert by_status[CallStatus.MISSED].end_cause == "cancel"
    assert by_status[CallStatus.BUSY].sip_code == 486
    assert by_status[CallStatus.REJECTED].sip_code == 603
    assert by_status[CallStatus.BUSY].hangup_by is Side.CALLEE


def test_direction_from_extensions_and_settings(tmp_path: Path) -> None:
    path = tmp_path / "dir.pcap"
    inbound = call(1)
    outbound = call(2)
    outbound.caller, outbound.callee = outbound.callee, outbound.caller
    internal = call(3)
    internal.caller = SynthParty("2999", "10.0.0.99", rtp_port=17000)
    write_capture(path, [inbound, outbound, internal])
    calls, _ = ingest(path)
    got = {c.sip_call_id: c.direction for c in calls}
    assert got == {
        "call-1@test": Direction.INBOUND,
        "call-2@test": Direction.OUTBOUND,
        "call-3@test": Direction.INTERNAL,
    }
    by_net, _ = ingest(path, extension_max_digits=0, local_networks=["10.0.0.0/8"])
    assert {c.sip_call_id: c.direction for c in by_net} == got
    nothing_local, _ = ingest(path, extension_max_digits=0)
    assert {c.direction for c in nothing_local} == {Direction.UNKNOWN}


def test_e164_numbers(demo) -> None:
    _, calls, _ = demo
    first = calls[0]
    assert first.caller.e164 == "+4533123456"
    assert first.callee.e164 is None  # an extension


def test_calls_are_written_as_soon_as_they_end(tmp_path: Path) -> None:
    short = call(1, talk_s=5.0)
    long = call(2, talk_s=120.0)
    path = tmp_path / "two.pcap"
    write_capture(path, [short, long])
    written_at: dict[str, float] = {}
    engine: Engine

    def on_call(c: Call) -> None:
        written_at[c.sip_call_id or ""] = engine.correlator.now

    engine = Engine(Settings(), on_call)
    from callvault.capture.reader import open_capture

    with open_capture(path) as reader:
        for batch in reader:
            engine.feed(batch)
            assert "call-1@test" in written_at  # before the end of the input
    short_end = T0 + 1 + short.ring_s + 0.020 + short.talk_s + 0.030
    assert written_at["call-1@test"] <= short_end + Settings().bye_linger_s + 1.0
    assert "call-2@test" not in written_at
    engine.close()
    assert "call-2@test" in written_at


def test_media_from_a_nat_address_and_renegotiated_ports(tmp_path: Path) -> None:
    path = tmp_path / "nat.pcap"
    c = call(1, talk_s=8.0, caller_nat_ip="203.0.113.9", callee_moves_port=(4.0, 16500))
    write_capture(path, [c])
    calls, summary = ingest(path)
    assert summary.unsignalled == 0
    (got,) = calls
    streams = sorted(got.streams, key=lambda s: s.first_at)
    assert [(s.side, s.src_ip, s.src_port) for s in streams] == [
        (Side.CALLER, "203.0.113.9", 40002),
        (Side.CALLEE, "10.0.0.2", 16002),
        (Side.CALLEE, "10.0.0.2", 16500),
    ]
    # 20 ms packets: 3.997 s on the old port (199), 4.0 s on the new one (200)
    assert [s.packets for s in streams if s.side is Side.CALLEE] == [199, 200]


def test_same_ssrc_both_ways_and_in_every_call(tmp_path: Path) -> None:
    path = tmp_path / "ssrc.pcap"
    plans = [call(n, talk_s=4.0) for n in range(1, 6)]
    for p in plans:
        p.ssrc_caller = p.ssrc_callee = 0xCA110000
    write_capture(path, plans)
    calls, summary = ingest(path)
    assert summary.unsignalled == 0
    assert len(calls) == 5
    for got in calls:
        assert sorted((s.side.value, s.packets) for s in got.streams) == [
            ("callee", 199),
            ("caller", 200),
        ]


def test_rtcp_is_counted_on_its_streams(tmp_path: Path) -> None:
    path = tmp_path / "rtcp.pcap"
    write_capture(path, [call(1, talk_s=11.0, rtcp_every_s=5.0)])
    (got,), summary = ingest(path)
    assert summary.rtcp_packets == 4
    assert sorted(s.rtcp_packets for s in got.streams) == [2, 2]


def test_unsignalled_rtp_is_kept(tmp_path: Path) -> None:
    from callvault.synth import _rtp

    path = tmp_path / "rtp-only.pcap"
    a = SynthParty("", "192.0.2.1", rtp_port=5004)
    b = SynthParty("", "192.0.2.2", rtp_port=5006)
    frames = list(_rtp(a, b, 0xABC, T0, T0 + 3.0, 440.0, None))
    frames += list(_rtp(b, a, 0xDEF, T0 + 0.01, T0 + 3.0, 330.0, None))
    frames.sort(key=lambda f: f[0])
    from callvault.capture.writer import PcapWriter

    with PcapWriter(path) as w:
        for ts, frame in frames:
            w.write(ts, frame)
    (got,), summary = ingest(path)
    assert got.status is CallStatus.UNSIGNALLED and got.sip_call_id is None
    assert sorted((s.ssrc, s.packets, s.side.value) for s in got.streams) == [
        (0xABC, 150, "caller"),
        (0xDEF, 149, "callee"),
    ]
    assert got.codecs == ("PCMU/8000",)
    assert summary.unsignalled == 1


def test_memory_is_bounded_by_calls_in_progress(tmp_path: Path) -> None:
    """Hundreds of consecutive calls: the engine's state holds only the ones in progress."""
    plans = [call(n % 90, start=T0 + 3 * n, talk_s=1.0, ring_s=0.2) for n in range(600)]
    for n, p in enumerate(plans):
        p.call_id = f"seq-{n}@test"
    path = tmp_path / "many.pcap"
    write_capture(path, plans)
    engine = Engine(Settings(batch_packets=4096), lambda c: None)
    peak = 0
    from callvault.capture.reader import open_capture

    with open_capture(path, batch_packets=4096) as reader:
        for batch in reader:
            engine.feed(batch)
            c = engine.correlator
            peak = max(peak, len(c.calls), len(c.streams), len(c.media._rtp))
    summary = engine.close()
    assert summary.calls == 600
    assert peak <= 10
    assert len(engine.correlator.late_media) <= 40


def test_truncated_capture_keeps_the_calls_before_the_damage(tmp_path: Path) -> None:
    plans = [call(n, start=T0 + 30 * n, talk_s=5.0) for n in range(1, 5)]
    path = tmp_path / "cut.pcap"
    write_capture(path, plans)
    data = path.read_bytes()
    cut = tmp_path / "cut-short.pcap"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    calls, summary = ingest(cut)
    assert len(summary.errors) == 1
    assert "cut-short.pcap at byte" in summary.errors[0]
    finished = [c for c in calls if c.end_cause == "bye"]
    assert [c.sip_call_id for c in finished] == ["call-1@test", "call-2@test"]


def test_ingesting_twice_gives_identical_calls(tmp_path: Path) -> None:
    path = tmp_path / "again.pcap"
    write_capture(path, demo_calls(T0))
    first, _ = ingest(path)
    second, _ = ingest(path)
    assert [c.uid for c in first] == [c.uid for c in second]
    assert len({c.uid for c in first}) == len(first)


def test_sip_over_tcp_with_a_lost_segment_before_the_bye(tmp_path: Path) -> None:
    """The BYE waits behind a TCP hole that never fills: it still ends the call, at the end."""
    from callvault.capture.writer import PcapWriter
    from callvault.net.build import tcp_frame
    from callvault.synth import _Sip

    plan = call(1, talk_s=3.0)
    sip = _Sip(plan)
    a, b = plan.caller, plan.callee
    invite = sip.request("INVITE", 1, to_tag=False, body=sip._sdp(a))
    ok = sip.response(200, "OK", 1, "INVITE", body=sip._sdp(b))
    ack = sip.request("ACK", 1)
    lost = sip.request("INFO", 2)
    bye = sip.request("BYE", 3)
    path = tmp_path / "tcp.pcap"
    with PcapWriter(path) as w:
        seq_a, seq_b = 1000, 5000
        w.write(
            T0, tcp_frame(a.ip, 5060, b.ip, 5060, seq_a, invite[:300])
        )  # one message, two segments
        w.write(T0 + 0.001, tcp_frame(a.ip, 5060, b.ip, 5060, seq_a + 300, invite[300:]))
        seq_a += len(invite)
        w.write(T0 + 0.5, tcp_frame(b.ip, 5060, a.ip, 5060, seq_b, ok))
        w.write(T0 + 0.6, tcp_frame(a.ip, 5060, b.ip, 5060, seq_a, ack))
        seq_a += len(ack)
        seq_a += len(lost)  # INFO never captured: a hole
        w.write(T0 + 3.0, tcp_frame(a.ip, 5060, b.ip, 5060, seq_a, bye))
    (got,), summary = ingest(path)
    assert got.transport == "tcp" and got.status is CallStatus.ANSWERED
    assert got.answered_at == pytest.approx(T0 + 0.5)
    assert got.end_cause == "bye" and got.ended_at == pytest.approx(T0 + 3.0, abs=1e-3)
    assert summary.skipped.get("tcp: segments lost (hole skipped)", 0) >= 1
