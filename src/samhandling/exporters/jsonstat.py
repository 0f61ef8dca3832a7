"""JSON-stat 2.0: the format SSB and FHI publish statistics in, written from a StatTable.

The long table becomes a cube.  Its dimensions, in this order (the last one varies fastest, as in SSB's
own responses)::

    region [level] dimension… variable year [month|quarter|week]

* ``region`` has the role *geo*; ``year`` and a sub-year column the role *time*; ``variable`` the role
  *metric*, with ``category.unit`` per variable (``label`` is the exact pint unit string, ``decimals``
  the fewest decimals that show every value exactly).
* ``value`` is a dense array when at least half the cells hold a value, otherwise a sparse object of
  cell index → value; ``status`` is always an object of cell index → SSB symbol (``.``, ``..``,
  ``...``, ``:``, ``-``).  A ``-`` cell has the value 0.
* Regions are labelled with their names in the geography of the table's year (``"3301": "Drammen"``),
  variables with their labels, dimensions with SSB's Norwegian names (``år``, ``statistikkvariabel``).
* An empty dimension value (e.g. no profession for a rate) is the category ``_`` labelled
  "(ikke fordelt)".
* ``extension.samhandling`` (written before the dimensions, so a reader can recognise the file early)
  holds everything a reader needs to get the same StatTable back: the table metadata exactly as
  :meth:`TableMeta.to_json` writes it (``source``, ``geography_year``, ``title``, ``variables``,
  ``provenance``, ``extra``), plus ``levels`` (region code → level),
  ``columns`` (column name → Arrow type) and ``null_category`` (dimension → the category id that
  stands for an empty value).  When one region code occurs at two levels, ``level`` is written as a
  dimension of its own instead of ``levels``.

Reading back: :func:`read_jsonstat` (and the built-in source ``samhandling-jsonstat``, which
:func:`samhandling.read` picks for these files) decodes the cube with :func:`decode_cells` and
:func:`restore_table` turns the cells back into the StatTable.  The KOSTRA plugin's JSON-stat source
uses :func:`restore_table` too, and so can any other reader.  JSON-stat from SSB and FHI themselves is
read by that plugin.

Everything is columnar: cell positions are dictionary codes times strides (numpy), the value and status
texts are built with pyarrow compute, and the cube is never visited cell by cell in Python.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling import atomic
from samhandling.errors import ExportError, ParseError, SourceError
from samhandling.hookspecs import hookimpl
from samhandling.jsonstat import Dataset, datasets, parse
from samhandling.periods import TIME_COLUMNS
from samhandling.registry import Registrar
from samhandling.tables import StatTable, Status, TableMeta

__all__ = [
    "DIMENSION_LABELS",
    "NULL_CATEGORY",
    "NULL_CATEGORY_LABEL",
    "JsonStatExporter",
    "JsonStatSource",
    "dataset_cells",
    "decode_cells",
    "dumps",
    "from_jsonstat",
    "read_jsonstat",
    "restore_table",
    "to_jsonstat",
]

#: Norwegian labels of the dimensions the library knows, as SSB names them in its tables.
DIMENSION_LABELS: dict[str, str] = {
    "region": "region",
    "level": "nivå",
    "year": "år",
    "month": "måned",
    "quarter": "kvartal",
    "week": "uke",
    "variable": "statistikkvariabel",
    "age": "alder",
    "sex": "kjønn",
    "profession": "yrke",
    "education": "utdanning",
    "target_group": "målgruppe",
    "unit": "enhet",
    "unit_type": "enhetstype",
    "service_kind": "tjenestetype",
}

#: The category id that stands for an empty dimension value (unless a real value is spelled so).
NULL_CATEGORY = "_"
NULL_CATEGORY_LABEL = "(ikke fordelt)"

#: Share of filled cells from which ``value`` is written as a dense array.
DENSE_FROM = 0.5
#: JSON readers in JavaScript count cells with doubles; refuse cubes they cannot address exactly.
MAX_CELLS = 2**53
#: Most decimals announced in ``category.unit.decimals`` (values themselves are written exactly).
MAX_DECIMALS = 9
EXTENSION_VERSION = 1


@typing.final
@attrs.frozen(kw_only=True)
class _Axis:
    """One dimension of the cube: its categories and each row's position along it."""

    id: str
    categories: list[str]
    codes: np.ndarray = attrs.field(eq=False)
    null_category: str | None = None

    @property
    def size(self) -> int:
        return len(self.categories)


