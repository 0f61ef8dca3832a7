"""CSV: the default dialect, the Norwegian one (semicolon, decimal comma, BOM), and reading both back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.errors import ExportError, ParseError, SourceError
from samhandling.exporters import export
from samhandling.exporters.csv import format_decimal, metadata_path, read_csv


def _small() -> StatTable:
    return StatTable.from_pydict(
        {
            "region": ["0301", "3301", "3305"],
            "level": ["municipality"] * 3,
            "year": [2024] * 3,
            "variable": ["fte"] * 3,
            "value": [1234.75, None, 0.0],
            "status": [None, ":", "-"],
        },
        variables=[Variable(id="fte", unit="årsverk")],
        geography_year=2024,
        source="survey",
    )


def test_default_dialect(tmp_path: Path) -> None:
    path = export(_small(), tmp_path / "fte.csv")
    assert path.read_bytes() == (
        b"region,level,year,variable,value,status\n"
        b"0301,municipality,2024,fte,1234.75,\n"
        b"3301,municipality,2024,fte,,:\n"
        b"3305,municipality,2024,fte,0,-\n"
    )


def test_norwegian_dialect_as_excel_in_norway_expects(tmp_path: Path) -> None:
    path = export(_small(), tmp_path / "fte.csv", norwegian=True, line_terminator="\r\n")
    assert path.read_bytes() == (
        b"\xef\xbb\xbfregion;level;year;variable;value;status\r\n"
        b"0301;municipality;2024;fte;1234,75;\r\n"
        b"3301;municipality;2024;fte;;:\r\n"
        b"3305;municipality;2024;fte;0;-\r\n"
    )


def test_pandas_reads_the_norwegian_file(table: StatTable, tmp_path: Path) -> None:
    path = export(table, tmp_path / "fte.csv", norwegian=True)
    frame = pd.read_csv(
        path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"region": str}, keep_default_na=False
    )
    assert list(frame.columns) == table.columns
    national = frame[(frame["region"] == "0") & (frame["year"] == 2024)]
    assert float(national["value"].iloc[0]) == 152_345.0
    assert set(frame["status"]) == {"", "-", ":", ".."}


def test_decimal_comma_never_uses_an_exponent() -> None:
    values = pa.array([1.5e-7, 2.5e21, -0.000123, 1234567.125, None, 0.1 + 0.2], pa.float64())
    text = format_decimal(values).to_pylist()
    assert text == [
        "0,00000015",
        "2500000000000000000000",
        "-0,000123",
        "1234567,125",
        None,
        "0,30000000000000004",
    ]
    assert [float(t.replace(",", ".")) for t in text if t is not None] == [
        v for v in values.to_pylist() if v is not None
    ]


def test_text_that_needs_quotes_is_quoted(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["3301", "3301"],
            "level": ["municipality"] * 2,
            "year": [2024] * 2,
            "service": ['Lavterskel; "Huset"', ""],
            "variable": ["users"] * 2,
            "value": [1.5, 2.0],
        },
        variables=[Variable(id="users", unit="bruker")],
    )
    path = export(table, tmp_path / "users.csv", norwegian=True)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == '"3301";"municipality";2024;"Lavterskel; ""Huset""";"users";"1,5";'
    assert lines[2] == '"3301";"municipality";2024;"";"users";"2";'
    back = sh.read(path)
    assert back.equals(table)
    assert back.arrow.column("service").to_pylist() == ['Lavterskel; "Huset"', ""]


@pytest.mark.parametrize("options", [{}, {"norwegian": True}, {"delimiter": "\t"}])
def test_round_trip_through_the_metadata_file(
    table: StatTable, tmp_path: Path, options: dict[str, Any]
) -> None:
    path = export(table, tmp_path / "fte.csv", **options)
    sidecar = json.loads(metadata_path(path).read_text(encoding="utf-8"))
    assert sidecar["variables"]["fte"]["unit"] == "årsverk"
    assert sidecar["provenance"][0]["location"] == "IS-24-8_2024.xlsx"
    back = sh.read(path)
    assert back.equals(table)
    assert back.meta == table.meta
    assert back.arrow.schema.remove_metadata() == table.arrow.schema.remove_metadata()


