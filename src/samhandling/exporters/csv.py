"""CSV: a plain, portable table (one row per observation, status symbols in their own column).

By default UTF-8, comma-separated, decimal point — what pandas, R and DuckDB expect.  With
``norwegian=True`` it is what Excel with Norwegian settings opens directly, like SSB's own CSV downloads:
semicolon between fields, decimal comma, and a UTF-8 byte-order mark so that æ, ø and å survive.

CSV cannot carry units or provenance; they are written to ``<file>.meta.json`` beside the CSV (the
same JSON as the Parquet schema metadata, plus the column types and the dialect), so the built-in
source ``samhandling-csv`` reads the pair back into the same StatTable.  A CSV in this layout whose
``.meta.json`` is missing is still read, with units and additivity inferred from the variable ids
(:mod:`samhandling.inference`) and no geography year.  Numbers keep every digit of
the float64 (shortest exact form); the decimal comma is put in with pyarrow compute on the formatted
column, never row by row.

Both files are written to temporary files and renamed into place together (:mod:`samhandling.atomic`),
and the ``.meta.json`` records the CSV's size, rows and BLAKE3 checksum: a CSV cut short, at any byte, or a
CSV and a ``.meta.json`` from different exports are refused when read, never read as valid.  Text
that a spreadsheet would run as a formula is written with a leading apostrophe
(:mod:`samhandling.exporters.formulas`) and read back as written.
"""

from __future__ import annotations

import json
import logging
import re
import typing
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from samhandling import atomic
from samhandling._checksums import CHECKSUM_ALGORITHMS, HashingFile, algorithm_of, hash_in_background
from samhandling.errors import ExportError, ParseError, SourceError
from samhandling.exporters.formulas import neutralise_table, neutralise_text, restore_column
from samhandling.exporters.jsonstat import _arrow_type, _arrow_type_name
from samhandling.hookspecs import hookimpl
from samhandling.registry import Registrar
from samhandling.tables import StatTable, TableMeta

__all__ = ["CsvExporter", "CsvSource", "format_decimal", "metadata_path", "read_csv"]

log = logging.getLogger(__name__)

BOM = b"\xef\xbb\xbf"
# pyarrow's CSV writer hands over one buffer per batch; big batches keep the hashing tee cheap
_WRITE_BATCH_ROWS = 1 << 16


def _text_bytes(chunk: pa.Array) -> tuple[bytes, np.ndarray]:
    """The characters of a string array's values (one bytes object) and its value offsets."""
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    _validity, offsets_buffer, data = chunk.buffers()
    offsets = np.frombuffer(
        offsets_buffer,
        offset_type,
        count=len(chunk) + 1,
        offset=chunk.offset * np.dtype(offset_type).itemsize,
    )
    if data is None or len(chunk) == 0:
        return b"", offsets
    return data.to_pybytes()[int(offsets[0]) : int(offsets[-1])], offsets


def format_decimal(values: pa.Array | pa.ChunkedArray, decimal: str = ",") -> pa.ChunkedArray:
    """Numbers as text with ``decimal`` as the decimal mark and no exponent (``1234,5``, ``0,0001``).

    Every digit is kept: the text reads back to the same float64.  Arrow formats the whole column at
    once; the few values it writes with an exponent (very large or very small) are rewritten
    positionally, and the decimal point is swapped byte for byte in the text buffer (numbers hold no
    other ``.``), so the column is never visited value by value in Python.
    """
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    text = values.cast(pa.float64()).cast(pa.string())
    chunks = []
    for number_chunk, chunk in zip(values.cast(pa.float64()).chunks, text.chunks, strict=True):
        characters, _offsets = _text_bytes(chunk)
        if b"e" in characters:  # e.g. 1e-05 or 2.5e+21: rare, rewritten without the exponent
            exponent = pc.fill_null(pc.match_substring(chunk, "e"), False)
            numbers = number_chunk.filter(exponent).to_numpy(zero_copy_only=False)
            positional = pa.array([np.format_float_positional(n, trim="-") for n in numbers], pa.string())
            chunk = pc.replace_with_mask(chunk, exponent, positional)
        if decimal != "." and chunk.buffers()[2] is not None:
            validity, offsets_buffer, data = chunk.buffers()
            swapped = np.frombuffer(data, np.uint8).copy()
            swapped[swapped == ord(".")] = ord(decimal)
            chunk = pa.StringArray.from_buffers(
                len(chunk), offsets_buffer, pa.py_buffer(swapped), validity, chunk.null_count, chunk.offset
            )
        chunks.append(chunk)
    return pa.chunked_array(chunks, pa.string())


