"""Excel (xlsx): the workbook analysts pass on, laid out as SSB's statbank downloads are.

Two layouts:

``layout="wide"`` (default)
    one sheet per variable; a row per region (and dimension value), a column per year (or month,
    quarter, week or school year: ``2024M01``, ``2024K1``, ``2014U30``, ``2022-2023`` as SSB writes
    them).  The sheet's first row names the variable; every year column has
    the unit in its header, e.g. ``2024 (årsverk)``.
``layout="long"``
    one sheet ``data`` with a row per observation and the unit in a column ``enhet``.

A cell with a status shows SSB's symbol instead of a number (``..`` not available, ``:`` suppressed,
``-`` nothing to report, ``...`` not yet published, ``.`` cannot occur), right-aligned like the numbers,
and the symbols are explained in the last sheet, ``kilder``, which also lists the variables (unit,
additivity, how rates are computed) and the provenance of the data.  Numbers are real numbers with a
number format showing the decimals the values need, so Excel can compute with them.

Needs the ``xlsx`` extra (``pip install 'samhandling[xlsx]'``, which installs openpyxl); the exporter is
always registered and says so when openpyxl is missing.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from samhandling import atomic
from samhandling.errors import ExportError
from samhandling.exporters._labels import region_names
from samhandling.exporters.formulas import FORMULA_TRIGGERS, is_formula_like
from samhandling.exporters.jsonstat import DIMENSION_LABELS, _decimals
from samhandling.hookspecs import hookimpl
from samhandling.levels import LEVEL_ORDER
from samhandling.periods import PeriodKind
from samhandling.periods import period_labels as _period_labels
from samhandling.registry import Registrar
from samhandling.tables import StatTable, Status

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["MAX_ROWS", "SOURCES_SHEET", "XlsxExporter", "sheet_name", "unit_label"]

#: Rows an Excel sheet can hold.
MAX_ROWS = 1_048_576
#: Name of the sheet with variables, provenance and the explanation of the symbols.
SOURCES_SHEET = "kilder"
_HEADER_ROWS = 2  # title, column headers
_INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\]")
_LEVEL_RANK = {level.value: rank for rank, level in enumerate(LEVEL_ORDER)}
_NO_VALUE = "\x00"


def sheet_name(text: str, taken: Sequence[str] = ()) -> str:
    """A valid Excel sheet name from ``text``: at most 31 characters, none of ``[]:*?/\\``, unique.

    Excel compares sheet names without regard to case, so ``taken`` is compared the same way.
    """
    name = _INVALID_SHEET_CHARACTERS.sub("_", text).strip("'") or "ark"
    name = name[:31]
    lowered = {t.lower() for t in taken}
    candidate, number = name, 1
    while candidate.lower() in lowered:
        number += 1
        suffix = f" ({number})"
        candidate = name[: 31 - len(suffix)] + suffix
    return candidate


_UNIT_WORDS = {
    "ten_thousand_inhabitants": "10 000 innbyggere",
    "percent": "prosent",
    "dimensionless": "antall",
    "count": "antall",
    "arsverk": "årsverk",
    "million_NOK": "mill. kr",
    "thousand_NOK": "1000 kr",
    "NOK": "kr",
}


def unit_label(unit: str) -> str:
    """A unit as a reader of the sheet says it: ``"årsverk / ten_thousand_inhabitants"`` →
    ``"årsverk per 10 000 innbyggere"``.  The exact pint string is in the sources sheet."""
    words = [_UNIT_WORDS.get(word, word) for word in re.split(r"(\W+)", unit.strip())]
    text = "".join(words).replace(" / ", " per ").replace("/", " per ")
    return re.sub(r"\s+", " ", text).strip() or "antall"


def _number_format(values: np.ndarray) -> str:
    """An Excel number format with thousands separators and the decimals the values need."""
    decimals = _decimals(values)
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.cast(pa.string())


def _cell_values(table: pa.Table) -> np.ndarray:
    """What each row shows: its number, or its status symbol (``-`` too, as SSB prints it)."""
    shown = np.empty(table.num_rows, dtype=object)
    shown[:] = table.column("value").to_pylist()  # None where empty (a StatTable holds no NaN)
    status = _text(table.column("status"))
    has_status = status.is_valid().to_numpy(zero_copy_only=False)
    if has_status.any():
        symbols = np.empty(int(has_status.sum()), dtype=object)
        symbols[:] = status.drop_null().to_pylist()
        shown[has_status] = symbols
    return shown


def _sort_keys(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Rows ordered as SSB orders them: the country first, then counties …, codes ascending."""
    rank = pc.index_in(_text(table.column("level")), value_set=pa.array(list(_LEVEL_RANK), pa.string()))
    columns = {"__rank": rank}
    for key in keys:
        column = table.column(key)
        columns[key] = _text(column) if pa.types.is_dictionary(column.type) else column
    order = pc.sort_indices(
        pa.table(columns),
        sort_keys=[("__rank", "ascending", "at_end"), *((k, "ascending", "at_end") for k in keys)],
    )
    return table.take(order)


