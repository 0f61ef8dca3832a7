"""Static SVG charts for the report, drawn with matplotlib and embedded inline in the HTML.

Why static SVG: the report must open offline, print sharply and need no JavaScript, so every chart is
vector markup inside the HTML file.  The output is deterministic (the same data gives the same bytes):
the Agg backend, ``svg.hashsalt`` set per chart, no date or creator in the metadata, text kept as text
(``svg.fonttype = "none"``) so the browser's own sans-serif font is used and the file stays small.

Each function takes plain numbers (a missing value is ``None``: lines break there and bars show the
status symbol instead of a bar, never a zero) and returns the ``<svg>`` markup.  Element ids are
prefixed with the chart id so that several charts can live in one HTML document.
"""

from __future__ import annotations

import functools
import io
import math
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from samhandling.report.formatting import format_number

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "Panel",
    "Series",
    "bar_chart",
    "grouped_bars",
    "line_chart",
    "small_multiples",
    "stacked_bars",
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
)
_REFERENCE_COLOUR = "#8c8c8c"
_TEXT_COLOUR = "#222222"
_WIDTH = 7.6  # inches; the SVG scales to the column width, this sets the text-to-chart proportion


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


# -- matplotlib set-up and SVG clean-up -----------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": _TEXT_COLOUR,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "figure.dpi": 72,
}


def _figure(chart_id: str, width: float, height: float, **subplots: Any) -> tuple[Figure, Any]:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(width, height), **subplots)
    return figure, axes


F = typing.TypeVar("F", bound=typing.Callable[..., str])


