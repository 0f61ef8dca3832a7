"""Our own small files for every kind of thing SSB's real files show (see data/README.md): pseudo-regions,
grouped codes, KOSTRA groups, city districts of several divisions, tables without a region, quarters,
months, weeks and school years in CSV, JSON-stat and PX, JSON-stat 1.x, ``dimension`` after ``value``,
units in titles and contents labels, English and Norwegian labels, every encoding and separator."""

from __future__ import annotations

from pathlib import Path

import pytest
from samhandling_kostra import read_jsonstat, read_px, read_statbank_csv

import samhandling as sh
from samhandling.errors import ParseError
from samhandling.plugins import PluginManager, get_plugin_manager
from samhandling.tables import StatTable


@pytest.fixture(scope="module")
def pm() -> PluginManager:
    import samhandling_kostra

    return get_plugin_manager(autoload=False, extra=[samhandling_kostra])


def _rows(table: StatTable, *keys: str) -> dict[tuple[object, ...], dict[str, object]]:
    StatTable.from_arrow(table.arrow)  # every table passes the library's own validation
    return {tuple(row[k] for k in keys): row for row in table.to_pylist()}


def _levels(table: StatTable) -> dict[str, str]:
    return {row["region"]: row["level"] for row in table.to_pylist()}


def test_k_prefix_and_the_pseudo_regions_of_all_municipalities(data_dir: Path, pm: PluginManager) -> None:
    table = sh.read(data_dir / "07459_k_prefix_pseudo_regions_tab_latin1.csv", plugin_manager=pm)
    assert table.source == "ssb-csv"
    assert "windows-1252" in table.provenance[0].note
    assert "'\\t'" in table.provenance[0].note
    levels = _levels(table)
    assert levels == {
        "3301": "municipality",
        "5501": "municipality",
        "21-22": "unallocated",
        "23": "unallocated",
        "Rest": "unallocated",
    }
    assert table.meta.extra["region_names"] == {
        "21-22": "Svalbard og Jan Mayen",
        "23": "Kontinentalsokkelen",
        "Rest": "Delte kommuner og uoppgitt",
    }
    rows = _rows(table, "region", "year", "age")
    assert rows[("5501", 2024, "0")]["value"] == 802.0
    assert rows[("Rest", 2023, "105+")]["value"] == 0.0
    assert table.num_rows == 20
    # an option drops them (and lists them); another refuses the file, naming the line
    dropped = read_statbank_csv(data_dir / "07459_k_prefix_pseudo_regions_tab_latin1.csv", groups="drop")
    assert set(_levels(dropped).values()) == {"municipality"}
    assert dropped.meta.extra["dropped_regions"]["Rest"] == "Delte kommuner og uoppgitt"
    with pytest.raises(
        ParseError, match=r"line 8, column 'region': 'K-21-22 Svalbard og Jan Mayen' is not an area"
    ):
        read_statbank_csv(data_dir / "07459_k_prefix_pseudo_regions_tab_latin1.csv", groups="error")


def test_grouped_codes_kostra_groups_and_units_in_labels(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "12362_groups_units_semicolon_utf8bom.csv")
    assert "encoding utf-8" in table.provenance[0].note
    levels = _levels(table)
    assert levels == {
        "0": "national",  # TOTAL Hele landet and EAK Landet
        "EAKUO": "kostra_group",
        "EKG13": "kostra_group",
        "03": "county",  # EKA03: the municipalities of county 03
        "02-03": "region_group",
        "03+30": "region_group",
        "3301": "municipality",
    }
    assert table.meta.extra["region_names"]["02-03"] == "Oslo og Akershus"
    spending = "netto_driftsutgifter_til_rusarbeid"
    per_head = "netto_driftsutgifter_til_rusarbeid_per_innbygger"
    assert (table.variable(spending).unit, table.variable(spending).additive) == ("thousand_NOK", True)
    assert (table.variable(per_head).unit, table.variable(per_head).additive) == ("NOK", False)
    rows = _rows(table, "region", "variable")
    assert rows[("0", spending)]["value"] == 4812003.5  # decimal comma
    assert rows[("EKG13", spending)] | {} == {**rows[("EKG13", spending)], "value": None, "status": ":"}
    assert rows[("03+30", per_head)]["value"] == 0.0
    assert rows[("03+30", per_head)]["status"] == "-"
    assert rows[("02-03", spending)]["status"] == "."