def _header_labels(names: Sequence[str], *, with_region_name: bool) -> list[str]:
    labels = []
    for name in names:
        labels.append(DIMENSION_LABELS.get(name, name))
        if name == "region" and with_region_name:
            labels.append("navn")
    return labels


@typing.final
class XlsxExporter:
    """Write a StatTable to an Excel workbook: a sheet per variable (or one long sheet), and sources."""

    name = "xlsx"
    description = "Excel workbook: a sheet per variable or one long sheet, SSB's symbols, a sheet of sources"
    suffixes = (".xlsx",)

    def unavailable(self) -> str | None:
        """What this environment lacks for writing workbooks (openpyxl), or ``None``."""
        if importlib.util.find_spec("openpyxl") is None:
            return "needs openpyxl: pip install 'samhandling[xlsx]'"
        return None

    def write(
        self,
        table: StatTable,
        destination: str | Path,
        *,
        layout: typing.Literal["wide", "long"] = "wide",
        region_labels: Mapping[str, str] | bool = True,
        title: str | None = None,
        neutralise_formulas: bool = True,
    ) -> Path:
        """Write the workbook.

        :param layout: ``"wide"`` (a sheet per variable, a column per year) or ``"long"`` (one sheet).
        :param region_labels: names for region codes in a column ``navn``; ``True`` (default) takes them
            from the embedded geography of the table's year, ``False`` leaves the column out.
        :param title: shown in the sources sheet; default the table's title or source.
        :param neutralise_formulas: write text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
            carriage return as a text cell marked "quote prefix", so that Excel shows it and never runs
            it (default).  Turn off only for data you trust; numbers are always numbers.
        :raises ExportError: openpyxl is missing, the layout is unknown, a sheet would exceed Excel's
            1,048,576 rows, or two rows describe the same cell of a wide sheet.
        """
        try:
            from openpyxl import Workbook
        except ImportError as exc:
            raise ExportError("the Excel exporter needs openpyxl: pip install 'samhandling[xlsx]'") from exc
        if layout not in ("wide", "long"):
            raise ExportError(f"layout must be 'wide' or 'long', not {layout!r}")
        if region_labels is True:
            names = region_names(
                _text(table.arrow.column("region")).unique().to_pylist(), table.geography_year
            )
        elif region_labels is False:
            names = {}
        else:
            names = dict(region_labels)
        workbook = Workbook(write_only=True)
        if layout == "wide":
            taken: list[str] = [SOURCES_SHEET]
            for variable_id in table.variable_ids():
                subset = table.arrow.filter(pc.equal(_text(table.arrow.column("variable")), variable_id))
                sheet = workbook.create_sheet(sheet_name(variable_id, taken))
                taken.append(sheet.title)
                self._wide_sheet(sheet, table, variable_id, subset, names, neutralise_formulas)
        else:
            self._long_sheet(workbook.create_sheet("data"), table, names, neutralise_formulas)
        self._sources_sheet(workbook.create_sheet(SOURCES_SHEET), table, title, neutralise_formulas)
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic.atomic_path(path) as temporary:
            workbook.save(temporary)
        return path

    # -- sheets -----------------------------------------------------------------------------------
    @staticmethod
    def _check_size(rows: int, sheet: str, *, long: bool) -> None:
        if rows + _HEADER_ROWS > MAX_ROWS:
            hint = "use layout='wide', " if long else ""
            raise ExportError(
                f"sheet {sheet!r} would have {rows + _HEADER_ROWS} rows, more than Excel's {MAX_ROWS}; "
                f"filter the table, {hint}or export Parquet or CSV instead"
            )

    def _wide_sheet(
        self,
        sheet: WriteOnlyWorksheet,
        table: StatTable,
        variable_id: str,
        subset: pa.Table,
        names: Mapping[str, str],
        neutralise: bool,
    ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font

        keys = ["region", "level", *table.dimensions]
        periods = ["year", table.sub_year] if table.sub_year else ["year"]
        ordered = _sort_keys(subset, [*keys, *periods])
        # a row of the sheet starts wherever one of the key columns changes (nulls compare as a value)
        changed = np.zeros(ordered.num_rows, dtype=bool)
        if ordered.num_rows:
            changed[0] = True
        for key in keys:
            text = pc.fill_null(_text(ordered.column(key)), _NO_VALUE).to_numpy(zero_copy_only=False)
            changed[1:] |= text[1:] != text[:-1]
        row_of = np.cumsum(changed) - 1
        starts = np.flatnonzero(changed)
        period_text = _period_labels(
            ordered.column("year"),
            ordered.column(table.sub_year) if table.sub_year else None,
            kind=table.period,
        ).combine_chunks()
        # columns in time order ("2024M01", "2024K1", "2014U05" sort as text), whichever region comes first
        periods_sorted = pc.unique(period_text).sort()
        period_labels = [str(p) for p in periods_sorted.to_pylist()]
        column_of = pc.index_in(period_text, value_set=periods_sorted).to_numpy(zero_copy_only=False)
        self._check_size(len(starts), sheet.title, long=False)
        grid = np.full((len(starts), len(period_labels)), None, dtype=object)
        duplicate = np.zeros(len(row_of), dtype=bool)
        flat = row_of * len(period_labels) + column_of
        order = np.argsort(flat, kind="stable")
        duplicate[order[1:]] = flat[order[1:]] == flat[order[:-1]]
        if duplicate.any():
            first = int(np.flatnonzero(duplicate)[0])
            where = ", ".join(f"{k}={ordered.column(k)[first].as_py()!r}" for k in [*keys, *periods])
            raise ExportError(
                f"variable {variable_id!r}: two rows describe the same cell ({where}); a sheet holds one "
                f"value per region and year — aggregate the duplicates or use layout='long'"
            )
        grid[row_of, column_of] = _cell_values(ordered)

        variable = table.variable(variable_id)
        shown_unit = unit_label(variable.unit)
        values = ordered.column("value").to_numpy(zero_copy_only=False)
        number_format = _number_format(values.astype(float))
        key_labels = _header_labels(keys, with_region_name=bool(names))
        # views and column widths are written with the first row, so they are set first
        sheet.freeze_panes = f"{_column_letter(len(key_labels))}{_HEADER_ROWS + 1}"
        for position in range(len(key_labels)):
            _dimensions(sheet)[_column_letter(position)].width = 14
        for position, label in enumerate(period_labels):
            _dimensions(sheet)[_column_letter(len(key_labels) + position)].width = max(
                12, len(label) + len(shown_unit) + 4
            )
        title = WriteOnlyCell(sheet, value=f"{variable.label or variable_id} ({shown_unit})")
        title.font = Font(bold=True, size=12)
        _append(sheet, neutralise, [title])
        bold = Font(bold=True)
        right = Alignment(horizontal="right")
        header = []
        for label in [*key_labels, *(f"{p} ({shown_unit})" for p in period_labels)]:
            cell = WriteOnlyCell(sheet, value=label)
            cell.font = bold
            header.append(cell)
        _append(sheet, neutralise, header)
        first_rows = pa.array(starts, pa.int64())
        key_values = [
            (column if pa.types.is_integer(column.type) else _text(column)).take(first_rows).to_pylist()
            for column in (ordered.column(k) for k in keys)
        ]
        sheet.freeze_panes = f"{_column_letter(len(key_labels))}{_HEADER_ROWS + 1}"
        for row in range(len(starts)):
            line: list[Any] = []
            for position, key in enumerate(keys):
                line.append(key_values[position][row])
                if key == "region" and names:
                    line.append(names.get(key_values[position][row], ""))
            for shown in grid[row]:
                cell = WriteOnlyCell(sheet, value=shown)
                if isinstance(shown, str):
                    cell.alignment = right
                elif shown is not None:
                    cell.number_format = number_format
                line.append(cell)
            _append(sheet, neutralise, line)

    def _long_sheet(
        self, sheet: WriteOnlyWorksheet, table: StatTable, names: Mapping[str, str], neutralise: bool
    ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font

        self._check_size(table.num_rows, sheet.title, long=True)
        periods = ["year", table.sub_year] if table.sub_year else ["year"]
        keys = ["region", "level", *periods, *table.dimensions, "variable"]
        ordered = _sort_keys(table.arrow, keys)
        variables = table.variable_ids()
        formats = {}
        units = {}
        variable_text = _text(ordered.column("variable"))
        for variable_id in variables:
            mask = pc.equal(variable_text, variable_id)
            values = ordered.column("value").filter(mask).to_numpy(zero_copy_only=False)
            formats[variable_id] = _number_format(values.astype(float))
            units[variable_id] = unit_label(table.unit_of(variable_id))
        sheet.freeze_panes = f"A{_HEADER_ROWS + 1}"
        title = WriteOnlyCell(sheet, value=table.meta.title or table.meta.source or "samhandling")
        title.font = Font(bold=True, size=12)
        _append(sheet, neutralise, [title])
        bold = Font(bold=True)
        right = Alignment(horizontal="right")
        labels = [*_header_labels(keys, with_region_name=bool(names)), "enhet", "verdi"]
        header = []
        for label in labels:
            cell = WriteOnlyCell(sheet, value=label)
            cell.font = bold
            header.append(cell)
        _append(sheet, neutralise, header)
        columns = [_text(ordered.column(k)).to_pylist() for k in keys]
        integer_columns = {k for k in keys if pa.types.is_integer(ordered.column(k).type)}
        for position, key in enumerate(keys):
            if key in integer_columns:
                columns[position] = ordered.column(key).to_pylist()
        if table.period is PeriodKind.SCHOOL_YEAR:  # "2022-2023", not the year the school year starts
            columns[keys.index("year")] = _period_labels(
                ordered.column("year"), kind=table.period
            ).to_pylist()
        shown = _cell_values(ordered)
        variable_column = keys.index("variable")
        for row in range(ordered.num_rows):
            line: list[Any] = []
            for position, key in enumerate(keys):
                line.append(columns[position][row])
                if key == "region" and names:
                    line.append(names.get(columns[position][row], ""))
            variable_id = columns[variable_column][row]
            line.append(units[variable_id])
            cell = WriteOnlyCell(sheet, value=shown[row])
            if isinstance(shown[row], str):
                cell.alignment = right
            else:
                cell.number_format = formats[variable_id]
            line.append(cell)
            _append(sheet, neutralise, line)

    @staticmethod
    def _sources_sheet(
        sheet: WriteOnlyWorksheet, table: StatTable, title: str | None, neutralise: bool
    ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        bold = Font(bold=True)

        def heading(text: str, size: int = 11) -> None:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = Font(bold=True, size=size)
            _append(sheet, neutralise, [cell])

        def header(*labels: str) -> None:
            cells = []
            for label in labels:
                cell = WriteOnlyCell(sheet, value=label)
                cell.font = bold
                cells.append(cell)
            _append(sheet, neutralise, cells)

        for letter, width in zip("ABCDEFGH", (28, 40, 30, 22, 24, 14, 10, 40), strict=True):
            _dimensions(sheet)[letter].width = width
        meta = table.meta
        heading(title or meta.title or meta.source or "samhandling", size=12)
        _append(sheet, neutralise, ["Kilde", meta.source or ""])
        _append(sheet, neutralise, ["Geografi (kommuneinndeling)", meta.geography_year])
        _append(sheet, neutralise, ["Skrevet", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")])
        _append(sheet, neutralise, [])
        heading("Variabler")
        header("variabel", "navn", "enhet", "additiv", "teller", "nevner", "skala", "beskrivelse")
        for variable_id in table.variable_ids():
            variable = table.variable(variable_id)
            _append(
                sheet,
                neutralise,
                [
                    variable.id,
                    variable.label,
                    variable.unit,
                    "ja" if variable.additive else "nei",
                    variable.numerator or "",
                    variable.denominator or "",
                    variable.scale if variable.is_ratio else None,
                    variable.description,
                ],
            )
        _append(sheet, neutralise, [])
        heading("Datagrunnlag")
        header("kilde", "fil eller adresse", "sjekksum", "hentet", "merknad")
        for provenance in meta.provenance:
            _append(
                sheet,
                neutralise,
                [
                    provenance.source,
                    provenance.location,
                    provenance.checksum or "",
                    provenance.retrieved,
                    provenance.note,
                ],
            )
        if not meta.provenance:
            _append(sheet, neutralise, ["(ikke oppgitt)"])
        _append(sheet, neutralise, [])
        heading("Tegnforklaring")
        header("symbol", "betydning")
        for status in Status:
            _append(sheet, neutralise, [status.value, status.label])


def _append(sheet: WriteOnlyWorksheet, neutralise: bool, row: list[Any]) -> None:
    """Append a row; with ``neutralise``, text a spreadsheet would run is written as quoted text."""
    if neutralise:
        for index, value in enumerate(row):
            text = value if isinstance(value, str) else getattr(value, "value", None)
            if isinstance(text, str) and text[:1] in FORMULA_TRIGGERS and is_formula_like(text):
                row[index] = _quoted(sheet, value, text)
    sheet.append(row)


def _quoted(sheet: WriteOnlyWorksheet, value: Any, text: str) -> Any:
    """A text cell marked "quote prefix" (openpyxl would write a text starting with ``=`` as a live
    formula, and Excel would run a text starting with ``+``, ``-`` or ``@`` once the cell is edited)."""
    from openpyxl.cell import Cell, WriteOnlyCell

    cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _dimensions(sheet: WriteOnlyWorksheet) -> Any:
    """The column widths of a sheet (set before the first row: write-only sheets write them first)."""
    return typing.cast(Any, sheet).column_dimensions


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(position + 1))


@hookimpl
def samhandling_register_exporters(register: Registrar) -> None:
    """Register the Excel exporter (it needs openpyxl only when it writes)."""
    register(XlsxExporter())
