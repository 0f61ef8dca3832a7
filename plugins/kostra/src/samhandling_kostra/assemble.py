"""From SSB's dimension columns and value cells (long form) to the canonical StatTable columns.

Shared by the CSV, JSON-stat and PX readers, which bring their data into one long form first: a column
per dimension *role* (``region``, ``time``, ``variable``, ``age``, ``sex`` or a dimension of the table's
own) and either the value cells as texts with SSB's symbols or a float64 value column with a status
column.  Every text is interpreted once per distinct value (region labels, periods, contents, ages) and
mapped back to the rows with a dictionary ``take``; nothing is done once per row in Python.

* ``region``: :func:`~samhandling_kostra.regions.parse_region_label`; a table without a region
  dimension covers the whole country (``0``, national).  Rows that are not areas (pseudo-regions,
  grouped codes, KOSTRA groups) are kept with their own level (``groups="keep"``), left out
  (``"drop"``, listed in ``meta.extra["dropped_regions"]``) or refused (``"error"``); the names of the
  non-area codes kept are in ``meta.extra["region_names"]``.
* ``time``: :func:`samhandling.periods.parse_period` — ``year`` and at most one of ``month``,
  ``quarter``, ``week``, or school years (``meta.period``).  One table holds one kind of period.
* ``variable``: the curated catalogue, else :mod:`samhandling.inference`.
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

from samhandling.levels import Level
from samhandling.periods import Period, PeriodKind, UnreadablePeriod, parse_period
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
from samhandling_kostra.dimensions import UnreadableCategory, normalise_age, normalise_sex
from samhandling_kostra.regions import NOT_AREAS, RegionLabel, UnreadableRegion, parse_region_label
from samhandling_kostra.symbols import BadCell, split_values, status_from_symbols

__all__ = ["GROUPS", "CellError", "build", "label_from_title"]

log = logging.getLogger(__name__)
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="samhandling-kostra")
_CONSTANT_PROBE = 1024  # rows compared first when testing whether a column holds one text throughout

#: What ``groups=`` may say about rows that are not areas.
GROUPS = ("keep", "drop", "error")


@typing.final
@attrs.frozen(kw_only=True)
class CellError(Exception):
    """Something wrong at a row of the long form (0-based, before any filtering) in a dimension ``role``
    (``"value"`` for the value cells); ``row`` is ``None`` when the problem is not one row's."""

    row: int | None
    role: str
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


def _constant_column(text: str, length: int) -> pa.ChunkedArray:
    return pa.chunked_array(
        [pa.DictionaryArray.from_arrays(pa.array(np.zeros(length, np.int32)), pa.array([text], pa.string()))]
    )


