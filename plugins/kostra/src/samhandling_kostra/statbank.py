"""SSB statbank CSV files, in every layout SSB produces, read into a StatTable.

What a download from *Statistikkbanken* (or PxWebApi's ``outputFormat=csv``) can look like, and what
this reader does with it:

* **Title lines** above the header (``"07459: Befolkning, etter region, alder, statistikkvariabel og år"``
  and a blank line) are kept as the table title; the header is the first line that has as many fields
  as the line after it.
* **Separator** semicolon, comma or tab (detected, or ``separator=``); fields may be quoted.
* **Encoding** UTF-8 with or without BOM, UTF-16 with BOM, or ISO-8859-1/Windows-1252 (what PxWeb
  writes by default) — detected, or ``encoding=``.
* **Decimal mark** comma or point (detected per file, or ``decimal=``).
* **Layouts**: long (a ``statistikkvariabel`` and an ``år`` column and one value column), wide with years
  as columns (``"Personer 2023"``, ``"2024"``), and wide with variables as columns (``"Avtalte årsverk"``,
  ``"Avtalte årsverk per 10 000 innbyggere"``).  Stub columns come first, value columns last, as PxWeb
  writes them.
* **Regions** ``3301 Drammen``, ``K-3301 Drammen``, ``0 Hele landet``, ``EAK``, counties, city districts
  → ``region`` + ``level`` (each distinct label parsed once).  KOSTRA groups (``EKG..``) and the country
  without Oslo (``EAKUO``) are comparison aggregates, not areas: ``groups="drop"`` (default) leaves them
  out and lists them in ``meta.extra["dropped_regions"]``, ``groups="error"`` refuses the file.
* **Symbols** ``.``, ``..``, ``...``, ``:``, ``-`` → ``status`` (``-`` is a true zero).

Malformed files raise :class:`samhandling.errors.ParseError` naming the file, line and column: a ragged
row, an unknown symbol, a value that is not a number, a missing header or an unreadable region.

The heavy work is pyarrow's CSV reader (every column as text, UTF-8 checked later once per distinct
text) and a few whole-column kernels; the file's checksum is computed in a background thread.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import csv
import hashlib
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv

from samhandling.errors import ParseError
from samhandling.tables import Provenance, StatTable, TableMeta
from samhandling_kostra import assemble
from samhandling_kostra.dimensions import DIMENSION_COLUMNS, column_name
from samhandling_kostra.symbols import SYMBOLS

__all__ = ["SOURCE_NAME", "looks_like_statbank_csv", "read_statbank_csv"]

SOURCE_NAME = "ssb-csv"
_HEAD_BYTES = 1 << 16
_TAIL_BYTES = 1 << 14
_HEAD_LINES = 200
_SEPARATORS = (";", "\t", ",")
_PERIOD_AT_END = re.compile(r"^(?P<label>.*?)\s*(?P<period>\d{4}(?:M\d{2})?)$")
_TABLE_TITLE = re.compile(r"^\s*(?P<table>\d{5})\s*:\s*(?P<title>.*)$")


# -------------------------------------------------------------------------------------------------
# Bytes and text
# -------------------------------------------------------------------------------------------------


def _load(path: Path, encoding: str | None) -> tuple[pa.Buffer, str]:
    """The file as UTF-8 bytes (memory-mapped when it already is UTF-8) and the encoding found."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if encoding is not None:
        codec = codecs.lookup(encoding).name
        if codec == "utf-8":
            return _utf8_buffer(path), "utf-8"
        return pa.py_buffer(_strip_bom(path.read_bytes().decode(codec)).encode("utf-8")), codec
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return pa.py_buffer(path.read_bytes().decode("utf-16").encode("utf-8")), "utf-16"
    buffer = _utf8_buffer(path)
    sample = buffer.slice(0, min(len(buffer), _HEAD_BYTES)).to_pybytes()
    if not _is_utf8(sample, complete=len(buffer) <= _HEAD_BYTES):
        return pa.py_buffer(_decode_windows(path.read_bytes()).encode("utf-8")), "windows-1252"
    return buffer, "utf-8"