def _needs_quotes(table: pa.Table, delimiter: str) -> bool:
    """Whether any text would need quotes: a delimiter, quote or line break, or an empty string.

    The check reads each text column's character buffer with ``bytes.find`` (memchr speed) and its
    offsets with numpy, so a 10-million-row column costs milliseconds; dictionary columns are checked
    on their dictionary.
    """
    specials = [delimiter.encode("utf-8"), b'"', b"\r", b"\n"]
    for column in table.columns:
        data_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if not (pa.types.is_string(data_type) or pa.types.is_large_string(data_type)):
            continue
        if pa.types.is_dictionary(column.type):
            chunks = [chunk.dictionary for chunk in column.chunks]
        else:
            chunks = list(column.chunks)
        for chunk in chunks:
            characters, offsets = _text_bytes(chunk)
            if any(special in characters for special in specials):
                return True
            empty = np.diff(offsets) == 0
            if empty.any() and (
                chunk.null_count == 0 or (empty & chunk.is_valid().to_numpy(zero_copy_only=False)).any()
            ):
                return True
    pattern = f'[{re.escape(delimiter)}"\\r\\n]|^$'
    return any(re.search(pattern, name) for name in table.column_names)


@typing.final
class CsvExporter:
    """Write a StatTable as CSV, with its metadata in ``<file>.meta.json``."""

    name = "csv"
    description = (
        "CSV (UTF-8; comma, or with norwegian=True semicolon + decimal comma + BOM); metadata in .meta.json"
    )
    suffixes = (".csv",)

    def write(
        self,
        table: StatTable,
        destination: str | Path,
        *,
        delimiter: str | None = None,
        decimal: str | None = None,
        norwegian: bool = False,
        bom: bool | None = None,
        metadata: bool = True,
        line_terminator: str = "\n",
        neutralise_formulas: bool = True,
    ) -> Path:
        """Write the table (and its ``.meta.json``) atomically.

        :param delimiter: field separator; default ``,`` (``;`` with ``norwegian``).
        :param decimal: decimal mark; default ``.`` (``,`` with ``norwegian``).
        :param norwegian: semicolons, decimal comma and a byte-order mark, as Excel in Norway expects.
        :param bom: start the file with a UTF-8 byte-order mark (default: only with ``norwegian``).
        :param metadata: also write units, variables, provenance and the file's size, rows and
            checksum to ``<file>.meta.json``.
        :param line_terminator: ``"\\n"`` (default) or ``"\\r\\n"``.
        :param neutralise_formulas: write text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
            carriage return with a leading ``'``, so that a spreadsheet shows it instead of running it
            (default).  Turn off only for data you trust; numbers are never changed.
        """
        delimiter = delimiter if delimiter is not None else (";" if norwegian else ",")
        decimal = decimal if decimal is not None else ("," if norwegian else ".")
        bom = bom if bom is not None else norwegian
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise ExportError(
                f"delimiter must be one character other than a quote or line break, not {delimiter!r}"
            )
        if decimal not in (".", ","):
            raise ExportError(f"decimal must be '.' or ',', not {decimal!r}")
        if decimal == delimiter:
            raise ExportError(
                f"the decimal mark and the delimiter are both {decimal!r}; use ';' with a decimal comma"
            )
        if line_terminator not in ("\n", "\r\n"):
            raise ExportError(f"line_terminator must be '\\n' or '\\r\\n', not {line_terminator!r}")
        arrow = table.arrow.replace_schema_metadata(None)
        if neutralise_formulas:
            arrow = neutralise_table(arrow, skip=("value", "status"))
            arrow = arrow.rename_columns([neutralise_text(name) for name in arrow.column_names])
        if decimal != ".":
            index = arrow.column_names.index("value")
            arrow = arrow.set_column(index, "value", format_decimal(arrow.column("value"), decimal))
        # Quote nothing when no text needs it (numbers with a decimal comma are then not written as
        # quoted text); otherwise pyarrow quotes every text cell, which any CSV reader understands.
        quoting = "needed" if _needs_quotes(arrow, delimiter) else "none"
        options = pacsv.WriteOptions(
            delimiter=delimiter,
            eol=line_terminator,
            quoting_style=quoting,
            quoting_header=quoting,
            batch_size=_WRITE_BATCH_ROWS,
        )
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not metadata:
            # a native stream: no Python in the write loop
            with atomic.atomic_path(path) as temporary, pa.OSFile(str(temporary), "wb") as stream:
                if bom:
                    stream.write(BOM)
                pacsv.write_csv(arrow, stream, write_options=options)
            return path
        with atomic.atomic_paths(path, metadata_path(path)) as (temporary, temporary_sidecar):
            with HashingFile(temporary) as sink:
                if bom:
                    sink.write(BOM)
                pacsv.write_csv(arrow, sink, write_options=options)
            sidecar = json.loads(table.meta.to_json())
            sidecar["columns"] = {field.name: _arrow_type_name(field.type) for field in table.arrow.schema}
            sidecar["csv"] = {
                "delimiter": delimiter,
                "decimal": decimal,
                "bom": bom,
                "formulas": "neutralised" if neutralise_formulas else "kept",
            }
            sidecar["data"] = {"rows": table.num_rows, "bytes": sink.size, "checksum": sink.checksum}
            temporary_sidecar.write_text(json.dumps(sidecar, ensure_ascii=False, indent=2), encoding="utf-8")
        return path


