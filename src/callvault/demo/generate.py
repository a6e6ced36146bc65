"""A living call center for the journal: a directory, months of calls and recordings.

``generate`` writes the center's directory rows, then day by day simulates its queues
(``traffic``), turns what happened into ``Call`` objects and saves them through the
journal like calls from any other source; at the end the most recent answered calls get
recordings in the vault. The same seed, size and period give the same journal: call uids
are derived from them, and saving again replaces the calls in place.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.engine import Engine

from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Direction,
    MediaStream,
    Party,
    Side,
)
from callvault.demo import audio, traffic
from callvault.demo.center import (
    QUEUES,
    Center,
    DemoAgent,
    DemoError,
    build_center,
    write_directory,
)
from callvault.journal import Journal
from callvault.vault.filesystem import FilesystemVault

RECORDING_MAX_S = 40.0
"""Recorded demo calls talk at most this long, to keep the demo's vault small."""
OUTBOUND_SHARE = 0.15
"""Outbound calls (sales and retention follow-ups) per inbound call."""
INTERNAL_SHARE = 0.03
CARRIER_IP = "198.51.100.10"
"""The carrier's SBC: the far end of every external call."""
CODECS = ("PCMA/8000", "telephone-event/8000")


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """What to generate."""

    agents: int = 20
    days: int = 14
    end: date | None = None
    """The last day (default: today in ``timezone``)."""
    seed: int = 1
    recordings: int = 50
    """How many of the most recent answered calls get a recording."""
    staffing: float = 1.0
    """Agents on shift as a multiple of what Erlang C says each hour needs for 80/20."""
    timezone: str = "UTC"
    """The center's time zone: its daily curve is in local hours."""

    def __post_init__(self) -> None:
        if self.agents < len(QUEUES):
            raise DemoError(f"--agents must be at least {len(QUEUES)} (one per queue)")
        if self.days < 1:
            raise DemoError("--days must be at least 1")
        if self.recordings < 0:
            raise DemoError("--recordings must be 0 or more")
        if not 0.05 <= self.staffing <= 5:
            raise DemoError("--staffing must be between 0.05 and 5 (1: staffed for 80/20)")


@dataclass(slots=True)
class DemoSummary:
    agents: int = 0
    teams: int = 0
    queues: int = 0
    tracked_numbers: int = 0
    first_day: date | None = None
    last_day: date | None = None
    calls: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_direction: dict[str, int] = field(default_factory=dict)
    inbound_abandoned: int = 0
    recordings: int = 0
    recording_bytes: int = 0
    seconds: float = 0.0
    save_seconds: float = 0.0

    @property
    def abandon_share(self) -> float:
        inbound = self.by_direction.get("inbound", 0)
        return self.inbound_abandoned / inbound if inbound else 0.0


Progress = Callable[[int, int], None]
"""Called after each day with (days done, calls so far)."""


def generate(journal: Journal, engine: Engine, vault: FilesystemVault, config: DemoConfig,
             progress: Progress | None = None) -> DemoSummary:
    """Generate the center of ``config`` into ``journal`` (its directory through ``engine``,
    the journal's database) and its recordings into ``vault``."""
    started = time.perf_counter()
    zone = ZoneInfo(config.timezone)
    last_day = config.end or datetime.now(zone).date()
    first_day = last_day - timedelta(days=config.days - 1)
    center = build_center(config.agents, config.seed)
    write_directory(engine, center, first_day, last_day, time.time())
    summary = DemoSummary(agents=len(center.agents), teams=len(center.teams),
                          queues=len(QUEUES),
                          tracked_numbers=sum(1 for n in center.numbers if n.channel),
                          first_day=first_day, last_day=last_day)
    day_maker = _Days(center, config, zone)
    # The calls that may still be among the last ``recordings`` answered ones wait here, so
    # every call is saved once, its recording (if any) already on it.
    pending: deque[Call] = deque()
    answered_pending = 0
    for index in range(config.days):
        day = first_day + timedelta(days=index)
        calls = day_maker.calls_of(day)
        for call in calls:
            summary.by_status[call.status.value] = summary.by_status.get(call.status.value, 0) + 1
            summary.by_direction[call.direction.value] = (
                summary.by_direction.get(call.direction.value, 0) + 1)
            if call.direction is Direction.INBOUND and call.status is CallStatus.MISSED:
                summary.inbound_abandoned += 1
        pending.extend(calls)
        answered_pending += sum(1 for c in calls if _recordable(c))
        ready = []
        while pending and answered_pending - _recordable(pending[0]) >= config.recordings:
            call = pending.popleft()
            answered_pending -= _recordable(call)
            ready.append(call)
        _save(journal, ready, summary)
        summary.calls += len(calls)
        if progress is not None:
            progress(index + 1, summary.calls)
    rng = np.random.default_rng([config.seed, 0xA0D10])
    for call in pending:
        if _recordable(call):
            _shorten(call, RECORDING_MAX_S)
            call.recording = audio.record(vault, call, rng)
            summary.recordings += 1
            summary.recording_bytes += call.recording.size
    _save(journal, list(pending), summary)
    summary.seconds = time.perf_counter() - started
    return summary


