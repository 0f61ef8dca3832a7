"""Weighted averages of rates over groups of areas (KOSTRA groups, the country without Oslo)."""

from __future__ import annotations

import pytest

import samhandling as sh
from samhandling.averages import national_without_oslo
from samhandling.errors import NonAdditiveError
from samhandling.tables import StatTable, Variable

RATE = Variable(id="share", unit="percent", additive=False, label="Andel med individuell plan")
POPULATION = Variable(id="population", unit="person")


def _table(values: list[float | None], statuses: list[str | None], population: list[float]) -> StatTable:
    regions = ["0301", "3301", "3303"]
    return StatTable.from_pydict(
        {
            "region": regions * 2,
            "level": ["municipality"] * 6,
            "year": [2024] * 6,
            "variable": ["share"] * 3 + ["population"] * 3,
            "value": [*values, *population],
            "status": [*statuses, None, None, None],
        },
        geography_year=2024,
        variables=[RATE, POPULATION],
    )


def _by_region(table: StatTable) -> dict[str, tuple[float | None, str | None]]:
    return {row["region"]: (row["value"], row["status"]) for row in table.to_pylist()}


def test_the_value_of_a_group_is_the_weighted_mean_of_its_members() -> None:
    table = _table([10.0, 20.0, 40.0], [None, None, None], [700_000, 100_000, 30_000])
    result = sh.weighted_average(
        table, {"EKG13": ["3301", "3303"], "ALL": ["0301", "3301", "3303"]}, weights={"share": "population"}
    )
    got = _by_region(result)
    assert got["EKG13"][0] == pytest.approx((20 * 100_000 + 40 * 30_000) / 130_000)
    assert got["ALL"][0] == pytest.approx((10 * 700_000 + 20 * 100_000 + 40 * 30_000) / 830_000)
    assert set(result.levels()) == {"kostra_group"}
    assert result.variable("share") == RATE  # unit and additivity kept
    assert result.variable_ids() == ["share"]


def test_statuses_travel_or_members_are_left_out_and_listed() -> None:
    table = _table([10.0, 20.0, None], [None, None, ":"], [700_000, 100_000, 30_000])
    groups = {"EKG13": ["3301", "3303"], "ONLY": ["3303"]}
    assert _by_region(sh.weighted_average(table, groups, weights={"share": "population"})) == {
        "EKG13": (None, ":"),
        "ONLY": (None, ":"),
    }
    excluded = sh.weighted_average(table, groups, weights={"share": "population"}, missing="exclude")
    assert _by_region(excluded) == {"EKG13": (20.0, None), "ONLY": (None, "..")}
    assert excluded.meta.extra["weighted_average_excluded"] == {"EKG13": ["3303"], "ONLY": ["3303"]}


def test_weights_from_another_table_and_a_zero_weight() -> None:
    rates = _table([10.0, 20.0, 40.0], [None, None, None], [1, 1, 1]).variables_subset(["share"])
    population = StatTable.from_pydict(
        {
            "region": ["0301", "3301", "3303"],
            "level": ["municipality"] * 3,
            "year": [2024] * 3,
            "age": ["total"] * 3,
            "variable": ["population"] * 3,
            "value": [0.0, 0.0, 10.0],
            "status": ["-", "-", None],
        },
        variables=[POPULATION],
    )
    result = sh.weighted_average(
        rates,
        {"A": ["0301", "3301"], "B": ["3301", "3303"]},
        weights={"share": "population"},
        weight_table=population,
    )
    assert _by_region(result) == {"A": (None, ".."), "B": (40.0, None)}


def test_only_rates_are_averaged_and_only_counts_weigh() -> None:
    table = _table([10.0, 20.0, 40.0], [None, None, None], [1, 1, 1])
    with pytest.raises(
        NonAdditiveError, match=r"'population' is additive .* sum it over the areas with roll_up"
    ):
        sh.weighted_average(table, {"A": ["0301"]}, weights={"population": "population"})
    with pytest.raises(NonAdditiveError, match="the weight 'share' of 'share' is not additive"):
        sh.weighted_average(table, {"A": ["0301"]}, weights={"share": "share"})


def test_the_country_without_oslo() -> None:
    groups = national_without_oslo(2024)
    assert list(groups) == ["EAKUO"]
    assert "0301" not in groups["EAKUO"]
    assert "3301" in groups["EAKUO"]
    every = sh.Geography.for_year(2024).codes("municipality")
    assert set(groups["EAKUO"]) == set(every) - {"0301", "9999"}
