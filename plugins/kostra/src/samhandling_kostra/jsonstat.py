"""JSON-stat 2.0 datasets and collections (what PxWebApi v2 returns) read into a StatTable.

The cube is expanded without visiting cells in Python: the category position of every cell along a
dimension is ``np.repeat``/``np.tile`` of the category range, dictionary-encoded against the category
texts; region codes, periods and contents are interpreted once per category.  The ``value`` array of
a large response is not built as a Python list either: it is cut out of the text and parsed by
pyarrow's CSV reader, the (small) rest of the document by :func:`json.loads`.

Supported: ``value`` dense (array, ``null`` for missing) or sparse (object of cell index → value);
``status`` as one string for every cell, an array, or an object of cell index → symbol; category
``index`` as an array or an object; the roles ``geo``, ``time`` and ``metric`` (dimensions are also
recognised by SSB's ids and labels when a role is missing); units from ``category.unit`` of the metric
dimension (``base``/``label``) and SSB's ``measuringType`` extension for additivity; a table without a
geographical dimension covers the whole country.  A dataset written by samhandling's own JSON-stat
exporter (``extension.samhandling``) reads back into exactly the table that was written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from samhandling.errors import ParseError
from samhandling.exporters.jsonstat import restore_table
from samhandling.tables import METADATA_KEY, Provenance, StatTable, Variable
from samhandling_kostra import assemble
from samhandling_kostra.catalogue import variable_for
from samhandling_kostra.dimensions import column_name
from samhandling_kostra.symbols import SYMBOLS

__all__ = ["SOURCE_NAME", "looks_like_jsonstat", "parse_document", "read_jsonstat"]

SOURCE_NAME = "jsonstat"
_VALUE_KEY = re.compile(rb'"value"\s*:\s*\[')
_PLACEHOLDER = "__samhandling_value_array__"
_NUMBERS_ONLY = re.compile(rb"^[\s0-9eE+\-.,nul]*$")
_TABLE_IN_LABEL = re.compile(r"^\s*(\d{5})\s*:")
_SYMBOL_ARRAY = pa.array(SYMBOLS, pa.string())
_ZERO = SYMBOLS.index("-")
_COMMA_TO_NEWLINE = bytes.maketrans(b",", b"\n")


def looks_like_jsonstat(location: str | Path) -> bool:
    """Cheap test: a ``.json``/``.jsonstat`` file whose start mentions JSON-stat keys."""
    path = Path(location)
    if path.suffix.lower() not in {".json", ".jsonstat"} or not path.is_file():
        return False
    with open(path, "rb") as handle:
        head = handle.read(8192)
    return b'"class"' in head or b'"dimension"' in head or b'"version"' in head


def parse_document(data: bytes | str) -> tuple[dict[str, Any], pa.Array | None]:
    """The JSON document and, when it could be cut out, its top-level ``value`` array (float64).

    The value array of a dense dataset is parsed by pyarrow instead of :func:`json.loads`; the rest of
    the document is small.  Returns ``(document, None)`` when the fast path does not apply (then
    ``document["value"]`` holds the values).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for match in _VALUE_KEY.finditer(raw):
        start = match.end()
        end = raw.find(b"]", start)
        if end < 0:
            break
        body = raw[start:end]
        if len(body) < 4096 or not _NUMBERS_ONLY.match(body[:4096]):
            continue
        rest = raw[: match.start()] + b'"value":"' + _PLACEHOLDER.encode() + b'"' + raw[end + 1 :]
        try:
            document = json.loads(rest)
        except json.JSONDecodeError:
            break
        if not isinstance(document, dict) or document.get("value") != _PLACEHOLDER:
            break
        values = _parse_number_list(body)
        if values is None:
            break
        return document, values
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    if not isinstance(document, dict):
        raise ParseError("a JSON-stat document is a JSON object; found " + type(document).__name__)
    return document, None


