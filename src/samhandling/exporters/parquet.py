"""Parquet: the lossless format of the library (units, status, provenance survive a round trip).

One file, or a *partitioned dataset*: a folder of hive-style partitions (``year=2024/level=county/``)
that DuckDB, polars, pyarrow and Spark read directly.  Writing a dataset replaces only the partitions
the new table has rows for, so appending a new year leaves the files of earlier years untouched.

The StatTable metadata lives in the Arrow schema metadata, which Parquet stores with every file, and a
dataset also keeps it in ``_samhandling.json`` at its root (merged with what was there, so a variable
declared differently in the new year is an error, not a silent change).  Dictionary-encoded columns come
back dictionary-encoded.  Registered as both an exporter and a source.

Writes are safe: a file is written to a temporary file and renamed into place; a dataset write takes
the dataset's lock, stages its files and commits by replacing ``_samhandling.json``, which lists every
data file with its partition values, rows, size and BLAKE3 checksum (see
:mod:`samhandling.exporters._dataset_files`).  A process killed at any point leaves the old dataset or
the new one, never a mix; two processes writing to one dataset take turns.
"""

from __future__ import annotations

import concurrent.futures
import json
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from samhandling import atomic
from samhandling._checksums import algorithm_of, file_checksum
from samhandling.errors import ExportError, ParseError, SchemaError, SourceError
from samhandling.exporters import _dataset_files as files_
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
    except RecursionError:
        raise ParseError("not a samhandling dataset description: nested too deeply", path=path) from None
    if not isinstance(info, dict) or "partition_by" not in info:
        raise ParseError("not a samhandling dataset description (no 'partition_by')", path=path)
    return info


_TYPE_NAMES = {
    str(t): t for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.string(), pa.large_string())
}


