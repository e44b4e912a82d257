"""Charts of the staff overview as inline SVG: series told apart by fill and pattern, not by colour alone; each
chart is labelled by a heading and has a table beside it."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from app.core.language import Language


def bar_chart(labels: list[str], series: list[tuple[str, str, list[int]]], title_id: str) -> Markup:
    """Grouped bars, one group per label; series are told apart by fill and pattern, not by colour alone."""
    width, height, left, bottom, top = 760, 260, 40, 40, 10
    peak = max([1] + [value for _, _, values in series for value in values])
    step = _nice_step(peak)
    peak = math.ceil(peak / step) * step
    group = (width - left - 10) / max(len(labels), 1)
    bar = group * 0.8 / len(series)
    plot_h = height - bottom - top
    parts = []
    for tick in range(0, peak + 1, step):
        y = top + plot_h * (1 - tick / peak)
        parts.append(f'<line class="tick" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, label in enumerate(labels):
        x0 = left + i * group + group * 0.1
        for j, (key, _, values) in enumerate(series):
            h = plot_h * values[i] / peak
            parts.append(f'<rect class="bar {key}" x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}"/>')
        if (len(labels) - 1 - i) % 4 == 0:
            parts.append(f'<text class="axis" x="{x0 + group * 0.4:.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    legend = "".join(
        f'<rect class="bar {key}" x="{left + k * 170}" y="{height - 16}" width="14" height="14"/>'
        f'<text class="axis" x="{left + k * 170 + 20}" y="{height - 4}">{escape(name)}</text>'
        for k, (key, name, _) in enumerate(series))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{title_id}" focusable="false"><defs><pattern id="hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>'
        f'<g aria-hidden="true">{"".join(parts)}{legend}</g></svg>')


def line_chart(labels: list[str], values: list[float], title_id: str, language: Language) -> Markup:
    """One line of shares (0..1) over time, with percent ticks and a dot per point."""
    width, height, left, bottom, top = 760, 240, 48, 28, 10
    right = 24
    peak = max([0.05] + values)
    peak = min(1.0, math.ceil(peak * 10) / 10)
    plot_w, plot_h = width - left - right, height - bottom - top
    parts = []
    for k in range(0, 6):
        tick = peak * k / 5
        y = top + plot_h * (1 - k / 5)
        parts.append(f'<line class="tick" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(language.number(tick * 100, 0))} %</text>')
    n = max(len(values) - 1, 1)
    points = [(left + plot_w * i / n, top + plot_h * (1 - value / peak)) for i, value in enumerate(values)]
    parts.append('<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
    parts.extend(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points)
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % 4 == 0:
            parts.append(f'<text class="axis" x="{points[i][0]:.1f}" y="{height - 8}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
                  f'role="img" aria-labelledby="{title_id}" focusable="false"><g aria-hidden="true">'
                  f'{"".join(parts)}</g></svg>')


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if peak / step <= 6:
            return step
    return 10 ** math.ceil(math.log10(peak / 6))
