"""JSON-stat documents decoded: JSON-stat 2.0 datasets and collections, JSON-stat 1.x bundles and datasets.

The one place the library turns JSON-stat text into cells.  Two readers build on it: the core's reader of
the files samhandling writes (:func:`samhandling.exporters.jsonstat.from_jsonstat`) and the KOSTRA
plugin's reader of SSB's and others' JSON-stat, which adds what SSB's codes and labels mean.

* :func:`parse` reads the text.  The ``value`` array of a large dense dataset is cut out of the text and
  parsed by pyarrow's CSV reader instead of :func:`json.loads` (which would build a Python list of a
  million floats); the rest of the document is small.  JSON errors, text that is not UTF-8 and nesting
  too deep for the parser are :class:`~samhandling.errors.ParseError` naming the file or URL.
* :func:`datasets` finds the datasets in a document — a 2.0 dataset, the datasets embedded in a 2.0
  collection's ``link.item``, the datasets of a 1.x bundle (``{"name": {...}}``) or a 1.x dataset (``id``,
  ``size`` and ``role`` inside ``dimension``) — and decodes each into a :class:`Dataset`: its dimensions
  (ids, labels, category codes and labels, roles, units, extensions) and its cells (positions, float64
  values, status texts).  Keys may come in any order (``dimension`` after ``value`` is fine).

Everything the document declares is checked before anything is allocated for it: sizes against the
category lists, dense ``value`` and ``status`` arrays against the cube, cell numbers of sparse objects
against the cube, and the number of cells to expand against what the document holds
(:data:`MAX_CELLS_PER_ENTRY`), so a small file that declares 10⁹ cells with one status string is refused
instead of allocating gigabytes.  Values must be numbers or ``null``: ``true``/``false``, strings and
numbers too large for a float64 (``1e400``) are refused with the cell they are in.
"""

from __future__ import annotations

import json
import math
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from samhandling.errors import ParseError

__all__ = [
    "MAX_CELLS_PER_ENTRY",
    "MIN_CELL_LIMIT",
    "Dataset",
    "Dimension",
    "datasets",
    "parse",
]

#: A document may expand to at most this many cells per value or status entry it holds …
MAX_CELLS_PER_ENTRY = 16
"""A document may expand to at most this many cells per value or status entry it holds …"""
#: … or to this many cells, whichever is more (a sparse table with one status string for every cell).
MIN_CELL_LIMIT = 1 << 22
"""… or to this many cells, whichever is more (a sparse table with one status string for every cell)."""

_VALUE_KEY = re.compile(rb'"value"\s*:\s*\[')
_PLACEHOLDER = "__samhandling_value_array__"
_NUMBERS_ONLY = re.compile(rb"^[\s0-9eE+\-.,nul]*$")
_COMMA_TO_NEWLINE = bytes.maketrans(b",", b"\n")
_FAST_FROM = 4096  # bytes of a value array from which it is cut out of the text


