"""Charts as files a user opens: a real PNG of the right size, an SVG that parses and names
what it shows."""

from __future__ import annotations

import struct
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest

from callvault.analytics.charts import HOURS, WEEKDAYS, ChartError, heatmap, trend

MATRIX = [[(d + 1) * (h % 12) for h in range(24)] for d in range(7)]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _svg_texts(path: Path) -> str:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def test_heatmap_png(tmp_path: Path) -> None:
    out = heatmap(tmp_path / "peak" / "heatmap.png", MATRIX)
    width, height = _png_size(out)
    assert width > height > 200


def test_heatmap_svg_holds_its_labels(tmp_path: Path) -> None:
    out = heatmap(tmp_path / "heatmap.svg", MATRIX, title="Offered calls, March")
    text = _svg_texts(out)
    for label in (*WEEKDAYS, HOURS[0], HOURS[23], "Offered calls, March", "calls"):
        assert label in text
    assert "77" in text  # the cell Sun 11:00 (7 × 11)
    again = heatmap(tmp_path / "again.svg", MATRIX, title="Offered calls, March")
    assert again.read_bytes() == out.read_bytes()


def test_trend_png_and_svg(tmp_path: Path) -> None:
    labels = [f"2026-03-{d:02d}" for d in range(1, 31)]
    series = {"offered": [100 + d for d in range(30)], "answered": [90 + d for d in range(30)]}
    width, height = _png_size(trend(tmp_path / "trend.png", labels, series))
    assert width > height > 200
    text = _svg_texts(trend(tmp_path / "trend.svg", labels, series, title="Daily volume"))
    for label in ("Daily volume", "offered", "answered", "2026-03-01"):
        assert label in text


def test_what_cannot_be_drawn(tmp_path: Path) -> None:
    with pytest.raises(ChartError, match="png or .svg"):
        heatmap(tmp_path / "x.jpg", MATRIX)
    with pytest.raises(ChartError, match="7 rows of 24"):
        heatmap(tmp_path / "x.png", MATRIX[:6])
    with pytest.raises(ChartError, match="3 values for 2 labels"):
        trend(tmp_path / "x.svg", ["a", "b"], {"calls": [1, 2, 3]})
    assert not list(tmp_path.iterdir())
