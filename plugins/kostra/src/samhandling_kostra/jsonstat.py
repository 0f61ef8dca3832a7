"""JSON-stat from SSB (statbank downloads, PxWebApi v0/v1 and v2 answers) and other producers, read into a
StatTable.

The decoding of the document — JSON-stat 2.0 datasets and collections, JSON-stat 1.x bundles and
datasets, dense or sparse ``value``, ``status`` as a string, an array or an object, keys in any order,
declared sizes checked and bounded by the document — is the core's (:mod:`samhandling.jsonstat`).  This
module adds what SSB's dimensions mean:

* the roles ``geo``, ``time`` and ``metric``, and SSB's ids and labels when a role is missing
  (``Region``, ``KOKkommuneregion0000``, ``Tid``, ``ContentsCode``, ``alder``, ``kjønn``); a dataset
  without a geographical dimension covers the whole country;
* region codes and labels (:mod:`samhandling_kostra.regions`), periods (years, months, quarters, weeks,
  school years), ages and sexes, interpreted once per category;
* contents: the curated catalogue, else units from ``category.unit`` (``base``/``label``) and additivity
  from SSB's ``measuringType`` extension and the labels (:mod:`samhandling.inference`);
* SSB's status symbols: ``-`` is a true zero, any other symbol means the cell has no value.

A dataset written by samhandling's own JSON-stat exporter (``extension.samhandling``) reads back into
exactly the table that was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.errors import ParseError
from samhandling.exporters.jsonstat import dataset_cells, restore_table
from samhandling.jsonstat import Dataset, Dimension, datasets, parse
from samhandling.tables import METADATA_KEY, Provenance, StatTable, Variable
from samhandling_kostra import assemble
from samhandling_kostra.catalogue import variable_for
from samhandling_kostra.dimensions import column_name
from samhandling_kostra.symbols import SYMBOLS

__all__ = ["SOURCE_NAME", "looks_like_jsonstat", "parse_document", "read_jsonstat"]

SOURCE_NAME = "jsonstat"
_TABLE_IN_LABEL = re.compile(r"^\s*(\d{5})\s*:")
_SYMBOL_ARRAY = pa.array(SYMBOLS, pa.string())
_ZERO = SYMBOLS.index("-")
_SNIFF = 1 << 16
_MARKS = (b'"dimension"', b'"class"', b'"variableNames"', b'"variables"')


def looks_like_jsonstat(location: str | Path) -> bool:
    """Cheap test: a ``.json``/``.jsonstat`` file whose first or last 64 KiB mention JSON-stat's keys
    (``dimension``, ``class``) — the ``dimension`` of a large answer may come after its values — or the
    keys of PxWeb's table metadata, which this source reports as not data."""
    path = Path(location)
    if path.suffix.lower() not in {".json", ".jsonstat"} or not path.is_file():
        return False
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF)
        size = handle.seek(0, 2)
        tail = b""
        if size > _SNIFF:
            handle.seek(max(_SNIFF, size - _SNIFF))
            tail = handle.read()
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return False
    return any(mark in head or mark in tail for mark in _MARKS)


def parse_document(data: bytes | str) -> tuple[dict[str, Any], pa.Array | None]:
    """The JSON document and, when it could be cut out of the text, its dense ``value`` array (float64).

    The core's :func:`samhandling.jsonstat.parse`; kept under this name for callers of earlier versions.
    """
    return parse(data)


