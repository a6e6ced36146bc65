"""A live recorder creates at most ``opens_per_tick`` recording files per tick (calls whose
audio starts together get theirs over a few turns): the recordings are the same, byte for
byte, as those of a recorder that creates every file at once."""

from __future__ import annotations

from pathlib import Path

from callvault.capture.reader import open_capture
from callvault.config import Settings
from callvault.engine import Engine
from callvault.recording.recorder import Recorder
from callvault.synth import SynthCall, SynthParty, write_capture
from callvault.vault.filesystem import FilesystemVault

T0 = 1_767_225_600.0


def _record(capture: Path, data: Path, opens: int | None) -> dict[str, bytes]:
    settings = Settings(data_dir=data)
    vault = FilesystemVault(settings.recordings_dir)
    calls = []
    engine = Engine(settings, calls.append,
                    recorder=Recorder(vault, opens_per_tick=opens, recoverable=True))
    with open_capture(capture, batch_packets=200) as reader:
        for batch in reader:
            engine.feed(batch)
    engine.close()
    return {c.sip_call_id: vault.path(c.recording.path).read_bytes()
            for c in calls if c.recording is not None}


def test_files_created_over_several_ticks_hold_the_same_audio(tmp_path: Path) -> None:
    calls = [SynthCall(f"burst-{i}@test",
                       SynthParty(f"+455500{i:02d}", f"198.51.100.{i + 1}", rtp_port=40000 + 4 * i),
                       SynthParty(f"20{i:02d}", f"10.0.0.{i + 1}", rtp_port=16000 + 4 * i),
                       T0 + 0.01 * i, ring_s=0.5, talk_s=6.0)
             for i in range(6)]
    capture = tmp_path / "burst.pcap"
    write_capture(capture, calls)
    every = _record(capture, tmp_path / "every", None)
    one_by_one = _record(capture, tmp_path / "one", 1)
    assert len(every) == 6
    assert all(len(audio) > 5 * 16000 for audio in every.values())  # 5 s of stereo G.711
    assert one_by_one == every
