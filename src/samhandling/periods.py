"""Statistics periods: the year, and the parts of a year SSB publishes (months, quarters, ISO weeks), and
school years.

A StatTable holds a period in integer columns (see ``docs/concepts/stattable.md``): ``year`` (int16)
always, and at most one *sub-year* column beside it — ``month`` (1–12), ``quarter`` (1–4) or ``week``
(1–53, an ISO week; ``year`` is then the ISO week-year).  A school year (``2022-2023``) is one number too:
its first calendar year in ``year``, with the table's metadata saying ``period="school_year"``.  Nothing
is lost: every SSB period code reads back from these columns (:func:`period_labels`).

:func:`parse_period` reads one of SSB's period codes (``2024``, ``2024M03``, ``2024K1``, ``2014U30``,
``2022-2023``); readers call it once per distinct code, never per row.
"""

from __future__ import annotations

import enum
import re
import typing

import attrs
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "SUB_YEAR_COLUMNS",
    "TIME_COLUMNS",
    "Period",
    "PeriodKind",
    "UnreadablePeriod",
    "parse_period",
    "period_labels",
]


class PeriodKind(enum.StrEnum):
    """What one period of a table is."""

    YEAR = "year"
    MONTH = "month"
    QUARTER = "quarter"
    WEEK = "week"
    SCHOOL_YEAR = "school_year"


#: Sub-year columns and the values they may hold (a table has at most one of them).
SUB_YEAR_COLUMNS: dict[str, tuple[int, int]] = {"month": (1, 12), "quarter": (1, 4), "week": (1, 53)}
"""Sub-year columns and the values they may hold (a table has at most one of them)."""

#: Every column that says when: ``year`` and the sub-year columns.
TIME_COLUMNS: tuple[str, ...] = ("year", *SUB_YEAR_COLUMNS)
"""Every column that says when: ``year`` and the sub-year columns."""

#: SSB's letter for each sub-year column (``2024M03``, ``2024K1``, ``2014U30``).
_LETTER = {"month": "M", "quarter": "K", "week": "U"}
_DIGITS = {"month": 2, "quarter": 1, "week": 2}


@typing.final
@attrs.frozen(kw_only=True)
class Period:
    """One period: the year, the kind, and for a sub-year period its number within the year."""

    year: int
    kind: PeriodKind = PeriodKind.YEAR
    part: int | None = None

    @property
    def column(self) -> str | None:
        """The sub-year column that holds :attr:`part` (``None`` for years and school years)."""
        return self.kind.value if self.kind.value in SUB_YEAR_COLUMNS else None

    @property
    def label(self) -> str:
        """The period as SSB writes it: ``2024``, ``2024M03``, ``2024K1``, ``2014U30``, ``2022-2023``."""
        if self.kind is PeriodKind.SCHOOL_YEAR:
            return f"{self.year}-{self.year + 1}"
        column = self.column
        if column is None or self.part is None:
            return str(self.year)
        return f"{self.year}{_LETTER[column]}{self.part:0{_DIGITS[column]}d}"


class UnreadablePeriod(ValueError):
    """A time code that is not one of the periods a StatTable holds (readers add file and column)."""


_YEAR = re.compile(r"^(\d{4})$")
_SUB_YEAR = re.compile(r"^(\d{4})\s*([MKQUW])\s*(\d{1,2})$", re.IGNORECASE)
_SPAN = re.compile(r"^(\d{4})\s*[-/–]\s*(\d{2}|\d{4})$")
_OTHER_PARTS = {"H": "half-year", "T": "four-month period (tertial)", "B": "two-month period"}
_OTHER = re.compile(r"^(\d{4})\s*([HTB])\s*(\d{1,2})$", re.IGNORECASE)
_KIND_OF_LETTER = {"M": "month", "K": "quarter", "Q": "quarter", "U": "week", "W": "week"}


def parse_period(text: str) -> Period:
    """One of SSB's period codes as a :class:`Period`.

    ``2024`` (year), ``2024M03`` (month), ``2024K1`` or ``2024Q1`` (quarter), ``2014U30`` or
    ``2014W30`` (ISO week), ``2022-2023`` or ``2022/2023`` (school year: two consecutive years).

    :raises UnreadablePeriod: any other text, with what it looks like (a half-year, a span of several
        years …) and what is supported.
    """
    value = " ".join(text.split())
    if match := _YEAR.match(value):
        return Period(year=int(match[1]))
    if match := _SUB_YEAR.match(value):
        column = _KIND_OF_LETTER[match[2].upper()]
        part = int(match[3])
        low, high = SUB_YEAR_COLUMNS[column]
        if not low <= part <= high:
            raise UnreadablePeriod(f"{text!r} names {column} {part}; a {column} is numbered {low}–{high}")
        return Period(year=int(match[1]), kind=PeriodKind(column), part=part)
    if match := _SPAN.match(value):
        first, last = int(match[1]), match[2]
        end = int(last) if len(last) == 4 else (first // 100) * 100 + int(last)
        if len(last) == 2 and end < first:
            end += 100
        if end == first + 1:
            return Period(year=first, kind=PeriodKind.SCHOOL_YEAR)
        raise UnreadablePeriod(
            f"{text!r} is a span of {end - first + 1} years; a table holds years, months, quarters, weeks "
            "and school years (two consecutive years, '2022-2023'), not longer spans yet"
        )
    if match := _OTHER.match(value):
        what = _OTHER_PARTS[match[2].upper()]
        raise UnreadablePeriod(
            f"{text!r} is a {what}; a table holds years, months (2024M03), quarters (2024K1), weeks "
            f"(2024U05) and school years (2022-2023), not {what}s yet"
        )
    raise UnreadablePeriod(
        f"{text!r} is not a period; expected a year (2024), a month (2024M03), a quarter (2024K1), "
        "a week (2024U05) or a school year (2022-2023)"
    )


def period_labels(
    year: pa.ChunkedArray | pa.Array,
    sub_year: pa.ChunkedArray | pa.Array | None = None,
    *,
    kind: PeriodKind | str = PeriodKind.YEAR,
) -> pa.ChunkedArray:
    """SSB's period code of every row (``2024M03``, ``2024K1``, ``2022-2023``), in whole-column kernels.

    :param year: the ``year`` column.
    :param sub_year: the ``month``, ``quarter`` or ``week`` column (``kind`` says which); a null in it
        stands for the whole year and is written as the year alone.
    :param kind: what the periods are (a :class:`PeriodKind` or its value).
    """
    kind = PeriodKind(kind)
    years = year if isinstance(year, pa.ChunkedArray) else pa.chunked_array([year])
    text = years.cast(pa.string())
    if kind is PeriodKind.SCHOOL_YEAR:
        following = pc.add(years.cast(pa.int32()), 1).cast(pa.string())
        return pc.binary_join_element_wise(text, following, "-")
    if sub_year is None or kind is PeriodKind.YEAR:
        return text
    parts = sub_year if isinstance(sub_year, pa.ChunkedArray) else pa.chunked_array([sub_year])
    column = kind.value
    padded = pc.utf8_lpad(parts.cast(pa.string()), _DIGITS[column], "0")
    joined = pc.binary_join_element_wise(text, padded, _LETTER[column])
    return pc.coalesce(joined, text)
