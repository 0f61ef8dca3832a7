"""SSB statbank CSV files, in every layout SSB produces, read into a StatTable.

What a download from *Statistikkbanken* (or PxWebApi's ``outputFormat=csv``) can look like, and what
this reader does with it:

* **Title lines** above the header (``"07459: Befolkning, etter region, alder, statistikkvariabel og år"``,
  with or without a blank line after it) are kept as the table title; the header is the first line that
  has as many fields as the line after it.  The title's list of dimensions (``etter …`` / ``by …``) says
  which dimensions the value column headers hold.
* **Separator** semicolon, comma or tab (detected, or ``separator=``); fields may be quoted.
* **Encoding** UTF-8 with or without BOM, UTF-16 with BOM, or ISO-8859-1/Windows-1252 (what PxWeb
  writes by default) — one encoding for the whole file (:mod:`samhandling.encodings`), or ``encoding=``.
* **Decimal mark** comma or point (detected per file, or ``decimal=``); a number that may hold a
  thousands separator (``1.234``) is refused unless the file shows its convention.
* **Layouts**: long (dimension columns and one value column), wide with years as columns (``"Personer
  2023"``, ``"2024"``), wide with variables as columns (``"Avtalte årsverk"``), and wide with any other
  dimensions in the column headers (``"31 Østfold Alle aldre"`` for region × age, split by what the
  title lists).  Stub columns come first, value columns last, as PxWeb writes them.  The old layout
  whose value column is named by the table title is read too.
* **Regions** (:mod:`samhandling_kostra.regions`): areas, pseudo-regions, grouped codes, KOSTRA groups
  and historical districts, each with its level; a file without a region column covers the whole
  country.  ``groups=`` keeps (default), drops or refuses the rows that are not areas.
* **Periods**: years, months (``2024M03``), quarters (``2024K1``), ISO weeks (``2014U30``), school years
  (``2022-2023``).
* **Symbols** ``.``, ``..``, ``...``, ``:``, ``-`` → ``status`` (``-`` is a true zero).

Malformed files raise :class:`samhandling.errors.ParseError` naming the file, line and column and what
was found there.

The heavy work is pyarrow's CSV reader (every column as text, UTF-8 checked later once per distinct
text) and a few whole-column kernels; the file's checksum is computed in a background thread.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import csv
import hashlib
import io
import itertools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from samhandling.encodings import decode_text, describe_position
from samhandling.errors import ParseError
from samhandling.periods import UnreadablePeriod, parse_period
from samhandling.tables import Provenance, StatTable, TableMeta
from samhandling_kostra import assemble
from samhandling_kostra.dimensions import (
    DIMENSION_COLUMNS,
    UnreadableCategory,
    column_name,
    normalise_age,
    normalise_sex,
)
from samhandling_kostra.regions import UnreadableRegion, parse_region_label
from samhandling_kostra.symbols import SYMBOLS

__all__ = ["SOURCE_NAME", "looks_like_statbank_csv", "read_statbank_csv"]

SOURCE_NAME = "ssb-csv"
_HEAD_BYTES = 1 << 16
_TAIL_BYTES = 1 << 14
_HEAD_LINES = 200
_SEPARATORS = (";", "\t", ",")
_PERIOD_AT_END = re.compile(r"^(?P<label>.*?)\s*(?P<period>\d{4}(?:\s*[MKQUW]\d{1,2}|-\d{4})?)$")
_TABLE_TITLE = re.compile(r"^\s*(?P<table>\d{5})\s*:\s*(?P<title>.*)$")
_BREAKDOWN = re.compile(r",\s+(?:etter|by)\s+(?P<dimensions>.+)$", re.IGNORECASE)
_LAST_AND = re.compile(r"\s+(?:og|and)\s+")
_TITLE_TAIL = re.compile(r"\s*(?:\((?:[KFBG](?:\+[KFBG])*)\))?\s*(?:\d{4}(?:\s*-\s*\d{4})?)?\s*$")


# -------------------------------------------------------------------------------------------------
# Bytes and text
# -------------------------------------------------------------------------------------------------


def _load(path: Path, encoding: str | None) -> tuple[pa.Buffer, str]:
    """The file as UTF-8 bytes (memory-mapped when it already is UTF-8) and the encoding found."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ParseError(f"unknown text encoding {encoding!r}", path=path) from None
        if codec == "utf-8":
            buffer = _utf8_buffer(path)
            _check_utf8(buffer, path)
            return buffer, "utf-8"
        return pa.py_buffer(decode_text(path.read_bytes(), path=path, encoding=codec).encode("utf-8")), codec
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return pa.py_buffer(decode_text(path.read_bytes(), path=path).encode("utf-8")), "utf-16"
    buffer = _utf8_buffer(path)
    sample = buffer.slice(0, min(len(buffer), _HEAD_BYTES)).to_pybytes()
    if not _is_utf8(sample, complete=len(buffer) <= _HEAD_BYTES):
        return _windows(path), "windows-1252"
    return buffer, "utf-8"


