"""The columnar engine behind harmonise and roll_up: rows re-keyed through a small weight table.

Both operations are the same computation: every row has a *source key* (its area code, and for a
series read as reported also its year), each key goes to one or more *targets* with a weight, and
values are summed per target.  The key space is small (hundreds of codes), so the engine works on the
distinct keys in Python and on the rows only with numpy/Arrow kernels:

* keys that go to exactly one target with weight 1 and share that target with no other key (the
  great majority when harmonising: unchanged or renumbered codes) are re-labelled with one ``take``;
* the other rows go to their targets by weight (rows shared between targets repeated over a CSR
  layout) and are summed per output key with ``numpy.bincount``.  When every variable is additive, the
  key columns other than region are numbered once per table (:func:`samhandling.keys.number_keys`), an
  output key is ``target * count + number``, and the output columns are built from the sums; the
  table built remembers the numbering of its rows, so the roll-ups after a harmonise (or a second
  roll-up of one table) do not number the rows again.  Tables with rates or shares take the general
  path (rows grouped by :func:`samhandling.keys.group_rows`), with the same rows in the result.

Statuses travel with the sums: a sum with a suppressed part (``:``) is suppressed, otherwise one with a
``..`` part is ``..`` (then ``...``, then ``.``); a sum of ``-`` parts only is ``-`` (zero).  Rates and
shares are recomputed from their numerator and denominator after summing, or refused.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import NonAdditiveError, SchemaError
from samhandling.keys import KeyCodes, group_rows, number_keys, remember_codes
from samhandling.periods import TIME_COLUMNS
from samhandling.tables import (
    METADATA_KEY,
    StatTable,
    TableMeta,
    Variable,
    level_type,
    status_type,
    variable_type,
)

__all__ = [
    "STATUS_BY_PRIORITY",
    "Targets",
    "dictionary_mask",
    "distinct_strings",
    "finish",
    "priority_of",
    "remap",
    "rest_columns",
    "used_codes",
]

#: Status symbols by the priority a sum takes from its parts (index = priority).
STATUS_BY_PRIORITY: tuple[str | None, ...] = ("-", None, ".", "...", "..", ":")
_PRIORITY: dict[str, int] = {s: i for i, s in enumerate(STATUS_BY_PRIORITY) if s is not None}
_ORDINARY = 1
#: Key spaces up to this many cells (or twice the rows) are summed by direct addressing.
_DENSE_CELLS = 1 << 22
_EMPTY = "\x00"

#: For each source key: the (target code, weight) pairs it goes to.
Targets = Sequence[Sequence[tuple[str, float]]]


def priority_of(status: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The status column as int8 priorities (see :data:`STATUS_BY_PRIORITY`), computed on the dictionary."""
    chunks = status.chunks if isinstance(status, pa.ChunkedArray) else [status]
    out: list[pa.Array] = []
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            table = np.array(
                [_PRIORITY.get(s, _ORDINARY) for s in chunk.dictionary.to_pylist()] or [_ORDINARY], np.int8
            )
            taken = pc.take(pa.array(table), chunk.indices)
        else:
            symbols = pa.array(list(_PRIORITY), pa.string())
            priorities = pa.array(list(_PRIORITY.values()), pa.int8())
            taken = pc.take(priorities, pc.index_in(chunk.cast(pa.string()), symbols))
        out.append(pc.fill_null(taken, _ORDINARY).cast(pa.int8()))
    if not out:
        return pa.array([], pa.int8())
    return pa.concat_arrays(out) if len(out) > 1 else out[0]