def _parse_number_list(body: bytes) -> pa.Array | None:
    """``1.5,null,2`` → float64 array, by pyarrow's CSV reader (one value per line)."""
    text = body.translate(_COMMA_TO_NEWLINE, b" \t\r\n")  # one pass: drop blanks, one value a line
    if not text:
        return pa.array([], pa.float64())
    if text.endswith(b"\n") or text.startswith(b"\n") or b"\n\n" in text:
        return None  # an empty element: not valid JSON, let json.loads report it
    try:
        table = pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(column_names=["value"]),
            convert_options=pacsv.ConvertOptions(
                column_types={"value": pa.float64()}, null_values=["null"], strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return None
    return table.column("value").combine_chunks()


def read_jsonstat(
    source: str | Path | bytes | Mapping[str, Any],
    *,
    categories: Literal["label", "code"] = "label",
    groups: Literal["drop", "error"] = "drop",
    missing: Literal["error", "drop"] = "error",
    geography_year: int | None = None,
    variable: str | None = None,
    location: str | None = None,
) -> StatTable:
    """Read a JSON-stat 2.0 dataset or collection (a file, its bytes or the parsed document).

    :param categories: write dimension categories (other than region, time, age, sex and contents) as
        SSB's ``"label"`` texts or their ``"code"``.
    :param groups: ``"drop"`` KOSTRA groups and comparison aggregates (listed in
        ``meta.extra["dropped_regions"]``) or ``"error"``.
    :param missing: a dense cell with neither a value nor a status is an ``"error"`` (default) or
        ``"drop"``-ped.
    :param geography_year: the municipality map of the codes; default the latest year.
    :param variable: the contents label for a dataset without a metric dimension.
    :param location: the file or URL to name in errors and provenance (default: the path).
    :raises ParseError: naming the file and the dimension or cell that is wrong.
    """
    where: str | None = location
    if isinstance(source, (str, Path)) and not (isinstance(source, str) and source.lstrip().startswith("{")):
        path = Path(source)
        where = where or str(path)
        document, values = parse_document(path.read_bytes())
        provenance = Provenance.for_file(SOURCE_NAME, path)
    else:
        if isinstance(source, Mapping):
            document, values = dict(source), None
        else:
            document, values = parse_document(source)
        provenance = Provenance(source=SOURCE_NAME, location=where or "<memory>")
    try:
        table = _read_document(
            document,
            values,
            categories=categories,
            groups=groups,
            missing=missing,
            geography_year=geography_year,
            variable=variable,
        )
    except ParseError as exc:
        if exc.path is None and where is not None:
            raise ParseError(exc.reason, path=where, line=exc.line, column=exc.column) from None
        raise
    meta = attrs.evolve(
        table.meta, provenance=(*table.meta.provenance, provenance), source=table.meta.source or SOURCE_NAME
    )
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def _read_document(
    document: dict[str, Any],
    values: pa.Array | None,
    *,
    categories: str,
    groups: str,
    missing: str,
    geography_year: int | None,
    variable: str | None,
) -> StatTable:
    kind = document.get("class")
    if kind == "collection":
        items = (document.get("link") or {}).get("item") or []
        datasets = [item for item in items if isinstance(item, dict) and item.get("class") == "dataset"]
        if not datasets:
            raise ParseError("the JSON-stat collection embeds no datasets (link.item with class 'dataset')")
        tables = []
        for number, item in enumerate(datasets):
            try:
                tables.append(
                    _read_dataset(
                        item,
                        None,
                        categories=categories,
                        groups=groups,
                        missing=missing,
                        geography_year=geography_year,
                        variable=variable,
                    )
                )
            except ParseError as exc:
                raise ParseError(
                    f"dataset {number} of the collection: {exc.reason}", column=exc.column
                ) from None
        if len(tables) == 1:
            return tables[0]
        years = [t.geography_year for t in tables if t.geography_year is not None]
        common = geography_year if geography_year is not None else (max(years) if years else None)
        return StatTable.concat([_on_geography_year(t, common) for t in tables])
    if kind not in (None, "dataset"):
        raise ParseError(f"JSON-stat class {kind!r} is not supported; expected 'dataset' or 'collection'")
    if "version" in document and not str(document["version"]).startswith("2"):
        raise ParseError(f"JSON-stat version {document['version']!r}; expected 2.0")
    return _read_dataset(
        document,
        values,
        categories=categories,
        groups=groups,
        missing=missing,
        geography_year=geography_year,
        variable=variable,
    )


def _on_geography_year(table: StatTable, year: int | None) -> StatTable:
    """The same table declared on another geography year (the datasets of one collection share one)."""
    if table.geography_year == year:
        return table
    meta = attrs.evolve(table.meta, geography_year=year)
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


class _Dimension:
    """One dimension of the cube: id, label, category codes in cube order, their labels and units."""

    def __init__(self, dimension_id: str, entry: Mapping[str, Any], size: int) -> None:
        self.id = dimension_id
        self.label = str(entry.get("label") or dimension_id)
        category = entry.get("category") or {}
        index = category.get("index")
        labels = category.get("label") or {}
        if index is None:
            codes = list(labels)
        elif isinstance(index, list):
            codes = [str(code) for code in index]
        elif isinstance(index, dict):
            codes = [""] * len(index)
            for code, position in index.items():
                if not isinstance(position, int) or not 0 <= position < len(index) or codes[position]:
                    raise ParseError(
                        f"dimension {dimension_id!r}: category index {position!r} of {code!r} is not a "
                        f"position 0–{len(index) - 1} used once",
                        column=dimension_id,
                    )
                codes[position] = str(code)
        else:
            raise ParseError(f"dimension {dimension_id!r}: category.index must be an array or an object")
        if len(codes) != size:
            raise ParseError(
                f"dimension {dimension_id!r} has {len(codes)} categories but 'size' says {size}",
                column=dimension_id,
            )
        self.codes = codes
        self.labels = [str(labels.get(code, code)) for code in codes]
        self.units: Mapping[str, Any] = category.get("unit") or {}
        extension = entry.get("extension") or {}
        self.measuring_type: Mapping[str, Any] = extension.get("measuringType") or {}

    @property
    def size(self) -> int:
        return len(self.codes)


def _role_of(dimension: _Dimension, roles: Mapping[str, Sequence[str]]) -> str:
    for role, column in (("geo", "region"), ("time", "year"), ("metric", "variable")):
        if dimension.id in roles.get(role, ()):
            return column
    for name in (dimension.id, dimension.label):
        mapped = column_name(name)
        if mapped in ("region", "year", "month", "variable", "age", "sex"):
            return "year" if mapped == "month" else mapped
    return column_name(dimension.label)


def _symbol_codes(symbols: Sequence[Any], where: str) -> np.ndarray:
    """Positions of SSB's symbols in :data:`SYMBOLS` (-1 for no status); unknown symbols raise."""
    if not len(symbols):
        return np.zeros(0, dtype=np.int8)
    texts = pa.array(symbols, pa.string())
    found = pc.index_in(texts, value_set=_SYMBOL_ARRAY)
    unknown = pc.and_(pc.is_valid(texts), pc.is_null(found))
    if pc.any(unknown).as_py():
        position = int(pc.index(unknown, True).as_py())
        raise ParseError(
            f"{where}: unknown status symbol {texts[position].as_py()!r}; expected one of {list(SYMBOLS)}",
            column="status",
        )
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int8)