def _check_utf8(buffer: pa.Buffer, path: Path) -> None:
    """With ``encoding="utf-8"`` given, the whole file must be UTF-8: the first byte that is not is named."""
    data = buffer.to_pybytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        offset = exc.start + (3 if raw.startswith(codecs.BOM_UTF8) else 0)
        line, where = describe_position(raw, offset)
        raise ParseError(f"{where} is not UTF-8 (encoding='utf-8' was given)", path=path, line=line) from None


def _windows(path: Path) -> pa.Buffer:
    """The file as Windows-1252 text — or a true error when it mixes encodings or holds undefined bytes."""
    text = decode_text(path.read_bytes(), path=path)
    return pa.py_buffer(text.encode("utf-8"))


def _load_head(path: Path) -> tuple[pa.Buffer, str]:
    """The first bytes of the file as UTF-8 (for sniffing)."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return pa.py_buffer(head.decode("utf-16", errors="ignore").encode("utf-8")), "utf-16"
    if not _is_utf8(head, complete=len(head) < _HEAD_BYTES):
        return pa.py_buffer(head.decode("cp1252", errors="replace").encode("utf-8")), "windows-1252"
    return pa.py_buffer(head), "utf-8"


def _utf8_buffer(path: Path) -> pa.Buffer:
    buffer = pa.memory_map(str(path), "r").read_buffer()
    if buffer.slice(0, min(3, len(buffer))).to_pybytes() == codecs.BOM_UTF8:
        return buffer.slice(3)
    return buffer


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is not an error.
        return not complete and exc.start >= len(sample) - 3
    return True


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
    if not complete and not raw:
        raise ParseError(
            f"the first line is longer than {_HEAD_BYTES // 1024} KiB (no line break in the first "
            f"{_HEAD_BYTES} bytes of a {len(buffer)}-byte file); a statbank CSV starts with a short title or "
            "header line",
            path=path,
            line=1,
        )
    if len(raw) > _HEAD_LINES:
        complete = False
        raw = raw[:_HEAD_LINES]  # the header is among the first lines; no need to decode them all
    lines = [line.decode("utf-8", errors="replace").rstrip("\r\n") for line in raw]
    candidates = [separator] if separator else list(_SEPARATORS)
    non_blank = [i for i, line in enumerate(lines) if line.strip()]
    if not non_blank:
        raise ParseError("the file is empty (only blank lines); expected an SSB statbank CSV", path=path)
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
    raise _no_header(lines, non_blank, candidates, path, complete=complete)


def _no_header(
    lines: Sequence[str], non_blank: Sequence[int], candidates: Sequence[str], path: Path, *, complete: bool
) -> ParseError:
    """What was really found where a header was expected."""
    for i in non_blank:
        if lines[i].count('"') % 2:
            return ParseError(
                "a quoted field opens on this line and does not close on it (a field with a line "
                "break in it, or a stray quote); statbank CSV fields hold no line breaks, so no header "
                "line can be found",
                path=path,
                line=i + 1,
            )
    if not complete and len(non_blank) <= 1:
        return ParseError(
            f"only one line in the first {_HEAD_BYTES // 1024} KiB of the file; no header line followed by "
            "data can be found",
            path=path,
            line=non_blank[0] + 1 if non_blank else 1,
        )
    first = non_blank[0]
    widths = {sep: len(_fields(lines[first], sep)) for sep in candidates}
    found = ", ".join(f"{n} field(s) split by {sep!r}" for sep, n in widths.items())
    return ParseError(
        f"no header line found: no line has the same number of fields as the line after it (the first line "
        f'has {found}); expected a header such as "region";"år";"statistikkvariabel";"value"',
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


def _title_dimensions(title: str) -> list[str]:
    """The dimensions a statbank title lists: ``"…, etter region, alder, år og statistikkvariabel"``."""
    text = _TABLE_TITLE.match(title)
    body = text["title"] if text else title
    body = _TITLE_TAIL.sub("", body)
    matches = list(_BREAKDOWN.finditer(body))
    if not matches:
        return []
    match = matches[-1]
    listed = re.sub(r"(?:\s*\([^()]*\))+\s*$", "", match["dimensions"])  # "… og år (syntetiske tall)"
    parts = [p.strip() for p in listed.split(",")]
    last = _LAST_AND.split(parts[-1])
    return [p.strip() for p in [*parts[:-1], *last] if p.strip()]


# -------------------------------------------------------------------------------------------------
# Value column headers: which dimension categories each one holds
# -------------------------------------------------------------------------------------------------


def _valid(role: str, text: str) -> bool:
    """Whether ``text`` can be a category of a dimension with this role (free text for most roles)."""
    try:
        if role == "region":
            parse_region_label(text)
        elif role == "time":
            parse_period(text)
        elif role == "age":
            normalise_age(text)
        elif role == "sex":
            normalise_sex(text)
    except (UnreadableRegion, UnreadablePeriod, UnreadableCategory):
        return False
    return bool(text.strip())


def _split_header(name: str, roles: Sequence[str]) -> list[dict[str, str]]:
    """Every way the words of a value column header split into one category of each role, in order.

    A bracket stays with the words before it: ``"Sysselsatte (1000 personer) Ikke sesongjustert 15-74 år"``
    is never cut inside ``(1000 personer)`` nor before it, which leaves one reading where the contents
    label carries its unit.
    """
    words = name.split()
    if len(roles) == 1:
        return [{roles[0]: " ".join(words)}] if _valid(roles[0], " ".join(words)) else []
    depth = list(itertools.accumulate(w.count("(") - w.count(")") for w in words))
    cuttable = [cut for cut in range(1, len(words)) if depth[cut - 1] == 0 and not words[cut].startswith("(")]
    readings = []
    for cuts in itertools.combinations(cuttable, len(roles) - 1):
        bounds = [0, *cuts, len(words)]
        parts = [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
        if all(_valid(role, part) for role, part in zip(roles, parts, strict=True)):
            readings.append(dict(zip(roles, parts, strict=True)))
    return readings


def _split_heading(name: str) -> tuple[str, str | None]:
    """A header without a title to go by: ``"Personer 2023"`` → ``("Personer", "2023")``."""
    if _TABLE_TITLE.match(name):
        return name.strip(), None  # "12228: … 2015 - 2019" is the table title, not a period
    match = _PERIOD_AT_END.match(name.strip())
    if match is None:
        return name.strip(), None
    try:
        parse_period(match["period"])
    except UnreadablePeriod:
        return name.strip(), None
    return match["label"].strip(), match["period"]


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
    """Find what pyarrow choked on (error path only: a Python scan of the data block)."""
    data = body.to_pybytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        body_line, where = describe_position(data, bad.start)
        return ParseError(
            f"{where} of the data is not UTF-8 (the file was read as UTF-8)",
            path=path,
            line=layout.header_line + body_line,
        )
    width = len(layout.header)
    text = data.decode("utf-8")
    for number, line in enumerate(io.StringIO(text, newline=None), start=layout.header_line + 1):
        if not line.strip():
            continue
        if line.count('"') % 2:
            return ParseError(
                "a quoted field opens on this line and does not close on it (a field with a line break in "
                "it, or a stray quote)",
                path=path,
                line=number,
            )
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
    groups: Literal["keep", "drop", "error"] = "keep",
    geography_year: int | None = None,
    checksum: bool = True,
) -> StatTable:
    """Read an SSB statbank CSV file (any layout SSB produces) into a StatTable.

    :param path: the downloaded file.
    :param encoding: the text encoding; default: detected for the whole file (UTF-8 with or without BOM,
        UTF-16 with BOM, otherwise Windows-1252/ISO-8859-1).
    :param separator: ``";"``, ``","`` or ``"\\t"``; default: detected from the header line.
    :param decimal: ``","`` or ``"."``; default ``"auto"`` detects it per file (and refuses numbers that may
        hold a thousands separator, such as ``1.234``, unless the file shows its convention).
    :param table: SSB's table number (``"07459"``) when the file has no title line naming it; used to
        match curated variables by table.
    :param variable: the contents label when the file has a single unnamed value column.
    :param dimensions: names of the stub (dimension) columns, when the layout cannot be told apart.
    :param groups: rows that are not areas — pseudo-regions (``K-Rest``, Svalbard, unknown), grouped codes
        (``03+30``) and KOSTRA groups (``EKG13``, ``EAKUO``): ``"keep"`` them with their own level
        (default), ``"drop"`` them (listed in ``meta.extra["dropped_regions"]``) or ``"error"``.
    :param geography_year: the municipality map the codes belong to; default: the latest year in the file.
    :param checksum: record the file's SHA-256 in the provenance (computed while parsing).
    :raises ParseError: naming file, line and column for every malformed input.
    """
    path = Path(path)
    if decimal not in ("auto", ",", "."):
        raise ParseError(f"decimal must be 'auto', ',' or '.', not {decimal!r}", path=path)
    if groups not in assemble.GROUPS:
        raise ParseError(f"groups must be one of {list(assemble.GROUPS)}, not {groups!r}", path=path)
    # The checksum is computed in a thread while the table is assembled (pyarrow's CSV reader already
    # keeps every core busy while it parses; the assembly that follows mostly uses one).
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1) if checksum else None
    digest: concurrent.futures.Future[str] | None = None
    try:
        if path.stat().st_size == 0:
            raise ParseError("the file is empty (0 bytes); expected an SSB statbank CSV", path=path)
        buffer, found_encoding = _load(path, encoding)
        if _is_klass(_first_line_fields(buffer)):
            raise ParseError(
                "this is a KLASS classification export (columns code, parentCode, level, name, validFrom, "
                "validTo): a list of codes and names, not a statbank table with values; samhandling ships "
                "the codes and names of each year's areas itself (samhandling.Geography)",
                path=path,
                line=1,
            )
        layout = _find_layout(buffer, path, separator)

        def parse(buffer: pa.Buffer, layout: _Layout) -> StatTable:
            # UTF-8 is not checked cell by cell here: every text that reaches the table is decoded
            # once per distinct value, which fails on bytes that are not UTF-8 (see below).
            nonlocal digest
            plan = _plan(buffer, layout, path, dimensions=dimensions)
            arrow = _read_arrow(buffer, layout, plan.names, path, check_utf8=False)
            if executor is not None and digest is None:
                digest = executor.submit(_sha256, path)
            return _assemble(
                arrow,
                plan=plan,
                context=_Context(path=path, layout=layout, buffer=buffer, plan=plan),
                table_id=table or plan.table_id,
                variable_label=variable,
                decimal=decimal,
                groups=groups,
                geography_year=geography_year,
            )

        try:
            stat = parse(buffer, layout)
        except Exception:
            # Before any problem is reported, a checked read looks for text that is not UTF-8, which
            # comes first: a file that turns out not to be UTF-8 is read again in the one encoding that
            # fits the whole file (or refused if none does).
            if not (found_encoding == "utf-8" and encoding is None and not _is_utf8_file(path)):
                raise
            buffer = _windows(path)
            found_encoding = "windows-1252"
            layout = _find_layout(buffer, path, separator)
            stat = parse(buffer, layout)
        table_id = stat.meta.extra.get("ssb_table")
        note = f"encoding {found_encoding}, separator {layout.separator!r}" + (
            f", SSB table {table_id}" if table_id else ""
        )
        damaged = stat.meta.extra.get("damaged_labels", 0)
        if damaged:
            note += (
                f"; {damaged} distinct label(s) hold U+FFFD replacement characters: the text was damaged "
                "before it was read"
            )
        provenance = Provenance(
            source=SOURCE_NAME,
            location=str(path),
            checksum=f"sha256:{digest.result()}" if digest is not None else None,
            note=note,
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
            period=stat.meta.period,
        )
        return StatTable(stat.arrow.replace_schema_metadata({b"samhandling": meta.to_json()}), meta)
    finally:
        if executor is not None:
            executor.shutdown(wait=True)


def _is_utf8_file(path: Path) -> bool:
    """Whether the whole file is UTF-8 (error path: a full decode)."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Plan:
    """How the columns of the file become the long form: stub roles, and each value column's categories."""

    def __init__(
        self,
        *,
        names: list[str],
        stub_roles: dict[str, str],
        value_names: list[str],
        heading: list[dict[str, str]],
        title: str,
        table_id: str | None,
    ) -> None:
        self.names = names
        self.stub_roles = stub_roles  # column name → role
        self.value_names = value_names
        self.heading = heading  # per value column: role → category text
        self.title = title
        self.table_id = table_id

    def column_of(self, role: str) -> str | None:
        return next((name for name, r in self.stub_roles.items() if r == role), None)