def _status_and_value(priority: pa.Array, total: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Final status (dictionary) and value of summed groups from their maximum part priority."""
    symbols = pa.array(list(STATUS_BY_PRIORITY), pa.string())
    status = pc.take(symbols, priority)
    ordinary = pc.less_equal(priority, _ORDINARY)
    value = pc.if_else(ordinary, pc.if_else(pc.equal(priority, 0), 0.0, total), pa.scalar(None, pa.float64()))
    return pc.dictionary_encode(status).cast(status_type()), value


def _key_columns(table: pa.Table) -> list[str]:
    """Group keys: everything except level (constant in the output), value and status."""
    return [c for c in table.column_names if c not in ("level", "value", "status")]


def dictionary_mask(column: pa.ChunkedArray | pa.Array, values: Iterable[str]) -> np.ndarray:
    """Per row, whether a string or dictionary column holds one of ``values`` (null: False).

    On a dictionary column the test runs on the dictionary and the rows only look it up, so no
    string is touched per row.
    """
    wanted = set(values)
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    out: list[np.ndarray] = []
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            lookup = np.array([v in wanted for v in chunk.dictionary.to_pylist()] + [False], bool)
            if not chunk.null_count and (lookup[:-1].all() or not lookup[:-1].any()):
                out.append(np.full(len(chunk), bool(lookup[0]) if len(lookup) > 1 else False))
                continue  # every entry in or every entry out: no row needs looking up
            indices = pc.fill_null(chunk.indices, len(lookup) - 1).to_numpy(zero_copy_only=False)
            out.append(lookup[indices])
        else:
            mask = pc.is_in(chunk.cast(pa.string()), pa.array(sorted(wanted), pa.string()))
            out.append(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))
    return np.concatenate(out) if out else np.zeros(0, bool)


def distinct_strings(column: pa.ChunkedArray | pa.Array) -> list[str]:
    """The distinct non-null values of a string or dictionary column (dictionary: by counting indices)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    found: dict[str, None] = {}
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            indices = chunk.indices
            if indices.null_count:
                indices = indices.drop_null()
            used = np.zeros(len(chunk.dictionary), bool)
            used[indices.to_numpy(zero_copy_only=False)] = True
            dictionary = chunk.dictionary.to_pylist()
            for index in np.flatnonzero(used).tolist():
                found.setdefault(str(dictionary[index]), None)
        else:
            for value in pc.unique(chunk.cast(pa.string())).to_pylist():
                if value is not None:
                    found.setdefault(str(value), None)
    return list(found)


def used_codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """Per row, an index into the codes the column uses (null-free string or dictionary column).

    A dictionary column is read from its indices (no string is decoded per row); codes its dictionary
    holds but no row uses are left out, so every code returned is one the table has.
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if chunks and all(pa.types.is_dictionary(c.type) for c in chunks):
        dictionary = chunks[0].dictionary
        if all(c.dictionary.equals(dictionary) for c in chunks[1:]):
            # as numpy's own index type: every take and scatter would convert it otherwise
            parts = [c.indices.to_numpy(zero_copy_only=False) for c in chunks]
            indices = np.concatenate(parts, dtype=np.intp) if len(parts) > 1 else parts[0].astype(np.intp)
            used = np.zeros(len(dictionary), bool)
            used[indices] = True
            values = [str(v) for v in dictionary.to_pylist()]
            if used.all():
                return indices, values
            number = np.cumsum(used, dtype=np.int32) - 1
            return np.take(number, indices), [values[i] for i in np.flatnonzero(used).tolist()]
    plain = (
        pa.chunked_array(
            [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in chunks], pa.string()
        )
        if chunks
        else pa.chunked_array([], pa.string())
    )
    encoded = pc.dictionary_encode(plain.combine_chunks())
    return encoded.indices.to_numpy(zero_copy_only=False), [str(v) for v in encoded.dictionary.to_pylist()]


def _variable_ids(table: pa.Table) -> list[str]:
    return distinct_strings(table.column("variable"))


def _rows_of(table: pa.Table, variables: Sequence[str], *, keep: bool = True) -> pa.Table:
    if not table.num_rows:
        return table
    mask = dictionary_mask(table.column("variable"), variables)
    return table.filter(pa.array(mask if keep else ~mask))


@attrs.frozen(kw_only=True)
class _Plan:
    """Per source key: simple target index (or -1), and the CSR layout of complex targets."""

    targets: pa.Array  # dictionary of target codes (string)
    simple: np.ndarray  # int32 per key: index into targets, -1 if complex
    start: np.ndarray  # int64 per key: start in flat arrays
    count: np.ndarray  # int64 per key
    flat_target: np.ndarray  # int32
    flat_weight: np.ndarray  # float64


def _plan(targets: Targets, domain: np.ndarray) -> _Plan:
    codes: dict[str, int] = {}
    origins: dict[tuple[int, int], int] = defaultdict(int)
    for key, pairs in enumerate(targets):
        for code, _weight in pairs:
            index = codes.setdefault(code, len(codes))
            origins[(int(domain[key]), index)] += 1
    n = len(targets)
    simple = np.full(n, -1, np.int32)
    count = np.zeros(n, np.int64)
    flat_target: list[int] = []
    flat_weight: list[float] = []
    start = np.zeros(n, np.int64)
    for key, pairs in enumerate(targets):
        start[key] = len(flat_target)
        count[key] = len(pairs)
        for code, weight in pairs:
            flat_target.append(codes[code])
            flat_weight.append(weight)
        if len(pairs) == 1 and pairs[0][1] == 1.0 and origins[(int(domain[key]), codes[pairs[0][0]])] == 1:
            simple[key] = codes[pairs[0][0]]
    return _Plan(
        targets=pa.array(list(codes), pa.string()),
        simple=simple,
        start=start,
        count=count,
        flat_target=np.asarray(flat_target, np.int32),
        flat_weight=np.asarray(flat_weight, np.float64),
    )


def _with_region(table: pa.Table, region: pa.Array, level: str) -> pa.Table:
    table = table.set_column(table.column_names.index("region"), "region", region)
    levels = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(table.num_rows, np.int8)), pa.array([level], pa.string())
    )
    return table.set_column(table.column_names.index("level"), "level", levels)


def _region(plan: _Plan, indices: np.ndarray) -> pa.DictionaryArray:
    """The target codes as a dictionary column (the indices are the plan's own, so not checked again)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(indices.astype(np.int32, copy=False)), plan.targets, safe=False
    )


def remap(
    table: pa.Table,
    *,
    row_key: np.ndarray,
    targets: Targets,
    domain: np.ndarray,
    variables: Mapping[str, Variable],
    level: str,
    describe_key: Sequence[str],
    operation: str,
    codes: KeyCodes | None = None,
    every_key_used: bool = False,
) -> pa.Table:
    """Re-key ``table`` (canonical columns, dictionaries unified) through ``targets``.

    :param row_key: per row, the index of its source key in ``targets``.
    :param targets: per key, the (target code, weight) pairs; weights of one key sum to 1.  A key with
        no pairs leaves its rows out.
    :param domain: per key, a group such that keys of different groups never share output rows
        (the source year of a series read as reported; all zeros otherwise).
    :param variables: metadata of every variable in the table.
    :param level: the level of every output row.
    :param describe_key: per key, how to name it in an error (``"1507 in 2023"``).
    :param operation: ``"harmonise"`` or ``"roll_up"``, for messages.
    :param codes: the numbering of the key columns other than region (:func:`rest_columns`) for the rows
        of ``table``, when the caller has it; the result remembers its own (:mod:`samhandling.keys`).
    :param every_key_used: the caller knows that every key has rows (saves a pass over the rows).
    :returns: the re-keyed table with the same columns (region as string, or dictionary-encoded if it was
        in ``table``; level as dictionary).
    """
    plan = _plan(targets, domain)
    if _sums_only(table, variables):
        used = np.ones(len(plan.count), bool) if every_key_used else None
        return _remap_additive(table, row_key, plan, level, codes, used)
    # per key, its one target and weight (the rows of keys with one target are not expanded)
    first = np.minimum(plan.start, max(len(plan.flat_target) - 1, 0))
    one_target = np.where(plan.count == 1, plan.flat_target[first] if len(first) else 0, -1)
    one_weight = plan.flat_weight[first] if len(plan.flat_weight) else np.zeros(len(first))
    parts: list[pa.Table] = []
    if (plan.simple >= 0).any():
        simple_rows = np.take(plan.simple, row_key) >= 0
        if simple_rows.all():
            return _concat(
                [_with_region(table, _region(plan, np.take(plan.simple, row_key)), level)], table.schema
            )
        if simple_rows.any():
            simple_keys = row_key[simple_rows]
            picked = table.filter(pa.array(simple_rows))
            parts.append(_with_region(picked, _region(plan, np.take(plan.simple, simple_keys)), level))
            table, row_key = table.filter(pa.array(~simple_rows)), row_key[~simple_rows]

    # the rows left go to their targets by weight, summed per key
    single = np.take(one_target >= 0, row_key) if (one_target < 0).any() else np.ones(len(row_key), bool)
    pieces: list[tuple[pa.Table, np.ndarray, np.ndarray | None]] = []
    if single.any():  # rows that go to one place: no expansion, only a sum per key
        single_keys = row_key if single.all() else row_key[single]
        weighted = not (one_weight[one_target >= 0] == 1.0).all()
        pieces.append(
            (
                table if single.all() else table.filter(pa.array(single)),
                np.take(one_target, single_keys),
                np.take(one_weight, single_keys) if weighted else None,
            )
        )
    if not single.all():  # rows shared between places: repeated once per place (few rows)
        multi_table = table.filter(pa.array(~single)) if single.any() else table
        multi_keys = row_key[~single]
        multi_counts = plan.count[multi_keys]
        rows = np.repeat(np.arange(len(multi_keys), dtype=np.int64), multi_counts)
        ends = np.cumsum(multi_counts)
        offsets = np.arange(int(ends[-1]), dtype=np.int64) - np.repeat(ends - multi_counts, multi_counts)
        positions = np.repeat(plan.start[multi_keys], multi_counts) + offsets
        pieces.append(
            (multi_table.take(pa.array(rows)), plan.flat_target[positions], plan.flat_weight[positions])
        )
    if len(pieces) == 1:
        expanded, target, weight = pieces[0]
    else:
        expanded = pa.concat_tables([t for t, _r, _w in pieces])
        target = np.concatenate([r for _t, r, _w in pieces])
        weight = np.concatenate([w if w is not None else np.ones(t.num_rows) for t, _r, w in pieces])
    expanded = _with_region(expanded, _region(plan, target), level)

    present = _variable_ids(expanded)
    additive = [v for v in present if variables[v].additive]
    ratios = [v for v in present if not variables[v].additive and variables[v].is_ratio]
    others = [v for v in present if not variables[v].additive and not variables[v].is_ratio]
    if others:
        _refuse(others[0], table, row_key, describe_key, variables, operation)

    keys = _key_columns(table)
    if additive:
        part, part_weight = expanded, weight
        if ratios:
            mask = dictionary_mask(part.column("variable"), additive)
            part, part_weight = part.filter(pa.array(mask)), None if weight is None else weight[mask]
        parts.append(_sum(part, part_weight, keys, level))
    result = _concat(parts, table.schema) if parts else _empty_like(table, level)
    if ratios:
        recomputed = _recompute(_rows_of(expanded, ratios), result, keys, variables, describe=operation)
        result = _concat([result, _with_level(recomputed, level)], table.schema)
    return result


def rest_columns(table: pa.Table) -> list[str]:
    """The key columns a re-keying keeps: all but region, level, value and status."""
    return [c for c in _key_columns(table) if c != "region"]


def _sums_only(table: pa.Table, variables: Mapping[str, Variable]) -> bool:
    """Whether :func:`_remap_additive` can re-key ``table``: rows to sum, every variable additive."""
    return bool(table.num_rows) and all(v.additive for v in variables.values())


def _remap_additive(
    table: pa.Table,
    row_key: np.ndarray,
    plan: _Plan,
    level: str,
    codes: KeyCodes | None,
    used: np.ndarray | None,
) -> pa.Table:
    """:func:`remap` of a table of additive variables only, with the same rows in the same order.

    The rows of keys that are only relabelled keep their place, first; every other row's value goes, by
    weight, to (target, the rest of its key), summed there with ``numpy.bincount`` — rows with one
    target in their order, then the rows shared between places, as :func:`remap` adds them.  The rest of
    the key is numbered once for all rows (or taken from ``codes``), so an output key is one integer
    ``target * count + code``: no key column is read per row, and the output columns are built from the
    sums and one row of values per code.  The result remembers the numbering of its rows for the next
    step (:mod:`samhandling.keys`).
    """
    row_key = row_key.astype(np.intp, copy=False)  # numpy converts take indices to intp: once, here
    if used is None:  # the keys that have rows
        used = np.zeros(len(plan.count), bool)
        used[row_key] = True
    simple_key = plan.simple >= 0
    if simple_key[used].all():  # only relabelling: no two rows meet
        relabelled = _concat(
            [_with_region(table, _region(plan, np.take(plan.simple, row_key)), level)], table.schema
        )
        if codes is not None:
            remember_codes(relabelled, codes)
        return relabelled
    rest = codes if codes is not None else number_keys(table, rest_columns(table))
    span = max(rest.count, 1)
    parts: list[pa.Table] = []
    kept: list[np.ndarray] = []
    code = rest.index
    value = table.column("value")
    values = value.to_numpy() if value.num_chunks else np.zeros(0)
    status = table.column("status")
    priority = None
    if status.null_count != table.num_rows:
        priority = priority_of(status).to_numpy(zero_copy_only=False)
    if simple_key[used].any():  # relabelled rows keep their place (and take no part in the sums)
        simple_rows = np.take(simple_key, row_key)
        at = np.flatnonzero(simple_rows)  # positions: a take is faster than a boolean mask on numpy
        mask = pa.array(simple_rows)
        if 2 * len(at) > len(row_key):  # most rows relabelled: the others are taken out to be summed
            relabel = np.take(np.maximum(plan.simple, 0), row_key)  # valid everywhere, kept where simple
            picked = table.set_column(table.column_names.index("region"), "region", _region(plan, relabel))
            picked = _filter(picked.drop_columns(["level"]), mask)
            summed = np.flatnonzero(~simple_rows)
            kept.append(np.take(code, at))
            row_key, code, values = np.take(row_key, summed), np.take(code, summed), np.take(values, summed)
            priority = None if priority is None else np.take(priority, summed)
            used = used & ~simple_key  # every other key keeps its rows
        else:  # a few rows relabelled: taken out; in the sums below they go "nowhere"
            picked = _filter(table.drop_columns(["region", "level"]), mask)
            picked = picked.append_column("region", _region(plan, plan.simple[np.take(row_key, at)]))
            kept.append(np.take(code, at))
        parts.append(picked.append_column("level", _levels(picked.num_rows, level)))

    # the targets of the summed rows, numbered 0 … n-1 in their order so that the key space stays small;
    # relabelled rows still among them go to target n, "nowhere", whose sums are left out
    owner = np.repeat(np.arange(len(plan.count)), plan.count)
    reached = np.zeros(len(plan.targets), bool)
    reached[plan.flat_target[(used & ~simple_key)[owner]]] = True
    target_of = np.flatnonzero(reached)
    nowhere = len(target_of) * span
    size = nowhere + span
    # output keys as numpy's index type, which bincount and the scatters use: no conversion of them
    flat_target = (np.cumsum(reached) - 1).astype(np.intp)[plan.flat_target]
    first = np.minimum(plan.start, max(len(flat_target) - 1, 0))
    first_target = flat_target[first]
    first_target[simple_key | (plan.count != 1)] = len(target_of)  # shared rows: added per place below
    key = np.take(first_target * span, row_key)
    key += code
    if value.null_count:  # the parts without a value have a status, and so does their sum
        values = np.nan_to_num(values, nan=0.0)
    parts_values = values
    first_weight = plan.flat_weight[first]
    if (first_weight[used & (plan.count == 1)] != 1.0).any():
        values = values * np.take(first_weight, row_key)
    if (plan.count[used] > 1).any():  # rows shared between places: added once per place, after the rest
        shared = np.flatnonzero(np.take(plan.count > 1, row_key))
        extra = plan.count[row_key[shared]]
        again = np.repeat(shared, extra)
        ends = np.cumsum(extra)
        offsets = np.arange(int(ends[-1]), dtype=np.int64) - np.repeat(ends - extra, extra)
        positions = np.repeat(plan.start[row_key[shared]], extra) + offsets
        key = np.concatenate([key, flat_target[positions] * span + code[again]])
        values = np.concatenate([values, parts_values[again] * plan.flat_weight[positions]])
        if priority is not None:
            priority = np.concatenate([priority, priority[again]])
    if size <= max(_DENSE_CELLS, 2 * len(key)):  # a small key space: addressed directly
        seen = np.zeros(size, bool)
        seen[key] = True
        distinct = np.flatnonzero(seen[:nowhere])
        del seen
        total = np.bincount(key, weights=values, minlength=size)[distinct]
        group, groups, chosen = key, size, distinct
    else:
        distinct, group = np.unique(key, return_inverse=True)
        groups = len(distinct)
        total = np.bincount(group, weights=values, minlength=groups)
        chosen = np.flatnonzero(distinct < nowhere)
        distinct, total = distinct[chosen], total[chosen]
    out_code = (distinct % span).astype(np.int32 if span < 2**31 else np.int64)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "region": _region(plan, target_of[distinct // span]),
        **dict(zip(rest.columns, rest.values.take(pa.array(out_code)).columns)),
        "level": _levels(len(distinct), level),
    }
    if priority is None:  # no part has a status: neither has any sum
        columns["value"], columns["status"] = pa.array(total), pa.nulls(len(distinct), status_type())
    else:
        highest = np.zeros(groups, np.int8)
        for step in np.flatnonzero(np.bincount(priority)).tolist():
            if step:  # by rising priority, so that the highest is written last
                highest[group[priority == step]] = step
        highest = highest[chosen]
        columns["status"], columns["value"] = _status_and_value(pa.array(highest), pa.array(total))
    parts.append(pa.table(columns))
    kept.append(out_code)
    result = _concat(parts, table.schema)
    index = np.concatenate(kept) if len(kept) > 1 else kept[0]
    remember_codes(result, KeyCodes(columns=rest.columns, index=index, count=rest.count, values=rest.values))
    return result


def _filter(table: pa.Table, mask: pa.Array) -> pa.Table:
    """``table.filter(mask)``; a status column without any status is made anew, not filtered."""
    status = table.column("status")
    if status.null_count < len(status):
        return table.filter(mask)
    kept = table.drop_columns(["status"]).filter(mask)
    return kept.append_column("status", pa.nulls(kept.num_rows, status.type))


def _levels(rows: int, level: str) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int8)), pa.array([level], pa.string()))