def metadata_path(path: str | Path) -> Path:
    """Where the metadata of a CSV file is kept: ``<file>.meta.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


def read_csv(path: str | Path) -> StatTable:
    """Read a CSV file written by :class:`CsvExporter` back, with the metadata from its ``.meta.json``.

    Delimiter, decimal mark and column types come from the metadata file, so the default and the
    Norwegian flavour read back to the same table.  Empty fields are empty values; an empty text
    written in quotes stays an empty text.  The file's size, rows and checksum must be those the
    metadata file records: a cut file, or a CSV and a ``.meta.json`` from different exports, are refused.

    :raises SourceError: the metadata file is missing.
    :raises ParseError: the metadata file is broken, the two files do not belong together, or a field
        does not have its column's type.
    """
    path = Path(path)
    sidecar_path = metadata_path(path)
    if not sidecar_path.is_file():
        if _canonical_header(path) is not None:
            return _read_without_metadata(path)
        raise SourceError(
            f"{path}: no {sidecar_path.name} beside it, and its header is not samhandling's (region, level, "
            f"year, variable, value); read other CSV files with a source plugin"
        )
    try:
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        columns: dict[str, str] = dict(sidecar["columns"])
        dialect = dict(sidecar.get("csv", {}))
        expected = _DataFile.from_sidecar(sidecar.get("data"))
    except (OSError, UnicodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"not a samhandling CSV metadata file: {exc}", path=sidecar_path) from exc
    except RecursionError:
        raise ParseError(
            "not a samhandling CSV metadata file: nested too deeply", path=sidecar_path
        ) from None
    checksum = None
    if expected is None:
        log.warning(
            "%s: %s records no size or checksum (written by an earlier version); a cut file cannot be told",
            path,
            sidecar_path.name,
        )
    else:
        size = path.stat().st_size
        if size != expected.size:
            raise _mismatch(
                path, sidecar_path, f"the file has {size:,} bytes, the metadata says {expected.size:,}"
            )
        checksum = hash_in_background(path, algorithm_of(expected.checksum))
    neutralised = dialect.get("formulas", "kept") == "neutralised"
    in_file = {neutralise_text(name) if neutralised else name: name for name in columns}
    types = {}
    for written, name in in_file.items():
        if name == "value":
            types[written] = pa.float64()
            continue
        data_type = _arrow_type(columns[name], column=name, location=sidecar_path)
        types[written] = data_type.value_type if pa.types.is_dictionary(data_type) else data_type
    try:
        arrow = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf-8"),
            parse_options=pacsv.ParseOptions(
                delimiter=str(dialect.get("delimiter", ",")), newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                decimal_point=str(dialect.get("decimal", ".")),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                include_columns=list(in_file),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
        if checksum is not None and expected is not None and checksum.result() != expected.checksum:
            raise _mismatch(path, sidecar_path, "the file's checksum is not the one recorded") from None
        raise ParseError(f"does not match its metadata: {exc}", path=path) from exc
    if expected is not None and checksum is not None:
        if arrow.num_rows != expected.rows:
            raise _mismatch(
                path,
                sidecar_path,
                f"the file has {arrow.num_rows:,} rows, the metadata says {expected.rows:,}",
            )
        if checksum.result() != expected.checksum:
            raise _mismatch(path, sidecar_path, "the file's checksum is not the one recorded")
    arrow = arrow.rename_columns([in_file[name] for name in arrow.column_names])
    if neutralised:
        arrow = pa.Table.from_arrays(
            [
                column if name in ("value", "status") else restore_column(column)
                for name, column in zip(arrow.column_names, arrow.columns, strict=True)
            ],
            names=arrow.column_names,
        )
    meta = TableMeta.from_json(json.dumps(sidecar))
    return StatTable.from_arrow(arrow, meta=meta)


_CANONICAL = ("region", "level", "year", "variable", "value")


def _canonical_header(path: Path) -> tuple[list[str], str] | None:
    """The header and delimiter of a CSV laid out as samhandling writes it, or ``None``."""
    try:
        with path.open("rb") as stream:
            head = stream.read(1 << 16)
    except OSError:
        return None
    first = head.removeprefix(BOM).split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")
    for delimiter in (",", ";", "\t"):
        names = [name.strip().strip('"') for name in first.split(delimiter)]
        if all(name in names for name in _CANONICAL):
            return names, delimiter
    return None


def _read_without_metadata(path: Path) -> StatTable:
    """A CSV in samhandling's layout whose ``.meta.json`` is missing: units and additivity inferred.

    The variables get the unit and additivity their ids say (:func:`samhandling.inference.infer_variable`:
    a ``…_per_10000`` or ``dekningsgrad`` is not additive); the geography year is unknown.
    """
    from samhandling.encodings import decode_text
    from samhandling.inference import infer_variable
    from samhandling.periods import SUB_YEAR_COLUMNS
    from samhandling.tables import Provenance

    found = _canonical_header(path)
    assert found is not None
    names, delimiter = found
    text = decode_text(path.read_bytes(), path=path)  # one encoding for the whole file, or an error
    body = text.split("\n", 1)[1] if "\n" in text else ""
    decimal = "," if delimiter != "," and re.search(r"\d,\d", body) else "."
    types: dict[str, pa.DataType] = {name: pa.string() for name in names}
    types.update({"year": pa.int16(), "value": pa.float64()})
    types.update({name: pa.int8() for name in SUB_YEAR_COLUMNS if name in names})
    try:
        arrow = pacsv.read_csv(
            pa.BufferReader(text.encode("utf-8")),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                decimal_point=decimal,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise ParseError(
            f"a CSV in samhandling's layout, read without its .meta.json: {exc}", path=path
        ) from exc
    ids = [str(v) for v in pc.unique(arrow.column("variable").drop_null()).to_pylist()]
    variables = [infer_variable(variable_id).variable for variable_id in ids]
    note = "read without its .meta.json: units and additivity inferred from the variable ids"
    return StatTable.from_arrow(
        arrow,
        source="samhandling-csv",
        variables=variables,
        provenance=[Provenance.for_file("samhandling-csv", path, note=note)],
    )


@attrs.frozen(kw_only=True)
class _DataFile:
    """What the ``.meta.json`` records about its CSV: size in bytes, rows and checksum."""

    size: int
    rows: int
    checksum: str

    @classmethod
    def from_sidecar(cls, data: Any) -> _DataFile | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ValueError(f"'data' must be an object, not {type(data).__name__}")
        size, rows, checksum = data.get("bytes"), data.get("rows"), data.get("checksum")
        if not (isinstance(size, int) and isinstance(rows, int) and isinstance(checksum, str)):
            raise ValueError("'data' must give 'bytes' and 'rows' (whole numbers) and 'checksum' (text)")
        if algorithm_of(checksum) not in CHECKSUM_ALGORITHMS:
            raise ValueError(
                f"'checksum' must start with one of {list(CHECKSUM_ALGORITHMS)}, not {checksum!r}"
            )
        return cls(size=size, rows=rows, checksum=checksum)


def _mismatch(path: Path, sidecar_path: Path, what: str) -> ParseError:
    return ParseError(
        f"the CSV and {sidecar_path.name} do not belong together ({what}): the file was cut short, "
        f"changed or replaced after it was written; export the table again",
        path=path,
    )


@typing.final
class CsvSource:
    """Read back CSV files that samhandling wrote (recognised by the ``.meta.json`` beside them)."""

    name = "samhandling-csv"
    description = "CSV written by samhandling, with its .meta.json (units, status, provenance restored)"

    def can_read(self, location: str | Path) -> bool:
        """Whether ``location`` is a ``.csv`` file with samhandling's ``.meta.json`` beside it, or with
        samhandling's header (then read with units and additivity inferred)."""
        path = Path(location)
        if path.suffix.lower() != ".csv" or not path.is_file():
            return False
        return metadata_path(path).is_file() or _canonical_header(path) is not None

    def read(self, location: str | Path, **options: Any) -> StatTable:
        """Read the file (no options are accepted: the dialect is in the metadata file)."""
        if options:
            raise SourceError(f"source {self.name!r} takes no options, got {sorted(options)}")
        return read_csv(location)


@hookimpl
def samhandling_register_exporters(register: Registrar) -> None:
    """Register the CSV exporter."""
    register(CsvExporter())


@hookimpl
def samhandling_register_sources(register: Registrar) -> None:
    """Register the reader for CSV files that samhandling wrote."""
    register(CsvSource())
