"""The report's charts as SVG, written directly, each drawn twice: for wide screens and print, and for phones.

Why our own SVG and not a plotting library: a chart in a report that must open offline, print sharply
and read on a 360-pixel phone needs text that never shrinks below a readable size.  A chart scales as a
whole, so one drawing cannot serve both a 930-pixel column and a 340-pixel phone: its text would be
about 5 pixels high on the phone.  Each chart is therefore laid out twice, at two widths with their own
text sizes (:data:`WIDE` and :data:`NARROW`), and the page's CSS shows the one that fits; both are
plain vector markup inside the HTML file, need no script and print as they look.  Writing the markup
ourselves also keeps the whole report build within seconds (a plotting library took most of the
build time for far fewer charts) and makes the output deterministic: the same numbers give the same
bytes.

Every function takes plain numbers (a missing value is ``None``: lines break there and bars show the
status symbol instead of a bar, never a zero) and returns a :class:`Chart` with both drawings.  Each
drawing has a ``<title>`` (what the chart shows, for screen readers) and, for synthetic data, the stamp
text inside the picture itself, so a chart copied out of the report keeps its label.

Text widths are estimated from character classes of common sans-serif fonts (generously, so labels
never collide); long labels wrap onto a second line instead of being cut.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable, Mapping, Sequence

import attrs

from samhandling.report.formatting import format_number
from samhandling.report.messages import msg

__all__ = [
    "NARROW",
    "PALETTE",
    "WIDE",
    "Chart",
    "Frame",
    "Panel",
    "Series",
    "bar_chart",
    "dot_plot",
    "funnel_plot",
    "grouped_bars",
    "line_chart",
    "ranked_dots",
    "small_multiples",
    "stacked_bars",
    "text_width",
]

#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale print.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#999999",
    "#000000",
    "#F0E442",
    "#7F3C8D",
    "#3969AC",
    "#80BA5A",
)
_INK = "#222222"
_MUTED = "#555555"
_GRID = "#dddddd"
_REFERENCE = "#8c8c8c"
_STAMP = "#b42318"


@typing.final
@attrs.frozen(kw_only=True)
class Frame:
    """One layout: the drawing's width in SVG units and its text size in the same units.

    The page shows the drawing at the width of its column, so text of size ``font`` appears at
    ``font × column / width`` pixels: :data:`WIDE` (760 units, text 12.5) is at least 10 px from a
    640-px column up and 14–15 px in the report's 930-px column; :data:`NARROW` (360 units, text 11.5)
    is 10.8 px on a 360-px phone.
    """

    name: str
    width: float
    font: float

    @property
    def row(self) -> float:
        """Height of one line of text with its spacing."""
        return self.font * 1.45


WIDE = Frame(name="wide", width=760.0, font=12.5)
NARROW = Frame(name="narrow", width=360.0, font=11.5)
FRAMES: tuple[Frame, ...] = (WIDE, NARROW)


@typing.final
@attrs.frozen(kw_only=True)
class Chart:
    """A chart drawn for wide screens and print (``wide``) and for phones (``narrow``)."""

    wide: str
    narrow: str


def _numbers(value: Iterable[float]) -> tuple[float, ...]:
    return tuple(value)


def _optional_numbers(value: Iterable[float | None]) -> tuple[float | None, ...]:
    return tuple(value)


def _series(value: Iterable[Series]) -> tuple[Series, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class Series:
    """One line: a label and y values (``None`` where there is no value) over x values (years)."""

    label: str
    x: tuple[float, ...] = attrs.field(converter=_numbers)
    y: tuple[float | None, ...] = attrs.field(converter=_optional_numbers)
    dashed: bool = False


@typing.final
@attrs.frozen(kw_only=True)
class Panel:
    """One small multiple: a title and its lines."""

    title: str
    series: tuple[Series, ...] = attrs.field(converter=_series)


# -- text -------------------------------------------------------------------------------------------

_NARROW_CHARACTERS = frozenset("iljtf.,:;'!|() ")
#: Room to spare over the estimate (it is within a few per cent of common sans-serif fonts).
_SPARE = 1.06
_WIDE_CHARACTERS = frozenset("mwMW%@")


def text_width(text: str, size: float) -> float:
    """The width of ``text`` at font size ``size``, estimated generously for common sans-serif fonts."""
    units = 0.0
    for character in text:
        if character in _NARROW_CHARACTERS:
            units += 0.34
        elif character in _WIDE_CHARACTERS:
            units += 0.92
        elif character.isupper():
            units += 0.70
        elif character.isdigit():
            units += 0.60
        else:
            units += 0.58
    return units * size


def _wrap(text: str, size: float, width: float, lines: int = 2) -> list[str]:
    """``text`` broken at spaces (or after hyphens) into at most ``lines`` lines no wider than ``width``.

    A word longer than the width stays whole on its own line (the layout makes room for it): a name is
    never cut.
    """
    if text_width(text, size) * _SPARE <= width:
        return [text]
    words = text.replace("-", "- ").split(" ")
    result: list[str] = []
    current = ""
    for word in words:
        if not word:
            continue
        joiner = "" if current.endswith("-") or not current else " "
        candidate = current + joiner + word
        if current and text_width(candidate, size) * _SPARE > width and len(result) < lines - 1:
            result.append(current)
            current = word
        else:
            current = candidate
    result.append(current)
    return result


def _placed(x: float, text: str, size: float, width: float, gap: float) -> tuple[float, str]:
    """Where to put a label beside a vertical line at ``x`` so that it stays inside ``0…width``: to the
    right of the line when it fits there, else to its left, else against the nearer edge."""
    needed = text_width(text, size) * 1.06
    if x + gap + needed <= width:
        return x + gap, "start"
    if x - gap - needed >= 0:
        return x - gap, "end"
    return (width, "end") if x > width / 2 else (0.0, "start")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _f(value: float) -> str:
    """A coordinate with at most one decimal (small files, stable output)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Svg:
    """An SVG drawing being built: elements in order, then wrapped with a viewBox and a title."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        self.parts: list[str] = []

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        anchor: str = "start",
        size: float | None = None,
        bold: bool = False,
        fill: str = _INK,
        baseline: str = "central",
    ) -> None:
        if not text:
            return
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size or self.frame.font)}" '
            f'text-anchor="{anchor}" dominant-baseline="{baseline}" fill="{fill}"{weight}>'
            f"{_escape(text)}</text>"
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        stroke: str = _GRID,
        width: float = 1.0,
        dash: str = "",
    ) -> None:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{stroke}" '
            f'stroke-width="{_f(width)}"{dashed}/>'
        )

    def rect(self, x: float, y: float, width: float, height: float, *, fill: str) -> None:
        if width <= 0 or height <= 0:
            return
        self.parts.append(
            f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(width)}" height="{_f(height)}" fill="{fill}"/>'
        )

    def circle(self, x: float, y: float, radius: float, *, fill: str, stroke: str = "none") -> None:
        edge = f' stroke="{stroke}" stroke-width="0.8"' if stroke != "none" else ""
        self.parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(radius)}" fill="{fill}"{edge}/>')

    def path(
        self, points: Sequence[tuple[float, float]], *, stroke: str, width: float, dash: str = ""
    ) -> None:
        if len(points) < 2:
            return
        data = "M" + " L".join(f"{_f(x)} {_f(y)}" for x, y in points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<path d="{data}" fill="none" stroke="{stroke}" stroke-width="{_f(width)}" '
            f'stroke-linejoin="round"{dashed}/>'
        )

    def finish(self, chart_id: str, height: float, description: str, stamp: str) -> str:
        frame = self.frame
        if stamp:
            self.text(
                frame.width - 2,
                height + frame.row * 0.55,
                stamp,
                anchor="end",
                bold=True,
                fill=_STAMP,
            )
            height += frame.row
        svg_id = f"{chart_id}-{frame.name}"
        title = _escape(description + (f" ({stamp})" if stamp else ""))
        return (
            f'<svg class="chart chart-{frame.name}" id="{svg_id}" viewBox="0 0 {_f(frame.width)} '
            f'{_f(math.ceil(height))}" role="img" aria-labelledby="{svg_id}-title">'
            f'<title id="{svg_id}-title">{title}</title>\n' + "\n".join(self.parts) + "\n</svg>"
        )


# -- scales and axes ------------------------------------------------------------------------------


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def _ticks(low: float, high: float, count: int) -> list[float]:
    """Round tick values covering ``low``–``high`` (about ``count`` of them)."""
    if high <= low:
        high = low + 1.0
    step = _nice_step(high - low, count)
    first = math.floor(low / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < high - step * 1e-9 and len(ticks) < 50:
        ticks.append(round(first + step * len(ticks), 10))
    return ticks


def _decimals_of(ticks: Sequence[float]) -> int:
    if len(ticks) < 2:
        return 0
    step = abs(ticks[1] - ticks[0])
    return 0 if step >= 1 else (1 if step >= 0.1 else 2)


def _finite(values: Iterable[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _legend(svg: _Svg, items: Sequence[tuple[str, str, str]], x: float, y: float, width: float) -> float:
    """Legend entries (label, colour, key) in rows from ``(x, y)``; returns the height used.

    The key is ``"box"`` (bars), ``"line"``, ``"dash"`` (a dashed line) or ``"dot"``.
    """
    frame = svg.frame
    size = frame.font
    gap = size * 1.2
    key = size * 1.5
    cursor_x, row = x, 0
    for label, colour, kind in items:
        needed = key + size * 0.4 + text_width(label, size)
        if cursor_x > x and cursor_x + needed > x + width:
            row += 1
            cursor_x = x
        cy = y + row * frame.row + frame.row / 2
        if kind == "dash":
            svg.line(cursor_x, cy, cursor_x + key, cy, stroke=colour, width=1.6, dash="4 3")
        elif kind == "line":
            svg.line(cursor_x, cy, cursor_x + key, cy, stroke=colour, width=2.2)
        elif kind == "dot":
            svg.circle(cursor_x + key / 2, cy, size * 0.38, fill=colour)
        else:
            svg.rect(cursor_x, cy - size * 0.35, key, size * 0.7, fill=colour)
        svg.text(cursor_x + key + size * 0.4, cy, label)
        cursor_x += needed + gap
    return (row + 1) * frame.row if items else 0.0


def _value_axis_width(labels: Sequence[str], size: float) -> float:
    return max((text_width(label, size) for label in labels), default=0.0) + size * 0.6


# -- line charts ------------------------------------------------------------------------------------


def _year_ticks(years: Sequence[float], room: float, size: float) -> list[int]:
    ticks = sorted({int(y) for y in years})
    if not ticks:
        return []
    fits = max(2, int(room / (text_width("2000", size) + size * 1.2)))
    if len(ticks) > fits:
        step = math.ceil(len(ticks) / fits)
        ticks = ticks[::-1][::step][::-1]
    return ticks


def _plot_lines(
    svg: _Svg,
    series: Sequence[Series],
    x_of: typing.Callable[[float], float],
    y_of: typing.Callable[[float], float],
    *,
    thin: bool = False,
) -> None:
    for index, line in enumerate(series):
        colour = _REFERENCE if line.dashed else PALETTE[index % len(PALETTE)]
        width = (1.2 if line.dashed else 2.0) * (0.8 if thin else 1.0)
        segment: list[tuple[float, float]] = []
        for x, y in zip(line.x, line.y, strict=True):
            if y is None or not math.isfinite(y):
                svg.path(segment, stroke=colour, width=width, dash="4 3" if line.dashed else "")
                segment = []
                continue
            segment.append((x_of(x), y_of(y)))
        svg.path(segment, stroke=colour, width=width, dash="4 3" if line.dashed else "")
        if not line.dashed:
            for x, y in zip(line.x, line.y, strict=True):
                if y is not None and math.isfinite(y):
                    svg.circle(x_of(x), y_of(y), 1.8 if thin else 2.8, fill=colour)


def line_chart(
    chart_id: str,
    series: Sequence[Series],
    *,
    description: str,
    ylabel: str,
    stamp: str = "",
    start_at_zero: bool = True,
) -> Chart:
    """Lines over years (e.g. FTEs per 10,000 adults and per 10,000 children, nationally)."""

    def draw(frame: Frame) -> str:
        svg = _Svg(frame)
        size = frame.font
        top = _legend(svg, [(s.label, _colour_of(series, s), _key(s)) for s in series], 0, 0, frame.width)
        svg.text(0, top + frame.row / 2, ylabel, fill=_MUTED)
        top += frame.row * 1.2
        values = [v for s in series for v in _finite(s.y)]
        years = [x for s in series for x in s.x]
        low = 0.0 if start_at_zero else min(values, default=0.0)
        ticks = _ticks(low, max(values, default=1.0) * 1.05, 5)
        decimals = _decimals_of(ticks)
        labels = [format_number(t, decimals) for t in ticks]
        left = _value_axis_width(labels, size)
        plot_height = 210.0 if frame is WIDE else 190.0
        bottom = top + plot_height
        right = frame.width - size * 1.5
        first, last = (min(years), max(years)) if years else (0.0, 1.0)
        span = (last - first) or 1.0

        def x_of(x: float) -> float:
            return left + size + (x - first) / span * (right - left - size * 2)

        def y_of(y: float) -> float:
            return bottom - (y - ticks[0]) / ((ticks[-1] - ticks[0]) or 1.0) * plot_height

        for tick, text in zip(ticks, labels, strict=True):
            svg.line(left, y_of(tick), right, y_of(tick))
            svg.text(left - size * 0.4, y_of(tick), text, anchor="end", fill=_MUTED)
        for year in _year_ticks(years, right - left, size):
            svg.text(x_of(year), bottom + frame.row * 0.7, str(year), anchor="middle", fill=_MUTED)
        svg.line(left, bottom, right, bottom, stroke=_MUTED)
        _plot_lines(svg, series, x_of, y_of)
        return svg.finish(chart_id, bottom + frame.row * 1.3, description, stamp)

    return Chart(wide=draw(WIDE), narrow=draw(NARROW))


def _key(line: Series) -> str:
    return "dash" if line.dashed else "line"


def _colour_of(series: Sequence[Series], line: Series) -> str:
    return _REFERENCE if line.dashed else PALETTE[list(series).index(line) % len(PALETTE)]


def small_multiples(
    chart_id: str,
    panels: Sequence[Panel],
    *,
    description: str,
    ylabel: str,
    stamp: str = "",
    columns: tuple[int, int] = (4, 2),
) -> Chart:
    """One small panel per area (county, health trust) with the same scale, so levels compare at a glance.

    ``columns`` is the number of panels per row on wide screens and on phones.  Series with
    ``dashed=True`` are drawn as grey reference lines (e.g. the national figure).  Panel titles are the
    areas' full names, wrapped onto two lines where needed.
    """
    if not panels:
        raise ValueError("small_multiples needs at least one panel")

    def draw(frame: Frame) -> str:
        svg = _Svg(frame)
        size = frame.font
        count = columns[0] if frame is WIDE else columns[1]
        first_series = panels[0].series
        top = _legend(
            svg, [(s.label, _colour_of(first_series, s), _key(s)) for s in first_series], 0, 0, frame.width
        )
        svg.text(0, top + frame.row / 2, ylabel, fill=_MUTED)
        top += frame.row * 1.2
        values = [v for p in panels for s in p.series for v in _finite(s.y)]
        years = [x for p in panels for s in p.series for x in s.x]
        ticks = _ticks(0.0, max(values, default=1.0) * 1.05, 2)
        decimals = _decimals_of(ticks)
        gap = size * 1.2
        panel_width = (frame.width - gap * (count - 1)) / count
        axis = _value_axis_width([format_number(ticks[-1], decimals)], size)
        titles = [_wrap(p.title, size, panel_width - 2, lines=3) for p in panels]
        title_lines = max(len(t) for t in titles)
        plot_height = 78.0 if frame is WIDE else 70.0
        cell_height = title_lines * frame.row + plot_height + frame.row * 1.6
        first, last = (min(years), max(years)) if years else (0.0, 1.0)
        span = (last - first) or 1.0
        for index, panel in enumerate(panels):
            column, row = index % count, index // count
            x0 = column * (panel_width + gap)
            y0 = top + row * cell_height
            for line_number, text in enumerate(titles[index]):
                svg.text(x0, y0 + frame.row * (line_number + 0.5), text, bold=True)
            plot_top = y0 + title_lines * frame.row + size * 0.3
            bottom = plot_top + plot_height
            left, right = x0 + axis, x0 + panel_width - size * 0.5

            def x_of(x: float, left: float = left, right: float = right) -> float:
                return left + size * 0.5 + (x - first) / span * (right - left - size)

            def y_of(y: float, bottom: float = bottom) -> float:
                return bottom - (y - ticks[0]) / ((ticks[-1] - ticks[0]) or 1.0) * plot_height

            for tick in ticks:
                svg.line(left, y_of(tick), right, y_of(tick))
            svg.text(
                left - size * 0.3,
                y_of(ticks[-1]),
                format_number(ticks[-1], decimals),
                anchor="end",
                fill=_MUTED,
            )
            svg.text(
                left - size * 0.3,
                y_of(ticks[0]),
                format_number(ticks[0], decimals),
                anchor="end",
                fill=_MUTED,
            )
            svg.line(left, bottom, right, bottom, stroke=_MUTED)
            _plot_lines(svg, panel.series, x_of, y_of, thin=True)
            if years:
                svg.text(x_of(first), bottom + frame.row * 0.6, str(int(first)), anchor="start", fill=_MUTED)
                if last != first:
                    svg.text(x_of(last), bottom + frame.row * 0.6, str(int(last)), anchor="end", fill=_MUTED)
        rows = math.ceil(len(panels) / count)
        return svg.finish(chart_id, top + rows * cell_height, description, stamp)

    return Chart(wide=draw(WIDE), narrow=draw(NARROW))


# -- horizontal bars and dots ----------------------------------------------------------------------


@attrs.frozen
class _Rows:
    """Labels laid out as rows: each label's lines, its row's top and centre, and the label column."""

    lines: list[list[str]]
    tops: list[float]
    centres: list[float]
    heights: list[float]
    label_width: float
    bottom: float


def _rows(frame: Frame, labels: Sequence[str], top: float, *, bars: int = 1, share: float = 0.42) -> _Rows:
    """Rows for ``labels`` starting at ``top``; the label column takes at most ``share`` of the width."""
    size = frame.font
    limit = frame.width * share
    widest = max((text_width(label, size) for label in labels), default=0.0)
    label_width = min(widest, limit)
    lines = [_wrap(label, size, label_width, lines=4) for label in labels]
    label_width = _SPARE * max(
        [label_width, *(text_width(line, size) for label_lines in lines for line in label_lines)]
    )
    base = max(frame.row * 1.15, size * 0.95 * bars + size * 0.55)
    tops, centres, heights = [], [], []
    y = top
    for label_lines in lines:
        height = max(base, len(label_lines) * frame.row + size * 0.3)
        tops.append(y)
        centres.append(y + height / 2)
        heights.append(height)
        y += height
    return _Rows(lines, tops, centres, heights, label_width + size * 0.6, y)


def _draw_labels(svg: _Svg, rows: _Rows) -> None:
    frame = svg.frame
    for lines, centre in zip(rows.lines, rows.centres, strict=True):
        first = centre - (len(lines) - 1) * frame.row / 2
        for number, text in enumerate(lines):
            svg.text(rows.label_width - frame.font * 0.6, first + number * frame.row, text, anchor="end")


def _value_axis(
    svg: _Svg,
    ticks: Sequence[float],
    x_of: typing.Callable[[float], float],
    top: float,
    bottom: float,
    xlabel: str,
    decimals: int,
    *,
    right_edge: float,
) -> float:
    """Grid lines, tick labels and the axis label under a horizontal chart; returns the new bottom."""
    frame = svg.frame
    size = frame.font
    shown: list[float] = []
    last_end = -math.inf
    for tick in ticks:
        x = x_of(tick)
        text = format_number(tick, decimals)
        half = text_width(text, size) / 2
        svg.line(x, top, x, bottom)
        if x - half > last_end + size * 0.5 and x + half <= right_edge + size:
            svg.text(x, bottom + frame.row * 0.6, text, anchor="middle", fill=_MUTED)
            last_end = x + half
            shown.append(tick)
    if xlabel:
        x = x_of(ticks[0])
        anchor = "start"
        if x + text_width(xlabel, size) * _SPARE > frame.width:
            x, anchor = frame.width, "end"
        svg.text(x, bottom + frame.row * 1.7, xlabel, anchor=anchor, fill=_MUTED)
        return bottom + frame.row * 2.3
    return bottom + frame.row * 1.2


def bar_chart(
    chart_id: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    description: str,
    xlabel: str,
    stamp: str = "",
    reference: tuple[str, float] | None = None,
    symbols: Sequence[str] | None = None,
    highlight: Sequence[bool] | None = None,
    decimals: int | None = None,
) -> Chart:
    """Horizontal bars, one per label, in the order given; a missing value shows its status symbol.

    ``reference`` draws a labelled vertical line (e.g. the national rate); ``highlight`` colours some
    bars differently.
    """
    return grouped_bars(
        chart_id,
        labels,
        {"": values},
        description=description,
        xlabel=xlabel,
        stamp=stamp,
        reference=reference,
        symbols=symbols,
        highlight=highlight,
        decimals=decimals,
    )


def grouped_bars(
    chart_id: str,
    categories: Sequence[str],
    groups: Mapping[str, Sequence[float | None]],
    *,
    description: str,
    xlabel: str,
    stamp: str = "",
    reference: tuple[str, float] | None = None,
    symbols: Sequence[str] | None = None,
    highlight: Sequence[bool] | None = None,
    decimals: int | None = None,
    percent: bool = False,
    blank_missing: bool = False,
) -> Chart:
    """Horizontal bars grouped per category (e.g. two competence shares per county); negative values
    grow to the left of a zero line (e.g. changes in per cent).  A group named ``""`` has no legend.

    A missing value shows its status symbol (``symbols``, default ``..``), or nothing with
    ``blank_missing`` (a category that does not apply to the group, e.g. housing for children)."""
    names = list(groups)

    def draw(frame: Frame) -> str:
        svg = _Svg(frame)
        size = frame.font
        top = 0.0
        if len(names) > 1 or names[0]:
            top = _legend(
                svg, [(n, PALETTE[i % len(PALETTE)], "box") for i, n in enumerate(names)], 0, 0, frame.width
            )
            top += size * 0.4
        if reference is not None:
            top += frame.row
        rows = _rows(frame, categories, top, bars=len(names))
        values = [v for n in names for v in _finite(groups[n])]
        low = min([0.0, *values])
        high = max([0.0, *values, reference[1] if reference else 0.0])
        ticks = _ticks(low, high, 5 if frame is WIDE else 3)
        places = decimals if decimals is not None else _decimals_of(ticks)
        value_room = (
            max((text_width(_value_text(v, places, percent), size) for v in values), default=size)
            + size * 0.8
        )
        left = rows.label_width
        right = frame.width - value_room
        lowest, highest = ticks[0], ticks[-1]

        def x_of(value: float) -> float:
            return left + (value - lowest) / ((highest - lowest) or 1.0) * (right - left)

        bottom = rows.bottom
        end = _value_axis(svg, ticks, x_of, top, bottom, xlabel, _decimals_of(ticks), right_edge=right)
        zero = x_of(0.0)
        svg.line(zero, top, zero, bottom, stroke=_MUTED)
        _draw_labels(svg, rows)
        band = min(size * 0.95, (min(rows.heights) - size * 0.4) / len(names))
        for index, centre in enumerate(rows.centres):
            first = centre - band * len(names) / 2
            for g, name in enumerate(names):
                value = groups[name][index]
                y = first + g * band
                colour = PALETTE[g % len(PALETTE)]
                if highlight is not None and highlight[index]:
                    colour = PALETTE[1]
                if value is None or not math.isfinite(value):
                    if blank_missing:
                        continue
                    symbol = (symbols[index] if symbols else "") or ".."
                    svg.text(zero + size * 0.3, y + band / 2, symbol, fill=_MUTED)
                    continue
                x = x_of(value)
                svg.rect(min(x, zero), y + band * 0.08, abs(x - zero), band * 0.84, fill=colour)
                text = _value_text(value, places, percent)
                if value >= 0:
                    svg.text(x + size * 0.3, y + band / 2, text)
                else:
                    svg.text(zero + size * 0.3, y + band / 2, text)
        if reference is not None:
            label, level = reference
            x = x_of(level)
            svg.line(x, top - frame.row * 0.3, x, bottom, stroke=_INK, width=1.2, dash="5 3")
            text = f"{label}: {format_number(level, places)}"
            where, anchor = _placed(x, text, size, frame.width, size * 0.3)
            svg.text(where, top - frame.row * 0.55, text, anchor=anchor)
        return svg.finish(chart_id, end, description, stamp)

    return Chart(wide=draw(WIDE), narrow=draw(NARROW))


def _value_text(value: float, decimals: int, percent: bool) -> str:
    text = format_number(value, decimals)
    return f"{text}\u00a0%" if percent else text


def stacked_bars(
    chart_id: str,
    categories: Sequence[str],
    stacks: Mapping[str, Sequence[float | None]],
    *,
    description: str,
    xlabel: str,
    stamp: str = "",
    decimals: int = 0,
) -> Chart:
    """Horizontal stacked bars (e.g. admissions per 10,000 by unit type per county) with the total at the
    end; ``*`` after the total marks a missing part."""
    names = list(stacks)

    def draw(frame: Frame) -> str:
        svg = _Svg(frame)
        size = frame.font
        top = _legend(
            svg, [(n, PALETTE[i % len(PALETTE)], "box") for i, n in enumerate(names)], 0, 0, frame.width
        )
        top += size * 0.4
        rows = _rows(frame, categories, top)
        totals = [sum(v or 0.0 for v in (stacks[n][i] for n in names)) for i in range(len(categories))]
        gaps = [any(stacks[n][i] is None for n in names) for i in range(len(categories))]
        ticks = _ticks(0.0, max(totals, default=1.0), 5 if frame is WIDE else 3)
        value_room = max((text_width(format_number(t, decimals) + " *", size) for t in totals), default=size)
        left, right = rows.label_width, frame.width - value_room - size * 0.8

        def x_of(value: float) -> float:
            return left + value / (ticks[-1] or 1.0) * (right - left)

        end = _value_axis(svg, ticks, x_of, top, rows.bottom, xlabel, _decimals_of(ticks), right_edge=right)
        _draw_labels(svg, rows)
        band = min(size * 1.1, min(rows.heights) - size * 0.4)
        for index, centre in enumerate(rows.centres):
            start = 0.0
            for g, name in enumerate(names):
                value = stacks[name][index] or 0.0
                svg.rect(
                    x_of(start),
                    centre - band / 2,
                    x_of(start + value) - x_of(start),
                    band,
                    fill=PALETTE[g % len(PALETTE)],
                )
                start += value
            svg.text(
                x_of(start) + size * 0.3,
                centre,
                format_number(totals[index], decimals) + (" *" if gaps[index] else ""),
            )
        return svg.finish(chart_id, end, description, stamp)

    return Chart(wide=draw(WIDE), narrow=draw(NARROW))


def dot_plot(
    chart_id: str,
    labels: Sequence[str],
    groups: Mapping[str, Sequence[float | None]],
    *,
    description: str,
    xlabel: str,
    stamp: str = "",
    references: Sequence[tuple[str, float, int]] = (),
    decimals: int | None = None,
) -> Chart:
    """Cleveland dot plot: one row per area (in the order given), a dot per group on a common scale.

    ``references`` are vertical dashed lines ``(label, value, group index)`` in the group's colour,
    e.g. the national figure for adults and for children.  Dots of a row are joined by a grey line so
    the gap between the groups reads at a glance.
    """
    names = list(groups)

    def draw(frame: Frame) -> str:
        svg = _Svg(frame)
        size = frame.font
        top = _legend(
            svg, [(n, PALETTE[i % len(PALETTE)], "dot") for i, n in enumerate(names)], 0, 0, frame.width
        )
        top += size * 0.4 + frame.row * len(references)
        rows = _rows(frame, labels, top)
        values = [v for n in names for v in _finite(groups[n])] + [v for _l, v, _g in references]
        ticks = _ticks(0.0, max(values, default=1.0) * 1.04, 5 if frame is WIDE else 3)
        places = decimals if decimals is not None else _decimals_of(ticks)
        left, right = rows.label_width, frame.width - size

        def x_of(value: float) -> float:
            return left + size * 0.5 + value / (ticks[-1] or 1.0) * (right - left - size * 0.5)

        end = _value_axis(svg, ticks, x_of, top, rows.bottom, xlabel, _decimals_of(ticks), right_edge=right)
        _draw_labels(svg, rows)
        for number, (label, value, group) in enumerate(references):
            x = x_of(value)
            colour = PALETTE[group % len(PALETTE)]
            svg.line(x, top - frame.row * 0.2, x, rows.bottom, stroke=colour, width=1.2, dash="5 3")
            text = f"{label}: {format_number(value, places)}"
            y = top - frame.row * (len(references) - number) + frame.row * 0.1
            where, anchor = _placed(x, text, size, frame.width, size * 0.3)
            svg.text(where, y, text, anchor=anchor, fill=colour)
        for index, centre in enumerate(rows.centres):
            present = [
                (g, v)
                for g, n in enumerate(names)
                if (v := groups[n][index]) is not None and math.isfinite(v)
            ]
            if not present:
                svg.text(x_of(0.0), centre, "..", fill=_MUTED)
                continue
            xs = [x_of(v) for _g, v in present]
            if len(xs) > 1:
                svg.line(min(xs), centre, max(xs), centre, stroke="#bbbbbb", width=2.0)
            for g, value in present:
                svg.circle(x_of(value), centre, size * 0.38, fill=PALETTE[g % len(PALETTE)], stroke="#ffffff")
        return svg.finish(chart_id, end, description, stamp)

    return Chart(wide=draw(WIDE), narrow=draw(NARROW))


# -- variation: ranked dots and funnel plots -------------------------------------------------------

#: Colours of areas below, within and above the control limits.
_BELOW, _WITHIN, _ABOVE = PALETTE[0], "#9a9a9a", PALETTE[5]


def _class_colour(flag: int) -> str:
    return _BELOW if flag < 0 else (_ABOVE if flag > 0 else _WITHIN)


def _class_legend(labels: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    return [(labels[0], _BELOW, "dot"), (labels[1], _WITHIN, "dot"), (labels[2], _ABOVE, "dot")]


def ranked_dots(
    chart_id: str,
    values: Sequence[float],
    flags: Sequence[int],
    *,
    description: str,
    ylabel: str,
    xlabel: str,
    reference: tuple[str, float],
    classes: tuple[str, str, str],
    stamp: str = "",
) -> Chart:
    """Areas ranked by their rate, one dot each (a caterpillar plot), coloured by their place against the
    control limits of the funnel plot (``flags``: −1 below, 0 within, +1 above), with the national rate
    as a dashed line."""
    order = sorted(range(len(values)), key=lambda i: values[i])

    def draw(frame: Frame) -> str:
        svg = _Svg(frame)
        size = frame.font
        top = _legend(svg, _class_legend(classes), 0, 0, frame.width)
        svg.text(0, top + frame.row / 2, ylabel, fill=_MUTED)
        top += frame.row * 1.2
        ticks = _ticks(0.0, max([*values, reference[1]], default=1.0) * 1.04, 5)
        labels = [format_number(t, _decimals_of(ticks)) for t in ticks]
        left = _value_axis_width(labels, size)
        right = frame.width - size * 0.5
        plot_height = 220.0 if frame is WIDE else 200.0
        bottom = top + plot_height

        def y_of(value: float) -> float:
            return bottom - value / (ticks[-1] or 1.0) * plot_height

        count = max(len(order), 1)
        for tick, text in zip(ticks, labels, strict=True):
            svg.line(left, y_of(tick), right, y_of(tick))
            svg.text(left - size * 0.4, y_of(tick), text, anchor="end", fill=_MUTED)
        svg.line(left, bottom, right, bottom, stroke=_MUTED)
        step = (right - left - size) / count
        radius = max(1.3, min(3.0, step * 0.55))
        for rank, index in enumerate(order):
            svg.circle(
                left + size * 0.5 + (rank + 0.5) * step,
                y_of(values[index]),
                radius,
                fill=_class_colour(flags[index]),
            )
        label, level = reference
        svg.line(left, y_of(level), right, y_of(level), stroke=_INK, width=1.2, dash="5 3")
        svg.text(left + size * 0.5, y_of(level) - frame.row * 0.5, f"{label}: {format_number(level, 1)}")
        svg.text(left, bottom + frame.row * 0.7, "1", fill=_MUTED)
        svg.text(right, bottom + frame.row * 0.7, str(len(order)), anchor="end", fill=_MUTED)
        svg.text((left + right) / 2, bottom + frame.row * 0.7, xlabel, anchor="middle", fill=_MUTED)
        return svg.finish(chart_id, bottom + frame.row * 1.4, description, stamp)

    return Chart(wide=draw(WIDE), narrow=draw(NARROW))


def funnel_plot(
    chart_id: str,
    sizes: Sequence[float],
    values: Sequence[float],
    flags: Sequence[int],
    *,
    limits: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    reference: tuple[str, float],
    description: str,
    xlabel: str,
    ylabel: str,
    classes: tuple[str, str, str],
    stamp: str = "",
) -> Chart:
    """Rates against population on a logarithmic axis, with control limits around the national rate.

    ``limits`` maps a label (``"95 %"``) to the curve ``(population, lower, upper)``; the first is drawn
    dashed, the others solid.  ``flags`` colours each area by where it falls (−1, 0, +1).
    """

    def draw(frame: Frame) -> str:
        svg = _Svg(frame)
        size = frame.font
        names = list(limits)
        items = [*_class_legend(classes)]
        items += [(limit, _INK, "dash" if number == 0 else "line") for number, limit in enumerate(names)]
        top = _legend(svg, items, 0, 0, frame.width)
        svg.text(0, top + frame.row / 2, ylabel, fill=_MUTED)
        top += frame.row * 1.2
        upper_values = [u for _p, _l, upper in limits.values() for u in upper]
        high = max([*values, reference[1] * 1.5], default=1.0)
        high = min(max(high, max(values, default=0.0)), max([*values, *upper_values], default=high))
        ticks = _ticks(0.0, high * 1.04, 5)
        labels = [format_number(t, _decimals_of(ticks)) for t in ticks]
        left = _value_axis_width(labels, size)
        right = frame.width - size * 0.8
        plot_height = 240.0 if frame is WIDE else 220.0
        bottom = top + plot_height
        smallest = min([*sizes, *(p for pop, _l, _u in limits.values() for p in pop)], default=100.0)
        largest = max([*sizes, *(p for pop, _l, _u in limits.values() for p in pop)], default=1e6)
        low_power = math.floor(math.log10(max(smallest, 1.0)))
        high_power = math.ceil(math.log10(max(largest, 10.0)))

        def x_of(population: float) -> float:
            position = (math.log10(max(population, 1.0)) - low_power) / ((high_power - low_power) or 1)
            return left + size * 0.5 + position * (right - left - size)

        def y_of(value: float) -> float:
            return bottom - min(value, ticks[-1]) / (ticks[-1] or 1.0) * plot_height

        for tick, text in zip(ticks, labels, strict=True):
            svg.line(left, y_of(tick), right, y_of(tick))
            svg.text(left - size * 0.4, y_of(tick), text, anchor="end", fill=_MUTED)
        for power in range(low_power, high_power + 1):
            x = x_of(10.0**power)
            text = _population_label(10**power)
            half = text_width(text, size) / 2
            anchor = "end" if x + half > frame.width else ("start" if x - half < 0 else "middle")
            svg.line(x, top, x, bottom)
            svg.text(x, bottom + frame.row * 0.7, text, anchor=anchor, fill=_MUTED)
        svg.line(left, bottom, right, bottom, stroke=_MUTED)
        label, level = reference
        for number, (population, lower, upper) in enumerate(limits.values()):
            dash = "5 3" if number == 0 else ""
            svg.path(
                [(x_of(p), y_of(v)) for p, v in zip(population, lower, strict=True)],
                stroke=_INK,
                width=1.1,
                dash=dash,
            )
            svg.path(
                [(x_of(p), y_of(v)) for p, v in zip(population, upper, strict=True)],
                stroke=_INK,
                width=1.1,
                dash=dash,
            )
        svg.line(x_of(10.0**low_power), y_of(level), right, y_of(level), stroke=PALETTE[2], width=1.4)
        order = sorted(range(len(values)), key=lambda i: abs(flags[i]))  # outliers drawn last, on top
        for index in order:
            svg.circle(
                x_of(sizes[index]),
                y_of(values[index]),
                2.6 if frame is WIDE else 2.2,
                fill=_class_colour(flags[index]),
                stroke="#ffffff",
            )
        svg.text(
            right,
            y_of(level) - frame.row * 0.5,
            f"{label}: {format_number(level, 1)}",
            anchor="end",
            fill=PALETTE[2],
        )
        svg.text((left + right) / 2, bottom + frame.row * 1.7, xlabel, anchor="middle", fill=_MUTED)
        return svg.finish(chart_id, bottom + frame.row * 2.3, description, stamp)

    return Chart(wide=draw(WIDE), narrow=draw(NARROW))


def _population_label(value: int) -> str:
    if value >= 1_000_000:
        return msg("unit.million", number=format_number(value / 1_000_000, 0))
    return format_number(float(value), 0)
