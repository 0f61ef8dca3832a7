"""PX (PC-Axis) files — the statbank's native format — read into a StatTable with our own parser.

A PX file is a list of keywords (``KEYWORD[lang]("sub","keys")=value;``) followed by ``DATA=`` and the
cells.  What this reader takes from it:

* **Encoding**: ``CODEPAGE`` (``iso-8859-1``, ``windows-1252``, ``utf-8``) or ``CHARSET="ANSI"``
  (Windows), decided once for the whole file; an ISO-8859-1 label is read as Windows-1252, as browsers
  do (the two agree on every character ISO-8859-1 prints).  A file that declares neither and is not
  UTF-8 is in a DOS code page, which is not read yet.
* **Keywords** over several lines, lists over several lines, long texts split into several quoted
  strings (``"… ikk"`` ``"e …"`` is one text), sub-keys, and ``KEYWORD[lang]`` (the file's default
  language unless ``language=`` names another).
* **The cube**: ``STUB`` and ``HEADING`` name the dimensions in cell order (the stub varies slowest);
  ``VALUES`` and ``CODES`` give each dimension's categories; ``VARIABLE-TYPE`` ``G`` marks the region
  and ``T`` (or ``TIMEVAL``) the time dimension, which must agree with its ``TLIST`` frequency (``A1``
  years, ``Q1`` quarters, ``M1`` months, ``W1`` weeks).  A file without a region dimension covers the
  whole country.
* **Contents**: ``CONTVARIABLE`` names the contents dimension; ``UNITS("contents")`` (or one ``UNITS``)
  gives each its unit; without a contents dimension, ``CONTENTS`` names the one variable.
* **Cells**: numbers with a decimal point; the symbols of missing cells, one to six dots in quotes,
  shown as ``DATASYMBOL1`` … ``DATASYMBOL6``, and ``"-"`` shown as ``DATASYMBOLNIL`` (a true zero) →
  ``status`` with SSB's symbols.  ``ELIMINATION`` (the total category of a dimension, or ``YES``) and
  the notes are kept in ``meta.extra``.

The ``DATA`` block is read by pyarrow's CSV reader (one cell a line after a byte translation) and
turned into values and statuses with whole-column kernels; the cube is expanded with ``numpy.repeat``
/ ``numpy.tile``, never cell by cell in Python.  Not read yet: files with ``KEYS`` (data rows keyed by
codes) and DOS code pages.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from samhandling.encodings import decode_text, describe_position
from samhandling.errors import ParseError
from samhandling.periods import PeriodKind, UnreadablePeriod, parse_period
from samhandling.tables import METADATA_KEY, Provenance, StatTable, Variable
from samhandling_kostra import assemble
from samhandling_kostra.catalogue import variable_for
from samhandling_kostra.dimensions import column_name
from samhandling_kostra.symbols import SYMBOLS

__all__ = ["SOURCE_NAME", "looks_like_px", "read_px"]

SOURCE_NAME = "ssb-px"
_DATA = re.compile(rb"(?:^|;)\s*DATA\s*=", re.MULTILINE)
_ENTRY = re.compile(
    r"""\s*(?P<key>[A-Za-z0-9][A-Za-z0-9\-]*)
        (?:\[(?P<lang>[^\]]*)\])?
        (?:\((?P<sub>(?:"[^"]*"|[^)"])*)\))?
        \s*=\s*
        (?P<value>(?:"[^"]*"|[^";])*)
        ;""",
    re.VERBOSE | re.DOTALL,
)
_VALUE_TOKEN = re.compile(r'"([^"]*)"|(TLIST\([^)]*\))|(,)|([^\s,"]+)', re.DOTALL)
_PX_TOKENS = ("-", ".", "..", "...", "....", ".....", "......")
_TOKEN_ARRAY = pa.array(_PX_TOKENS, pa.string())
_SYMBOL_ARRAY = pa.array(SYMBOLS, pa.string())
_ZERO = SYMBOLS.index("-")
_SEPARATORS = bytes.maketrans(b" \t,;\r", b"\n\n\n\n\n")
_FREQUENCIES = {
    "A1": PeriodKind.YEAR,
    "Q1": PeriodKind.QUARTER,
    "M1": PeriodKind.MONTH,
    "W1": PeriodKind.WEEK,
}
_TABLE_IN_TITLE = re.compile(r"^\s*(\d{5})\s*:")


def looks_like_px(location: str | Path) -> bool:
    """Cheap test: a ``.px`` file, or a file that starts with PX keywords (``CHARSET``, ``AXIS-VERSION``)."""
    path = Path(location)
    if not path.is_file():
        return False
    if path.suffix.lower() == ".px":
        return True
    with open(path, "rb") as handle:
        head = handle.read(256).lstrip(b"\xef\xbb\xbf")
    return head.startswith((b"CHARSET=", b"AXIS-VERSION=", b"CODEPAGE="))


@attrs.frozen(kw_only=True)
class _Entry:
    key: str
    lang: str | None
    sub: tuple[str, ...]
    items: tuple[str, ...]


def _items(value: str) -> tuple[str, ...]:
    """A keyword's value as a list: quoted strings (adjacent ones joined), bare words, ``TLIST(…)``."""
    items: list[str] = []
    current: str | None = None
    for match in _VALUE_TOKEN.finditer(value):
        quoted, tlist, comma, bare = match.groups()
        if comma:
            items.append(current or "")
            current = None
        elif quoted is not None:
            current = (current or "") + quoted
        else:
            current = (current or "") + (tlist or bare or "")
    if current is not None:
        items.append(current)
    return tuple(items)


