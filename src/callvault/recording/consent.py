"""The consent notice: is the configured announcement ("this call may be recorded…") in the
opening seconds of a recording, on which channel, where, and how sure?

Normalized cross-correlation of the announcement against each channel (FFT, every lag of
the first ``window_s`` seconds): 1.0 is the announcement itself at any gain, G.711 coding
costs about 0.001, a call's own speech or noise on top of it a little more. A correlation
over the whole announcement alone would accept a part of it (half the notice scores
√0.5 ≈ 0.71), so the score is the *lowest* of the whole-notice correlation and the
correlations of its four quarters at the same lag (those holding at least 2.5 % of its
energy; a quarter that is a pause says nothing): a notice cut short, or one quarter drowned,
scores near 0. The default threshold 0.6 keeps random audio (scores below 0.1 on
15 s windows) and partial notices out while a notice under moderate noise (SNR ≥ 3 dB)
still passes.

Results are stored per call (table ``consent_checks``) and as a call event of kind
"consent" whose value is "heard", "not heard", or "missing" where the policy required the
notice (``consent=missing`` in the call filters).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callvault.calls.model import Call, CallEvent, Side
from callvault.errors import CallvaultError, ConfigError

RATE = 8000
"""Everything is compared at 8 kHz: the narrowband telephone band holds the notice."""
QUARTERS = 4
HEARD = "heard"
NOT_HEARD = "not heard"
MISSING = "missing"


class ConsentError(CallvaultError):
    """A recording or announcement that cannot be read for the check."""


@dataclass(frozen=True, slots=True)
class ConsentResult:
    heard: bool
    score: float
    """The lowest of the whole-notice and quarter correlations at the best lag (0..1)."""
    channel: Side | None
    """Where it was heard best (caller: left, callee: right)."""
    offset_s: float | None
    """Seconds from the recording's first sample to the notice's start."""
    required: bool = False

    @property
    def verdict(self) -> str:
        if self.heard:
            return HEARD
        return MISSING if self.required else NOT_HEARD


def _fast_length(n: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ n: sizes the FFT handles fastest."""
    best = 1 << max(n - 1, 0).bit_length()
    five = 1
    while five < best:
        three = five
        while three < best:
            size = three << max(0, (n - 1) // three).bit_length()
            best = min(best, size)
            three *= 3
        five *= 5
    return best


def _to_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return samples
    n = round(samples.shape[0] * RATE / rate)
    return np.interp(np.arange(n) * (rate / RATE), np.arange(samples.shape[0]), samples)


def read_audio(path: Path, seconds: float | None = None) -> np.ndarray:
    """A file's samples as float64 at 8 kHz, shape (n, channels); only the first
    ``seconds`` when given."""
    import soundfile

    try:
        with soundfile.SoundFile(str(path)) as f:
            frames = -1 if seconds is None else int(seconds * f.samplerate)
            data = f.read(frames, dtype="float64", always_2d=True)
            rate = f.samplerate
    except (OSError, RuntimeError) as exc:  # soundfile raises LibsndfileError (RuntimeError)
        raise ConsentError(f"cannot read {path}: {exc}") from exc
    return np.stack([_to_rate(data[:, c], rate) for c in range(data.shape[1])], axis=1)


class ConsentDetector:
    """Looks for one announcement in recordings (see the module docstring)."""

    def __init__(self, announcement: np.ndarray, window_s: float = 15.0, threshold: float = 0.6):
        if announcement.ndim != 1 or announcement.shape[0] < QUARTERS * 160:
            raise ConfigError("the consent announcement must be at least 80 ms of mono audio")
        if announcement.shape[0] > window_s * RATE:
            raise ConfigError(
                "the consent announcement is longer than the consent window "
                f"({announcement.shape[0] / RATE:.1f} s > {window_s:g} s): raise consent_window_s"
            )
        template = announcement - announcement.mean()
        norm = np.linalg.norm(template)
        if norm == 0:
            raise ConfigError("the consent announcement is silent")
        self.template = template / norm
        self.window_s = window_s
        self.threshold = threshold
        bounds = np.linspace(0, template.shape[0], QUARTERS + 1).astype(int)
        self._spectra: dict[int, np.ndarray] = {}
        # quarters nearly silent in the notice itself (pauses) say nothing: not checked
        self._quarters = [
            (int(a), int(b))
            for a, b in itertools.pairwise(bounds)
            if np.sum(self.template[a:b] ** 2) >= 0.1 / QUARTERS
        ]

    @classmethod
    def from_file(
        cls, path: Path, window_s: float = 15.0, threshold: float = 0.6
    ) -> ConsentDetector:
        try:
            audio = read_audio(path)
        except ConsentError as exc:
            raise ConfigError(f"consent announcement: {exc}") from exc
        return cls(audio.mean(axis=1), window_s, threshold)

    @classmethod
    def from_settings(cls, settings: object) -> ConsentDetector | None:
        path = getattr(settings, "consent_announcement", None)
        if path is None:
            return None
        return cls.from_file(
            Path(path),
            getattr(settings, "consent_window_s", 15.0),
            getattr(settings, "consent_threshold", 0.6),
        )

    def score(self, signal: np.ndarray) -> tuple[float, int]:
        """(score, lag in samples) of the announcement's best match in one channel."""
        t = self.template
        m = t.shape[0]
        x = np.asarray(signal, dtype=np.float64)
        n = x.shape[0]
        if n < m:
            return 0.0, 0
        size = _fast_length(n + m - 1)
        spectrum = self._spectra.get(size)
        if spectrum is None:
            spectrum = self._spectra[size] = np.fft.rfft(t[::-1], size)
        corr = np.fft.irfft(np.fft.rfft(x, size) * spectrum, size)[m - 1 : n]
        sums = np.concatenate(([0.0], np.cumsum(x)))
        squares = np.concatenate(([0.0], np.cumsum(x * x)))
        s = sums[m:] - sums[:-m]
        energy = np.maximum(squares[m:] - squares[:-m] - s * s / m, 0.0)
        floor = 1e-9 * m
        ncc = np.where(energy > floor, corr / np.sqrt(np.maximum(energy, floor)), 0.0)
        lag = int(np.argmax(ncc))
        best = float(ncc[lag])
        for a, b in self._quarters:
            part = t[a:b] - t[a:b].mean()
            seen = x[lag + a : lag + b] - x[lag + a : lag + b].mean()
            denominator = np.linalg.norm(part) * np.linalg.norm(seen)
            best = min(best, float(part @ seen / denominator) if denominator > 0 else 0.0)
        return max(best, 0.0), lag

    def check(self, channels: np.ndarray, required: bool = False) -> ConsentResult:
        """The notice in the opening window of a recording's samples (n, 2) at 8 kHz."""
        window = channels[: int(self.window_s * RATE)]
        found = [(*self.score(window[:, c]), c) for c in range(window.shape[1])]
        score, lag, channel = max(found)
        heard = score >= self.threshold
        side = (Side.CALLER, Side.CALLEE)[channel] if channel < 2 else None
        return ConsentResult(
            heard, round(score, 4), side if heard else None, lag / RATE if heard else None, required
        )

    def check_file(self, path: Path, required: bool = False) -> ConsentResult:
        return self.check(read_audio(path, self.window_s), required)


def event(call: Call, result: ConsentResult) -> CallEvent:
    """The "consent" call event of a result: when the notice began (or the call's start)."""
    at = call.started_at
    if call.recording is not None and result.offset_s is not None:
        at = call.recording.started_at + result.offset_s
    return CallEvent("consent", at, result.channel, result.verdict, f"score {result.score:.2f}")


def save_result(
    journal: object, call: Call, result: ConsentResult, now: float | None = None
) -> None:
    """Store a call's check (``consent_checks``) and its "consent" event, replacing any
    earlier check of the call; the call must be in the journal (``call.id``)."""
    import time

    import sqlalchemy as sa

    from callvault.journal.engine import WRITER
    from callvault.journal.schema import events
    from callvault.journal.schema_recording import consent_checks

    if call.id is None:
        raise ConsentError(f"call {call.uid} is not in the journal")
    found = event(call, result)
    engine = journal.engine.execution_options(**{WRITER: True})  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(consent_checks.delete().where(consent_checks.c.call_id == call.id))
        connection.execute(
            consent_checks.insert().values(
                call_id=call.id,
                heard=result.heard,
                required=result.required,
                channel=None if result.channel is None else result.channel.value,
                offset_ms=None if result.offset_s is None else round(result.offset_s * 1000),
                score=result.score,
                checked_at=time.time() if now is None else now,
            )
        )
        mine = (events.c.call_id == call.id) & (events.c.kind == found.kind)
        connection.execute(events.delete().where(mine))
        seq = connection.execute(
            sa.select(sa.func.coalesce(sa.func.max(events.c.seq), -1)).where(
                events.c.call_id == call.id
            )
        ).scalar_one()
        connection.execute(
            events.insert().values(
                call_id=call.id,
                seq=seq + 1,
                kind=found.kind,
                at=found.at,
                offset_ms=call.offset_ms(found.at),
                party=None if found.party is None else found.party.value,
                value=found.value,
                detail=found.detail,
            )
        )


def saved_result(journal: object, call_id: int) -> dict | None:
    """A call's stored check as JSON-ready values (None: never checked)."""
    import sqlalchemy as sa

    from callvault.journal.schema_recording import consent_checks

    with journal.engine.connect() as connection:  # type: ignore[attr-defined]
        row = (
            connection.execute(sa.select(consent_checks).where(consent_checks.c.call_id == call_id))
            .mappings()
            .first()
        )
    if row is None:
        return None
    return {
        "heard": row["heard"],
        "required": row["required"],
        "missing": row["required"] and not row["heard"],
        "channel": row["channel"],
        "offset_ms": row["offset_ms"],
        "score": row["score"],
        "checked_at": row["checked_at"],
    }


class ConsentCheck:
    """What a recorder runs on each finished recording: the detector and the policy's
    requirement; results wait in ``results`` (by call uid) until the call is saved."""

    def __init__(self, detector: ConsentDetector, policy: object | None = None) -> None:
        self.detector = detector
        self.policy = policy
        self.results: dict[str, ConsentResult] = {}

    def finished(self, call: Call, path: Path) -> ConsentResult | None:
        """Check the call's closed recording; its "consent" event goes on the call."""
        required = bool(
            self.policy is not None and self.policy.must_carry_consent(call)  # type: ignore[attr-defined]
        )
        try:
            result = self.detector.check_file(path, required)
        except ConsentError:
            return None
        call.events = sorted([*call.events, event(call, result)], key=lambda e: e.at)
        self.results[call.uid] = result
        return result

    def attach(self, journal: object) -> None:
        """Store the results of calls as the journal saves them (``on_saved``)."""

        def saved(calls: object) -> None:
            for call in calls:  # type: ignore[attr-defined]
                result = self.results.pop(call.uid, None)
                if result is not None and call.id is not None:
                    save_result(journal, call, result)

        journal.on_saved(saved)  # type: ignore[attr-defined]


def consent_record(journal: object, call: Call) -> dict | None:
    """The call's consent notice for its JSON: the stored check (``consent_checks``) or,
    where only the recorder checked it, its "consent" event; None: never checked."""
    if call.id is not None:
        stored = saved_result(journal, call.id)
        if stored is not None:
            return stored
    found = [e for e in call.events if e.kind == "consent"]
    if not found:
        return None
    last = found[-1]
    score = None
    if last.detail and last.detail.startswith("score "):
        try:
            score = float(last.detail[6:])
        except ValueError:
            score = None
    offset = None
    if last.value == HEARD and call.recording is not None:
        offset = round((last.at - call.recording.started_at) * 1000)
    return {
        "heard": last.value == HEARD,
        "required": None if last.value == HEARD else last.value == MISSING,
        "missing": last.value == MISSING,
        "channel": None if last.party is None else last.party.value,
        "offset_ms": offset,
        "score": score,
        "checked_at": None,
    }
