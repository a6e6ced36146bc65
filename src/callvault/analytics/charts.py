"""PNG and SVG charts of the hour × weekday heatmap and of trends, for the command line.

Matplotlib (Agg backend, no display needed) is imported when a chart is drawn, so the rest
of callvault starts without it. The format follows the file name: ``.png`` or ``.svg``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

FORMATS = ("png", "svg")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(f"{h:02d}" for h in range(24))


class ChartError(ValueError):
    """A chart cannot be drawn from what was given (shapes, format)."""


_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "callvault"}
"""SVG text stays text (searchable, scalable), and its ids are the same on every run."""


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _format(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        shown = path.suffix or "no extension"
        raise ChartError(f"{path}: a chart is written as .png or .svg, not {shown}")
    return fmt


def heatmap(
    path: Path,
    values: Sequence[Sequence[float]],
    *,
    rows: Sequence[str] = WEEKDAYS,
    columns: Sequence[str] = HOURS,
    title: str = "Calls by weekday and hour",
    unit: str = "calls",
) -> Path:
    """Write a heatmap of ``values`` (one row per ``rows`` label, one column per ``columns``
    label; 7 × 24 for weekday × hour) to ``path`` (.png or .svg); returns ``path``."""
    fmt = _format(path)
    if len(values) != len(rows) or any(len(row) != len(columns) for row in values):
        raise ChartError(
            f"heatmap values must be {len(rows)} rows of {len(columns)} numbers "
            f"({len(values)} rows given)"
        )
    plt = _pyplot()
    size = (max(6.0, 0.42 * len(columns) + 2), 0.45 * len(rows) + 1.6)
    with plt.rc_context(_STYLE):
        _draw_heatmap(plt, path, fmt, values, rows, columns, title, unit, size)
    return path


def _draw_heatmap(
    plt: Any, path: Path, fmt: str, values: Sequence[Sequence[float]], rows: Sequence[str],
    columns: Sequence[str], title: str, unit: str, size: tuple[float, float],
) -> None:
    figure, axes = plt.subplots(figsize=size)
    try:
        image = axes.imshow(values, aspect="auto", cmap="YlOrRd", interpolation="nearest")
        axes.set_xticks(range(len(columns)), labels=list(columns), fontsize=8)
        axes.set_yticks(range(len(rows)), labels=list(rows), fontsize=8)
        axes.set_title(title)
        colorbar = figure.colorbar(image, ax=axes)
        colorbar.set_label(unit)
        peak = max((max(row) for row in values), default=0)
        for y, row in enumerate(values):
            for x, value in enumerate(row):
                if len(columns) <= 24 and value:
                    axes.text(x, y, f"{value:.0f}", ha="center", va="center", fontsize=6,
                              color="white" if peak and value > 0.6 * peak else "black")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format=fmt, dpi=120, metadata=_metadata(fmt))
    finally:
        plt.close(figure)


def trend(
    path: Path,
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str = "Calls",
    unit: str = "calls",
) -> Path:
    """Write a line chart of one or more ``series`` (name → values, one per label in
    ``labels``: dates, weeks, hours) to ``path`` (.png or .svg); returns ``path``."""
    fmt = _format(path)
    if not series:
        raise ChartError("a trend needs at least one series")
    for name, values in series.items():
        if len(values) != len(labels):
            raise ChartError(
                f"series {name!r} has {len(values)} values for {len(labels)} labels"
            )
    plt = _pyplot()
    with plt.rc_context(_STYLE):
        _draw_trend(plt, path, fmt, labels, series, title, unit)
    return path


def _draw_trend(
    plt: Any, path: Path, fmt: str, labels: Sequence[str], series: dict[str, Sequence[float]],
    title: str, unit: str,
) -> None:
    figure, axes = plt.subplots(figsize=(9, 4))
    try:
        positions = range(len(labels))
        for name, values in series.items():
            axes.plot(positions, list(values), marker="o" if len(labels) <= 40 else None,
                      markersize=3, label=name)
        step = max(1, len(labels) // 12)
        axes.set_xticks(list(positions)[::step], labels=list(labels)[::step], rotation=30,
                        ha="right", fontsize=8)
        axes.set_ylabel(unit)
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format=fmt, dpi=120, metadata=_metadata(fmt))
    finally:
        plt.close(figure)


def _metadata(fmt: str) -> dict[str, Any]:
    """No creation date in the file: the same data gives the same chart, byte for byte."""
    return {"Date": None} if fmt == "svg" else {}
