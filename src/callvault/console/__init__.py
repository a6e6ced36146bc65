"""The web console: server-rendered pages over the JSON API, with vendored assets."""

from callvault.console.routes import console_router

__all__ = ["console_router"]
