"""Coverage of sums, refusals that say how, and tables that mix levels the way SSB serves them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import samhandling as sh
from samhandling.aggregate import coverage_table, roll_up
from samhandling.errors import NonAdditiveError, SchemaError, UnknownCodeError
from samhandling.geography import Geography, harmonise
from samhandling.tables import StatTable, Variable

EXAMPLE = Path(__file__).parents[2] / "examples" / "data" / "12228-buskerud-2018-2019.csv"
USERS = Variable(id="users", unit="bruker")
RATE = Variable(id="rate", unit="percent", additive=False)


def _values(result: StatTable) -> dict[tuple[str, int, str], tuple[float | None, str | None]]:
    return {(r["region"], r["year"], r["variable"]): (r["value"], r["status"]) for r in result.to_pylist()}


def _buskerud_2024(make_table: Any, *, leave_out: tuple[str, ...] = ()) -> StatTable:
    codes = sorted(c for c in Geography.for_year(2024).codes("municipality") if c.startswith("33"))
    return make_table(  # type: ignore[no-any-return]
        [(c, 2024, "users", 1.0) for c in codes if c not in leave_out], variables=[USERS], geography_year=2024
    )


# -- roll_up ------------------------------------------------------------------------------------------------
def test_a_total_from_some_members_is_not_presented_as_the_total(make_table: Any) -> None:
    # domain-check item 9: a health trust's value built from 4 of its 21 municipalities was shown as its value
    table = _buskerud_2024(make_table, leave_out=("3301", "3303"))
    result = roll_up(table, "county")
    assert _values(result) == {("33", 2024, "users"): (None, "..")}
    coverage = result.meta.extra["coverage"]["county"]
    assert coverage["members"]["33"] == 18
    (entry,) = coverage["incomplete"]
    assert (entry["region"], entry["with_data"], entry["members"]) == ("33", 16, 18)
    assert entry["missing"] == ["3301", "3303"]
    kept = roll_up(table, "county", partial="keep")
    assert _values(kept) == {("33", 2024, "users"): (16.0, None)}
    with pytest.raises(
        SchemaError, match=r"33 users 2024: 16 of 18 member areas have data \(missing 3301, 3303\)"
    ):
        roll_up(table, "county", partial="error")
    with pytest.raises(SchemaError, match="partial must be one of"):
        roll_up(table, "county", partial="maybe")  # type: ignore[arg-type]


def test_a_complete_total_is_given_and_the_coverage_says_so(make_table: Any) -> None:
    result = roll_up(_buskerud_2024(make_table), "county")
    assert _values(result) == {("33", 2024, "users"): (18.0, None)}
    table = coverage_table(result)
    assert table.to_pylist() == [
        {
            "region": "33",
            "year": 2024,
            "variable": "users",
            "members": 18,
            "members_with_data": 18,
            "complete": True,
            "value_given": True,
        }
    ]
    partial = roll_up(_buskerud_2024(make_table, leave_out=("3301",)), "county")
    row = sh.coverage_table(partial).to_pylist()[0]
    assert (row["members_with_data"], row["complete"], row["value_given"]) == (17, False, False)


def test_a_suppressed_member_keeps_the_partial_total_suppressed(make_table: Any) -> None:
    codes = sorted(c for c in Geography.for_year(2024).codes("municipality") if c.startswith("33"))
    rows = [(c, 2024, "users", 1.0) for c in codes[1:-1]] + [(codes[1], 2025, "users", None, ":")]
    rows[0] = (codes[1], 2024, "users", None, ":")
    table = make_table(rows, variables=[USERS], geography_year=2024)
    result = _values(roll_up(table, "county"))
    assert result[("33", 2024, "users")] == (None, ":")  # never weakened to '..'


def test_rows_missing_for_zero_in_a_stay_extract(make_table: Any) -> None:
    table = _buskerud_2024(make_table, leave_out=("3301",))
    table = table.with_arrow(table.arrow, extra={"absent_rows_mean_zero": True})
    assert _values(roll_up(table, "county")) == {("33", 2024, "users"): (17.0, None)}


def test_a_ratio_is_partial_when_its_parts_are(make_table: Any) -> None:
    share = Variable(
        id="share", unit="percent", additive=False, numerator="users", denominator="fte", scale=100
    )
    fte = Variable(id="fte", unit="årsverk")
    codes = sorted(c for c in Geography.for_year(2024).codes("municipality") if c.startswith("33"))
    rows = [(c, 2024, "fte", 2.0) for c in codes] + [(c, 2024, "users", 1.0) for c in codes[1:]]
    rows += [(c, 2024, "share", 50.0) for c in codes]
    result = _values(roll_up(make_table(rows, variables=[USERS, fte, share], geography_year=2024), "county"))
    assert result[("33", 2024, "fte")] == (36.0, None)
    assert result[("33", 2024, "users")] == (None, "..")
    assert result[("33", 2024, "share")] == (None, "..")


def test_the_national_total_needs_every_municipality(make_table: Any) -> None:
    table = _buskerud_2024(make_table)
    assert _values(roll_up(table, "national")) == {("0", 2024, "users"): (None, "..")}
    entry = roll_up(table, "national").meta.extra["coverage"]["national"]["incomplete"][0]
    assert (entry["with_data"], entry["members"], entry["missing_count"]) == (18, 357, 339)


def test_oslo_districts_are_the_members_of_a_split_city(make_table: Any) -> None:
    geo = Geography.for_year(2024)
    ous = geo.catchment("ous")
    districts = [d for d in ous.members if d.startswith("0301") and not d.endswith("99")]
    table = make_table(
        [(d, 2024, "users", 1.0) for d in districts[:-1]],
        variables=[USERS],
        level="district",
        geography_year=2024,
    )
    entry = roll_up(table, "health_trust").meta.extra["coverage"]["health_trust"]["incomplete"][0]
    assert entry["region"] == "ous"
    assert entry["missing"] == [districts[-1]]


def test_non_additive_variable_is_refused_with_how_to_roll_it_up(make_table: Any) -> None:
    # issue 19: a rate read as additive would be summed; without parts or weights it is refused
    table = make_table([("3301", 2024, "rate", 12.5)], variables=[RATE], geography_year=2024)
    with pytest.raises(NonAdditiveError) as caught:
        roll_up(table, "county")
    message = str(caught.value)
    assert "'rate' is not additive (unit 'percent')" in message
    assert "numerator=..., denominator=..." in message
    assert "per_10000" in message


def test_an_unknown_code_is_a_sentence_not_a_traceback(make_table: Any) -> None:
    # issue 19: "min() arg is an empty sequence" on roll-up of an unknown code
    for code in ("0000", "1234", "abcd"):
        table = make_table([(code, 2024, "users", 1.0)], variables=[USERS], geography_year=2024)
        with pytest.raises(UnknownCodeError) as caught:
            roll_up(table, "county")
        assert "did not exist in 2024" in str(caught.value) or "not an area code" in str(caught.value)


def test_rows_of_other_levels_are_dropped_or_kept_with_a_note(make_table: Any) -> None:
    municipalities = _buskerud_2024(make_table)
    national = make_table(
        [("0", 2024, "users", 99.0)], variables=[USERS], level="national", geography_year=2024
    )
    mixed = StatTable.concat([municipalities, national])
    dropped = roll_up(mixed, "county")
    assert dropped.levels() == ["county"]
    assert (
        "1 rows at levels national are not parts of the sums and were dropped"
        in dropped.meta.extra["notes"][0]
    )
    kept = roll_up(mixed, "county", other_levels="keep")
    assert sorted(kept.levels()) == ["county", "national"]
    with pytest.raises(SchemaError, match=r"other levels .national."):
        roll_up(mixed, "county", other_levels="error")


# -- harmonise ----------------------------------------------------------------------------------------------
def test_harmonise_does_not_present_a_partial_merger(make_table: Any) -> None:
    # 3005 Drammen (2020) = 0602 Drammen + 0625 Nedre Eiker + 0711 Svelvik (KLASS-C)
    table = make_table(
        [("0602", 2019, "users", 4.0), ("0625", 2019, "users", 1.0)], variables=[USERS], geography_year=2019
    )
    result = harmonise(table, 2020)
    assert _values(result) == {("3005", 2019, "users"): (None, "..")}
    entry = result.meta.extra["coverage"]["municipality"]["incomplete"][0]
    assert entry["missing"] == ["0711"]
    assert _values(harmonise(table, 2020, partial="keep")) == {("3005", 2019, "users"): (5.0, None)}
    complete = StatTable.concat(
        [table, make_table([("0711", 2019, "users", 1.0)], variables=[USERS], geography_year=2019)]
    )
    assert _values(harmonise(complete, 2020)) == {("3005", 2019, "users"): (6.0, None)}


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="the example file is not in this checkout")
def test_a_statbank_file_mixing_the_country_a_county_and_municipalities() -> None:
    # issue 16: SSB serves the country, Buskerud (06, part of Viken 2020–2023 and divided in 2024) and
    # municipalities in one file; harmonise put every county row through the 2024 division and failed.
    table = sh.read(EXAMPLE)
    result = harmonise(table, 2024)
    # the file's KOSTRA group rows (EKG..) are kept with their own level, like the country's
    assert sorted(result.levels()) == ["kostra_group", "municipality", "national"]
    values = _values(result)
    assert values[("3301", 2019, "psychiatric_nurse_fte")][0] == pytest.approx(42.9 + 9.6 + 2.4)
    assert values[("3305", 2018, "psychiatric_nurse_fte")] == (13.5, None)
    assert values[("0", 2019, "psychiatric_nurse_fte")] == (5101.9, None)
    notes = result.meta.extra["notes"]
    assert any("rows at levels kostra_group, national" in n and "kept unchanged" in n for n in notes)
    county = next(n for n in notes if "county rows dropped" in n)
    assert "the rows of 06 (2018, 2019)" in county
    assert "31, 32, 33" in county
    assert "01, 02" in county
    only_municipalities = harmonise(table, 2024, counties="drop", other_levels="drop")
    assert only_municipalities.levels() == ["municipality"]
    with pytest.raises(SchemaError, match=r"the rows of 06 \(2018, 2019\) would make partial sums"):
        harmonise(table, 2024, counties="error")
    with pytest.raises(SchemaError, match="levels kostra_group, national, which are not harmonised"):
        harmonise(table, 2024, other_levels="error")


def test_county_rows_follow_the_reforms_where_that_is_exact(make_table: Any) -> None:
    # KLASS-104: 16 + 17 → 50 Trøndelag (2018); 08 Telemark (2019) is 40 Telemark (2024)
    both = make_table(
        [("16", 2017, "users", 1.0), ("17", 2017, "users", 2.0)], variables=[USERS], level="county",
        geography_year=2017,
    )  # fmt: skip
    assert _values(harmonise(both, 2018)) == {("50", 2017, "users"): (3.0, None)}
    one = make_table([("16", 2017, "users", 1.0)], variables=[USERS], level="county", geography_year=2017)
    result = harmonise(one, 2018)
    assert result.num_rows == 0
    assert "which also need 17" in result.meta.extra["notes"][0]
    telemark = make_table(
        [("08", 2019, "users", 5.0)], variables=[USERS], level="county", geography_year=2019
    )
    assert _values(harmonise(telemark, 2024)) == {("40", 2019, "users"): (5.0, None)}


def test_other_levels_pass_harmonise_unchanged(make_table: Any) -> None:
    trusts = make_table(
        [("vestre-viken", 2019, "users", 7.0)], variables=[USERS], level="health_trust", geography_year=2019
    )
    result = harmonise(trusts, 2024)
    assert _values(result) == {("vestre-viken", 2019, "users"): (7.0, None)}
    assert "levels health_trust" in result.meta.extra["notes"][0]
    assert harmonise(trusts, 2024, other_levels="drop").num_rows == 0
