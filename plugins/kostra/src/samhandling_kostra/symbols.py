"""SSB's special symbols and the split of a text column into ``value`` and ``status``.

SSB prints a symbol instead of a number when a cell has no ordinary value: ``.`` (cannot occur), ``..``
(not available), ``...`` (not yet published), ``:`` (suppressed for privacy) and ``-`` (nothing to report,
a true zero).  :func:`split_values` turns a whole column of cell texts into a float64 ``value`` column and a
dictionary-encoded ``status`` column in a few pyarrow kernels; a symbol never becomes a number and a number
never loses its symbol.  A cell that is neither a number nor a known symbol is reported with its row, so the
reader can name the file, line and column.
"""

from __future__ import annotations

import math
import re
import typing

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.tables import STATUS_SYMBOLS, Status, status_type

__all__ = ["SYMBOLS", "BadCell", "count_symbols", "describe_bad_cell", "split_values", "status_from_symbols"]

#: SSB's symbols in the order of :class:`samhandling.Status` (the dictionary of every status column here).
SYMBOLS: tuple[str, ...] = STATUS_SYMBOLS
_SYMBOL_ARRAY = pa.array(SYMBOLS, pa.string())
_ZERO_INDEX = SYMBOLS.index(Status.NOTHING_TO_REPORT.value)
_SAMPLE = 1 << 16
# What each symbol's cell holds before the cast: nothing, except "-", a true zero.
_SYMBOL_NUMBERS = pa.array(
    ["0" if s == Status.NOTHING_TO_REPORT.value else None for s in SYMBOLS], pa.string()
)
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_ONLY_PUNCTUATION = re.compile(r"^[^\w\s]+$")


@typing.final
@attrs.frozen(kw_only=True)
class BadCell(Exception):
    """A cell that is neither a number nor one of SSB's symbols (``row`` counts from 0 in the column)."""

    row: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


def describe_bad_cell(text: str) -> str:
    """What is wrong with one cell text, in words an analyst understands."""
    stripped = text.strip()
    if not stripped:
        return (
            "empty cell; SSB marks a missing value with a symbol (.. not available, : suppressed, "
            "- nothing to report), so an empty cell means the file is damaged or was edited"
        )
    if _ONLY_PUNCTUATION.match(stripped):
        return f"unknown symbol {stripped!r}; expected a number or one of SSB's symbols {list(SYMBOLS)}"
    return (
        f"{stripped!r} is not a number; expected a number (decimal comma or point) or one of {list(SYMBOLS)}"
    )


