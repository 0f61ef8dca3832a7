"""Reading survey files (CSV and XLSX) into StatTables with a column specification.

The file is read into a grid of cells, the header block is found by the municipality-code header, the
columns of the spec are matched to the file's headers (merged group headers included), and every value
column is parsed at once with Arrow compute: decimal commas, thousands spaces, SSB's status symbols
(``..``, ``:``, ``-`` …), Ja/Nei answers.  An empty cell becomes status ``..`` (not available) unless
the spec says ``blank = "zero"``; nothing is dropped or invented silently: rows skipped as notes or sum
rows and columns the spec does not know are listed in the table's metadata.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import logging
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from samhandling.encodings import decode_text
from samhandling.errors import Parameter, ParseError, SamhandlingWarning, SchemaError
from samhandling.tables import (
    METADATA_KEY,
    STATUS_SYMBOLS,
    Provenance,
    StatTable,
    Status,
    TableMeta,
    Variable,
)
from samhandling.workbooks import WorkbookLimits, check_workbook
from samhandling_survey.spec import ColumnSpec, SurveySpec, match_headers, normalise_header, shipped_years
from samhandling_survey.variables import (
    HIGHER_EDUCATION_PROFESSIONS,
    SURVEY_VARIABLES,
    TOTAL,
    YES_NO_VARIABLES,
)

__all__ = ["SOURCE_NAME", "SUFFIXES", "SYNTHETIC_MARKER", "read_survey", "read_survey_series", "sniff_survey"]

log = logging.getLogger(__name__)

SOURCE_NAME = "survey"
SUFFIXES = (".csv", ".xlsx", ".xlsm")
SYNTHETIC_MARKER = "Eksempelfil med syntetiske tall"
"""A note row that begins with these words marks a file of made-up numbers (the plugin's example files
carry it under their rows): the table read from it is marked synthetic in its provenance, so every
output built from it — the report included — says so."""
_HEADER_SEARCH_ROWS = 40
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_CODE = re.compile(r"^\s*(\d{3,6})(?:\s+\S.*)?$")
_SUM_LABEL = re.compile(r"^(sum|totalt?|hele landet|landet|alle kommuner)\b|\b(i alt|totalt?|sum)$")
_YES = ["ja", "j", "yes", "y", "x", "1", "1.0"]
_NO = ["nei", "n", "no", "0", "0.0"]
_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"

Cell = Any


# -------------------------------------------------------------------------------------------------
# The grid of cells
# -------------------------------------------------------------------------------------------------


def _csv_grid(path: Path, spec: SurveySpec) -> list[list[Cell]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc}", path=path) from exc
    text = decode_text(
        raw, path=path, encoding=None if spec.layout.encoding == "auto" else spec.layout.encoding
    )
    head = [line for line in text.splitlines()[:12] if line.strip()]
    delimiter = spec.layout.delimiter
    if head and not any(delimiter in line for line in head):
        counts = {d: sum(line.count(d) for line in head) for d in (";", ",", "\t")}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            delimiter = best
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [list(row) for row in reader]
    except csv.Error as exc:
        raise ParseError(f"not a readable CSV file: {exc}", path=path, line=reader.line_num) from exc


@attrs.frozen(kw_only=True)
class _Sheet:
    """The cells of a sheet (or CSV file) and what the cells alone do not show."""

    grid: list[list[Cell]]
    merged: tuple[tuple[int, int, int, int, str], ...] = ()  # first/last row, first/last column, "B5:C6"
    uncached: tuple[tuple[int, int, str], ...] = ()  # row, column (0-based) and "D7" of formulas
    # without a saved value


def _load_workbook(path: Path, *, data_only: bool, read_only: bool) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(path, data_only=data_only, read_only=read_only)
    except Exception as exc:  # openpyxl raises many kinds (zipfile, KeyError, InvalidFileException)
        what = type(exc).__name__
        if what in ("DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden"):
            raise ParseError(
                f"the workbook's XML declares entities or a DTD ({exc}); refused", path=path
            ) from exc
        raise ParseError(f"not a readable XLSX workbook: {what}: {exc}", path=path) from exc


def _uncached_formulas(
    path: Path, sheet_name: str, grid: list[list[Cell]]
) -> tuple[tuple[int, int, str], ...]:
    """Formula cells whose saved value is empty (a workbook written by a program, not saved by Excel)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    workbook = _load_workbook(path, data_only=False, read_only=True)
    found = []
    try:
        for r, row in enumerate(workbook[sheet_name].iter_rows(values_only=True)):
            for c, value in enumerate(row):
                formula = isinstance(value, (ArrayFormula, DataTableFormula)) or (
                    isinstance(value, str) and value.startswith("=")
                )
                if formula and (r >= len(grid) or c >= len(grid[r]) or grid[r][c] is None):
                    found.append((r, c, f"{get_column_letter(c + 1)}{r + 1}"))
    finally:
        workbook.close()
    return tuple(found)