def _arrow_type_name(data_type: pa.DataType) -> str:
    if pa.types.is_dictionary(data_type):
        return f"dictionary<{data_type.index_type}:{data_type.value_type}>"
    return str(data_type)


def _null_category(categories: Sequence[str]) -> str:
    taken = set(categories)
    candidate = NULL_CATEGORY
    while candidate in taken:
        candidate += NULL_CATEGORY
    return candidate


def _axis(name: str, column: pa.ChunkedArray) -> _Axis:
    """Categories (sorted, only those used) and the code of every row, from a dictionary encoding."""
    if pa.types.is_dictionary(column.type):
        column = column.unify_dictionaries() if column.num_chunks > 1 else column
        encoded = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    else:
        encoded = pc.dictionary_encode(column.combine_chunks())
    dictionary = encoded.dictionary
    indices = pc.fill_null(encoded.indices.cast(pa.int64()), -1).to_numpy(zero_copy_only=False)
    present = indices >= 0
    used = np.flatnonzero(np.bincount(indices[present], minlength=len(dictionary)) > 0)
    used_values = dictionary.take(pa.array(used, pa.int64()))
    order = np.asarray(pc.array_sort_indices(used_values), dtype=np.int64)
    rank = np.full(len(dictionary), -1, dtype=np.int64)
    rank[used[order]] = np.arange(len(used), dtype=np.int64)
    categories = [str(v) for v in used_values.take(pa.array(order, pa.int64())).to_pylist()]
    # rank has one extra slot for the empty rows, so a column with no values at all works too
    rank = np.append(rank, len(categories))
    codes = rank[np.where(present, indices, len(dictionary))]
    null_category = None
    if not present.all():
        null_category = _null_category(categories)
        categories.append(null_category)
    return _Axis(id=name, categories=categories, codes=codes, null_category=null_category)


def _region_levels(table: pa.Table) -> dict[str, str] | None:
    """Region code → level, or ``None`` when a code occurs at more than one level."""
    pairs = table.select(["region", "level"]).group_by(["region", "level"]).aggregate([])
    regions = pairs.column("region").to_pylist()
    if len(set(regions)) != len(regions):
        return None
    levels = pairs.column("level").cast(pa.string()).to_pylist()
    return dict(sorted(zip(regions, levels, strict=True)))


def _decimals(values: np.ndarray) -> int:
    """The fewest decimals (up to :data:`MAX_DECIMALS`) that show every value exactly."""
    finite = values[np.isfinite(values)]
    with np.errstate(over="ignore", invalid="ignore"):  # rounding 1e306 to 3 decimals overflows
        for decimals in range(MAX_DECIMALS + 1):
            if np.array_equal(np.round(finite, decimals), finite):
                return decimals
    return MAX_DECIMALS


def _number_text(values: pa.Array) -> pa.Array:
    """Shortest text that reads back to the same float64 (Arrow's formatting; valid JSON numbers)."""
    return values.cast(pa.large_string())


def _join(texts: pa.Array, separator: str) -> str:
    """All strings of ``texts`` joined, in one pyarrow kernel call."""
    if len(texts) == 0:
        return ""
    offsets = pa.array([0, len(texts)], pa.int64())
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(offsets, texts.cast(pa.large_string())),
        pa.scalar(separator, pa.large_string()),
    )
    return str(joined[0].as_py())