def _recordable(call: Call) -> bool:
    """Answered by an agent: the calls that may get a recording."""
    return call.status is CallStatus.ANSWERED and call.direction is not Direction.INTERNAL


def _save(journal: Journal, calls: list[Call], summary: DemoSummary) -> None:
    saving = time.perf_counter()
    journal.save_many(calls, batch=5000)
    summary.save_seconds += time.perf_counter() - saving


def _shorten(call: Call, seconds: float) -> None:
    """End an answered call at most ``seconds`` after its answer (events and streams too)."""
    assert call.answered_at is not None and call.ended_at is not None
    end = min(call.ended_at, call.answered_at + seconds)
    call.ended_at = end
    call.events = [e for e in call.events if e.at < end]
    for stream in call.streams:
        stream.last_at = min(stream.last_at, end)
        stream.packets = stream.expected = max(1, round((stream.last_at - stream.first_at) * 50))
        stream.bytes = stream.packets * 160
        stream.lost = 0


class _Days:
    """Turns days into calls, the queues' state carried from one day to the next."""

    def __init__(self, center: Center, config: DemoConfig, zone: ZoneInfo) -> None:
        self.center = center
        self.config = config
        self.zone = zone
        self.states = {
            plan.name: traffic.QueueState(
                roster=[i for i, a in enumerate(center.agents) if a.queue == plan.name], free=[])
            for plan in QUEUES
        }
        self.handle_s = {plan.name: traffic.mean_handle_s(plan.talk_median_s) for plan in QUEUES}
        self.peak = {
            plan.name: traffic.peak_rate(len(self.states[plan.name].roster),
                                         self.handle_s[plan.name]) / max(traffic.WEEKLY_PATTERN)
            for plan in QUEUES
        }
        self.customers = max(500, config.agents * 400)
        self._parties: dict[tuple[str, str | None], Party] = {}
        self.outbound_agents = [i for i, a in enumerate(center.agents)
                                if a.queue in ("Sales", "Retention")]

    def calls_of(self, day: date) -> list[Call]:
        rng = np.random.default_rng([self.config.seed, day.toordinal()])
        weekday = traffic.WEEKLY_PATTERN[day.weekday()]
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone).timestamp()
        following = day + timedelta(days=1)
        until = datetime(following.year, following.month, following.day,
                         tzinfo=self.zone).timestamp()
        calls: list[Call] = []
        # the day's real hours: 23 or 25 of them when the clocks change
        for start in np.arange(midnight, until, 3600.0).tolist():
            hour = datetime.fromtimestamp(start, self.zone).hour
            level = traffic.DAILY_CURVE[hour]
            hour_inbound = 0.0
            for plan in QUEUES:
                rate = self.peak[plan.name] * level * weekday
                hour_inbound += rate
                state = self.states[plan.name]
                on_shift = traffic.agents_for(rate, self.handle_s[plan.name],
                                              self.config.staffing, len(state.roster))
                traffic.staff(state, on_shift, start)
                arrivals = traffic.draw_hour(rng, start, rate, plan.talk_median_s,
                                             plan.patience_s)
                traffic.serve(state, arrivals)
                calls += self._inbound(rng, plan.name, arrivals)
            calls += self._outbound(rng, start, hour_inbound * OUTBOUND_SHARE * (7 <= hour < 19))
            calls += self._internal(rng, start, hour_inbound * INTERNAL_SHARE)
        calls.sort(key=lambda c: c.started_at)
        for serial, call in enumerate(calls):
            call.uid = call.sip_call_id = f"demo-{self.config.seed}-{day:%Y%m%d}-{serial:06d}"
        return calls

    # -- inbound ------------------------------------------------------------------------

    def _inbound(self, rng: np.random.Generator, queue: str,
                 arrivals: traffic.Arrivals) -> list[Call]:
        count = len(arrivals.at)
        if not count:
            return []
        numbers = [n for n in self.center.numbers if n.queue == queue]
        shares = np.array([n.share for n in numbers])
        dialled = rng.choice(len(numbers), size=count, p=shares / shares.sum())
        customers = self._customers(rng, count)
        plan = next(p for p in QUEUES if p.name == queue)
        outcomes = [o for o, _ in plan.outcomes]
        weights = np.array([w for _, w in plan.outcomes])
        outcome = rng.choice(len(outcomes), size=count, p=weights / weights.sum())
        transfer = rng.random(count) < (0.06 if queue == "Support" else 0.03)
        scored = (rng.random(count) < 0.25).tolist()
        satisfaction = rng.normal(4.3, 0.7, count).tolist()
        caller_hangs_up = (rng.random(count) < 0.6).tolist()
        hold_at = rng.uniform(0.3, 0.7, count).tolist()
        transfer_to = rng.integers(len(self.center.agents), size=count).tolist()
        quality = _Quality(rng, count)
        at_list, answered_list = arrivals.at.tolist(), arrivals.answered_at.tolist()
        talk_list, hold_list = arrivals.talk.tolist(), arrivals.hold.tolist()
        wrap_list, patience_list = arrivals.wrap.tolist(), arrivals.patience.tolist()
        agent_list, dialled_list = arrivals.agent.tolist(), dialled.tolist()
        outcome_list, transfer_list = outcome.tolist(), transfer.tolist()
        queue_id = self.center.queue_ids[queue]
        queue_team = self._queue_team(queue)
        calls = []
        for i in range(count):
            number = numbers[dialled_list[i]]
            arrived = at_list[i]
            customer = Party(number=customers[i], e164=customers[i],
                             uri=f"sip:{customers[i]}@{CARRIER_IP}", ip=CARRIER_IP)
            call = Call(uid="", sip_call_id=None, started_at=arrived, ringing_at=arrived + 0.1,
                        direction=Direction.INBOUND, transport="udp", codecs=CODECS,
                        caller=customer, queue_id=queue_id, tracked_number_id=number.id,
                        channel=number.channel, campaign=number.campaign,
                        source="callvault demo")
            agent_index = agent_list[i]
            if agent_index < 0:
                ended = arrived + traffic.IVR_S + patience_list[i]
                call.callee = Party(number=number.number, e164=number.number,
                                    uri=f"sip:{number.number}@pbx.demo")
                call.ended_at = ended
                call.status, call.sip_code, call.end_cause = CallStatus.MISSED, 487, "cancel"
                call.hangup_by = Side.CALLER
                call.team_id = queue_team
                calls.append(call)
                continue
            agent = self.center.agents[agent_index]
            answered = answered_list[i]
            talk = talk_list[i]
            hold = hold_list[i]
            ended = answered + talk + hold
            call.callee = self._agent_party(agent, dialled_e164=number.number)
            call.answered_at, call.ended_at = answered, ended
            call.status, call.sip_code, call.end_cause = CallStatus.ANSWERED, 200, "bye"
            call.hangup_by = Side.CALLER if caller_hangs_up[i] else Side.CALLEE
            call.agent_id, call.team_id = agent.id, agent.team_id
            call.wrap_up_ms = round(wrap_list[i] * 1000)
            call.outcome = outcomes[outcome_list[i]]
            if hold:
                at = answered + talk * hold_at[i]
                call.events += [CallEvent("hold", at, Side.CALLEE, detail="sendonly"),
                                CallEvent("resume", at + hold, Side.CALLEE, detail="sendrecv")]
            if transfer_list[i]:
                target = self.center.agents[transfer_to[i]]
                call.events.append(CallEvent("transfer", ended - 1.0, Side.CALLEE,
                                             value=target.extension, detail="refer"))
                call.outcome = "transferred"
            if scored[i]:
                wait = answered - arrived - traffic.IVR_S
                good = call.outcome in ("resolved", "sale", "retained")
                score = round(satisfaction[i] - wait / 180 - (0 if good else 1))
                call.csat = min(5, max(1, score))
            call.streams = quality.streams(i, call, agent)
            calls.append(call)
        return calls

    def _queue_team(self, queue: str) -> int:
        team = next(t for t, q in self.center.teams.items() if q == queue)
        return self.center.team_ids[team]

    def _customers(self, rng: np.random.Generator, count: int) -> list[str]:
        """Callers from a pool where some call often (repeat calls, contacts before a deal)."""
        index = (self.customers * rng.random(count) ** 2).astype(np.int64)
        return [f"+45{20_000_000 + (int(i) * 7_919) % 79_000_000}" for i in index]

    def _agent_party(self, agent: DemoAgent, dialled_e164: str | None = None) -> Party:
        key = (agent.extension, dialled_e164)
        party = self._parties.get(key)
        if party is None:
            party = self._parties[key] = self._new_party(agent, dialled_e164)
        return party

    def _new_party(self, agent: DemoAgent, dialled_e164: str | None) -> Party:
        return Party(number=agent.extension, display_name=agent.name, e164=dialled_e164,
                     uri=f"sip:{agent.extension}@pbx.demo", ip=_phone_ip(agent),
                     user_agent="Yealink SIP-T54W 96.86.0.70")

    # -- outbound and internal ----------------------------------------------------------

    def _outbound(self, rng: np.random.Generator, start: float, rate: float) -> list[Call]:
        count = int(rng.poisson(rate * 3600.0)) if rate > 0 else 0
        calls = []
        customers = self._customers(rng, count)
        for i in range(count):
            agent = self.center.agents[self.outbound_agents[
                int(rng.integers(len(self.outbound_agents)))]]
            at = start + float(rng.random()) * 3600.0
            callee = Party(number=customers[i], e164=customers[i],
                           uri=f"sip:{customers[i]}@{CARRIER_IP}", ip=CARRIER_IP)
            call = Call(uid="", sip_call_id=None, started_at=at, ringing_at=at + 1.5,
                        direction=Direction.OUTBOUND, transport="udp", codecs=CODECS,
                        caller=self._agent_party(agent), callee=callee, agent_id=agent.id,
                        team_id=agent.team_id, source="callvault demo")
            fate = rng.random()
            if fate < 0.6:
                answered = at + float(rng.uniform(4, 20))
                call.answered_at = answered
                call.ended_at = answered + float(rng.lognormal(np.log(150), 0.6))
                call.status, call.sip_code, call.end_cause = CallStatus.ANSWERED, 200, "bye"
                call.hangup_by = Side.CALLER if rng.random() < 0.5 else Side.CALLEE
                call.wrap_up_ms = round(float(rng.lognormal(np.log(20), 0.4)) * 1000)
                call.outcome = str(rng.choice(["sale", "quote", "follow-up", "no-interest"],
                                              p=[0.18, 0.27, 0.3, 0.25]))
                call.streams = _Quality(rng, 1).streams(0, call, agent)
            elif fate < 0.7:
                call.ended_at = at + 2.0
                call.status, call.sip_code, call.end_cause = CallStatus.BUSY, 486, "final-response"
            else:
                call.ended_at = at + float(rng.uniform(20, 35))
                call.status, call.sip_code, call.end_cause = CallStatus.MISSED, 487, "cancel"
                call.hangup_by = Side.CALLER
            calls.append(call)
        return calls

    def _internal(self, rng: np.random.Generator, start: float, rate: float) -> list[Call]:
        count = int(rng.poisson(rate * 3600.0)) if rate > 0 else 0
        calls = []
        agents = self.center.agents
        for _ in range(count):
            caller = agents[int(rng.integers(len(agents)))]
            callee = agents[int(rng.integers(len(agents)))]
            at = start + float(rng.random()) * 3600.0
            call = Call(uid="", sip_call_id=None, started_at=at, ringing_at=at + 0.1,
                        direction=Direction.INTERNAL, transport="udp", codecs=CODECS,
                        caller=self._agent_party(caller), callee=self._agent_party(callee),
                        agent_id=caller.id, team_id=caller.team_id, source="callvault demo")
            if rng.random() < 0.85:
                call.answered_at = at + float(rng.uniform(2, 8))
                call.ended_at = call.answered_at + float(rng.lognormal(np.log(60), 0.7))
                call.status, call.sip_code, call.end_cause = CallStatus.ANSWERED, 200, "bye"
                call.hangup_by = Side.CALLER
            else:
                call.ended_at = at + float(rng.uniform(10, 25))
                call.status, call.sip_code, call.end_cause = CallStatus.MISSED, 487, "cancel"
                call.hangup_by = Side.CALLER
            calls.append(call)
        return calls