def _xlsx_grid(path: Path, spec: SurveySpec, sheet: str | None, limits: WorkbookLimits | None) -> _Sheet:
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency of the plugin
        raise ParseError("reading XLSX needs openpyxl: pip install openpyxl", path=path) from exc
    check_workbook(path, limits)
    workbook = _load_workbook(path, data_only=True, read_only=False)
    try:
        wanted = sheet or spec.layout.sheet
        names = list(workbook.sheetnames)
        if wanted is not None and wanted in names:
            chosen = [wanted]
        elif len(names) == 1:
            chosen = names
        else:
            code_headers = {normalise_header(h) for h in spec.region.code}
            chosen = [
                name
                for name in names
                if any(
                    isinstance(value, str) and normalise_header(value) in code_headers
                    for row in workbook[name].iter_rows(max_row=_HEADER_SEARCH_ROWS, values_only=True)
                    for value in row
                )
            ]
            if len(chosen) != 1:
                raise ParseError(
                    f"cannot tell which sheet holds the survey: sheet {wanted!r} is not there and "
                    f"{len(chosen)} of the sheets {names} have a {spec.region.code[0]!r} header; pass "
                    f"sheet=... or set layout.sheet in the spec",
                    path=path,
                )
        worksheet = workbook[chosen[0]]
        grid = [list(row) for row in worksheet.iter_rows(values_only=True)]
        merged = []
        # A group header merged over its columns stands for each of them; merged cells in the data are
        # refused once the header is known (read_survey), because a copy there would count twice.
        for cells in worksheet.merged_cells.ranges:
            top_left = grid[cells.min_row - 1][cells.min_col - 1]
            merged.append(
                (cells.min_row - 1, cells.max_row - 1, cells.min_col - 1, cells.max_col - 1, cells.coord)
            )
            for r in range(cells.min_row - 1, min(cells.max_row, len(grid))):
                row = grid[r]
                for c in range(cells.min_col - 1, min(cells.max_col, len(row))):
                    row[c] = top_left
    finally:
        workbook.close()
    return _Sheet(grid=grid, merged=tuple(merged), uncached=_uncached_formulas(path, chosen[0], grid))


def _grid(path: Path, spec: SurveySpec, sheet: str | None, limits: WorkbookLimits | None) -> _Sheet:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        read = _Sheet(grid=_csv_grid(path, spec))
    elif suffix in (".xlsx", ".xlsm"):
        read = _xlsx_grid(path, spec, sheet, limits)
    else:
        raise ParseError(f"the survey source reads {', '.join(SUFFIXES)} files, not {suffix!r}", path=path)
    width = max((len(row) for row in read.grid), default=0)
    return attrs.evolve(read, grid=[row + [None] * (width - len(row)) for row in read.grid])


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


# -------------------------------------------------------------------------------------------------
# Headers
# -------------------------------------------------------------------------------------------------


def _column_paths(
    grid: list[list[Cell]], start: int, rows: int, fill_right: bool
) -> tuple[list[str], list[str], list[str]]:
    """Normalised ``group / column`` paths, column headers and the paths as written, at ``start``."""
    block = [[_text(c) for c in grid[r]] for r in range(start, min(start + rows, len(grid)))]
    if fill_right:
        # CSV has no merged cells: a group label stands in its first column, the rest are empty.
        for row in block[:-1]:
            current = ""
            for index, value in enumerate(row):
                current = value or current
                row[index] = current
    paths, leaves, shown = [], [], []
    width = len(block[0]) if block else 0
    for column in range(width):
        parts: list[str] = []
        written: list[str] = []
        for row in block:
            value = normalise_header(row[column]) if row[column] else ""
            if value and (not parts or parts[-1] != value):
                parts.append(value)
                written.append(" ".join(row[column].split()))
        paths.append(" / ".join(parts))
        leaves.append(parts[-1] if parts else "")
        shown.append(" / ".join(written))
    return paths, leaves, shown


def _score(spec: SurveySpec, paths: list[str], leaves: list[str], _shown: list[str]) -> int:
    return sum(1 for column in spec.columns if match_headers(column.header, paths, leaves)[0] is not None)