def _plan(buffer: pa.Buffer, layout: _Layout, path: Path, *, dimensions: Sequence[str] | None) -> _Plan:
    names = _unique_headers(layout.header)
    first_row: list[str | None] = list(_first_data_row(buffer, layout))
    first_row += [None] * (len(names) - len(first_row))
    stub = _value_start(layout.header, first_row, dimensions)
    if stub == 0:
        raise ParseError(
            f"no dimension columns before the values: the first column {layout.header[0]!r} holds numbers; "
            "expected dimension columns (region, år, statistikkvariabel …) before the value columns",
            path=path,
            line=layout.header_line,
        )
    _check_header(layout, stub, path)
    stub_names, value_names = names[:stub], names[stub:]
    roles: dict[str, str] = {}
    taken: dict[str, str] = {}
    for name in stub_names:
        role = column_name(name)
        if role in taken:
            raise ParseError(
                f"columns {taken[role]!r} and {name!r} both mean {role!r}; name the stub columns with "
                f"dimensions=[...]",
                path=path,
                line=layout.header_line,
                column=name,
            )
        taken[role] = name
        roles[name] = role
    title_table, title = _title_parts(layout.title)
    if not title and len(value_names) == 1 and _BREAKDOWN.search(value_names[0]):
        title = value_names[0]  # the old layout: the value column is named by the table title
    heading = _headings(value_names, roles, title, layout, path)
    return _Plan(
        names=names,
        stub_roles=roles,
        value_names=value_names,
        heading=heading,
        title=title or layout.title,
        table_id=title_table,
    )