def _load_head(path: Path) -> tuple[pa.Buffer, str]:
    """The first bytes of the file as UTF-8 (for sniffing)."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return pa.py_buffer(head.decode("utf-16", errors="ignore").encode("utf-8")), "utf-16"
    if not _is_utf8(head, complete=len(head) < _HEAD_BYTES):
        return pa.py_buffer(_decode_windows(head).encode("utf-8")), "windows-1252"
    return pa.py_buffer(head), "utf-8"


def _utf8_buffer(path: Path) -> pa.Buffer:
    buffer = pa.memory_map(str(path), "r").read_buffer()
    if buffer.slice(0, min(3, len(buffer))).to_pybytes() == codecs.BOM_UTF8:
        return buffer.slice(3)
    return buffer


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not an error.
        return not complete and exc.start >= len(sample) - 3
    return True


def _decode_windows(data: bytes) -> str:
    """Windows-1252 (a superset of ISO-8859-1 for printable text); ISO-8859-1 for its five gaps."""
    try:
        return _strip_bom(data.decode("cp1252"))
    except UnicodeDecodeError:
        return _strip_bom(data.decode("latin-1"))


def _fields(line: str, separator: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=separator, quotechar='"'))
    except (StopIteration, csv.Error):
        return []


# -------------------------------------------------------------------------------------------------
# Layout: title lines, header, separator, footnotes
# -------------------------------------------------------------------------------------------------


class _Layout:
    """Where the header and the data are, and how fields are separated."""

    def __init__(
        self,
        *,
        separator: str,
        header: list[str],
        header_line: int,
        data_start: int,
        data_end: int,
        title: str,
        notes: list[str],
    ) -> None:
        self.separator = separator
        self.header = header
        self.header_line = header_line  # 1-based line number in the file
        self.data_start = data_start  # byte offset of the first data line
        self.data_end = data_end  # byte offset after the last data line
        self.title = title
        self.notes = notes


def _find_layout(buffer: pa.Buffer, path: Path, separator: str | None) -> _Layout:
    head_bytes = buffer.slice(0, min(len(buffer), _HEAD_BYTES)).to_pybytes()
    complete = len(buffer) <= _HEAD_BYTES
    raw = _raw_lines(head_bytes)
    if not complete and raw:
        raw = raw[:-1]  # the last line may be cut
    if len(raw) > _HEAD_LINES:
        complete = False
        raw = raw[:_HEAD_LINES]  # the header is among the first lines; no need to decode them all
    lines = [line.decode("utf-8", errors="replace").rstrip("\r\n") for line in raw]
    candidates = [separator] if separator else list(_SEPARATORS)
    non_blank = [i for i, line in enumerate(lines) if line.strip()]
    if not non_blank:
        raise ParseError("the file is empty; expected an SSB statbank CSV with a header line", path=path)
    for position, i in enumerate(non_blank):
        following = non_blank[position + 1] if position + 1 < len(non_blank) else None
        for sep in candidates:
            fields = _fields(lines[i], sep)
            if len(fields) < 2:
                continue
            if following is not None and len(_fields(lines[following], sep)) != len(fields):
                continue
            if following is None and not complete:
                continue
            title = " ".join(
                _fields(lines[j], sep)[0].strip() if _fields(lines[j], sep) else ""
                for j in non_blank[:position]
            ).strip()
            offset = sum(len(line) for line in raw[: i + 1])
            header = [f.strip() for f in fields]
            data_end, notes = _data_end(buffer, len(header), sep)
            if following is None:
                raise ParseError("the file has a header line but no data rows", path=path, line=i + 1)
            return _Layout(
                separator=sep,
                header=header,
                header_line=i + 1,
                data_start=offset,
                data_end=data_end,
                title=title,
                notes=notes,
            )
    first = non_blank[0]
    raise ParseError(
        "no header line found: no line has the same number of fields (separated by "
        f"{' or '.join(repr(s) for s in candidates)}) as the line after it; expected a header such as "
        '"region";"år";"statistikkvariabel";"value"',
        path=path,
        line=first + 1,
    )


def _raw_lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _data_end(buffer: pa.Buffer, width: int, separator: str) -> tuple[int, list[str]]:
    """End of the data block: footnote lines after a final blank line are not data."""
    size = len(buffer)
    start = max(0, size - _TAIL_BYTES)
    tail = buffer.slice(start).to_pybytes()
    lines = _raw_lines(tail)
    if start > 0 and lines:
        start += len(lines[0])
        lines = lines[1:]
    # Walk back over trailing non-data lines that follow a blank line.
    position = size
    notes: list[str] = []
    index = len(lines) - 1
    while index >= 0 and not lines[index].strip():
        position -= len(lines[index])
        index -= 1
    block_end = position
    candidate_notes: list[str] = []
    while index >= 0 and lines[index].strip():
        text = lines[index].decode("utf-8", errors="replace").strip()
        if len(_fields(text, separator)) == width:
            return size, []
        candidate_notes.append(text.strip('"'))
        position -= len(lines[index])
        index -= 1
    if index >= 0 and not lines[index].strip() and candidate_notes:
        notes = list(reversed(candidate_notes))
        while index >= 0 and not lines[index].strip():
            position -= len(lines[index])
            index -= 1
        return position, notes
    return block_end if not candidate_notes else size, []


# -------------------------------------------------------------------------------------------------
# Columns
# -------------------------------------------------------------------------------------------------

_KNOWN_DIMENSIONS = frozenset(DIMENSION_COLUMNS)


def _is_known_dimension(header: str) -> bool:
    key = " ".join(header.split()).casefold()
    return key in _KNOWN_DIMENSIONS or column_name(header) == "region"


def _looks_like_value(text: str | None) -> bool:
    if text is None:
        return False
    stripped = text.strip()
    return stripped in SYMBOLS or bool(re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?", stripped))


def _unique_headers(header: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for position, name in enumerate(header):
        key = name or f"column_{position + 1}"
        if key in seen:
            seen[key] += 1
            key = f"{key} ({seen[key]})"
        else:
            seen[key] = 1
        result.append(key)
    return result


def _value_start(
    header: Sequence[str], first_row: Sequence[str | None], dimensions: Sequence[str] | None
) -> int:
    """Index of the first value column (stub columns before it, value columns from it)."""
    if dimensions is not None:
        return len(dimensions)
    last_known = -1
    for position, name in enumerate(header):
        if _is_known_dimension(name) and _split_heading(name)[1] is None:
            last_known = position
    for position in range(last_known + 1, len(header)):
        name = header[position]
        if _split_heading(name)[1] or position == len(header) - 1 or _looks_like_value(first_row[position]):
            return position
    return len(header) - 1


# -------------------------------------------------------------------------------------------------
# Reading
# -------------------------------------------------------------------------------------------------


def _read_arrow(
    buffer: pa.Buffer, layout: _Layout, names: list[str], path: Path, *, check_utf8: bool
) -> pa.Table:
    # Strings throughout: dictionary-encoding only the columns that need it afterwards costs less CPU
    # than letting the CSV reader build a dictionary for every stub column.  Checking UTF-8 in every
    # cell costs a fifth of the read; ``check_utf8=False`` leaves it to the decoding of distinct values.
    types = dict.fromkeys(names, pa.string())
    body = buffer.slice(layout.data_start, layout.data_end - layout.data_start)
    try:
        return pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=layout.separator, quote_char='"', double_quote=True, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=check_utf8,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise _csv_error(exc, body, layout, path) from None


def _csv_error(exc: pa.ArrowInvalid, body: pa.Buffer, layout: _Layout, path: Path) -> ParseError:
    """Find the line pyarrow choked on (error path only: a Python scan of the data block)."""
    width = len(layout.header)
    text = body.to_pybytes().decode("utf-8", errors="replace")
    for number, line in enumerate(io.StringIO(text), start=layout.header_line + 1):
        if not line.strip():
            continue
        fields = _fields(line.rstrip("\r\n"), layout.separator)
        if len(fields) != width:
            return ParseError(
                f"ragged row: {len(fields)} fields where the header has {width} "
                f"({', '.join(repr(h) for h in layout.header)})",
                path=path,
                line=number,
            )
    return ParseError(f"the CSV reader failed: {exc}", path=path)


def _line_of_row(body_text: str, row: int, header_line: int) -> int:
    """File line of data row ``row`` (0-based, blank lines skipped) — error path only."""
    seen = -1
    for number, line in enumerate(io.StringIO(body_text), start=header_line + 1):
        if line.strip():
            seen += 1
            if seen == row:
                return number
    return header_line + 1 + row


def read_statbank_csv(
    path: str | Path,
    *,
    encoding: str | None = None,
    separator: str | None = None,
    decimal: Literal["auto", ",", "."] = "auto",
    table: str | None = None,
    variable: str | None = None,
    dimensions: Sequence[str] | None = None,
    groups: Literal["drop", "error"] = "drop",
    geography_year: int | None = None,
    checksum: bool = True,
) -> StatTable:
    """Read an SSB statbank CSV file (any layout SSB produces) into a StatTable.

    :param path: the downloaded file.
    :param encoding: the text encoding; default: detected (UTF-8 with or without BOM, UTF-16 with BOM,
        otherwise Windows-1252/ISO-8859-1).
    :param separator: ``";"``, ``","`` or ``"\\t"``; default: detected from the header line.
    :param decimal: ``","`` or ``"."``; default ``"auto"`` detects it per file.
    :param table: SSB's table number (``"07459"``) when the file has no title line naming it; used to
        match curated variables by table.
    :param variable: the contents label when the file has a single unnamed value column.
    :param dimensions: names of the stub (dimension) columns, when the layout cannot be told apart.
    :param groups: ``"drop"`` KOSTRA groups and other comparison aggregates (listed in
        ``meta.extra["dropped_regions"]``) or ``"error"``.
    :param geography_year: the municipality map the codes belong to; default: the latest year in the file.
    :param checksum: record the file's SHA-256 in the provenance (computed while parsing).
    :raises ParseError: naming file, line and column for every malformed input.
    """
    path = Path(path)
    if decimal not in ("auto", ",", "."):
        raise ParseError(f"decimal must be 'auto', ',' or '.', not {decimal!r}", path=path)
    if groups not in ("drop", "error"):
        raise ParseError(f"groups must be 'drop' or 'error', not {groups!r}", path=path)
    # The checksum is computed in a thread while the table is assembled (pyarrow's CSV reader already
    # keeps every core busy while it parses; the assembly that follows mostly uses one).
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1) if checksum else None
    digest: concurrent.futures.Future[str] | None = None
    try:
        if path.stat().st_size == 0:
            raise ParseError("the file is empty; expected an SSB statbank CSV with a header line", path=path)
        buffer, found_encoding = _load(path, encoding)
        layout = _find_layout(buffer, path, separator)
        names = _unique_headers(layout.header)
        first_row: list[str | None] = list(_first_data_row(buffer, layout))
        first_row += [None] * (len(names) - len(first_row))
        stub = _value_start(layout.header, first_row, dimensions)
        if stub == 0:
            raise ParseError(
                "no dimension columns before the values; expected at least a region column "
                "(e.g. '3301 Drammen') before the value columns",
                path=path,
                line=layout.header_line,
            )
        _check_header(layout, stub, path)

        def parse(buffer: pa.Buffer, layout: _Layout) -> StatTable:
            # UTF-8 is not checked cell by cell here: every text that reaches the table is decoded
            # once per distinct value, which fails on bytes that are not UTF-8 (see below).
            nonlocal digest
            arrow = _read_arrow(buffer, layout, names, path, check_utf8=False)
            if executor is not None and digest is None:
                digest = executor.submit(_sha256, path)
            title_table, title_text = _title_parts(layout.title)
            return _assemble(
                arrow,
                names=names,
                stub=stub,
                context=_Context(path=path, layout=layout, buffer=buffer, names=names),
                table_id=table or title_table,
                title=title_text or layout.title,
                variable_label=variable,
                decimal=decimal,
                groups=groups,
                geography_year=geography_year,
            )

        try:
            stat = parse(buffer, layout)
        except Exception:
            # Before any problem is reported, a checked read looks for text that is not UTF-8, which
            # comes first: a file that turns out not to be UTF-8 is read again as Windows-1252.
            try:
                _read_arrow(buffer, layout, names, path, check_utf8=True)
            except ParseError as exc:
                if not (found_encoding == "utf-8" and encoding is None and "UTF8" in str(exc)):
                    raise
                not_utf8 = True
            else:
                not_utf8 = False
            if not not_utf8:
                raise
            buffer = pa.py_buffer(_decode_windows(path.read_bytes()).encode("utf-8"))
            found_encoding = "windows-1252"
            layout = _find_layout(buffer, path, separator)
            stat = parse(buffer, layout)
        table_id = table or _title_parts(layout.title)[0]
        provenance = Provenance(
            source=SOURCE_NAME,
            location=str(path),
            checksum=f"sha256:{digest.result()}" if digest is not None else None,
            note=f"encoding {found_encoding}, separator {layout.separator!r}"
            + (f", SSB table {table_id}" if table_id else ""),
        )
        extra = dict(stat.meta.extra)
        if layout.notes:
            extra["notes"] = layout.notes
        meta = TableMeta(
            source=SOURCE_NAME,
            geography_year=stat.meta.geography_year,
            variables=stat.meta.variables,
            provenance=(provenance,),
            title=stat.meta.title,
            extra=extra,
        )
        return StatTable(stat.arrow.replace_schema_metadata({b"samhandling": meta.to_json()}), meta)
    except UnicodeDecodeError as exc:
        raise ParseError(f"cannot decode the file as {encoding}: {exc}", path=path) from None
    finally:
        if executor is not None:
            executor.shutdown(wait=True)


def _first_data_row(buffer: pa.Buffer, layout: _Layout) -> list[str]:
    """The fields of the first data line (to tell stub columns from value columns)."""
    size = min(4096, layout.data_end - layout.data_start)
    if size <= 0:
        return []
    text = buffer.slice(layout.data_start, size).to_pybytes().decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    return _fields(lines[0], layout.separator) if lines else []


def _sha256(path: Path) -> str:
    """The file's SHA-256, hashed straight from a memory map (no copy into Python bytes)."""
    with pa.memory_map(str(path), "r") as source:
        return hashlib.sha256(memoryview(source.read_buffer())).hexdigest()


