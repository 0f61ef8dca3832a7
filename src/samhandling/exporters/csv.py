"""CSV: a plain, portable table (one row per observation, status symbols in their own column).

By default UTF-8, comma-separated, decimal point — what pandas, R and DuckDB expect.  With
``norwegian=True`` it is what Excel with Norwegian settings opens directly, like SSB's own CSV downloads:
semicolon between fields, decimal comma, and a UTF-8 byte-order mark so that æ, ø and å survive.

CSV cannot carry units or provenance; they are written to ``<file>.meta.json`` beside the CSV (the
same JSON as the Parquet schema metadata).  Numbers keep every digit of the float64 (shortest exact
form); the decimal comma is put in with pyarrow compute on the formatted column, never row by row.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from samhandling.errors import ExportError
from samhandling.hookspecs import hookimpl
from samhandling.registry import Registrar
from samhandling.tables import StatTable

__all__ = ["CsvExporter", "decoded", "format_decimal"]

BOM = b"\xef\xbb\xbf"


def decoded(table: pa.Table) -> pa.Table:
    """The table with dictionary columns turned back into plain strings (for text formats)."""
    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


def format_decimal(values: pa.Array | pa.ChunkedArray, decimal: str = ",") -> pa.ChunkedArray:
    """Numbers as text with ``decimal`` as the decimal mark and no exponent (``1234,5``, ``0,0001``).

    Every digit is kept: the text reads back to the same float64.  Arrow formats the whole column at
    once; the few values it writes with an exponent (very large or very small) are rewritten
    positionally, and the decimal point is then replaced in one compute call.
    """
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    text = values.cast(pa.float64()).cast(pa.string())
    exponent = pc.fill_null(pc.match_substring(text, "e"), False)
    if pc.any(exponent).as_py():
        rows = np.flatnonzero(exponent.to_numpy(zero_copy_only=False))
        numbers = pc.take(values, pa.array(rows)).to_numpy(zero_copy_only=False)
        positional = [np.format_float_positional(number, trim="-") for number in numbers]
        text = pa.chunked_array([_scatter(text.combine_chunks(), rows, positional)])
    if decimal != ".":
        text = pc.replace_substring(text, ".", decimal)
    return text


def _scatter(text: pa.Array, rows: np.ndarray, replacement: list[str]) -> pa.Array:
    """``text`` with the strings at ``rows`` replaced (only the rare rows, so a short loop is fine)."""
    as_list = text.to_numpy(zero_copy_only=False).astype(object)
    as_list[rows] = replacement
    return pa.array(as_list, pa.string())


_SPECIAL = re.compile(r'[;,"\r\n]')


def _needs_quotes(table: pa.Table, delimiter: str) -> bool:
    """Whether any text cell would need quotes (a delimiter, quote or line break, or an empty string)."""
    pattern = f'[{re.escape(delimiter)}"\\r\\n]|^$'
    for column in table.columns:
        data_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if not (pa.types.is_string(data_type) or pa.types.is_large_string(data_type)):
            continue
        if pa.types.is_dictionary(column.type):
            column = pa.chunked_array([c.dictionary for c in column.chunks], data_type)
        if pc.any(pc.match_substring_regex(column, pattern)).as_py():
            return True
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
    ) -> Path:
        """Write the table.

        :param delimiter: field separator; default ``,`` (``;`` with ``norwegian``).
        :param decimal: decimal mark; default ``.`` (``,`` with ``norwegian``).
        :param norwegian: semicolons, decimal comma and a byte-order mark, as Excel in Norway expects.
        :param bom: start the file with a UTF-8 byte-order mark (default: only with ``norwegian``).
        :param metadata: also write units, variables and provenance to ``<file>.meta.json``.
        :param line_terminator: ``"\\n"`` (default) or ``"\\r\\n"``.
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
        arrow = decoded(table.arrow.replace_schema_metadata(None))
        if decimal != ".":
            index = arrow.column_names.index("value")
            arrow = arrow.set_column(index, "value", format_decimal(arrow.column("value"), decimal))
        # Quote text only where needed, so numbers with a decimal comma are not written as quoted text;
        # when some text holds a delimiter, quote every text cell as pyarrow does.
        quoting = "needed" if _needs_quotes(arrow, delimiter) else "none"
        options = pacsv.WriteOptions(
            delimiter=delimiter,
            eol=line_terminator,
            quoting_style=quoting,
            quoting_header=quoting,
        )
        if decimal != "." and quoting == "needed":
            # keep the value column unquoted: it holds digits, '-' and the decimal mark only
            options = pacsv.WriteOptions(delimiter=delimiter, eol=line_terminator, quoting_style="needed")
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as stream:
            if bom:
                stream.write(BOM)
            pacsv.write_csv(arrow, stream, write_options=options)
        if metadata:
            path.with_name(path.name + ".meta.json").write_bytes(table.meta.to_json())
        return path


@hookimpl
def samhandling_register_exporters(register: Registrar) -> None:
    register(CsvExporter())
