"""harmonise(): mergers summed, divisions shared by population, rates recomputed, errors that say why."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samhandling as sh
from samhandling.errors import NonAdditiveError, SchemaError, UnknownCodeError, YearNotCoveredError
from samhandling.geography import Geography, SplitAreaError, compose, harmonise
from samhandling.geography.population import population
from samhandling.tables import StatTable, Variable

ADMISSIONS = Variable(id="admissions", unit="opphold")
FTE = Variable(id="fte", unit="årsverk")
SHARE = Variable(
    id="fte_per_admission",
    unit="percent",
    additive=False,
    numerator="fte",
    denominator="admissions",
    scale=100,
)
RATE_ONLY = Variable(id="rate", unit="percent", additive=False)


def _values(result: StatTable) -> dict[tuple[str, int, str], tuple[float | None, str | None]]:
    return {(r["region"], r["year"], r["variable"]): (r["value"], r["status"]) for r in result.to_pylist()}


def test_merger_is_summed_and_renumbering_relabelled(make_table: Any) -> None:
    source = make_table(
        [
            ("0213", 2019, "admissions", 10.0),  # Ski      → 3020 Nordre Follo (2020) → 3207 (2024)
            ("0217", 2019, "admissions", 30.0),  # Oppegård → 3020 Nordre Follo (2020) → 3207 (2024)
            ("0605", 2019, "admissions", 5.0),  # Ringerike 0605 → 3007 → 3305
            ("0605", 2019, "fte", 2.5),
        ],
        geography_year=2019,
    )
    result = harmonise(source, 2024, partial="keep")
    assert result.geography_year == 2024
    assert _values(result) == {
        ("3207", 2019, "admissions"): (40.0, None),
        ("3305", 2019, "admissions"): (5.0, None),
        ("3305", 2019, "fte"): (2.5, None),
    }
    assert result.variables == source.variables
    assert sh.harmonise is harmonise


def test_series_without_geography_year_reads_each_row_on_its_own_map(make_table: Any) -> None:
    source = make_table(
        [
            ("0605", 2019, "admissions", 1.0),
            ("3007", 2020, "admissions", 2.0),
            ("3007", 2023, "admissions", 3.0),
            ("3305", 2024, "admissions", 4.0),
        ]
    )
    result = harmonise(source, 2024, partial="keep")
    assert sorted((r["region"], r["year"], r["value"]) for r in result.to_pylist()) == [
        ("3305", 2019, 1.0),
        ("3305", 2020, 2.0),
        ("3305", 2023, 3.0),
        ("3305", 2024, 4.0),
    ]


def test_alesund_divided_by_population(make_table: Any) -> None:
    source = make_table([("1507", 2023, "admissions", 700.0)], geography_year=2023)
    population = make_table(
        [("1508", 2024, "population", 60000.0), ("1580", 2024, "population", 10000.0)],
        variables=[Variable(id="population", unit="innbygger")],
    )
    result = harmonise(source, 2024, population=population, partial="keep")
    assert _values(result) == {
        ("1508", 2023, "admissions"): (600.0, None),
        ("1580", 2023, "admissions"): (100.0, None),
    }


def test_division_without_population_uses_the_shipped_population(make_table: Any) -> None:
    # 1580 Haram (2024) is the whole former 1534 Haram (haram-2024), so SSB's population of 2019 (the last
    # year before the merger, shipped from table 07459) shares 1507 when no population is given.
    source = make_table([("1507", 2023, "admissions", 700.0)], geography_year=2023)
    result = _values(harmonise(source, 2024, partial="keep"))
    people = {r["region"]: r["value"] for r in population([2019], ages="total").to_pylist()}
    haram = people["1534"]
    rest = sum(people[code] for code in ("1504", "1523", "1529", "1546"))
    assert result[("1580", 2023, "admissions")][0] == pytest.approx(700.0 * haram / (haram + rest))
    assert result[("1508", 2023, "admissions")][0] == pytest.approx(700.0 * rest / (haram + rest))


def test_division_without_shares_is_refused(make_table: Any) -> None:
    source = make_table([("1507", 2023, "admissions", 700.0)], geography_year=2023)
    unrelated = make_table(
        [("3301", 2024, "population", 100.0)], variables=[Variable(id="population", unit="innbygger")]
    )
    with pytest.raises(SplitAreaError) as excinfo:
        harmonise(source, 2024, population=unrelated, partial="keep")
    message = str(excinfo.value)
    assert "1507 Ålesund is divided between 1508 Ålesund + 1580 Haram (change of 2024)" in message
    assert "population=" in message


def test_user_weights_explicit_shares_and_a_weights_table(make_table: Any) -> None:
    source = make_table([("1507", 2023, "admissions", 100.0)], geography_year=2023)
    explicit = pa.table({"old": ["1507", "1507"], "new": ["1508", "1580"], "weight": [0.25, 0.75]})
    assert _values(harmonise(source, 2024, weights=explicit, partial="keep")) == {
        ("1508", 2023, "admissions"): (25.0, None),
        ("1580", 2023, "admissions"): (75.0, None),
    }
    users = make_table(
        [("1508", 2024, "users", 30.0), ("1580", 2024, "users", 10.0)], variables=[Variable(id="users")]
    )
    assert _values(harmonise(source, 2024, weights=users, partial="keep"))[("1580", 2023, "admissions")] == (
        25.0,
        None,
    )
    bad = pa.table({"old": ["1507"], "new": ["1508"], "weight": [1.0]})
    with pytest.raises(SplitAreaError, match=r"weights for 1507 name \['1508'\], expected exactly"):
        harmonise(source, 2024, weights=bad, partial="keep")
    unbalanced = pa.table({"old": ["1507", "1507"], "new": ["1508", "1580"], "weight": [0.5, 0.6]})
    with pytest.raises(SplitAreaError, match=r"sum to 1\.1"):
        harmonise(source, 2024, weights=unbalanced, partial="keep")
    with pytest.raises(SchemaError, match=r"lacks \['weight'\]"):
        harmonise(source, 2024, weights=pa.table({"old": ["1507"], "new": ["1508"]}), partial="keep")


def test_tysfjord_needs_explicit_weights(make_table: Any, population_2017_2025: StatTable) -> None:
    source = make_table([("1850", 2019, "admissions", 10.0)], geography_year=2019)
    with pytest.raises(SplitAreaError, match="took in other areas too"):
        harmonise(source, 2020, population=population_2017_2025, partial="keep")
    weights = pa.table(
        {"year": [2020, 2020], "old": ["1850", "1850"], "new": ["1806", "1875"], "weight": [0.4, 0.6]}
    )
    result = _values(harmonise(source, 2020, weights=weights, partial="keep"))
    assert result[("1806", 2019, "admissions")][0] == pytest.approx(4.0)
    assert result[("1875", 2019, "admissions")][0] == pytest.approx(6.0)


def test_backwards_a_merger_becomes_a_division(make_table: Any, population_2017_2025: StatTable) -> None:
    source = make_table([("3207", 2024, "admissions", 1000.0)], geography_year=2024)
    result = _values(harmonise(source, 2019, population=population_2017_2025, partial="keep"))
    assert set(result) == {("0213", 2024, "admissions"), ("0217", 2024, "admissions")}
    pops = {r["region"]: r["value"] for r in population_2017_2025.where(year=2019).to_pylist()}
    expected_ski = 1000.0 * pops["0213"] / (pops["0213"] + pops["0217"])
    assert result[("0213", 2024, "admissions")][0] == pytest.approx(expected_ski)


def test_unknown_code_names_code_and_year(make_table: Any) -> None:
    source = make_table([("3305", 2019, "admissions", 1.0)], geography_year=2019)
    with pytest.raises(UnknownCodeError) as excinfo:
        harmonise(source, 2024, partial="keep")
    assert "municipality code '3305' did not exist in 2019 (it was in use 2024–2026)" in str(excinfo.value)
    assert "geography year is 2019" in str(excinfo.value)
    made_up = make_table([("0999", 2022, "admissions", 1.0)])
    with pytest.raises(
        UnknownCodeError, match=r"'0999' did not exist in 2022 \(it is not a code of any year"
    ):
        harmonise(made_up, 2024, partial="keep")


def test_years_outside_the_data(make_table: Any) -> None:
    source = make_table([("0301", 2016, "admissions", 1.0)])
    with pytest.raises(YearNotCoveredError, match="rows for 2016"):
        harmonise(source, 2024, partial="keep")
    with pytest.raises(YearNotCoveredError, match="year 2030 is outside"):
        harmonise(make_table([("0301", 2020, "admissions", 1.0)]), 2030, partial="keep")


def test_statuses_travel_with_the_sums(make_table: Any) -> None:
    source = make_table(
        [
            ("0213", 2019, "admissions", 10.0),
            ("0217", 2019, "admissions", None, ":"),  # suppressed part → suppressed sum
            ("0213", 2019, "fte", 1.0),
            ("0217", 2019, "fte", None, ".."),  # missing part → missing sum
            ("1504", 2019, "admissions", None, "-"),  # '-' is zero
            ("1523", 2019, "admissions", 4.0),
            ("1529", 2019, "admissions", None, "-"),
            ("1534", 2019, "admissions", None, "-"),
            ("1546", 2019, "admissions", None, "-"),
            ("1504", 2019, "fte", None, "-"),
            ("1523", 2019, "fte", None, "-"),
            ("1529", 2019, "fte", None, "-"),
            ("1534", 2019, "fte", None, "-"),
            ("1546", 2019, "fte", None, "-"),
        ],
        geography_year=2019,
    )
    result = _values(harmonise(source, 2020, partial="keep"))
    assert result[("3020", 2019, "admissions")] == (None, ":")
    assert result[("3020", 2019, "fte")] == (None, "..")
    assert result[("1507", 2019, "admissions")] == (4.0, None)
    assert result[("1507", 2019, "fte")] == (0.0, "-")  # all parts nothing to report


def test_rates_are_recomputed_from_their_parts(make_table: Any) -> None:
    source = make_table(
        [
            ("0213", 2019, "admissions", 10.0),
            ("0217", 2019, "admissions", 30.0),
            ("0213", 2019, "fte", 1.0),
            ("0217", 2019, "fte", 2.0),
            ("0213", 2019, "fte_per_admission", 10.0),
            ("0217", 2019, "fte_per_admission", 6.6667),
            ("0605", 2019, "admissions", 4.0),
            ("0605", 2019, "fte", 1.0),
            ("0605", 2019, "fte_per_admission", 25.0),
        ],
        variables=[ADMISSIONS, FTE, SHARE],
        geography_year=2019,
    )
    result = _values(harmonise(source, 2024, partial="keep"))
    assert result[("3207", 2019, "fte_per_admission")][0] == pytest.approx(7.5)  # 3 / 40, not 16.7
    assert result[("3305", 2019, "fte_per_admission")] == (25.0, None)


def test_rates_without_parts_pass_renumbering_but_not_mergers(make_table: Any) -> None:
    renumbered = make_table([("0605", 2019, "rate", 12.0)], variables=[RATE_ONLY], geography_year=2019)
    assert _values(harmonise(renumbered, 2024, partial="keep")) == {("3305", 2019, "rate"): (12.0, None)}
    merged = make_table(
        [("0213", 2019, "rate", 12.0), ("0217", 2019, "rate", 8.0)],
        variables=[RATE_ONLY],
        geography_year=2019,
    )
    with pytest.raises(NonAdditiveError) as excinfo:
        harmonise(merged, 2024, partial="keep")
    assert "'rate' is not additive" in str(excinfo.value)
    assert "municipality 0213 in 2019" in str(excinfo.value)
    share_only = make_table(
        [("0213", 2019, "fte_per_admission", 1.0), ("0217", 2019, "fte_per_admission", 2.0)],
        variables=[ADMISSIONS, FTE, SHARE],
        geography_year=2019,
    )
    with pytest.raises(NonAdditiveError, match="has no rows of its numerator 'fte'"):
        harmonise(share_only, 2024, partial="keep")


def test_counties_and_other_levels(make_table: Any, population_2017_2025: StatTable) -> None:
    counties = make_table(
        [("16", 2017, "admissions", 1.0), ("17", 2017, "admissions", 2.0)],
        level="county",
        geography_year=2017,
    )
    assert _values(harmonise(counties, 2018, partial="keep")) == {("50", 2017, "admissions"): (3.0, None)}
    viken = make_table([("30", 2023, "admissions", 90.0)], level="county", geography_year=2023)
    unrelated = make_table(
        [("3301", 2024, "population", 100.0)], variables=[Variable(id="population", unit="innbygger")]
    )
    with pytest.raises(SplitAreaError, match="county 30 Viken is divided"):
        harmonise(viken, 2024, population=unrelated, counties="error")
    dropped = harmonise(viken, 2024, population=unrelated)
    assert dropped.num_rows == 0
    assert "county 30 (codes of 2023) was dropped" in dropped.meta.extra["notes"][0]
    shares = _values(harmonise(viken, 2024, population=population_2017_2025, partial="keep"))
    assert {k[0] for k in shares} == {"31", "32", "33"}
    assert sum(v[0] or 0.0 for v in shares.values()) == pytest.approx(90.0)
    national = make_table([("0", 2019, "admissions", 5.0)], level="national", geography_year=2019)
    assert _values(harmonise(national, 2024, partial="keep")) == {("0", 2019, "admissions"): (5.0, None)}


def test_districts_keep_their_codes_only_where_valid(make_table: Any) -> None:
    oslo = make_table([("030101", 2024, "admissions", 5.0)], level="district", geography_year=2024)
    assert _values(harmonise(oslo, 2025)) == {("030101", 2024, "admissions"): (5.0, None)}
    # Bergen's districts took the city's new code in 2020 (SSB table 10826: 120101 Arna (-2019), 460101 Arna)
    bergen_old = make_table([("120101", 2019, "admissions", 5.0)], level="district")
    assert _values(harmonise(bergen_old, 2024)) == {("460101", 2019, "admissions"): (5.0, None)}
    assert _values(harmonise(make_table([("460101", 2024, "admissions", 5.0)], level="district"), 2019)) == {
        ("120101", 2024, "admissions"): (5.0, None)
    }
    # Heimdal took in Klæbu in 2020 (SKDE-FORNY): its figures of 2019 are not the 2020 district's
    heimdal = make_table([("500104", 2019, "admissions", 5.0)], level="district")
    with pytest.raises(UnknownCodeError, match="district code '500104'"):
        harmonise(heimdal, 2024)
    unknown = make_table([("030118", 2019, "admissions", 5.0)], level="district")
    with pytest.raises(UnknownCodeError, match="district code '030118'"):
        harmonise(unknown, 2024)


def test_special_unknown_code_passes(make_table: Any) -> None:
    source = make_table([("9999", 2019, "admissions", 3.0)], geography_year=2019)
    assert _values(harmonise(source, 2024, partial="keep")) == {("9999", 2019, "admissions"): (3.0, None)}


def test_empty_table_and_wrong_input(make_table: Any) -> None:
    empty = make_table([], geography_year=2019)
    result = harmonise(empty, 2024, partial="keep")
    assert result.num_rows == 0
    assert result.geography_year == 2024
    bare: Any = pa.table({"region": ["0301"]})
    with pytest.raises(SchemaError, match="takes a StatTable"):
        harmonise(bare, 2024, partial="keep")


def test_dimensions_and_months_are_kept() -> None:
    source = StatTable.from_pydict(
        {
            "region": ["0213", "0217", "0213", "0217"],
            "level": ["municipality"] * 4,
            "year": [2019] * 4,
            "month": [1, 1, 2, 2],
            "unit_type": ["DPS", "DPS", None, None],
            "variable": ["admissions"] * 4,
            "value": [1.0, 2.0, 3.0, 4.0],
        },
        variables=[ADMISSIONS],
        geography_year=2019,
    )
    result = harmonise(source, 2020, partial="keep")
    assert result.columns == source.columns
    assert sorted((r["month"], r["unit_type"], r["value"]) for r in result.to_pylist()) == [
        (1, "DPS", 3.0),
        (2, None, 7.0),
    ]


# -- property: the national total of every additive variable is kept ------------------------------------
_YEARS = st.integers(min_value=2017, max_value=2025)


@st.composite
def _tables(draw: st.DrawFn, first_year: int = 2017) -> tuple[int, list[tuple[str, int, str, float]]]:
    year = draw(st.integers(min_value=first_year, max_value=2025))
    codes = sorted(Geography.for_year(year).codes("municipality"))
    chosen = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=40, unique=True))
    rows = []
    for code in chosen:
        for variable in draw(
            st.lists(st.sampled_from(["admissions", "fte"]), min_size=1, max_size=2, unique=True)
        ):
            value = draw(st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False))
            rows.append((code, year, variable, value))
    return year, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_tables(), to_year=_YEARS)
def test_harmonising_keeps_national_totals(
    data: tuple[int, list[tuple[str, int, str, float]]],
    to_year: int,
    make_table: Any,
    split_weights_table: pa.Table,
) -> None:
    year, rows = data
    source = make_table(rows, geography_year=year)
    result = harmonise(source, to_year, weights=split_weights_table, partial="keep")
    assert result.geography_year == to_year
    target_codes = Geography.for_year(to_year).codes("municipality")
    for variable in ("admissions", "fte"):
        before = math.fsum(r[3] for r in rows if r[2] == variable)
        after = math.fsum(r["value"] for r in result.where(variable=variable).to_pylist())
        assert after == pytest.approx(before, rel=1e-9, abs=1e-6)
    assert {r["region"] for r in result.to_pylist()} <= target_codes


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_tables(first_year=2020), to_year=st.integers(min_value=2020, max_value=2025))
def test_population_shares_keep_national_totals_after_2020(
    data: tuple[int, list[tuple[str, int, str, float]]],
    to_year: int,
    make_table: Any,
    population_2017_2025: StatTable,
) -> None:
    year, rows = data
    result = harmonise(
        make_table(rows, geography_year=year), to_year, population=population_2017_2025, partial="keep"
    )
    before = math.fsum(r[3] for r in rows)
    after = math.fsum(r["value"] for r in result.to_pylist())
    assert after == pytest.approx(before, rel=1e-9, abs=1e-6)


@st.composite
def _tables_with_statuses(draw: st.DrawFn) -> list[tuple[str, int, str, float | None, str | None]]:
    codes = sorted(Geography.for_year(2019).codes("municipality"))
    chosen = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=60, unique=True))
    rows: list[tuple[str, int, str, float | None, str | None]] = []
    for code in chosen:
        status = draw(st.sampled_from([None, None, None, ":", "..", "-"]))
        value = (
            None if status in (":", "..") else (0.0 if status == "-" else draw(st.integers(0, 1000)) * 1.0)
        )
        rows.append((code, 2019, "admissions", value, status))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_tables_with_statuses())
def test_a_suppressed_part_keeps_the_sum_suppressed(
    rows: list[tuple[str, int, str, float | None, str | None]], make_table: Any, split_weights_table: pa.Table
) -> None:
    result = {
        r["region"]: (r["value"], r["status"])
        for r in harmonise(
            make_table(rows, geography_year=2019), 2020, weights=split_weights_table, partial="keep"
        ).to_pylist()
    }
    mapping = compose("municipality", 2019, 2020, lambda s: [1.0 / len(s.new)] * len(s.new))
    parts: dict[str, list[tuple[float | None, str | None]]] = {}
    for code, _year, _variable, value, status in rows:
        for new, _weight in mapping[code]:
            parts.setdefault(new, []).append((value, status))
    assert set(result) == set(parts)
    for new, found in parts.items():
        statuses = {s for _v, s in found}
        if ":" in statuses:
            assert result[new] == (None, ":")
        elif ".." in statuses:
            assert result[new] == (None, "..")
        elif statuses == {"-"}:
            assert result[new] == (0.0, "-")
        else:
            assert result[new][1] is None
            assert result[new][0] is not None