def _headings(
    value_names: Sequence[str], roles: dict[str, str], title: str, layout: _Layout, path: Path
) -> list[dict[str, str]]:
    """The categories each value column header holds, by the dimensions the title lists (or, without a
    title, a contents label and a period at the end)."""
    stub_roles = set(roles.values())
    listed = [column_name(d) for d in _title_dimensions(title)]
    heading_roles = [r for r in listed if r not in stub_roles]
    if listed and stub_roles <= set(listed) and "time" in {*stub_roles, *heading_roles}:
        if not heading_roles:
            if len(value_names) > 1:
                raise ParseError(
                    f"{len(value_names)} value columns, but the title lists no dimension for the column "
                    f"headers ({', '.join(repr(v) for v in value_names[:3])} …)",
                    path=path,
                    line=layout.header_line,
                )
            return [{}]
        found = []
        for name in value_names:
            readings = _split_header(name, heading_roles)
            if len(readings) > 1 and "variable" in heading_roles:
                # SSB ends a contents label with its unit in brackets ("Sysselsatte (1000 personer)"):
                # of several readings, the one whose contents label ends there is the one SSB wrote.
                with_unit = [r for r in readings if r["variable"].endswith(")")]
                readings = with_unit if len(with_unit) == 1 else readings
            if len(readings) != 1:
                what = "no reading" if not readings else f"{len(readings)} readings"
                raise ParseError(
                    f"the column header should hold one category of each of {heading_roles} (the "
                    f"dimensions the title lists that are not columns), but {what} of {name!r} fit"
                    + (f": {readings[:2]}" if readings else ""),
                    path=path,
                    line=layout.header_line,
                    column=name,
                )
            found.append(readings[0])
        return found
    found = []
    has_time, has_variable = "time" in stub_roles, "variable" in stub_roles
    for name in value_names:
        label, period = _split_heading(name)
        if period is None and not has_time:
            raise ParseError(
                "no period: the file has no time column (år, måned, kvartal …) and this value column "
                "does not end with one",
                path=path,
                line=layout.header_line,
                column=name,
            )
        if period is not None and has_time:
            raise ParseError(
                "a value column names a period although the file has a time column",
                path=path,
                line=layout.header_line,
                column=name,
            )
        entry: dict[str, str] = {}
        if period is not None:
            entry["time"] = period
        if not has_variable and label:
            entry["variable"] = label
        found.append(entry)
    return found


