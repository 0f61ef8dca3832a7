"""From SSB's dimension columns and value cells to the canonical StatTable columns.

Shared by the CSV and the JSON-stat readers.  Every text is interpreted once per distinct value (region
labels, periods, contents, ages) and mapped back to the rows with a dictionary ``take``; a wide file is
unpivoted by stacking the value columns and repeating the dimension columns as extra chunks, without
copying them.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
import typing
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.tables import (
    METADATA_KEY,
    StatTable,
    TableMeta,
    Variable,
    level_type,
    status_type,
    variable_type,
)
from samhandling_kostra.catalogue import variable_for
from samhandling_kostra.dimensions import UnreadableCategory, normalise_age, normalise_sex, parse_period
from samhandling_kostra.regions import COMPARISON_LEVELS, UnreadableRegion, parse_region_label
from samhandling_kostra.symbols import BadCell, split_values, status_from_symbols

__all__ = ["CellError", "Heading", "build", "label_from_title"]

log = logging.getLogger(__name__)
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="samhandling-kostra")
_CONSTANT_PROBE = 1024  # rows compared first when testing whether a column holds one text throughout


@typing.final
@attrs.frozen(kw_only=True)
class Heading:
    """A value column: its header, and the contents label and period the header names (if any)."""

    column: str
    label: str | None = None
    period: str | None = None


@typing.final
@attrs.frozen(kw_only=True)
class CellError(Exception):
    """Something wrong at a data row (0-based, before any filtering) and column."""

    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        return self.reason


def _encoded(column: pa.ChunkedArray) -> tuple[list[str | None], pa.ChunkedArray]:
    """The distinct texts of a column and its dictionary indices (int32), chunk by chunk.

    A column holding one text throughout (the contents of a one-variable table) is recognised by one
    comparison instead of a hash pass.
    """
    if column.num_chunks == 0 or len(column) == 0:
        return [], pa.chunked_array([], pa.int32())
    if not pa.types.is_dictionary(column.type):
        first = column[0]
        if (
            first.is_valid
            and column.null_count == 0
            and pc.all(pc.equal(column.slice(0, _CONSTANT_PROBE), first)).as_py()
            and pc.all(pc.equal(column, first)).as_py()
        ):
            zeros = [pa.array(np.zeros(len(chunk), dtype=np.int32)) for chunk in column.chunks]
            return [first.as_py()], pa.chunked_array(zeros, pa.int32())
        column = pc.dictionary_encode(column)
    column = column.unify_dictionaries() if column.num_chunks > 1 else column
    dictionary = column.chunk(0).dictionary
    indices = pa.chunked_array([chunk.indices.cast(pa.int32()) for chunk in column.chunks], pa.int32())
    return dictionary.to_pylist(), indices


def _plain_years(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The column as int16 years when every cell is a plain year (the common case), else None."""
    if pa.types.is_dictionary(column.type) or len(column) == 0:
        return None
    try:
        years = column.cast(pa.int16())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    bounds = pc.min_max(years).as_py()
    if years.null_count or bounds["min"] is None or bounds["min"] < 1000 or bounds["max"] > 2999:
        return None
    return years


def _first_row(indices: pa.ChunkedArray, position: int) -> int:
    return int(pc.index(indices, position).as_py())


def _repeat(column: pa.ChunkedArray, times: int) -> pa.ChunkedArray:
    """The column ``times`` over, as more chunks of the same buffers (no copy)."""
    if times == 1:
        return column
    return pa.chunked_array(list(column.chunks) * times, column.type)


def _constant(
    values: Sequence[int], lengths: Sequence[int], dictionary: pa.Array, index_type: pa.DataType
) -> pa.ChunkedArray:
    """A dictionary column holding ``dictionary[values[j]]`` for the ``lengths[j]`` rows of block ``j``."""
    chunks = [
        pa.DictionaryArray.from_arrays(
            pa.array(np.full(length, value, dtype=index_type.to_pandas_dtype())), dictionary
        )
        for value, length in zip(values, lengths, strict=True)
    ]
    return pa.chunked_array(chunks, pa.dictionary(index_type, pa.string()))


def _mapped(
    mapping: Sequence[int | None], index: pa.ChunkedArray, value_type: pa.DataType
) -> pa.ChunkedArray:
    """``mapping[index]`` for every row: a ``take`` of a small array, skipped when the mapping is the
    identity and replaced by a fill when it maps everything to one value."""
    if list(mapping) == list(range(len(mapping))):
        return index if index.type == value_type else index.cast(value_type)
    if len(set(mapping)) == 1 and mapping[0] is not None:
        dtype = value_type.to_pandas_dtype()
        return pa.chunked_array(
            [pa.array(np.full(len(chunk), mapping[0], dtype=dtype)) for chunk in index.chunks], value_type
        )
    lookup = pa.array(list(mapping), value_type)
    return pa.chunked_array([lookup.take(chunk) for chunk in index.chunks], value_type)