def test_city_districts_of_several_divisions_in_english(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "10826_districts_en_comma.csv")
    assert _levels(table) == {
        "0301": "municipality",  # 030100aa Oslo total
        "030101": "district",  # 030101a Gamle Oslo: today's 030101
        "030102": "district",
        "030199": "unallocated",
        "030101:1988-2003": "historical_district",  # Bygdøy-Frogner, not today's 030101
        "030100:2001-2003": "historical_district",
        "160101:2005-2017": "historical_district",
        "500101": "district",
    }
    rows = _rows(table, "region", "age")
    assert rows[("030101", "0")]["value"] == 1012.0
    assert rows[("030101:1988-2003", "0")]["value"] == 0.0
    assert table.meta.extra["region_names"]["030101:1988-2003"] == "Bygdøy-Frogner"
    # kept out of harmonise and roll-up as districts: the division they belong to is gone
    counties = sh.roll_up(table.where(level=["district", "municipality"]), "county", unassigned="exclude")
    assert counties.num_rows >= 1


def test_quarters_without_a_region_and_the_unit_in_the_title(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "12909_quarters_long_semicolon_latin1.csv")
    assert table.columns[:4] == ["region", "level", "year", "quarter"]
    assert table.period == "quarter"
    assert table.levels() == ["national"]
    rows = _rows(table, "year", "quarter")
    assert rows[(2024, 1)]["value"] == 7.1
    assert rows[(2024, 2)]["status"] == ".."
    variable = table.variable("sykefravaer")
    assert (variable.unit, variable.additive) == ("percent", False)  # "(prosent)" in the title
    assert [str(p) for p in table.period_labels().to_pylist()] == ["2023K3", "2023K4", "2024K1", "2024K2"]


def test_months_as_columns(data_dir: Path, pm: PluginManager) -> None:
    # sh.read may pick the NIMES plugin for tables with months as columns; name the source
    table = sh.read(data_dir / "11111_months_wide_comma.csv", source="ssb-csv", plugin_manager=pm)
    assert table.sub_year == "month"
    rows = _rows(table, "region", "year", "month")
    assert rows[("3301", 2024, 3)]["status"] == ":"
    assert rows[("3303", 2024, 2)]["value"] == 0.0
    assert table.num_rows == 6


def test_weeks_in_english_tab_separated_crlf(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "03024_weeks_en_tab.csv")
    assert table.sub_year == "week"
    rows = _rows(table, "year", "week", "variable")
    assert rows[(2014, 31, "weight")]["value"] == 18012.0
    assert rows[(2014, 30, "price_per_kilo")]["value"] == 42.5  # decimal point
    assert table.variable("weight").unit == "tonne"
    assert table.variable("price_per_kilo").additive is False
    assert table.columns[4] == "commodity_group"


def test_school_years_in_csv(data_dir: Path) -> None:
    table = read_statbank_csv(data_dir / "12274_school_years_semicolon.csv")
    assert table.period == "school_year"
    assert table.meta.period == "school_year"
    assert table.sub_year is None
    rows = _rows(table, "region", "year")
    assert rows[("3301", 2023)]["value"] == 11302.0  # 2023-2024
    assert rows[("EKG13", 2023)]["status"] == "."
    assert sorted(str(p) for p in table.period_labels().to_pylist()) == [
        "2022-2023",
        "2023-2024",
        "2023-2024",
    ]


def test_jsonstat_2_with_dimension_after_value_and_quarters(data_dir: Path, pm: PluginManager) -> None:
    path = data_dir / "12909_quarters_late_dimension.json"
    assert path.read_text("utf-8").index('"value"') < path.read_text("utf-8").index('"dimension"')
    table = sh.read(path, plugin_manager=pm)
    assert table.source == "jsonstat"
    assert table.sub_year == "quarter"
    rows = _rows(table, "region", "year", "quarter")
    assert rows[("EAKUO", 2024, 2)]["value"] == 5.0
    assert rows[("0", 2024, 2)]["status"] == ".."
    assert _levels(table)["EAKUO"] == "kostra_group"
    variable = table.variable("sykefravaer")
    assert (variable.unit, variable.additive) == ("percent", False)


@pytest.mark.parametrize("name", ["11111_jsonstat1_dataset_months.json", "11111_jsonstat1_standalone.json"])
def test_jsonstat_1_bundle_and_dataset_with_months(data_dir: Path, name: str, pm: PluginManager) -> None:
    table = sh.read(data_dir / name, plugin_manager=pm)
    assert table.sub_year == "month"
    rows = _rows(table, "region", "month")
    assert rows[("3301", 1)]["value"] == 41.0
    assert rows[("3301", 3)]["status"] == ":"  # sparse value, status array
    assert rows[("3303", 2)] | {} == {**rows[("3303", 2)], "value": 0.0, "status": "-"}
    assert table.meta.extra["ssb_table"] == "11111"
    assert table.num_rows == 6