def _status_codes(status: Any, positions: np.ndarray | None, total: int) -> np.ndarray:
    """The symbol code (-1: none) of every cell kept (``positions``; ``None``: all ``total`` cells)."""
    count = total if positions is None else len(positions)
    if status is None:
        return np.full(count, -1, dtype=np.int8)
    if isinstance(status, str):
        return np.full(count, _symbol_codes([status], "'status'")[0], dtype=np.int8)
    if isinstance(status, list):
        if len(status) != total:
            raise ParseError(f"'status' has {len(status)} entries but the cube has {total} cells")
        codes = _symbol_codes(status, "'status'")
        return codes if positions is None else codes[positions]
    if isinstance(status, dict):
        keys = _cell_keys(status, total, "status")
        symbols = _symbol_codes(list(status.values()), "'status'")
        if positions is None:
            codes = np.full(total, -1, dtype=np.int8)
            codes[keys] = symbols
            return codes
        codes = np.full(len(positions), -1, dtype=np.int8)
        if len(keys):
            order = np.argsort(keys)
            ordered = keys[order]
            found = np.minimum(np.searchsorted(ordered, positions), len(ordered) - 1)
            hit = ordered[found] == positions
            codes[hit] = symbols[order[found[hit]]]
        return codes
    raise ParseError("'status' must be a string, an array or an object")


