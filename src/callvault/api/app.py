"""The app factory: settings in, a FastAPI app out (nothing happens at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from callvault import __version__
from callvault.accounts import Accounts
from callvault.accounts.sessions import Sessions
from callvault.api import errors
from callvault.api.analytics_routes import analytics_router
from callvault.api.cdr_push import cdr_router
from callvault.api.deps import CurrentUser
from callvault.api.directory_routes import directory_router
from callvault.api.live_routes import live_router
from callvault.api.preference_routes import preference_router
from callvault.api.quality_routes import quality_router
from callvault.api.routes import router
from callvault.api.session_routes import session_router
from callvault.api.siprec_routes import siprec_router
from callvault.api.webhook_routes import webhook_router
from callvault.config import Settings
from callvault.console import console_router
from callvault.journal import Journal
from callvault.ops.routes import ops_router
from callvault.webhooks import Dispatcher, attach


def create_app(settings: Settings) -> FastAPI:
    """The API over the journal ``settings`` names, opened (and migrated) now and closed
    when the app shuts down."""
    journal = Journal.open(settings.journal_url)
    accounts = Accounts.open(settings.journal_url)
    webhooks = attach(journal).webhooks
    dispatcher = Dispatcher.from_settings(webhooks, settings)
    sessions = Sessions.connect(settings.journal_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        dispatcher.start()
        yield
        dispatcher.stop()
        sessions.dispose()
        accounts.close()
        journal.close()

    # The interactive docs would be unauthenticated routes: the schema is served at
    # /api/openapi.json behind authentication instead.
    app = FastAPI(
        title="callvault",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.journal = journal
    app.state.accounts = accounts
    app.state.webhooks = webhooks
    app.state.sessions = sessions
    errors.install(app)
    app.include_router(router)
    app.include_router(cdr_router)
    app.include_router(analytics_router)
    app.include_router(webhook_router)
    app.include_router(directory_router)
    app.include_router(quality_router)
    app.include_router(preference_router)
    app.include_router(session_router)
    app.include_router(siprec_router)
    app.include_router(live_router)
    app.include_router(ops_router)
    app.include_router(console_router)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_: CurrentUser) -> dict[str, Any]:
        return app.openapi()

    return app