def write_dataset(
    table: StatTable,
    root: str | Path,
    *,
    partition_by: Sequence[str] = ("year", "level"),
    mode: Literal["replace", "append"] = "replace",
    compression: str = "zstd",
    lock_timeout: float = 60.0,
    durable: bool = True,
    **options: Any,
) -> Path:
    """Write ``table`` as a hive-partitioned Parquet dataset under ``root``.

    With ``mode="replace"`` (default) the partitions the table has rows for are replaced and all
    others are left as they are, so writing the 2025 numbers into a dataset that holds 2019–2024 adds
    ``year=2025/…`` and touches nothing else.  With ``mode="append"`` the rows are added to the
    partitions, and a row whose key (region, level, year, month, dimensions, variable) is already in the
    dataset is refused.

    The write takes the dataset's lock (another writer waits up to ``lock_timeout`` seconds), stages
    its files and commits them with one atomic replace of ``_samhandling.json``: a process killed at any
    point leaves the old dataset or the new one.

    :param partition_by: columns that become folder levels, e.g. ``("year", "level")``.
    :param mode: ``"replace"`` the partitions written, or ``"append"`` rows to them.
    :param lock_timeout: seconds to wait for another process writing the same dataset.
    :param durable: flush files and folders to disk before the commit (turn off only for scratch data).
    :raises ExportError: a partition column is missing, the dataset was partitioned differently, or an
        append would repeat keys already in the dataset.
    :raises ConcurrentWriteError: another process held the lock for ``lock_timeout`` seconds.
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
    if mode not in ("replace", "append"):
        raise ExportError(f"mode must be 'replace' or 'append', not {mode!r}")
    root = Path(root)
    if root.is_file():
        raise ExportError(f"{root} is a file; a partitioned dataset is written to a folder")
    schema = _partition_schema(table, partition_by)
    root.mkdir(parents=True, exist_ok=True)
    with files_.locked(root, timeout=lock_timeout):
        info = _dataset_info(root)
        meta = table.meta
        if info is not None:
            if list(info["partition_by"]) != list(partition_by):
                raise ExportError(
                    f"the dataset in {root} is partitioned by {info['partition_by']}, not "
                    f"{list(partition_by)}; write with the same partition_by or to another folder"
                )
            try:
                meta = meta.merged_with(TableMeta.from_json(json.dumps(info["meta"])))
            except SchemaError as exc:
                raise SchemaError(f"cannot add this table to the dataset in {root}: {exc}") from exc
        generation = int(info.get("generation", 0)) if info is not None else 0
        current = _listed_files(root, info, schema)
        files_.remove_retired(root, info.get("retired", []) if info is not None else [])
        files_.remove_leftovers(root, {f.path for f in current})
        new_partitions = _partitions_of(table, partition_by)
        if mode == "append":
            touched = [f for f in current if _key(f, partition_by) in new_partitions]
            _refuse_repeated_keys(table, root, touched, partition_by)
            kept = current
        else:
            kept = [f for f in current if _key(f, partition_by) not in new_partitions]
        staged = files_.StagedWrite(root=root, schema=schema)
        try:
            _stage(table, meta, staged, compression=compression, durable=durable, **options)
            staged.publish(durable=durable)
            reread = _dataset_info(root)
            files_.generation_changed(generation, int(reread.get("generation", 0)) if reread else 0, root)
            description = {
                "format": "samhandling-parquet-dataset",
                "format_version": 2,
                "generation": generation + 1,
                "partition_by": list(partition_by),
                "partition_types": {field.name: str(field.type) for field in schema},
                "meta": json.loads(meta.to_json()),
                "files": [f.to_dict() for f in [*kept, *staged.files]],
                # replaced files, deleted right after this commit; listed so that no reader takes one
                # for data if the process dies before it has deleted them
                "retired": sorted({f.path for f in current} - {f.path for f in kept}),
            }
            atomic.write_text(
                root / DATASET_METADATA_FILE,
                json.dumps(description, ensure_ascii=False, indent=1),
                durable=durable,
            )
        except BaseException:
            staged.roll_back()
            raise
        staged.finish()
        files_.remove_retired(root, description["retired"])
        files_.remove_leftovers(root, {f.path for f in [*kept, *staged.files]})
    return root


def _key(file: files_.DataFile, partition_by: Sequence[str]) -> tuple[Any, ...]:
    return tuple(file.partition.get(name) for name in partition_by)


def _partitions_of(table: StatTable, partition_by: Sequence[str]) -> set[tuple[Any, ...]]:
    """The distinct partition values of the table's rows."""
    columns = table.arrow.select(list(partition_by)).unify_dictionaries()
    plain = pa.table(
        {
            name: column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
            for name, column in zip(columns.column_names, columns.columns, strict=True)
        }
    )
    distinct = plain.group_by(list(partition_by), use_threads=False).aggregate([])
    return {tuple(row[name] for name in partition_by) for row in distinct.to_pylist()}


def _stage(
    table: StatTable,
    meta: TableMeta,
    staged: files_.StagedWrite,
    *,
    compression: str,
    durable: bool,
    **options: Any,
) -> None:
    """Write the table's partitions into the staging folder (pyarrow's partitioned writer)."""
    import pyarrow.dataset as ds

    arrow = table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()})
    # each file is flushed and hashed as soon as pyarrow has finished it, while it writes the next
    with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="samhandling-stage") as pool:
        pending: list[concurrent.futures.Future[None]] = []

        def finished(written: Any) -> None:
            pending.append(
                pool.submit(staged.add_staged, written.path, written.metadata.num_rows, durable=durable)
            )

        ds.write_dataset(
            arrow,
            staged.staging,
            format="parquet",
            partitioning=ds.HivePartitioning(staged.schema, null_fallback=staged.null_marker),
            existing_data_behavior="error",
            basename_template=staged.basename_template,
            file_options=ds.ParquetFileFormat().make_write_options(compression=compression, **options),
            file_visitor=finished,
        )
        for future in pending:
            future.result()


def _listed_files(root: Path, info: dict[str, Any] | None, schema: pa.Schema) -> list[files_.DataFile]:
    """The files of the dataset: those its description lists, or (no list yet) every data file."""
    if info is not None and "files" in info:
        return [
            files_.DataFile.from_dict(entry, location=root / DATASET_METADATA_FILE) for entry in info["files"]
        ]
    return files_.adopt(root, [Path(p).relative_to(root).as_posix() for p in _data_files(root)], schema)