def _cell_keys(mapping: Mapping[str, Any], total: int, what: str) -> np.ndarray:
    """The cell numbers that key a sparse ``value`` or ``status`` object."""
    try:
        # Plain digits (what JSON-stat writes) are cast by pyarrow; anything else is left to numpy.
        keys: np.ndarray = pa.array(list(mapping), pa.string()).cast(pa.int64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        try:
            keys = np.array(list(mapping), dtype=np.int64) if mapping else np.zeros(0, dtype=np.int64)
        except ValueError:
            raise ParseError(f"'{what}' has a key that is not a cell number") from None
    if len(keys) and (keys.min() < 0 or keys.max() >= total):
        raise ParseError(f"'{what}' names cell {int(keys.max())}, but the cube has {total} cells")
    return keys


def _read_dataset(
    document: Mapping[str, Any],
    values: pa.Array | None,
    *,
    categories: str,
    groups: str,
    missing: str,
    geography_year: int | None,
    variable: str | None,
) -> StatTable:
    ids = document.get("id")
    sizes = document.get("size")
    dimensions = document.get("dimension")
    if not isinstance(ids, list) or not isinstance(sizes, list) or not isinstance(dimensions, dict):
        raise ParseError("a JSON-stat 2.0 dataset needs 'id', 'size' and 'dimension'")
    if len(ids) != len(sizes):
        raise ParseError(f"'id' names {len(ids)} dimensions but 'size' gives {len(sizes)}")
    for dimension_id in ids:
        if dimension_id not in dimensions:
            raise ParseError(
                f"dimension {dimension_id!r} is listed in 'id' but not described", column=dimension_id
            )
    dims = [_Dimension(str(i), dimensions[i], int(s)) for i, s in zip(ids, sizes, strict=True)]
    total = math.prod(d.size for d in dims)
    extension = document.get("extension") or {}
    raw_values = document.get("value") if values is None else None

    # -- which cells --------------------------------------------------------------------------------
    positions: np.ndarray | None = None
    if values is not None:
        value = values
    elif isinstance(raw_values, list):
        value = pa.array(raw_values, pa.float64()) if raw_values else pa.array([], pa.float64())
    elif isinstance(raw_values, dict):
        value_keys = _cell_keys(raw_values, total, "value")
        status_obj = document.get("status")
        if isinstance(status_obj, dict):
            status_keys = _cell_keys(status_obj, total, "status")
        elif isinstance(status_obj, list):
            status_keys = np.flatnonzero(np.array([s is not None for s in status_obj], dtype=bool))
        elif isinstance(status_obj, str):
            status_keys = np.arange(total, dtype=np.int64)
        else:
            status_keys = np.zeros(0, dtype=np.int64)
        positions = np.union1d(value_keys, status_keys)
        given = np.asarray(pa.array(list(raw_values.values()), pa.float64()).to_numpy(zero_copy_only=False))
        numbers = np.full(len(positions), np.nan)
        numbers[np.searchsorted(positions, value_keys)] = given  # positions is sorted and holds every key
        value = pa.array(numbers, pa.float64(), mask=np.isnan(numbers))
    else:
        raise ParseError("'value' must be an array or an object")
    if positions is None and len(value) != total:
        raise ParseError(f"'value' has {len(value)} entries but the sizes {sizes} make {total} cells")
    status = _status_codes(document.get("status"), positions, total)

    if isinstance(extension, Mapping) and "samhandling" in extension:
        return _restore(dims, value, status, positions, extension)

    # -- dimension columns --------------------------------------------------------------------------
    roles: Mapping[str, Sequence[str]] = document.get("role") or {}
    stride = total
    stub: dict[str, pa.ChunkedArray] = {}
    names: dict[str, str] = {}
    label = str(document.get("label") or "")
    table_match = _TABLE_IN_LABEL.match(label)
    px = extension.get("px") if isinstance(extension, Mapping) else None
    table_id = (px or {}).get("tableid") if isinstance(px, Mapping) else None
    table_id = str(table_id) if table_id else (table_match[1] if table_match else None)
    variable_map: dict[str, tuple[Variable, dict[str, str]]] = {}
    unmapped: dict[str, str] = {}
    for dimension in dims:
        stride //= max(dimension.size, 1)
        role = _role_of(dimension, roles)
        if role in stub:
            raise ParseError(
                f"two dimensions mean {role!r}: {names[role]!r} and {dimension.id!r}", column=dimension.id
            )
        names[role] = dimension.id
        if role == "region":
            texts = [
                code if label in ("", code) else f"{code} {label}"
                for code, label in zip(dimension.codes, dimension.labels, strict=True)
            ]
        elif role == "year":
            texts = dimension.codes
        elif role == "variable":
            texts = dimension.codes
            for code, text in zip(dimension.codes, dimension.labels, strict=True):
                unit = dimension.units.get(code) or {}
                unit_text = unit.get("base") or unit.get("label") if isinstance(unit, Mapping) else None
                found, fixed, unmapped_unit = variable_for(
                    table=table_id,
                    code=code,
                    label=text,
                    unit=unit_text,
                    measuring_type=dimension.measuring_type.get(code),
                )
                variable_map[code] = (found, fixed)
                if unmapped_unit:
                    unmapped[found.id] = unmapped_unit
        elif role in ("age", "sex"):
            texts = dimension.labels
        else:
            texts = dimension.labels if categories == "label" else dimension.codes
        stub[role] = pa.chunked_array([_cell_categories(dimension.size, stride, total, positions, texts)])
    if "region" not in stub:
        # SSB: a table without a geographical dimension covers the whole country.
        stub = {"region": pa.chunked_array([_constant("0", total, positions)]), **stub}
    if "year" not in stub:
        raise ParseError("the dataset has no time dimension (role 'time', SSB id 'Tid'); expected years")
    if "variable" not in stub:
        contents = variable or _label_from_dataset(label)
        found, fixed, unmapped_unit = variable_for(table=table_id, code=None, label=contents)
        variable_map[contents] = (found, fixed)
        stub["variable"] = pa.chunked_array([_constant(contents, total, positions)])

    # -- values and statuses ------------------------------------------------------------------------
    value, status, keep = _reconcile(value, status, missing, dims, positions, total)
    if keep is not None:
        stub = {role: column.filter(keep) for role, column in stub.items()}
    try:
        table = assemble.build(
            stub,
            value_status=(pa.chunked_array([value]), pa.chunked_array([status])),
            column_names=names,
            table_id=table_id,
            title=label,
            variable_map=variable_map,
            groups=groups,
            geography_year=geography_year,
            source=SOURCE_NAME,
        )
    except assemble.CellError as exc:
        raise ParseError(exc.reason, column=exc.column) from None
    if unmapped:
        extra = {**table.meta.extra, "ssb_units": {**table.meta.extra.get("ssb_units", {}), **unmapped}}
        table = table.with_arrow(table.arrow, extra=extra)
    return table


def _label_from_dataset(label: str) -> str:
    head = assemble.label_from_title(label)
    if not head:
        raise ParseError(
            "the dataset has no metric dimension and no label naming what it measures; give variable="
        )
    return head


def _constant(text: str, total: int, positions: np.ndarray | None) -> pa.DictionaryArray:
    count = total if positions is None else len(positions)
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(count, dtype=np.int32)), pa.array([text], pa.string())
    )


