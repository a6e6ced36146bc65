"""`callvault consent check`: (re)check stored recordings for the consent notice."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from callvault.commands.common import TimeParam, journal_options, open_journal, settings_from


@click.group()
def consent() -> None:
    """The consent notice ("this call may be recorded…") in recordings."""


@consent.command()
@click.argument("calls", nargs=-1)
@click.option(
    "--since", type=TimeParam(), default=None, help="Every recorded call started since then."
)
@click.option(
    "--announcement",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The notice's audio file [default: setting consent_announcement].",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@journal_options
def check(
    calls: tuple[str, ...],
    since: datetime | None,
    announcement: Path | None,
    fmt: str,
    data_dir: Path | None,
    db: str | None,
) -> None:
    """Check the opening seconds of the recordings of CALLS (ids, uids or SIP Call-IDs), or
    of every recorded call since --since, for the consent notice; store each result.

    A call the policy requires to carry the notice (setting consent_required) and that does
    not is flagged "missing" (API: GET /api/calls?consent=missing).
    """
    from callvault.journal.filters import CallFilter
    from callvault.recording.consent import ConsentDetector, ConsentError, save_result
    from callvault.recording.policy import RecordingPolicy
    from callvault.vault.filesystem import FilesystemVault

    if not calls and since is None:
        raise click.UsageError("name the calls to check, or give --since")
    settings = settings_from(data_dir=data_dir, db=db, consent_announcement=announcement)
    detector = ConsentDetector.from_settings(settings)
    if detector is None:
        raise click.UsageError(
            "no consent announcement: give --announcement FILE or set "
            "CALLVAULT_CONSENT_ANNOUNCEMENT"
        )
    policy = RecordingPolicy.from_settings(settings)
    vault = FilesystemVault(settings.recordings_dir)
    rows = []
    with open_journal(settings) as journal:
        found = []
        for ref in calls:
            call = journal.get_call(ref)
            if call is None:
                raise click.ClickException(
                    f"no call with id, uid or Call-ID {ref!r} in the journal"
                )
            found.append(call)
        if since is not None:
            found += journal.list_calls(CallFilter(since=since, has_recording=True))
        for call in found:
            if call.recording is None:
                rows.append(
                    {"id": call.id, "uid": call.uid, "consent": None, "why": "no recording"}
                )
                continue
            try:
                result = detector.check_file(
                    vault.path(call.recording.path), policy.must_carry_consent(call)
                )
            except ConsentError as exc:
                rows.append({"id": call.id, "uid": call.uid, "consent": None, "why": str(exc)})
                continue
            save_result(journal, call, result)
            rows.append(
                {
                    "id": call.id,
                    "uid": call.uid,
                    "consent": result.verdict,
                    "channel": None if result.channel is None else result.channel.value,
                    "offset_s": result.offset_s,
                    "score": result.score,
                }
            )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        if row["consent"] is None:
            click.echo(f"{row['id']:>8}  {row['uid']}  not checked: {row['why']}")
        elif row["channel"] is None:
            click.echo(f"{row['id']:>8}  {row['uid']}  {row['consent']} (score {row['score']:.2f})")
        else:
            click.echo(
                f"{row['id']:>8}  {row['uid']}  {row['consent']} on the {row['channel']} channel "
                f"at {row['offset_s']:.2f} s (score {row['score']:.2f})"
            )
    missing = sum(row["consent"] == "missing" for row in rows)
    click.echo(f"{len(rows)} calls checked, {missing} missing the required notice")


COMMANDS: list[click.Command] = [consent]