def _check_header(layout: _Layout, stub: int, path: Path) -> None:
    """A first line of data taken for a header means the header is missing."""
    header = layout.header
    first_is_area = re.match(r"^\s*(?:[KFB]-)?\d{1,6}\s+\S|^\s*(?:EAK|EKA\d\d|EKG\d\d)\b", header[0])
    if not first_is_area and (
        any(_is_known_dimension(h) for h in header[:stub]) or not _looks_like_value(header[-1])
    ):
        return
    raise ParseError(
        f"the first line {layout.separator.join(header)!r} looks like data, not a header; expected "
        f"column names such as 'region', 'år', 'statistikkvariabel'",
        path=path,
        line=layout.header_line,
    )


def _title_parts(title: str) -> tuple[str | None, str]:
    match = _TABLE_TITLE.match(title)
    if match is None:
        return None, title
    return match["table"], match["title"].strip()


class _Context:
    """What an error message needs to name file, line and column."""

    def __init__(self, *, path: Path, layout: _Layout, buffer: pa.Buffer, names: list[str]) -> None:
        self.path = path
        self.layout = layout
        self.buffer = buffer
        self.names = names

    def line_of(self, row: int) -> int:
        body = self.buffer.slice(self.layout.data_start, self.layout.data_end - self.layout.data_start)
        return _line_of_row(body.to_pybytes().decode("utf-8", errors="replace"), row, self.layout.header_line)

    def error(self, message: str, *, row: int | None = None, column: str | None = None) -> ParseError:
        line = self.line_of(row) if row is not None else self.layout.header_line
        return ParseError(message, path=self.path, line=line, column=column)


