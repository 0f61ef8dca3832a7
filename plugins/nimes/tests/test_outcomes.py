"""Before/after outcome series for a cooperation team, on a small extract with known answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import samhandling_nimes as nimes

from samhandling.errors import ParseError, SchemaError


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    d = dt.date
    stays = pa.table(
        {
            "patient_id": ["t1", "t1", "t2", "t2", "c1", "x9"],
            "municipality": ["3305", "3305", "3305", "3305", "3305", "0301"],
            "unit": ["RDPS", "LIER", "RDPS", "RDPS", "RDPS", "RDPS"],
            # team started 1 March 2024
            "admitted": pa.array(
                [d(2024, 1, 5), d(2024, 2, 27), d(2023, 12, 20), d(2024, 4, 2), d(2024, 3, 9), d(2024, 1, 1)]
            ),
            "discharged": pa.array(
                [d(2024, 1, 10), d(2024, 3, 4), d(2024, 1, 2), None, d(2024, 3, 10), d(2024, 1, 30)],
                pa.date32(),
            ),
            "acute": [True, True, True, False, True, True],
            "involuntary": [False, True, False, False, False, True],
        }
    )
    path = tmp_path / "team.parquet"
    pq.write_table(stays, path)
    return path


def value(table: object, group: str, variable: str, relative: int) -> float:
    from samhandling.tables import StatTable

    assert isinstance(table, StatTable)
    rows = table.where(patient_group=group, variable=variable, relative_month=relative).arrow
    return float(sum(rows.column("value").to_pylist()))


def test_series_around_the_start(extract: Path) -> None:
    table = nimes.before_after(
        extract,
        start="2024-03-01",
        patients={"t1": "team", "t2": "team", "c1": "comparison"},
        months_before=3,
        months_after=2,
        observed_until=dt.date(2024, 4, 12),
    )
    assert table.meta.extra["group_sizes"] == {"team": 2, "comparison": 1}
    assert sorted(set(table.arrow.column("relative_month").to_pylist())) == [-3, -2, -1, 0, 1]
    # team: acute admissions Jan (t1) and Feb (t1); t2's December admission is month -3
    assert value(table, "team", "acute_admissions", -3) == 1
    assert value(table, "team", "acute_admissions", -2) == 1
    assert value(table, "team", "acute_admissions", -1) == 1
    assert value(table, "team", "acute_admissions", 0) == 0
    # bed-days: t2 20 Dec → 2 Jan gives 12 nights in December and 1 in January; t1 5 nights in January
    assert value(table, "team", "bed_days", -3) == 12
    assert value(table, "team", "bed_days", -2) == 6
    # t1 27 Feb → 4 Mar: 3 nights in February (leap year), 3 in March; t2 still in from 2 Apr to 12 Apr
    assert value(table, "team", "bed_days", -1) == 3
    assert value(table, "team", "bed_days", 0) == 3
    assert value(table, "team", "bed_days", 1) == 10
    assert value(table, "team", "involuntary_stays", -1) == 1
    assert value(table, "comparison", "acute_admissions", 0) == 1
    # x9 lives in Oslo and is in no group
    assert set(table.arrow.column("region").to_pylist()) == {"3305"}
    periods = dict(
        zip(table.arrow.column("relative_month").to_pylist(), table.arrow.column("period").to_pylist())
    )
    assert periods[-1] == "before"
    assert periods[0] == "after"

    summary = nimes.summarise_before_after(table).to_pylist()
    team_acute = next(
        r for r in summary if r["patient_group"] == "team" and r["variable"] == "acute_admissions"
    )
    assert team_acute["before"] == 3
    assert team_acute["after"] == 0
    assert team_acute["before_per_month"] == 1.0
    assert team_acute["change_per_month_percent"] == -100.0


def test_everyone_or_a_municipality(extract: Path) -> None:
    table = nimes.before_after(
        extract, start=dt.date(2024, 3, 1), municipalities=["0301"], months_before=3, months_after=1
    )
    assert table.meta.extra["group_sizes"] == {"all": 1}
    assert value(table, "all", "involuntary_stays", -2) == 1
    assert value(table, "all", "bed_days", -2) == 29


def test_bad_arguments(extract: Path) -> None:
    with pytest.raises(SchemaError, match="not both"):
        nimes.before_after(extract, start="2024-03-01", patients=["t1"], group_column="unit")
    with pytest.raises(SchemaError, match="not a date"):
        nimes.before_after(extract, start="1. mars")
    with pytest.raises(ParseError, match="no stays"):
        nimes.before_after(extract, start="2024-03-01", patients=["nobody"])


def test_groups_from_a_column(extract: Path) -> None:
    table = nimes.before_after(
        extract, start="2024-03-01", group_column="unit", months_before=3, months_after=2
    )
    assert table.meta.extra["group_sizes"] == {"RDPS": 4, "LIER": 1}
    assert value(table, "LIER", "involuntary_stays", -1) == 1
    assert value(table, "RDPS", "acute_admissions", 0) == 1  # c1 in March