def _with_level(table: pa.Table, level: str) -> pa.Table:
    levels = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(table.num_rows, np.int8)), pa.array([level], pa.string())
    )
    return table.append_column("level", levels)


def _empty_like(table: pa.Table, level: str) -> pa.Table:
    empty = table.slice(0, 0)
    return _with_region(empty, pa.array([], pa.string()), level)


def _sum(part: pa.Table, weight: np.ndarray | None, keys: list[str], level: str) -> pa.Table:
    """Weighted values summed per key, with the status the parts give (see the module).

    The rows are grouped by :func:`~samhandling.keys.group_rows` and summed with ``numpy.bincount``;
    the key columns of the result are taken from one row of each group, so their types are kept.

    :param weight: per row, the share of its value that goes to its key (``None``: all of it).
    """
    groups = group_rows(part, keys)
    value = part.column("value")
    values = value.to_numpy() if len(value) else np.zeros(0)
    if value.null_count:  # the parts without a value have a status, and so does their sum
        values = np.nan_to_num(values, nan=0.0)
    if weight is not None:
        values = values * weight
    total = np.bincount(groups.index, weights=values, minlength=groups.count)
    columns: dict[str, pa.Array | pa.ChunkedArray] = dict(
        zip(keys, part.select(keys).take(pa.array(groups.rows)).columns)
    )
    status = part.column("status")
    if status.null_count == part.num_rows:  # no part has a status: neither has any sum
        columns["value"], columns["status"] = pa.array(total), pa.nulls(groups.count, status_type())
    else:
        priority = np.zeros(groups.count, np.int8)
        np.maximum.at(priority, groups.index, priority_of(status).to_numpy(zero_copy_only=False))
        sum_status, columns["value"] = _status_and_value(pa.array(priority), pa.array(total))
        columns["status"] = sum_status
    return _with_level(pa.table(columns), level)