def _find_header(
    grid: list[list[Cell]], spec: SurveySpec, fill_right: bool, path: Path
) -> tuple[int, list[str], list[str], list[str]]:
    """The first row of the header block, its column paths, headers and paths as written."""
    code_headers = {normalise_header(h) for h in spec.region.code}
    rows = spec.layout.header_rows
    candidates: list[int] = []
    for r, row in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        if any(isinstance(c, str) and normalise_header(c) in code_headers for c in row):
            candidates += [r, r - rows + 1]
            break
    candidates = [c for c in dict.fromkeys(candidates) if c >= 0]
    if not candidates:
        raise ParseError(
            f"no header row with the municipality-code column {list(spec.region.code)} in the first "
            f"{_HEADER_SEARCH_ROWS} rows (spec {spec.origin or spec.year}); is this a survey file of "
            f"{spec.year}?",
            path=path,
        )
    best = max(candidates, key=lambda start: _score(spec, *_column_paths(grid, start, rows, fill_right)))
    return (best, *_column_paths(grid, best, rows, fill_right))


def _missing_column_error(
    column: ColumnSpec, paths: list[str], ambiguous: list[int], path: Path
) -> ParseError:
    if ambiguous:
        found = [paths[i] for i in ambiguous]
        return ParseError(
            f"header {column.header[0]!r} ({column.variable} {column.dimension_map}) matches several "
            f"columns {found}; write it as 'Group / Column' in the spec",
            path=path,
        )
    key = normalise_header(column.header[0])
    written = {normalise_header(p): p for p in paths if p}
    close = [written[c] for c in difflib.get_close_matches(key, list(written), n=3, cutoff=0.5)]
    hint = f"; closest headers in the file: {close}" if close else ""
    return ParseError(
        f"no column {column.header[0]!r} for {column.variable} {column.dimension_map}{hint}. If the file "
        f"is right, copy the spec (samhandling_survey.copy_spec) and fix the header, or mark the column "
        f"required = false",
        path=path,
    )


def _year_in(texts: Iterable[str]) -> int | None:
    """The first year (2000–2099) written in the texts, in order."""
    for text in texts:
        found = _YEAR.findall(text)
        if found:
            return int(found[0])
    return None


def _title_year(grid: list[list[Cell]], header_start: int) -> int | None:
    cells = [_text(c) for row in grid[:header_start] for c in row if c is not None]
    return _year_in(cells)


# -------------------------------------------------------------------------------------------------
# Values
# -------------------------------------------------------------------------------------------------


def _split_cells(cells: Sequence[Cell], where: str, path: Path, first_row: int) -> tuple[pa.Array, pa.Array]:
    """Numbers and texts of a column as two Arrow arrays (the other one null in each row)."""
    numbers: list[float | None] = []
    texts: list[str | None] = []
    for offset, cell in enumerate(cells):
        if cell is None:
            numbers.append(None)
            texts.append("")
        elif isinstance(cell, bool):
            numbers.append(1.0 if cell else 0.0)
            texts.append(None)
        elif isinstance(cell, (int, float)):
            numbers.append(float(cell))
            texts.append(None)
        elif isinstance(cell, str):
            numbers.append(None)
            texts.append(cell)
        elif isinstance(cell, (dt.date, dt.datetime, dt.time)):
            raise ParseError(
                f"a date ({cell}) where a number is expected",
                path=path,
                line=first_row + offset,
                column=where,
            )
        else:
            numbers.append(None)
            texts.append(str(cell))
    return pa.array(numbers, pa.float64()), pa.array(texts, pa.string())


def _first_bad(mask: pa.Array) -> int:
    return int(pc.index(mask, True).as_py())


