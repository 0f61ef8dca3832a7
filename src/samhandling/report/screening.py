"""Rows of an input the report cannot use, set aside before anything is computed, and said so.

A yearly report is built from files that real people typed.  A municipality code that did not exist in
the file's year (an old number after a reform) or a municipality entered twice would stop the
harmonising or double a total.  Instead of aborting, the report sets such rows aside and turns each into
a quality finding (rule ``set-aside``) in its appendix; ``--strict`` makes them errors that stop the
build instead.

* **Codes not on the map.**  A municipality, city-district or county row whose code was not in use in
  the table's geography year (or, for a table read as reported, the row's own year).
* **Rows entered twice.**  Rows with the same area, year, dimensions and variable: the first is kept.

What was set aside travels with the table (``meta.extra["report_set_aside"]``), so a table read by
:func:`~samhandling.report.load_inputs` and built later still reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.tables import StatTable

__all__ = ["SET_ASIDE_KEY", "describe_all", "screen", "set_aside_findings"]

#: Where a table keeps what was set aside from it.
SET_ASIDE_KEY = "report_set_aside"
_CHECKED_LEVELS = ("municipality", "district", "county")


def _valid_codes(year: int, level: str) -> frozenset[str] | None:
    from samhandling.geography import Geography
    from samhandling.geography._data import years

    if year not in years():
        return None
    return frozenset(Geography.for_year(year).codes(level))


def _invalid(table: StatTable) -> tuple[pa.Array, list[dict[str, Any]]]:
    """A mask of rows whose code is not on their map, and one entry per code, level and year."""
    arrow = table.arrow
    region = arrow.column("region").cast(pa.string())
    level = arrow.column("level").cast(pa.string())
    year = arrow.column("year")
    keys = (
        pa.table({"region": region, "level": level, "year": year})
        .group_by(["region", "level", "year"], use_threads=False)
        .aggregate([("region", "count")])
    )
    bad: list[tuple[str, str, int]] = []
    entries: list[dict[str, Any]] = []
    for code, lvl, row_year, count in zip(
        *(keys.column(c).to_pylist() for c in ("region", "level", "year", "region_count")), strict=True
    ):
        if lvl not in _CHECKED_LEVELS:
            continue
        map_year = table.geography_year or int(row_year)
        valid = _valid_codes(map_year, lvl)
        if valid is None or code in valid:
            continue
        bad.append((code, lvl, int(row_year)))
        entries.append(
            {
                "reason": "invalid-code",
                "region": code,
                "level": lvl,
                "year": int(row_year),
                "map_year": map_year,
                "rows": int(count),
            }
        )
    if not bad:
        return pa.array([False] * arrow.num_rows), []
    joined = pc.binary_join_element_wise(region, level, pc.cast(year, pa.string()), "|")
    wanted = pa.array([f"{c}|{lv}|{y}" for c, lv, y in bad], pa.string())
    return pc.is_in(joined, value_set=wanted), entries


def _duplicates(arrow: pa.Table) -> tuple[pa.Array, list[dict[str, Any]]]:
    """A mask of rows that repeat an earlier row's key, and one entry per area and year."""
    keys = [c for c in arrow.column_names if c not in ("value", "status")]
    decoded = pa.table(
        {
            **{
                k: (
                    arrow.column(k).cast(arrow.column(k).type.value_type)
                    if pa.types.is_dictionary(arrow.column(k).type)
                    else arrow.column(k)
                )
                for k in keys
            },
            "_row": pa.array(range(arrow.num_rows), pa.int64()),
        }
    )
    grouped = decoded.group_by(keys, use_threads=False).aggregate([("_row", "min"), ("_row", "count")])
    repeated = grouped.filter(pc.greater(grouped.column("_row_count"), 1))
    if not repeated.num_rows:
        return pa.array([False] * arrow.num_rows), []
    first = pc.is_in(decoded.column("_row"), value_set=grouped.column("_row_min"))
    entries: dict[tuple[str, int], dict[str, Any]] = {}
    for region, year, count in zip(
        repeated.column("region").cast(pa.string()).to_pylist(),
        repeated.column("year").to_pylist(),
        repeated.column("_row_count").to_pylist(),
        strict=True,
    ):
        entry = entries.setdefault(
            (str(region), int(year)),
            {"reason": "duplicate", "region": str(region), "year": int(year), "rows": 0, "copies": 0},
        )
        entry["rows"] += int(count) - 1
        entry["copies"] = max(entry["copies"], int(count))
    return pc.invert(first), list(entries.values())


def screen(table: StatTable) -> StatTable:
    """``table`` without the rows the report cannot use; what was set aside is added to
    ``meta.extra["report_set_aside"]``."""
    arrow = table.arrow
    invalid, entries = _invalid(table)
    kept = arrow.filter(pc.invert(invalid)) if entries else arrow
    duplicate, more = _duplicates(kept)
    if more:
        kept = kept.filter(pc.invert(duplicate))
    found = entries + more
    if not found:
        return table
    extra = {**table.meta.extra, SET_ASIDE_KEY: [*table.meta.extra.get(SET_ASIDE_KEY, []), *found]}
    return StatTable(kept, attrs.evolve(table.meta, extra=extra))


def set_aside_findings(role: str, table: StatTable) -> list[Any]:
    """One quality finding (rule ``set-aside``, severity error) per entry of what was set aside."""
    from samhandling.checks import Finding

    findings = []
    for entry in table.meta.extra.get(SET_ASIDE_KEY, []):
        values = {k: v for k, v in entry.items() if k not in ("region", "year")}
        if entry["reason"] == "invalid-code":
            what = (
                f"{entry['rows']} row(s) with {entry.get('level', 'area')} code {entry['region']}, which was "
                f"not in use in {entry.get('map_year', entry['year'])}, were left out"
            )
        else:
            what = (
                f"{entry['rows']} repeated row(s) of {entry['region']} in {entry['year']} were left out; the "
                f"first was kept"
            )
        findings.append(
            Finding(
                rule="set-aside",
                severity="error",
                message=what,
                region=entry["region"],
                year=entry["year"],
                values=values,
            )
        )
    return findings


def describe_all(tables: Mapping[str, StatTable]) -> list[str]:
    """One line per set-aside entry of every table (for ``--strict`` errors)."""
    lines = []
    for role, table in tables.items():
        for finding in set_aside_findings(role, table):
            lines.append(f"{role}: {finding.message}")
    return lines