def build(
    stub: Mapping[str, pa.ChunkedArray],
    *,
    cells: pa.ChunkedArray | None = None,
    value_status: tuple[pa.ChunkedArray, pa.ChunkedArray] | None = None,
    table_id: str | None = None,
    title: str = "",
    variable_label: str | None = None,
    variable_map: Mapping[str, tuple[Variable, dict[str, str]]] | None = None,
    units: Mapping[str, str] | None = None,
    decimal_comma: bool | None = None,
    groups: str = "keep",
    geography_year: int | None = None,
    source: str = "",
) -> StatTable:
    """The StatTable for the long form: dimension columns ``stub`` (role → column, all one length) and
    either ``cells`` (value texts with SSB's symbols) or ``value_status`` (float64 values and status
    symbols, as JSON-stat and PX give them).

    :param variable_map: contents text → (variable, fixed dimensions) decided by the reader (JSON-stat and
        PX know codes, units and measuring types); other contents go through the catalogue.
    :param units: contents text → the source's unit text, for contents not in ``variable_map``.
    :raises CellError: naming the row of the long form and the role of the first problem.
    """
    if groups not in GROUPS:
        raise CellError(
            row=None, role="region", reason=f"groups must be one of {list(GROUPS)}, not {groups!r}"
        )
    if "time" not in stub:
        raise CellError(
            row=None,
            role="time",
            reason=(
                "the table has no time dimension (år, måned, kvartal, uke, skoleår); a "
                "StatTable needs the period"
            ),
        )
    nrows = len(stub["time"])
    if "region" not in stub:
        # SSB: a table without a geographical dimension covers the whole country.
        stub = {"region": _constant_column("0 Hele landet", nrows), **stub}

    # -- regions: each distinct label once -------------------------------------------------------
    labels, region_index = _encoded(stub["region"])
    if region_index.null_count:
        row = int(pc.index(pc.is_null(region_index), True).as_py())
        raise CellError(row=row, role="region", reason="empty region")
    parsed: list[RegionLabel] = []
    for position, text in enumerate(labels):
        try:
            parsed.append(parse_region_label(text or ""))
        except UnreadableRegion as exc:
            raise CellError(row=_first_row(region_index, position), role="region", reason=str(exc)) from None
    not_area = [p.level in NOT_AREAS for p in parsed]
    dropped: dict[str, str] = {}
    original_rows: np.ndarray | None = None  # long-form row of each kept row, when rows were dropped
    kept = nrows
    if any(not_area) and groups != "keep":
        position = not_area.index(True)
        if groups == "error":
            raise CellError(
                row=_first_row(region_index, position),
                role="region",
                reason=(
                    f"{labels[position]!r} is not an area but a {parsed[position].level.replace('_', ' ')} "
                    f"(read with groups='keep' to keep such rows with their own level, or 'drop')"
                ),
            )
        dropped = {parsed[i].code: parsed[i].name for i, flag in enumerate(not_area) if flag}
        log.info("left out %d row group(s) that are not areas: %s", len(dropped), sorted(dropped))
        keep = pc.invert(pa.array(not_area, pa.bool_()).take(region_index))
        mask = keep.to_numpy() if keep.num_chunks else np.zeros(0, dtype=bool)
        original_rows = np.flatnonzero(mask)
        kept = len(original_rows)
        # The rows left out are never decoded below; their texts must still be valid UTF-8.
        left_out = pc.invert(keep)
        for column in [*stub.values(), *([cells] if cells is not None else [])]:
            column.filter(left_out).validate(full=True)
        stub = {role: column.filter(keep) for role, column in stub.items()}
        if cells is not None:
            cells = cells.filter(keep)
        if value_status is not None:
            value_status = (value_status[0].filter(keep), value_status[1].filter(keep))
        labels, region_index = _encoded(stub["region"])
        parsed = [parse_region_label(text or "") for text in labels]

    def row_of(position: int) -> int:
        if original_rows is not None and 0 <= position < kept:
            return int(original_rows[position])
        return position

    splitting: concurrent.futures.Future[tuple[pa.ChunkedArray, pa.ChunkedArray]] | None = None
    if cells is not None:
        # The value cells are independent of the dimensions: split them on the other core meanwhile
        # (pyarrow's kernels release the GIL).
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
    columns: dict[str, pa.ChunkedArray] = {"region": region, "level": level}

    # -- time -----------------------------------------------------------------------------------
    kind = _time_columns(stub["time"], columns, row_of)

    # -- other dimensions -----------------------------------------------------------------------
    dimension_columns: dict[str, pa.ChunkedArray] = {}
    seen_texts: list[str | None] = []  # the distinct texts of the other dimensions, as written
    for role, column in stub.items():
        if role in ("region", "time", "variable"):
            continue
        texts, index = _encoded(column)
        seen_texts += texts
        if role in ("age", "sex"):
            normalise = normalise_age if role == "age" else normalise_sex
            mapped: list[str | None] = []
            for position, text in enumerate(texts):
                try:
                    mapped.append(normalise(text or ""))
                except UnreadableCategory as exc:
                    raise CellError(
                        row=row_of(_first_row(index, position)), role=role, reason=str(exc)
                    ) from None
            texts = list(mapped)
        position_of = {t: i for i, t in enumerate(dict.fromkeys(t for t in texts if t is not None))}
        remap = [position_of[t] if t is not None else None for t in texts]
        dimension_columns[role] = _dictionary_column(
            _mapped(remap, index, pa.int32()), list(position_of), pa.int32()
        )

    # -- variables ------------------------------------------------------------------------------
    variables: dict[str, Variable] = {}
    fixed_by_variable: dict[str, dict[str, str]] = {}
    unmapped_units: dict[str, str] = {}
    label_of_key: dict[str, str] = {}

    def resolve(label: str, row: int | None) -> str:
        if variable_map is not None and label in variable_map:
            variable, fixed = variable_map[label]
        else:
            variable, fixed, unmapped = variable_for(
                table=table_id, code=None, label=label, unit=(units or {}).get(label), title=title
            )
            if unmapped:
                unmapped_units[variable.id] = unmapped
        key = variable.id if not fixed else f"{variable.id}\x00{sorted(fixed.items())}"
        if label_of_key.setdefault(key, label) != label:
            raise CellError(
                row=row,
                role="variable",
                reason=(
                    f"contents {label_of_key[key]!r} and {label!r} both mean variable {variable.id!r}; "
                    f"read them from separate files or rename one"
                ),
            )
        if variables.get(variable.id, variable) != variable:
            raise CellError(
                row=row, role="variable", reason=f"variable {variable.id!r} is declared twice differently"
            )
        variables[variable.id] = variable
        fixed_by_variable[key] = fixed
        return key

    if "variable" in stub:
        contents, contents_index = _encoded(stub["variable"])
        seen_texts += contents
        keys = [
            resolve(text or "", row_of(_first_row(contents_index, position)))
            for position, text in enumerate(contents)
        ]
        unique_keys = list(dict.fromkeys(keys))
        key_column = _mapped([unique_keys.index(k) for k in keys], contents_index, pa.int32())
    else:
        label = variable_label or label_from_title(title)
        if not label:
            raise CellError(
                row=None,
                role="variable",
                reason=(
                    "the file does not say what the values measure (no 'statistikkvariabel' column, no "
                    "contents in the header and no title line); give variable='…'"
                ),
            )
        unique_keys = [resolve(label, None)]
        key_column = pa.chunked_array([pa.array(np.zeros(kept, dtype=np.int32))], pa.int32())
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
                raise CellError(row=row_of(exc.row), role="status", reason=exc.reason) from None
    else:
        assert splitting is not None
        try:
            value, status = splitting.result()
        except BadCell as exc:
            raise CellError(row=row_of(exc.row), role="value", reason=exc.reason) from None

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
    damaged = sum("\ufffd" in (text or "") for text in [*labels, *seen_texts])
    if damaged:
        extra["damaged_labels"] = damaged  # texts with U+FFFD: damaged before they were read
    names = {p.code: p.name for p in parsed if p.level in NOT_AREAS or p.level == Level.HISTORICAL_DISTRICT}
    if names:
        extra["region_names"] = dict(sorted(names.items()))
    if unmapped_units:
        extra["ssb_units"] = unmapped_units
    meta = TableMeta(
        source=source,
        geography_year=geography_year if geography_year is not None else latest,
        variables=variables,
        title=title,
        extra=extra,
        period=PeriodKind.SCHOOL_YEAR.value if kind is PeriodKind.SCHOOL_YEAR else None,
    )
    return StatTable(table.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def _time_columns(
    column: pa.ChunkedArray, columns: dict[str, pa.ChunkedArray], row_of: typing.Callable[[int], int]
) -> PeriodKind:
    """``year`` and the sub-year column from the time dimension; returns the kind of period."""
    plain_years = _plain_years(column)
    if plain_years is not None:
        columns["year"] = plain_years
        return PeriodKind.YEAR
    periods, period_index = _encoded(column)
    parsed: list[Period] = []
    for position, text in enumerate(periods):
        try:
            parsed.append(parse_period(text or ""))
        except UnreadablePeriod as exc:
            raise CellError(
                row=row_of(_first_row(period_index, position)), role="time", reason=str(exc)
            ) from None
    kinds = list(dict.fromkeys(p.kind for p in parsed))
    if len(kinds) > 1:
        first = next(i for i, p in enumerate(parsed) if p.kind is kinds[1])
        raise CellError(
            row=row_of(_first_row(period_index, first)),
            role="time",
            reason=(
                f"the periods mix {kinds[0].value.replace('_', ' ')}s and "
                f"{kinds[1].value.replace('_', ' ')}s ({parsed[0].label!r} and {parsed[first].label!r}); a "
                "table holds one kind of period"
            ),
        )
    year_of = pa.array([p.year for p in parsed], pa.int16())
    columns["year"] = pa.chunked_array([year_of.take(chunk) for chunk in period_index.chunks], pa.int16())
    kind = kinds[0] if kinds else PeriodKind.YEAR
    sub_year = parsed[0].column if parsed else None
    if sub_year is not None:
        part_of = pa.array([p.part for p in parsed], pa.int8())
        columns[sub_year] = pa.chunked_array(
            [part_of.take(chunk) for chunk in period_index.chunks], pa.int8()
        )
    return kind


_TITLE_TAIL = re.compile(r"\s*(?:\((?:[KFBG](?:\+[KFBG])*)\))?\s*(?:\d{4}(?:\s*-\s*\d{4})?)?\s*$")


def label_from_title(title: str) -> str:
    """The contents named by a statbank title: ``"07459: Befolkning, etter region og år"`` → ``"Befolkning"``.

    The table number, the breakdown (``, etter …``, ``, by …``), the level mark (``(K)``) and the years are
    removed.
    """
    text = title.split(":", 1)[1] if re.match(r"^\s*\d{5}\s*:", title) else title
    head = re.split(r",? etter |, by ", text, maxsplit=1)[0]
    return _TITLE_TAIL.sub("", head).strip().rstrip(",").strip()