def _parse_column(
    cells: Sequence[Cell],
    column: ColumnSpec,
    spec: SurveySpec,
    *,
    header: str,
    path: Path,
    rows: Sequence[int],
) -> tuple[pa.Array, pa.Array]:
    """Values (float64) and statuses (string) of one value column, parsed with Arrow compute."""
    numbers, raw_texts = _split_cells(cells, header, path, rows[0] if rows else 0)
    texts = pc.utf8_trim_whitespace(raw_texts)
    is_text = pc.is_valid(texts)
    blank = pc.and_(is_text, pc.equal(texts, ""))
    symbol = pc.and_(is_text, pc.is_in(texts, pa.array(STATUS_SYMBOLS, pa.string())))
    lowered = pc.utf8_lower(texts)
    cleaned = pc.replace_substring_regex(texts, "[\\s\u00a0\u202f]", "")
    cleaned = pc.replace_substring(cleaned, "−", "-")
    if spec.layout.decimal == ",":
        has_comma = pc.match_substring(cleaned, ",")
        cleaned = pc.if_else(
            has_comma, pc.replace_substring(pc.replace_substring(cleaned, ".", ""), ",", "."), cleaned
        )
    numeric = pc.match_substring_regex(cleaned, _NUMBER)
    as_number = pc.cast(pc.if_else(numeric, cleaned, pa.scalar(None, pa.string())), pa.float64())
    if column.kind == "yes_no":
        # Ja/Nei become 1/0; a number is kept as written, so that the checks can flag a 2.
        yes = pc.is_in(lowered, pa.array(_YES, pa.string()))
        no = pc.is_in(lowered, pa.array(_NO, pa.string()))
        parsed_text = pc.if_else(yes, 1.0, pc.if_else(no, 0.0, as_number))
        understood = pc.or_(pc.or_(yes, no), numeric)
        expected = "Ja or Nei (also J/N, 1/0 or x)"
    else:
        parsed_text = as_number
        understood = numeric
        expected = f"a number (decimal mark {spec.layout.decimal!r})"
    bad = pc.fill_null(pc.and_(is_text, pc.invert(pc.or_(pc.or_(blank, symbol), understood))), False)
    if pc.any(bad).as_py():
        index = _first_bad(bad)
        count = pc.sum(bad.cast(pa.int64())).as_py()
        raise ParseError(
            f"{raw_texts[index].as_py()!r} is not {expected}"
            + (f" ({count} such cells in this column)" if count > 1 else ""),
            path=path,
            line=rows[index],
            column=header,
        )
    values = pc.if_else(is_text, parsed_text, numbers)
    if column.factor != 1.0:
        values = pc.multiply(values, column.factor)
    # Status: the symbol written in the cell; an empty cell is ".." unless blanks mean zero.
    null_string = pa.scalar(None, pa.string())
    status = pc.if_else(symbol, texts, null_string)
    if spec.layout.blank == "zero":
        values = pc.if_else(blank, 0.0, values)
    else:
        status = pc.if_else(blank, Status.NOT_AVAILABLE.value, status)
    dash = pc.fill_null(pc.equal(status, Status.NOTHING_TO_REPORT.value), False)
    values = pc.if_else(dash, 0.0, values)
    return values, status


def _is_sum_label(text: str) -> bool:
    """A row label such as "I alt", "Innlandet i alt", "Sum" or "Hele landet" (a sum row, not an area)."""
    return bool(text) and _SUM_LABEL.search(normalise_header(text)) is not None


def _region_codes(cells: Sequence[Cell]) -> list[str | None]:
    """Area codes as written: numbers lose their leading zero in spreadsheets, so it is put back."""
    codes: list[str | None] = []
    for cell in cells:
        text = _text(cell)
        if not text:
            codes.append(None)
            continue
        match = _CODE.match(text)
        if match:
            digits = match.group(1)
            width = 4 if len(digits) <= 4 else 6
            codes.append(digits.zfill(width))
        else:
            codes.append(text)
    return codes


# -------------------------------------------------------------------------------------------------
# Putting it together
# -------------------------------------------------------------------------------------------------


def _resolve_spec(spec: SurveySpec | str | Path | None, year: int | None) -> SurveySpec | None:
    if isinstance(spec, SurveySpec):
        return spec
    if spec is not None:
        return SurveySpec.from_toml(spec)
    if year is not None:
        return SurveySpec.for_year(year)
    return None


_Grids = dict[tuple[Any, ...], _Sheet]


def _grid_of(
    path: Path, spec: SurveySpec, sheet: str | None, grids: _Grids, limits: WorkbookLimits | None = None
) -> _Sheet:
    """The grid of ``path`` read the way ``spec`` says, read once per layout."""
    key = (spec.layout.sheet, spec.layout.delimiter, spec.layout.encoding, tuple(spec.region.code), sheet)
    if key not in grids:
        grids[key] = _grid(path, spec, sheet, limits)
    return grids[key]