def status_from_symbols(symbols: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """A status column from a column of symbol texts (null for no status); unknown texts raise BadCell."""
    chunked = symbols if isinstance(symbols, pa.ChunkedArray) else pa.chunked_array([symbols])
    index = pc.index_in(chunked, value_set=_SYMBOL_ARRAY)
    unknown = pc.and_(pc.is_valid(chunked), pc.is_null(index))
    if pc.any(unknown).as_py():
        row = int(pc.index(unknown, True).as_py())
        text = str(chunked[row].as_py())
        raise BadCell(
            row=row, text=text, reason=f"unknown status symbol {text!r}; expected one of {list(SYMBOLS)}"
        )
    return _status_column(index)


def _status_column(index: pa.ChunkedArray) -> pa.ChunkedArray:
    target = status_type()
    chunks = [pa.DictionaryArray.from_arrays(chunk.cast(pa.int8()), _SYMBOL_ARRAY) for chunk in index.chunks]
    return pa.chunked_array(chunks, target)


def split_values(
    cells: pa.ChunkedArray, *, decimal_comma: bool | None
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Split cell texts into ``(value float64, status)``; ``-`` gives 0.0 with status ``-``.

    Whole-column work only: one ``index_in`` finds the symbols, their cells are hidden behind a validity
    bitmap (no string copy), a decimal comma becomes a point byte for byte in the character buffer
    (the offsets stay valid), and one cast reads the numbers (``-`` then becomes 0).
    ``decimal_comma=None`` detects the decimal mark: a column that casts with a point is read with a
    point; otherwise commas are decimal marks, and a number that also holds a point (``1.500,5`` or a
    thousands point) is refused rather than misread.  A column whose marked numbers all look grouped by
    thousands (``1.234``, ``12,345``) is refused too unless the file shows its convention.  Raises
    :class:`BadCell` for the first cell that is neither a number nor a symbol.
    """
    if not pa.types.is_string(cells.type):
        cells = cells.cast(pa.string())
    # Chunk by chunk, so that the symbol positions line up with the cells' chunks.
    index = pa.chunked_array(
        [pc.index_in(chunk, value_set=_SYMBOL_ARRAY) for chunk in cells.chunks], pa.int32()
    )
    is_symbol = pc.is_valid(index)
    numbers = _hide_symbols(cells, index)
    values: pa.ChunkedArray | None = None
    auto = decimal_comma is None
    if decimal_comma is None:
        # Decide on the first cells; a comma further down is caught by the failing cast below.
        # No symbol holds a comma, so the characters of the first cells tell.
        if _count_byte(cells, _COMMA, rows=_SAMPLE):
            decimal_comma = True
        else:
            try:
                values = numbers.cast(pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                if not _count_byte(cells, _COMMA):
                    raise _first_bad_cell(cells, is_symbol) from None
                decimal_comma = True
        if decimal_comma and _count_byte(cells, _POINT) > _symbol_points(index):
            with_point = pc.match_substring(numbers, ".")  # error path: which cell
            row = int(pc.index(pc.fill_null(with_point, False), True).as_py())
            text = str(cells[row].as_py())
            raise BadCell(
                row=row,
                text=text,
                reason=(
                    f"{text!r} has a decimal point while other cells use a decimal comma; give the "
                    f"decimal mark explicitly (decimal=',' or '.')"
                ),
            )
    if auto:
        mark = "," if decimal_comma else "."
        marks = _count_byte(cells, ord(mark)) - (_symbol_points(index) if mark == "." else 0)
        if marks:
            ambiguous = _thousands_ambiguity(numbers, mark)
            if ambiguous is not None:
                text = str(cells[ambiguous].as_py())
                raise BadCell(
                    row=ambiguous,
                    text=text,
                    reason=(
                        f"{text!r} may hold a thousands separator ({text.replace(mark, '')}) or a decimal "
                        f"mark ({text.replace(mark, '.')}): every number with a {mark!r} in this column has "
                        f"three digits after it and none shows the file's convention; give decimal={mark!r} "
                        "if it is the decimal mark (numbers grouped by thousands are not read; SSB does not "
                        "write them)"
                    ),
                )
    if values is None:
        if decimal_comma:
            numbers = _commas_to_points(numbers)
        try:
            values = numbers.cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _first_bad_cell(cells, is_symbol) from None
    is_zero = pc.equal(index, _ZERO_INDEX)  # null where there is no symbol
    if pc.any(is_zero).as_py():
        values = pc.if_else(pc.fill_null(is_zero, False), 0.0, values)
    # "nan" and "inf" parse as floats but are not numbers SSB writes; one sum finds them.
    total = pc.sum(values).as_py()
    if total is not None and not math.isfinite(total) and pc.any(pc.invert(pc.is_finite(values))).as_py():
        raise _first_bad_cell(cells, is_symbol) from None
    return values, _status_column(index)


# -- character-buffer helpers (string arrays with int32 offsets) -------------------------------------

_COMMA = ord(",")
_POINT = ord(".")
_POINTS_IN_SYMBOL = np.array([symbol.count(".") for symbol in SYMBOLS], dtype=np.int64)


def _offsets(chunk: pa.Array) -> np.ndarray:
    """The ``len + 1`` offsets of a string array into its character buffer."""
    return np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=len(chunk) + 1, offset=chunk.offset * 4)


def _characters(chunk: pa.Array, rows: int | None = None) -> np.ndarray:
    """The bytes of the first ``rows`` cells (all when ``None``) of a string array, without a copy."""
    data = chunk.buffers()[2]
    if data is None or len(chunk) == 0:
        return np.zeros(0, dtype=np.uint8)
    offsets = _offsets(chunk)
    end = offsets[-1] if rows is None or rows >= len(chunk) else offsets[rows]
    return np.frombuffer(data, dtype=np.uint8)[offsets[0] : end]


def _count_byte(cells: pa.ChunkedArray, byte: int, *, rows: int | None = None) -> int:
    """How often ``byte`` occurs in the cells (the first ``rows`` cells when given)."""
    count = 0
    remaining = rows
    for chunk in cells.chunks:
        if remaining is not None and remaining <= 0:
            break
        count += int(np.count_nonzero(_characters(chunk, remaining) == byte))
        if remaining is not None:
            remaining -= len(chunk)
    return count


def _symbol_points(index: pa.ChunkedArray) -> int:
    """How many points the symbol cells hold (``.``, ``..`` and ``...`` are made of them)."""
    found = pc.drop_null(index).to_numpy() if index.null_count < len(index) else np.zeros(0, np.int32)
    if not len(found):
        return 0
    return int(np.bincount(found, minlength=len(SYMBOLS)) @ _POINTS_IN_SYMBOL)


def _hide_symbols(cells: pa.ChunkedArray, index: pa.ChunkedArray) -> pa.ChunkedArray:
    """The cells with the symbol cells null: a new validity bitmap over the same characters."""
    chunks = []
    for chunk, found in zip(cells.chunks, index.chunks, strict=True):
        keep = pc.is_null(found)
        if chunk.null_count:
            keep = pc.and_(keep, pc.is_valid(chunk))
        if keep.offset or len(keep) != len(chunk):
            chunks.append(pc.if_else(keep, chunk, pa.scalar(None, pa.string())))
            continue
        validity = keep.buffers()[1]
        offsets = chunk.buffers()[1].slice(chunk.offset * 4, (len(chunk) + 1) * 4)
        chunks.append(pa.Array.from_buffers(pa.string(), len(chunk), [validity, offsets, chunk.buffers()[2]]))
    return pa.chunked_array(chunks, pa.string())


def _commas_to_points(numbers: pa.ChunkedArray) -> pa.ChunkedArray:
    """Every ``,`` a ``.``: one byte for one byte in a copy of the character buffer (offsets unchanged)."""
    chunks = []
    for chunk in numbers.chunks:
        buffers = chunk.buffers()
        if buffers[2] is None:
            chunks.append(chunk)
            continue
        characters = np.frombuffer(buffers[2], dtype=np.uint8)
        replaced = np.where(characters == _COMMA, np.uint8(_POINT), characters)
        chunks.append(
            pa.Array.from_buffers(
                pa.string(), len(chunk), [buffers[0], buffers[1], pa.py_buffer(replaced)], offset=chunk.offset
            )
        )
    return pa.chunked_array(chunks, pa.string())


_GROUPED = {".": r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$", ",": r"^[+-]?[1-9]\d{0,2}(,\d{3})+$"}
_LONG_INTEGER = r"^[+-]?\d{4,}$"


def _thousands_ambiguity(numbers: pa.ChunkedArray, mark: str) -> int | None:
    """The first cell of a column whose numbers may all be grouped by thousands with ``mark``.

    ``1.234`` is 1.234 with a decimal point or 1234 with a thousands point.  The file shows its
    convention when one number with the mark is not of that shape (``12.5``, ``0.205``, ``1234.5``) or a
    whole number of four or more digits is written without a separator; otherwise it is ambiguous.  The
    first cells decide the common case; the whole column is looked at only when they do not.
    """
    for part in (numbers.slice(0, _SAMPLE), numbers):
        has_mark = pc.fill_null(pc.match_substring(part, mark), False)
        grouped = pc.fill_null(pc.match_substring_regex(part, _GROUPED[mark]), False)
        if pc.any(pc.and_(has_mark, pc.invert(grouped))).as_py():
            return None
    if pc.any(pc.fill_null(pc.match_substring_regex(numbers, _LONG_INTEGER), False)).as_py():
        return None
    has_mark = pc.fill_null(pc.match_substring(numbers, mark), False)
    row = int(pc.index(has_mark, True).as_py())
    return row if row >= 0 else None


def _first_bad_cell(cells: pa.ChunkedArray, is_symbol: pa.ChunkedArray) -> BadCell:
    """The first cell that is neither a symbol nor a number (error path only)."""
    numeric = pc.match_substring_regex(pc.utf8_trim_whitespace(cells), _NUMBER.pattern)
    bad = pc.invert(pc.or_(is_symbol, pc.fill_null(numeric, False)))
    row = int(pc.index(bad, True).as_py())
    if row < 0:  # pragma: no cover - the cast failed, so some cell is bad
        row = 0
    text = str(cells[row].as_py())
    return BadCell(row=row, text=text, reason=describe_bad_cell(text))


def count_symbols(status: pa.ChunkedArray) -> dict[str, int]:
    """How many cells carry each symbol (for reports and tests)."""
    counts = np.zeros(len(SYMBOLS), dtype=np.int64)
    for chunk in status.chunks:
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        valid = ~np.asarray(chunk.is_null().to_numpy(zero_copy_only=False))
        counts += np.bincount(indices[valid].astype(np.int64), minlength=len(SYMBOLS))
    return {symbol: int(n) for symbol, n in zip(SYMBOLS, counts) if n}
