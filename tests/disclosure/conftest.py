"""Builders for the disclosure-control tests: small publications with their margins, and a cell reader."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from samhandling.aggregate import roll_up
from samhandling.tables import StatTable, Variable

ADMISSIONS = Variable(id="admissions", unit="opphold", label="Innleggelser", counts_people=True)
PATIENTS = Variable(id="patients", unit="pasient", additive=False, counts_people=True)
BED_DAYS = Variable(id="bed_days", unit="liggedøgn")
RATE = Variable(
    id="admissions_per_10000",
    unit="opphold / ten_thousand_inhabitants",
    additive=False,
    numerator="admissions",
    denominator="population",
    scale=10_000.0,
)

#: Municipalities of Buskerud (county 33) in 2024, none split between catchments.
BUSKERUD = ("3301", "3303", "3305", "3310", "3312", "3314", "3316", "3318", "3320")


def grid(
    values: Mapping[Any, float],
    *,
    dimension: str = "unit",
    variable: Variable = ADMISSIONS,
    year: int = 2024,
    level: str = "municipality",
) -> StatTable:
    """A table of ``(region, category) → value`` (a category of ``None`` is the total)."""
    keys = list(values)
    return StatTable.from_pydict(
        {
            "region": pa.array([k[0] for k in keys], pa.string()),
            "level": [level] * len(keys),
            "year": [year] * len(keys),
            dimension: pa.array([k[1] for k in keys], pa.string()),
            "variable": [variable.id] * len(keys),
            "value": [float(values[k]) for k in keys],
        },
        geography_year=year,
        variables=[variable],
    )


def with_totals(inner: Mapping[Any, float]) -> dict[tuple[str, str | None], float]:
    """The inner cells with a total per region (category ``None``)."""
    out: dict[tuple[str, str | None], float] = dict(inner)
    for (region, _category), value in inner.items():
        out[(region, None)] = out.get((region, None), 0.0) + value
    return out


def publication(
    inner: Mapping[Any, float], *, levels: Sequence[str] = ("county",), totals: bool = True
) -> list[StatTable]:
    """Municipality × unit counts (with a total per municipality) and their roll-ups to ``levels``."""
    municipalities = grid(with_totals(inner) if totals else dict(inner))
    return [municipalities, *(roll_up(municipalities, level, partial="keep") for level in levels)]


def cells(
    table: StatTable, dimension: str = "unit"
) -> dict[tuple[str, Any], tuple[float | None, str | None]]:
    """``(region, category) → (value, status)`` of a table."""
    return {(row["region"], row.get(dimension)): (row["value"], row["status"]) for row in table.to_pylist()}


def suppressed(table: StatTable, dimension: str = "unit") -> set[tuple[str, Any]]:
    """The keys of the rows with status ``:``."""
    return {key for key, (_value, status) in cells(table, dimension).items() if status == ":"}