def _assemble(
    arrow: pa.Table,
    *,
    plan: _Plan,
    context: _Context,
    table_id: str | None,
    variable_label: str | None,
    decimal: str,
    groups: str,
    geography_year: int | None,
) -> StatTable:
    """The long form (stub columns repeated per value column, header categories as constants) → build."""
    blocks = len(plan.value_names)
    nrows = arrow.num_rows
    long: dict[str, pa.ChunkedArray] = {}
    for name, role in plan.stub_roles.items():
        column = arrow.column(name)
        long[role] = column if blocks == 1 else pa.chunked_array(list(column.chunks) * blocks, column.type)
    for role in dict.fromkeys(r for entry in plan.heading for r in entry):
        texts = [entry.get(role, "") for entry in plan.heading]
        dictionary = pa.array(list(dict.fromkeys(texts)), pa.string())
        index_of = {t: i for i, t in enumerate(dictionary.to_pylist())}
        long[role] = pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(pa.array(np.full(nrows, index_of[t], np.int32)), dictionary)
                for t in texts
            ],
            pa.dictionary(pa.int32(), pa.string()),
        )
    cells = pa.chunked_array(
        [chunk for name in plan.value_names for chunk in arrow.column(name).chunks], pa.string()
    )
    try:
        return assemble.build(
            long,
            cells=cells,
            table_id=table_id,
            title=plan.title,
            variable_label=variable_label,
            decimal_comma=None if decimal == "auto" else decimal == ",",
            groups=groups,
            geography_year=geography_year,
            source=SOURCE_NAME,
        )
    except assemble.CellError as exc:
        raise context.error(exc, nrows) from None


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
    first_is_area = re.match(
        r"^\s*(?:[KFB]-)?\d{1,6}[a-z]{0,2}\s+\S|^\s*(?:EAK|EKA\d\d|EKG\d\d)\b", header[0]
    )
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

    def __init__(self, *, path: Path, layout: _Layout, buffer: pa.Buffer, plan: _Plan) -> None:
        self.path = path
        self.layout = layout
        self.buffer = buffer
        self.plan = plan

    def line_of(self, row: int) -> int:
        body = self.buffer.slice(self.layout.data_start, self.layout.data_end - self.layout.data_start)
        return _line_of_row(body.to_pybytes().decode("utf-8", errors="replace"), row, self.layout.header_line)

    def error(self, exc: assemble.CellError, nrows: int) -> ParseError:
        """The file, line and column of a problem in the long form."""
        block, row = divmod(exc.row, nrows) if exc.row is not None and nrows else (0, exc.row)
        value_name = self.plan.value_names[block] if block < len(self.plan.value_names) else None
        stub_column = self.plan.column_of(exc.role)
        if exc.role in ("value", "status"):
            column = value_name
        elif stub_column is not None:
            column = stub_column
        elif self.plan.heading and exc.role in self.plan.heading[0]:
            return ParseError(exc.reason, path=self.path, line=self.layout.header_line, column=value_name)
        else:
            column = None
        line = self.line_of(row) if row is not None else self.layout.header_line
        return ParseError(exc.reason, path=self.path, line=line, column=column)