def _phone_ip(agent: DemoAgent) -> str:
    """The agent's desk phone (one per agent, numbered like the employee id)."""
    serial = int(agent.employee_id[5:])
    return f"10.20.{serial // 250}.{serial % 250 + 2}"


class _Quality:
    """RTP stream quality for a batch of answered calls, drawn at once: mostly clean, a few
    percent of calls on a poor line (loss, jitter, lower MOS)."""

    def __init__(self, rng: np.random.Generator, count: int) -> None:
        poor = rng.random(count) < 0.04
        shape = (count, 2)
        self.loss = np.where(poor[:, None], rng.uniform(0.02, 0.08, shape),
                             rng.exponential(0.002, shape)).tolist()
        self.jitter = np.where(poor[:, None], rng.uniform(20, 60, shape),
                               rng.gamma(2.0, 2.0, shape)).round(2).tolist()
        self.ssrc = rng.integers(1, 2**32, shape).tolist()

    def streams(self, i: int, call: Call, agent: DemoAgent) -> list[MediaStream]:
        """The call's two streams: customer → agent and agent → customer."""
        assert call.answered_at is not None and call.ended_at is not None
        first, last = call.answered_at, call.ended_at
        expected = max(1, round((last - first) * 50))
        agent_side = Side.CALLEE if call.direction is Direction.INBOUND else Side.CALLER
        far_side = Side.CALLER if agent_side is Side.CALLEE else Side.CALLEE
        phone = _phone_ip(agent)
        streams = []
        for k, (side, src, dst) in enumerate(
            ((far_side, CARRIER_IP, phone), (agent_side, phone, CARRIER_IP))
        ):
            loss, jitter = self.loss[i][k], self.jitter[i][k]
            lost = min(expected - 1, round(expected * loss))
            streams.append(MediaStream(
                ssrc=self.ssrc[i][k], src_ip=src, src_port=20000 + 2 * k, dst_ip=dst,
                dst_port=30000 + 2 * k, side=side, payload_types=(8, 101), codec=CODECS[0],
                packets=expected - lost, bytes=(expected - lost) * 160, first_at=first,
                last_at=last, expected=expected, lost=lost, loss_bursts=round(lost / 3),
                duplicates=0, out_of_order=0, jitter_mean_ms=jitter,
                jitter_max_ms=round(jitter * 3, 2), max_delta_ms=round(20 + jitter * 4, 2),
                mos=round(max(1.0, min(4.4, 4.4 - 25 * loss - jitter / 60)), 2),
            ))
        return streams