def _refuse_repeated_keys(
    table: StatTable, root: Path, files: Sequence[files_.DataFile], partition_by: Sequence[str]
) -> None:
    """An append must not add a key the dataset's touched partitions already hold."""
    from samhandling.keys import find_duplicate_keys, key_columns

    keys = key_columns(table)
    parts = [table.arrow.select(keys)]
    if files:
        dataset = _open_listed(root, files, _partition_schema(table, partition_by))
        parts.insert(0, dataset.to_table(columns=[k for k in keys if k in dataset.schema.names]))
    plain = []
    for part in parts:
        columns = {}
        for name in keys:
            if name not in part.column_names:
                columns[name] = pa.nulls(part.num_rows, pa.string())
                continue
            column = part.column(name)
            if pa.types.is_dictionary(column.type):
                column = column.cast(column.type.value_type)
            columns[name] = column.cast(pa.string()) if name not in ("year", "month") else column
        plain.append(pa.table(columns))
    combined = pa.concat_tables(plain, promote_options="permissive")
    repeated = find_duplicate_keys(combined, keys)
    if repeated is not None:
        raise ExportError(
            f"cannot append to the dataset in {root}: {repeated.describe()} (counting the dataset's rows "
            f"first, then the new ones). Use mode='replace' to replace those partitions"
        )


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


def _partition_types(info: dict[str, Any]) -> pa.Schema:
    types = info.get("partition_types", {})
    return pa.schema(
        [
            pa.field(name, _TYPE_NAMES.get(types.get(name, "string"), pa.string()))
            for name in info["partition_by"]
        ]
    )


def _partition_expression(file: files_.DataFile, types: pa.Schema) -> ds.Expression:
    import pyarrow.dataset as ds

    expression = ds.scalar(True)
    for field in types:
        if field.name not in file.partition:
            continue
        value = file.partition[field.name]
        term = (
            ds.field(field.name).is_null()
            if value is None
            else ds.field(field.name) == pa.scalar(value, field.type)
        )
        expression = expression & term
    return expression


def _mismatch(root: Path, file: files_.DataFile, what: str) -> ParseError:
    return ParseError(
        f"{file.path} and the dataset's {DATASET_METADATA_FILE} do not belong together ({what}): the file "
        f"was changed or replaced after it was written; write the dataset again",
        path=root,
    )


def _open_listed(root: Path, files: Sequence[files_.DataFile], types: pa.Schema) -> ds.FileSystemDataset:
    """A pyarrow dataset of exactly the listed files; partition values come from the list, not from the
    folder names (so a text such as ``__HIVE_DEFAULT_PARTITION__`` is that text, not an empty value)."""
    import pyarrow.dataset as ds
    import pyarrow.fs

    file_format = ds.ParquetFileFormat()
    filesystem = pyarrow.fs.LocalFileSystem()
    fragments = []
    for file in files:
        path = root / file.path
        try:
            size = path.stat().st_size
        except OSError:
            raise ParseError(
                f"{file.path} is listed in {DATASET_METADATA_FILE} but missing; the dataset is incomplete",
                path=root,
            ) from None
        if size != file.size:
            raise _mismatch(root, file, f"{size:,} bytes, the list says {file.size:,}")
        fragment = file_format.make_fragment(
            str(path), filesystem, partition_expression=_partition_expression(file, types)
        )
        try:
            rows = fragment.metadata.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise ParseError(f"not a readable Parquet file: {exc}", path=path) from exc
        if rows != file.rows:
            raise _mismatch(root, file, f"{rows:,} rows, the list says {file.rows:,}")
        fragments.append(fragment)
    physical = [fragment.physical_schema for fragment in fragments]
    schema = pa.unify_schemas([*physical, types], promote_options="permissive")
    return ds.FileSystemDataset(fragments, schema, file_format, filesystem)


