"""The example files: written by the documented generator, and every planted error is found."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from samhandling_survey import read_survey, read_survey_series
from samhandling_survey.example import PLANTED, ExampleFiles, write_example_files

import samhandling as sh
import samhandling.plugins as plugins_module
from samhandling.checks import CheckContext, Finding, Severity, run_checks
from samhandling.cli import main
from samhandling.exporters.parquet import ParquetSource
from samhandling.plugins import PluginManager


def test_the_shipped_files_are_what_the_generator_writes(tmp_path: Path, examples: ExampleFiles) -> None:
    fresh = write_example_files(tmp_path)
    for year in (2022, 2023):
        assert read_survey(fresh.survey[year]).equals(read_survey(examples.survey[year]))
    assert fresh.survey[2022].read_bytes() == examples.survey[2022].read_bytes()
    assert ParquetSource().read(fresh.population).equals(ParquetSource().read(examples.population))


def test_the_files_look_like_real_exports(examples: ExampleFiles) -> None:
    raw = examples.survey[2022].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Windows-1252, as Excel saves it
    assert "Årsverk etter målgruppe" in raw.decode("cp1252")
    import openpyxl

    sheet = openpyxl.load_workbook(examples.survey[2023])["Kommuner"]
    merged = [str(r) for r in sheet.merged_cells.ranges]
    assert "A3:A4" in merged
    assert any(r.startswith("C3:") for r in merged)
    assert (
        sum(1 for row in sheet.iter_rows(min_row=5, values_only=True) for cell in row[:27] if cell is None)
        > 5
    )


def _found(findings: list[Finding]) -> set[tuple[str, str | None, int | None]]:
    return {(f.rule, f.region, f.year) for f in findings if f.severity is not Severity.INFO}


def test_the_checks_find_exactly_the_planted_errors(examples: ExampleFiles, survey_pm: PluginManager) -> None:
    series = read_survey_series(examples.all_survey_files)
    population = sh.read(examples.population, plugin_manager=survey_pm)
    findings = run_checks(series, context=CheckContext(population=population), plugin_manager=survey_pm)
    assert _found(findings) == {(p.rule, p.region, p.year) for p in PLANTED}
    for planted in PLANTED:
        matching = [
            f for f in findings if (f.rule, f.region, f.year) == (planted.rule, planted.region, planted.year)
        ]
        if planted.variable is not None:
            assert any(f.variable == planted.variable for f in matching), planted
        assert all(f.message for f in matching)


def test_a_clean_year_has_no_findings(examples: ExampleFiles, survey_pm: PluginManager) -> None:
    population = sh.read(examples.population, plugin_manager=survey_pm)
    table = read_survey(examples.survey[2022])
    findings = run_checks(table, context=CheckContext(population=population), plugin_manager=survey_pm)
    assert findings == []


@pytest.fixture
def cli_pm(monkeypatch: pytest.MonkeyPatch, survey_pm: PluginManager) -> PluginManager:
    """The command line uses the default plugin manager: make it the built-ins and this plugin."""
    monkeypatch.setattr(plugins_module, "_default_plugin_manager", lambda: survey_pm)
    return survey_pm


def test_samhandling_check_on_the_example(
    tmp_path: Path, examples: ExampleFiles, cli_pm: PluginManager
) -> None:
    out = tmp_path / "funn.csv"
    args = [
        "check",
        *map(str, examples.all_survey_files),
        "--population",
        str(examples.population),
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(main, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "3412 Løten" in result.output
    assert "3421 Trysil" in result.output
    text = out.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "severity,rule,region,name,variable,year,message,values,location"
    for planted in PLANTED:
        assert any(f"{planted.rule},{planted.region}," in line for line in lines), planted
    assert "is248-2023.xlsx" in text
    strict = CliRunner().invoke(main, [*args, "--strict"])
    assert strict.exit_code == 1


def test_samhandling_check_strict_passes_a_clean_file(examples: ExampleFiles, cli_pm: PluginManager) -> None:
    args = ["check", str(examples.survey[2022]), "--population", str(examples.population), "--strict"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "No findings" in result.output


def test_samhandling_check_without_population_notes_it(examples: ExampleFiles, cli_pm: PluginManager) -> None:
    result = CliRunner().invoke(
        main, ["check", str(examples.survey[2022]), "--strict"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output  # information does not fail --strict
    assert "no population given" in result.output
