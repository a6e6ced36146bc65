"""`callvault siprec`: the SIPREC recording server (docs/siprec.md)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click

from callvault.commands.common import journal_options, open_journal, settings_from


@click.command()
@click.option("--listen", "siprec_listen", metavar="ADDRESS",
              help="Address for SIP and RTP [default: 127.0.0.1; env CALLVAULT_SIPREC_LISTEN].")
@click.option("--port", "siprec_port", type=click.IntRange(0, 65535),
              help="SIP port, UDP and TCP (0: any free port) [default: 5060].")
@click.option("--rtp-ports", "siprec_rtp_ports", metavar="LOW-HIGH",
              help="RTP port range [default: 20000-29999].")
@click.option("--media-address", "siprec_media_address", metavar="ADDRESS",
              help="Address written in the SDP answers (behind NAT).")
@click.option("--allow", "siprec_allow", multiple=True, metavar="NETWORK",
              help="A recording client's address or network, * for any (repeatable) "
              "[default: loopback only; env CALLVAULT_SIPREC_ALLOW].")
@click.option("--name", "siprec_recorder", metavar="NAME",
              help="This recorder's name on the live board [default: siprec@HOSTNAME].")
@click.option("--audio/--no-audio", "record_audio", default=None,
              help="Record the audio (default) or write the journal only.")
@click.option("--audio-format", type=click.Choice(["wav", "flac", "opus"]), default=None,
              help="Recording format [default: wav].")
@journal_options
def siprec(data_dir: Path | None, db: str | None, **options: object) -> None:
    """Record calls sent by a SIPREC recording client (an SBC or PBX, RFC 7866).

    Digest credentials come from $CALLVAULT_SIPREC_CREDENTIALS (user:password,…).
    SIGTERM or SIGINT ends every session with a BYE and saves its call and recording.
    """
    from callvault.siprec.server import RecordingServer

    settings = settings_from(data_dir, db, **options)
    with open_journal(settings) as journal:
        board = _board(journal)
        server = RecordingServer(settings, journal, board=board)
        _recover(server)
        asyncio.run(_serve(server))
    click.echo(f"callvault siprec: stopped; {server.calls_saved} calls saved", err=True)


def _board(journal):  # type: ignore[no-untyped-def]
    try:
        from callvault.live.board import LiveBoard
    except ImportError:
        return None
    return LiveBoard.attach(journal)


def _recover(server) -> None:  # type: ignore[no-untyped-def]
    """What a previous run of this recorder left when it died (kill -9): partial recordings
    repaired, their calls saved as interrupted (callvault.recording.recovery)."""
    try:
        from callvault.recording.recovery import recover
    except ImportError:
        return
    report = recover(server.journal, server.settings.data_dir, server.board, server.name)
    if report.calls:
        click.echo(f"callvault siprec: recovered {len(report.calls)} interrupted calls "
                   f"({len(report.repaired)} recordings repaired)", err=True)


async def _serve(server) -> None:  # type: ignore[no-untyped-def]
    """Serve until SIGTERM/SIGINT, the recorder's stats file (``/metrics``) kept current."""
    from callvault.ops.serving import SiprecStats

    await server.start()
    udp, tcp = server.addresses_bound["udp"], server.addresses_bound["tcp"]
    lo, hi = server.settings.siprec_rtp_ports.split("-")
    click.echo(f"callvault siprec: recording on udp {udp[0]}:{udp[1]} and tcp {tcp[0]}:{tcp[1]}, "
               f"RTP {lo}-{hi} (journal: {server.journal.url})", err=True)
    stats = SiprecStats(server.settings, server)
    stats.write()
    heartbeat = asyncio.create_task(stats.run())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    heartbeat.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await heartbeat
    await server.stop()
    stats.write(running=False)


COMMANDS: list[click.Command] = [siprec]
