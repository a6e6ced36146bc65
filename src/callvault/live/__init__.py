"""Calls in progress: the live board shared by recorders and readers (``board``)."""

from callvault.live.board import (
    ACTIONS,
    STATES,
    LiveBoard,
    LiveCall,
    LiveConflict,
    LiveError,
    NoSuchLiveCall,
    Request,
)

__all__ = [
    "ACTIONS",
    "STATES",
    "LiveBoard",
    "LiveCall",
    "LiveConflict",
    "LiveError",
    "NoSuchLiveCall",
    "Request",
]
