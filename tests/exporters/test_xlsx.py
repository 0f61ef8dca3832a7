"""Excel: a sheet per variable or one long sheet, units in headers, SSB's symbols, a sheet of sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from samhandling import StatTable, Variable
from samhandling.errors import ExportError
from samhandling.exporters import export, exporter_for
from samhandling.exporters.xlsx import SOURCES_SHEET, sheet_name, unit_label


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _labels(table: StatTable) -> dict[str, str]:
    return {"0": "Hele landet", "33": "Buskerud", "3301": "Drammen", "3305": "Ringerike", "0301": "Oslo"}


def test_wide_layout_one_sheet_per_variable(table: StatTable, tmp_path: Path) -> None:
    path = export(table, tmp_path / "fte.xlsx", region_labels=_labels(table))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["fte", "users", "fte_per_10000", SOURCES_SHEET]
    rows = _rows(book["fte"])
    assert rows[0][0] == "Årsverk (årsverk)"
    assert rows[1] == ("region", "navn", "nivå", "yrke", "2023 (årsverk)", "2024 (årsverk)")
    assert rows[2:] == [
        ("0301", "Oslo", "municipality", "nurse_specialised", 1234.75, 1234.75),
        ("0301", "Oslo", "municipality", "psychologist", 310, 310),
        ("3301", "Drammen", "municipality", "nurse_specialised", 12.5, 13.5),
        ("3301", "Drammen", "municipality", "psychologist", 3.2, 3.2),
        ("3305", "Ringerike", "municipality", "nurse_specialised", "-", "-"),
        ("3305", "Ringerike", "municipality", "psychologist", ":", ":"),
    ]
    users = _rows(book["users"])
    # the country first, then the county, then municipalities, as SSB orders regions
    assert [row[0] for row in users[2:]] == ["0", "33", "3301", "3305"]
    assert users[5][4:] == ("..", "..")
    assert book["fte"].freeze_panes == "E3"


def test_numbers_are_numbers_with_a_format_and_symbols_are_right_aligned(
    table: StatTable, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(export(table, tmp_path / "fte.xlsx", region_labels=False))
    sheet = book["fte"]
    header = [cell.value for cell in sheet[2]]
    assert header[:3] == ["region", "nivå", "yrke"]
    number = sheet["D3"]
    assert number.value == 1234.75
    assert number.data_type == "n"
    assert number.number_format == "#,##0.00"
    symbol = sheet["D8"]
    assert symbol.value == ":"
    assert symbol.alignment.horizontal == "right"
    assert book["users"]["D3"].number_format == "#,##0"
    assert book["fte_per_10000"]["E2"].value == "2024 (årsverk per 10 000 innbyggere)"
    assert book["fte_per_10000"]["E3"].number_format == "#,##0.000"


def test_long_layout(table: StatTable, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(export(table, tmp_path / "fte.xlsx", layout="long", region_labels=False))
    assert book.sheetnames == ["data", SOURCES_SHEET]
    rows = _rows(book["data"])
    assert rows[0][0] == "Årsverk i kommunalt psykisk helse- og rusarbeid"
    assert rows[1] == ("region", "nivå", "år", "yrke", "statistikkvariabel", "enhet", "verdi")
    assert rows[2] == ("0", "national", 2023, None, "users", "bruker", 152345)
    assert len(rows) == 2 + table.num_rows
    assert ("3305", "municipality", 2024, "psychologist", "fte", "årsverk", ":") in rows
    assert (
        "3301",
        "municipality",
        2024,
        None,
        "fte_per_10000",
        "årsverk per 10 000 innbyggere",
        17.336,
    ) in rows


def test_sources_sheet(table: StatTable, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(export(table, tmp_path / "fte.xlsx"))
    rows = _rows(book[SOURCES_SHEET])
    texts = [row[0] for row in rows]
    assert rows[0][0] == "Årsverk i kommunalt psykisk helse- og rusarbeid"
    assert rows[2][:2] == ("Geografi (kommuneinndeling)", 2024)
    variables = texts.index("Variabler")
    assert rows[variables + 1][:7] == ("variabel", "navn", "enhet", "additiv", "teller", "nevner", "skala")
    assert rows[variables + 4][:7] == (
        "fte_per_10000",
        "Årsverk per 10 000 innbyggere",
        "årsverk / ten_thousand_inhabitants",
        "nei",
        "fte",
        "population",
        10000,
    )
    provenance = texts.index("Datagrunnlag")
    assert rows[provenance + 2][:4] == (
        "survey",
        "IS-24-8_2024.xlsx",
        "sha256:" + "ab" * 32,
        "2025-03-01T10:00:00+00:00",
    )
    legend = texts.index("Tegnforklaring")
    assert rows[legend + 2 : legend + 7] == [
        (".", "Lovlig umulig å føre opp tall", *[None] * 6),
        ("..", "Tallgrunnlag mangler", *[None] * 6),
        ("...", "Tall kan ikke offentliggjøres ennå", *[None] * 6),
        (":", "Vises ikke av konfidensialitetshensyn", *[None] * 6),
        ("-", "Null", *[None] * 6),
    ]


def test_months_are_columns_as_ssb_names_them(monthly: StatTable, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(export(monthly, tmp_path / "admissions.xlsx", region_labels=False))
    rows = _rows(book["admissions"])
    assert rows[1] == (
        "region",
        "nivå",
        "enhet",
        "2024M01 (opphold)",
        "2024M02 (opphold)",
        "2024M03 (opphold)",
    )
    assert rows[2:] == [
        ("3301", "municipality", "DPS Drammen", 5, 7, 6),
        ("3301", "municipality", "TSB Vestre Viken", 3, 3, 4),
        ("3305", "municipality", "DPS Drammen", 1, ":", 2),
        ("3305", "municipality", "TSB Vestre Viken", "-", 1, ".."),
    ]


def test_year_columns_are_in_time_order_whatever_region_comes_first(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["0", "3301", "3301"],
            "level": ["national", "municipality", "municipality"],
            "year": [2024, 2023, 2024],
            "age": pa.array([67, 67, 18], pa.int16()),
            "variable": ["users"] * 3,
            "value": [5.0, 1.0, 2.0],
        },
        variables=[Variable(id="users", unit="bruker")],
    )
    book = openpyxl.load_workbook(export(table, tmp_path / "users.xlsx", region_labels=False))
    assert _rows(book["users"])[1:] == [
        ("region", "nivå", "alder", "2023 (bruker)", "2024 (bruker)"),
        ("0", "national", 67, None, 5),
        ("3301", "municipality", 18, None, 2),
        ("3301", "municipality", 67, 1, None),
    ]


def test_the_national_name_is_known_without_geography(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {"region": ["0"], "level": ["national"], "year": [2024], "variable": ["users"], "value": [5.0]},
        variables=[Variable(id="users", unit="bruker")],
    )
    book = openpyxl.load_workbook(export(table, tmp_path / "users.xlsx"))
    assert _rows(book["users"])[2] == ("0", "Hele landet", "national", 5)


def test_sheet_names_are_valid_and_unique() -> None:
    assert sheet_name("a/b:c*d?e[f]g\\h") == "a_b_c_d_e_f_g_h"
    assert sheet_name("x" * 40) == "x" * 31
    assert sheet_name("fte", taken=["FTE"]) == "fte (2)"
    assert sheet_name("x" * 40, taken=["x" * 31]) == "x" * 27 + " (2)"
    assert sheet_name("kilder", taken=["kilder"]) == "kilder (2)"


def test_unit_labels_for_people() -> None:
    assert unit_label("årsverk") == "årsverk"
    assert unit_label("årsverk / ten_thousand_inhabitants") == "årsverk per 10 000 innbyggere"
    assert unit_label("percent") == "prosent"
    assert unit_label("million_NOK") == "mill. kr"
    assert unit_label("") == "antall"


def test_duplicated_cells_are_refused_in_the_wide_layout(table: StatTable, tmp_path: Path) -> None:
    twice = StatTable.concat([table.where(region="0"), table.where(region="0")])
    with pytest.raises(ExportError, match=r"variable 'users': two rows describe the same cell \(region='0'"):
        export(twice, tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(export(twice, tmp_path / "x.xlsx", layout="long"))
    assert len(_rows(book["data"])) == 2 + twice.num_rows


def test_unknown_layout(table: StatTable, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="layout must be 'wide' or 'long'"):
        export(table, tmp_path / "x.xlsx", layout="pivot")


def test_too_many_rows_for_a_sheet(monkeypatch: pytest.MonkeyPatch, table: StatTable, tmp_path: Path) -> None:
    import samhandling.exporters.xlsx as xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 10)
    with pytest.raises(ExportError, match=r"sheet 'data' would have 24 rows, more than Excel's 10"):
        export(table, tmp_path / "x.xlsx", layout="long")


def test_missing_openpyxl_gives_the_install_command(
    monkeypatch: pytest.MonkeyPatch, table: StatTable, tmp_path: Path
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_openpyxl(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("openpyxl"):
            raise ImportError("No module named 'openpyxl'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    with pytest.raises(ExportError, match=r"pip install 'samhandling\[xlsx\]'"):
        exporter_for("x.xlsx").write(table, tmp_path / "x.xlsx")


def test_integer_dimensions_stay_numbers(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["3301", "3301"],
            "level": ["municipality"] * 2,
            "year": [2024] * 2,
            "age": pa.array([67, 18], pa.int16()),
            "variable": ["population"] * 2,
            "value": [1.0, 2.0],
        },
        variables=[Variable(id="population", unit="innbygger")],
    )
    book = openpyxl.load_workbook(export(table, tmp_path / "p.xlsx", layout="long", region_labels=False))
    assert [row[3] for row in _rows(book["data"])[2:]] == [18, 67]
