"""A journal with three known calls, a local zone fixed to Copenhagen, and a runner."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Direction,
    MediaStream,
    Party,
    Side,
)
from callvault.commands import journal as journal_commands
from callvault.journal import Journal

START = 1_714_567_890.123456
"""2024-05-01 12:51:30.123456 UTC, 14:51:30 in Copenhagen (CEST, +02:00)."""

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def copenhagen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is Europe/Copenhagen in these tests, whatever the machine says."""
    monkeypatch.setenv("TZ", "Europe/Copenhagen")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CALLVAULT_DATA_DIR", "CALLVAULT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


@pytest.fixture
def three_calls(data_dir: Path) -> list[Call]:
    """An answered inbound call, a missed outbound one an hour later, unsignalled media
    a day later; saved in that order (ids 1, 2, 3)."""
    calls = [
        Call(
            uid="answered-1",
            sip_call_id="a84b4c76e66710@pc33.example.com",
            started_at=START,
            ringing_at=START + 0.25,
            answered_at=START + 4.5,
            ended_at=START + 3725.0,
            status=CallStatus.ANSWERED,
            sip_code=200,
            reason='Q.850;cause=16;text="Normal call clearing"',
            hangup_by=Side.CALLER,
            end_cause="bye",
            caller=Party(
                number="+4533123456",
                display_name="Kunde Ærø",
                uri="sip:+4533123456@carrier.example",
                e164="+4533123456",
                ip="198.51.100.7",
                user_agent="Carrier SBC 4.2",
            ),
            callee=Party(
                number="201",
                display_name="Support",
                uri="sip:201@pbx.example.com",
                ip="10.0.0.21",
                user_agent="Yealink SIP-T46U",
            ),
            direction=Direction.INBOUND,
            transport="udp",
            codecs=("PCMA/8000", "telephone-event/8000"),
            streams=[
                MediaStream(
                    ssrc=0xFEEDBEEF,
                    src_ip="198.51.100.7",
                    src_port=30000,
                    dst_ip="10.0.0.21",
                    dst_port=11780,
                    side=Side.CALLER,
                    payload_types=(8, 101),
                    codec="PCMA/8000",
                    packets=186000,
                    bytes=29760000,
                    first_at=START + 4.52,
                    last_at=START + 3724.98,
                    rtcp_packets=744,
                ),
                MediaStream(
                    ssrc=0x1234,
                    src_ip="2001:db8::21",
                    src_port=11780,
                    dst_ip="2001:db8::7",
                    dst_port=30000,
                    side=Side.CALLEE,
                    payload_types=(8,),
                    codec="PCMA/8000",
                    packets=185990,
                    bytes=29758400,
                    first_at=START + 4.61,
                    last_at=START + 3724.99,
                    rtcp_packets=743,
                ),
            ],
            events=[
                CallEvent(
                    kind="dtmf", at=START + 10.02, party=Side.CALLER, value="5", detail="rfc4733"
                ),
                CallEvent(kind="hold", at=START + 20.5, party=Side.CALLEE, value="sendonly"),
            ],
            source="span-2024-05-01.pcapng",
        ),
        Call(
            uid="missed-2",
            sip_call_id="77cc1@10.0.0.22",
            started_at=START + 3600,
            ringing_at=START + 3600.1,
            ended_at=START + 3622.4,
            status=CallStatus.MISSED,
            sip_code=487,
            hangup_by=Side.CALLER,
            end_cause="cancel",
            caller=Party(number="202", uri="sip:202@pbx.example.com"),
            callee=Party(number="004522334455", e164="+4522334455"),
            direction=Direction.OUTBOUND,
            transport="tcp",
        ),
        Call(
            uid="rtp-3",
            sip_call_id=None,
            started_at=START + 86400,
            ended_at=START + 86430,
            status=CallStatus.UNSIGNALLED,
        ),
    ]
    with Journal.open(f"sqlite:///{data_dir / 'journal.sqlite3'}") as journal:
        journal.save_many(calls)
    return calls


@pytest.fixture
def run(data_dir: Path) -> Run:
    """Run a callvault command line (journal commands only) on the test journal."""
    group = click.Group("callvault", commands=journal_commands.COMMANDS)

    def invoke(*args: str, data: bool = True) -> Result:
        extra = ["--data-dir", str(data_dir)] if data else []
        return CliRunner().invoke(group, [*args, *extra])

    return invoke