def _concat(*parts: str | pa.Array) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings (one kernel call)."""
    texts = [
        pa.scalar(p, pa.large_string()) if isinstance(p, str) else p.cast(pa.large_string()) for p in parts
    ]
    return pc.binary_join_element_wise(*texts, pa.scalar("", pa.large_string()))


def _row_label(table: pa.Table, row: int, names: Sequence[str]) -> str:
    return ", ".join(f"{name}={table.column(name)[row].as_py()!r}" for name in names)


def _cube(table: StatTable) -> tuple[list[_Axis], np.ndarray, dict[str, str] | None]:
    """The axes of the cube and the cell position of every row."""
    arrow = table.arrow
    levels = _region_levels(arrow)
    order = ["region"]
    if levels is None:
        order.append("level")
    order += table.dimensions
    order += ["variable", "year"]
    if table.sub_year is not None:
        order.append(table.sub_year)
    axes = [_axis(name, arrow.column(name)) for name in order]
    total = math.prod(axis.size for axis in axes)
    if total > MAX_CELLS:
        raise ExportError(
            f"the JSON-stat cube would have {total} cells (sizes "
            f"{ {a.id: a.size for a in axes} }), more than JSON-stat readers can address; "
            f"split the table (e.g. by variable) or write Parquet instead"
        )
    position = np.zeros(arrow.num_rows, dtype=np.int64)
    stride = 1
    for axis in reversed(axes):
        position += axis.codes * stride
        stride *= axis.size
    ordered = np.sort(position)
    clash = np.flatnonzero(ordered[1:] == ordered[:-1])
    if clash.size:
        rows = np.flatnonzero(position == ordered[clash[0]])[:2]
        raise ExportError(
            f"rows {int(rows[0])} and {int(rows[1])} describe the same cell "
            f"({_row_label(arrow, int(rows[0]), order)}); JSON-stat holds one value per cell — "
            f"aggregate or remove the duplicates first"
        )
    return axes, position, levels


def _dimension_entry(
    axis: _Axis, table: StatTable, region_labels: Mapping[str, str] | None
) -> dict[str, Any]:
    labels: dict[str, str] = {}
    if axis.id == "variable":
        for variable_id in axis.categories:
            variable = table.meta.variables.get(variable_id)
            labels[variable_id] = (variable.label if variable else "") or variable_id
    elif axis.id == "region" and region_labels:
        labels = {code: region_labels.get(code, code) for code in axis.categories}
    else:
        labels = {category: category for category in axis.categories}
    if axis.null_category is not None:
        labels[axis.null_category] = NULL_CATEGORY_LABEL
    category: dict[str, Any] = {"index": list(axis.categories), "label": labels}
    entry: dict[str, Any] = {"label": DIMENSION_LABELS.get(axis.id, axis.id), "category": category}
    if axis.id == "variable":
        values = table.arrow.column("value").to_numpy(zero_copy_only=False)
        units: dict[str, Any] = {}
        for position, variable_id in enumerate(axis.categories):
            decimals = _decimals(values[axis.codes == position])
            units[variable_id] = {"label": table.unit_of(variable_id), "decimals": decimals}
        category["unit"] = units
    return entry


def _extension(table: StatTable, axes: Sequence[_Axis], levels: Mapping[str, str] | None) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(table.meta.to_json())
    payload["extension_version"] = EXTENSION_VERSION
    payload["columns"] = {field.name: _arrow_type_name(field.type) for field in table.arrow.schema}
    payload["null_category"] = {a.id: a.null_category for a in axes if a.null_category is not None}
    if levels is not None:
        payload["levels"] = dict(levels)
    return payload


def _updated(updated: str | dt.datetime | None) -> str:
    if isinstance(updated, str):
        return updated
    moment = updated or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status_notes(table: StatTable) -> list[str]:
    used = {s for s in table.status_counts() if s is not None}
    return [f"{status.value} {status.label}" for status in Status if status.value in used]


def dumps(
    table: StatTable,
    *,
    label: str | None = None,
    updated: str | dt.datetime | None = None,
    value_form: typing.Literal["auto", "dense", "sparse"] = "auto",
    region_labels: Mapping[str, str] | bool | None = True,
) -> str:
    """The table as a JSON-stat 2.0 dataset (a JSON text).

    :param label: the dataset label; default the table title, else its source.
    :param updated: when the data was last updated (ISO 8601); default now (UTC).
    :param value_form: ``"dense"`` array, ``"sparse"`` object, or ``"auto"`` (dense from half full).
    :param region_labels: names for region codes (e.g. ``{"3301": "Drammen"}``); ``True`` (default)
        takes them from the embedded geography of the table's year, ``False`` labels regions by code.
    :raises ExportError: the table is empty, two rows describe the same cell, or a value is infinite.
    """
    if value_form not in ("auto", "dense", "sparse"):
        raise ExportError(f"value_form must be 'auto', 'dense' or 'sparse', not {value_form!r}")
    arrow = table.arrow
    if arrow.num_rows == 0:
        raise ExportError("a JSON-stat dataset needs at least one observation; the table is empty")
    value = arrow.column("value").combine_chunks()
    infinite = pc.fill_null(pc.is_inf(value), False)
    if pc.any(infinite).as_py():
        row = int(pc.index(infinite, True).as_py())
        raise ExportError(f"row {row} has the value {value[row].as_py()}, which JSON cannot hold")
    axes, position, levels = _cube(table)
    total = math.prod(axis.size for axis in axes)

    document: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": label if label is not None else (table.meta.title or table.meta.source or "samhandling"),
    }
    if table.meta.source:
        document["source"] = table.meta.source
    document["updated"] = _updated(updated)
    notes = _status_notes(table)
    if notes:
        document["note"] = notes
    # The extension comes before the (possibly large) dimensions, so a reader can recognise a file
    # written by samhandling from its first kilobytes.
    document["extension"] = {"samhandling": _extension(table, axes, levels)}
    document["id"] = [axis.id for axis in axes]
    document["size"] = [axis.size for axis in axes]
    role: dict[str, list[str]] = {
        "geo": ["region"],
        "time": [a.id for a in axes if a.id in TIME_COLUMNS],
    }
    role["metric"] = ["variable"]
    document["role"] = role
    if region_labels is True:
        from samhandling.exporters._labels import region_names

        names: Mapping[str, str] | None = region_names(axes[0].categories, table.geography_year)
    else:
        names = region_labels or None
    document["dimension"] = {axis.id: _dimension_entry(axis, table, names) for axis in axes}

    has_value = pc.is_valid(value)
    filled = int(pc.sum(has_value).as_py() or 0)
    dense = value_form == "dense" or (value_form == "auto" and filled >= DENSE_FROM * total)
    numbers = _number_text(value)
    if dense:
        row_of_cell = np.full(total, -1, dtype=np.int64)
        row_of_cell[position] = np.arange(arrow.num_rows, dtype=np.int64)
        cells = numbers.take(pa.array(row_of_cell, pa.int64(), mask=row_of_cell < 0))
        value_text = "[" + _join(pc.fill_null(cells, "null"), ",") + "]"
    else:
        keep = has_value.to_numpy(zero_copy_only=False)
        value_text = "{" + _join(_entries(position[keep], numbers.filter(has_value)), ",") + "}"
    status = arrow.column("status").combine_chunks()
    has_status = pc.is_valid(status)
    status_text = ""
    if pc.any(has_status).as_py():
        symbols = _concat('"', status.filter(has_status), '"')
        keep = has_status.to_numpy(zero_copy_only=False)
        status_text = ',"status":{' + _join(_entries(position[keep], symbols), ",") + "}"
    head = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return f'{head[:-1]},"value":{value_text}{status_text}}}'


def _entries(positions: np.ndarray, texts: pa.Array) -> pa.Array:
    """``"position":text`` for each position (the members of a sparse JSON-stat object)."""
    return _concat('"', pa.array(positions, pa.int64()).cast(pa.large_string()), '":', texts)


def to_jsonstat(table: StatTable, **options: Any) -> dict[str, Any]:
    """The table as a JSON-stat 2.0 dataset (a dict, e.g. to return from a web API); see :func:`dumps`."""
    result: dict[str, Any] = json.loads(dumps(table, **options))
    return result


@typing.final
class JsonStatExporter:
    """Write a StatTable as a JSON-stat 2.0 dataset that reads back into the same StatTable."""

    name = "jsonstat"
    description = "JSON-stat 2.0 dataset (as SSB and FHI publish); metadata kept in extension.samhandling"
    suffixes = (".json", ".jsonstat")

    def write(
        self,
        table: StatTable,
        destination: str | Path,
        *,
        label: str | None = None,
        updated: str | dt.datetime | None = None,
        value_form: typing.Literal["auto", "dense", "sparse"] = "auto",
        region_labels: Mapping[str, str] | bool | None = True,
    ) -> Path:
        """Write the dataset; the options are those of :func:`dumps`."""
        text = dumps(table, label=label, updated=updated, value_form=value_form, region_labels=region_labels)
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, text)
        return path


# -------------------------------------------------------------------------------------------------
# Reading back
# -------------------------------------------------------------------------------------------------

_INTEGER_TYPES = {
    name: getattr(pa, name)()
    for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
}
_STRING_TYPES = {"string": pa.string(), "large_string": pa.large_string(), "utf8": pa.string()}


def _arrow_type(name: str, *, column: str, location: object) -> pa.DataType:
    if name in _INTEGER_TYPES:
        return _INTEGER_TYPES[name]
    if name in _STRING_TYPES:
        return _STRING_TYPES[name]
    if name.startswith("dictionary<") and name.endswith(">"):
        index, _, value = name[len("dictionary<") : -1].partition(":")
        if index in _INTEGER_TYPES and value in _STRING_TYPES:
            return pa.dictionary(_INTEGER_TYPES[index], _STRING_TYPES[value])
    raise ParseError(
        f"the samhandling metadata gives column {column!r} the type {name!r}; expected a string, "
        f"integer or dictionary type",
        path=location,
    )


def _restore_column(
    cells: pa.Table, name: str, type_name: str, null_category: str | None, location: object
) -> pa.ChunkedArray:
    column = cells.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    column = column.cast(pa.string())
    if null_category is not None:
        column = pc.if_else(pc.equal(column, null_category), pa.scalar(None, pa.string()), column)
    target = _arrow_type(type_name, column=name, location=location)
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ParseError(
            f"the categories of dimension {name!r} cannot be read as {type_name}: {exc}", path=location
        ) from exc


def restore_table(
    cells: pa.Table,
    extension: Mapping[str, Any],
    *,
    location: str | Path | None = None,
) -> StatTable:
    """The StatTable that :class:`JsonStatExporter` wrote, from the cells a JSON-stat reader decoded.

    :param cells: one row per cell: a column per dimension id holding category ids (strings),
        ``value`` (float64, null where empty) and ``status`` (symbol or null).  Cells with neither a
        value nor a status are dropped (they were not rows of the table).
    :param extension: the dataset's ``extension`` object, or its ``samhandling`` member.
    :param location: the file the cells came from, named in errors.
    :raises ParseError: the extension or the cells do not match what the exporter writes.
    """
    payload = extension.get("samhandling", extension)
    if not isinstance(payload, Mapping) or "columns" not in payload:
        raise ParseError(
            "the JSON-stat dataset has no extension.samhandling.columns; it was not written by samhandling",
            path=location,
        )
    meta = TableMeta.from_json(json.dumps(payload))
    columns: Mapping[str, str] = payload["columns"]
    null_categories: Mapping[str, str] = payload.get("null_category", {})
    for required in ("value", "status", "region", "variable", "year"):
        if required not in cells.column_names:
            raise ParseError(f"the decoded cells have no column {required!r}", path=location)
    value = cells.column("value").cast(pa.float64())
    status = cells.column("status")
    if pa.types.is_dictionary(status.type):
        status = status.cast(status.type.value_type)
    status = status.cast(pa.string())
    keep = pc.or_(pc.is_valid(value), pc.is_valid(status))
    if not pc.all(keep).as_py():
        cells = cells.filter(keep)
        value, status = value.filter(keep), status.filter(keep)
    restored: dict[str, pa.ChunkedArray] = {}
    for name, type_name in columns.items():
        if name in ("value", "status", "variable", "level"):
            continue
        if name not in cells.column_names:
            raise ParseError(
                f"the dataset has no dimension {name!r} that extension.samhandling lists", path=location
            )
        restored[name] = _restore_column(cells, name, type_name, null_categories.get(name), location)
    if "level" in cells.column_names:
        level = cells.column("level").cast(pa.string())
    else:
        levels: Mapping[str, str] = payload.get("levels", {})
        keys = pa.array(list(levels), pa.string())
        found = pc.index_in(restored["region"], value_set=keys)
        if found.null_count:
            missing = restored["region"].filter(pc.is_null(found))[0].as_py()
            raise ParseError(
                f"region {missing!r} has no level in extension.samhandling.levels", path=location
            )
        level = pa.array(list(levels.values()), pa.string()).take(found)
    arrays: dict[str, Any] = {}
    for name in columns:
        if name == "level":
            arrays[name] = level
        elif name == "variable":
            arrays[name] = cells.column("variable").cast(pa.string())
        elif name == "value":
            arrays[name] = value
        elif name == "status":
            arrays[name] = status
        else:
            arrays[name] = restored[name]
    return StatTable.from_arrow(pa.table(arrays), meta=meta)


def decode_cells(document: Mapping[str, Any], *, location: str | Path | None = None) -> pa.Table:
    """The cells of a JSON-stat dataset that hold a value or a status, one row per cell.

    Columns: one per dimension id (dictionary-encoded category ids), then ``value`` (float64) and
    ``status`` (string).  Cells with neither a value nor a status are left out.  The decoding (sizes,
    limits, value and status forms, JSON-stat 1.x and 2.0) is :mod:`samhandling.jsonstat`'s; cell
    coordinates are computed from the cell numbers with integer arithmetic on whole arrays.

    :param document: the parsed JSON of a dataset.
    :param location: the file the document came from, named in errors.
    :raises ParseError: the document is not a JSON-stat dataset, or its parts disagree.
    """
    if not isinstance(document, Mapping):
        raise ParseError("a JSON-stat dataset is a JSON object", path=location)
    if document.get("class") not in ("dataset", None):
        found = document.get("class")
        raise ParseError(
            f"expected a JSON-stat dataset (class 'dataset'), found class {found!r}"
            + ("; read each dataset of a collection separately" if found == "collection" else ""),
            path=location,
        )
    return dataset_cells(_decoded_dataset(document, None, location))


def _decoded_dataset(
    document: Mapping[str, Any], values: pa.Array | None, location: str | Path | None
) -> Dataset:
    found = datasets(document, values, location=location)
    if len(found) != 1:
        raise ParseError(
            f"expected one JSON-stat dataset, found {len(found)}; read each dataset separately", path=location
        )
    return found[0]


def dataset_cells(dataset: Dataset) -> pa.Table:
    """The cells of a decoded dataset (:class:`samhandling.jsonstat.Dataset`) that hold a value or a
    status, one row per cell, in the columns :func:`decode_cells` gives (what :func:`restore_table` takes).
    """
    values = dataset.values
    status = dataset.status if dataset.status is not None else pa.nulls(len(values), pa.string())
    if pa.types.is_dictionary(status.type):
        status = status.cast(pa.string())
    keep = pc.or_(pc.is_valid(values), pc.is_valid(status))
    arrays: dict[str, pa.Array] = {}
    for number, dimension in enumerate(dataset.dimensions):
        arrays[dimension.id] = pa.DictionaryArray.from_arrays(
            pa.array(dataset.category_index(number), pa.int32()), pa.array(list(dimension.codes), pa.string())
        )
    arrays["value"] = values
    arrays["status"] = status
    table = pa.table(arrays)
    return table if pc.all(keep).as_py() else table.filter(keep)


_SAMHANDLING_MARK = re.compile(rb'"extension"\s*:\s*\{\s*"samhandling"\s*:\s*\{')
_SNIFF_BYTES = 1 << 16


def from_jsonstat(
    document: Mapping[str, Any] | str | bytes, *, location: str | Path | None = None
) -> StatTable:
    """The StatTable in a JSON-stat 2.0 dataset written by :class:`JsonStatExporter`.

    :param document: the dataset as parsed JSON, or its text.
    :param location: the file it came from, named in errors.
    :raises ParseError: not a JSON-stat 2.0 dataset, or one without ``extension.samhandling`` (read
        SSB's and FHI's own JSON-stat with a source plugin such as samhandling-kostra).
    """
    values = None
    if isinstance(document, (str, bytes)):
        document, values = parse(document, location=location)
    if not isinstance(document, Mapping):
        raise ParseError("a JSON-stat dataset is a JSON object", path=location)
    if str(document.get("version", "")) != "2.0":
        raise ParseError(
            f"expected JSON-stat version '2.0', found {document.get('version')!r}", path=location
        )
    extension = document.get("extension")
    if not isinstance(extension, Mapping) or not isinstance(extension.get("samhandling"), Mapping):
        raise ParseError(
            "the JSON-stat dataset has no extension.samhandling, so it was not written by samhandling; "
            "read statistics published by SSB or FHI with a source plugin (e.g. samhandling-kostra)",
            path=location,
        )
    if document.get("class") not in ("dataset", None):
        raise ParseError(
            f"expected a JSON-stat dataset (class 'dataset'), found class {document.get('class')!r}",
            path=location,
        )
    cells = dataset_cells(_decoded_dataset(document, values, location))
    return restore_table(cells, extension, location=location)


def read_jsonstat(path: str | Path) -> StatTable:
    """Read a JSON-stat 2.0 file written by :class:`JsonStatExporter` back into the same StatTable.

    >>> table = read_jsonstat("fte-2024.json")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return from_jsonstat(raw, location=path)


