"""The embedded reference data: small CSV files in ``samhandling/geography/data``, read once and cached.

Every file has a ``source`` column whose keys are explained in ``data/sources.csv`` (and in
``docs/reference-data.md``).  The files are read with :mod:`importlib.resources`, so they work from a
wheel, a zip or an editable install alike.

Years added as data (:mod:`samhandling.geography.years`) are rows in the same shapes, kept in this module
beside the shipped ones: :func:`rows` returns both, and every cache built from them is cleared when a year
is added or removed (functions cached with :func:`cached`).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any, TypeVar

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "SHIPPED_YEARS",
    "YEARS",
    "Row",
    "added_years",
    "cached",
    "clear_caches",
    "last_year",
    "rows",
    "shipped_rows",
    "sources",
    "years",
]

#: The first year the embedded maps cover.
FIRST_YEAR = 2017
#: The last year the shipped maps cover (years added as data may follow it).
LAST_YEAR = 2026
#: The years this release ships maps for.
SHIPPED_YEARS: tuple[int, ...] = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
#: The shipped years (kept under its old name; :func:`years` includes years added as data).
YEARS = SHIPPED_YEARS

Row = dict[str, str]
T = TypeVar("T")

_CACHES: list[Any] = []
_ADDED: dict[int, dict[str, tuple[Row, ...]]] = {}
_ADDED_INFO: dict[int, Mapping[str, Any]] = {}


def cached(function: Callable[..., T]) -> functools._lru_cache_wrapper[T]:
    """:func:`functools.cache`, and cleared with every other cache here when a year is added or removed."""
    wrapped = functools.cache(function)
    _CACHES.append(wrapped)
    return wrapped


def clear_caches() -> None:
    """Forget everything built from the rows (after a year was added or removed)."""
    for function in _CACHES:
        function.cache_clear()


@functools.cache
def shipped_rows(name: str) -> tuple[Row, ...]:
    """The rows of the shipped ``data/<name>.csv`` as dictionaries of text (codes keep leading zeros)."""
    text = (
        resources.files("samhandling.geography")
        .joinpath("data")
        .joinpath(f"{name}.csv")
        .read_text(encoding="utf-8")
    )
    return tuple(dict(row) for row in csv.DictReader(io.StringIO(text)))


@cached
def rows(name: str) -> tuple[Row, ...]:
    """The rows of ``data/<name>.csv``, followed by the rows of the same table from years added as data."""
    added = tuple(row for year in sorted(_ADDED) for row in _ADDED[year].get(name, ()))
    return shipped_rows(name) + added


@functools.cache
def sources() -> dict[str, Row]:
    """The source keys used in the ``source`` columns, with what they hold and where they come from."""
    return {row["key"]: row for row in shipped_rows("sources")}


def years() -> tuple[int, ...]:
    """Every year there is a map for: the shipped years and the years added as data."""
    return SHIPPED_YEARS + tuple(sorted(_ADDED))


def last_year() -> int:
    """The last year there is a map for (shipped or added)."""
    return max(_ADDED) if _ADDED else LAST_YEAR


def added_years() -> Mapping[int, Mapping[str, Any]]:
    """The years added as data, each with what it was made from (files, checksums, when)."""
    return dict(_ADDED_INFO)


def register(year: int, tables: Mapping[str, Sequence[Row]], info: Mapping[str, Any]) -> None:
    """Add the rows of one more year (the year after the last one); caches are cleared."""
    _ADDED[year] = {name: tuple(table) for name, table in tables.items()}
    _ADDED_INFO[year] = dict(info)
    clear_caches()


def unregister(year: int) -> None:
    """Remove an added year (and every later added year, which was built on it); caches are cleared."""
    for later in [y for y in _ADDED if y >= year]:
        del _ADDED[later]
        _ADDED_INFO.pop(later, None)
    clear_caches()