def _guess_spec(path: Path, sheet: str | None, grids: _Grids, limits: WorkbookLimits | None) -> SurveySpec:
    """The shipped spec of the year the file names (title or file name), else the one that fits."""
    named = _year_in([path.stem])
    years = shipped_years()
    ordered = ([named] if named in years else []) + [y for y in reversed(years) if y != named]
    fits: list[tuple[int, SurveySpec, int | None]] = []
    unreadable: ParseError | None = None
    for year in ordered:
        spec = SurveySpec.for_year(year)
        try:
            grid = _grid_of(path, spec, sheet, grids, limits).grid
        except ParseError as exc:  # e.g. another year's layout; if no year's fits, this is the reason
            unreadable = unreadable or exc
            continue
        try:
            start, paths, leaves, _ = _find_header(grid, spec, path.suffix.lower() == ".csv", path)
        except ParseError:
            continue
        required = [c for c in spec.columns if c.required]
        if all(match_headers(c.header, paths, leaves)[0] is not None for c in required):
            title_year = _title_year(grid, start)
            if title_year == year or (title_year is None and named == year):
                return spec
            fits.append((year, spec, title_year))
    if len(fits) == 1 and fits[0][2] is None:
        return fits[0][1]
    said = _year_in([path.stem])
    if fits:
        raise ParseError(
            f"the headers fit the specs of {sorted(y for y, _, _ in fits)} and the file does not say which "
            f"year it is{f' (it says {said})' if said else ''}; give ",
            Parameter(name="year", example=str(max(y for y, _, _ in fits))),
            " (or put the year in the file name, e.g. is248-2023.xlsx)",
            path=path,
        )
    if unreadable is not None:
        raise unreadable
    raise ParseError(
        f"the headers fit none of the shipped specs ({', '.join(map(str, years))}); give ",
        Parameter(name="year"),
        " to see which columns are missing, or ",
        Parameter(name="spec", example="'your-spec.toml'"),
        path=path,
    )