def test_px_with_school_years_symbols_regions_and_two_contents(data_dir: Path, pm: PluginManager) -> None:
    table = sh.read(data_dir / "12274_school_years_utf8.px", plugin_manager=pm)
    assert table.source == "ssb-px"
    assert table.period == "school_year"
    assert table.num_rows == 24
    rows = _rows(table, "region", "sex", "variable", "year")
    assert rows[("0", "total", "larerarsverk", 2022)]["value"] == 52000.5
    # DATA "." is DATASYMBOL1 (shown as ".."), ".." DATASYMBOL2 ("..."), "-" DATASYMBOLNIL
    assert rows[("0", "male", "larerarsverk", 2022)]["status"] == ".."
    assert rows[("0", "male", "larerarsverk", 2023)]["status"] == "..."
    assert rows[("EAKUO", "total", "larerarsverk", 2023)] | {} == {
        **rows[("EAKUO", "total", "larerarsverk", 2023)],
        "value": 0.0,
        "status": "-",
    }
    assert _levels(table)["EAKUO"] == "kostra_group"
    assert table.variable("larerarsverk").unit == "årsverk"
    assert table.variable("elever").unit == "person"
    assert table.meta.extra["elimination"] == {"kjønn": "Begge kjønn"}
    assert table.meta.extra["notes"] == ["Tallene for skoleåret 2023-2024 er foreløpige."]
    english = read_px(data_dir / "12274_school_years_utf8.px", language="en")
    assert english.meta.title.startswith("12274: Pupils")
    assert english.num_rows == 24
    assert set(english.variable_ids()) == {"elever", "larerarsverk"}


def test_sub_year_tables_survive_every_exporter(data_dir: Path, tmp_path: Path) -> None:
    from samhandling.exporters import export

    for table in (
        read_statbank_csv(data_dir / "12909_quarters_long_semicolon_latin1.csv"),
        read_statbank_csv(data_dir / "03024_weeks_en_tab.csv"),
        read_statbank_csv(data_dir / "12274_school_years_semicolon.csv"),
    ):
        for suffix in (".parquet", ".csv", ".json"):
            back = sh.read(export(table, tmp_path / f"t{suffix}"))
            assert back.equals(table), suffix
            assert back.period == table.period
        workbook = export(table, tmp_path / "t.xlsx")
        assert workbook.stat().st_size > 0


def test_jsonstat_in_memory_with_a_school_year_time_dimension() -> None:
    document = {
        "version": "2.0",
        "class": "dataset",
        "label": "Elever",
        "id": ["Tid"],
        "size": [2],
        "role": {"time": ["Tid"]},
        "dimension": {"Tid": {"label": "skoleår", "category": {"index": ["2022-2023", "2023-2024"]}}},
        "value": [1, 2],
    }
    table = read_jsonstat(document)
    assert table.period == "school_year"
    assert table.years() == [2022, 2023]


@pytest.mark.parametrize("year", [2019, 2022, 2024])
def test_a_title_with_a_note_after_its_dimensions(year: int) -> None:
    # "07459: Befolkning, etter region, alder, statistikkvariabel og år (syntetiske eksempeltall)"
    path = Path(__file__).parents[3] / "examples" / "data" / f"07459-population-{year}.csv"
    table = read_statbank_csv(path)
    assert table.years() == [year]
    assert table.variable_ids() == ["population"]


def test_a_large_answer_whose_dimension_comes_after_64_kib_of_values(
    tmp_path: Path, pm: PluginManager
) -> None:
    import json

    from samhandling_kostra.sources import JsonStatSource

    years = [str(y) for y in range(1900, 2025)]
    regions = [f"{3000 + i:04d}" for i in range(160)]
    values = [float(i % 997) for i in range(len(years) * len(regions))]
    document = {
        "value": values,
        "version": "2.0",
        "class": "dataset",
        "label": "Personer",
        "id": ["Region", "Tid"],
        "size": [len(regions), len(years)],
        "role": {"geo": ["Region"], "time": ["Tid"]},
        "dimension": {
            "Region": {"category": {"index": regions}},
            "Tid": {"category": {"index": years}},
        },
    }
    path = tmp_path / "late.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert path.read_text("utf-8").index('"dimension"') > 1 << 16
    assert JsonStatSource().can_read(path)
    table = sh.read(path, plugin_manager=pm)
    assert table.num_rows == len(values)
    rows = _rows(table, "region", "year")
    assert rows[("3001", 1901)]["value"] == values[len(years) + 1]
