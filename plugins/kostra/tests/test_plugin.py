"""The plugin as a third party would use it: entry point, hooks, conformance and samhandling.read."""

from __future__ import annotations

from pathlib import Path

import pytest

import samhandling as sh
from samhandling.catalogue import variables
from samhandling.errors import ParseError
from samhandling.plugins import PluginManager, get_plugin_manager, list_plugins
from samhandling.sources import sources
from samhandling.testing import check_source


@pytest.fixture
def pm() -> PluginManager:
    import samhandling_kostra

    return get_plugin_manager(autoload=False, extra=[samhandling_kostra])


def test_entry_point_loads() -> None:
    from importlib import metadata

    (entry_point,) = [e for e in metadata.entry_points(group="samhandling.plugins") if e.name == "kostra"]
    module = entry_point.load()
    import samhandling_kostra

    assert module is samhandling_kostra
    pm = get_plugin_manager(autoload=False, extra=[module])
    info = {p.name: p for p in list_plugins(pm)}
    assert {"samhandling_register_sources", "samhandling_register_variables"} <= set(
        info["samhandling_kostra"].hooks
    )


def test_sources_and_variables_are_registered(pm: PluginManager) -> None:
    names = [s.name for s in sources(pm)]
    assert {"ssb-csv", "jsonstat", "ssb-px", "ssb-api"} <= set(names)
    catalogue = variables(pm)
    assert catalogue["ohd_beds"].unit == "plass"
    assert catalogue["care_fte_per_10000"].denominator == "population"
    assert catalogue.entry("care_fte").plugin == "samhandling_kostra"


@pytest.mark.parametrize(
    ("source", "file"),
    [
        ("ssb-csv", "12228_long_semicolon_latin1.csv"),
        ("ssb-csv", "07459_wide_years_comma_utf8bom.csv"),
        ("ssb-csv", "11924_wide_variables_semicolon_utf8.csv"),
        ("ssb-csv", "11875_tab_years_cp1252.csv"),
        ("jsonstat", "07459_dataset.json"),
        ("jsonstat", "12228_sparse.json"),
        ("jsonstat", "collection.json"),
        ("jsonstat", "11111_jsonstat1_dataset_months.json"),
        ("jsonstat", "12909_quarters_late_dimension.json"),
        ("ssb-csv", "07459_k_prefix_pseudo_regions_tab_latin1.csv"),
        ("ssb-csv", "12274_school_years_semicolon.csv"),
        ("ssb-px", "12274_school_years_utf8.px"),
    ],
)
def test_sources_pass_the_conformance_check(
    pm: PluginManager, data_dir: Path, source: str, file: str
) -> None:
    table = check_source(pm.registry.sources[source], data_dir / file)
    assert table.num_rows > 0


def test_samhandling_read_picks_the_source(pm: PluginManager, data_dir: Path) -> None:
    csv = sh.read(data_dir / "07459_wide_years_comma_utf8bom.csv", plugin_manager=pm)
    assert csv.source == "ssb-csv"
    ssb_json = sh.read(data_dir / "07459_dataset.json", source="jsonstat", plugin_manager=pm)
    assert ssb_json.variable_ids() == ["population"]
    with pytest.raises(ParseError, match="is not an area but a kostra group"):
        sh.read(
            data_dir / "12228_long_semicolon_latin1.csv", source="ssb-csv", plugin_manager=pm, groups="error"
        )


def test_csv_files_of_other_kinds_are_left_to_other_sources(tmp_path: Path, data_dir: Path) -> None:
    from samhandling_kostra.sources import JsonStatSource, PxSource, PxWebSource, StatbankCsvSource

    survey_like = tmp_path / "is248.csv"
    survey_like.write_text("kommunenr;navn;fte\n3301;Drammen;3\n", encoding="utf-8")
    csv_source = StatbankCsvSource()
    assert not csv_source.can_read(survey_like)
    assert not csv_source.can_read(data_dir / "07459_dataset.json")
    assert csv_source.can_read(data_dir / "11875_tab_years_cp1252.csv")
    assert not JsonStatSource().can_read(data_dir / "11875_tab_years_cp1252.csv")
    assert PxWebSource().can_read("https://data.ssb.no/api/pxwebapi/v2/tables/07459/data?lang=no")
    assert PxSource().can_read(data_dir / "12274_school_years_utf8.px")
    assert not PxSource().can_read(data_dir / "11875_tab_years_cp1252.csv")
    assert not csv_source.can_read(data_dir / "12274_school_years_utf8.px")
    assert not PxWebSource().can_read("https://data.ssb.no/api/pxwebapi/v2/tables/07459/metadata")
