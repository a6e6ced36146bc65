"""What the console tests share: a journal with a user per role, calls for each agent (one
with a real stereo µ-law WAV recording, as the recorder writes them) and enough other calls
to page through.

Calls: "anns" +4533123456 → 201 (agent ann, recorded), "anns-earlier" from the same client,
"bobs" 202 → +4599887766 (agent bob): these three are team "Support"'s, which supervisor
sam supervises; "other" 203 → +4511223344, and BULK calls "bulk-NN" from 301 to +4570000000.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import pytest

from callvault.accounts import Accounts, credentials
from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Direction,
    MediaStream,
    Party,
    Recording,
    Side,
)
from callvault.config import Settings
from callvault.directory.repository import Directory
from callvault.journal import Journal
from callvault.recording.formats import pcm_to_law
from callvault.recording.wav import WavWriter

PASSWORD = "console-tests-pw"
T0 = 1_714_567_890.0
"""2024-05-01 12:51:30 UTC."""
RECORDING_S = 20
BULK = 55
"""More calls than one page of the journal (50)."""
ROLES = {
    "ann": ("agent", ["201"]),
    "bob": ("agent", ["202"]),
    "sam": ("supervisor", []),
    "max": ("manager", []),
    "cleo": ("compliance", []),
    "ada": ("admin", []),
}


@dataclass(frozen=True)
class Console:
    base: str
    settings: Settings
    ids: dict[str, int]
    """Journal id by call uid."""


def make_call(
    uid: str,
    start: float,
    caller: str,
    callee: str,
    direction: Direction,
    *,
    status: CallStatus = CallStatus.ANSWERED,
    talk_s: float = 60,
) -> Call:
    answered = status is CallStatus.ANSWERED
    return Call(
        uid=uid,
        sip_call_id=f"{uid}@pbx.example.com",
        started_at=start,
        answered_at=start + 2 if answered else None,
        ended_at=start + 2 + talk_s,
        status=status,
        sip_code=200 if answered else 486,
        caller=Party(number=caller, e164=caller if caller.startswith("+") else None),
        callee=Party(number=callee, e164=callee if callee.startswith("+") else None),
        direction=direction,
        codecs=("PCMU/8000",),
        streams=[
            MediaStream(
                ssrc=side_index + 1,
                src_ip=f"10.0.0.{side_index + 1}",
                src_port=4000,
                dst_ip=f"10.0.0.{2 - side_index}",
                dst_port=5000,
                side=side,
                payload_types=(0,),
                codec="PCMU/8000",
                packets=int(talk_s * 50),
                bytes=int(talk_s * 8600),
                first_at=start + 2,
                last_at=start + 2 + talk_s,
            )
            for side_index, side in enumerate((Side.CALLER, Side.CALLEE))
        ]
        if answered
        else [],
        events=[CallEvent(kind="dtmf", at=start + 10, party=Side.CALLER, value="5")]
        if answered
        else [],
    )


def stereo_ulaw_wav(seconds: int, rate: int = 8000) -> bytes:
    """A stereo µ-law WAV as the recorder writes it: the caller (left) speaks in the first
    half of each 4 s, the callee (right) in the second."""
    t = np.arange(seconds * rate) / rate
    phase = (t % 4) < 2
    left = np.where(phase, 8000 * np.sin(2 * np.pi * 440 * t), 0)
    right = np.where(~phase, 8000 * np.sin(2 * np.pi * 660 * t), 0)
    frames = np.stack([left, right], axis=1).astype(np.int16)
    out = io.BytesIO()
    writer = WavWriter(out, rate, 2, "ulaw")
    writer.write(pcm_to_law(frames.reshape(-1), "ulaw").astype(np.uint8).tobytes())
    writer.sync()
    return out.getvalue()


def populate(settings: Settings) -> dict[str, int]:
    audio = stereo_ulaw_wav(RECORDING_S)
    name = "2024/05/01/anns.wav"
    path = settings.recordings_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(audio)
    anns = make_call("anns", T0, "+4533123456", "201", Direction.INBOUND, talk_s=RECORDING_S)
    anns.recording = Recording(
        name, "wav", "ulaw", 8000, T0 + 2, RECORDING_S * 1000, len(audio),
        hashlib.sha256(audio).hexdigest(),
    )
    calls = [
        make_call("anns-earlier", T0 - 86400, "+4533123456", "201", Direction.INBOUND),
        anns,
        make_call("bobs", T0 + 3600, "202", "+4599887766", Direction.OUTBOUND),
        make_call(
            "other", T0 + 7200, "203", "+4511223344", Direction.OUTBOUND, status=CallStatus.BUSY
        ),
        *(
            make_call(f"bulk-{i:02d}", T0 - 7 * 86400 + i * 60, "301", "+4570000000",
                      Direction.OUTBOUND, talk_s=30 + i)
            for i in range(BULK)
        ),
    ]
    with Journal.open(settings.journal_url) as journal, Directory.open(
        settings.journal_url
    ) as directory:
        team = directory.add_team("Support")
        for call in calls[:3]:
            call.team_id = team.id
        for call in calls:
            journal.save(call)
        ids = {}
        for call in calls:
            found = journal.get_call(call.uid)
            assert found is not None and found.id is not None
            ids[call.uid] = found.id
    # Hashed at N=2**10: the server reads the cost from each hash, and the tests stay quick.
    with pytest.MonkeyPatch.context() as patch, Accounts.open(settings.journal_url) as accounts:
        patch.setattr(credentials, "SCRYPT_LOG_N", 10)
        for username, (role, extensions) in ROLES.items():
            accounts.add_user(username, role, password=PASSWORD, extensions=extensions)
    with Directory.open(settings.journal_url) as directory:
        directory.add_supervisor("Support", "sam")
    return ids