def read_jsonstat(
    source: str | Path | bytes | Mapping[str, Any],
    *,
    categories: Literal["label", "code"] = "label",
    groups: Literal["keep", "drop", "error"] = "keep",
    missing: Literal["error", "drop"] = "error",
    geography_year: int | None = None,
    variable: str | None = None,
    location: str | None = None,
) -> StatTable:
    """Read JSON-stat — a 2.0 dataset or collection, a 1.x bundle or dataset — from a file, its bytes or the
    parsed document.

    :param categories: write dimension categories (other than region, time, age, sex and contents) as
        SSB's ``"label"`` texts or their ``"code"``.
    :param groups: rows that are not areas (pseudo-regions, grouped codes, KOSTRA groups): ``"keep"`` them
        with their own level (default), ``"drop"`` them (listed in ``meta.extra["dropped_regions"]``) or
        ``"error"``.
    :param missing: a dense cell with neither a value nor a status is an ``"error"`` (default) or
        ``"drop"``-ped.
    :param geography_year: the municipality map of the codes; default the latest year.
    :param variable: the contents label for a dataset without a metric dimension.
    :param location: the file or URL to name in errors and provenance (default: the path).
    :raises ParseError: naming the file and the dimension or cell that is wrong.
    """
    where: str | None = location
    values: pa.Array | None = None
    if isinstance(source, (str, Path)) and not (isinstance(source, str) and source.lstrip().startswith("{")):
        path = Path(source)
        where = where or str(path)
        document, values = parse(path.read_bytes(), location=where)
        provenance = Provenance.for_file(SOURCE_NAME, path)
    else:
        if isinstance(source, Mapping):
            document = dict(source)
        else:
            document, values = parse(source, location=where)
        provenance = Provenance(source=SOURCE_NAME, location=where or "<memory>")
    found = datasets(document, values, location=where)
    tables = []
    for number, dataset in enumerate(found):
        try:
            tables.append(
                _read_dataset(
                    dataset,
                    categories=categories,
                    groups=groups,
                    missing=missing,
                    geography_year=geography_year,
                    variable=variable,
                    location=where,
                )
            )
        except ParseError as exc:
            if len(found) == 1:
                raise
            raise ParseError(
                f"dataset {number + 1} of {len(found)}: {exc.reason}", path=where, column=exc.column
            ) from None
    if len(tables) == 1:
        table = tables[0]
    else:
        years = [t.geography_year for t in tables if t.geography_year is not None]
        common = geography_year if geography_year is not None else (max(years) if years else None)
        table = StatTable.concat([_on_geography_year(t, common) for t in tables])
    meta = attrs.evolve(
        table.meta, provenance=(*table.meta.provenance, provenance), source=table.meta.source or SOURCE_NAME
    )
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def _on_geography_year(table: StatTable, year: int | None) -> StatTable:
    """The same table declared on another geography year (the datasets of one document share one)."""
    if table.geography_year == year:
        return table
    meta = attrs.evolve(table.meta, geography_year=year)
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def _region_dimension(dataset: Dataset) -> str | None:
    """The id of the dimension that holds the regions.  PxWebApi 2 marks more than one dimension ``geo``
    (table 14216: ``Region`` and ``TettSted``, the urban settlements in them); the region is then the one
    named as such, and the others keep their own names."""
    geo = [d for d in dataset.dimensions if d.role == "geo"]
    if len(geo) <= 1:
        return geo[0].id if geo else None
    named = [d for d in geo if "region" in (column_name(d.id), column_name(d.label))]
    return (named or geo)[0].id


def _role_of(dimension: Dimension, region: str | None) -> str:
    if dimension.role == "geo" and (region is None or dimension.id == region):
        return "region"
    for role, column in (("time", "time"), ("metric", "variable")):
        if dimension.role == role:
            return column
    for name in (dimension.id, dimension.label):
        mapped = column_name(name)
        if mapped in ("region", "time", "variable", "age", "sex"):
            return mapped
    return column_name(dimension.label)


def _status_codes(dataset: Dataset, location: str | None) -> np.ndarray:
    """The position of each kept cell's symbol in :data:`SYMBOLS` (-1: none); unknown symbols raise."""
    status = dataset.status
    if status is None:
        return np.full(len(dataset.values), -1, dtype=np.int8)
    if pa.types.is_dictionary(status.type):
        dictionary = status.dictionary.cast(pa.string())
        found = pc.index_in(dictionary, value_set=_SYMBOL_ARRAY)
        if found.null_count:
            bad = int(pc.index(pc.is_null(found), True).as_py())
            cell = int(pc.index(status.indices, bad).as_py())
            _unknown_symbol(dataset, cell, dictionary[bad].as_py(), location)
        table = np.append(np.asarray(found.to_numpy(zero_copy_only=False), np.int8), np.int8(-1))
        indices = pc.fill_null(status.indices.cast(pa.int32()), len(dictionary)).to_numpy(
            zero_copy_only=False
        )
        return np.asarray(table[indices], dtype=np.int8)
    texts = status.cast(pa.string())
    found = pc.index_in(texts, value_set=_SYMBOL_ARRAY)
    unknown = pc.and_(pc.is_valid(texts), pc.is_null(found))
    if pc.any(unknown).as_py():
        cell = int(pc.index(unknown, True).as_py())
        _unknown_symbol(dataset, cell, texts[cell].as_py(), location)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int8)


def _unknown_symbol(dataset: Dataset, kept: int, symbol: object, location: str | None) -> None:
    cell = dataset.cell_of(kept)
    raise ParseError(
        f"'status' of cell {cell} ({dataset.describe_cell(cell)}) is {symbol!r}, not one of SSB's symbols "
        f"{list(SYMBOLS)}",
        path=location,
        column="status",
    )