_KLASS_COLUMNS = frozenset({"code", "parentcode", "level", "name"})


def _is_klass(header: Sequence[str]) -> bool:
    """Whether a header is that of a KLASS classification export (SSB's code lists)."""
    return {h.strip().casefold() for h in header} >= _KLASS_COLUMNS


def _first_line_fields(buffer: pa.Buffer) -> list[str]:
    line = buffer.slice(0, min(len(buffer), 4096)).to_pybytes().split(b"\n", 1)[0]
    text = line.decode("utf-8", errors="replace").strip()
    return max((_fields(text, sep) for sep in _SEPARATORS), key=len)


def looks_like_statbank_csv(location: str | Path) -> bool:
    """Cheap test: a ``.csv``/``.txt``/``.tsv`` file whose header has a region column (``region``,
    ``kommune``, ``fylke``, ``bydel``, SSB's ``KOK…region`` ids) or a contents column
    (``statistikkvariabel``, ``contents``), or whose title names an SSB table (``"07459: …"``) — so that
    other plugins' CSV files (surveys, exports) are left to them.  KLASS code-list exports are taken too,
    to be refused with what they are.

    A national table downloaded "with header" but no title, whose contents are the value columns
    (``"kjønn"\t"år"\t"Levendefødte"\t"Dødfødte"``, ``"type renter"\t"måned"\t"Renter"``,
    ``"materialtype"\t"behandlingsmåte"\t"Avfallsmengde 2015"``), is recognised by SSB's quoted
    header and its periods: a time column (``år``, ``måned`` …) whose first cell is one of SSB's periods,
    or value columns named by a period, with a number or one of SSB's symbols under them.
    """
    path = Path(location)
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"} or not path.is_file():
        return False
    try:
        buffer, _ = _load_head(path)
        if _is_klass(_first_line_fields(buffer)):
            return True  # a KLASS export is SSB's too: this source says what it is
        layout = _find_layout(buffer, path, None)
    except (ParseError, OSError, UnicodeError, LookupError):
        return False
    if _TABLE_TITLE.match(layout.title):
        return True
    if any(column_name(h) in ("region", "variable") for h in layout.header):
        return True
    return _periods_in_quoted_header(buffer, layout)


def _periods_in_quoted_header(buffer: pa.Buffer, layout: _Layout) -> bool:
    """Whether a header PxWeb wrote (every label quoted) places SSB periods: a time column whose first
    cell is a period, or a value column named by a period with a number or symbol under it."""
    header_text = _raw_lines(buffer.slice(0, layout.data_start).to_pybytes())[-1].decode("utf-8", "replace")
    if not all(f.startswith('"') for f in header_text.rstrip("\r\n").split(layout.separator)):
        return False
    first_row = _first_data_row(buffer, layout)
    if len(first_row) != len(layout.header):
        return False
    for name, cell in zip(layout.header, first_row, strict=True):
        if column_name(name) == "time" and cell:
            try:
                parse_period(cell)
            except UnreadablePeriod:
                return False
            return True
    return any(
        _split_heading(name)[1] is not None and _looks_like_value(cell)
        for name, cell in zip(layout.header, first_row, strict=True)
    )
