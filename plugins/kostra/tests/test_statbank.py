"""Statbank CSV files in the layouts, encodings and separators SSB writes, and the errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from samhandling_kostra import read_statbank_csv

from samhandling.errors import ParseError
from samhandling.tables import StatTable


def _rows(table: StatTable) -> dict[tuple[object, ...], dict[str, object]]:
    keys = [c for c in table.columns if c not in ("value", "status", "level")]
    return {tuple(row[k] for k in keys): row for row in table.to_pylist()}


def test_long_layout_latin1_with_title_decimal_comma_and_symbols(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "12228_long_semicolon_latin1.csv")
    StatTable.from_arrow(table.arrow)  # the table passes the library's own validation
    assert table.meta.title.startswith("Psykisk helsearbeid og rusarbeid")
    assert table.meta.extra["ssb_table"] == "12228"
    assert "windows-1252" in table.provenance[0].note
    rows = _rows(table)
    assert rows[("0", 2018, "psychiatric_nurse_fte")]["value"] == 5012.4
    assert rows[("06", 2018, "psychiatric_nurse_fte")]["level"] == "county"  # EKA06 = the county
    assert rows[("0602", 2019, "psychiatric_nurse_fte")]["value"] == 43.0  # "0602 Drammen (-2019)"
    symbols = {
        ("0", 2018): "..",
        ("0", 2019): "...",
        ("0602", 2018): ":",
        ("06", 2018): "-",
        ("0604", 2019): "-",
    }
    for (region, year), symbol in symbols.items():
        row = rows[(region, year, "waiting_list_substance_use")]
        assert row["status"] == symbol
        assert row["value"] == (0.0 if symbol == "-" else None)
    assert rows[("0604", 2019, "psychiatric_nurse_fte")]["status"] == "."
    assert rows[("0604", 2018, "waiting_list_substance_use")] == {
        **rows[("0604", 2018, "waiting_list_substance_use")],
        "value": 0.0,
        "status": None,
    }
    # KOSTRA groups and the country without Oslo are kept, with their own level and their names
    assert rows[("EAKUO", 2019, "psychiatric_nurse_fte")]["level"] == "kostra_group"
    assert rows[("EKG13", 2018, "waiting_list_substance_use")]["value"] == 14.0
    assert table.meta.extra["region_names"] == {"EAKUO": "Landet uten Oslo", "EKG13": "KOSTRA-gruppe 13"}
    assert table.status_counts() == {None: 15, "..": 3, "...": 1, ":": 2, "-": 2, ".": 1}
    dropped = read_statbank_csv(data_dir / "12228_long_semicolon_latin1.csv", groups="drop")
    assert dropped.status_counts() == {None: 9, "..": 1, "...": 1, ":": 2, "-": 2, ".": 1}
    assert dropped.meta.extra["dropped_regions"] == {"EAKUO": "Landet uten Oslo", "EKG13": "KOSTRA-gruppe 13"}
    assert table.variable("psychiatric_nurse_fte").unit == "årsverk"
    assert table.variable("waiting_list_substance_use").unit == "person"


def test_kostra_groups_can_be_refused(data_dir: Path) -> None:
    with pytest.raises(ParseError, match=r"line 8, column 'region'.*'EAKUO Landet uten Oslo' is not an area"):
        read_statbank_csv(data_dir / "12228_long_semicolon_latin1.csv", groups="error")


def test_wide_years_utf8_bom_comma_separated_population_by_age(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "07459_wide_years_comma_utf8bom.csv")
    assert table.variable_ids() == ["population"]
    assert table.columns == ["region", "level", "year", "age", "variable", "value", "status"]
    rows = _rows(table)
    assert rows[("3301", 2024, "105+", "population")]["value"] == 1.0
    assert rows[("3303", 2023, "0", "population")]["value"] == 302.0  # K-3303
    assert rows[("3303", 2024, "105+", "population")]["status"] == "-"
    assert rows[("33", 2024, "1", "population")]["level"] == "county"
    assert rows[("0", 2023, "0", "population")]["level"] == "national"
    assert table.geography_year == 2024
    assert table.num_rows == 24


def test_wide_variables_with_footnotes(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "11924_wide_variables_semicolon_utf8.csv")
    assert table.variable_ids() == ["care_fte", "care_fte_per_10000"]
    rate = table.variable("care_fte_per_10000")
    assert not rate.additive
    assert (rate.numerator, rate.denominator) == ("care_fte", "population")
    rows = _rows(table)
    assert rows[("3301", 2022, "Psykiatrisk sykepleier", "care_fte")]["value"] == 21.4
    assert rows[("3301", 2023, "Psykiatrisk sykepleier", "care_fte_per_10000")]["status"] == ":"
    assert table.meta.extra["notes"][0].startswith("Omfatter avtalte årsverk")
    assert table.num_rows == 16


def test_tab_separated_years_as_columns_named_by_the_title(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "11875_tab_years_cp1252.csv")
    (variable,) = table.variable_ids()
    assert variable == "helse_og_omsorgsinstitusjoner_plasser"
    assert table.variable(variable).label == "Helse- og omsorgsinstitusjoner - plasser"
    rows = _rows(table)
    assert rows[("3005", 2019, variable)]["value"] == 405.0  # "3005 Drammen (2020-2023)"
    assert rows[("0", 2019, variable)]["status"] == ".."


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


HEADER = '"region";"statistikkvariabel";"år";"value"\n'


@pytest.mark.parametrize(
    ("body", "line", "column", "message"),
    [
        (
            '"3301 Drammen";"Personer";"2024";12,5\n"3303 Kongsberg";"Personer";"2024"\n',
            3,
            None,
            "ragged row",
        ),
        (
            '"3301 Drammen";"Personer";"2024";12,5\n"3303 Kongsberg";"Personer";"2024";*\n',
            3,
            "value",
            "unknown symbol",
        ),
        (
            '"3301 Drammen";"Personer";"2024";12,5\n"3303 Kongsberg";"Personer";"2024";tolv\n',
            3,
            "value",
            "not a number",
        ),
        ('"3301 Drammen";"Personer";"2024";\n', 2, "value", "empty cell"),
        ('"Drammen";"Personer";"2024";12\n', 2, "region", "the label has no region code"),
        ('"3301 Drammen";"Personer";"2024H1";12\n', 2, "år", "is a half-year"),
        (
            '"3301 Drammen";"Personer";"2024";12\n"3301 Drammen";"Personer";"2024K1";12\n',
            3,
            "år",
            "mix years",
        ),
        (
            '"3301 Drammen";"Personer";"2024";1.500,5\n"3303 Kongsberg";"Personer";"2024";12,5\n',
            2,
            "value",
            "decimal point",
        ),
    ],
)
def test_malformed_files_name_file_line_and_column(
    tmp_path: Path, body: str, line: int, column: str | None, message: str
) -> None:
    path = _write(tmp_path / "bad.csv", HEADER + body)
    with pytest.raises(ParseError, match=message) as caught:
        read_statbank_csv(path)
    assert caught.value.path == path
    assert caught.value.line == line
    assert caught.value.column == column


def test_missing_header_is_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "noheader.csv",
        '"3301 Drammen";"Personer";"2024";12,5\n"3303 Kongsberg";"Personer";"2024";3\n',
    )
    with pytest.raises(ParseError, match="looks like data, not a header") as caught:
        read_statbank_csv(path)
    assert caught.value.line == 1


def test_empty_file_and_header_without_data(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="empty"):
        read_statbank_csv(_write(tmp_path / "empty.csv", "\n\n"))
    with pytest.raises(ParseError, match="empty"):
        read_statbank_csv(_write(tmp_path / "zero.csv", ""))
    with pytest.raises(ParseError, match="no data rows"):
        read_statbank_csv(_write(tmp_path / "header.csv", HEADER))


def test_decimal_point_semicolon_and_explicit_options(tmp_path: Path) -> None:
    text = "region;år;Personer\n3301 Drammen;2024;12.5\n3303 Kongsberg;2024;..\n"
    table = read_statbank_csv(_write(tmp_path / "point.csv", text))
    assert [r["value"] for r in table.to_pylist()] == [12.5, None]
    comma = read_statbank_csv(_write(tmp_path / "comma.csv", text.replace("12.5", "12,5")), decimal=",")
    assert comma.to_pylist()[0]["value"] == 12.5
    latin = read_statbank_csv(
        _write(tmp_path / "latin.csv", "region;år;Årsverk\n3301 Drammen;2024;4\n", "latin-1"),
        encoding="latin-1",
    )
    assert latin.variable_ids() == ["arsverk"]


def test_months_and_city_districts(tmp_path: Path) -> None:
    text = '"region";"måned";"Personer"\n"030101 Gamle Oslo";"2024M01";5\n"030101 Gamle Oslo";"2024M02";6\n'
    table = read_statbank_csv(_write(tmp_path / "months.csv", text))
    assert [(r["region"], r["level"], r["year"], r["month"]) for r in table.to_pylist()] == [
        ("030101", "district", 2024, 1),
        ("030101", "district", 2024, 2),
    ]


def test_each_region_label_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from samhandling_kostra import assemble, regions

    calls: list[str] = []
    original = regions.parse_region_label

    def counting(label: str):  # type: ignore[no-untyped-def]
        calls.append(label)
        return original(label)

    monkeypatch.setattr(assemble, "parse_region_label", counting)
    lines = "".join(
        f'"{c} Kommune";"Personer";"{y}";{y - 2000}\n' for y in range(2015, 2025) for c in ("3301", "3303")
    )
    table = read_statbank_csv(_write(tmp_path / "many.csv", HEADER + lines))
    assert table.num_rows == 20
    assert sorted(calls) == ["3301 Kommune", "3303 Kommune"]


def test_utf16_with_bom(tmp_path: Path) -> None:
    text = "region\tår\tPersoner\n3301 Drammen\t2024\t7\n"
    path = tmp_path / "utf16.csv"
    path.write_bytes(text.encode("utf-16"))
    assert read_statbank_csv(path).to_pylist()[0]["value"] == 7.0


def test_windows_1252_found_after_the_first_64_kib(tmp_path: Path) -> None:
    rows = "".join(f'"3301 Drammen";"Personer";"{2000 + i % 25}";{i}\n' for i in range(3000))
    late = '"3303 Kongsberg";"Årsverk";"2024";7\n'
    path = tmp_path / "late.csv"
    path.write_bytes((HEADER + rows + late).encode("cp1252"))
    assert len(HEADER + rows) > 1 << 16
    table = read_statbank_csv(path)
    assert "windows-1252" in table.provenance[0].note
    assert set(table.variable_ids()) == {"population", "arsverk"}


@pytest.mark.parametrize(
    ("late", "column"),
    [
        ('"3303 Kongsberg Ås";"Personer";"2024";7\n', "region"),
        ('"3303 Kongsberg";"Personer";"2024";7\n"EKG13 KOSTRA-gruppe 13";"Årsverk";"2024";7\n', "left out"),
    ],
)
def test_text_that_is_not_utf8_is_found_where_it_is_decoded(tmp_path: Path, late: str, column: str) -> None:
    rows = "".join(f'"3301 Drammen";"Personer";"{2000 + i % 25}";{i}\n' for i in range(3000))
    path = tmp_path / "late.csv"
    path.write_bytes((HEADER + rows + late).encode("cp1252"))
    table = read_statbank_csv(path, groups="drop")
    assert "windows-1252" in table.provenance[0].note, column
    assert table.num_rows == 3001
    with pytest.raises(ParseError, match=r"byte 0xe5 at offset 31 is not UTF-8") as caught:
        read_statbank_csv(path, encoding="utf-8")
    assert caught.value.path == path
    assert caught.value.line == 1


def test_symbols_and_decimal_marks_across_many_rows(tmp_path: Path) -> None:
    values = [str(i) if i % 7 else ".." for i in range(120_000)]
    values[100_000] = "-"
    body = "".join(f'"3301 Drammen";"Personer";"{2000 + i % 25}";{v}\n' for i, v in enumerate(values))
    path = _write(tmp_path / "many.csv", HEADER + body)
    table = read_statbank_csv(path)
    assert table.status_counts()[".."] == sum(v == ".." for v in values)
    assert table.arrow.column("value").to_pylist()[100_000] == 0.0
    comma = _write(tmp_path / "comma.csv", HEADER + body.replace(";119999\n", ";1199,5\n"))
    assert read_statbank_csv(comma).arrow.column("value").to_pylist()[-1] == 1199.5
    mixed = _write(
        tmp_path / "mixed.csv", HEADER + body.replace(";5\n", ";5,5\n").replace(";119999\n", ";1.5\n")
    )
    with pytest.raises(ParseError, match="decimal point") as caught:
        read_statbank_csv(mixed)
    assert caught.value.line == 120_001