def _read_dataset(
    dataset: Dataset,
    *,
    categories: str,
    groups: str,
    missing: str,
    geography_year: int | None,
    variable: str | None,
    location: str | None,
) -> StatTable:
    extension = dataset.extension
    if "samhandling" in extension:
        return restore_table(dataset_cells(dataset), extension, location=location)
    label = dataset.label
    table_match = _TABLE_IN_LABEL.match(label)
    px = extension.get("px")
    table_id = px.get("tableid") if isinstance(px, Mapping) else None
    table_id = str(table_id) if table_id else (table_match[1] if table_match else None)

    stub: dict[str, pa.ChunkedArray] = {}
    names: dict[str, str] = {}
    variable_map: dict[str, tuple[Variable, dict[str, str]]] = {}
    unmapped: dict[str, str] = {}
    region_dimension = _region_dimension(dataset)
    for number, dimension in enumerate(dataset.dimensions):
        role = _role_of(dimension, region_dimension)
        if role in stub:
            raise ParseError(
                f"two dimensions mean {role!r}: {names[role]!r} and {dimension.id!r}",
                path=location,
                column=dimension.id,
            )
        names[role] = dimension.id
        texts: Sequence[str]
        if role == "region":
            texts = [
                code if text in ("", code) else f"{code} {text}"
                for code, text in zip(dimension.codes, dimension.labels, strict=True)
            ]
        elif role == "time":
            texts = dimension.codes
        elif role == "variable":
            texts = dimension.codes
            measuring = dimension.extension.get("measuringType")
            measuring = measuring if isinstance(measuring, Mapping) else {}
            for code, text in zip(dimension.codes, dimension.labels, strict=True):
                unit = dimension.units.get(code)
                unit_text = (unit.get("base") or unit.get("label")) if isinstance(unit, Mapping) else None
                found, fixed, unmapped_unit = variable_for(
                    table=table_id,
                    code=code,
                    label=text,
                    unit=str(unit_text) if unit_text else None,
                    measuring_type=str(measuring[code]) if measuring.get(code) else None,
                    title=label,
                )
                variable_map[code] = (found, fixed)
                if unmapped_unit:
                    unmapped[found.id] = unmapped_unit
        elif role in ("age", "sex"):
            texts = dimension.labels
        else:
            texts = dimension.labels if categories == "label" else dimension.codes
        stub[role] = pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(
                    pa.array(dataset.category_index(number)), pa.array(list(texts), pa.string())
                )
            ]
        )
    if "time" not in stub:
        raise ParseError(
            "the dataset has no time dimension (role 'time', SSB id 'Tid'); a StatTable needs the period",
            path=location,
        )
    if "variable" not in stub:
        contents = variable or assemble.label_from_title(label)
        if not contents:
            raise ParseError(
                "the dataset has no metric dimension and no label naming what it measures; give variable=",
                path=location,
            )
        found, fixed, _unmapped = variable_for(table=table_id, code=None, label=contents, title=label)
        variable_map[contents] = (found, fixed)
        stub["variable"] = pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(len(dataset.values), np.int32)), pa.array([contents])
                )
            ]
        )

    value, status, keep = _reconcile(dataset, missing, location)
    if keep is not None:
        stub = {role: column.filter(keep) for role, column in stub.items()}
    try:
        table = assemble.build(
            stub,
            value_status=(pa.chunked_array([value]), pa.chunked_array([status])),
            table_id=table_id,
            title=label,
            variable_map=variable_map,
            groups=groups,
            geography_year=geography_year,
            source=SOURCE_NAME,
        )
    except assemble.CellError as exc:
        raise ParseError(exc.reason, path=location, column=names.get(exc.role, exc.role)) from None
    if unmapped:
        extra = {**table.meta.extra, "ssb_units": {**table.meta.extra.get("ssb_units", {}), **unmapped}}
        meta = attrs.evolve(table.meta, extra=extra)
        table = StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)
    return table


def _reconcile(
    dataset: Dataset, missing: str, location: str | None
) -> tuple[pa.Array, pa.Array, pa.Array | None]:
    """Values and statuses that agree: ``-`` is 0, a no-value status has no number, no orphan cells.

    Works on numpy arrays: JSON has no NaN, so NaN stands for an empty value here.
    """
    status = _status_codes(dataset, location)
    numbers = np.array(dataset.values.to_numpy(zero_copy_only=False), dtype=np.float64)
    zero = status == _ZERO
    numbers[zero] = 0.0
    # JSON-stat: the status explains the cell; a number next to ':' or '..' is a placeholder.
    numbers[(status >= 0) & ~zero] = np.nan
    empty = np.isnan(numbers)
    orphan = empty & (status < 0)
    keep = None
    if orphan.any():
        if missing == "error":
            cell = dataset.cell_of(int(np.flatnonzero(orphan)[0]))
            raise ParseError(
                f"cell {cell} ({dataset.describe_cell(cell)}) has no value and no status; SSB marks missing "
                f"values with a symbol. Read with missing='drop' to leave such cells out",
                path=location,
                column="value",
            )
        keep = pa.array(~orphan)
        numbers, status, empty = numbers[~orphan], status[~orphan], empty[~orphan]
    value_column = pa.array(numbers, pa.float64(), mask=empty)
    status_column = pa.DictionaryArray.from_arrays(
        pa.array(status, pa.int8(), mask=status < 0), _SYMBOL_ARRAY
    )
    return value_column, status_column, keep
