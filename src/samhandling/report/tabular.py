"""Small columnar helpers the report sections share: decoding, summing with status, lookups.

Every sum keeps SSB's rule that a missing part makes the total missing: a group with a suppressed or
unavailable value gets no number and the status of its first missing part, never a silent undercount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from samhandling.levels import Level
from samhandling.tables import StatTable, TableMeta, Variable

__all__ = ["lookup", "plain", "stat_table", "sum_by"]


def plain(table: pa.Table | StatTable) -> pa.Table:
    """The Arrow table with dictionary columns decoded to strings and no schema metadata."""
    arrow = table.arrow if isinstance(table, StatTable) else table
    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in arrow.columns]
    return pa.Table.from_arrays(columns, names=arrow.column_names)


def sum_by(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Sum ``value`` over every column not in ``keys``; a group with a missing part has no value.

    The result has the columns ``keys``, ``value`` and ``status`` (the first status of the group's
    missing parts, or null when every part had a number).
    """
    data = plain(table)
    if "status" not in data.column_names:
        data = data.append_column("status", pa.nulls(data.num_rows, pa.string()))
    missing = pc.is_null(data.column("value"))
    data = data.append_column("_missing", pc.cast(missing, pa.int64()))
    data = data.append_column(
        "_status",
        pc.if_else(missing, pc.fill_null(data.column("status"), ".."), pa.scalar(None, pa.string())),
    )
    grouped = data.group_by(list(keys), use_threads=False).aggregate(
        [
            ("value", "sum"),
            ("_missing", "sum"),
            ("_status", "min"),
        ]
    )
    has_gap = pc.greater(grouped.column("_missing_sum"), 0)
    value = pc.if_else(has_gap, pa.scalar(None, pa.float64()), grouped.column("value_sum").cast(pa.float64()))
    status = pc.if_else(has_gap, grouped.column("_status_min"), pa.scalar(None, pa.string()))
    return pa.table({**{k: grouped.column(k) for k in keys}, "value": value, "status": status})


def stat_table(
    columns: Mapping[str, Sequence[Any] | pa.Array | pa.ChunkedArray],
    *,
    level: Level | str,
    variables: Iterable[Variable],
    geography_year: int,
    source: str,
    title: str,
    provenance: Iterable[Any] = (),
    extra: Mapping[str, Any] | None = None,
) -> StatTable:
    """A StatTable from columns; ``level`` fills the level column, a missing value gets status ``..``."""
    data = dict(columns)
    count = len(data["region"])
    if "year" in data and not isinstance(data["year"], (pa.Array, pa.ChunkedArray)):
        data["year"] = pa.array(data["year"], pa.int16())  # typed even when there are no rows
    data.setdefault("level", [str(Level(level))] * count)
    table = pa.table(data)
    if "status" not in table.column_names:
        value = table.column("value")
        status = pc.if_else(pc.is_null(value), "..", pa.scalar(None, pa.string()))
        table = table.append_column("status", status)
    meta = TableMeta(
        source=source,
        geography_year=geography_year,
        variables=tuple(variables),
        provenance=tuple(provenance),
        title=title,
        extra=dict(extra or {}),
    )
    return StatTable.from_arrow(table, meta=meta)


def lookup(
    table: pa.Table | StatTable, keys: Sequence[str]
) -> dict[tuple[Any, ...], tuple[float | None, str | None]]:
    """``(key values…) → (value, status)`` for the rows of a small table (for tables and charts)."""
    data = plain(table)
    columns = [data.column(k).to_pylist() for k in keys]
    values = data.column("value").to_pylist()
    statuses = data.column("status").to_pylist() if "status" in data.column_names else [None] * data.num_rows
    return {tuple(column[i] for column in columns): (values[i], statuses[i]) for i in range(data.num_rows)}
