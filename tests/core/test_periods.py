"""Periods: SSB's period codes, and the sub-year columns and school years of a StatTable (schema 2)."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from samhandling.errors import SchemaError
from samhandling.periods import Period, PeriodKind, UnreadablePeriod, parse_period, period_labels
from samhandling.tables import SCHEMA_VERSION, StatTable, TableMeta, Variable


@pytest.mark.parametrize(
    ("text", "year", "kind", "part", "label"),
    [
        ("2024", 2024, "year", None, "2024"),
        ("2024M03", 2024, "month", 3, "2024M03"),
        ("2024K1", 2024, "quarter", 1, "2024K1"),
        ("2024Q4", 2024, "quarter", 4, "2024K4"),
        ("2014U30", 2014, "week", 30, "2014U30"),
        ("2020W53", 2020, "week", 53, "2020U53"),
        ("2022-2023", 2022, "school_year", None, "2022-2023"),
        ("2022/23", 2022, "school_year", None, "2022-2023"),
        ("1999-2000", 1999, "school_year", None, "1999-2000"),
    ],
)
def test_ssb_period_codes(text: str, year: int, kind: str, part: int | None, label: str) -> None:
    period = parse_period(text)
    assert (period.year, period.kind.value, period.part, period.label) == (year, kind, part, label)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024M13", "month 13; a month is numbered 1–12"),
        ("2024K5", "quarter 5"),
        ("2024U54", "week 54"),
        ("2024H1", "is a half-year"),
        ("2024T2", "tertial"),
        ("2020-2023", "a span of 4 years"),
        ("januar 2024", "is not a period"),
    ],
)
def test_periods_a_table_cannot_hold_are_named(text: str, message: str) -> None:
    with pytest.raises(UnreadablePeriod, match=message):
        parse_period(text)


def test_period_labels_are_whole_column_kernels() -> None:
    years = pa.array([2024, 2024, 2023], pa.int16())
    assert period_labels(years, pa.array([1, None, 12], pa.int8()), kind="month").to_pylist() == [
        "2024M01",
        "2024",
        "2023M12",
    ]
    assert period_labels(years, pa.array([1, 2, 3], pa.int8()), kind="quarter").to_pylist() == [
        "2024K1",
        "2024K2",
        "2023K3",
    ]
    assert period_labels(years, kind=PeriodKind.SCHOOL_YEAR).to_pylist() == [
        "2024-2025",
        "2024-2025",
        "2023-2024",
    ]
    assert Period(year=2014, kind=PeriodKind.WEEK, part=5).label == "2014U05"


def _table(column: str | None, values: list[int], **meta: object) -> StatTable:
    data: dict[str, list[object]] = {
        "region": ["3301"] * len(values),
        "level": ["municipality"] * len(values),
        "year": [2024] * len(values),
        "variable": ["x"] * len(values),
        "value": [1.0] * len(values),
    }
    if column:
        data[column] = list(values)
    return StatTable.from_pydict(data, variables=[Variable(id="x")], **meta)


def test_quarters_and_weeks_are_int8_columns_beside_the_year() -> None:
    quarters = _table("quarter", [1, 2, 3, 4])
    assert quarters.columns[:4] == ["region", "level", "year", "quarter"]
    assert quarters.arrow.schema.field("quarter").type == pa.int8()
    assert (quarters.sub_year, quarters.period) == ("quarter", PeriodKind.QUARTER)
    assert "quarter" not in quarters.dimensions
    weeks = _table("week", [1, 53])
    assert weeks.period_labels().to_pylist() == ["2024U01", "2024U53"]


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("quarter", [0], r"column 'quarter' must be 1–4, found 0"),
        ("week", [54], r"column 'week' must be 1–53, found 54"),
        ("month", [13], r"column 'month' must be 1–12, found 13"),
    ],
)
def test_sub_year_values_out_of_range_are_refused(column: str, values: list[int], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        _table(column, values)


def test_one_sub_year_column_per_table_and_school_years_in_the_metadata() -> None:
    months = _table("month", [1])
    quarters = _table("quarter", [1])
    with pytest.raises(SchemaError, match=r"at most one sub-year column, found \['month', 'quarter'\]"):
        StatTable.concat([months, quarters])
    school = _table(None, [1], meta=TableMeta(period="school_year", variables=[Variable(id="x")]))
    assert school.period is PeriodKind.SCHOOL_YEAR
    assert school.period_labels().to_pylist() == ["2024-2025"]
    with pytest.raises(SchemaError, match="a school year is not a calendar year"):
        StatTable.concat([school, _table(None, [1])])
    with pytest.raises(
        SchemaError, match="the metadata says the periods are school years, but the table has the column"
    ):
        _table("month", [1], meta=TableMeta(period="school_year", variables=[Variable(id="x")]))
    with pytest.raises(SchemaError, match="is not a period kind"):
        TableMeta(period="decade")


def test_version_2_metadata_and_version_1_tables_still_load() -> None:
    school = _table(None, [1], meta=TableMeta(period="school_year", variables=[Variable(id="x")]))
    payload = json.loads(school.meta.to_json())
    assert payload["schema_version"] == SCHEMA_VERSION == 2
    assert payload["period"] == "school_year"
    version_1 = json.dumps({"schema_version": 1, "source": "old", "geography_year": 2023, "variables": {}})
    meta = TableMeta.from_json(version_1)
    assert meta.period is None
    assert "period" not in json.loads(_table("month", [2]).meta.to_json())  # what the columns say
