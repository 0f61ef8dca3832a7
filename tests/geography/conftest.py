"""Builders for the geography tests (as fixtures): municipality tables, synthetic populations, weights."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pytest

from samhandling.geography import Geography, step_table
from samhandling.tables import StatTable, Variable

ADMISSIONS = Variable(id="admissions", unit="opphold")
FTE = Variable(id="fte", unit="årsverk")
POPULATION = Variable(id="population", unit="innbygger")
SHARE = Variable(
    id="fte_per_admission",
    unit="percent",
    additive=False,
    numerator="fte",
    denominator="admissions",
    scale=100,
)


def table(
    rows: Iterable[Sequence[Any]],
    *,
    variables: Sequence[Variable] = (ADMISSIONS, FTE),
    geography_year: int | None = None,
    level: str = "municipality",
) -> StatTable:
    """A StatTable from (region, year, variable, value[, status]) tuples."""
    rows = [tuple(r) + ((None,) if len(r) == 4 else ()) for r in rows]
    return StatTable.from_pydict(
        {
            "region": pa.array([r[0] for r in rows], pa.string()),
            "level": pa.array([level] * len(rows), pa.string()),
            "year": pa.array([r[1] for r in rows], pa.int16()),
            "variable": pa.array([r[2] for r in rows], pa.string()),
            "value": pa.array([r[3] for r in rows], pa.float64()),
            "status": pa.array([r[4] for r in rows], pa.string()),
        },
        variables=list(variables),
        geography_year=geography_year,
    )


def synthetic_population(years: Iterable[int], *, ages: Sequence[str] = ("total",)) -> StatTable:
    """A made-up population (not real figures) for every municipality code of every year."""
    regions: list[str] = []
    out_years: list[int] = []
    labels: list[str] = []
    values: list[float] = []
    for year in years:
        for code in sorted(Geography.for_year(year).codes("municipality")):
            for age in ages:
                regions.append(code)
                out_years.append(year)
                labels.append(age)
                values.append(float(1000 + zlib.crc32(f"{code}{age}".encode()) % 50000))
    return StatTable.from_pydict(
        {
            "region": regions,
            "level": ["municipality"] * len(regions),
            "year": out_years,
            "age": labels,
            "variable": ["population"] * len(regions),
            "value": values,
        },
        variables=[POPULATION],
    )


def equal_split_weights() -> pa.Table:
    """Explicit equal shares for every division in either direction between any two covered years."""
    years: list[int] = []
    olds: list[str] = []
    news: list[str] = []
    weights: list[float] = []
    for level in ("municipality", "county"):
        for year in range(2018, 2026):
            pairs = step_table(level, year)
            for backward in (False, True):
                targets: dict[str, list[str]] = {}
                for p in pairs:
                    a, b = (p.new, p.old) if backward else (p.old, p.new)
                    targets.setdefault(a, []).append(b)
                for a, bs in targets.items():
                    if len(bs) > 1:
                        for b in bs:
                            years.append(year)
                            olds.append(a)
                            news.append(b)
                            weights.append(1.0 / len(bs))
    return pa.table({"year": years, "old": olds, "new": news, "weight": weights})


@pytest.fixture
def make_table() -> Any:
    """:func:`table` as a fixture."""
    return table


@pytest.fixture(scope="session")
def population_2017_2025() -> StatTable:
    """A synthetic total population for every code of every covered year."""
    return synthetic_population(range(2017, 2026))


@pytest.fixture(scope="session")
def population_by_age_2024() -> StatTable:
    """A synthetic 2024 population by SSB single-year age labels 0 … 104 and 105+."""
    return synthetic_population([2024], ages=[*(str(a) for a in range(105)), "105+"])


@pytest.fixture(scope="session")
def split_weights_table() -> pa.Table:
    """Equal explicit shares for every division."""
    return equal_split_weights()