def read_survey(
    path: str | Path,
    *,
    year: int | None = None,
    spec: SurveySpec | str | Path | None = None,
    sheet: str | None = None,
    ignore_title: bool = False,
    uncached_formulas: Literal["error", "warn"] = "error",
    limits: WorkbookLimits | None = None,
) -> StatTable:
    """Read one survey file (CSV or XLSX) into a StatTable, one row per municipality and variable.

    :param path: the file.
    :param year: the survey year; picks the shipped spec (default: the year the file's title or name
        gives, else the one shipped spec whose headers fit).
    :param spec: a :class:`~samhandling_survey.spec.SurveySpec` or the path of a spec TOML file.
    :param sheet: the XLSX sheet (default: the spec's ``layout.sheet``, else the only/fitting sheet).
    :param ignore_title: read even when the title rows name another year than the spec's (by default
        that is an error, because the headers of two years are often the same).
    :param uncached_formulas: what to do with a formula cell that has no saved value (a workbook
        written by a program and never opened in Excel): ``"error"`` (default) names the cell;
        ``"warn"`` reads it as not available (``..``) with a :class:`SamhandlingWarning`.
    :param limits: how large an XLSX file may unpack to (zip bombs are refused before parsing).
    :raises ParseError: naming the file, row and column of a cell that cannot be read, the headers
        the spec wants and the file lacks, a merged cell in the data (naming its range), a formula
        without a saved value (naming the cell), or a workbook that is too large or declares a DTD.
    """
    path = Path(path)
    grids: _Grids = {}
    if uncached_formulas not in ("error", "warn"):
        raise ParseError(f"uncached_formulas must be 'error' or 'warn', not {uncached_formulas!r}", path=path)
    chosen = _resolve_spec(spec, year) or _guess_spec(path, sheet, grids, limits)
    if year is not None and chosen.year != year:
        raise ParseError(f"year={year} but the spec {chosen.origin} is for {chosen.year}", path=path)
    read = _grid_of(path, chosen, sheet, grids, limits)
    grid = read.grid
    fill_right = path.suffix.lower() == ".csv"
    start, paths, leaves, shown = _find_header(grid, chosen, fill_right, path)
    title_year = _title_year(grid, start)
    if title_year is not None and title_year != chosen.year and not ignore_title:
        raise ParseError(
            f"the file's title says {title_year}, but it is being read with the spec of {chosen.year} "
            f"({chosen.origin}); give ",
            Parameter(name="year", example=str(title_year)),
            " or the right spec (or ",
            Parameter(name="ignore_title", example="True"),
            " if the title names another year on purpose)",
            path=path,
        )
    code_index, ambiguous = match_headers(chosen.region.code, paths, leaves)
    if code_index is None:
        raise ParseError(f"no municipality-code column {list(chosen.region.code)}", path=path)
    name_index = match_headers(chosen.region.name, paths, leaves)[0] if chosen.region.name else None
    found: list[tuple[ColumnSpec, int]] = []
    for column in chosen.columns:
        index, ambiguous = match_headers(column.header, paths, leaves)
        if index is None:
            if column.required or ambiguous:
                raise _missing_column_error(column, shown, ambiguous, path)
            log.info("%s: optional column %r is not in the file", path, column.header[0])
            continue
        found.append((column, index))
    used = {code_index, *(i for _, i in found), *([name_index] if name_index is not None else [])}
    ignored = [shown[i] for i in range(len(paths)) if i not in used and paths[i]]
    data_start = start + chosen.layout.header_rows
    body = grid[data_start:]
    file_rows = list(range(data_start + 1, data_start + 1 + len(body)))  # 1-based, as spreadsheets count
    value_indices = [i for _, i in found]
    keep: list[int] = []
    skipped: list[str] = []
    synthetic = False
    codes = _region_codes([row[code_index] for row in body])
    for offset, row in enumerate(body):
        has_values = any(_text(row[i]) for i in value_indices)
        extra = [c for i, c in enumerate(row) if i not in used and _text(c)]
        code = codes[offset]
        label = _text(row[code_index]) or (_text(row[name_index]) if name_index is not None else "")
        name = _text(row[name_index]) if name_index is not None else ""
        if _is_sum_label(label) or _is_sum_label(name):
            skipped.append(f"row {file_rows[offset]}: sum row {(name or label)[:60]!r}")
            continue
        if code is None:
            if has_values:
                raise ParseError(
                    "the row has values but no municipality code",
                    path=path,
                    line=file_rows[offset],
                    column=chosen.region.code[0],
                )
            if label or extra:
                note = label or _text(extra[0])
                synthetic = synthetic or note.startswith(SYNTHETIC_MARKER)
                skipped.append(f"row {file_rows[offset]}: note {note[:60]!r}")
            continue
        if not has_values and not _CODE.match(_text(row[code_index])):
            synthetic = synthetic or label.startswith(SYNTHETIC_MARKER)
            skipped.append(f"row {file_rows[offset]}: note {label[:60]!r}")
            continue
        keep.append(offset)
    if not keep:
        raise ParseError("no municipality rows below the header", path=path, line=data_start + 1)
    formula_notes = _refuse_hidden_cells(
        read,
        path,
        header_rows=range(start, data_start),
        data_rows={data_start + i for i in keep},
        columns={code_index, *value_indices},
        headers=shown,
        uncached_formulas=uncached_formulas,
    )
    rows = [file_rows[i] for i in keep]
    region = pa.array([codes[i] for i in keep], pa.string())
    level = pc.if_else(pc.equal(pc.utf8_length(region), 6), pa.scalar("district"), pa.scalar("municipality"))
    parsed: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[pa.Array, pa.Array]] = {}
    for column, index in found:
        cells = [body[i][index] for i in keep]
        parsed[column.key] = _parse_column(cells, column, chosen, header=shown[index], path=path, rows=rows)
    _add_derived(parsed)
    table = _long_table(parsed, region, level, chosen.year)
    variables = _variables_for(chosen, {key[0] for key in parsed})
    notes = []
    if skipped:
        notes.append(f"skipped {len(skipped)} row(s): " + "; ".join(skipped))
        log.info("%s: %s", path, notes[-1])
    if ignored:
        notes.append(f"columns not in the spec: {ignored}")
        log.info("%s: %s", path, notes[-1])
    notes += formula_notes
    provenance = Provenance.for_file(
        SOURCE_NAME,
        path,
        note=f"IS-24/8 {chosen.year}, spec {chosen.origin or chosen.year}"
        + (" (example file: synthetic numbers)" if synthetic else ""),
        synthetic=synthetic,
    )
    yes_no = [v.id for v in YES_NO_VARIABLES if any(key[0] == v.id for key in parsed)]
    yes_no += [c.variable for c, _ in found if c.kind == "yes_no" and c.variable not in yes_no]
    extra_meta: dict[str, Any] = {
        "survey_year": chosen.year,
        "spec": chosen.origin,
        "valid_range": {vid: [0, 1] for vid in yes_no},
        "check_options": {"missing-regions": {"expect_all": "counties"}},
    }
    if skipped:
        extra_meta["skipped_rows"] = skipped
    if ignored:
        extra_meta["ignored_columns"] = ignored
    if formula_notes:
        extra_meta["uncached_formulas"] = formula_notes
    meta = TableMeta(
        source=SOURCE_NAME,
        geography_year=chosen.year,
        variables=variables,
        provenance=(provenance,),
        title=chosen.title,
        extra=extra_meta,
    )
    try:
        return StatTable.from_arrow(table, meta=meta)
    except SchemaError as exc:
        raise ParseError(f"the values do not make a valid table: {exc}", path=path) from exc