@typing.final
class JsonStatSource:
    """Read back the JSON-stat 2.0 files samhandling writes (recognised by ``extension.samhandling``).

    JSON-stat from SSB, FHI and others is left to source plugins: :meth:`can_read` says yes only to
    files that carry samhandling's extension in their first 64 KiB, where the exporter puts it.
    """

    name = "samhandling-jsonstat"
    description = "JSON-stat 2.0 dataset written by samhandling (restores units, status and metadata)"

    def can_read(self, location: str | Path) -> bool:
        """Whether ``location`` is a ``.json``/``.jsonstat`` file with ``extension.samhandling``."""
        path = Path(location)
        if not path.is_file() or path.suffix.lower() not in (".json", ".jsonstat"):
            return False
        with path.open("rb") as stream:
            head = stream.read(_SNIFF_BYTES)
        return _SAMHANDLING_MARK.search(head) is not None

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read the file (no options are accepted)."""
        if options:
            raise SourceError(f"source {self.name!r} takes no options, got {sorted(options)}")
        return read_jsonstat(location)


# -------------------------------------------------------------------------------------------------
# Registration
# -------------------------------------------------------------------------------------------------


@hookimpl
def samhandling_register_exporters(register: Registrar) -> None:
    """Register the JSON-stat 2.0 exporter."""
    register(JsonStatExporter())


@hookimpl
def samhandling_register_sources(register: Registrar) -> None:
    """Register the reader for JSON-stat files that samhandling wrote."""
    register(JsonStatSource())
