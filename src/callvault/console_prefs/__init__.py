"""Per-user state of the console kept on the server: saved searches and preferences (the
journal's columns). ``store`` reads and writes them; ``columns`` says which journal
columns there are; the routes are ``callvault.api.preference_routes``."""

from callvault.console_prefs.columns import DEFAULT_COLUMNS, JOURNAL_COLUMNS, export_fields
from callvault.console_prefs.store import (
    MAX_SAVED_SEARCHES,
    DuplicateName,
    Preferences,
    PrefsStore,
    SavedSearch,
    TooMany,
)

__all__ = [
    "DEFAULT_COLUMNS",
    "JOURNAL_COLUMNS",
    "MAX_SAVED_SEARCHES",
    "DuplicateName",
    "Preferences",
    "PrefsStore",
    "SavedSearch",
    "TooMany",
    "export_fields",
]
