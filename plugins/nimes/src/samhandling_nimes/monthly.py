"""Monthly admission tables per home municipality, as they are exchanged (CSV and XLSX).

The layout: one block per municipality, one row per unit, one column per month plus a total column::

    Innleggelser i psykisk helsevern og TSB, 2011
    Bostedskommune: 0605 Ringerike
    Avdeling;jan;feb;mar;apr;mai;jun;jul;aug;sep;okt;nov;des;Totalt
    RDPS;10;10;10;13;12;14;14;11;8;12;9;10;133
    LIER;12;7;8;10;11;14;14;15;12;12;14;10;139
    …
    Alle enheter;…;322

Months without admissions may be absent and blank cells mean zero.  Every unit row's total and the
block's total row are checked against the parts; a mismatch becomes a finding
(:mod:`samhandling_nimes.findings`), the numbers are kept as printed.  The result is a StatTable with
``region, level, year, month, unit, unit_type, variable = "admissions", value, status``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from samhandling.checks import Finding, Severity
from samhandling.encodings import decode_text
from samhandling.errors import MessagePart, Parameter, ParseError, SamhandlingError, YearNotCoveredError
from samhandling.model import CareUnit
from samhandling.tables import STATUS_SYMBOLS, Provenance, StatTable, TableMeta
from samhandling_nimes.catalogue import unit_lookup
from samhandling_nimes.findings import FINDINGS_KEY, findings_to_extra
from samhandling_nimes.variables import ADMISSIONS

if TYPE_CHECKING:
    from samhandling.plugins import PluginManager

__all__ = ["SOURCE_NAME", "looks_like_monthly_table", "read_monthly"]

SOURCE_NAME = "nimes-monthly"

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "januar", "january"),
        ("feb", "februar", "february"),
        ("mar", "mars", "march", "mrs"),
        ("apr", "april"),
        ("mai", "may"),
        ("jun", "juni", "june"),
        ("jul", "juli", "july"),
        ("aug", "august"),
        ("sep", "sept", "september"),
        ("okt", "oktober", "oct", "october"),
        ("nov", "november"),
        ("des", "desember", "dec", "december"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

_TOTAL_HEADERS = {"totalt", "total", "sum", "i alt", "ialt", "samlet", "hele året", "hele aret", "sum år"}
_TOTAL_ROWS = {
    "totalt",
    "total",
    "sum",
    "i alt",
    "ialt",
    "samlet",
    "alle enheter",
    "alle avdelinger",
    "alle behandlingssteder",
    "sum alle enheter",
    "sum alle avdelinger",
    "all units",
    "totalt alle enheter",
}
_GENERIC_LABELS = {
    "",
    "avdeling",
    "avdelinger",
    "enhet",
    "enheter",
    "post",
    "behandlingssted",
    "behandlingsenhet",
    "unit",
    "units",
    "sted",
    "institusjon",
}
_MUNICIPALITY_KEYS = {
    "bostedskommune",
    "kommune",
    "hjemkommune",
    "pasientens bostedskommune",
    "bosted",
    "municipality",
    "home municipality",
}
_YEAR_KEYS = {"år", "aar", "year", "periode", "period", "statistikkår"}

_MONTH_WORD = re.compile(r"^(?P<name>[a-zæøå]+)\.?(?:[\s\-/]+(?P<year>\d{2}|\d{4}))?$")
_YEAR_MONTH = re.compile(r"^(?P<year>\d{4})\s*(?:-|m|/|\.)\s*(?P<month>\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(?P<month>\d{1,2})\s*(?:\.|/|-)\s*(?P<year>\d{4})$")
_AREA_LABEL = re.compile(r"^(?P<code>\d{6}|\d{4})(?:\s*[-–:]?\s*(?P<name>.*))?$")
_AREA_LABEL_TRAILING = re.compile(r"^(?P<name>.*?)\s*\((?P<code>\d{6}|\d{4})\)$")
_TITLE_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
_SUPPRESSED_SMALL = re.compile(r"^<\s*\d+$")


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).replace("\u00a0", " ").replace("\u202f", " ").split())


def _month_of(cell: Any) -> tuple[int | None, int] | None:
    """``(year or None, month)`` for a month header cell, else ``None``."""
    if isinstance(cell, dt.datetime | dt.date):
        return cell.year, cell.month
    text = _text(cell).casefold()
    if not text:
        return None
    match = _MONTH_WORD.match(text)
    if match and match["name"] in _MONTHS:
        year = match["year"]
        if year is not None and len(year) == 2:
            year = f"20{year}"
        return (int(year) if year else None), _MONTHS[match["name"]]
    for pattern in (_YEAR_MONTH, _MONTH_YEAR):
        match = pattern.match(text)
        if match and 1 <= int(match["month"]) <= 12:
            return int(match["year"]), int(match["month"])
    return None


def _is_total_header(cell: Any) -> bool:
    text = _text(cell).casefold().rstrip(":")
    return text in _TOTAL_HEADERS or bool(re.fullmatch(r"(totalt?|sum|i alt)\s+\d{4}", text))


@attrs.frozen
class _Row:
    line: int
    cells: tuple[Any, ...]
    where: str  # "file.csv" or "file.xlsx, sheet 'Ark1'"


@attrs.frozen
class _Header:
    label_column: int
    months: tuple[tuple[int, int | None, int], ...]  # (column, year or None, month)
    total_column: int | None


def _header_of(cells: Sequence[Any]) -> _Header | None:
    months: list[tuple[int, int | None, int]] = []
    total_column: int | None = None
    others: list[int] = []
    for column, cell in enumerate(cells):
        month = _month_of(cell)
        if month is not None:
            months.append((column, month[0], month[1]))
        elif _is_total_header(cell):
            total_column = column
        elif _text(cell):
            others.append(column)
    if len(months) < 2 and not (months and total_column is not None):
        return None
    first_month = months[0][0]
    before = [c for c in others if c < first_month]
    after = [c for c in others if c > first_month]
    if after:
        return None
    label_column = before[-1] if before else 0
    if label_column >= first_month:
        return None
    return _Header(label_column=label_column, months=tuple(months), total_column=total_column)


# -- reading the raw rows ----------------------------------------------------------------------------


def _csv_rows(path: Path, encoding: str | None, delimiter: str | None) -> Iterator[_Row]:
    text = decode_text(path.read_bytes(), path=path, encoding=encoding)
    if delimiter is None:
        sample = text[:20000]
        counts = {d: sample.count(d) for d in (";", "\t", ",")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for line, cells in enumerate(reader, start=1):
        yield _Row(line, tuple(cells), str(path))


def _xlsx_rows(path: Path, sheet: str | int | None) -> Iterator[_Row]:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency of the plugin
        raise ParseError("reading XLSX needs openpyxl: pip install openpyxl", path=path) from exc
    from samhandling.workbooks import check_workbook

    check_workbook(path)  # a zip bomb or an XML entity attack is refused before openpyxl parses it
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ParseError(f"not a readable XLSX workbook: {type(exc).__name__}: {exc}", path=path) from None
    try:
        names = list(workbook.sheetnames)
        if sheet is None:
            chosen = names
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise ParseError(f"no sheet number {sheet}; the workbook has {len(names)}", path=path)
            chosen = [names[sheet]]
        else:
            if sheet not in names:
                raise ParseError(f"no sheet {sheet!r}; sheets are {names}", path=path)
            chosen = [sheet]
        for name in chosen:
            where = f"{path}, sheet {name!r}"
            for line, cells in enumerate(workbook[name].iter_rows(values_only=True), start=1):
                yield _Row(line, tuple(cells), where)
            yield _Row(0, (), where)  # a sheet boundary ends any open block
    finally:
        workbook.close()


# -- cells -----------------------------------------------------------------------------------------


def _count(cell: Any, row: _Row, column: int, what: str) -> tuple[float | None, str | None]:
    """``(value, status)`` of a count cell: blank is 0, SSB symbols become statuses."""
    if cell is None:
        return 0.0, None
    if isinstance(cell, bool):
        raise ParseError(
            f"{what}: expected a count, found {cell!r}", path=row.where, line=row.line, column=column + 1
        )
    if isinstance(cell, int | float):
        number = float(cell)
    else:
        text = _text(cell)
        if text == "":
            return 0.0, None
        if text == "-":
            return 0.0, None
        if text in STATUS_SYMBOLS:
            return None, text
        if _SUPPRESSED_SMALL.match(text):
            return None, ":"
        cleaned = text.replace(" ", "").replace("−", "-")
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", cleaned):
            cleaned = cleaned.replace(".", "")
        cleaned = cleaned.replace(",", ".")
        try:
            number = float(cleaned)
        except ValueError:
            raise ParseError(
                f"{what}: expected a count (a whole number, blank, '-' or an SSB symbol such as ':'), "
                f"found {text!r}",
                path=row.where,
                line=row.line,
                column=column + 1,
            ) from None
    if number < 0 or not number.is_integer():
        raise ParseError(
            f"{what}: admissions are whole non-negative numbers, found {cell!r}",
            path=row.where,
            line=row.line,
            column=column + 1,
        )
    return number, None


# -- blocks ----------------------------------------------------------------------------------------


@attrs.define
class _Block:
    label: str
    label_line: int
    where: str
    header: _Header
    year: int | None
    units: list[tuple[_Row, str]] = attrs.field(factory=list)
    total: _Row | None = None


def _key_value(cells: Sequence[Any]) -> tuple[str, str] | None:
    texts = [_text(c) for c in cells if _text(c)]
    if not texts:
        return None
    first = texts[0]
    if ":" in first and len(texts) == 1:
        key, _, value = first.partition(":")
        return key.strip().casefold(), value.strip()
    if len(texts) == 2:
        return texts[0].rstrip(":").strip().casefold(), texts[1]
    return None


def _blocks(rows: Iterator[_Row], year_option: int | None) -> Iterator[_Block]:
    block: _Block | None = None
    municipality: tuple[str, int] | None = None
    loose: list[tuple[str, int]] = []
    year: int | None = year_option
    title_year: int | None = None
    where = ""
    for row in rows:
        if row.where != where:
            where, municipality, loose, title_year = row.where, None, [], None
            year = year_option
        texts = [_text(c) for c in row.cells]
        if not any(texts):
            if block is not None:
                yield block
                block = None
            continue
        header = _header_of(row.cells)
        if header is not None:
            if block is not None:
                yield block
            label = texts[header.label_column] if header.label_column < len(texts) else ""
            if municipality is not None:
                chosen = municipality
            elif label.casefold() not in _GENERIC_LABELS:
                chosen = (label, row.line)
            elif loose:
                chosen = loose[-1]
                loose = loose[:-1]
            else:
                raise ParseError(
                    "a table of months starts here, but no home municipality is named above it; expected "
                    "a line such as 'Bostedskommune: 0605 Ringerike'",
                    path=row.where,
                    line=row.line,
                )
            block_year = year
            if block_year is None:
                block_year = title_year
            if block_year is None:
                for text, _ in loose:
                    found = set(_TITLE_YEAR.findall(text))
                    if len(found) == 1:
                        block_year = int(found.pop())
            block = _Block(chosen[0], chosen[1], row.where, header, block_year)
            municipality, loose = None, []
            continue
        if block is not None:
            label = texts[block.header.label_column] if block.header.label_column < len(texts) else ""
            if label.casefold().rstrip(":") in _TOTAL_ROWS:
                block.total = row
                yield block
                block = None
                continue
            if label:
                block.units.append((row, label))
                continue
            if any(texts[c] for c, _, _ in block.header.months if c < len(texts)):
                raise ParseError(
                    "a row of numbers without a unit name in the unit column",
                    path=row.where,
                    line=row.line,
                    column=block.header.label_column + 1,
                )
            yield block
            block = None
            continue
        pair = _key_value(row.cells)
        if pair is not None and pair[0] in _MUNICIPALITY_KEYS:
            municipality = (pair[1], row.line)
            continue
        if pair is not None and pair[0] in _YEAR_KEYS:
            stated = sorted(set(_TITLE_YEAR.findall(pair[1])))
            if len(stated) != 1:
                raise ParseError(
                    f"expected one year after {pair[0]!r}, found {pair[1]!r}", path=row.where, line=row.line
                )
            if year_option is not None and int(stated[0]) != year_option:
                raise ParseError(
                    f"the file says the year is {stated[0]}, but year={year_option} was given",
                    path=row.where,
                    line=row.line,
                )
            year = int(stated[0])
            continue
        line_text = " ".join(t for t in texts if t)
        if _AREA_LABEL.match(line_text) or _AREA_LABEL_TRAILING.match(line_text):
            municipality = (line_text, row.line)
            continue
        found_years = set(_TITLE_YEAR.findall(line_text))
        if len(found_years) == 1 and re.search(r"[a-zæøå]{3}", line_text.casefold()):
            title_year = int(found_years.pop())
        loose.append((line_text, row.line))
    if block is not None:
        yield block


# -- regions ---------------------------------------------------------------------------------------


@attrs.define
class _RegionResolver:
    regions: Mapping[str, str]
    geography_year: int | None
    cache: dict[tuple[str, int], tuple[str, str]] = attrs.field(factory=dict)

    def resolve(self, label: str, year: int, where: str, line: int) -> tuple[str, str]:
        """``(code, level)`` of a block label such as ``"0605 Ringerike"`` or ``"Ringerike"``."""
        key = (label, year)
        if key in self.cache:
            return self.cache[key]
        text = label.strip()
        lowered = {k.strip().casefold(): v for k, v in self.regions.items()}
        if text.casefold() in lowered:
            code = lowered[text.casefold()]
        else:
            match = _AREA_LABEL.match(text) or _AREA_LABEL_TRAILING.match(text)
            code = match["code"] if match else self._by_name(text, year, where, line)
        if not re.fullmatch(r"\d{4}|\d{6}", code):
            raise ParseError(
                f"regions= maps {label!r} to {code!r}, which is not a 4-digit municipality or 6-digit "
                "district code",
                path=where,
                line=line,
            )
        result = (code, "municipality" if len(code) == 4 else "district")
        self.cache[key] = result
        return result

    def _by_name(self, name: str, year: int, where: str, line: int) -> str:
        map_year = self.geography_year if self.geography_year is not None else year
        hint: tuple[MessagePart, ...] = (
            f"give the code in the file ('0605 {name}'), give ",
            Parameter(name="regions", example=f"{{{name!r}: '<code>'}}"),
            ", or name the map to look names up in with ",
            Parameter(name="geography_year"),
        )
        try:
            from samhandling.geography import Geography

            geography = Geography.for_year(map_year)
            found = geography.municipality(name)
        except YearNotCoveredError as exc:
            raise ParseError(
                f"home municipality {name!r} is given by name only, and names cannot be looked up in "
                f"{map_year}: {exc}; ",
                *hint,
                path=where,
                line=line,
            ) from None
        except SamhandlingError as exc:
            raise ParseError(f"home municipality {name!r}: {exc}; ", *hint, path=where, line=line) from None
        except (ImportError, AttributeError) as exc:
            raise ParseError(
                f"home municipality {name!r} is given by name only and the geography is not available "
                f"({exc}); ",
                *hint,
                path=where,
                line=line,
            ) from None
        code = getattr(found, "code", None)
        if not isinstance(code, str):
            raise ParseError(
                f"home municipality {name!r} does not name a municipality or district in {map_year}; ",
                *hint,
                path=where,
                line=line,
            )
        return code


def _known_codes(year: int) -> frozenset[str] | None:
    """The municipality and district codes of ``year``, or ``None`` when the geography cannot tell."""
    try:
        from samhandling.geography import Geography

        geography = Geography.for_year(year)
        return frozenset(geography.codes("municipality")) | frozenset(geography.codes("district"))
    except (ImportError, AttributeError, SamhandlingError):
        return None


# -- the reader ------------------------------------------------------------------------------------


def _covered_months(blocks: Sequence[_Block], months: int | Sequence[int] | None) -> dict[int, list[int]]:
    by_year: dict[int, set[int]] = {}
    for block in blocks:
        for _, column_year, month in block.header.months:
            by_year.setdefault(column_year or block.year or 0, set()).add(month)
    if months is not None:
        wanted = list(range(1, months + 1)) if isinstance(months, int) else sorted(set(months))
        if not wanted or any(not 1 <= m <= 12 for m in wanted):
            raise ParseError(f"months={months!r}: expected months between 1 and 12")
        return dict.fromkeys(by_year, wanted)
    return {year: list(range(min(seen), max(seen) + 1)) for year, seen in by_year.items()}


def read_monthly(
    path: str | Path,
    *,
    year: int | None = None,
    regions: Mapping[str, str] | None = None,
    geography_year: int | None = None,
    months: int | Sequence[int] | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    units: Sequence[CareUnit] = (),
    plugin_manager: PluginManager | None = None,
) -> StatTable:
    """Read a monthly admission table per home municipality (CSV or XLSX) into a StatTable.

    Every unit row's total and every block total is checked; a mismatch is recorded as a finding in
    ``table.meta.extra["findings"]`` (read them with :func:`samhandling_nimes.findings`), never
    corrected.  Blank cells and months missing from a block are zero admissions.

    :param path: a ``.csv``/``.txt`` (``;``, ``,`` or tab separated; UTF-8 with or without BOM, or
        Windows-1252) or ``.xlsx`` file.
    :param year: the year of the figures when the file does not say (``År: 2011``, a title such as
        "Innleggelser 2011", or month headers such as ``2011-01``).
    :param regions: labels → codes for blocks named without a code, e.g. ``{"Ringerike": "0605"}``.
    :param geography_year: the municipality map to look up names in (default: the figures' year).
    :param months: the months the table covers (``12`` or ``[1, 2, …]``); default: from the first to
        the last month column found for each year.  Covered months absent from a block count as zero.
    :param sheet: for XLSX, one sheet name or number; default: every sheet.
    :param encoding: force a text encoding for CSV.
    :param delimiter: force the CSV delimiter.
    :param units: extra :class:`~samhandling.model.CareUnit` entries for this file only.
    :param plugin_manager: whose unit catalogue to use.
    :raises ParseError: unreadable cells, a block without municipality or year, naming file and line.
    """
    path = Path(path)
    suffix = path.suffix.casefold()
    rows = _xlsx_rows(path, sheet) if suffix in {".xlsx", ".xlsm"} else _csv_rows(path, encoding, delimiter)
    blocks = list(_blocks(rows, year))
    if not blocks:
        raise ParseError(
            "no table of months found; expected a header row such as 'Avdeling;jan;feb;…;Totalt' under a "
            "line naming the home municipality",
            path=path,
        )
    for block in blocks:
        if block.year is None and any(y is None for _, y, _ in block.header.months):
            raise ParseError(
                f"the year of the block for {block.label!r} is not given; add a line 'År: 2011', month "
                "headers such as '2011-01', or give ",
                Parameter(name="year"),
                path=block.where,
                line=block.label_line,
            )
    covered = _covered_months(blocks, months)
    resolver = _RegionResolver(regions or {}, geography_year)
    lookup = unit_lookup(plugin_manager, extra=units)
    found: list[Finding] = []
    columns: dict[str, list[Any]] = {
        k: [] for k in ("region", "level", "year", "month", "unit", "unit_type", "value", "status")
    }
    seen_keys: dict[tuple[str, int, int, str], int] = {}
    for block in blocks:
        found.extend(_read_block(block, covered, resolver, lookup, columns, seen_keys))
    years = sorted(set(columns["year"]))
    for year_value, wanted in covered.items():
        if wanted != list(range(1, 13)):
            found.append(
                Finding(
                    rule="nimes_months_not_covered",
                    severity=Severity.INFO,
                    message=(
                        f"the table reports months {wanted[0]}–{wanted[-1]} of {year_value} only; other "
                        "months are not in the table (if absent months mean zero, say so)"
                    ),
                    needs=(Parameter(name="months", example="12"),),
                    variable=ADMISSIONS.id,
                    year=year_value or None,
                    values={"months": ",".join(map(str, wanted))},
                    location=str(path),
                )
            )
    unknown_units = sorted({u for u, t in zip(columns["unit"], columns["unit_type"]) if t == "unknown"})
    for code in unknown_units:
        found.append(
            Finding(
                rule="nimes_unknown_unit",
                severity=Severity.WARNING,
                message=(
                    f"unit {code!r} is in no unit catalogue; its rows are kept with unit_type 'unknown' "
                    "(register it with the samhandling_register_care_units hook, or name its type)"
                ),
                needs=(Parameter(name="units"),),
                variable=ADMISSIONS.id,
                values={"unit": code},
                location=str(path),
            )
        )
    for year_value in years:
        known = _known_codes(year_value)
        if known is None:
            continue
        regions_of_year = sorted({r for r, y in zip(columns["region"], columns["year"]) if y == year_value})
        for region in regions_of_year:
            if region not in known:
                found.append(
                    Finding(
                        rule="nimes_unknown_region",
                        severity=Severity.WARNING,
                        message=(
                            f"municipality code {region!r} does not exist in {year_value}; its rows are kept"
                        ),
                        region=region,
                        variable=ADMISSIONS.id,
                        year=year_value,
                        location=str(path),
                    )
                )
    table = pa.table(
        {
            "region": pa.array(columns["region"], pa.string()),
            "level": pa.array(columns["level"], pa.string()),
            "year": pa.array(columns["year"], pa.int16()),
            "month": pa.array(columns["month"], pa.int8()),
            "unit": pa.array(columns["unit"], pa.string()),
            "unit_type": pa.array(columns["unit_type"], pa.string()),
            "variable": pa.array([ADMISSIONS.id] * len(columns["region"]), pa.string()),
            "value": pa.array(columns["value"], pa.float64()),
            "status": pa.array(columns["status"], pa.string()),
        }
    )
    meta = TableMeta(
        source=SOURCE_NAME,
        geography_year=years[-1] if years else None,
        variables=[ADMISSIONS],
        provenance=(Provenance.for_file(SOURCE_NAME, path),),
        title="Innleggelser per bostedskommune, måned og enhet",
        extra={FINDINGS_KEY: findings_to_extra(found)},
    )
    return StatTable.from_arrow(table, meta=meta)


def _read_block(
    block: _Block,
    covered: Mapping[int, list[int]],
    resolver: _RegionResolver,
    lookup: Any,
    columns: dict[str, list[Any]],
    seen_keys: dict[tuple[str, int, int, str], int],
) -> list[Finding]:
    found: list[Finding] = []
    header = block.header
    column_of: dict[tuple[int, int], int] = {}
    for column, column_year, month in header.months:
        key = (column_year or block.year or 0, month)
        if key in column_of:
            raise ParseError(
                f"month {month} of {key[0]} has two columns ({column_of[key] + 1} and {column + 1})",
                path=block.where,
                line=block.label_line,
            )
        column_of[key] = column
    block_years = sorted({y for y, _ in column_of})
    region, level = resolver.resolve(block.label, block_years[-1], block.where, block.label_line)
    area = f"{block.label}" if block.label.startswith(region) else f"{block.label} ({region})"
    month_sums: dict[tuple[int, int], float] = {}
    month_suppressed: set[tuple[int, int]] = set()
    block_sum = 0.0
    block_suppressed = False
    for row, label in block.units:
        unit = lookup.resolve(label)
        code = unit.code if unit is not None else label
        unit_type = lookup.unit_type(label)
        row_sum = 0.0
        row_suppressed = False
        for year_value in block_years:
            for month in covered.get(year_value, []):
                month_column = column_of.get((year_value, month))
                cell = (
                    row.cells[month_column]
                    if month_column is not None and month_column < len(row.cells)
                    else None
                )
                value, status = _count(cell, row, month_column or 0, f"unit {label!r}, month {month}")
                key4 = (region, year_value, month, code)
                if key4 in seen_keys:
                    raise ParseError(
                        f"unit {code!r} appears twice for {area}, {year_value}-{month:02d} (first at line "
                        f"{seen_keys[key4]})",
                        path=row.where,
                        line=row.line,
                    )
                seen_keys[key4] = row.line
                columns["region"].append(region)
                columns["level"].append(level)
                columns["year"].append(year_value)
                columns["month"].append(month)
                columns["unit"].append(code)
                columns["unit_type"].append(unit_type)
                columns["value"].append(value)
                columns["status"].append(status)
                if value is None:
                    row_suppressed = True
                    month_suppressed.add((year_value, month))
                else:
                    row_sum += value
                    month_sums[(year_value, month)] = month_sums.get((year_value, month), 0.0) + value
        block_sum += row_sum
        block_suppressed = block_suppressed or row_suppressed
        if header.total_column is not None:
            cell = row.cells[header.total_column] if header.total_column < len(row.cells) else None
            stated, status = _count(cell, row, header.total_column, f"unit {label!r}, total")
            if stated is not None:
                found.extend(
                    _compare(
                        "nimes_row_total",
                        f"{area}, unit {code}",
                        stated,
                        row_sum,
                        row_suppressed,
                        region=region,
                        year=block_years[-1],
                        unit=code,
                        location=f"{row.where}, line {row.line}",
                        parts="its months",
                    )
                )
    if block.total is not None:
        row = block.total
        for (year_value, month), column in sorted(column_of.items()):
            if month not in covered.get(year_value, []):
                continue
            cell = row.cells[column] if column < len(row.cells) else None
            if not _text(cell):
                continue  # a total row may state only some totals; a blank one is not stated
            stated, status = _count(cell, row, column, f"total row, month {month}")
            if stated is None:
                continue
            found.extend(
                _compare(
                    "nimes_block_month_total",
                    f"{area}, all units, {year_value}-{month:02d}",
                    stated,
                    month_sums.get((year_value, month), 0.0),
                    (year_value, month) in month_suppressed,
                    region=region,
                    year=year_value,
                    unit="total",
                    location=f"{row.where}, line {row.line}",
                    parts="the unit rows",
                    month=month,
                )
            )
        if header.total_column is not None:
            cell = row.cells[header.total_column] if header.total_column < len(row.cells) else None
            stated, status = _count(cell, row, header.total_column, "total row, total")
            if stated is not None and _text(cell):
                found.extend(
                    _compare(
                        "nimes_block_total",
                        f"{area}, all units",
                        stated,
                        block_sum,
                        block_suppressed,
                        region=region,
                        year=block_years[-1],
                        unit="total",
                        location=f"{row.where}, line {row.line}",
                        parts="the unit rows",
                    )
                )
    return found


def _compare(
    rule: str,
    what: str,
    stated: float,
    summed: float,
    suppressed: bool,
    *,
    region: str,
    year: int,
    unit: str,
    location: str,
    parts: str,
    month: int | None = None,
) -> list[Finding]:
    values: dict[str, Any] = {"unit": unit, "stated": int(stated), "sum": int(summed)}
    if month is not None:
        values["month"] = month
    if suppressed:
        if summed <= stated:
            return []
        return [
            Finding(
                rule="nimes_suppressed_total",
                severity=Severity.ERROR,
                message=(
                    f"{what}: stated total {int(stated)}, but the cells that are shown already sum to "
                    f"{int(summed)} (some cells are suppressed)"
                ),
                region=region,
                variable=ADMISSIONS.id,
                year=year,
                values=values,
                location=location,
            )
        ]
    if summed == stated:
        return []
    return [
        Finding(
            rule=rule,
            severity=Severity.ERROR,
            message=f"{what}: stated total {int(stated)}, but {parts} sum to {int(summed)}",
            region=region,
            variable=ADMISSIONS.id,
            year=year,
            values=values,
            location=location,
        )
    ]


def looks_like_monthly_table(path: str | Path) -> bool:
    """Cheap test: does the file have a header row of month names within its first 60 lines?"""
    path = Path(path)
    suffix = path.suffix.casefold()
    if suffix not in {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"} or not path.is_file():
        return False
    try:
        rows: Iterator[_Row]
        if suffix in {".xlsx", ".xlsm"}:
            rows = _xlsx_rows(path, 0)
        else:
            with path.open("rb") as handle:
                head = handle.read(16384)
            text = decode_text(head, path=path) if head else ""
            counts = {d: text.count(d) for d in (";", "\t", ",")}
            delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"
            rows = (
                _Row(n, tuple(cells), str(path))
                for n, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)
            )
        for count, row in enumerate(rows):
            if count >= 60:
                break
            if _header_of(row.cells) is not None:
                return True
    except (ParseError, UnicodeDecodeError, csv.Error):
        return False
    return False
