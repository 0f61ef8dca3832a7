"""The plugin as installed: its entry point, what it registers and the source contract."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
import samhandling_survey
from click.testing import CliRunner
from samhandling_survey import SurveySource, SurveySpec, shipped_years, spec_text
from samhandling_survey.example import ExampleFiles

import samhandling.plugins as plugins_module
from samhandling.cli import main
from samhandling.plugins import ENTRY_POINT_GROUP, PluginManager, get_plugin_manager, list_plugins
from samhandling.sources import find_source
from samhandling.testing import check_source


def test_the_entry_point_loads_the_plugin() -> None:
    (entry_point,) = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == "survey"]
    assert entry_point.load() is samhandling_survey
    pm = get_plugin_manager(autoload=False, extra=[entry_point.load()])
    info = {i.name: i for i in list_plugins(pm)}["samhandling_survey"]
    assert set(info.hooks) == {
        "samhandling_register_sources",
        "samhandling_register_variables",
        "samhandling_register_checks",
        "samhandling_register_commands",
    }


def test_registers_source_variables_and_check(survey_pm: PluginManager) -> None:
    registry = survey_pm.registry
    assert "survey" in registry.sources
    assert "fte-per-10000" in registry.checks
    for vid in ("fte", "fte_share_higher_education", "uses_coordinator", "users"):
        assert vid in registry.variables
    assert (
        registry.variables["fte_share_relevant_further_education"].numerator
        == "fte_relevant_further_education"
    )


def test_the_source_keeps_the_contract(examples: ExampleFiles) -> None:
    for path in examples.all_survey_files:
        table = check_source(SurveySource(), path)
        assert table.source == "survey"


def test_the_source_is_chosen_for_survey_files_only(
    tmp_path: Path, examples: ExampleFiles, survey_pm: PluginManager
) -> None:
    assert find_source(examples.survey[2023], plugin_manager=survey_pm).name == "survey"
    assert find_source(examples.population, plugin_manager=survey_pm).name == "parquet"
    other = tmp_path / "statbank.csv"
    other.write_text('"region";"år";"Folkemengde"\n"3401 Kongsvinger";"2023";"18000"\n', encoding="utf-8")
    source = SurveySource()
    assert not source.can_read(other)
    assert not source.can_read("https://data.ssb.no/api/v0/no/table/07459")
    assert not source.can_read(tmp_path / "finnes-ikke.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    assert not source.can_read(broken)


def test_the_survey_command(
    tmp_path: Path, survey_pm: PluginManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugins_module, "_default_plugin_manager", lambda: survey_pm)
    runner = CliRunner()
    listed = runner.invoke(main, ["survey", "spec"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.split() == [str(y) for y in shipped_years()]
    printed = runner.invoke(main, ["survey", "spec", "2023"])
    assert printed.output == spec_text(2023)
    written = runner.invoke(main, ["survey", "spec", "2022", "-o", str(tmp_path)])
    assert written.exit_code == 0
    assert SurveySpec.from_toml(tmp_path / "is248-2022.toml").year == 2022
    missing = runner.invoke(main, ["survey", "spec", "1990"])
    assert missing.exit_code == 1
    assert "no column specification is shipped for survey year 1990" in missing.output
    example = runner.invoke(main, ["survey", "example", str(tmp_path / "eksempel")])
    assert example.exit_code == 0, example.output
    assert sorted(p.name for p in (tmp_path / "eksempel").iterdir()) == [
        "is248-2022.csv",
        "is248-2023.xlsx",
        "population-innlandet.parquet",
    ]