def parse(data: bytes | str, *, location: object | None = None) -> tuple[dict[str, Any], pa.Array | None]:
    """The JSON document and, when it could be cut out, its (largest) dense ``value`` array as float64.

    When the array was cut out, the dataset holding it has the placeholder text in its ``value``;
    :func:`datasets` puts the array back.  Returns ``(document, None)`` when the fast path does not
    apply.

    :param data: the text (UTF-8 bytes, with or without a byte-order mark).
    :param location: the file or URL, named in errors.
    :raises ParseError: not JSON, not UTF-8, nested too deeply, or not a JSON object.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for match in _VALUE_KEY.finditer(raw):
        start = match.end()
        end = raw.find(b"]", start)
        if end < 0:
            break
        body = raw[start:end]
        if len(body) < _FAST_FROM or not _NUMBERS_ONLY.match(body[:_FAST_FROM]):
            continue
        rest = raw[: match.start()] + b'"value":"' + _PLACEHOLDER.encode() + b'"' + raw[end + 1 :]
        try:
            document = _loads(rest, location)
        except ParseError:
            break  # the full text gives the true error
        values = _number_list(body)
        if values is None or not isinstance(document, dict):
            break
        return document, values
    document = _loads(raw, location)
    if not isinstance(document, dict):
        raise ParseError(
            f"a JSON-stat document is a JSON object; found a JSON {type(document).__name__}", path=location
        )
    return document, None


def _loads(raw: bytes, location: object | None) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not valid JSON: {exc.msg}", path=location, line=exc.lineno, column=exc.colno
        ) from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            f"JSON must be UTF-8, but byte {raw[exc.start]:#04x} at offset {exc.start} is not",
            path=location,
            line=line,
        ) from None
    except RecursionError:
        raise ParseError(
            "the JSON is nested too deeply to be read (thousands of levels of arrays or objects); a "
            "JSON-stat document is a few levels deep",
            path=location,
        ) from None


def _number_list(body: bytes) -> pa.Array | None:
    """``1.5,null,2`` → float64 array, by pyarrow's CSV reader (one value per line)."""
    text = body.translate(_COMMA_TO_NEWLINE, b" \t\r\n")
    if not text:
        return pa.array([], pa.float64())
    if text.endswith(b"\n") or text.startswith(b"\n") or b"\n\n" in text:
        return None  # an empty element: not valid JSON, let json.loads report it
    try:
        table = pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(column_names=["value"], block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types={"value": pa.float64()}, null_values=["null"], strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return None
    return table.column("value").combine_chunks()


# -------------------------------------------------------------------------------------------------
# Dimensions and datasets
# -------------------------------------------------------------------------------------------------


@typing.final
@attrs.frozen(kw_only=True)
class Dimension:
    """One dimension of a cube: id, label, category codes in cube order with their labels, and the rest
    of what the document says about it (``role``, ``category.unit``, ``extension``)."""

    id: str
    label: str
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    role: str | None = None
    units: Mapping[str, Any] = attrs.field(factory=dict)
    extension: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def size(self) -> int:
        """The number of categories."""
        return len(self.codes)


@typing.final
@attrs.frozen(kw_only=True, eq=False)
class Dataset:
    """A decoded JSON-stat dataset: its dimensions and the cells that hold a value or a status.

    ``positions`` are the cell numbers (row-major, the last dimension fastest) of the cells kept, or
    ``None`` when every cell of the cube is kept in order (a dense ``value`` array).  ``values`` (float64,
    null where there is no number) and ``status`` (strings, null where there is none; ``None`` when the
    dataset has no status at all) have one entry per cell kept.
    """

    label: str
    version: str
    dimensions: tuple[Dimension, ...]
    values: pa.Array
    status: pa.Array | None
    positions: np.ndarray | None = attrs.field(eq=False)
    extension: Mapping[str, Any] = attrs.field(factory=dict)
    document: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def size(self) -> tuple[int, ...]:
        """The number of categories of each dimension."""
        return tuple(d.size for d in self.dimensions)

    @property
    def cells(self) -> int:
        """The number of cells of the cube (``prod(size)``)."""
        return math.prod(self.size)

    def category_index(self, dimension: int) -> np.ndarray:
        """The category position (int32) along dimension number ``dimension`` of every cell kept."""
        sizes = self.size
        size = sizes[dimension]
        stride = math.prod(sizes[dimension + 1 :])
        if self.positions is None:
            block = np.repeat(np.arange(size, dtype=np.int32), stride)
            repeats = self.cells // max(len(block), 1)
            return np.tile(block, repeats) if len(block) else block
        return ((self.positions // max(stride, 1)) % max(size, 1)).astype(np.int32)

    def describe_cell(self, cell: int) -> str:
        """``Region='3301', Tid='2024'``: the categories of cell number ``cell``, for messages."""
        parts = []
        stride = self.cells
        for dimension in self.dimensions:
            stride //= max(dimension.size, 1)
            parts.append(f"{dimension.id}={dimension.codes[(cell // max(stride, 1)) % dimension.size]!r}")
        return ", ".join(parts)

    def cell_of(self, kept: int) -> int:
        """The cell number of the ``kept``-th cell kept."""
        return int(self.positions[kept]) if self.positions is not None else kept


def datasets(
    document: Mapping[str, Any], values: pa.Array | None = None, *, location: object | None = None
) -> list[Dataset]:
    """Every dataset in a JSON-stat document, decoded (see the module docstring for the forms read).

    :param document: the parsed document (from :func:`parse`, or any mapping).
    :param values: the value array :func:`parse` cut out of the text, if any.
    :param location: the file or URL, named in errors.
    :raises ParseError: the document is not JSON-stat, or its parts disagree; the message names the
        dataset, dimension or cell.
    """
    if not isinstance(document, Mapping):
        raise ParseError("a JSON-stat document is a JSON object", path=location)
    kind = document.get("class")
    if kind == "collection":
        link = document.get("link")
        items = link.get("item") if isinstance(link, Mapping) else None
        if not isinstance(items, list):
            raise ParseError("the JSON-stat collection has no link.item list", path=location)
        found = [item for item in items if isinstance(item, Mapping) and item.get("class") == "dataset"]
        if not found:
            raise ParseError(
                "the JSON-stat collection embeds no datasets (its link.item entries are links only; "
                "fetch each dataset it links to)",
                path=location,
            )
        return [_dataset(item, values, location) for item in found]
    if kind not in (None, "dataset", "bundle"):
        raise ParseError(
            f"JSON-stat class {kind!r} is not read; expected 'dataset', 'collection' or (1.x) 'bundle'",
            path=location,
        )
    if kind == "bundle" or ("dimension" not in document and kind is None):
        # JSON-stat 1.x: a bundle is an object of datasets by name ({"dataset": {...}} at SSB).
        bundle = [item for item in document.values() if isinstance(item, Mapping) and "dimension" in item]
        if bundle:
            return [_dataset(item, values, location) for item in bundle]
        if kind == "bundle":
            raise ParseError(
                "the JSON-stat bundle holds no datasets (members with a 'dimension')", path=location
            )
        raise ParseError(_not_jsonstat(document), path=location)
    return [_dataset(document, values, location)]


def _not_jsonstat(document: Mapping[str, Any]) -> str:
    """What a JSON object that is not JSON-stat is, as far as can be told from its keys."""
    keys = set(document)
    if {"title", "variables"} <= keys:
        return (
            "this is PxWeb API table metadata ('title' and 'variables': the table's dimensions and codes), "
            "not data; it holds no values. Fetch the data as JSON-stat (outputFormat json-stat2)"
        )
    if {"id", "label"} <= keys and ({"variableNames", "firstPeriod", "timeUnit"} & keys):
        return (
            "this is PxWebApi 2 table information (/tables/{id}: label, periods, variable names), not data; "
            "it holds no values. Fetch /tables/{id}/data as JSON-stat"
        )
    shown = ", ".join(repr(k) for k in list(document)[:8])
    return f"not a JSON-stat document: no 'dimension' (keys found: {shown or 'none'})"


def _dataset(document: Mapping[str, Any], fast: pa.Array | None, location: object | None) -> Dataset:
    dimension_block = document.get("dimension")
    if not isinstance(dimension_block, Mapping):
        raise ParseError("a JSON-stat dataset needs a 'dimension' object", path=location)
    if "id" in document or "size" in document:
        version = str(document.get("version") or "2.0")
        ids, sizes, roles = document.get("id"), document.get("size"), document.get("role")
    else:  # JSON-stat 1.x: id, size and role inside 'dimension'
        version = "1.x"
        ids, sizes, roles = (
            dimension_block.get("id"),
            dimension_block.get("size"),
            dimension_block.get("role"),
        )
    if not version.startswith(("1", "2")):
        raise ParseError(f"JSON-stat version {version!r} is not read; expected 1.x or 2.0", path=location)
    if not isinstance(ids, list) or not isinstance(sizes, list):
        raise ParseError("a JSON-stat dataset needs 'id' and 'size' lists", path=location)
    if len(ids) != len(sizes):
        raise ParseError(
            f"'id' names {len(ids)} dimensions but 'size' gives {len(sizes)} sizes; they do not match",
            path=location,
        )
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes):
        raise ParseError(f"'size' must hold non-negative whole numbers, found {sizes}", path=location)
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        raise ParseError(f"'id' must name each dimension once, as text; found {ids}", path=location)
    if document.get("value") == [] and math.prod(sizes) > 0:
        raise ParseError(
            "this is table metadata (PxWebApi 2 /tables/{id}/metadata: the JSON-stat dimensions and codes of "
            f"a {' × '.join(str(n) for n in sizes)} table with an empty 'value'), not data; it holds no "
            "values. Fetch /tables/{id}/data as JSON-stat",
            path=location,
        )
    undescribed = [i for i in ids if not isinstance(dimension_block.get(i), Mapping)]
    if undescribed:
        raise ParseError(
            f"'id' lists dimension(s) {undescribed} that 'dimension' does not describe", path=location
        )
    role_of: dict[str, str] = {}
    if roles is not None:
        if not isinstance(roles, Mapping):
            raise ParseError("'role' must be an object of role → dimension ids", path=location)
        for role, members in roles.items():
            if isinstance(members, list):
                for member in members:
                    if isinstance(member, str):
                        role_of.setdefault(member, str(role))
    dimensions = tuple(
        _dimension(dimension_id, dimension_block.get(dimension_id), size, role_of.get(dimension_id), location)
        for dimension_id, size in zip(ids, sizes, strict=True)
    )
    total = math.prod(sizes)
    raw_value = document.get("value")
    if raw_value is None:
        raise ParseError("the dataset has no 'value'", path=location)
    raw_status = document.get("status")
    positions, values = _values(raw_value, fast, total, dimensions, location)
    status: pa.Array | None
    if positions is None:
        status = _dense_status(raw_status, total, location)
    else:
        positions, values, status = _sparse_cells(positions, values, raw_status, total, dimensions, location)
    label = document.get("label")
    extension = document.get("extension")
    return Dataset(
        label=label if isinstance(label, str) else "",
        version=version,
        dimensions=dimensions,
        values=values,
        status=status,
        positions=positions,
        extension=extension if isinstance(extension, Mapping) else {},
        document=document,
    )


def _dimension(
    dimension_id: str, entry: object, size: int, role: str | None, location: object | None
) -> Dimension:
    if not isinstance(entry, Mapping):
        raise ParseError(
            f"dimension {dimension_id!r} is listed in 'id' but not described in 'dimension'",
            path=location,
            column=dimension_id,
        )
    category = entry.get("category")
    if not isinstance(category, Mapping):
        raise ParseError(
            f"dimension {dimension_id!r} has no 'category' object", path=location, column=dimension_id
        )
    index, labels = category.get("index"), category.get("label")
    if labels is not None and not isinstance(labels, Mapping):
        raise ParseError(
            f"dimension {dimension_id!r}: category.label must be an object of code → label",
            path=location,
            column=dimension_id,
        )
    labels = labels or {}
    if index is None:
        if len(labels) != 1 and size != len(labels):
            raise ParseError(
                f"dimension {dimension_id!r} has no category index (and not one label per category)",
                path=location,
                column=dimension_id,
            )
        codes = [str(code) for code in labels]
    elif isinstance(index, list):
        codes = [str(code) for code in index]
    elif isinstance(index, Mapping):
        codes = [""] * len(index)
        for code, position in index.items():
            if (
                not isinstance(position, int)
                or isinstance(position, bool)
                or not 0 <= position < len(index)
                or codes[position]
            ):
                raise ParseError(
                    f"dimension {dimension_id!r}: category {code!r} has the index {position!r}; expected "
                    f"each of 0–{len(index) - 1} once",
                    path=location,
                    column=dimension_id,
                )
            codes[position] = str(code)
    else:
        raise ParseError(
            f"dimension {dimension_id!r}: category.index must be an array or an object",
            path=location,
            column=dimension_id,
        )
    if len(codes) != size:
        raise ParseError(
            f"dimension {dimension_id!r} has {len(codes)} categories but 'size' gives {size}",
            path=location,
            column=dimension_id,
        )
    units = category.get("unit")
    extension = entry.get("extension")
    label = entry.get("label")
    return Dimension(
        id=dimension_id,
        label=label if isinstance(label, str) and label else dimension_id,
        codes=tuple(codes),
        labels=tuple(str(labels.get(code, code)) for code in codes),
        role=role,
        units=units if isinstance(units, Mapping) else {},
        extension=extension if isinstance(extension, Mapping) else {},
    )


def _values(
    raw: Any, fast: pa.Array | None, total: int, dimensions: Sequence[Dimension], location: object | None
) -> tuple[np.ndarray | None, pa.Array]:
    """``(positions or None for dense, float64 values)`` of the ``value`` member."""
    if raw == _PLACEHOLDER and fast is not None:
        values = fast
    elif isinstance(raw, list):
        if len(raw) != total:
            raise ParseError(
                f"'value' has {len(raw)} entries, but the sizes give a cube of {total} cells "
                f"({[d.size for d in dimensions]})",
                path=location,
            )
        values = _numbers(raw, None, dimensions, location)
    elif isinstance(raw, Mapping):
        positions = _cell_numbers(raw, total, "value", location)
        values = _numbers(list(raw.values()), positions, dimensions, location)
        order = np.argsort(positions, kind="stable")
        if len(order) and np.any(np.diff(positions[order]) == 0):
            raise ParseError("'value' names a cell twice", path=location)
        return positions[order], values.take(pa.array(order, pa.int64()))
    else:
        raise ParseError("'value' must be an array or an object of cell number → number", path=location)
    if len(values) != total:
        raise ParseError(
            f"'value' has {len(values)} entries, but the sizes give a cube of {total} cells "
            f"({[d.size for d in dimensions]})",
            path=location,
        )
    _check_finite(values, None, dimensions, location)
    return None, values


def _numbers(
    items: list[Any], positions: np.ndarray | None, dimensions: Sequence[Dimension], location: object | None
) -> pa.Array:
    """A list of JSON values as float64; booleans, text and anything else that is not a number refused."""
    try:
        inferred = pa.array(items) if items else pa.array([], pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        inferred = None
    if inferred is not None and (
        pa.types.is_floating(inferred.type)
        or pa.types.is_integer(inferred.type)
        or pa.types.is_null(inferred.type)
    ):
        values = inferred.cast(pa.float64())
        _check_finite(values, positions, dimensions, location)
        return values
    for position, item in enumerate(items):  # error path: which entry
        if item is None or (isinstance(item, (int, float)) and not isinstance(item, bool)):
            continue
        cell = int(positions[position]) if positions is not None else position
        what = "a boolean" if isinstance(item, bool) else f"{type(item).__name__} {item!r}"[:80]
        raise ParseError(
            f"'value' of cell {cell} ({_describe(dimensions, cell)}) is {what}, not a number or null",
            path=location,
            column="value",
        )
    raise ParseError(
        "'value' holds numbers too large to read", path=location, column="value"
    )  # pragma: no cover


def _check_finite(
    values: pa.Array, positions: np.ndarray | None, dimensions: Sequence[Dimension], location: object | None
) -> None:
    infinite = pc.fill_null(pc.invert(pc.is_finite(values)), False)
    if pc.any(infinite).as_py():
        index = int(pc.index(infinite, True).as_py())
        cell = int(positions[index]) if positions is not None else index
        raise ParseError(
            f"'value' of cell {cell} ({_describe(dimensions, cell)}) is {values[index].as_py()}: a number "
            f"too large for a float64 (or NaN), which no statistic holds",
            path=location,
            column="value",
        )


def _describe(dimensions: Sequence[Dimension], cell: int) -> str:
    parts = []
    stride = math.prod(d.size for d in dimensions)
    for dimension in dimensions:
        stride //= max(dimension.size, 1)
        if dimension.size:
            parts.append(f"{dimension.id}={dimension.codes[(cell // max(stride, 1)) % dimension.size]!r}")
    return ", ".join(parts)


def _cell_numbers(mapping: Mapping[str, Any], total: int, member: str, location: object | None) -> np.ndarray:
    """The cell numbers that key a sparse ``value`` or ``status`` object."""
    try:
        keys: np.ndarray = (
            pa.array(list(mapping), pa.string()).cast(pa.int64()).to_numpy(zero_copy_only=False)
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        bad = next((k for k in mapping if not str(k).strip().isdigit()), "?")
        raise ParseError(f"'{member}' has a key that is not a cell number: {bad!r}", path=location) from None
    if len(keys) and (keys.min() < 0 or keys.max() >= total):
        outside = int(keys.max()) if keys.max() >= total else int(keys.min())
        raise ParseError(f"'{member}' names cell {outside}, outside the cube of {total} cells", path=location)
    return np.asarray(keys, dtype=np.int64)


def _symbols(items: list[Any], member: str, location: object | None) -> pa.Array:
    try:
        return pa.array(items, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        bad = next(item for item in items if item is not None and not isinstance(item, str))
        raise ParseError(
            f"'{member}' holds {type(bad).__name__} {bad!r}; a status is a text (a symbol) or null",
            path=location,
            column="status",
        ) from None


def _dense_status(raw: Any, total: int, location: object | None) -> pa.Array | None:
    """The status of every cell of a dense dataset (null where none), from a string, array or object."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(total, np.int32)), pa.array([raw], pa.string())
        )
    if isinstance(raw, list):
        if len(raw) == 1 and total != 1:
            symbol = _symbols(raw, "status", location)
            return pa.DictionaryArray.from_arrays(pa.array(np.zeros(total, np.int32)), symbol)
        if len(raw) != total:
            raise ParseError(f"'status' has {len(raw)} entries but the cube has {total} cells", path=location)
        return _symbols(raw, "status", location)
    if isinstance(raw, Mapping):
        keys = _cell_numbers(raw, total, "status", location)
        symbols = _symbols(list(raw.values()), "status", location)
        encoded = pc.dictionary_encode(symbols)
        index = np.full(total, -1, dtype=np.int32)
        index[keys] = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32(), mask=index < 0), encoded.dictionary)
    raise ParseError(
        "'status' must be a string, an array or an object of cell number → symbol", path=location
    )


def _sparse_cells(
    positions: np.ndarray,
    values: pa.Array,
    raw: Any,
    total: int,
    dimensions: Sequence[Dimension],
    location: object | None,
) -> tuple[np.ndarray, pa.Array, pa.Array | None]:
    """The cells of a sparse dataset: those with a value, and those with only a status."""
    if raw is None:
        return positions, values, None
    if isinstance(raw, str) or (isinstance(raw, list) and len(raw) == 1 and total != 1):
        # One status for every cell: every cell of the cube is a cell.  Expanding is bounded by what the
        # document holds.
        entries = len(positions) + 1
        limit = max(MIN_CELL_LIMIT, MAX_CELLS_PER_ENTRY * entries)
        if total > limit:
            raise ParseError(
                f"the dataset declares {total} cells (sizes {[d.size for d in dimensions]}) and "
                "one status for "
                f"all of them, but holds only {len(positions)} values; refusing to expand more than {limit} "
                f"cells from a document this size",
                path=location,
            )
        symbol = raw if isinstance(raw, str) else raw[0]
        all_cells = np.arange(total, dtype=np.int64)
        row = np.full(total, -1, dtype=np.int64)
        row[positions] = np.arange(len(positions), dtype=np.int64)
        status = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(total, np.int32)), _symbols([symbol], "status", location)
        )
        return all_cells, values.take(pa.array(row, pa.int64(), mask=row < 0)), status
    if isinstance(raw, list):
        if len(raw) != total:
            raise ParseError(f"'status' has {len(raw)} entries but the cube has {total} cells", path=location)
        symbols = _symbols(raw, "status", location)
        status_keys = np.flatnonzero(symbols.is_valid().to_numpy(zero_copy_only=False)).astype(np.int64)
        status_symbols = symbols.take(pa.array(status_keys, pa.int64()))
    elif isinstance(raw, Mapping):
        status_keys = _cell_numbers(raw, total, "status", location)
        status_symbols = _symbols(list(raw.values()), "status", location)
    else:
        raise ParseError(
            "'status' must be a string, an array or an object of cell number → symbol", path=location
        )
    cells = np.union1d(positions, status_keys)
    value_row = np.full(len(cells), -1, dtype=np.int64)
    value_row[np.searchsorted(cells, positions)] = np.arange(len(positions), dtype=np.int64)
    status_row = np.full(len(cells), -1, dtype=np.int64)
    status_row[np.searchsorted(cells, status_keys)] = np.arange(len(status_keys), dtype=np.int64)
    return (
        cells,
        values.take(pa.array(value_row, pa.int64(), mask=value_row < 0)),
        status_symbols.take(pa.array(status_row, pa.int64(), mask=status_row < 0)),
    )