def _dictionary_column(
    indices: pa.ChunkedArray, dictionary: Sequence[str], index_type: pa.DataType
) -> pa.ChunkedArray:
    values = pa.array(list(dictionary), pa.string())
    return pa.chunked_array(
        [pa.DictionaryArray.from_arrays(chunk.cast(index_type), values) for chunk in indices.chunks],
        pa.dictionary(index_type, pa.string()),
    )


def build(
    stub: Mapping[str, pa.ChunkedArray],
    values: Sequence[pa.ChunkedArray] = (),
    *,
    headings: Sequence[Heading] = (),
    value_status: tuple[pa.ChunkedArray, pa.ChunkedArray] | None = None,
    column_names: Mapping[str, str] | None = None,
    table_id: str | None = None,
    title: str = "",
    variable_label: str | None = None,
    variable_map: Mapping[str, tuple[Variable, dict[str, str]]] | None = None,
    decimal_comma: bool | None = None,
    groups: str = "drop",
    geography_year: int | None = None,
    source: str = "",
) -> StatTable:
    """The StatTable for dimension columns ``stub`` (role → column) and value columns.

    Either ``values`` (cell texts with SSB's symbols, one column per heading) or ``value_status``
    (one float64 value column and one status-symbol column, as JSON-stat gives them).

    :raises CellError: naming the data row and column of the first problem.
    """
    names = dict(column_names or {})
    nrows = len(next(iter(stub.values()))) if stub else 0

    # -- regions: each distinct label once -------------------------------------------------------
    labels, region_index = _encoded(stub["region"])
    if region_index.null_count:
        row = int(pc.index(pc.is_null(region_index), True).as_py())
        raise CellError(row=row, column=names.get("region", "region"), reason="empty region")
    parsed = []
    for position, text in enumerate(labels):
        try:
            parsed.append(parse_region_label(text or ""))
        except UnreadableRegion as exc:
            raise CellError(
                row=_first_row(region_index, position), column=names.get("region", "region"), reason=str(exc)
            ) from None
    comparison = [p.level in COMPARISON_LEVELS for p in parsed]
    dropped: dict[str, str] = {}
    keep: pa.ChunkedArray | None = None
    if any(comparison):
        position = comparison.index(True)
        if groups == "error":
            raise CellError(
                row=_first_row(region_index, position),
                column=names.get("region", "region"),
                reason=(
                    f"{labels[position]!r} is a KOSTRA comparison group or aggregate, not an area; read with "
                    f"groups='drop' to leave such rows out"
                ),
            )
        dropped = {parsed[i].code: parsed[i].name for i, flag in enumerate(comparison) if flag}
        log.info("left out %d comparison aggregate(s) that are not areas: %s", len(dropped), sorted(dropped))
        keep = pc.invert(pa.array(comparison, pa.bool_()).take(region_index))
    original_rows: np.ndarray | None = None  # data row of each kept row, when rows were dropped
    kept = nrows
    if keep is not None:
        mask = keep.to_numpy() if keep.num_chunks else np.zeros(0, dtype=bool)
        original_rows = np.flatnonzero(mask)
        kept = len(original_rows)
        # The rows left out are never decoded below; their texts must still be valid UTF-8.
        left_out = pc.invert(keep)
        for column in [*stub.values(), *values]:
            column.filter(left_out).validate(full=True)
        stub = {role: column.filter(keep) for role, column in stub.items()}
        values = [column.filter(keep) for column in values]
        if value_status is not None:
            value_status = (value_status[0].filter(keep), value_status[1].filter(keep))
        labels, region_index = _encoded(stub["region"])
        parsed = [parse_region_label(text or "") for text in labels]

    def row_of(position_in_block: int) -> int:
        if original_rows is not None and 0 <= position_in_block < kept:
            return int(original_rows[position_in_block])
        return position_in_block

    blocks = len(values) if value_status is None else 1
    splitting: concurrent.futures.Future[tuple[pa.ChunkedArray, pa.ChunkedArray]] | None = None
    if value_status is None:
        # The value cells are independent of the dimensions: split them on the other core meanwhile
        # (pyarrow's kernels release the GIL).
        cells = pa.chunked_array([chunk for column in values for chunk in column.chunks], pa.string())
        splitting = _EXECUTOR.submit(split_values, cells, decimal_comma=decimal_comma)

    region = pa.chunked_array(
        [pa.array([p.code for p in parsed], pa.string()).take(chunk) for chunk in region_index.chunks],
        pa.string(),
    )
    level_values = sorted({p.level for p in parsed})
    level_of_label = _mapped([level_values.index(p.level) for p in parsed], region_index, pa.int8())
    level_dictionary = pa.array(level_values, pa.string())
    level = pa.chunked_array(
        [pa.DictionaryArray.from_arrays(chunk, level_dictionary) for chunk in level_of_label.chunks],
        level_type(),
    )
    columns: dict[str, pa.ChunkedArray] = {"region": _repeat(region, blocks), "level": _repeat(level, blocks)}

    # -- time -----------------------------------------------------------------------------------
    time_role = "year" if "year" in stub else ("month" if "month" in stub else None)
    plain_years = _plain_years(stub[time_role]) if time_role is not None else None
    if plain_years is not None:
        columns["year"] = _repeat(plain_years, blocks)
    elif time_role is not None:
        periods, period_index = _encoded(stub[time_role])
        parsed_periods = []
        for position, text in enumerate(periods):
            try:
                parsed_periods.append(parse_period(text or ""))
            except UnreadableCategory as exc:
                raise CellError(
                    row=row_of(_first_row(period_index, position)),
                    column=names.get(time_role, time_role),
                    reason=str(exc),
                ) from None
        year_of = pa.array([p[0] for p in parsed_periods], pa.int16())
        columns["year"] = _repeat(
            pa.chunked_array([year_of.take(chunk) for chunk in period_index.chunks], pa.int16()), blocks
        )
        if any(p[1] is not None for p in parsed_periods):
            if any(p[1] is None for p in parsed_periods):
                raise CellError(
                    row=None, column=names.get(time_role, time_role), reason="years and months are mixed"
                )
            month_of = pa.array([p[1] for p in parsed_periods], pa.int8())
            columns["month"] = _repeat(
                pa.chunked_array([month_of.take(chunk) for chunk in period_index.chunks], pa.int8()), blocks
            )
    else:
        parsed_heading_periods = []
        for heading in headings:
            try:
                parsed_heading_periods.append(parse_period(heading.period or ""))
            except UnreadableCategory as exc:
                raise CellError(row=None, column=heading.column, reason=str(exc)) from None
        columns["year"] = pa.chunked_array(
            [pa.array(np.full(kept, p[0], dtype=np.int16)) for p in parsed_heading_periods], pa.int16()
        )
        months = [p[1] for p in parsed_heading_periods]
        if any(m is not None for m in months):
            if any(m is None for m in months):
                raise CellError(row=None, column=headings[0].column, reason="years and months are mixed")
            columns["month"] = pa.chunked_array(
                [pa.array(np.full(kept, m, dtype=np.int8)) for m in months], pa.int8()
            )

    # -- other dimensions -----------------------------------------------------------------------
    dimension_columns: dict[str, pa.ChunkedArray] = {}
    for role, column in stub.items():
        if role in ("region", "year", "month", "variable"):
            continue
        texts, index = _encoded(column)
        if role in ("age", "sex"):
            normalise = normalise_age if role == "age" else normalise_sex
            mapped: list[str | None] = []
            for position, text in enumerate(texts):
                try:
                    mapped.append(normalise(text or ""))
                except UnreadableCategory as exc:
                    raise CellError(
                        row=row_of(_first_row(index, position)), column=names.get(role, role), reason=str(exc)
                    ) from None
            texts = list(mapped)
        position_of = {t: i for i, t in enumerate(dict.fromkeys(t for t in texts if t is not None))}
        remap = [position_of[t] if t is not None else None for t in texts]
        dimension_columns[role] = _repeat(
            _dictionary_column(_mapped(remap, index, pa.int32()), list(position_of), pa.int32()), blocks
        )

    # -- variables ------------------------------------------------------------------------------
    variables: dict[str, Variable] = {}
    fixed_by_variable: dict[str, dict[str, str]] = {}
    unmapped_units: dict[str, str] = {}

    label_of_key: dict[str, str] = {}

    def resolve(label: str, column: str, row: int | None) -> str:
        if variable_map is not None and label in variable_map:
            variable, fixed = variable_map[label]
        else:
            variable, fixed, unmapped = variable_for(table=table_id, code=None, label=label)
            if unmapped:
                unmapped_units[variable.id] = unmapped
        key = variable.id if not fixed else f"{variable.id}\x00{sorted(fixed.items())}"
        if label_of_key.setdefault(key, label) != label:
            raise CellError(
                row=row,
                column=column,
                reason=(
                    f"contents {label_of_key[key]!r} and {label!r} both mean variable {variable.id!r}; "
                    f"read them from separate files or rename one"
                ),
            )
        if variables.get(variable.id, variable) != variable:
            raise CellError(
                row=row, column=column, reason=f"variable {variable.id!r} is declared twice differently"
            )
        variables[variable.id] = variable
        fixed_by_variable[key] = fixed
        return key

    if "variable" in stub:
        contents, contents_index = _encoded(stub["variable"])
        keys = []
        for position, text in enumerate(contents):
            keys.append(
                resolve(
                    text or "",
                    names.get("variable", "variable"),
                    row_of(_first_row(contents_index, position)),
                )
            )
        unique_keys = list(dict.fromkeys(keys))
        key_column = _repeat(
            _mapped([unique_keys.index(k) for k in keys], contents_index, pa.int32()), blocks
        )
    else:
        keys = []
        for heading in headings:
            label = heading.label or variable_label or label_from_title(title)
            if not label:
                raise CellError(
                    row=None,
                    column=heading.column,
                    reason=(
                        "the file does not say what the values measure (no 'statistikkvariabel' column, no "
                        "contents in the header and no title line); give variable='…'"
                    ),
                )
            keys.append(resolve(label, heading.column, None))
        unique_keys = list(dict.fromkeys(keys))
        key_column = pa.chunked_array(
            [pa.array(np.full(kept, unique_keys.index(k), dtype=np.int32)) for k in keys], pa.int32()
        )
    variable_ids = [k.split("\x00", 1)[0] for k in unique_keys]
    id_order = list(dict.fromkeys(variable_ids))
    variable_column = _dictionary_column(
        _mapped([id_order.index(v) for v in variable_ids], key_column, pa.int32()), id_order, pa.int32()
    )
    fixed_roles = sorted({role for key in unique_keys for role in fixed_by_variable.get(key, {})})
    for role in fixed_roles:
        wanted = [fixed_by_variable.get(key, {}).get(role) for key in unique_keys]
        existing = dimension_columns.get(role)
        if existing is not None:
            current = existing.cast(pa.string())
        else:
            current = pa.chunked_array(
                [pa.nulls(len(c), pa.string()) for c in key_column.chunks], pa.string()
            )
        override = pa.chunked_array(
            [pa.array(wanted, pa.string()).take(c) for c in key_column.chunks], pa.string()
        )
        merged = pc.coalesce(override, current)
        dimension_columns[role] = pc.dictionary_encode(merged).cast(pa.dictionary(pa.int32(), pa.string()))

    # -- values and statuses --------------------------------------------------------------------
    if value_status is not None:
        value, status_text = value_status
        if status_text.type == status_type():
            status = status_text
        else:
            try:
                status = status_from_symbols(status_text)
            except BadCell as exc:
                raise CellError(
                    row=row_of(exc.row), column=names.get("status", "status"), reason=exc.reason
                ) from None
    else:
        assert splitting is not None
        try:
            value, status = splitting.result()
        except BadCell as exc:
            block, position = divmod(exc.row, kept) if kept else (0, exc.row)
            column = headings[block].column if block < len(headings) else None
            raise CellError(row=row_of(position), column=column, reason=exc.reason) from None

    arrays: dict[str, pa.ChunkedArray] = {**columns}
    for role in sorted(dimension_columns, key=lambda r: list(stub).index(r) if r in stub else len(stub)):
        arrays[role] = dimension_columns[role]
    arrays["variable"] = variable_column.cast(variable_type())
    arrays["value"] = value
    arrays["status"] = status
    table = pa.table(arrays)
    latest = pc.max(table.column("year")).as_py() if table.num_rows else None
    extra: dict[str, object] = {}
    if table_id:
        extra["ssb_table"] = table_id
    if dropped:
        extra["dropped_regions"] = dropped
    if unmapped_units:
        extra["ssb_units"] = unmapped_units
    meta = TableMeta(
        source=source,
        geography_year=geography_year if geography_year is not None else latest,
        variables=variables,
        title=title,
        extra=extra,
    )
    return StatTable(table.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


_TITLE_TAIL = re.compile(r"\s*(?:\((?:[KFBG](?:\+[KFBG])*)\))?\s*(?:\d{4}(?:\s*-\s*\d{4})?)?\s*$")


def label_from_title(title: str) -> str:
    """The contents named by a statbank title: ``"07459: Befolkning, etter region og år"`` → ``"Befolkning"``.

    The table number, the breakdown (``, etter …``), the level mark (``(K)``) and the years are removed.
    """
    text = title.split(":", 1)[1] if re.match(r"^\s*\d{5}\s*:", title) else title
    head = re.split(r",? etter |, by ", text, maxsplit=1)[0]
    return _TITLE_TAIL.sub("", head).strip()
