"""Monthly admission tables per home municipality: CSV and XLSX, totals checked, findings recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.compute as pc
import pytest
import samhandling_nimes as nimes

import samhandling as sh
from samhandling.checks import Severity, run_checks
from samhandling.errors import ParseError
from samhandling.model import CareUnit
from samhandling.plugins import PluginManager
from samhandling.testing import check_source

RDPS = [10, 10, 10, 13, 12, 14, 14, 11, 8, 12, 9, 10]
LIER = [12, 7, 8, 10, 11, 14, 14, 15, 12, 12, 14, 10]
MONTHS = "jan;feb;mar;apr;mai;jun;jul;aug;sep;okt;nov;des"


def series(table: sh.StatTable, region: str, unit: str) -> list[float]:
    rows = table.where(region=region, unit=unit).arrow.sort_by(
        [("year", "ascending"), ("month", "ascending")]
    )
    return [float(v) for v in rows.column("value").to_pylist()]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def test_ringerike_2011_figures_are_read_as_published(data_dir: Path) -> None:
    table = sh.read(data_dir / "ringerike-2011.csv")
    assert table.source == "nimes-monthly"
    assert series(table, "0605", "RDPS") == RDPS
    assert series(table, "0605", "LIER") == LIER
    assert sum(series(table, "0605", "RDPS")) == 133
    assert sum(series(table, "0605", "LIER")) == 139
    ringerike = table.where(region="0605").arrow
    assert pc.sum(ringerike.column("value")).as_py() == 322
    assert table.years() == [2011]
    assert set(table.columns) >= {"region", "level", "year", "month", "unit", "unit_type", "variable"}
    assert table.variable("admissions").unit == "opphold"
    assert table.variable("admissions").additive
    # the totals add up: no total findings, only the units this catalogue does not know
    rules = {f.rule for f in nimes.findings(table)}
    assert not rules & {"nimes_row_total", "nimes_block_total", "nimes_block_month_total"}


def test_absent_months_and_blank_cells_are_zero(data_dir: Path) -> None:
    table = sh.read(data_dir / "ringerike-2011.csv")
    kongsberg = series(table, "0604", "dps-kongsberg")
    assert len(kongsberg) == 12
    assert kongsberg[6] == 0.0  # July has no column in Kongsberg's block
    assert kongsberg[2] == 0.0  # March is a blank cell
    assert sum(kongsberg) == 27
    assert table.where(region="0604", unit="dps-kongsberg").arrow.column("unit_type")[0].as_py() == "DPS"


def test_cited_table_with_missing_rows_gives_a_block_total_finding(data_dir: Path) -> None:
    # as cited: two unit rows and the block total 322 (Windows-1252 file, municipality by name)
    table = sh.read(
        data_dir / "ringerike-2011-cited.csv", source="nimes-monthly", regions={"Ringerike": "0605"}
    )
    found = [f for f in nimes.findings(table) if f.rule == "nimes_block_total"]
    assert len(found) == 1
    finding = found[0]
    assert finding.region == "0605"
    assert finding.severity is Severity.ERROR
    assert finding.values["stated"] == 322
    assert finding.values["sum"] == 272
    assert "Ringerike" in finding.message
    assert "322" in finding.message
    assert "272" in finding.message
    assert "line 6" in (finding.location or "")
    # the numbers are kept as printed, not corrected
    assert pc.sum(table.arrow.column("value")).as_py() == 272


def test_row_total_mismatch_names_municipality_unit_and_both_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        [
            "År: 2011",
            "Bostedskommune: 0605 Ringerike",
            f"Avdeling;{MONTHS};Totalt",
            "RDPS;" + ";".join(map(str, RDPS)) + ";134",
            "LIER;" + ";".join(map(str, LIER)) + ";139",
        ],
    )
    table = nimes.read_monthly(path)
    found = nimes.findings(table)
    assert [f.rule for f in found] == ["nimes_row_total"]
    assert found[0].values == {"unit": "RDPS", "stated": 134, "sum": 133}
    assert "0605 Ringerike, unit RDPS" in found[0].message
    # the check registered by the plugin reports the same finding
    checked = run_checks(table, checks=["nimes"])
    assert [f.values for f in checked] == [found[0].values]


def test_block_month_total_is_checked(tmp_path: Path) -> None:
    month_totals = [a + b for a, b in zip(RDPS, LIER)]
    month_totals[4] += 1
    path = write(
        tmp_path / "nimes.csv",
        [
            "Bostedskommune: 0605 Ringerike",
            f"Avdeling;{MONTHS};Totalt",
            "RDPS;" + ";".join(map(str, RDPS)) + ";133",
            "LIER;" + ";".join(map(str, LIER)) + ";139",
            "Totalt;" + ";".join(map(str, month_totals)) + ";272",
        ],
    )
    table = nimes.read_monthly(path, year=2011)
    found = nimes.findings(table)
    assert [(f.rule, f.values["month"], f.values["stated"], f.values["sum"]) for f in found] == [
        ("nimes_block_month_total", 5, 24, 23)
    ]


def test_xlsx_gives_the_same_table_as_csv(tmp_path: Path, data_dir: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Ringerike"
    rows: list[list[Any]] = [
        ["Innleggelser etter bostedskommune 2011"],
        [],
        ["Bostedskommune", "0605 Ringerike"],
        ["Avdeling", *MONTHS.split(";"), "Totalt"],
        ["RDPS", *RDPS, 133],
        ["LIER", *LIER, 139],
        ["ARA", 3, 2, None, 4, 1, 3, 2, None, 3, 2, 4, 1, 25],
        ["BUPA", 1, None, 2, 3, None, 1, None, 2, 1, 3, None, 2, 15],
        ["AKUTT", 2, 1, None, 1, None, 2, 1, None, 1, None, 2, None, 10],
        ["Alle enheter", 28, 20, 20, 31, 24, 34, 31, 28, 25, 29, 29, 23, 322],
    ]
    for row in rows:
        sheet.append(row)
    path = tmp_path / "ringerike.xlsx"
    workbook.save(path)
    from_xlsx = sh.read(path)
    from_csv = sh.read(data_dir / "ringerike-2011.csv").where(region="0605")
    assert from_xlsx.source == "nimes-monthly"
    assert from_xlsx.num_rows == from_csv.num_rows == 60
    for unit in ("RDPS", "LIER", "ARA", "BUPA", "AKUTT"):
        assert series(from_xlsx, "0605", unit) == series(from_csv, "0605", unit)
    assert not [f for f in nimes.findings(from_xlsx) if f.severity is Severity.ERROR]


def test_xlsx_month_headers_as_dates(tmp_path: Path) -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Bostedskommune: 3305 Ringerike"])
    sheet.append(["Enhet", *[dt.datetime(2024, m, 1) for m in range(1, 13)], "Sum"])
    sheet.append(["RDPS", *RDPS, 133.0])
    path = tmp_path / "dates.xlsx"
    workbook.save(path)
    table = nimes.read_monthly(path)
    assert table.years() == [2024]
    assert series(table, "3305", "RDPS") == RDPS
    assert nimes.findings(table) == []


def test_municipality_by_name_is_looked_up_in_the_geography(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        [
            "Bostedskommune;Ringerike",
            "År;2024",
            f"Avdeling;{MONTHS};Totalt",
            "RDPS;" + ";".join(map(str, RDPS)) + ";133",
        ],
    )
    table = nimes.read_monthly(path)
    assert table.arrow.column("region").unique().to_pylist() == ["3305"]


def test_name_only_before_the_geography_years_is_an_error_with_a_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        [
            "Bostedskommune;Ringerike",
            "År;2011",
            f"Avdeling;{MONTHS};Totalt",
            "RDPS;" + ";".join(map(str, RDPS)) + ";133",
        ],
    )
    with pytest.raises(ParseError, match=r"line 1.*Ringerike.*regions="):
        nimes.read_monthly(path)
    assert nimes.read_monthly(path, regions={"ringerike": "0605"}).num_rows == 12


def test_suppressed_cells_keep_their_status(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        [
            "Bostedskommune: 0605 Ringerike",
            "Avdeling;jan 2011;feb 2011;mar 2011;Totalt",
            "RDPS;10;:;<5;14",
            "LIER;1;2;3;9",
        ],
    )
    table = nimes.read_monthly(path)
    rdps = table.where(unit="RDPS").arrow.sort_by("month")
    assert rdps.column("value").to_pylist() == [10.0, None, None]
    assert rdps.column("status").cast("string").to_pylist() == [None, ":", ":"]
    rules = sorted(f.rule for f in nimes.findings(table))
    # RDPS: the shown cells (10) do not exceed 14, so no finding; LIER 6 ≠ 9 is one; 3 months only
    assert rules == ["nimes_months_not_covered", "nimes_row_total"]


def test_bad_cell_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        [
            "År: 2011",
            "Bostedskommune: 0605 Ringerike",
            f"Avdeling;{MONTHS};Totalt",
            "RDPS;10;ti;10;13;12;14;14;11;8;12;9;10;133",
        ],
    )
    with pytest.raises(ParseError, match=r"nimes\.csv, line 4, column 3: unit 'RDPS', month 2.*'ti'"):
        nimes.read_monthly(path)


def test_fractional_count_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv", ["Bostedskommune: 0605 Ringerike", "Avdeling;jan 2011;feb 2011", "RDPS;1,5;2"]
    )
    with pytest.raises(ParseError, match="whole non-negative"):
        nimes.read_monthly(path)


def test_missing_year_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        ["Bostedskommune: 0605 Ringerike", f"Avdeling;{MONTHS}", "RDPS;1;2;3;4;5;6;7;8;9;10;11;12"],
    )
    with pytest.raises(ParseError, match=r"year.*not given.*year="):
        nimes.read_monthly(path)
    assert nimes.read_monthly(path, year=2011).years() == [2011]


def test_block_without_municipality_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "nimes.csv", [f"Avdeling;{MONTHS}", "RDPS;1;2;3;4;5;6;7;8;9;10;11;12"])
    with pytest.raises(ParseError, match="no home municipality"):
        nimes.read_monthly(path, year=2011)


def test_unit_named_in_full_maps_to_its_code_and_unknown_units_are_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        [
            "År: 2011",
            "Bostedskommune: 0605 Ringerike",
            "Avdeling;jan;feb;Totalt",
            "Ringerike DPS;1;2;3",
            "Ukjent post;4;5;9",
        ],
    )
    table = nimes.read_monthly(path, months=2)
    assert sorted(table.arrow.column("unit").unique().to_pylist()) == ["RDPS", "Ukjent post"]
    unknown = [f for f in nimes.findings(table) if f.rule == "nimes_unknown_unit"]
    assert [f.values["unit"] for f in unknown] == ["Ukjent post"]
    assert table.where(unit="Ukjent post").arrow.column("unit_type").unique().to_pylist() == ["unknown"]
    known = nimes.read_monthly(
        path, months=2, units=[CareUnit(code="UKJ", name="Ukjent post", type="acute_ward")]
    )
    assert known.where(unit="UKJ").arrow.column("unit_type").unique().to_pylist() == ["acute"]


def test_partial_year_is_reported_not_filled(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nimes.csv",
        ["År: 2024", "Bostedskommune: 3305 Ringerike", "Avdeling;jan;feb;mar", "RDPS;1;2;3"],
    )
    table = nimes.read_monthly(path)
    assert sorted(table.arrow.column("month").to_pylist()) == [1, 2, 3]
    assert [f.rule for f in nimes.findings(table)] == ["nimes_months_not_covered"]
    assert sorted(nimes.read_monthly(path, months=12).arrow.column("month").to_pylist()) == list(range(1, 13))


def test_findings_survive_parquet(tmp_path: Path, data_dir: Path) -> None:
    table = sh.read(data_dir / "ringerike-2011-cited.csv", regions={"Ringerike": "0605"})
    written = sh.export(table, tmp_path / "ringerike.parquet")
    back = sh.read(written)
    assert nimes.findings(back) == nimes.findings(table)
    assert len(nimes.findings(back)) == 1


def test_conformance(data_dir: Path, plugin_manager: PluginManager) -> None:
    source = plugin_manager.registry.sources["nimes-monthly"]
    check_source(source, data_dir / "ringerike-2011.csv")
    assert not source.can_read(data_dir / "missing.csv")


def test_check_command_reports_the_findings(tmp_path: Path, data_dir: Path) -> None:
    from click.testing import CliRunner

    from samhandling.cli import main

    written = sh.export(
        sh.read(data_dir / "ringerike-2011-cited.csv", regions={"Ringerike": "0605"}), tmp_path / "t.parquet"
    )
    result = CliRunner().invoke(main, ["check", str(written), "--output", str(tmp_path / "findings.csv")])
    text = (
        (tmp_path / "findings.csv").read_text(encoding="utf-8")
        if (tmp_path / "findings.csv").exists()
        else ""
    )
    assert "nimes_block_total" in result.output + text, result.output


def test_a_workbook_with_an_xml_entity_attack_is_refused_before_parsing(tmp_path: Path) -> None:
    import zipfile

    from samhandling.errors import ParseError, SourceError

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Bostedskommune", "0605 Ringerike"])
    plain = tmp_path / "plain.xlsx"
    workbook.save(plain)
    attack = tmp_path / "attack.xlsx"
    doctype = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(attack, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = doctype.encode() + data  # openpyxl writes no XML declaration

            target.writestr(item, data)
    with pytest.raises((ParseError, SourceError), match=r"declares a DTD"):
        sh.read(attack, source="nimes-monthly")
