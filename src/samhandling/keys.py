"""The key of an observation and duplicate keys.

A StatTable holds one value per key: region, level, year, month, quarter or week (when sub-yearly), the
dimension columns and the variable.  Two values for one key — a municipality listed twice in a file,
two files read together that overlap — would be summed by a roll-up into a number that is silently wrong.
:func:`samhandling.read` therefore checks every table it reads, once, with :func:`find_duplicate_keys`;
a table read with ``allow_duplicates=True`` carries what was found in its metadata
(:data:`DUPLICATES_KEY` in ``meta.extra``) and the roll-up refuses it.

The check is columnar: each key column becomes integer codes (its dictionary), the codes are combined
into one 64-bit number per row and sorted with numpy; only when a number repeats are the rows looked up.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import SchemaError
from samhandling.tables import StatTable

__all__ = [
    "DUPLICATES_KEY",
    "DuplicateKey",
    "DuplicateKeys",
    "find_duplicate_keys",
    "key_columns",
    "refuse_duplicate_keys",
]

#: Where a table read with ``allow_duplicates=True`` records its duplicate keys (``meta.extra``).
DUPLICATES_KEY = "duplicate_keys"
_EXAMPLES = 5


def key_columns(table: StatTable) -> list[str]:
    """The columns that identify one observation: region, level, year, the sub-year period (month,
    quarter or week) when there is one, the dimensions and the variable."""
    period = [table.sub_year] if table.sub_year else []
    return ["region", "level", "year", *period, *table.dimensions, "variable"]


def _rows(value: Sequence[int]) -> tuple[int, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class DuplicateKey:
    """One key that occurs more than once: its values and the rows (counted from 1) that hold it."""

    key: dict[str, Any]
    rows: tuple[int, ...] = attrs.field(converter=_rows)

    def describe(self) -> str:
        """``region=3301, level=municipality, year=2024, variable=fte (rows 4 and 9)``."""
        where = ", ".join(f"{name}={value}" for name, value in self.key.items() if value is not None)
        shown = [str(r) for r in self.rows[:6]]
        listed = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]
        more = f" and {len(self.rows) - 6} more" if len(self.rows) > 6 else ""
        return f"{where} (rows {listed}{more})"


def _examples(value: Sequence[DuplicateKey]) -> tuple[DuplicateKey, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class DuplicateKeys:
    """What :func:`find_duplicate_keys` found: how many keys repeat, in how many rows, and examples."""

    keys: int
    rows: int
    examples: tuple[DuplicateKey, ...] = attrs.field(converter=_examples)

    def describe(self) -> str:
        """One sentence naming the first keys and their rows."""
        shown = "; ".join(example.describe() for example in self.examples[:3])
        more = f"; and {self.keys - 3} more key(s)" if self.keys > 3 else ""
        return f"{self.keys} key(s) occur more than once ({self.rows} rows): {shown}{more}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as stored in ``meta.extra["duplicate_keys"]``."""
        return {
            "keys": self.keys,
            "rows": self.rows,
            "examples": [{"key": e.key, "rows": list(e.rows)} for e in self.examples],
        }


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """Integer codes (0 … size-1, null as its own code) of a key column, and how many there can be."""
    if pa.types.is_integer(column.type):
        values = column.to_numpy().astype(np.int64) if column.null_count == 0 else None
        if values is None:
            low = pc.min(column).as_py()
            values = pc.fill_null(column, (low if low is not None else 0) - 1).to_numpy().astype(np.int64)
        if len(values) == 0:
            return values, 1
        low, high = int(values.min()), int(values.max())
        return values - low, high - low + 1
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    encoded = column.combine_chunks()
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
    return indices, len(encoded.dictionary) + 1


def _ids(arrow: pa.Table, keys: Sequence[str]) -> np.ndarray | None:
    """One int64 per row, equal exactly when the keys are; None when the key space needs more bits."""
    ids = np.zeros(arrow.num_rows, dtype=np.int64)
    capacity = 1
    for name in keys:
        codes, size = _codes(arrow.column(name))
        capacity *= max(size, 1)
        if capacity >= 2**62:
            return None
        ids = ids * max(size, 1) + codes
    return ids


def _repeated_rows(arrow: pa.Table, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows whose key repeats and a group number per such row (None when every key is unique)."""
    ids = _ids(arrow, keys)
    if ids is None:  # an enormous key space: let pyarrow's hash group_by find the repeated keys
        counted = (
            arrow.select(list(keys)).group_by(list(keys), use_threads=False).aggregate([([], "count_all")])
        )
        repeated = counted.filter(pc.greater(counted.column("count_all"), 1))
        if repeated.num_rows == 0:
            return None
        numbered = arrow.select(list(keys)).append_column("__row", pa.array(np.arange(arrow.num_rows)))
        joined = numbered.join(
            repeated.select(list(keys)).append_column("__group", pa.array(np.arange(repeated.num_rows))),
            list(keys),
            join_type="inner",
            use_threads=False,
        )
        return joined.column("__row").to_numpy(), joined.column("__group").to_numpy()
    ordered = np.sort(ids)
    if not (ordered[1:] == ordered[:-1]).any():
        return None
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    same = sorted_ids[1:] == sorted_ids[:-1]
    involved = np.zeros(len(ids), dtype=bool)
    involved[1:] |= same
    involved[:-1] |= same
    rows = order[involved]
    return rows, sorted_ids[involved]


def find_duplicate_keys(
    table: StatTable | pa.Table, keys: Sequence[str] | None = None
) -> DuplicateKeys | None:
    """The keys that occur more than once in ``table`` (None when there are none).

    :param keys: the key columns; default :func:`key_columns` of the StatTable.
    """
    if isinstance(table, StatTable):
        keys = key_columns(table) if keys is None else keys
        arrow = table.arrow
    else:
        if keys is None:
            raise TypeError("find_duplicate_keys needs keys=... for a pyarrow table")
        arrow = table
    if arrow.num_rows < 2:
        return None
    arrow = arrow.select(list(keys)).unify_dictionaries()
    found = _repeated_rows(arrow, keys)
    if found is None:
        return None
    rows, groups = found
    group_order = np.argsort(groups, kind="stable")
    rows, groups = rows[group_order], groups[group_order]
    starts = np.flatnonzero(np.concatenate(([True], groups[1:] != groups[:-1])))
    ends = np.concatenate((starts[1:], [len(groups)]))
    first_rows = [np.sort(rows[start:end]) for start, end in zip(starts, ends, strict=True)]
    first_rows.sort(key=lambda r: int(r[0]))
    examples = []
    for group_rows in first_rows[:_EXAMPLES]:
        row = arrow.slice(int(group_rows[0]), 1).to_pylist()[0]
        examples.append(DuplicateKey(key=row, rows=[int(r) + 1 for r in group_rows]))
    return DuplicateKeys(keys=len(starts), rows=len(rows), examples=examples)


def refuse_duplicate_keys(table: StatTable, step: str) -> None:
    """Refuse to sum a table that was read with ``allow_duplicates=True`` and still has its copies.

    Only a table that carries :data:`DUPLICATES_KEY` is looked at again, so a step that sums (the
    roll-up) pays nothing for tables that passed :func:`samhandling.read`'s check.

    :raises SchemaError: naming the keys and rows.
    """
    if DUPLICATES_KEY not in table.meta.extra:
        return
    duplicates = find_duplicate_keys(table)
    if duplicates is not None:
        raise SchemaError(
            f"{step}: {duplicates.describe()}; the table was read with allow_duplicates=True, and summing "
            f"would count each copy — remove the copies first (the 'duplicates' check lists them)"
        )
