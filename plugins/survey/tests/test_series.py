"""Several survey years into one time series with the same variable ids."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest
from samhandling_survey import read_survey, read_survey_series
from samhandling_survey.example import ExampleFiles

import samhandling as sh
from samhandling.errors import DuplicateKeyError, ParseError
from samhandling.plugins import PluginManager


def test_two_years_make_one_series(examples: ExampleFiles) -> None:
    series = read_survey_series(examples.all_survey_files)
    assert series.years() == [2022, 2023]
    assert series.geography_year is None  # each year keeps the codes it was reported with
    assert series.meta.extra["survey_years"] == [2022, 2023]
    assert len(series.provenance) == 2
    by_year = {y: set(series.where(year=y).variable_ids()) for y in (2022, 2023)}
    assert by_year[2022] == by_year[2023]
    single = read_survey(examples.survey[2022])
    assert series.where(year=2022).num_rows == single.num_rows


def test_the_order_of_the_files_does_not_matter(examples: ExampleFiles) -> None:
    forward = read_survey_series(examples.all_survey_files)
    backward = read_survey_series(list(reversed(examples.all_survey_files)))
    assert forward.equals(backward)


def test_a_folder_is_read_as_a_series_by_the_source(
    tmp_path: Path, examples: ExampleFiles, survey_pm: PluginManager
) -> None:
    for path in examples.all_survey_files:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "notat.csv").write_text("Dette er ikke en undersøkelse;\n", encoding="utf-8")
    with pytest.raises(DuplicateKeyError, match=r"region=3412, level=municipality, year=2023"):
        sh.read(tmp_path, plugin_manager=survey_pm)  # the example of 2023 has Løten twice
    series = sh.read(tmp_path, plugin_manager=survey_pm, allow_duplicates=True)
    assert series.source == "survey"
    assert series.years() == [2022, 2023]
    assert series.meta.extra["duplicate_keys"]["examples"][0]["key"]["region"] == "3412"


def test_the_same_year_twice_is_an_error(tmp_path: Path, examples: ExampleFiles) -> None:
    copy = tmp_path / "is248-2023-kopi.xlsx"
    shutil.copy(examples.survey[2023], copy)
    with pytest.raises(ParseError, match="survey year 2023 is read twice"):
        read_survey_series([examples.survey[2023], copy])


def test_harmonised_onto_a_later_map(examples: ExampleFiles) -> None:
    harmonised = read_survey_series([examples.survey[2022]], to_year=2024)
    assert harmonised.geography_year == 2024
    original = read_survey(examples.survey[2022])

    def total(table: sh.StatTable) -> float:
        rows = table.where(variable="fte", profession="total", target_group="total").arrow
        return float(pc.sum(rows.column("value")).as_py())

    assert total(harmonised) == pytest.approx(total(original))


def test_own_specs_for_some_years(tmp_path: Path, examples: ExampleFiles) -> None:
    renamed = tmp_path / "svar-innlandet.xlsx"  # no year in the name
    shutil.copy(examples.survey[2023], renamed)
    own = tmp_path / "min-2023.toml"
    own.write_text('extends = 2023\n[layout]\nsheet = "Kommuner"\n', encoding="utf-8")
    series = read_survey_series([examples.survey[2022], renamed], specs={2023: own})
    assert series.years() == [2022, 2023]
    assert any(f"spec {own}" in p.note for p in series.provenance)