def _verify_checksums(
    root: Path, files: Sequence[files_.DataFile]
) -> list[tuple[files_.DataFile, concurrent.futures.Future[str]]]:
    """Start hashing the files to be read (two threads; hashlib releases the GIL while pyarrow reads)."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="samhandling-checksum")
    futures = [
        (file, pool.submit(file_checksum, root / file.path, algorithm_of(file.checksum))) for file in files
    ]
    pool.shutdown(wait=False)
    return futures


def _compare_checksums(
    root: Path, checks: Sequence[tuple[files_.DataFile, concurrent.futures.Future[str]]]
) -> None:
    for file, future in checks:
        if future.result() != file.checksum:
            raise _mismatch(root, file, "its checksum is not the one listed")


def read_dataset(
    root: str | Path,
    *,
    filters: ds.Expression | list[Any] | None = None,
) -> StatTable:
    """Read a Parquet dataset folder (hive partitions, e.g. written by :func:`write_dataset`).

    Metadata comes from ``_samhandling.json``, else from the files' schema.  Files written at
    different times may differ in their dimension columns; their schemas are unified (a column that an
    older file lacks reads as empty there), never silently dropped.

    A dataset written by samhandling is read from the files its ``_samhandling.json`` lists, each
    checked against the size, rows and checksum recorded there; files a killed writer left behind are
    skipped, and a Parquet file the list does not know is an error (it is not part of the dataset).

    :param filters: a pyarrow expression, e.g. ``pyarrow.dataset.field("year") >= 2020``, or the
        list form ``[("year", ">=", 2020)]`` of :func:`pyarrow.parquet.read_table`; applied while
        reading, so partitions that cannot match are skipped.
    :raises ParseError: the description is broken, or a file does not match it.
    """
    import pyarrow.dataset as ds

    root = Path(root)
    info = _dataset_info(root)
    if isinstance(filters, list):
        filters = pq.filters_to_expression(filters)
    if info is not None and "files" in info:
        return _read_listed(root, info, filters)
    if info is not None:
        partitioning: ds.Partitioning | ds.PartitioningFactory = ds.partitioning(
            _partition_types(info), flavor="hive"
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


def _read_listed(root: Path, info: dict[str, Any], filters: ds.Expression | None) -> StatTable:
    description = root / DATASET_METADATA_FILE
    files = [files_.DataFile.from_dict(entry, location=description) for entry in info["files"]]
    listed = {file.path for file in files}
    retired = {str(path) for path in info.get("retired", [])}
    for path in _data_files(root):
        relative = Path(path).relative_to(root).as_posix()
        if relative in listed or relative in retired or files_.is_leftover(relative, listed):
            continue  # a killed writer's file is not part of the dataset; the next write removes it
        raise ParseError(
            f"{relative} is in the dataset folder but not in its {DATASET_METADATA_FILE}, so it is not part "
            f"of the dataset (another tool put it there?); move it out, or add its rows with "
            f"write_dataset(..., mode='append')",
            path=root,
        )
    if not files:
        raise SourceError(f"{root}: the folder holds no Parquet files")
    types = _partition_types(info)
    dataset = _open_listed(root, files, types)
    chosen = list(dataset.get_fragments(filter=filters)) if filters is not None else None
    by_path = {str(root / file.path): file for file in files}
    to_read = files if chosen is None else [by_path[fragment.path] for fragment in chosen]
    checks = _verify_checksums(root, to_read)
    try:
        arrow = dataset.to_table(filter=filters)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        _compare_checksums(root, checks)  # a changed file explains the failure better
        raise SourceError(f"{root}: cannot read the Parquet dataset: {exc}") from exc
    _compare_checksums(root, checks)
    meta = TableMeta.from_json(json.dumps(info["meta"]))
    return StatTable.from_arrow(arrow.unify_dictionaries().replace_schema_metadata(None), meta=meta)


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
        with atomic.atomic_path(path) as temporary:
            pq.write_table(table.arrow, temporary, compression=compression, **options)
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
        except (pa.ArrowException, OSError) as exc:
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
