"""The embedded reference data: small CSV files in ``samhandling/geography/data``, read once and cached.

Every file has a ``source`` column whose keys are explained in ``data/sources.csv`` (and in
``docs/reference-data.md``).  The files are read with :mod:`importlib.resources`, so they work from a
wheel, a zip or an editable install alike.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

__all__ = ["FIRST_YEAR", "LAST_YEAR", "YEARS", "Row", "rows", "sources"]

#: The first and last year the embedded maps cover.
FIRST_YEAR = 2017
LAST_YEAR = 2025
YEARS: tuple[int, ...] = tuple(range(FIRST_YEAR, LAST_YEAR + 1))

Row = dict[str, str]


@functools.cache
def rows(name: str) -> tuple[Row, ...]:
    """The rows of ``data/<name>.csv`` as dictionaries of text (codes keep their leading zeros)."""
    text = (
        resources.files("samhandling.geography")
        .joinpath("data")
        .joinpath(f"{name}.csv")
        .read_text(encoding="utf-8")
    )
    return tuple(dict(row) for row in csv.DictReader(io.StringIO(text)))


@functools.cache
def sources() -> dict[str, Row]:
    """The source keys used in the ``source`` columns, with what they hold and where they come from."""
    return {row["key"]: row for row in rows("sources")}