def _concat(parts: Sequence[pa.Table], schema: pa.Schema) -> pa.Table:
    names = list(schema.names)
    aligned = []
    for part in parts:
        columns = []
        for name in names:
            column = part.column(name)
            want = _canonical_type(name, schema.field(name).type)
            if column.type != want:
                if pa.types.is_dictionary(column.type) and not pa.types.is_dictionary(want):
                    column = column.cast(column.type.value_type)
                column = column.cast(want) if not pa.types.is_dictionary(want) else _dict(column, want)
            columns.append(column)
        aligned.append(pa.Table.from_arrays(columns, names=names))
    if len(aligned) == 1:
        return aligned[0]
    return pa.concat_tables(aligned).unify_dictionaries()


def _dict(column: pa.ChunkedArray | pa.Array, want: pa.DataType) -> pa.ChunkedArray | pa.Array:
    if pa.types.is_dictionary(column.type):
        if column.type == want:
            return column
        return column.cast(want)
    return pc.dictionary_encode(column).cast(want)


def _canonical_type(name: str, current: pa.DataType) -> pa.DataType:
    """The type of a column of the engine's output, given its type in the input."""
    fixed = {
        # a dictionary-encoded region column stays one (the next step reads its codes, not its strings)
        "region": current if pa.types.is_dictionary(current) else pa.string(),
        "level": level_type(),
        "variable": variable_type(),
        "status": status_type(),
        "value": pa.float64(),
    }
    return fixed.get(name, current)