class _Keywords:
    """The keywords of a PX file, by name and sub-key, in one language."""

    def __init__(self, entries: Sequence[_Entry], language: str | None) -> None:
        self._by: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        for entry in entries:
            if entry.lang is not None and entry.lang != language:
                continue
            key = (entry.key.upper(), entry.sub)
            if entry.lang is None and key in self._by and language is not None:
                continue  # the chosen language's entry came first
            self._by[key] = entry.items

    def get(self, key: str, *sub: str) -> tuple[str, ...] | None:
        return self._by.get((key, tuple(sub)))

    def text(self, key: str, *sub: str) -> str | None:
        items = self.get(key, *sub)
        return " ".join(items) if items else None

    def with_key(self, key: str) -> dict[tuple[str, ...], tuple[str, ...]]:
        return {sub: items for (name, sub), items in self._by.items() if name == key}


def _codec(header: bytes, path: Path, encoding: str | None) -> str:
    """The one encoding of the file, from ``encoding=``, ``CODEPAGE`` or ``CHARSET``."""
    header = header.removeprefix(codecs.BOM_UTF8)
    if encoding is not None:
        name = encoding
    else:
        codepage = re.search(rb'(?:^|;)\s*CODEPAGE\s*=\s*"([^"]*)"', header, re.MULTILINE)
        charset = re.search(rb'(?:^|;)\s*CHARSET\s*=\s*"([^"]*)"', header, re.MULTILINE)
        if codepage:
            name = codepage[1].decode("ascii", errors="replace").strip()
        elif charset and charset[1].strip().upper() == b"ANSI":
            name = "windows-1252"
        else:
            try:
                header.decode("utf-8")
            except UnicodeDecodeError as exc:
                line, where = describe_position(header, exc.start)
                raise ParseError(
                    f'the file declares neither CHARSET="ANSI" nor a CODEPAGE and is not UTF-8 ({where}); '
                    "a PX file without them is in a DOS code page, which is not read yet — pass encoding=",
                    path=path,
                    line=line,
                ) from None
            name = "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ParseError(
            f"the file's code page {name!r} is not a text encoding Python knows", path=path
        ) from None
    # An ISO-8859-1 label means Windows-1252, as in browsers: they agree on every printable character.
    return "cp1252" if codec in ("iso8859-1", "latin-1") else codec


def _parse_keywords(text: str, path: Path) -> list[_Entry]:
    entries = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _ENTRY.match(text, position)
        if match is None:
            line = text.count("\n", 0, position) + 1
            snippet = (
                text[position : position + 60].strip().splitlines()[0] if text[position:].strip() else ""
            )
            raise ParseError(
                f'not a PX keyword: {snippet!r}; expected KEYWORD="value"; or KEYWORD("sub-key")=…;',
                path=path,
                line=line,
            )
        sub = tuple(q for q in re.findall(r'"([^"]*)"', match["sub"] or ""))
        entries.append(_Entry(key=match["key"], lang=match["lang"], sub=sub, items=_items(match["value"])))
        position = match.end()
    return entries


