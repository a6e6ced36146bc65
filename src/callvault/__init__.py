"""callvault: call recording and call logging for call centers."""

__version__ = "0.1.0"
