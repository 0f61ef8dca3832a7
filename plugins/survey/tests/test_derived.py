"""FTEs per 10,000 inhabitants of the target group's ages, and the check of their band."""

from __future__ import annotations

import pytest
from samhandling_survey import fte_per_10000, read_survey
from samhandling_survey.derived import FtePer10000
from samhandling_survey.example import ExampleFiles

import samhandling as sh
from samhandling.checks import CheckContext, Severity
from samhandling.errors import Parameter, SchemaError
from samhandling.plugins import PluginManager
from samhandling.tables import StatTable


def _population(examples: ExampleFiles, pm: PluginManager) -> StatTable:
    return sh.read(examples.population, plugin_manager=pm)


def test_rates_divide_by_the_ages_of_the_target_group(
    examples: ExampleFiles, survey_pm: PluginManager
) -> None:
    table = read_survey(examples.survey[2022])
    population = _population(examples, survey_pm)
    rates = fte_per_10000(table, population)
    assert rates.variable_ids() == ["fte_per_10000"]
    assert rates.variable("fte_per_10000").denominator == "population"
    people: dict[tuple[str, str], float] = {}
    for row in population.where(year=2022).to_pylist():
        people[(row["region"], row["age"])] = row["value"]
    fte = {
        (r["region"], r["target_group"]): r["value"]
        for r in table.where(variable="fte", profession="total").to_pylist()
    }
    ages = {"total": ("0-17", "18-66", "67+"), "adults": ("18-66", "67+"), "children_young": ("0-17",)}
    checked = 0
    for row in rates.to_pylist():
        key = (row["region"], row["target_group"])
        inhabitants = sum(people[(row["region"], band)] for band in ages[row["target_group"]])
        assert row["value"] == pytest.approx(10000 * fte[key] / inhabitants)
        assert row["profession"] == "total"
        checked += 1
    assert checked == 3 * 46


def test_a_table_without_fte_by_target_group_is_refused(
    survey_pm: PluginManager, examples: ExampleFiles
) -> None:
    table = read_survey(examples.survey[2022]).variables_subset(["users"])
    with pytest.raises(SchemaError, match="needs variable 'fte'"):
        fte_per_10000(table, _population(examples, survey_pm))


def test_the_check_wants_a_population(examples: ExampleFiles) -> None:
    findings = FtePer10000().run(read_survey(examples.survey[2022]), CheckContext())
    assert [(f.severity, f.rule) for f in findings] == [(Severity.INFO, "fte-per-10000")]
    assert findings[0].needs == (Parameter(name="population", owner="CheckContext"),)
    assert findings[0].describe().endswith("(give CheckContext(population=...))")
    assert findings[0].describe(lambda p: f"--{p.name} FILE").endswith("(give --population FILE)")


def test_a_declared_band_is_used_instead_of_the_fences(
    examples: ExampleFiles, survey_pm: PluginManager
) -> None:
    table = read_survey(examples.survey[2022])
    population = _population(examples, survey_pm)
    rates = {
        (r["region"], r["target_group"]): r["value"] for r in fte_per_10000(table, population).to_pylist()
    }
    high = sorted(rates.values())[-5]
    context = CheckContext(
        population=population, options={"fte-per-10000": {"bands": {"fte_per_10000": [0, high]}}}
    )
    findings = FtePer10000().run(table, context)
    expected = {key for key, value in rates.items() if value > high}
    assert {(f.region, f.values["target_group"]) for f in findings} == expected
    assert all(f.rule == "fte-per-10000" and f.values["high"] == pytest.approx(high) for f in findings)
    assert len(expected) == 4