@attrs.frozen(kw_only=True)
class _Dimension:
    name: str
    role: str
    codes: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.labels)


def read_px(
    path: str | Path,
    *,
    encoding: str | None = None,
    language: str | None = None,
    categories: Literal["label", "code"] = "label",
    groups: Literal["keep", "drop", "error"] = "keep",
    geography_year: int | None = None,
) -> StatTable:
    """Read a PX (PC-Axis) file into a StatTable.

    :param encoding: override the file's ``CODEPAGE``/``CHARSET``.
    :param language: read the keywords of this language (``"en"``) where the file has them; default the
        file's own language.
    :param categories: write dimension categories (other than region, time, age, sex and contents) as
        the ``"label"`` texts of ``VALUES`` or as their ``"code"`` from ``CODES``.
    :param groups: rows that are not areas (pseudo-regions, grouped codes, KOSTRA groups): ``"keep"``
        (default), ``"drop"`` or ``"error"``, as for the other SSB readers.
    :param geography_year: the municipality map of the codes; default the latest year.
    :raises ParseError: naming the file, the line or keyword and what is wrong.
    """
    path = Path(path)
    raw = path.read_bytes()
    found = _DATA.search(raw)
    while found is not None and raw.count(b'"', 0, found.start()) % 2:
        found = _DATA.search(raw, found.end())  # "DATA=" inside a quoted text
    if found is None:
        raise ParseError("no DATA keyword: a PX file ends with DATA= and the cells", path=path)
    header = raw[: raw.rfind(b"DATA", found.start(), found.end())]
    codec = _codec(header, path, encoding)
    text = decode_text(header, path=path, encoding=codec)
    if text.startswith("\ufeff"):
        text = text[1:]
    keywords = _Keywords(_parse_keywords(text, path), language)
    if keywords.get("KEYS") or keywords.with_key("KEYS"):
        raise ParseError("the file has KEYS (data rows keyed by codes), which are not read yet", path=path)
    dimensions = _dimensions(keywords, path)
    total = math.prod(d.size for d in dimensions)
    data_line = raw.count(b"\n", 0, found.end()) + 1
    value, status = _cells(raw[found.end() :], total, keywords, path, data_line, dimensions)

    title = keywords.text("TITLE") or ""
    table_id = keywords.text("TABLEID")
    if not table_id and (match := _TABLE_IN_TITLE.match(title)):
        table_id = match[1]
    stub: dict[str, pa.ChunkedArray] = {}
    variable_map: dict[str, tuple[Variable, dict[str, str]]] = {}
    unmapped: dict[str, str] = {}
    sizes = [d.size for d in dimensions]
    for number, dimension in enumerate(dimensions):
        stride = math.prod(sizes[number + 1 :])
        block = np.repeat(np.arange(dimension.size, dtype=np.int32), stride)
        index = np.tile(block, total // max(len(block), 1)) if len(block) else block
        role = dimension.role
        if role in stub:
            raise ParseError(f"two dimensions mean {role!r}; the second is {dimension.name!r}", path=path)
        texts: Sequence[str]
        if role == "region":
            texts = [
                label if label.startswith(f"{code} ") or label == code else f"{code} {label}"
                for code, label in zip(dimension.codes, dimension.labels, strict=True)
            ]
        elif role == "time":
            texts = dimension.codes
        elif role == "variable":
            texts = dimension.labels
            for code, label in zip(dimension.codes, dimension.labels, strict=True):
                unit = keywords.text("UNITS", label) or keywords.text("UNITS")
                variable, fixed, unmapped_unit = variable_for(
                    table=table_id, code=code, label=label, unit=unit, title=title
                )
                variable_map[label] = (variable, fixed)
                if unmapped_unit:
                    unmapped[variable.id] = unmapped_unit
        elif role in ("age", "sex"):
            texts = dimension.labels
        else:
            texts = dimension.labels if categories == "label" else dimension.codes
        stub[role] = pa.chunked_array(
            [pa.DictionaryArray.from_arrays(pa.array(index), pa.array(list(texts), pa.string()))]
        )
    if "time" not in stub:
        raise ParseError(
            'no time dimension (VARIABLE-TYPE "T", TIMEVAL, or a dimension named år, kvartal, måned, uke); '
            "a StatTable needs the period",
            path=path,
        )
    if "variable" not in stub:
        label = _contents_label(keywords.text("CONTENTS") or title)
        variable, fixed, unmapped_unit = variable_for(
            table=table_id, code=None, label=label, unit=keywords.text("UNITS"), title=title
        )
        variable_map[label] = (variable, fixed)
        if unmapped_unit:
            unmapped[variable.id] = unmapped_unit
        stub["variable"] = pa.chunked_array(
            [pa.DictionaryArray.from_arrays(pa.array(np.zeros(total, np.int32)), pa.array([label]))]
        )
    try:
        table = assemble.build(
            stub,
            value_status=(pa.chunked_array([value]), pa.chunked_array([status])),
            table_id=table_id,
            title=title,
            variable_map=variable_map,
            groups=groups,
            geography_year=geography_year,
            source=SOURCE_NAME,
        )
    except assemble.CellError as exc:
        names = {d.role: d.name for d in dimensions}
        raise ParseError(exc.reason, path=path, column=names.get(exc.role, exc.role)) from None
    extra = dict(table.meta.extra)
    if unmapped:
        extra["ssb_units"] = {**extra.get("ssb_units", {}), **unmapped}
    elimination = {
        sub[0]: (items[0] if items else "") for sub, items in keywords.with_key("ELIMINATION").items() if sub
    }
    if elimination:
        extra["elimination"] = elimination
    notes = [note for key in ("NOTEX", "NOTE") if (note := keywords.text(key))]
    if notes:
        extra["notes"] = [note.replace("#", "\n").strip() for note in notes]
    provenance = Provenance.for_file(SOURCE_NAME, path, note=f"encoding {codec}")
    meta = attrs.evolve(table.meta, extra=extra, provenance=(provenance,))
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def _contents_label(text: str) -> str:
    """``"03024: Eksport av oppalen laks,"`` → ``"Eksport av oppalen laks"``."""
    label = assemble.label_from_title(text)
    return label.rstrip(",").strip() or text.strip()


def _dimensions(keywords: _Keywords, path: Path) -> list[_Dimension]:
    stub = keywords.get("STUB") or ()
    heading = keywords.get("HEADING") or ()
    names = [*stub, *heading]
    if not names:
        raise ParseError("neither STUB nor HEADING: the file names no dimensions", path=path)
    contents = keywords.text("CONTVARIABLE")
    dimensions = []
    for name in names:
        labels = keywords.get("VALUES", name)
        if labels is None:
            raise ParseError(f"dimension {name!r} is in STUB/HEADING but has no VALUES", path=path)
        codes = keywords.get("CODES", name) or labels
        if len(codes) != len(labels):
            raise ParseError(
                f"dimension {name!r} has {len(labels)} VALUES but {len(codes)} CODES", path=path, column=name
            )
        kind = (keywords.text("VARIABLE-TYPE", name) or "").upper()
        timeval = keywords.get("TIMEVAL", name)
        if name == contents:
            role = "variable"
        elif kind == "G":
            role = "region"
        elif kind == "T" or timeval is not None:
            role = "time"
        else:
            role = column_name(name)
            if role == "variable" and contents is not None:
                role = column_name(f"{name} dimension")
        if role == "time":
            _check_frequency(name, codes, timeval, path)
        dimensions.append(_Dimension(name=name, role=role, codes=tuple(codes), labels=tuple(labels)))
    return dimensions


def _check_frequency(name: str, codes: Sequence[str], timeval: Sequence[str] | None, path: Path) -> None:
    """The time codes must be of the frequency ``TIMEVAL`` declares (``TLIST(Q1)`` → quarters)."""
    if not timeval:
        return
    match = re.match(r"TLIST\(\s*([A-Z]\d)", timeval[0])
    if match is None:
        return
    frequency = match[1]
    expected = _FREQUENCIES.get(frequency)
    if expected is None:
        raise ParseError(
            f"dimension {name!r} has TIMEVAL TLIST({frequency}); years (A1), quarters (Q1), months (M1) and "
            f"weeks (W1) are read, not this frequency yet",
            path=path,
            column=name,
        )
    for code in codes:
        try:
            period = parse_period(code)
        except UnreadablePeriod as exc:
            raise ParseError(str(exc), path=path, column=name) from None
        if period.kind is not expected and not (
            expected is PeriodKind.YEAR and period.kind is PeriodKind.SCHOOL_YEAR
        ):
            raise ParseError(
                f"period {code!r} is a {period.kind.value.replace('_', ' ')}, but TIMEVAL says "
                f"TLIST({frequency}) ({expected.value}s)",
                path=path,
                column=name,
            )


def _symbol_map(keywords: _Keywords) -> np.ndarray:
    """For each PX cell token (``-``, ``.`` … ``......``): the position in :data:`SYMBOLS` of the symbol
    the file shows for it (-1 when that is not one of SSB's symbols; reported only if a cell uses it)."""
    shown = [keywords.text("DATASYMBOLNIL") or "-"]
    shown += [keywords.text(f"DATASYMBOL{n}") or "." * n for n in range(1, 7)]
    return np.array([SYMBOLS.index(symbol) if symbol in SYMBOLS else -1 for symbol in shown], dtype=np.int8)


def _cells(
    data: bytes,
    total: int,
    keywords: _Keywords,
    path: Path,
    data_line: int,
    dimensions: Sequence[_Dimension],
) -> tuple[pa.Array, pa.Array]:
    """The DATA block as float64 values and SSB status symbols (dictionary int8), one per cell."""
    end = data.rfind(b";")
    if end < 0:
        raise ParseError(
            "the DATA block does not end with ';' (the file is cut short?)", path=path, line=data_line
        )
    body = data[:end].translate(_SEPARATORS)
    try:
        tokens = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=["cell"], block_size=1 << 24),
            parse_options=pacsv.ParseOptions(quote_char='"', ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={"cell": pa.string()},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        ).column("cell")
    except pa.ArrowInvalid as exc:
        raise ParseError(f"the DATA block cannot be read: {exc}", path=path, line=data_line) from None
    if len(tokens) != total:
        sizes = {d.name: d.size for d in dimensions}
        raise ParseError(
            f"DATA holds {len(tokens)} cells, but STUB and HEADING make {total} ({sizes})",
            path=path,
            line=data_line,
        )
    tokens = tokens.combine_chunks() if tokens.num_chunks != 1 else tokens.chunk(0)
    found = pc.index_in(tokens, value_set=_TOKEN_ARRAY)
    is_number = pc.is_null(found)
    try:
        numbers = pc.if_else(is_number, tokens, pa.scalar(None, pa.string())).cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        numeric = pc.match_substring_regex(tokens, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
        bad = int(pc.index(pc.and_(is_number, pc.invert(numeric)), True).as_py())
        raise ParseError(
            f"cell {bad} ({_describe(dimensions, bad)}) is {tokens[bad].as_py()!r}: neither a number nor "
            'a PX symbol ("-", "." … "......")',
            path=path,
            line=data_line,
        ) from None
    infinite = pc.fill_null(pc.is_inf(numbers), False)
    if pc.any(infinite).as_py():
        bad = int(pc.index(infinite, True).as_py())
        raise ParseError(
            f"cell {bad} ({_describe(dimensions, bad)}) is {tokens[bad].as_py()!r}, too large for a float64",
            path=path,
            line=data_line,
        )
    mapping = _symbol_map(keywords)
    token_index = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    status = np.where(token_index >= 0, mapping[np.maximum(token_index, 0)], -1).astype(np.int8)
    unknown = (token_index >= 0) & (status < 0)
    if unknown.any():
        bad = int(np.flatnonzero(unknown)[0])
        token = _PX_TOKENS[int(token_index[bad])]
        shown = keywords.text(f"DATASYMBOL{len(token)}") if token != "-" else keywords.text("DATASYMBOLNIL")
        raise ParseError(
            f"cell {bad} ({_describe(dimensions, bad)}) is {token!r}, shown as {shown or token!r}, which is "
            f"not one of SSB's symbols {list(SYMBOLS)}",
            path=path,
            line=data_line,
        )
    values = np.array(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    values[status == _ZERO] = 0.0
    value = pa.array(values, pa.float64(), mask=np.isnan(values))
    status_array = pa.DictionaryArray.from_arrays(pa.array(status, pa.int8(), mask=status < 0), _SYMBOL_ARRAY)
    return value, status_array


def _describe(dimensions: Sequence[_Dimension], cell: int) -> str:
    parts = []
    stride = math.prod(d.size for d in dimensions)
    for dimension in dimensions:
        stride //= max(dimension.size, 1)
        parts.append(f"{dimension.name}={dimension.labels[(cell // max(stride, 1)) % dimension.size]!r}")
    return ", ".join(parts)
