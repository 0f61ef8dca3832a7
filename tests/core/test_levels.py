"""Rows that are not areas (pseudo-regions, grouped codes, KOSTRA groups, historical districts) next to
areas: valid in a StatTable, passed through by harmonise, not counted by roll-up."""

from __future__ import annotations

import pytest

import samhandling as sh
from samhandling.errors import SchemaError
from samhandling.levels import AREA_LEVELS, LEVEL_ORDER, NON_AREA_LEVELS, Level
from samhandling.tables import StatTable, Variable

ROWS = {
    "3301": "municipality",
    "3303": "municipality",
    "Rest": "unallocated",
    "21-22": "unallocated",
    "9999": "unallocated",
    "EKG13": "kostra_group",
    "EAKUO": "kostra_group",
    "02-03": "region_group",
    "030101:1988-2003": "historical_district",
}


def _table(values: list[float] | None = None) -> StatTable:
    return StatTable.from_pydict(
        {
            "region": list(ROWS),
            "level": list(ROWS.values()),
            "year": [2024] * len(ROWS),
            "variable": ["users"] * len(ROWS),
            "value": values or [float(i) for i in range(len(ROWS))],
        },
        geography_year=2024,
        variables=[Variable(id="users", unit="bruker")],
    )


def test_the_levels() -> None:
    assert set(AREA_LEVELS) | set(NON_AREA_LEVELS) == set(Level)
    assert LEVEL_ORDER == AREA_LEVELS  # from the country down to the city district
    assert _table().levels() == [
        "municipality",
        "unallocated",
        "kostra_group",
        "region_group",
        "historical_district",
    ]


def test_harmonise_passes_rows_that_are_not_areas_through() -> None:
    harmonised = sh.harmonise(_table(), to_year=2025)
    kept = {row["region"]: (row["level"], row["value"]) for row in harmonised.to_pylist()}
    assert kept["Rest"] == ("unallocated", 2.0)
    assert kept["030101:1988-2003"] == ("historical_district", 8.0)
    assert kept["EKG13"] == ("kostra_group", 5.0)


def test_roll_up_counts_the_areas_only() -> None:
    # the table holds two of Buskerud's municipalities: keep the partial sums to see what was counted
    county = sh.roll_up(_table(), "county", partial="keep")
    assert [(row["region"], row["value"]) for row in county.to_pylist()] == [("33", 1.0)]  # 3301 + 3303
    national = sh.roll_up(_table(), "national", partial="keep")
    assert national.to_pylist()[0]["value"] == 1.0


def test_a_sum_that_overflows_a_float64_is_refused() -> None:
    huge = _table([1e308, 1e308, *[0.0] * (len(ROWS) - 2)])
    with pytest.raises(SchemaError, match="larger than a float64 can hold"):
        sh.roll_up(huge, "county", partial="keep")
