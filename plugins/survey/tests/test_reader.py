"""Reading survey files as they come: merged headers, blanks, symbols, encodings, ragged rows, errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from samhandling_survey import SurveySpec, read_survey
from samhandling_survey.example import ExampleFiles
from samhandling_survey.reader import SYNTHETIC_MARKER
from samhandling_survey.spec import normalise_header

import samhandling as sh
from samhandling.errors import ParseError
from samhandling.tables import StatTable

WriteFile = Callable[..., Path]

SMALL_SPEC = """
[survey]
year = 2023
title = "Liten test"

[layout]
header_rows = 1

[region]
code = ["Kommunenr"]
name = "Kommune"

[[column]]
header = "Psykologer"
variable = "fte"
dimensions = { profession = "psychologist", target_group = "total" }

[[column]]
header = "Sum årsverk"
variable = "fte"
dimensions = { profession = "total", target_group = "total" }

[[column]]
header = "ØHD"
variable = "ohd_offer_mental_health_substance_use"
kind = "yes_no"
"""


_INDEX: dict[int, tuple[StatTable, dict[tuple[object, object], list[dict[str, object]]]]] = {}


def _value(table: StatTable, region: str, variable: str, **dims: str) -> tuple[float | None, str | None]:
    """The value and status of the one row with these keys (the rows are indexed once per table)."""
    if id(table) not in _INDEX or _INDEX[id(table)][0] is not table:
        index: dict[tuple[object, object], list[dict[str, object]]] = {}
        for row in table.to_pylist():
            index.setdefault((row["region"], row["variable"]), []).append(row)
        _INDEX[id(table)] = (table, index)
    candidates = _INDEX[id(table)][1].get((region, variable), [])
    rows = [r for r in candidates if all(r.get(k) == v for k, v in dims.items())]
    assert len(rows) == 1, rows
    value, status = rows[0]["value"], rows[0]["status"]
    assert value is None or isinstance(value, float)
    assert status is None or isinstance(status, str)
    return value, status


@pytest.fixture
def small_spec(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SPEC, encoding="utf-8")
    return path


# -- the shipped example files ----------------------------------------------------------------------


def _xlsx_rows(path: Path) -> tuple[list[str], list[list[object]]]:
    """Headers ("group / column") and data rows of the example workbook, read with openpyxl alone."""
    sheet = openpyxl.load_workbook(path, data_only=True)["Kommuner"]
    rows: list[list[object]] = [list(r) for r in sheet.iter_rows(values_only=True)]
    groups, columns = rows[2], rows[3]
    current = ""
    headers = []
    for group, column in zip(groups, columns, strict=True):
        current = str(group) if group else current
        headers.append(f"{current} / {column}" if column else current)
    return headers, [r for r in rows[4:] if isinstance(r[0], int)]


def test_the_xlsx_example_is_read_cell_for_cell(examples: ExampleFiles) -> None:
    table = read_survey(examples.survey[2023])
    spec = SurveySpec.for_year(2023)
    headers, rows = _xlsx_rows(examples.survey[2023])
    index = {normalise_header(h): i for i, h in enumerate(headers)}
    checked = 0
    for row in rows:
        code = str(row[0]).zfill(4)
        if code == "3412":  # entered twice in the example: the duplicates rule reports it
            continue
        for column in spec.columns:
            cell = row[index[normalise_header(column.header[0])]]
            value, status = _value(table, code, column.variable, **column.dimension_map)
            if cell is None:
                assert (value, status) == (None, ".."), (code, column.header)
            elif isinstance(cell, str):
                assert value == {"Ja": 1.0, "Nei": 0.0, "2": 2.0}[cell]
            else:
                assert isinstance(cell, (int, float))
                assert value == pytest.approx(float(cell))
            checked += 1
    assert checked > 40 * len(spec.columns)
    assert table.geography_year == 2023
    assert table.years() == [2023]


def test_codes_typed_as_numbers_get_their_leading_zero_back(examples: ExampleFiles) -> None:
    table = read_survey(examples.survey[2023])
    regions = set(table.arrow.column("region").to_pylist())
    assert "0417" in regions  # written as the number 417 in the workbook
    assert all(len(r) == 4 for r in regions)


def test_sum_rows_and_notes_are_skipped_and_listed(examples: ExampleFiles) -> None:
    table = read_survey(examples.survey[2023])
    skipped = table.meta.extra["skipped_rows"]
    assert any("sum row 'Innlandet i alt'" in s for s in skipped)
    assert any("note" in s for s in skipped)
    assert "i alt" not in " ".join(table.arrow.column("region").to_pylist()).lower()


def test_the_windows_csv_example_is_read_with_decimal_commas(examples: ExampleFiles) -> None:
    path = examples.survey[2022]
    text = path.read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    table = read_survey(path)
    data = [r for r in rows[4:] if r and r[0].isdigit()]
    assert len(data) == len(set(table.arrow.column("region").to_pylist())) == 46
    for row in data:
        total = float(row[13].replace(",", "."))
        value, status = _value(table, row[0], "fte", profession="total", target_group="total")
        assert value == pytest.approx(total)
        assert status is None
        users = row[25] if len(row) > 25 else ""
        assert _value(table, row[0], "users", target_group="total")[0] == (float(users) if users else None)


def test_provenance_names_the_file_and_spec(examples: ExampleFiles) -> None:
    table = read_survey(examples.survey[2022])
    (provenance,) = table.provenance
    assert provenance.location == str(examples.survey[2022])
    assert provenance.checksum
    assert provenance.checksum.startswith("sha256:")
    assert "is248-2022.toml" in provenance.note
    assert table.meta.extra["survey_year"] == 2022


# -- competence shares ------------------------------------------------------------------------------


def test_shares_are_computed_from_the_same_row(examples: ExampleFiles) -> None:
    table = read_survey(examples.survey[2022])
    for region in sorted(set(table.arrow.column("region").to_pylist()))[:12]:
        total, _ = _value(table, region, "fte", profession="total", target_group="total")
        higher, higher_status = _value(table, region, "fte_higher_education")
        further, _ = _value(table, region, "fte_relevant_further_education")
        parts = [
            _value(table, region, "fte", profession=p, target_group="total")[0]
            for p in (
                "nurse_specialised",
                "nurse_other",
                "social_worker",
                "child_welfare_officer",
                "social_educator",
                "occupational_therapist",
                "psychologist",
                "physician",
                "other_higher_education",
            )
        ]
        share, share_status = _value(table, region, "fte_share_higher_education")
        if any(p is None for p in parts):
            assert (higher, higher_status) == (None, "..")
            assert (share, share_status) == (None, "..")
            continue
        assert higher is not None
        assert higher == pytest.approx(sum(p for p in parts if p is not None))
        assert total is not None
        assert further is not None
        assert share == pytest.approx(100 * higher / total)
        assert _value(table, region, "fte_share_relevant_further_education")[0] == pytest.approx(
            100 * further / total
        )


def test_share_of_a_zero_total_cannot_occur(small_spec: Path, write_file: WriteFile, tmp_path: Path) -> None:
    spec = tmp_path / "with-further.toml"
    spec.write_text(
        SMALL_SPEC
        + '\n[[column]]\nheader = "Videreutdanning"\nvariable = "fte_relevant_further_education"\n'
        + 'dimensions = { profession = "total", target_group = "total" }\n',
        encoding="utf-8",
    )
    path = write_file(
        "liten.csv",
        "Kommunenr;Kommune;Psykologer;Sum årsverk;ØHD;Videreutdanning\n3401;A;0;0;Nei;0\n3403;B;1;4;Ja;2\n",
    )
    table = read_survey(path, spec=spec)
    assert _value(table, "3401", "fte_share_relevant_further_education") == (None, ".")
    assert _value(table, "3403", "fte_share_relevant_further_education") == (50.0, None)


# -- cells as they come -------------------------------------------------------------------------------


def test_symbols_blanks_bom_thousands_and_minus_signs(small_spec: Path, write_file: WriteFile) -> None:
    text = (
        "Kommunenr;Kommune;Psykologer;Sum årsverk;ØHD\n"
        "0301 Oslo;Oslo;1\u00a0234,5;2 000;Ja\n"
        "3401;Kongsvinger;:;12,5;nei\n"
        "3403;Hamar;-;−2;J\n"
        "3405;Lillehammer;;..;x\n"
        "3407;Gjøvik;0,5\n"
    )
    table = read_survey(write_file("bom.csv", "\ufeff" + text), spec=small_spec)
    assert _value(table, "0301", "fte", profession="psychologist") == (1234.5, None)
    assert _value(table, "0301", "fte", profession="total") == (2000.0, None)
    assert _value(table, "3401", "fte", profession="psychologist") == (None, ":")
    assert _value(table, "3403", "fte", profession="psychologist") == (0.0, "-")
    assert _value(table, "3403", "fte", profession="total") == (-2.0, None)
    assert _value(table, "3405", "fte", profession="psychologist") == (None, "..")
    assert _value(table, "3405", "fte", profession="total") == (None, "..")
    # a ragged row: the cells Excel left out are empty
    assert _value(table, "3407", "ohd_offer_mental_health_substance_use") == (None, "..")
    answers = {
        r: _value(table, r, "ohd_offer_mental_health_substance_use")[0]
        for r in ("0301", "3401", "3403", "3405")
    }
    assert answers == {"0301": 1.0, "3401": 0.0, "3403": 1.0, "3405": 1.0}


def test_windows_1252_and_a_comma_separated_file(small_spec: Path, write_file: WriteFile) -> None:
    text = 'Kommunenr,Kommune,Psykologer,Sum årsverk,ØHD\n3401,Kongsvinger,"1,5","3,0",Ja\n'
    table = read_survey(write_file("ansi.csv", text, encoding="cp1252"), spec=small_spec)
    assert _value(table, "3401", "fte", profession="psychologist") == (1.5, None)


def test_blank_means_zero_when_the_spec_says_so(
    tmp_path: Path, small_spec: Path, write_file: WriteFile
) -> None:
    zero = tmp_path / "zero.toml"
    zero.write_text(f'extends = "{small_spec.name}"\n[layout]\nblank = "zero"\n', encoding="utf-8")
    table = read_survey(
        write_file("z.csv", "Kommunenr;Kommune;Psykologer;Sum årsverk;ØHD\n3401;K;;2;Ja\n"), spec=zero
    )
    assert _value(table, "3401", "fte", profession="psychologist") == (0.0, None)


def test_a_factor_converts_stillingsprosent(tmp_path: Path, write_file: WriteFile) -> None:
    spec = tmp_path / "pct.toml"
    spec.write_text(
        '[survey]\nyear = 2023\n[region]\ncode = "Knr"\n'
        '[[column]]\nheader = "Stillingsprosent psykolog"\n'
        'variable = "fte"\nfactor = 0.01\n'
        'dimensions = { profession = "psychologist", target_group = "total" }\n',
        encoding="utf-8",
    )
    table = read_survey(write_file("pct.csv", "Knr;Stillingsprosent psykolog\n3401;250\n"), spec=spec)
    assert _value(table, "3401", "fte", profession="psychologist") == (2.5, None)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("3401;K;12,5 årsverk;3;Ja\n", 2, "'12,5 årsverk' is not a number"),
        ("3401;K;1;3;Ja\n3403;H;1;3;Kanskje\n", 3, "'Kanskje' is not Ja or Nei"),
        ("3401;K;1;3;Ja\n;;2;3;Nei\n", 3, "values but no municipality code"),
    ],
)
def test_bad_cells_name_file_row_and_column(
    small_spec: Path, write_file: WriteFile, body: str, line: int, message: str
) -> None:
    path = write_file("feil.csv", "Kommunenr;Kommune;Psykologer;Sum årsverk;ØHD\n" + body)
    with pytest.raises(ParseError, match=message) as info:
        read_survey(path, spec=small_spec)
    assert info.value.path == path
    assert info.value.line == line


def test_a_missing_column_names_the_closest_header(small_spec: Path, write_file: WriteFile) -> None:
    path = write_file("mangler.csv", "Kommunenr;Kommune;Psykolog;Sum årsverk;ØHD\n3401;K;1;2;Ja\n")
    with pytest.raises(
        ParseError, match=r"no column 'Psykologer'.*closest headers in the file: \['Psykolog'\]"
    ):
        read_survey(path, spec=small_spec)


def test_an_ambiguous_header_asks_for_the_group(tmp_path: Path, write_file: WriteFile) -> None:
    spec = tmp_path / "amb.toml"
    spec.write_text(
        '[survey]\nyear = 2023\n[layout]\nheader_rows = 2\n[region]\ncode = "Knr"\n'
        '[[column]]\nheader = "Voksne"\nvariable = "users"\ndimensions = { target_group = "adults" }\n',
        encoding="utf-8",
    )
    path = write_file("amb.csv", "Knr;Årsverk;Brukere\n;Voksne;Voksne\n3401;2;30\n")
    with pytest.raises(ParseError, match="matches several columns"):
        read_survey(path, spec=spec)
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('"Voksne"', '"Brukere / Voksne"'), encoding="utf-8"
    )
    assert _value(read_survey(path, spec=spec), "3401", "users", target_group="adults") == (30.0, None)


def test_a_date_in_a_number_column_is_an_error(tmp_path: Path, small_spec: Path) -> None:
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Kommunenr", "Kommune", "Psykologer", "Sum årsverk", "ØHD"])
    sheet.append([3401, "K", dt.datetime(2023, 1, 5), 3, "Ja"])
    path = tmp_path / "dato.xlsx"
    workbook.save(path)
    with pytest.raises(ParseError, match=r"a date .* where a number is expected") as info:
        read_survey(path, spec=small_spec)
    assert info.value.line == 2


def test_an_unknown_variable_must_be_declared(tmp_path: Path, write_file: WriteFile) -> None:
    spec = tmp_path / "x.toml"
    spec.write_text(
        '[survey]\nyear = 2023\n[region]\ncode = "Knr"\n'
        '[[column]]\nheader = "Vedtak"\nvariable = "decisions"\n',
        encoding="utf-8",
    )
    with pytest.raises(ParseError, match=r"decisions.*\[variables.<id>\]"):
        read_survey(write_file("v.csv", "Knr;Vedtak\n3401;4\n"), spec=spec)


# -- which year, which spec ---------------------------------------------------------------------------


def _csv_for(spec: SurveySpec, rows: Sequence[tuple[str, float]], title: str) -> str:
    """A two-header-row file in the layout ``spec`` describes; every value column gets ``value``."""
    groups, columns = [spec.region.code[0]], [""]
    for column in spec.columns:
        group, _, leaf = column.header[0].rpartition(" / ")
        groups.append(group)
        columns.append(leaf)
    lines = [title, ";".join(groups), ";".join(columns)]
    for code, value in rows:
        cells = [("Ja" if c.kind == "yes_no" else f"{value}".replace(".", ",")) for c in spec.columns]
        lines.append(";".join([code, *cells]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("year", [2019, 2020, 2021, 2022, 2023, 2024])
def test_every_year_reads_into_the_same_variable_ids(write_file: WriteFile, year: int) -> None:
    spec = SurveySpec.for_year(year)
    path = write_file(f"is248-{year}.csv", _csv_for(spec, [("3401", 1.5), ("3403", 2.0)], f"IS-24/8 {year}"))
    table = read_survey(path)  # the year comes from the file name and the title
    assert table.years() == [year]
    assert table.meta.extra["spec"] == f"shipped:is248-{year}.toml"
    assert set(table.variable_ids()) == {
        *spec.variable_ids(),
        "fte_higher_education",
        "fte_share_higher_education",
        "fte_share_relevant_further_education",
    }
    assert _value(table, "3401", "fte", profession="psychologist", target_group="total") == (1.5, None)


def test_the_title_year_must_match_the_spec(write_file: WriteFile) -> None:
    path = write_file("svar.csv", _csv_for(SurveySpec.for_year(2023), [("3401", 1.0)], "IS-24/8 2023"))
    with pytest.raises(ParseError, match=r"title says 2023.*give year=2023"):
        read_survey(path, year=2022)
    assert read_survey(path).years() == [2023]
    assert read_survey(path, year=2022, ignore_title=True).years() == [2022]


def test_a_file_that_fits_no_spec(write_file: WriteFile) -> None:
    path = write_file("annet.csv", "Kommunenummer;Innbyggere\n3401;17000\n")
    with pytest.raises(ParseError, match="fit none of the shipped specs"):
        read_survey(path)


def test_the_sheet_is_found_by_its_headers(tmp_path: Path, small_spec: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Forside"
    first.append(["Les meg"])
    data = workbook.create_sheet("Data")
    data.append(["Kommunenr", "Kommune", "Psykologer", "Sum årsverk", "ØHD"])
    data.append(["3401", "K", 1.25, 3, "Ja"])
    path = tmp_path / "to-ark.xlsx"
    workbook.save(path)
    table = read_survey(path, spec=small_spec)
    assert _value(table, "3401", "fte", profession="psychologist") == (1.25, None)
    values = table.arrow.column("value")
    assert pc.sum(values).as_py() == pytest.approx(1.25 + 3 + 1)


def test_city_districts_keep_their_six_digits(small_spec: Path, write_file: WriteFile) -> None:
    text = (
        "Kommunenr;Kommune;Psykologer;Sum årsverk;ØHD\n30101;Gamle Oslo;2;9;Ja\n030102 Grünerløkka;;1;4;Ja\n"
    )
    table = read_survey(write_file("bydeler.csv", text), spec=small_spec)
    levels = {r["region"]: r["level"] for r in table.to_pylist()}
    assert levels == {"030101": "district", "030102": "district"}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.lists(
        st.decimals(min_value=-99999, max_value=999999, places=2, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=40,
    ),
    grouping=st.sampled_from(["", " ", "\u00a0", "."]),
)
def test_norwegian_numbers_read_back_exactly(
    small_spec: Path, write_file: WriteFile, values: list[Decimal], grouping: str
) -> None:
    def norwegian(number: Decimal) -> str:
        whole, _, fraction = f"{abs(number):,.2f}".partition(".")
        text = whole.replace(",", grouping) + "," + fraction
        return ("−" if number < 0 else "") + text

    lines = ["Kommunenr;Kommune;Psykologer;Sum årsverk;ØHD"]
    lines += [f"{3000 + i};K;{norwegian(v)};1;Ja" for i, v in enumerate(values)]
    table = read_survey(write_file("tall.csv", "\n".join(lines) + "\n"), spec=small_spec)
    for i, number in enumerate(values):
        assert _value(table, str(3000 + i), "fte", profession="psychologist") == (float(number), None)


def test_the_example_files_say_they_hold_made_up_numbers(examples: ExampleFiles) -> None:
    # the note row under the rows of each example file marks it synthetic, and so is the population
    for path in [*examples.all_survey_files, examples.population]:
        assert sh.read(path, allow_duplicates=True).synthetic, path


def test_a_survey_file_without_the_marker_is_not_synthetic(examples: ExampleFiles, tmp_path: Path) -> None:
    text = examples.survey[2022].read_bytes().decode("cp1252")
    real = tmp_path / "is248-2022.csv"
    real.write_bytes(text.replace(SYNTHETIC_MARKER, "Merknad").encode("cp1252"))
    table = sh.read(real)
    assert not table.synthetic
    assert [row[:22] for row in table.meta.extra["skipped_rows"]] == ["row 52: note 'Merknad "]
