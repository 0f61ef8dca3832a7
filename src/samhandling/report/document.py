"""The report as a document: sections made of headline figures, charts, tables and notes.

:mod:`samhandling.report.sections` computes the numbers and fills these objects; the HTML template only
lays them out.  Keeping the two apart means the same document could be written as another format
later, and that tests can check the content without parsing HTML.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable

import attrs

from samhandling.report.charts import Chart

__all__ = [
    "Block",
    "Cell",
    "Column",
    "Figure",
    "Headline",
    "Note",
    "ReportDocument",
    "Section",
    "SourceEntry",
    "Table",
]


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _columns(value: Iterable[Column]) -> tuple[Column, ...]:
    return tuple(value)


def _rows(value: Iterable[Iterable[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in value)


def _headlines(value: Iterable[Headline]) -> tuple[Headline, ...]:
    return tuple(value)


def _blocks(value: Iterable[Figure | Table | Note]) -> tuple[Figure | Table | Note, ...]:
    return tuple(value)


def _sections(value: Iterable[Section]) -> tuple[Section, ...]:
    return tuple(value)


def _sources(value: Iterable[SourceEntry]) -> tuple[SourceEntry, ...]:
    return tuple(value)


def _pairs(value: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class Headline:
    """One key figure at the top of the report, e.g. FTEs per 10,000 adults and its change."""

    label: str
    value: str
    unit: str = ""
    change: str = ""
    detail: str = ""


@typing.final
@attrs.frozen(kw_only=True)
class Figure:
    """A chart: its SVG markup for wide screens and print (``svg``) and for phones (``svg_narrow``), a
    caption and the data file(s) behind it."""

    id: str
    title: str
    svg: str
    svg_narrow: str = ""
    caption: str = ""
    data_files: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    @classmethod
    def of(cls, chart: Chart, **fields: typing.Any) -> Figure:
        """A figure showing ``chart`` (both of its drawings)."""
        return cls(svg=chart.wide, svg_narrow=chart.narrow, **fields)


@typing.final
@attrs.frozen(kw_only=True)
class Column:
    """A table column: its heading, whether it holds numbers (right-aligned) and how it is sorted.

    ``sorted`` ("asc"/"desc") says the rows are already in this column's order; only a ``sortable``
    table shows it, with the sort buttons its script adds.
    """

    label: str
    numeric: bool = False
    sorted: str = ""  # "asc" or "desc" when the rows are sorted by this column
    note: str = ""


@typing.final
@attrs.frozen(kw_only=True)
class Cell:
    """A formatted table cell; ``symbol`` is true when it shows a status symbol instead of a number.

    ``sort`` is the value a sortable table orders the cell by (the number itself, as text a script
    reads); empty for text cells, which sort by their text.
    """

    text: str
    symbol: bool = False
    emphasis: bool = False
    sort: str = ""


@typing.final
@attrs.frozen(kw_only=True)
class Table:
    """A table with formatted cells (numbers already in Norwegian style).

    ``sortable`` tables get sort buttons in their headings and ``searchable`` ones a search field, both
    added by the page's small script; without scripts the table reads the same, in its given order.
    """

    id: str
    title: str
    columns: tuple[Column, ...] = attrs.field(converter=_columns)
    rows: tuple[tuple[Cell, ...], ...] = attrs.field(converter=_rows)
    caption: str = ""
    data_files: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    compact: bool = False
    footer: tuple[Cell, ...] | None = None
    sortable: bool = False
    searchable: bool = False

    def __attrs_post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.id!r}: row {number} has {len(row)} cells, expected {len(self.columns)}"
                )


@typing.final
@attrs.frozen(kw_only=True)
class Note:
    """A paragraph of explanation; ``kind`` "warning" is shown in a box (e.g. missing input)."""

    text: str
    kind: str = "info"


Block = Headline | Figure | Table | Note


@typing.final
@attrs.frozen(kw_only=True)
class Section:
    """One numbered section of the report, with an id used for its anchor and its data file."""

    id: str
    title: str
    intro: str = ""
    headlines: tuple[Headline, ...] = attrs.field(default=(), converter=_headlines)
    blocks: tuple[Figure | Table | Note, ...] = attrs.field(default=(), converter=_blocks)
    appendix: bool = False

    @property
    def figures(self) -> tuple[Figure, ...]:
        """The charts of the section, in order."""
        return tuple(b for b in self.blocks if isinstance(b, Figure))

    @property
    def tables(self) -> tuple[Table, ...]:
        """The tables of the section, in order."""
        return tuple(b for b in self.blocks if isinstance(b, Table))


@typing.final
@attrs.frozen(kw_only=True)
class SourceEntry:
    """One input in the sources section: what it is, where it came from and its checksum."""

    role: str
    source: str
    location: str
    checksum: str = ""
    retrieved: str = ""
    note: str = ""
    rows: int | None = None
    years: str = ""


@typing.final
@attrs.frozen(kw_only=True)
class ReportDocument:
    """Everything the HTML template needs.

    ``protection`` says how counts of people were protected (or that they were not: ``protected`` is
    false for a report built for internal use, and the page then says so at the top).
    """

    title: str
    subtitle: str
    year: int
    geography_year: int
    demo: bool
    demo_note: str = ""
    sections: tuple[Section, ...] = attrs.field(converter=_sections)
    sources: tuple[SourceEntry, ...] = attrs.field(default=(), converter=_sources)
    generated_by: str = ""
    symbol_notes: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    protection: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    protected: bool = True

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every chart of the report, in order (each must render in the browser)."""
        return tuple(f for s in self.sections for f in s.figures)
