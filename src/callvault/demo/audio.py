"""Recordings for demo calls: a voice-like stereo G.711 signal, caller left and agent right,
taking turns, written to the vault as the recorder writes real ones (WAV, µ-law as sent)."""

from __future__ import annotations

import math

import numpy as np

from callvault.calls.model import Call, Recording
from callvault.codecs.g711 import encode_ulaw
from callvault.recording.wav import WavWriter
from callvault.vault.filesystem import FilesystemVault

RATE = 8000


def voice(rng: np.random.Generator, n: int, pitch: float) -> np.ndarray:
    """``n`` samples of something that sounds like speech from far away: a glottal pitch
    with harmonics, gliding, shaped into syllables (about 4 a second) with pauses."""
    t = np.arange(n) / RATE
    glide = pitch * (1.0 + 0.08 * np.sin(2 * math.pi * rng.uniform(0.3, 0.8) * t))
    phase = 2 * math.pi * np.cumsum(glide) / RATE
    tone = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4, 5))
    syllables = np.clip(np.sin(2 * math.pi * rng.uniform(3.0, 5.0) * t + rng.uniform(0, 6)),
                        0, None) ** 0.7
    breath = (rng.random(n // (RATE // 2) + 1) > 0.2).repeat(RATE // 2)[:n]
    return tone * syllables * breath + 0.05 * rng.standard_normal(n)


def conversation(rng: np.random.Generator, seconds: float, caller_pitch: float,
                 agent_pitch: float) -> np.ndarray:
    """(n, 2) int16: turns of 1.5-6 s alternating between caller (left) and agent (right),
    the agent first; a faint line noise on both channels throughout."""
    n = int(seconds * RATE)
    audio = 40.0 * rng.standard_normal((n, 2))
    position, side = int(0.3 * RATE), 1
    while position < n:
        turn = min(n - position, int(rng.uniform(1.5, 6.0) * RATE))
        pitch = agent_pitch if side == 1 else caller_pitch
        audio[position : position + turn, side] += 5000.0 * voice(rng, turn, pitch)
        position += turn + int(rng.uniform(0.2, 0.8) * RATE)
        side = 1 - side
    return np.clip(audio, -32768, 32767).astype(np.int16)


def record(vault: FilesystemVault, call: Call, rng: np.random.Generator) -> Recording:
    """Write ``call``'s conversation (answer to end) to the vault and return the Recording to
    put on the call."""
    assert call.answered_at is not None and call.ended_at is not None
    seconds = call.ended_at - call.answered_at
    pcm = conversation(rng, seconds, rng.uniform(170, 240), rng.uniform(100, 150))
    name = vault.name_for(call.uid, call.answered_at, "wav")
    file = vault.create(name)
    try:
        writer = WavWriter(file, RATE, 2, "ulaw")
        writer.write(encode_ulaw(pcm.reshape(-1)))
        writer.sync()
    finally:
        file.close()
    size, digest = vault.finish(name)
    return Recording(path=name, format="wav", encoding="ulaw", sample_rate=RATE,
                     started_at=call.answered_at, duration_ms=round(len(pcm) * 1000 / RATE),
                     size=size, sha256=digest)