def _cell_categories(
    size: int, stride: int, total: int, positions: np.ndarray | None, texts: Sequence[str]
) -> pa.DictionaryArray:
    """The category of every cell along one dimension (row-major: the last dimension varies fastest)."""
    if positions is None:
        block = np.repeat(np.arange(size, dtype=np.int32), stride)
        indices = np.tile(block, total // max(len(block), 1)) if len(block) else block
    else:
        indices = ((positions // stride) % size).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(indices), pa.array(list(texts), pa.string()))


def _reconcile(
    value: pa.Array,
    status: np.ndarray,
    missing: str,
    dims: Sequence[_Dimension],
    positions: np.ndarray | None,
    total: int,
) -> tuple[pa.Array, pa.Array, pa.Array | None]:
    """Values and statuses that agree: ``-`` is 0, a no-value status has no number, no orphan cells.

    Works on numpy arrays: JSON has no NaN, so NaN stands for an empty value here.
    """
    numbers = np.array(value.to_numpy(zero_copy_only=False), dtype=np.float64)
    zero = status == _ZERO
    numbers[zero] = 0.0
    # JSON-stat: the status explains the cell; a number next to ':' or '..' is a placeholder.
    numbers[(status >= 0) & ~zero] = np.nan
    empty = np.isnan(numbers)
    orphan = empty & (status < 0)
    keep = None
    if orphan.any():
        if missing == "error":
            cell = int(np.flatnonzero(orphan)[0])
            position = int(positions[cell]) if positions is not None else cell
            raise ParseError(
                f"cell {position} ({_describe_cell(dims, position)}) has no value and no status; SSB marks "
                f"missing values with a symbol. Read with missing='drop' to leave such cells out",
                column="value",
            )
        keep = pa.array(~orphan)
        numbers, status, empty = numbers[~orphan], status[~orphan], empty[~orphan]
    value_column = pa.array(numbers, pa.float64(), mask=empty)
    status_column = pa.DictionaryArray.from_arrays(
        pa.array(status, pa.int8(), mask=status < 0), _SYMBOL_ARRAY
    )
    return value_column, status_column, keep


def _describe_cell(dims: Sequence[_Dimension], position: int) -> str:
    parts = []
    stride = math.prod(d.size for d in dims)
    for dimension in dims:
        stride //= max(dimension.size, 1)
        parts.append(f"{dimension.id}={dimension.codes[(position // stride) % dimension.size]!r}")
    return ", ".join(parts)


def _restore(
    dims: Sequence[_Dimension],
    value: pa.Array,
    status: np.ndarray,
    positions: np.ndarray | None,
    extension: Mapping[str, Any],
) -> StatTable:
    """A dataset written by samhandling's exporter: decode the cells and restore the exact table."""
    total = math.prod(d.size for d in dims)
    stride = total
    columns: dict[str, Any] = {}
    for dimension in dims:
        stride //= max(dimension.size, 1)
        columns[dimension.id] = _cell_categories(dimension.size, stride, total, positions, dimension.codes)
    columns["value"] = value
    columns["status"] = pa.DictionaryArray.from_arrays(
        pa.array(status, pa.int8(), mask=status < 0), _SYMBOL_ARRAY
    )
    return restore_table(pa.table(columns), extension)