def _refuse_hidden_cells(
    read: _Sheet,
    path: Path,
    *,
    header_rows: range,
    data_rows: set[int],
    columns: set[int],
    headers: Sequence[str],
    uncached_formulas: str,
) -> list[str]:
    """Merged cells in the data, and formulas without a saved value, where the reader takes values.

    A merged range is one value shown over several cells: read cell by cell, the value would count
    once per cell (FTEs counted twice).  A formula without a saved value has no number to read (openpyxl
    does not compute formulas).  Returns the notes of formulas read as not available (``"warn"``).
    """
    for first_row, last_row, first_column, last_column, reference in read.merged:
        rows = [r for r in range(first_row, last_row + 1) if r in data_rows]
        used = [c for c in range(first_column, last_column + 1) if c in columns]
        if rows and used:
            raise ParseError(
                f"cells {reference} are merged: a merged cell in the data would be read once per cell it "
                f"covers (its value counted {(last_row - first_row + 1) * (last_column - first_column + 1)} "
                f"times); unmerge them and give each cell its own value",
                path=path,
                line=rows[0] + 1,
                column=headers[used[0]] or reference,
            )
    notes = []
    for row, column, reference in read.uncached:
        in_data = row in data_rows and column in columns
        if not (in_data or row in header_rows):
            continue
        message = (
            f"cell {reference} holds a formula without a saved value (the workbook was written by a program "
            f"and never recalculated); open and save it in Excel or LibreOffice, or pass "
            f"uncached_formulas='warn' to read it as not available"
        )
        if uncached_formulas == "error":
            raise ParseError(
                message, path=path, line=row + 1, column=headers[column] if column < len(headers) else None
            )
        notes.append(f"cell {reference}: a formula without a saved value, read as not available")
        warnings.warn(SamhandlingWarning(f"{path}: {notes[-1]}"), stacklevel=4)
    return notes


_Key = tuple[str, tuple[tuple[str, str], ...]]


def _fte_key(profession: str, target_group: str = TOTAL) -> _Key:
    return ("fte", (("profession", profession), ("target_group", target_group)))


def _total_key(variable: str) -> _Key:
    return (variable, (("profession", TOTAL), ("target_group", TOTAL)))


def _add_derived(parsed: dict[_Key, tuple[pa.Array, pa.Array]]) -> None:
    """FTEs with higher education and the two competence shares, computed row by row of the file."""
    total = parsed.get(_fte_key(TOTAL))
    if total is None:
        return
    not_available = pa.scalar(Status.NOT_AVAILABLE.value, pa.string())
    cannot_occur = pa.scalar(Status.CANNOT_OCCUR.value, pa.string())
    null_status = pa.scalar(None, pa.string())
    higher_key = _total_key("fte_higher_education")
    parts = [parsed.get(_fte_key(p)) for p in HIGHER_EDUCATION_PROFESSIONS]
    if higher_key not in parsed and all(p is not None for p in parts):
        summed = parts[0][0]  # type: ignore[index]
        for part in parts[1:]:
            summed = pc.add(summed, part[0])  # type: ignore[index]
        parsed[higher_key] = (summed, pc.if_else(pc.is_null(summed), not_available, null_status))
    for share_id, numerator_id in (
        ("fte_share_higher_education", "fte_higher_education"),
        ("fte_share_relevant_further_education", "fte_relevant_further_education"),
    ):
        numerator = parsed.get(_total_key(numerator_id))
        if numerator is None:
            continue
        zero_total = pc.fill_null(pc.equal(total[0], 0.0), False)
        share = pc.multiply(pc.divide(numerator[0], pc.if_else(zero_total, 1.0, total[0])), 100.0)
        share = pc.if_else(zero_total, pa.scalar(None, pa.float64()), share)
        status = pc.if_else(
            zero_total, cannot_occur, pc.if_else(pc.is_null(share), not_available, null_status)
        )
        parsed[_total_key(share_id)] = (share, status)


def _long_table(
    parsed: dict[_Key, tuple[pa.Array, pa.Array]], region: pa.Array, level: pa.Array, year: int
) -> pa.Table:
    dimensions = sorted({name for _, dims in parsed for name, _ in dims})
    blocks = []
    n = len(region)
    for (variable, dims), (values, status) in parsed.items():
        given = dict(dims)
        columns: dict[str, pa.Array] = {
            "region": region,
            "level": level,
            "year": pa.array([year] * n, pa.int16()),
        }
        for name in dimensions:
            columns[name] = pa.array([given.get(name)] * n, pa.string())
        columns["variable"] = pa.array([variable] * n, pa.string())
        columns["value"] = values
        columns["status"] = status
        blocks.append(pa.table(columns))
    return pa.concat_tables(blocks)


