"""Quality review: scorecards (sections, weighted questions) in versions, evaluations of
calls scored against them, comments at moments of a recording, and playlists of calls for
training (``docs/quality.md``)."""

from callvault.quality.evaluations import Evaluations
from callvault.quality.model import (
    Answer,
    Evaluation,
    Kind,
    MomentComment,
    NotFoundError,
    Playlist,
    PlaylistItem,
    QualityError,
    Question,
    Scorecard,
    Section,
    Status,
)
from callvault.quality.playlists import Playlists
from callvault.quality.scorecards import Scorecards
from callvault.quality.scoring import Score, score

__all__ = [
    "Answer",
    "Evaluation",
    "Evaluations",
    "Kind",
    "MomentComment",
    "NotFoundError",
    "Playlist",
    "PlaylistItem",
    "Playlists",
    "QualityError",
    "Question",
    "Score",
    "Scorecard",
    "Scorecards",
    "Section",
    "Status",
    "score",
]
