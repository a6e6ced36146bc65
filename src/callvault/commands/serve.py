"""`callvault serve`: the REST API (docs/api.md)."""

from __future__ import annotations

from pathlib import Path

import click

from callvault.commands.common import journal_options, settings_from


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@journal_options
def serve(host: str, port: int, data_dir: Path | None, db: str | None) -> None:
    """Serve the REST API over the journal; every request must authenticate."""
    import uvicorn

    from callvault.api import create_app

    app = create_app(settings_from(data_dir, db))
    uvicorn.run(app, host=host, port=port, log_level="info")


COMMANDS: list[click.Command] = [serve]