def _assemble(
    arrow: pa.Table,
    *,
    names: list[str],
    stub: int,
    context: _Context,
    table_id: str | None,
    title: str,
    variable_label: str | None,
    decimal: str,
    groups: str,
    geography_year: int | None,
) -> StatTable:
    stub_names = names[:stub]
    value_names = names[stub:]
    roles = {name: column_name(name) for name in stub_names}
    taken: dict[str, str] = {}
    for name, role in roles.items():
        if role in taken:
            raise context.error(
                f"columns {taken[role]!r} and {name!r} both mean {role!r}; name the stub columns with "
                f"dimensions=[...]",
                column=name,
            )
        taken[role] = name
    if "region" not in taken:
        raise context.error(
            f"no region column among {stub_names}; expected a column 'region' with labels such as "
            f"'3301 Drammen'"
        )
    headings = [_split_heading(name) for name in value_names]
    has_time_column = "year" in taken or "month" in taken
    has_variable_column = "variable" in taken
    for name, (_label, period) in zip(value_names, headings, strict=True):
        if period is None and not has_time_column:
            raise context.error(
                "no year: the file has no 'år' column and this value column does not end with a year",
                column=name,
            )
        if period is not None and has_time_column:
            raise context.error(
                "a value column names a year although the file has an 'år' column", column=name
            )
    stub_columns = {roles[name]: arrow.column(name) for name in stub_names}
    value_columns = [arrow.column(name) for name in value_names]
    try:
        return assemble.build(
            stub_columns,
            value_columns,
            headings=[
                assemble.Heading(
                    column=name,
                    label=None if has_variable_column else (label or None),
                    period=period,
                )
                for name, (label, period) in zip(value_names, headings, strict=True)
            ],
            table_id=table_id,
            title=title,
            variable_label=variable_label,
            decimal_comma=None if decimal == "auto" else decimal == ",",
            groups=groups,
            geography_year=geography_year,
            source=SOURCE_NAME,
            column_names={role: name for name, role in roles.items()},
        )
    except assemble.CellError as exc:
        raise context.error(exc.reason, row=exc.row, column=exc.column) from None


def _split_heading(name: str) -> tuple[str, str | None]:
    if _TABLE_TITLE.match(name):
        return name.strip(), None  # "12228: … 2015 - 2019" is the table title, not a period
    match = _PERIOD_AT_END.match(name.strip())
    if match is None:
        return name.strip(), None
    return match["label"].strip(), match["period"]


def looks_like_statbank_csv(location: str | Path) -> bool:
    """Cheap test: a ``.csv``/``.txt``/``.tsv`` file whose header has a region column (``region``,
    ``kommune``, ``fylke``, ``bydel``, SSB's ``KOK…region`` ids) or whose title names an SSB table
    (``"07459: …"``) — so that other plugins' CSV files (surveys, exports) are left to them.
    """
    path = Path(location)
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"} or not path.is_file():
        return False
    try:
        buffer, _ = _load_head(path)
        layout = _find_layout(buffer, path, None)
    except (ParseError, OSError, UnicodeError, LookupError):
        return False
    return bool(_TABLE_TITLE.match(layout.title)) or any(column_name(h) == "region" for h in layout.header)