def test_monthly_round_trip(monthly: StatTable, tmp_path: Path) -> None:
    assert read_csv(export(monthly, tmp_path / "admissions.csv", norwegian=True)).equals(monthly)


@pytest.mark.parametrize("norwegian", [False, True])
def test_without_metadata_units_and_additivity_are_inferred(
    table: StatTable, tmp_path: Path, norwegian: bool
) -> None:
    path = export(table, tmp_path / "fte.csv", metadata=False, norwegian=norwegian)
    assert not metadata_path(path).exists()
    back = sh.read(path)
    assert back.source == "samhandling-csv"
    assert back.num_rows == table.num_rows
    assert back.geography_year is None  # not in the file
    assert "inferred" in back.provenance[-1].note
    rate = back.variable("fte_per_10000")
    assert (rate.additive, rate.unit) == (False, "fte / ten_thousand_inhabitants")
    assert back.variable("fte").additive
    assert back.variable("users").unit == "bruker"

    def rows(t: StatTable) -> list[tuple[object, ...]]:
        return sorted((r["region"], r["year"], r["variable"], r["value"] or 0.0) for r in t.to_pylist())

    assert rows(back) == rows(table)


def test_a_plain_csv_without_metadata_is_left_to_source_plugins(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("kommune;verdi\n3301;1\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"no other\.csv\.meta\.json beside it, and its header is not"):
        read_csv(path)


def test_a_file_that_does_not_match_its_metadata(table: StatTable, tmp_path: Path) -> None:
    path = export(table, tmp_path / "fte.csv")
    path.write_text(path.read_text().replace("2024", "20x4", 1), encoding="utf-8")
    with pytest.raises(
        ParseError, match=r"fte\.csv: the CSV and fte\.csv\.meta\.json do not belong together"
    ):
        sh.read(path)
    # the same edit with a metadata file that records it: the field is not a year
    sidecar = json.loads(metadata_path(path).read_text(encoding="utf-8"))
    sidecar["data"]["checksum"] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    metadata_path(path).write_text(json.dumps(sidecar), encoding="utf-8")
    with pytest.raises(ParseError, match=r"fte\.csv: does not match its metadata"):
        sh.read(path)
    metadata_path(path).write_text("{", encoding="utf-8")
    with pytest.raises(ParseError, match=r"fte\.csv\.meta\.json: not a samhandling CSV metadata file"):
        sh.read(path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"delimiter": ";;"}, "delimiter must be one character"),
        ({"delimiter": '"'}, "delimiter must be one character"),
        ({"decimal": ":"}, "decimal must be '.' or ','"),
        ({"delimiter": ",", "decimal": ","}, "are both ','"),
        ({"line_terminator": "\r"}, "line_terminator must be"),
    ],
)
def test_bad_options(table: StatTable, tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ExportError, match=message):
        export(table, tmp_path / "x.csv", **options)


def test_quoting_check_on_sliced_and_large_text_columns() -> None:
    from samhandling.exporters.csv import _needs_quotes

    large = pa.table({"service": pa.array(["a;b", "ab", "cd"], pa.large_string())})
    assert _needs_quotes(large, ";")
    assert not _needs_quotes(large.slice(1), ";")
    with_empty = pa.table({"service": pa.array(["x", "", "cd", None])})
    assert _needs_quotes(with_empty, ",")  # an empty text must be quoted to differ from an empty value
    assert not _needs_quotes(with_empty.slice(2), ",")
    assert format_decimal(pa.array([1.5, 1e-7, None, 3e22]).slice(1)).to_pylist() == [
        "0,0000001",
        None,
        "30000000000000000000000",
    ]
