"""The population the library ships: SSB tables 07459 (municipalities) and 10826 (city districts).

Rates per 10,000 inhabitants and population shares of divided areas need the number of inhabitants per
area, year and age.  The figures are public statistics of Statistics Norway (SSB); the library ships the
years the public statbank files at hand cover, as a small Parquet file (``data/population.parquet``, built
by ``tools/build_population.py`` from the statbank CSVs, which it parses and checks itself):

* municipalities by one-year age (0 … 104, 105+), 1 January 2017–2021 (table 07459);
* city districts of Oslo, Bergen, Trondheim and Stavanger by one-year age, 1 January 2021 (table 10826).

:func:`population` returns them as a StatTable (variable ``population``, unit ``innbygger``), by one-year
age or in the age bands the report uses (0–17, 18–66, 67+).  :func:`samhandling.aggregate.per_10000` and
:func:`samhandling.geography.harmonise` use it when no population is given; for the years it does not
cover they say so and how to add them (SSB table 07459 from the statbank or the PxWebApi).
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from samhandling.errors import SchemaError, YearNotCoveredError
from samhandling.tables import Provenance, StatTable, Variable

__all__ = [
    "AGE_BANDS",
    "DISTRICT_POPULATION_YEARS",
    "POPULATION_YEARS",
    "population",
    "population_metadata",
    "uncovered_years",
]

#: The age bands of :func:`population` with ``ages="bands"``: (label, first age, last age or None).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (("0-17", 0, 17), ("18-66", 18, 66), ("67+", 67, None))
_METADATA_KEY = b"samhandling.population"
_SOURCE = "ssb-07459"
HOW_TO_ADD = (
    "pass population= a table with variable 'population' for those years: SSB table 07459 (Befolkning, etter "
    "region, alder og år), downloaded from the statbank as CSV and read with samhandling.read(), or fetched "
    "with the KOSTRA plugin's PxWebApi client (samhandling_kostra.pxweb.PxWebClient, table '07459')"
)


@functools.cache
def _table() -> pa.Table:
    data = (
        resources.files("samhandling.geography").joinpath("data").joinpath("population.parquet").read_bytes()
    )
    return pq.read_table(io.BytesIO(data))


@functools.cache
def population_metadata() -> Mapping[str, Any]:
    """Where the shipped population comes from: SSB's tables, the input files with checksums, and what
    the build left out (pseudo-regions, city totals, codes of other years)."""
    raw = _table().schema.metadata[_METADATA_KEY]
    return dict(json.loads(raw))


#: The years the shipped municipality population covers (1 January).
POPULATION_YEARS: tuple[int, ...] = (2017, 2018, 2019, 2020, 2021)
#: The years the shipped city-district population covers (1 January).
DISTRICT_POPULATION_YEARS: tuple[int, ...] = (2021,)


def uncovered_years(wanted: Iterable[int], *, level: str = "municipality") -> list[int]:
    """The years of ``wanted`` the shipped population does not cover at ``level``."""
    covered = DISTRICT_POPULATION_YEARS if level == "district" else POPULATION_YEARS
    return sorted({int(y) for y in wanted} - set(covered))


def population(
    years: Iterable[int] | None = None,
    *,
    ages: Literal["single", "bands", "total"] = "single",
    level: Literal["municipality", "district", "all"] = "municipality",
) -> StatTable:
    """The shipped population as a StatTable: ``region``, ``level``, ``year``, ``age``, ``population``.

    Each row uses the codes of its own year's map (``geography_year`` is not set), as SSB publishes them.

    :param years: the years wanted (default: every year shipped); a year it lacks raises
        :class:`~samhandling.errors.YearNotCoveredError` naming the years it has and how to add others.
    :param ages: ``"single"`` (0 … 104 and 105+), ``"bands"`` (0-17, 18-66, 67+) or ``"total"``.
    :param level: ``"municipality"`` (07459), ``"district"`` (10826) or ``"all"``.
    """
    if ages not in ("single", "bands", "total"):
        raise SchemaError(f"population: ages must be 'single', 'bands' or 'total', not {ages!r}")
    if level not in ("municipality", "district", "all"):
        raise SchemaError(f"population: level must be 'municipality', 'district' or 'all', not {level!r}")
    table = _table()
    if level != "all":
        table = table.filter(pc.equal(table.column("level").cast(pa.string()), level))
    if years is not None:
        wanted = sorted({int(y) for y in years})
        missing = [y for y in wanted if y not in _covered(level)]
        if missing:
            raise YearNotCoveredError(
                f"the shipped population (SSB table 07459{' and 10826' if level != 'municipality' else ''}) "
                f"covers {_span(_covered(level))} for {level if level != 'all' else 'municipalities'}, not "
                f"{', '.join(map(str, missing))}; {HOW_TO_ADD}"
            )
        table = table.filter(pc.is_in(table.column("year"), pa.array(wanted, pa.int16())))
    age = table.column("age").cast(pa.string())
    persons = table.column("persons").cast(pa.float64())
    if ages != "single":
        labels = pa.array([_band_of(a) if ages == "bands" else "total" for a in _age_labels()], pa.string())
        index = pc.index_in(age, pa.array(_age_labels(), pa.string()))
        grouped = (
            pa.table(
                {
                    "region": table.column("region").cast(pa.string()),
                    "level": table.column("level").cast(pa.string()),
                    "year": table.column("year"),
                    "age": pc.take(labels, index),
                    "value": persons,
                }
            )
            .group_by(["region", "level", "year", "age"], use_threads=False)
            .aggregate([("value", "sum")])
        )
        region, lvl, year, age_col, value = (
            grouped.column("region"),
            grouped.column("level"),
            grouped.column("year"),
            grouped.column("age"),
            grouped.column("value_sum"),
        )
    else:
        region, lvl, year, age_col, value = (
            table.column("region").cast(pa.string()),
            table.column("level").cast(pa.string()),
            table.column("year"),
            age,
            persons,
        )
    meta = population_metadata()
    provenance = [
        Provenance(
            source=f"SSB table {info['table']}",
            location=info["file"],
            checksum=f"sha256:{info['sha256']}",
            retrieved="",
            note="shipped with samhandling (geography/data/population.parquet)",
        )
        for info in meta.get("files", [])
    ]
    result = StatTable.from_pydict(
        {
            "region": region,
            "level": lvl,
            "year": year,
            "age": age_col,
            "variable": pa.array(["population"] * len(value), pa.string()),
            "value": value,
        },
        variables=[
            Variable(
                id="population",
                unit="innbygger",
                additive=True,
                label="Folkemengde 1. januar",
                description="Persons resident on 1 January (SSB tables 07459 and 10826).",
            )
        ],
        source=_SOURCE,
        title="Befolkning 1. januar (SSB 07459 / 10826)",
        provenance=provenance,
    )
    return result


def _covered(level: str) -> tuple[int, ...]:
    return DISTRICT_POPULATION_YEARS if level == "district" else POPULATION_YEARS


def _span(years: tuple[int, ...]) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


@functools.cache
def _age_labels() -> list[str]:
    return [*(str(a) for a in range(105)), "105+"]


def _band_of(label: str) -> str:
    age = 105 if label == "105+" else int(label)
    for name, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return name
    raise AssertionError(label)  # pragma: no cover - the bands tile 0 … 105+