def _variables_for(spec: SurveySpec, ids: set[str]) -> list[Variable]:
    catalogue = {v.id: v for v in SURVEY_VARIABLES}
    catalogue.update({v.id: v for v in spec.variables})
    unknown = sorted(ids - set(catalogue))
    if unknown:
        raise ParseError(
            f"the spec {spec.origin} maps columns to variable(s) {unknown} that are neither survey variables "
            f"({', '.join(sorted(v.id for v in SURVEY_VARIABLES))}) nor declared under [variables.<id>]"
        )
    return [catalogue[i] for i in sorted(ids)]


def read_survey_series(
    paths: Iterable[str | Path],
    *,
    to_year: int | None = None,
    specs: dict[int, SurveySpec | str | Path] | None = None,
) -> StatTable:
    """Read several survey years into one time series with the same variable ids.

    Each file is read with the spec of its year.  Without ``to_year`` every year keeps the area codes
    it was reported with (the table's geography year is empty, and checks look up each row's own
    year); with ``to_year`` each year is harmonised onto that year's municipality map first.

    :param paths: the files, in any order (folders are read file by file).
    :param to_year: harmonise every year to this year's codes (needs ``samhandling.geography``).
    :param specs: a spec per survey year for files whose layout differs from the shipped one; a file
        is read with the spec of the year its name gives, else with the first of them that fits it.
    """
    files: list[Path] = []
    for entry in paths:
        entry = Path(entry)
        if entry.is_dir():
            files += sorted(p for p in entry.iterdir() if p.suffix.lower() in SUFFIXES and sniff_survey(p))
        else:
            files.append(entry)
    if not files:
        raise ParseError("no survey files to read")
    tables = [_read_with(file, specs or {}) for file in files]
    seen: dict[int, Path] = {}
    for file, table in zip(files, tables, strict=True):
        for year in table.years():
            if year in seen:
                raise ParseError(
                    f"survey year {year} is read twice, from {seen[year].name} and {file.name}", path=file
                )
            seen[year] = file
    if to_year is not None:
        from samhandling.geography import harmonise

        tables = [harmonise(t, to_year) for t in tables]
        return StatTable.concat(tables)
    loose = [_with_meta(t, attrs.evolve(t.meta, geography_year=None)) for t in tables]
    series = StatTable.concat(loose)
    extra = {**series.meta.extra, "survey_years": sorted(seen)}
    extra.pop("survey_year", None)
    return _with_meta(series, attrs.evolve(series.meta, extra=extra))


def _read_with(path: Path, specs: dict[int, SurveySpec | str | Path]) -> StatTable:
    """Read with the given spec of the file's year (from its name), else the first given spec that
    fits, else the shipped spec of its year."""
    year = _year_in([path.stem])
    if year is not None and year in specs:
        return read_survey(path, spec=specs[year])
    for spec in specs.values():
        try:
            return read_survey(path, spec=spec)
        except ParseError:
            continue
    return read_survey(path)


def _with_meta(table: StatTable, meta: TableMeta) -> StatTable:
    """The same validated rows with other metadata (no second validation pass)."""
    return StatTable(table.arrow.replace_schema_metadata({METADATA_KEY: meta.to_json()}), meta)


def sniff_survey(path: str | Path) -> bool:
    """Cheap test: a CSV/XLSX file whose first rows hold a municipality-code header and 'årsverk'."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in SUFFIXES:
        return False
    code_headers = {
        normalise_header(h) for year in shipped_years() for h in SurveySpec.for_year(year).region.code
    }
    cells: list[str] = []
    try:
        if path.suffix.lower() == ".csv":
            with path.open("rb") as handle:
                head = handle.read(16384)
            text = head.decode("utf-8", errors="replace") if head.startswith(b"\xef\xbb\xbf") else None
            if text is None:
                try:
                    text = head.decode("utf-8")
                except UnicodeDecodeError:
                    text = head.decode("cp1252", errors="replace")
            for line in text.splitlines()[:_HEADER_SEARCH_ROWS]:
                cells += re.split(r"[;,\t]", line)
        else:
            import openpyxl

            check_workbook(path)  # a zip bomb or a DTD is no survey file (read_survey says why)
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                for name in workbook.sheetnames:
                    for row in workbook[name].iter_rows(max_row=_HEADER_SEARCH_ROWS, values_only=True):
                        cells += [c for c in row if isinstance(c, str)]
            finally:
                workbook.close()
    except Exception:  # a damaged or foreign file is simply not a survey file
        return False
    normalised = [normalise_header(c.strip().strip('"')) for c in cells if c and c.strip()]
    return any(c in code_headers for c in normalised) and any("årsverk" in c for c in normalised)
