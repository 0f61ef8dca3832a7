"""Parquet: the lossless format of the library (units, status, provenance survive a round trip).

One file, or a *partitioned dataset*: a folder of hive-style partitions (``year=2024/level=county/``)
that DuckDB, polars, pyarrow and Spark read directly.  Writing a dataset replaces only the partitions
the new table has rows for, so appending a new year leaves the files of earlier years untouched.

The StatTable metadata lives in the Arrow schema metadata, which Parquet stores with every file, and a
dataset also keeps it in ``_samhandling.json`` at its root (merged with what was there, so a variable
declared differently in the new year is an error, not a silent change).  Dictionary-encoded columns come
back dictionary-encoded.  Registered as both an exporter and a source.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from samhandling.errors import ExportError, ParseError, SchemaError, SourceError
from samhandling.hookspecs import hookimpl
from samhandling.registry import Registrar
from samhandling.tables import METADATA_KEY, StatTable, TableMeta

if typing.TYPE_CHECKING:
    # pyarrow.dataset imports pandas (seconds on a busy machine); it is imported where datasets are used
    import pyarrow.dataset as ds

__all__ = ["DATASET_METADATA_FILE", "ParquetExporter", "ParquetSource", "read_dataset", "write_dataset"]

#: Metadata of a partitioned dataset, at its root (files starting with "_" are not data to readers).
DATASET_METADATA_FILE = "_samhandling.json"
_SUFFIXES = (".parquet", ".pq")


def _partition_schema(table: StatTable, partition_by: Sequence[str]) -> pa.Schema:
    """Types of the partition keys: integers stay integers, dictionaries become plain strings."""
    fields = []
    for name in partition_by:
        data_type = table.arrow.schema.field(name).type
        if pa.types.is_dictionary(data_type):
            data_type = data_type.value_type
        fields.append(pa.field(name, data_type))
    return pa.schema(fields)


def _dataset_info(root: Path) -> dict[str, Any] | None:
    path = root / DATASET_METADATA_FILE
    if not path.is_file():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a samhandling dataset description: {exc}", path=path) from exc
    if not isinstance(info, dict) or "partition_by" not in info:
        raise ParseError("not a samhandling dataset description (no 'partition_by')", path=path)
    return info


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_TYPE_NAMES = {
    str(t): t for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.string(), pa.large_string())
}


def write_dataset(
    table: StatTable,
    root: str | Path,
    *,
    partition_by: Sequence[str] = ("year", "level"),
    compression: str = "zstd",
    **options: Any,
) -> Path:
    """Write ``table`` as a hive-partitioned Parquet dataset under ``root``.

    Partitions the table has rows for are replaced; all others are left as they are (pyarrow's
    ``existing_data_behavior="delete_matching"``), so writing the 2025 numbers into a dataset that holds
    2019–2024 adds ``year=2025/…`` and touches nothing else.

    :param partition_by: columns that become folder levels, e.g. ``("year", "level")``.
    :raises ExportError: a partition column is missing, or the dataset was partitioned differently.
    :raises SchemaError: the new table's metadata conflicts with the dataset's (a variable declared
        differently, another geography year).
    """
    partition_by = tuple(partition_by)
    missing = [name for name in partition_by if name not in table.columns]
    if missing or not partition_by:
        raise ExportError(
            f"cannot partition by {list(partition_by)}: the table has no column(s) {missing}; "
            f"its columns are {table.columns}"
        )
    root = Path(root)
    if root.is_file():
        raise ExportError(f"{root} is a file; a partitioned dataset is written to a folder")
    info = _dataset_info(root)
    meta = table.meta
    if info is not None:
        if list(info["partition_by"]) != list(partition_by):
            raise ExportError(
                f"the dataset in {root} is partitioned by {info['partition_by']}, not {list(partition_by)}; "
                f"write with the same partition_by or to another folder"
            )
        try:
            meta = meta.merged_with(TableMeta.from_json(json.dumps(info["meta"])))
        except SchemaError as exc:
            raise SchemaError(f"cannot add this table to the dataset in {root}: {exc}") from exc
    schema = _partition_schema(table, partition_by)
    root.mkdir(parents=True, exist_ok=True)
    arrow = table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()})
    import pyarrow.dataset as ds

    ds.write_dataset(
        arrow,
        root,
        format="parquet",
        partitioning=ds.partitioning(schema, flavor="hive"),
        existing_data_behavior="delete_matching",
        basename_template="part-{i}.parquet",
        file_options=ds.ParquetFileFormat().make_write_options(compression=compression, **options),
    )
    description = {
        "format": "samhandling-parquet-dataset",
        "format_version": 1,
        "partition_by": list(partition_by),
        "partition_types": {field.name: str(field.type) for field in schema},
        "meta": json.loads(meta.to_json()),
    }
    _write_atomically(root / DATASET_METADATA_FILE, json.dumps(description, ensure_ascii=False, indent=2))
    return root


def _is_dataset(path: Path) -> bool:
    if not path.is_dir():
        return False
    if (path / DATASET_METADATA_FILE).is_file():
        return True
    for child in path.iterdir():
        if child.name.startswith((".", "_")):
            continue
        if child.is_file() and child.suffix.lower() in _SUFFIXES:
            return True
        if child.is_dir() and "=" in child.name:
            return True
    return False


def _data_files(root: Path) -> list[str]:
    """The Parquet files of a dataset, skipping hidden and ``_`` files and folders (as Spark does)."""
    files = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part.startswith((".", "_")) for part in parts):
            continue
        if path.is_file() and path.suffix.lower() in _SUFFIXES:
            files.append(str(path))
    return files


def read_dataset(
    root: str | Path,
    *,
    filters: ds.Expression | list[Any] | None = None,
) -> StatTable:
    """Read a Parquet dataset folder (hive partitions, e.g. written by :func:`write_dataset`).

    Metadata comes from ``_samhandling.json``, else from the files' schema.  Files written at
    different times may differ in their dimension columns; their schemas are unified (a column that an
    older file lacks reads as empty there), never silently dropped.

    :param filters: a pyarrow expression, e.g. ``pyarrow.dataset.field("year") >= 2020``, or the
        list form ``[("year", ">=", 2020)]`` of :func:`pyarrow.parquet.read_table`; applied while
        reading, so partitions that cannot match are skipped.
    """
    import pyarrow.dataset as ds

    root = Path(root)
    info = _dataset_info(root)
    if info is not None:
        types = info.get("partition_types", {})
        fields = [
            pa.field(name, _TYPE_NAMES.get(types.get(name, "string"), pa.string()))
            for name in info["partition_by"]
        ]
        partitioning: ds.Partitioning | ds.PartitioningFactory = ds.partitioning(
            pa.schema(fields), flavor="hive"
        )
    else:
        partitioning = ds.HivePartitioning.discover(infer_dictionary=False)
    try:
        files = _data_files(root)
        if not files:
            raise SourceError(f"{root}: the folder holds no Parquet files")
        options = {"format": "parquet", "partitioning": partitioning, "partition_base_dir": str(root)}
        dataset = ds.dataset(files, **options)
        fragments = list(dataset.get_fragments())
        if not fragments:
            raise SourceError(f"{root}: the folder holds no Parquet files")
        physical = [fragment.physical_schema for fragment in fragments]
        schema = pa.unify_schemas([*physical, dataset.partitioning.schema], promote_options="permissive")
        dataset = ds.dataset(files, schema=schema, **options)
        if isinstance(filters, list):
            filters = pq.filters_to_expression(filters)
        arrow = dataset.to_table(filter=filters)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise SourceError(f"{root}: cannot read the Parquet dataset: {exc}") from exc
    arrow = arrow.unify_dictionaries()
    if info is not None:
        meta = TableMeta.from_json(json.dumps(info["meta"]))
    else:
        raw = next(
            (s.metadata[METADATA_KEY] for s in physical if s.metadata and METADATA_KEY in s.metadata), None
        )
        meta = TableMeta.from_json(raw) if raw else TableMeta()
    return StatTable.from_arrow(arrow.replace_schema_metadata(None), meta=meta)


@typing.final
class ParquetExporter:
    """Write a StatTable to one Parquet file (zstd-compressed), or to a partitioned dataset folder."""

    name = "parquet"
    description = (
        "Apache Parquet file or hive-partitioned dataset; keeps units, status and provenance (lossless)"
    )
    suffixes = _SUFFIXES

    def write(
        self,
        table: StatTable,
        destination: str | Path,
        *,
        partition_by: Sequence[str] | None = None,
        compression: str = "zstd",
        **options: Any,
    ) -> Path:
        """Write one file, or with ``partition_by=("year", "level")`` a dataset (:func:`write_dataset`).

        :param partition_by: columns that become folder levels; without it one file is written.
        :param compression: Parquet compression codec (``zstd``, ``snappy``, ``gzip``, ``none``).
        :param options: passed on to :func:`pyarrow.parquet.write_table`.
        """
        if partition_by:
            return write_dataset(
                table, destination, partition_by=partition_by, compression=compression, **options
            )
        path = Path(destination)
        if path.is_dir():
            raise ExportError(
                f"{path} is a folder; give partition_by=... to write a partitioned dataset there"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.arrow, path, compression=compression, **options)
        return path


@typing.final
class ParquetSource:
    """Read a Parquet file or dataset folder written by samhandling (or any in the canonical schema)."""

    name = "parquet"
    description = "Parquet file or hive-partitioned dataset folder in the StatTable schema"

    def can_read(self, location: str | Path) -> bool:
        """A ``.parquet``/``.pq`` file, or a folder of hive partitions or Parquet files."""
        path = Path(location)
        if path.is_file():
            return path.suffix.lower() in _SUFFIXES
        return _is_dataset(path)

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read a file or a dataset folder.

        :param options: for a folder, ``filters`` (see :func:`read_dataset`); for a file, those of
            :func:`pyarrow.parquet.read_table` (e.g. ``filters``).
        """
        path = Path(location)
        if path.is_dir():
            return read_dataset(path, **options)
        try:
            # without options one file is read without the dataset machinery (which imports pandas)
            arrow = pq.read_table(path, **options) if options else pq.ParquetFile(path).read()
        except pa.ArrowInvalid as exc:
            raise ParseError(f"not a readable Parquet file: {exc}", path=path) from exc
        return StatTable.from_arrow(arrow)


@hookimpl
def samhandling_register_exporters(register: Registrar) -> None:
    """Register the Parquet exporter."""
    register(ParquetExporter())


@hookimpl
def samhandling_register_sources(register: Registrar) -> None:
    """Register the Parquet reader (files and dataset folders)."""
    register(ParquetSource())
