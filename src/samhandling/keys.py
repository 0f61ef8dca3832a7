"""The key of an observation and duplicate keys.

A StatTable holds one value per key: region, level, year, month, quarter or week (when sub-yearly), the
dimension columns and the variable.  Two values for one key — a municipality listed twice in a file,
two files read together that overlap — would be summed by a roll-up into a number that is silently wrong.
:func:`samhandling.read` therefore checks every table it reads, once, with :func:`find_duplicate_keys`;
a table read with ``allow_duplicates=True`` carries what was found in its metadata
(:data:`DUPLICATES_KEY` in ``meta.extra``) and the roll-up refuses it.

The check is columnar: :func:`group_rows` numbers the keys of the rows (each key column becomes integer
codes, the codes are combined into one number per row); only when a number repeats are the rows looked
up.  Harmonising and rolling up sum per key with the same grouping.

Harmonising and rolling up re-key the region only; the other key columns (period, dimensions,
variable) keep their values.  :func:`number_keys` numbers those columns once, and a table built by
these steps (or rolled up once) remembers its numbering (:func:`remember_codes`), so the next step on
the same table reads it instead of numbering the rows again.  The numbering is tied to the identity of
the (immutable) Arrow table: any changed table is a new object, and is numbered afresh.
"""

from __future__ import annotations

import typing
import weakref
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import SchemaError
from samhandling.tables import StatTable