def _refuse(
    variable: str,
    table: pa.Table,
    keys: np.ndarray,
    describe_key: Sequence[str],
    variables: Mapping[str, Variable],
    operation: str,
) -> None:
    mask = pc.equal(table.column("variable").cast(pa.string()), variable).combine_chunks()
    first = int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])
    var = variables[variable]
    raise NonAdditiveError(
        f"{operation}: variable {variable!r} is not additive (unit {var.unit!r}) and declares no numerator "
        f"and denominator, so it cannot be summed or shared out; the first area that would need it is "
        f"{describe_key[int(keys[first])]}. Give the variable's parts (additive counts) and declare them "
        f"as Variable(numerator=..., denominator=...), or drop it before {operation}"
    )


def _fill_keys(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Key columns as plain strings with nulls filled, so that joins match empty dimensions."""
    columns = []
    for name in keys:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if name not in TIME_COLUMNS:
            column = pc.fill_null(column.cast(pa.string()), _EMPTY)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=list(keys))


def _recompute(
    ratio_rows: pa.Table,
    parts: pa.Table,
    keys: list[str],
    variables: Mapping[str, Variable],
    *,
    describe: str,
) -> pa.Table:
    """Rate/share rows recomputed from their summed numerator and denominator in ``parts``."""
    out: list[pa.Table] = []
    join_keys = [k for k in keys if k != "variable"]
    for variable in _variable_ids(ratio_rows):
        var = variables[variable]
        assert var.numerator is not None
        assert var.denominator is not None
        wanted = _fill_keys(_rows_of(ratio_rows, [variable]), join_keys)
        wanted = wanted.group_by(join_keys, use_threads=False).aggregate([])
        pieces = {}
        for role, part_id in (("num", var.numerator), ("den", var.denominator)):
            rows = _rows_of(parts, [part_id])
            if not rows.num_rows:
                raise NonAdditiveError(
                    f"{describe}: variable {variable!r} is a ratio ({var.numerator} / {var.denominator}) "
                    f"that has to be recomputed here, but the table has no rows of its "
                    f"{'numerator' if role == 'num' else 'denominator'} {part_id!r}; include them"
                )
            filled = _fill_keys(rows, join_keys)
            pieces[role] = filled.append_column(f"{role}_value", rows.column("value")).append_column(
                f"{role}_priority", priority_of(rows.column("status"))
            )
        joined = wanted.join(pieces["num"], join_keys, join_type="left outer", use_threads=False)
        joined = joined.join(pieces["den"], join_keys, join_type="left outer", use_threads=False)
        missing = pc.or_(pc.is_null(joined.column("num_priority")), pc.is_null(joined.column("den_priority")))
        if pc.any(missing).as_py():
            row = joined.filter(missing).slice(0, 1).to_pylist()[0]
            where = ", ".join(f"{k}={v!r}" for k, v in row.items() if k in join_keys and v != _EMPTY)
            raise NonAdditiveError(
                f"{describe}: cannot recompute {variable!r} = {var.numerator} / {var.denominator} for "
                f"{where}: the table has no matching {var.numerator!r} and {var.denominator!r} rows there"
            )
        num = joined.column("num_value").combine_chunks()
        den = joined.column("den_value").combine_chunks()
        priority = pc.max_element_wise(joined.column("num_priority"), joined.column("den_priority"))
        priority = priority.combine_chunks() if isinstance(priority, pa.ChunkedArray) else priority
        zero_den = pc.and_(pc.less_equal(priority, _ORDINARY), pc.equal(den, 0.0))
        priority = pc.if_else(pc.fill_null(zero_den, False), pa.scalar(2, pa.int8()), priority)
        ordinary = pc.less_equal(priority, _ORDINARY)
        ratio = pc.multiply(pc.divide(num, pc.if_else(zero_den, 1.0, den)), var.scale)
        # A ratio of zero parts is 0 with no status, not "-" (the share of nothing is not "nothing").
        priority = pc.if_else(ordinary, pa.scalar(_ORDINARY, pa.int8()), priority)
        status, value = _status_and_value(
            priority, pc.if_else(ordinary, ratio, pa.scalar(None, pa.float64()))
        )
        columns: dict[str, pa.Array | pa.ChunkedArray] = {}
        for name in keys:
            if name == "variable":
                columns[name] = pa.array([variable] * joined.num_rows, pa.string())
                continue
            column = joined.column(name)
            if name not in TIME_COLUMNS:
                column = pc.if_else(pc.equal(column, _EMPTY), pa.scalar(None, pa.string()), column)
            columns[name] = column
        columns["value"] = value
        columns["status"] = status
        out.append(pa.table(columns))
    return pa.concat_tables(out) if len(out) > 1 else out[0]


def finish(arrow: pa.Table, meta: TableMeta, original_schema: pa.Schema) -> StatTable:
    """A StatTable from engine output: dimension types restored, canonical column order, metadata attached."""
    columns = []
    for name in arrow.column_names:
        column = arrow.column(name)
        if name in original_schema.names and name not in ("region", "level", "variable", "status", "value"):
            want = original_schema.field(name).type
            if column.type != want:
                column = column.cast(want)
        elif name == "region" and pa.types.is_dictionary(column.type):
            region_type = original_schema.field("region").type if "region" in original_schema.names else None
            column = column.cast(region_type if region_type is not None else pa.string())
        elif name in ("level", "variable", "status"):
            column = _dict(
                column, {"level": level_type(), "variable": variable_type(), "status": status_type()}[name]
            )
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=arrow.column_names)
    value = table.column("value")
    total = pc.sum(value).as_py()  # one fast pass: not finite only if a value is infinite (or it overflows)
    infinite = pc.is_inf(value) if total is not None and not math.isfinite(total) else None
    if infinite is not None and pc.any(infinite).as_py():
        row = table.filter(pc.fill_null(infinite, False)).slice(0, 1).to_pylist()[0]
        where = ", ".join(f"{k}={v!r}" for k, v in row.items() if k not in ("value", "status"))
        raise SchemaError(
            f"the result for {where} is {row['value']}: the sum of its parts is larger than a float64 can "
            f"hold (or a part was infinite already); no number is written in its place"
        )
    first = [c for c in ("region", "level", *TIME_COLUMNS) if c in table.column_names]
    last = ["variable", "value", "status"]
    dims = [c for c in table.column_names if c not in first and c not in last]
    table = table.select([*first, *dims, *last]).replace_schema_metadata({METADATA_KEY: meta.to_json()})
    return StatTable(table, meta)