def _styled(function: F) -> F:
    """Run a chart function under the report's matplotlib style (legends and labels made later too)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        plt = _pyplot()
        with plt.rc_context(_STYLE):
            return function(*args, **kwargs)

    return typing.cast(F, wrapper)


_ID_ATTRIBUTE = re.compile(r'\sid="([^"]+)"')
_REFERENCE = re.compile(r'(?:xlink:href|href)="#([^"]+)"|url\(#([^)]+)\)')


def _to_svg(figure: Figure, chart_id: str, *, description: str, tight: bool = True) -> str:
    """The figure as inline ``<svg>`` markup: no XML prologue or metadata, ids prefixed, scalable.

    ``tight=False`` keeps the figure's own margins (set by the caller), which saves drawing it twice.
    """
    plt = _pyplot()
    buffer = io.StringIO()
    with plt.rc_context({**_STYLE, "svg.hashsalt": chart_id}):
        figure.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
            bbox_inches="tight" if tight else None,
            pad_inches=0.05,
        )
    plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    # The global "*{stroke-linejoin…}" rule would leak into the page; the report's CSS scopes it.
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>", "", svg, count=1)
    referenced = {a or b for a, b in _REFERENCE.findall(svg)}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        return f' id="{chart_id}-{name}"' if name in referenced else ""

    svg = _ID_ATTRIBUTE.sub(rename, svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'href="#{chart_id}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{chart_id}-\1)", svg)
    opening = re.match(r"<svg[^>]*>", svg)
    assert opening is not None
    view_box = re.search(r'viewBox="([^"]+)"', opening.group(0))
    title = _escape(description)
    new_opening = (
        f'<svg class="chart" id="{chart_id}" viewBox="{view_box.group(1) if view_box else ""}" '
        f'role="img" aria-labelledby="{chart_id}-title"><title id="{chart_id}-title">{title}</title>'
    )
    svg = new_opening + svg[opening.end() :]
    # Trailing spaces on the path lines are noise; keeping lines keeps diffs of two reports readable.
    return re.sub(r"[ \t]+\n", "\n", svg).strip()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _number_axis(axis: Any, decimals: int = 0) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _pos: format_number(value, decimals)))


def _year_axis(ax: Axes, years: Sequence[float]) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter

    ticks = sorted({int(y) for y in years})
    if len(ticks) > 8:
        step = math.ceil(len(ticks) / 8)
        ticks = ticks[::-1][::step][::-1]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{round(value)}"))
    ax.grid(axis="x", visible=False)
    if ticks:
        ax.set_xlim(min(years) - 0.3, max(years) + 0.3)


def _nan(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _decimals_for(values: Sequence[float]) -> int:
    top = max((abs(v) for v in values), default=0.0)
    return 0 if top >= 20 else 1


# -- line charts ----------------------------------------------------------------------------------


def _draw_series(ax: Axes, series: Sequence[Series], *, colours: Sequence[str] = PALETTE) -> None:
    for index, line in enumerate(series):
        colour = _REFERENCE_COLOUR if line.dashed else colours[index % len(colours)]
        ax.plot(
            list(line.x),
            _nan(line.y),
            color=colour,
            linestyle="--" if line.dashed else "-",
            linewidth=1.2 if line.dashed else 1.8,
            marker=None if line.dashed else "o",
            markersize=3.2,
            label=line.label,
        )


@_styled
def line_chart(
    chart_id: str,
    series: Sequence[Series],
    *,
    description: str,
    ylabel: str,
    height: float = 3.0,
    start_at_zero: bool = True,
) -> str:
    """Lines over years (e.g. FTEs per 10,000 adults and per 10,000 children, nationally)."""
    figure, ax = _figure(chart_id, _WIDTH, height)
    _draw_series(ax, series)
    values = [v for line in series for v in _finite(line.y)]
    years = [x for line in series for x in line.x]
    _year_axis(ax, years or [0.0])
    _number_axis(ax.yaxis, _decimals_for(values))
    if start_at_zero:
        ax.set_ylim(bottom=0, top=max(values, default=1.0) * 1.12 or 1.0)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", ncols=min(len(series), 4), bbox_to_anchor=(0, 1.0))
    return _to_svg(figure, chart_id, description=description)


@_styled
def small_multiples(
    chart_id: str,
    panels: Sequence[Panel],
    *,
    description: str,
    ylabel: str,
    columns: int = 5,
    panel_height: float = 1.55,
) -> str:
    """One small panel per area (county, health trust) with the same axes, so levels compare at a glance.

    Series with ``dashed=True`` are drawn as grey reference lines (e.g. the national figure).
    """
    if not panels:
        raise ValueError("small_multiples needs at least one panel")
    rows = math.ceil(len(panels) / columns)
    figure, grid = _figure(
        chart_id,
        _WIDTH,
        panel_height * rows + 0.5,
        nrows=rows,
        ncols=columns,
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    values = [v for panel in panels for line in panel.series for v in _finite(line.y)]
    years = [x for panel in panels for line in panel.series for x in line.x]
    top = max(values, default=1.0) * 1.1 or 1.0
    for index, ax in enumerate(grid.flat):
        if index >= len(panels):
            ax.set_visible(False)
            continue
        panel = panels[index]
        _draw_series(ax, panel.series)
        for line in ax.get_lines():
            line.set_markersize(2.2)
            line.set_linewidth(1.3 if line.get_linestyle() == "-" else 1.0)
        ax.set_title(
            _shorten(panel.title.split(" - ")[0], 20), fontsize=7.5, fontweight="bold", loc="left", pad=3
        )
        ax.set_ylim(0, top)
        _year_axis(ax, years or [0.0])
        _number_axis(ax.yaxis, _decimals_for(values))
        ax.tick_params(labelsize=7)
        if len(years) > 1:
            first, last = int(min(years)), int(max(years))
            ax.set_xticks([first, last])
        if index + columns >= len(panels):  # nothing below this panel: show its year labels
            ax.xaxis.set_tick_params(labelbottom=True)
    handles, labels = grid.flat[0].get_legend_handles_labels()
    height = panel_height * rows + 0.5
    # Fixed margins instead of tight_layout: the same look, without laying the figure out twice.
    figure.subplots_adjust(
        left=0.09, right=0.99, bottom=0.35 / height, top=1.0 - 0.45 / height, hspace=0.42, wspace=0.14
    )
    figure.legend(handles, labels, loc="upper left", ncols=len(labels), bbox_to_anchor=(0.0, 1.0))
    figure.supylabel(ylabel, fontsize=8.5, x=0.01)
    return _to_svg(figure, chart_id, description=description, tight=False)


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# -- bar charts -----------------------------------------------------------------------------------


def _bar_height(count: int) -> float:
    return max(1.6, 0.24 * count + 0.7)


def _missing_marks(
    ax: Axes, positions: Sequence[float], values: Sequence[float | None], symbols: Sequence[str]
) -> None:
    for position, value, symbol in zip(positions, values, symbols, strict=False):
        if value is None:
            ax.text(0, position, f" {symbol or '..'}", va="center", ha="left", fontsize=8, color="#555555")


@_styled
def bar_chart(
    chart_id: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    description: str,
    xlabel: str,
    reference: tuple[str, float] | None = None,
    symbols: Sequence[str] | None = None,
    highlight: Sequence[bool] | None = None,
    decimals: int | None = None,
) -> str:
    """Horizontal bars, one per label, in the order given; a missing value shows its status symbol.

    ``reference`` draws a labelled vertical line (e.g. the national rate); ``highlight`` colours some
    bars differently (e.g. the areas above the reference).
    """
    count = len(labels)
    figure, ax = _figure(chart_id, _WIDTH, _bar_height(count))
    positions = list(range(count))[::-1]
    colours = [PALETTE[1] if highlight and highlight[i] else PALETTE[0] for i in range(count)]
    ax.barh(positions, [0.0 if v is None else v for v in values], color=colours, height=0.7)
    ax.set_yticks(positions, [_shorten(label, 34) for label in labels])
    ax.grid(axis="y", visible=False)
    finite = _finite(values)
    places = _decimals_for(finite) if decimals is None else decimals
    for position, value in zip(positions, values, strict=True):
        if value is not None:
            ax.text(value, position, f" {format_number(value, places)}", va="center", ha="left", fontsize=7.5)
    _missing_marks(ax, positions, values, symbols or [""] * count)
    if reference is not None:
        label, level = reference
        ax.axvline(level, color=_TEXT_COLOUR, linestyle="--", linewidth=1.0)
        ax.text(level, count - 0.35, f" {label}: {format_number(level, places)}", fontsize=7.5, va="bottom")
    top = max([*finite, reference[1] if reference else 0.0], default=1.0)
    ax.set_xlim(0, top * 1.18 or 1.0)
    ax.set_ylim(-0.6, count - 0.4 + (0.6 if reference else 0))
    _number_axis(ax.xaxis, places)
    ax.set_xlabel(xlabel)
    return _to_svg(figure, chart_id, description=description)


@_styled
def grouped_bars(
    chart_id: str,
    categories: Sequence[str],
    groups: Mapping[str, Sequence[float | None]],
    *,
    description: str,
    xlabel: str,
    decimals: int = 0,
) -> str:
    """Horizontal bars grouped per category (e.g. two competence shares per county)."""
    count, width = len(categories), 0.8 / max(len(groups), 1)
    figure, ax = _figure(chart_id, _WIDTH, _bar_height(count) * (1 + 0.25 * (len(groups) - 1)))
    base = [float(p) for p in range(count)][::-1]
    for index, (label, values) in enumerate(groups.items()):
        positions = [b + 0.4 - width * (index + 0.5) for b in base]
        ax.barh(
            positions,
            [0.0 if v is None else v for v in values],
            height=width * 0.92,
            color=PALETTE[index],
            label=label,
        )
        for position, value in zip(positions, values, strict=True):
            if value is not None:
                ax.text(value, position, f" {format_number(value, decimals)}", va="center", fontsize=6.5)
        _missing_marks(ax, positions, values, [""] * count)
    ax.set_yticks(base, [_shorten(c, 34) for c in categories])
    ax.grid(axis="y", visible=False)
    finite = [v for values in groups.values() for v in _finite(values)]
    ax.set_xlim(0, max(finite, default=1.0) * 1.15 or 1.0)
    _number_axis(ax.xaxis, decimals)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower left", ncols=len(groups), bbox_to_anchor=(0, 1.0))
    return _to_svg(figure, chart_id, description=description)


@_styled
def stacked_bars(
    chart_id: str,
    categories: Sequence[str],
    stacks: Mapping[str, Sequence[float | None]],
    *,
    description: str,
    xlabel: str,
    decimals: int = 0,
) -> str:
    """Horizontal stacked bars (e.g. admissions per 10,000 by unit type, per county) with the total."""
    count = len(categories)
    figure, ax = _figure(chart_id, _WIDTH, _bar_height(count) + 0.3)
    positions = list(range(count))[::-1]
    left = [0.0] * count
    missing = [False] * count
    for index, (label, values) in enumerate(stacks.items()):
        widths = [0.0 if v is None else v for v in values]
        ax.barh(positions, widths, left=left, height=0.7, color=PALETTE[index % len(PALETTE)], label=label)
        left = [a + b for a, b in zip(left, widths, strict=True)]
        missing = [m or v is None for m, v in zip(missing, values, strict=True)]
    for position, total, gap in zip(positions, left, missing, strict=True):
        ax.text(
            total,
            position,
            f" {format_number(total, decimals)}{' *' if gap else ''}",
            va="center",
            fontsize=7.5,
        )
    ax.set_yticks(positions, [_shorten(c, 34) for c in categories])
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(left, default=1.0) * 1.15 or 1.0)
    _number_axis(ax.xaxis, decimals)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower left", ncols=min(len(stacks), 5), bbox_to_anchor=(0, 1.0))
    return _to_svg(figure, chart_id, description=description)