__all__ = [
    "DUPLICATES_KEY",
    "DuplicateKey",
    "DuplicateKeys",
    "KeyCodes",
    "KeyGroups",
    "find_duplicate_keys",
    "group_rows",
    "key_columns",
    "number_keys",
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


def _codes(column: pa.ChunkedArray) -> tuple[npt.NDArray[np.integer[Any]], int]:
    """Integer codes (0 … size-1, null as its own code) of a key column, and how many there can be.

    Integers are their offset from the smallest; a dictionary column is its indices (no string is
    touched); any other column is dictionary-encoded first.
    """
    if pa.types.is_integer(column.type):
        if column.null_count:
            low = pc.min(column).as_py()
            column = pc.fill_null(column, (low if low is not None else 0) - 1)
        if len(column) == 0:
            return np.zeros(0, np.int64), 1
        bounds = pc.min_max(column)
        low, high = int(bounds["min"].as_py()), int(bounds["max"].as_py())
        values = column.to_numpy()
        narrow = (
            values.dtype.kind == "i" and values.dtype.itemsize <= 4
        )  # every value, and so the offset, fits
        shifted = np.subtract(values, np.int64(low), dtype=np.int32 if narrow else np.int64)
        return shifted, high - low + 1
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    encoded = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    size = len(encoded.dictionary)
    indices = encoded.indices
    if indices.null_count:
        indices = pc.fill_null(indices, size)
        size += 1
    return indices.to_numpy(zero_copy_only=False), max(size, 1)


#: Key spaces up to this many cells (or twice the rows) are numbered by direct addressing.
_DENSE_CELLS = 1 << 22


def _numbered(
    key: npt.NDArray[np.integer[Any]], size: int
) -> tuple[npt.NDArray[np.integer[Any]], int, npt.NDArray[np.int64]]:
    """Each distinct value of ``key`` (all below ``size``) numbered 0, 1, … in order, per row; and a
    row holding each value."""
    rows = len(key)
    if size <= max(_DENSE_CELLS, 2 * rows):
        row_type: type[np.integer[Any]] = np.int32 if rows < 2**31 else np.int64
        holder: npt.NDArray[np.integer[Any]] = np.full(size, -1, dtype=row_type)
        holder[key] = np.arange(rows, dtype=row_type)  # the last row with each value
        distinct = np.flatnonzero(holder >= 0)
        held = holder[distinct].astype(np.int64)
        del holder
        number = np.empty(size, dtype=np.int32 if len(distinct) < 2**31 else np.int64)
        number[distinct] = np.arange(len(distinct), dtype=number.dtype)
        return np.take(number, key), len(distinct), held
    values, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.reshape(-1), len(values), first.astype(np.int64)


@typing.final
@attrs.frozen(kw_only=True)
class KeyGroups:
    """The rows of a table grouped by their key: a group number per row, and a row of each group."""

    #: per row, the number of its group (0 … count-1; groups in the order of their key codes)
    index: npt.NDArray[np.integer[Any]] = attrs.field(eq=False)
    count: int
    #: per group, one of its rows (any: they share the key)
    rows: npt.NDArray[np.int64] = attrs.field(eq=False)


def group_rows(arrow: pa.Table, keys: Sequence[str]) -> KeyGroups:
    """Group the rows of ``arrow`` by the values of ``keys`` (nulls equal to each other).

    Each key column becomes integer codes, and the codes are combined column by column into one number
    per row; whenever the combined space would grow past a few million cells, the numbers in use are
    renumbered first, so no key space overflows and the work stays a few numpy passes over the rows
    (no hashing, no sorting of the rows while the key space is small).
    """
    rows = arrow.num_rows
    key, size = _combined(arrow, keys)
    if key is None:  # one key for all rows
        index: npt.NDArray[np.integer[Any]] = np.zeros(rows, dtype=np.int32)
        return KeyGroups(index=index, count=min(rows, 1), rows=np.zeros(min(rows, 1), dtype=np.int64))
    index, count, held = _numbered(key, size)
    return KeyGroups(index=index, count=count, rows=held)


def _combined(arrow: pa.Table, keys: Sequence[str]) -> tuple[npt.NDArray[np.integer[Any]] | None, int]:
    """One number per row (below the size returned) combining the codes of ``keys``, in their order;
    None when every row has the same key.  Numbers in use are renumbered whenever the space would grow
    past a few million cells (or twice the rows)."""
    rows = arrow.num_rows
    key: npt.NDArray[np.integer[Any]] | None = None
    owned = False  # whether ``key`` is an array of our own (codes may view the table)
    size = 1
    for name in keys:
        codes, span = _codes(arrow.column(name))
        if span <= 1:
            continue  # the same in every row: it separates nothing
        if key is None:
            key, size = codes, span
            continue
        if size * span > max(_DENSE_CELLS, 2 * rows):
            key, size, _ = _numbered(key, size)
            owned = True
        wide: type[np.integer[Any]] = np.int64 if size * span >= 2**31 else np.int32
        combined: npt.NDArray[np.integer[Any]] = (
            key if owned and key.dtype == wide else np.multiply(key, span, dtype=wide)
        )
        if combined is key:
            combined *= span
        combined += codes
        key, size, owned = combined, size * span, True
    return key, size


@typing.final
@attrs.frozen(kw_only=True)
class KeyCodes:
    """Each row's values of some key columns as one code, and those values per code.

    Codes are ordered as the columns' own codes are (column by column), so sums made per code come out in
    the order :func:`group_rows` gives them.  A code may be held by no row (rows were left out since the
    numbering was made); its row of :attr:`values` is then never read.
    """

    columns: tuple[str, ...]
    #: per row, its code (0 … count-1)
    index: npt.NDArray[np.integer[Any]] = attrs.field(eq=False)
    count: int
    #: per code, the values of ``columns`` (``count`` rows, the columns' own types)
    values: pa.Table = attrs.field(eq=False)

    def rows(self, keep: npt.NDArray[np.bool_]) -> KeyCodes:
        """The codes of the rows ``keep`` selects (the numbering itself is unchanged)."""
        return attrs.evolve(self, index=self.index[keep])


def number_keys(arrow: pa.Table, columns: Sequence[str]) -> KeyCodes:
    """Number the distinct values of ``columns`` in the rows of ``arrow`` (see :class:`KeyCodes`).

    Where most numbers of the combined key space are in use, the combined key itself is the code (one
    pass fewer than :func:`group_rows`); the few unused codes are held by no row.
    """
    rows = arrow.num_rows
    key, size = _combined(arrow, columns)
    index: npt.NDArray[np.integer[Any]]
    held: npt.NDArray[np.integer[Any]]
    if key is None or size > max(_DENSE_CELLS, 2 * rows):
        groups = group_rows(arrow, columns)
        index, count, held = groups.index, groups.count, groups.rows
    else:
        holder: npt.NDArray[np.integer[Any]] = np.full(size, -1, dtype=np.int32 if rows < 2**31 else np.int64)
        holder[key] = np.arange(rows, dtype=holder.dtype)  # the last row with each value
        used = holder >= 0
        if 2 * int(np.count_nonzero(used)) >= size:  # dense: the combined key is the code
            np.maximum(holder, 0, out=holder)  # codes no row holds: any row (never read)
            index, count, held = key, size, holder
        else:
            number = np.cumsum(used, dtype=np.int32 if size < 2**31 else np.int64) - 1
            index, count, held = np.take(number, key), int(number[-1]) + 1, holder[used]
    values = arrow.select(list(columns)).take(pa.array(held))
    return KeyCodes(columns=tuple(columns), index=index, count=count, values=values)


#: per Arrow table (by identity, while it lives), the numbering of some of its key columns
_REMEMBERED: dict[int, tuple[weakref.ref[pa.Table], KeyCodes]] = {}


def remember_codes(arrow: pa.Table, codes: KeyCodes) -> None:
    """Keep ``codes`` (numbered from the rows of ``arrow``, in their order) for as long as ``arrow`` lives."""
    if len(codes.index) != arrow.num_rows:
        raise ValueError(f"{len(codes.index)} codes for a table of {arrow.num_rows} rows")
    key = id(arrow)
    _REMEMBERED[key] = (weakref.ref(arrow, lambda _ref: _REMEMBERED.pop(key, None)), codes)


def remembered_codes(arrow: pa.Table, columns: Sequence[str]) -> KeyCodes | None:
    """The numbering of ``columns`` remembered for this very table, or None."""
    found = _REMEMBERED.get(id(arrow))
    if found is None or found[0]() is not arrow or found[1].columns != tuple(columns):
        return None
    return found[1]


def codes_of(arrow: pa.Table, columns: Sequence[str], *, rows: pa.Table | None = None) -> KeyCodes:
    """The numbering of ``columns`` remembered for ``arrow``, or numbered now (and remembered).

    :param rows: the same rows as ``arrow`` in another form (dictionaries unified) to number them from.
    """
    codes = remembered_codes(arrow, columns)
    if codes is None:
        codes = number_keys(arrow if rows is None else rows, columns)
        remember_codes(arrow, codes)
    return codes


def carry_codes(source: pa.Table, target: pa.Table) -> None:
    """Let ``target`` — the rows of ``source`` in the same order, key columns unchanged — share its
    remembered numbering."""
    found = _REMEMBERED.get(id(source))
    if found is not None and found[0]() is source and target.num_rows == len(found[1].index):
        remember_codes(target, found[1])


def _repeated_rows(arrow: pa.Table, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows whose key repeats and a group number per such row (None when every key is unique)."""
    groups = group_rows(arrow, keys)
    if groups.count == arrow.num_rows:
        return None
    repeated = np.bincount(groups.index, minlength=groups.count) > 1
    rows = np.flatnonzero(repeated[groups.index])
    return rows, groups.index[rows]


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
