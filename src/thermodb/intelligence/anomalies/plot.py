"""An SVG plot of anomaly series, written without a plotting library: one panel per
series with its values, the seasonal expectation (dashed) and the anomalies marked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from thermodb.errors import InputError

__all__ = ["render_svg", "write_svg"]

WIDTH, PANEL, MARGIN = 960, 170, 48
COLOURS = {"values": "#3b6ea8", "expected": "#e08a1e", "spike": "#c62828", "drop": "#6a1b9a"}


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    parts, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point[0]:.1f},{point[1]:.1f}")
        pen_down = True
    return " ".join(parts)


def _panel(series: dict[str, Any], top: float) -> list[str]:
    values: list[float | None] = series["values"]
    expected: list[float | None] = series["expected"]
    known = [v for v in [*values, *expected] if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if high == low:
        high = low + 1.0
    n = max(len(values) - 1, 1)
    inner_w, inner_h = WIDTH - 2 * MARGIN, PANEL - 50

    def xy(i: int, v: float | None) -> tuple[float, float] | None:
        if v is None:
            return None
        return MARGIN + inner_w * i / n, top + 30 + inner_h * (1 - (v - low) / (high - low))

    title = (
        f"{series['collection']} · {series['series']} per {series['bucket']} from {series['start']}"
    )
    out = [
        f'<text x="{MARGIN}" y="{top + 18}" font-size="13" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<text x="4" y="{top + 34}" font-size="10">{high:.4g}</text>',
        f'<text x="4" y="{top + 30 + inner_h}" font-size="10">{low:.4g}</text>',
        f'<rect x="{MARGIN}" y="{top + 30}" width="{inner_w}" height="{inner_h}" fill="none" '
        'stroke="#ccc"/>',
        f'<path d="{_path([xy(i, v) for i, v in enumerate(expected)])}" fill="none" '
        f'stroke="{COLOURS["expected"]}" stroke-dasharray="4 3" stroke-width="1.2"/>',
        f'<path d="{_path([xy(i, v) for i, v in enumerate(values)])}" fill="none" '
        f'stroke="{COLOURS["values"]}" stroke-width="1.2"/>',
    ]
    for a in series["anomalies"]:
        point = xy(a["index"], a["value"])
        if point is not None:
            out.append(
                f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="4" '
                f'fill="{COLOURS[a["kind"]]}">'
                f"<title>{escape(a['at'])}: {a['kind']} {a['value']:.4g} "
                f"(usual {a['expected']:.4g})</title></circle>"
            )
    return out


def render_svg(report: dict[str, Any]) -> str:
    """The SVG document of every series in an anomaly report."""
    series = report["series"]
    height = max(1, len(series)) * PANEL + 30
    body: list[str] = []
    for i, s in enumerate(series):
        body += _panel(s, i * PANEL)
    if not series:
        body.append(f'<text x="{MARGIN}" y="40" font-size="13">no series to plot</text>')
    legend = (
        f'<text x="{MARGIN}" y="{height - 8}" font-size="11">'
        f'<tspan fill="{COLOURS["values"]}">— value</tspan>  '
        f'<tspan fill="{COLOURS["expected"]}">- - usual (seasonal median)</tspan>  '
        f'<tspan fill="{COLOURS["spike"]}">● spike</tspan>  '
        f'<tspan fill="{COLOURS["drop"]}">● drop</tspan></text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(body)}{legend}</svg>\n'
    )


def write_svg(report: dict[str, Any], path: Path) -> None:
    try:
        path.write_text(render_svg(report))
    except OSError as exc:
        raise InputError(f"cannot write the plot to {path}: {exc.strerror}") from exc
