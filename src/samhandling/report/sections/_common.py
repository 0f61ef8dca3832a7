"""Small pieces the sections share: cells, lookups of national values, coverage text, level lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from samhandling.levels import Level
from samhandling.report.context import Coverage
from samhandling.report.document import Cell
from samhandling.report.formatting import format_number, format_percent
from samhandling.report.messages import msg

__all__ = [
    "ROLLUP_LEVELS",
    "Found",
    "cell",
    "coverage_text",
    "national_value",
    "series_for",
    "sort_value",
]

#: The levels the report rolls municipality figures up to, from the country down.
ROLLUP_LEVELS: tuple[Level, ...] = (
    Level.NATIONAL,
    Level.HEALTH_REGION,
    Level.COUNTY,
    Level.HEALTH_TRUST,
    Level.DPS,
)

#: ``(key values…) → (value, status)`` as :func:`samhandling.report.tabular.lookup` returns it.
Found = dict[tuple[Any, ...], tuple[float | None, str | None]]


def sort_value(value: float | None) -> str:
    """The machine-readable value a sortable table sorts a numeric cell by (empty when missing)."""
    return "" if value is None else repr(float(value))


def cell(found: tuple[float | None, str | None] | None, decimals: int = 1, *, percent: bool = False) -> Cell:
    """A numeric cell: the number in Norwegian style, or its status symbol (never 0 for a missing value)."""
    value, status = found if found is not None else (None, None)
    if value is None:
        return Cell(text=status or "..", symbol=True)
    text = (
        format_percent(value, decimals if decimals < 1 else 0) if percent else format_number(value, decimals)
    )
    return Cell(text=text, sort=sort_value(value))


def national_value(rows: Found, *key: Any) -> float | None:
    """The value of the one national row with ``key`` (national rows have a single region code)."""
    for found, (value, _status) in rows.items():
        if found[1:] == key:
            return value
    return None


def series_for(rows: Found, region: str, group: str, years: Sequence[int]) -> tuple[float | None, ...]:
    """One area's values of a target group over the years (``None`` where missing)."""
    return tuple(rows.get((region, group, y), (None, None))[0] for y in years)


def coverage_text(coverage: Coverage, region: str, year: int, variable: str) -> Cell:
    """ "46 av 46" — how many of a total's member areas had figures (with a mark when some had none)."""
    found = coverage.get((region, year, variable))
    if found is None:
        return Cell(text="..", symbol=True)
    with_data, members = found
    return Cell(
        text=msg("coverage.of", have=with_data, every=members),
        emphasis=with_data < members,
        sort=sort_value(with_data / members if members else None),
    )
