"""The REST API over the journal: an app factory, authentication on every route."""

from callvault.api.app import create_app

__all__ = ["create_app"]
