"""The recording server: SIP over UDP and TCP (asyncio), RTP on allocated ports, one engine.

Every SIP message of an accepted session (the client's and callvault's) and every RTP packet
received is handed to ``Engine.feed_datagrams`` as a capture would have shown them, so a
recorded session becomes the same journal row and the same recording as an ingest of a
capture of it. RTP is read in bulk every ``POLL_S`` (no callback per packet).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from callvault.calls.model import Call, Party
from callvault.config import Settings
from callvault.engine import Engine, _decoder_factory
from callvault.errors import ConfigError, ParseError
from callvault.net.datagram import DatagramBatch, StreamData
from callvault.sip.framing import SipStreamFramer
from callvault.sip.uri import parse_uri
from callvault.siprec import store
from callvault.siprec.digest import DigestAuth
from callvault.siprec.handler import Address, Outgoing, Policy, Session, SipHandler, Stream
from callvault.siprec.media import MediaPorts, concat

if TYPE_CHECKING:
    from callvault.journal import Journal
    from callvault.live.board import LiveBoard
    from callvault.live.controller import LiveController

POLL_S = 0.5
"""RTP is read and the engine fed this often. Much of a turn's work is per stream (its
group of packets through the correlator, quality and recorder), so longer turns cost less
per packet: 25 packets per G.711 stream here. The sockets hold seconds of RTP."""
FLUSH_S = 1.0
"""Audio goes to the operating system this often (what a kill -9 can lose, besides the
recorder's reorder window)."""
OPENS_PER_TICK = 200
"""Recording files the recorder creates per tick (one or two each turn) at most: 1,000
calls whose audio starts together get theirs over a few turns, each call's audio held in
memory meanwhile, instead of one turn that holds up reading RTP for seconds."""
log = logging.getLogger("callvault.siprec")


def parse_port_range(text: str) -> tuple[int, int]:
    low, dash, high = text.partition("-")
    try:
        lo, hi = int(low), int(high)
    except ValueError:
        lo = hi = -1
    if not dash or not 1024 <= lo < hi <= 65535 or hi - lo < 2:
        raise ConfigError(f"setting siprec_rtp_ports: {text!r} is not a port range such as "
                          "20000-29999 (1024-65535, at least two ports)")
    return lo, hi


def policy_from(settings: Settings) -> Policy:
    networks = []
    for text in settings.siprec_allow:
        try:
            networks.append(ipaddress.ip_network("0.0.0.0/0" if text == "*" else text,
                                                 strict=False))
        except ValueError:
            raise ConfigError(f"setting siprec_allow: {text!r} is not an address or network "
                              "(10.0.0.5, 10.0.0.0/24, or * for any)") from None
    if any(n.prefixlen == 0 for n in networks):
        networks = []
    credentials = {}
    for entry in settings.siprec_credentials:
        user, colon, password = entry.partition(":")
        if not colon or not user or not password:
            raise ConfigError("setting siprec_credentials: write each as user:password")
        credentials[user] = password
    return Policy(networks, DigestAuth(credentials) if credentials else None)


@dataclass(slots=True)
class _Pending:
    """What arrived since the engine was last fed."""

    rtp: list[DatagramBatch] = field(default_factory=list)
    sip: list[tuple[float, bytes, int, int, int, int]] = field(default_factory=list)
    chunks: list[StreamData] = field(default_factory=list)


class RecordingServer:
    """One recording server: sessions, their media and the engine that records them."""

    def __init__(self, settings: Settings, journal: Journal, *,
                 board: LiveBoard | None = None, name: str | None = None) -> None:
        self.settings = settings
        self.journal = journal
        self.board = board
        self.name = name or settings.siprec_recorder or f"siprec@{socket.gethostname()}"
        low, high = parse_port_range(settings.siprec_rtp_ports)
        self.controller: LiveController | None = None
        if board is not None:
            from callvault.live.controller import LiveController

            self.controller = LiveController(board, self.name, "siprec")
        self.engine = Engine(settings, self._on_call, source="siprec",
                             recorder=_recorder(settings), on_window=self._commit,
                             on_live=self._on_live)
        if self.controller is not None:
            self.controller.attach(self.engine)
        self.addresses = self.engine.net.addresses
        self.media = MediaPorts(settings.siprec_listen, low, high, self.addresses,
                                settings.siprec_media_address)
        self.handler = SipHandler(self, policy_from(settings), settings.siprec_media_address)
        self._pending = _Pending()
        self._finished: list[Call] = []
        self._dirty: dict[str, store.Rows] = {}
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="siprec-rows")
        self._writing: Future[None] | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.addresses_bound: dict[str, Address] = {}
        self.calls_saved = 0

    # ---- the Backend of SipHandler -------------------------------------------------------

    def open_port(self, address: str, after: int | None = None) -> int:
        return self.media.open(address, after)

    def release_port(self, port: int) -> None:
        self._take(self.media.drain([port]))
        self.media.close(port)

    def message(self, data: bytes, src: Address, dst: Address, transport: str, ts: float,
                conn: object | None) -> None:
        ids = self.addresses.id_of_text
        if transport == "tcp":
            self._pending.chunks.append(
                StreamData(ts, ids(src[0]), src[1], ids(dst[0]), dst[1], data, "tcp"))
        else:
            self._pending.sip.append((ts, data, ids(src[0]), src[1], ids(dst[0]), dst[1]))

    def started(self, session: Session, ts: float) -> None:
        self._feed(None)  # the correlator sees the INVITE now: the call's uid exists
        state = self.engine.correlator.calls.get(session.call_id)
        if state is not None:
            session.uid = state.uid
        if any(s.paused for s in session.streams if s.port):
            self._apply_pause(session, ts)
        self._save(session, ts)

    def updated(self, session: Session, ts: float) -> None:
        self._apply_parties(session)
        self._save(session, ts)

    def paused(self, session: Session, stream: Stream, paused: bool, ts: float) -> None:
        """The client paused or resumed a stream (a=inactive, a=record:paused, …)."""
        self._apply_pause(session, ts)
        self._save(session, ts)

    def ended(self, session: Session, ts: float) -> None:
        for port in session.ports:
            self.release_port(port)

    # ---- recording state -------------------------------------------------------------------

    def _apply_pause(self, session: Session, ts: float) -> None:
        """Every stream paused: the recording of the call is paused (the recorder keeps
        time, the span is silence, a "recording" call event says so); some paused: their
        packets are read and dropped. What arrived before ``ts`` is recorded first."""
        ports = session.ports
        self._take(self.media.drain(ports, at=ts))
        every = bool(ports) and all(s.paused for s in session.streams if s.port)
        for stream in session.streams:
            if stream.port and stream.paused and not every:
                self.media.paused.add(stream.port)
            else:
                self.media.paused.discard(stream.port)
        recorder = self.engine.recorder
        if recorder is None or not session.uid:
            return
        self._feed(None)
        state = recorder.state(session.uid)
        action = ("pause" if every and state == "recording"
                  else "resume" if not every and state == "paused" else None)
        if action is not None:
            from callvault.recording.recorder import ControlError

            try:
                self.engine.control(session.uid, action, ts, "siprec")
            except ControlError as exc:
                log.warning("callvault siprec: %s of %s: %s", action, session.call_id, exc)

    # ---- the engine ------------------------------------------------------------------------

    def _take(self, batch: DatagramBatch) -> None:
        if len(batch):
            self._pending.rtp.append(batch)

    def _feed(self, now: float | None) -> None:
        p = self._pending
        parts = list(p.rtp)
        if p.sip:
            parts.append(_sip_batch(p.sip))
        chunks = p.chunks
        self._pending = _Pending()
        self.engine.feed_datagrams(concat(parts), chunks, now)

    def _on_live(self, event: str, call: Call) -> None:
        """A call in progress started or changed: its parties are the metadata's (on the
        correlator's state too, so the journal row says the same), then the board hears."""
        session = self.handler.sessions.get(call.sip_call_id or "")
        if session is not None:
            parties = self._apply_parties(session)
            call.caller = parties.get("caller", call.caller)
            call.callee = parties.get("callee", call.callee)
        if self.controller is not None:
            self.controller.on_live(event, call)

    def _on_call(self, call: Call) -> None:
        self._finished.append(call)

    def _commit(self) -> None:
        if not self._finished:
            return
        done, self._finished = self._finished, []
        self.journal.save_many(done)
        self.calls_saved += len(done)
        if self.controller is not None:
            for call in done:
                self.controller.on_call(call)

    def _apply_parties(self, session: Session) -> dict[str, Party]:
        """The recorded call's parties are the metadata's participants (the first the
        caller, the second the callee, as the streams' senders are), not the recording
        client and callvault that the SIPREC dialog's From and To name."""
        state = self.engine.correlator.calls.get(session.call_id)
        people = session.metadata.participants
        done: dict[str, Party] = {}
        if state is None or not people:
            return done
        classifier = self.engine.correlator.classifier
        for i, attr in ((0, "caller"), (1, "callee")):
            if i >= len(people) or not (people[i].aor or people[i].name):
                continue
            who = people[i]
            old: Party = getattr(state, attr)
            user = host = None
            if who.aor:
                try:
                    uri = parse_uri(who.aor)
                    user, host = uri.user, uri.host or None
                except ParseError:
                    user = who.aor
            party = Party(
                number=user or old.number, display_name=who.name, uri=who.aor or old.uri,
                e164=classifier.e164(user) if user else old.e164, ip=old.ip,
                user_agent=old.user_agent)
            setattr(state, attr, party)
            setattr(state, f"{attr}_host", host)
            done[attr] = party
        return done

    def _save(self, session: Session, ts: float) -> None:
        """The session's participant and stream rows, written by ``_write_rows`` soon."""
        rows = store.session_rows(session, ts)
        if rows is not None:
            self._dirty[rows[0]] = rows

    def _write_rows(self, wait: bool = False) -> None:
        """Sessions' rows to the journal in one transaction, in a thread of their own: a
        busy database never holds up SIP answers or RTP reading."""
        if self._writing is not None and not self._writing.done():
            if not wait:
                return
            self._writing.result()
        if not self._dirty:
            return
        batch, self._dirty = list(self._dirty.values()), {}
        self._writing = self._writer.submit(self._write_batch, batch)
        if wait:
            self._writing.result()

    def _write_batch(self, batch: list[store.Rows]) -> None:
        try:
            store.write(self.journal.engine, batch)
        except Exception as exc:  # the journal being away must not stop the recording
            log.error("callvault siprec: participants of %d calls not saved: %s",
                      len(batch), exc)

    # ---- asyncio ---------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.settings.siprec_listen, self.settings.siprec_port
        try:
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(host, port))
            bound = self._udp.get_extra_info("sockname")
            self._tcp = await asyncio.start_server(self._tcp_client, host, bound[1])
        except OSError as exc:
            self.media.close_all()
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.addresses_bound = {"udp": bound[:2], "tcp": self._tcp.sockets[0].getsockname()[:2]}
        self._tasks = [asyncio.create_task(self._media_loop())]
        if self.controller is not None:
            self.controller.start()

    def send(self, out: list[Outgoing]) -> None:
        for o in out:
            if o.conn is not None:
                writer: asyncio.StreamWriter = o.conn  # type: ignore[assignment]
                if not writer.is_closing():
                    writer.write(o.data)
            elif self._udp is not None:
                self._udp.sendto(o.data, o.remote)

    def local_for(self, local: Address, remote: Address) -> Address:
        """Our address as the client reaches it (a wildcard listen address resolved)."""
        host = local[0]
        if host in ("0.0.0.0", "::"):
            host = _route_to(remote[0])
        return host, local[1]

    async def _media_loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            try:
                self.step()
            except Exception:
                log.exception("callvault siprec: recording step failed")

    def step(self, now: float | None = None) -> None:
        """One turn: retransmissions, RTP read, the engine fed and its timers moved on."""
        self.send(self.handler.tick())
        if self.controller is not None:
            self.controller.apply()
        self._take(self.media.drain())
        # the clock moves to when this turn's sweep began, not to now: RTP that arrived
        # while the sweep ran is read next turn and must not be behind the recorder's clock
        self._feed(self.media.swept_at if now is None else now)
        self._write_rows()

    async def _tcp_client(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        framer = SipStreamFramer()
        peer = writer.get_extra_info("peername")[:2]
        local = self.local_for(writer.get_extra_info("sockname")[:2], peer)
        try:
            while data := await reader.read(65536):
                for message in framer.feed(data):
                    self.send(self.handler.receive(message, peer, local, "tcp", writer))
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def stop(self, reason: str = "recording server shutting down") -> None:
        """Graceful shutdown: a BYE to every session, what arrived recorded, every call
        written and its recording closed."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for session in list(self.handler.sessions.values()):
            self.send(self.handler.end(session, f'SIP;cause=503;text="{reason}"'))
        await asyncio.sleep(0)
        self._take(self.media.drain())
        self._feed(time.time())
        self.engine.close()
        self._commit()
        self._write_rows(wait=True)
        self._writer.shutdown()
        if self.controller is not None:
            self.controller.stop()
        self.media.close_all()
        if self._tcp is not None:
            self._tcp.close()
        if self._udp is not None:
            self._udp.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: RecordingServer) -> None:
        self.server = server
        self.local: Address = ("0.0.0.0", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.local = transport.get_extra_info("sockname")[:2]

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        remote = addr[:2]
        local = self.server.local_for(self.local, remote)
        self.server.send(self.server.handler.receive(data, remote, local, "udp"))

    def error_received(self, exc: Exception) -> None:
        self.server.handler.count("udp send error")


def _recorder(settings: Settings) -> Any:
    """The recorder as ingest builds it (same policy), its audio on disk as it arrives."""
    if not settings.record_audio:
        return None
    from callvault.recording.policy import RecordingPolicy
    from callvault.recording.recorder import Recorder
    from callvault.vault.filesystem import FilesystemVault

    policy = RecordingPolicy.from_settings(settings)
    return Recorder(FilesystemVault(settings.recordings_dir), settings.audio_format,
                    _decoder_factory(), policy=None if policy.records_everything else policy,
                    recoverable=True, flush_s=FLUSH_S, opens_per_tick=OPENS_PER_TICK)


def _route_to(host: str) -> str:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((host, 9))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def _sip_batch(items: list[tuple[float, bytes, int, int, int, int]]) -> DatagramBatch:
    lengths = np.array([len(i[1]) for i in items], dtype=np.int64)
    starts = np.zeros(len(items), dtype=np.int64)
    if len(items) > 1:
        starts[1:] = np.cumsum(lengths)[:-1]
    return DatagramBatch(
        b"".join(i[1] for i in items),
        np.array([i[0] for i in items], dtype=np.float64),
        starts,
        lengths,
        np.array([i[2] for i in items], dtype=np.uint64),
        np.array([i[4] for i in items], dtype=np.uint64),
        np.array([i[3] for i in items], dtype=np.int64),
        np.array([i[5] for i in items], dtype=np.int64),
    )
