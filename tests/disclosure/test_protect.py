"""protect(): primary and secondary suppression, rates that follow their counts, what is refused."""

from __future__ import annotations

import logging
import math

import pyarrow as pa
import pytest

import samhandling as sh
from samhandling.aggregate import roll_up
from samhandling.disclosure import DisclosureRules, mark_unprotected, protect, protect_publication, verify
from samhandling.errors import DisclosureError
from samhandling.tables import StatTable, Variable

from .conftest import ADMISSIONS, BUSKERUD, PATIENTS, RATE, cells, grid, publication, suppressed, with_totals

INNER = {
    ("3301", "A"): 12.0,
    ("3301", "B"): 1.0,  # small
    ("3303", "A"): 9.0,
    ("3303", "B"): 7.0,
    ("3305", "A"): 0.0,  # a true zero
    ("3305", "B"): 6.0,
    ("3310", "A"): 4.0,
    ("3310", "B"): 5.0,
}


def test_is_the_public_entry_point() -> None:
    assert sh.protect is protect


def test_small_counts_get_a_colon_and_no_value_and_zeros_stay() -> None:
    tables = publication(INNER)
    municipalities = protect(tables)[0]
    found = cells(municipalities)
    assert found[("3301", "B")] == (None, ":")
    assert found[("3305", "A")] == (0.0, None)
    for (region, unit), (value, status) in found.items():
        if status is None:
            assert value is not None
            assert value == 0 or value >= 3, (region, unit, value)


def test_a_small_count_cannot_be_worked_out_from_its_total_or_the_county() -> None:
    tables = publication(INNER, levels=("county", "national"))
    protected = protect(tables)
    hidden = suppressed(protected[0])
    assert ("3301", "B") in hidden
    # The municipality's total is published, so another of its units must be hidden too ...
    assert ("3301", "A") in hidden or ("3301", None) in hidden
    # ... and so must another municipality's B, or the county's B gives it away.
    assert any(key[1] == "B" and key[0] != "3301" for key in hidden) or ("33", "B") in suppressed(
        protected[1]
    )
    assert verify(protected).ok


def test_the_input_tables_are_not_changed() -> None:
    tables = publication(INNER)
    before = [t.to_pylist() for t in tables]
    protect(tables)
    assert [t.to_pylist() for t in tables] == before


def test_the_result_has_the_shape_of_the_input() -> None:
    tables = publication(INNER)
    assert isinstance(protect(tables[0]), StatTable)
    assert isinstance(protect(tables), list)
    named = protect({"municipalities": tables[0], "county": tables[1]})
    assert set(named) == {"municipalities", "county"}
    assert suppressed(named["municipalities"]) == suppressed(protect(tables)[0])


def test_the_metadata_says_what_was_done() -> None:
    result = protect_publication(publication(INNER))
    record = result.tables[0].meta.extra["disclosure"]
    assert record["protected"] is True
    assert record["rules"]["threshold"] == 3
    assert record["suppressed"]["primary"] == result.summary.primary >= 1
    assert record["suppressed"]["secondary"] == result.summary.secondary >= 1
    assert record["rows_in_table"] == len(suppressed(result.tables[0]))
    assert "1 to 2" in record["rule"]
    assert result.summary.variables == ("admissions",)
    assert any("primary" in line for line in result.summary.describe())


def test_the_threshold_is_configurable() -> None:
    inner = {("3301", "A"): 4.0, ("3301", "B"): 20.0, ("3303", "A"): 30.0, ("3303", "B"): 25.0}
    assert not suppressed(protect(publication(inner))[0])
    strict = protect(publication(inner), threshold=5)[0]
    assert ("3301", "A") in suppressed(strict)
    assert strict.meta.extra["disclosure"]["rules"]["threshold"] == 5
    with pytest.raises(DisclosureError, match="threshold"):
        DisclosureRules(threshold=0)


def test_zeros_are_hidden_only_when_asked() -> None:
    inner = {("3301", "A"): 0.0, ("3301", "B"): 20.0, ("3303", "A"): 30.0, ("3303", "B"): 25.0}
    assert not suppressed(protect(publication(inner))[0])
    hidden = protect(publication(inner), rules=DisclosureRules(protect_zeros=True))
    assert ("3301", "A") in suppressed(hidden[0])
    assert verify(hidden, rules=DisclosureRules(protect_zeros=True)).ok


def _rates(counts: StatTable) -> StatTable:
    """Admissions per 10,000 inhabitants, for areas of 2,000 inhabitants each."""
    rows = counts.to_pylist()
    return StatTable.from_pydict(
        {
            "region": [r["region"] for r in rows],
            "level": [r["level"] for r in rows],
            "year": [r["year"] for r in rows],
            "unit": [r["unit"] for r in rows],
            "variable": ["admissions_per_10000"] * len(rows),
            "value": [r["value"] * 10_000 / 2_000 for r in rows],
        },
        geography_year=2024,
        variables=[RATE],
    )


def test_rates_are_suppressed_with_the_counts_they_are_computed_from() -> None:
    counts = grid(with_totals(INNER))
    rates = _rates(counts)
    protected_counts, protected_rates = protect([counts, rates])
    assert suppressed(protected_counts) == suppressed(protected_rates)
    assert ("3301", "B") in suppressed(protected_rates)


def test_rates_alone_need_their_counts_as_context() -> None:
    counts = grid(with_totals(INNER))
    rates = _rates(counts)
    with pytest.raises(DisclosureError, match="context"):
        protect(rates)
    only_rates = protect(rates, context=[counts])
    assert isinstance(only_rates, StatTable)
    assert ("3301", "B") in suppressed(only_rates)
    assert verify(only_rates, context=[counts]).ok


def test_a_variable_marked_in_the_catalogue_is_protected_even_if_a_table_forgets_the_flag() -> None:
    unflagged = Variable(id="admissions", unit="opphold")  # the NIMES plugin's catalogue marks it
    table = grid(with_totals(INNER), variable=unflagged)
    assert ("3301", "B") in suppressed(protect(table))


def test_tables_without_counts_of_people_keep_their_values() -> None:
    fte = Variable(id="fte", unit="årsverk")
    table = grid({("3301", "A"): 1.0, ("3303", "A"): 2.5}, variable=fte)
    protected = protect(table)
    assert cells(protected) == cells(table)
    assert protected.meta.extra["disclosure"]["suppressed"]["rows"] == 0


def test_totals_smaller_than_their_parts_are_refused() -> None:
    values = with_totals(INNER)
    values[("3303", None)] = 3.0  # its parts sum to 16
    with pytest.raises(DisclosureError, match="sum of its parts"):
        protect(grid(values))


def test_a_total_whose_missing_part_is_a_small_count_is_refused() -> None:
    counts = grid(dict(INNER))
    county = roll_up(counts, "county", partial="keep")
    national = roll_up(counts, "national", partial="keep")
    rows = national.to_pylist()
    for row in rows:
        row["value"] += 1.0  # one admission from somewhere the publication does not show
    bumped = national.with_arrow(pa.Table.from_pylist(rows))
    with pytest.raises(DisclosureError, match="parts left out"):
        protect([counts, county, bumped])


def test_two_tables_that_disagree_on_a_cell_are_refused() -> None:
    one = grid(dict(INNER))
    other = grid({**INNER, ("3303", "A"): 10.0})
    with pytest.raises(DisclosureError, match="different values"):
        protect([one, other])


def test_a_cell_shared_by_two_tables_is_suppressed_in_both() -> None:
    counts = grid(with_totals(INNER))
    county_a = roll_up(counts, "county", partial="keep")
    county_b = roll_up(counts, "county", partial="keep")  # the same county cells, published twice
    protected = protect([counts, county_a, county_b])
    assert suppressed(protected[1]) == suppressed(protected[2])


def test_city_districts_and_their_municipality_are_protected_together() -> None:
    values = {
        ("030101", "A"): 14.0,
        ("030101", "B"): 2.0,
        ("030102", "A"): 11.0,
        ("030102", "B"): 8.0,
        ("030103", "A"): 9.0,
        ("030103", "B"): 6.0,
    }
    districts = grid(values, level="district")
    oslo = grid({("0301", "A"): 34.0, ("0301", "B"): 16.0})
    county = grid({("03", "A"): 34.0, ("03", "B"): 16.0}, level="county")
    protected = protect([districts, oslo, county])
    assert ("030101", "B") in suppressed(protected[0])
    assert verify(protected).ok


def test_a_municipality_split_between_catchments_is_left_out_as_the_roll_up_recorded() -> None:
    # Levanger (5037) is split between two DPS catchments whose shares are not published.
    values = {("5037", "A"): 2.0, ("5037", "B"): 9.0, ("5038", "A"): 8.0, ("5038", "B"): 7.0}
    values.update({("5006", "A"): 6.0, ("5006", "B"): 5.0, ("5007", "A"): 4.0, ("5007", "B"): 12.0})
    counts = grid(values)
    dps = roll_up(counts, "dps", unassigned="exclude", partial="keep")
    assert "5037" in dps.meta.extra["roll_up_excluded"]
    protected = protect([counts, dps])
    assert ("5037", "A") in suppressed(protected[0])
    assert verify(protected).ok


def test_an_event_count_with_too_few_people_behind_it_is_suppressed() -> None:
    counts = grid(with_totals(INNER))
    patients = grid({("3303", "A"): 1.0, ("3303", "B"): 6.0}, variable=PATIENTS)  # 9 stays of one patient
    with_rule = protect_publication([counts], context=[patients])
    without = protect_publication([counts], context=[patients], rules=DisclosureRules(contributors={}))
    assert ("3303", "A") in suppressed(with_rule.tables[0])
    assert with_rule.summary.primary == without.summary.primary + 1
    assert verify(with_rule.tables).ok


def test_counts_that_are_not_sums_are_suppressed_cell_by_cell() -> None:
    patients = grid({("3301", "A"): 2.0, ("3301", "B"): 5.0, ("3303", "A"): 7.0}, variable=PATIENTS)
    protected = protect(patients)
    assert suppressed(protected) == {("3301", "A")}
    assert math.isclose(cells(protected)[("3301", "B")][0] or 0, 5.0)


def test_a_monthly_table_with_year_totals_and_the_country() -> None:
    rows = {"region": [], "month": [], "unit": [], "value": []}  # type: dict[str, list[object]]
    values = [5, 1, 7, 3, 9, 4, 2, 8, 6, 3, 4, 11]
    position = 0
    for region in BUSKERUD[:3]:
        for unit in ("A", "B"):
            for month in (1, 2):
                rows["region"].append(region)
                rows["month"].append(month)
                rows["unit"].append(unit)
                rows["value"].append(float(values[position % len(values)]))
                position += 1
    n = len(rows["region"])
    monthly = StatTable.from_pydict(
        {**rows, "level": ["municipality"] * n, "year": [2024] * n, "variable": ["admissions"] * n},
        geography_year=2024,
        variables=[ADMISSIONS],
    )
    plain = pa.table({"region": rows["region"], "unit": rows["unit"], "value": rows["value"]})
    yearly = (
        plain.group_by(["region", "unit"])
        .aggregate([("value", "sum")])
        .rename_columns(["region", "unit", "value"])
    )
    year_rows = yearly.num_rows
    year_totals = StatTable.from_pydict(
        {
            "region": yearly["region"],
            "level": ["municipality"] * year_rows,
            "year": [2024] * year_rows,
            "unit": yearly["unit"],
            "variable": ["admissions"] * year_rows,
            "value": yearly["value"],
        },
        geography_year=2024,
        variables=[ADMISSIONS],
    )
    both = StatTable.concat([monthly, year_totals])
    protected = protect([both, roll_up(both, "national", partial="keep")])
    statuses = protected[0].arrow.column("status").cast(pa.string()).to_pylist()
    values = protected[0].arrow.column("value").to_pylist()
    assert ":" in statuses
    assert all(v is None or v == 0 or v >= 3 for v in values)
    assert verify(protected).ok


def test_an_unprotected_table_says_so_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    table = grid(dict(INNER))
    with caplog.at_level(logging.WARNING, logger="samhandling.disclosure"):
        marked = mark_unprotected(table, "internal working table")
    assert marked.meta.extra["disclosure"]["protected"] is False
    assert "internal working table" in marked.meta.extra["disclosure"]["note"]
    assert "OFF" in caplog.text
    assert cells(marked) == cells(table)


def test_a_unit_and_its_unit_type_as_two_columns_with_subtotals() -> None:
    units = {"U1": "DPS", "U2": "DPS", "U3": "TSB", "U4": "BUP"}
    values = [5, 1, 7, 3, 9, 4, 2, 8, 6, 3, 4, 11, 0, 6, 2, 9]
    rows: dict[str, list[object]] = {"region": [], "unit": [], "unit_type": [], "value": []}
    for i, (region, (unit, unit_type)) in enumerate(
        (r, u) for r in ("3301", "3303", "3305", "3310") for u in units.items()
    ):
        rows["region"].append(region)
        rows["unit"].append(unit)
        rows["unit_type"].append(unit_type)
        rows["value"].append(float(values[i]))
    n = len(rows["region"])
    common: dict[str, list[object]] = {
        "level": ["municipality"] * n,
        "year": [2024] * n,
        "variable": ["admissions"] * n,
    }
    units_table = StatTable.from_pydict({**rows, **common}, geography_year=2024, variables=[ADMISSIONS])
    plain = pa.table({"region": rows["region"], "unit_type": rows["unit_type"], "value": rows["value"]})
    by_type = plain.group_by(["region", "unit_type"]).aggregate([("value", "sum")])
    m = by_type.num_rows
    subtotals = StatTable.from_pydict(
        {
            "region": by_type["region"],
            "unit_type": by_type["unit_type"],
            "unit": ["total"] * m,  # all units of the type
            "level": ["municipality"] * m,
            "year": [2024] * m,
            "variable": ["admissions"] * m,
            "value": by_type["value_sum"],
        },
        geography_year=2024,
        variables=[ADMISSIONS],
    )
    both = StatTable.concat([units_table, subtotals])
    protected = protect([both, roll_up(both, "county")])
    assert verify(protected).ok
    hidden = [r for r in protected[0].to_pylist() if r["status"] == ":"]
    assert any(r["unit"] == "U2" and r["region"] == "3301" for r in hidden)  # 1 admission


def test_a_municipality_shared_between_catchments_by_recorded_weights() -> None:
    values = {("5037", "A"): 2.0, ("5037", "B"): 9.0, ("5038", "A"): 8.0, ("5038", "B"): 7.0}
    values.update({("5035", "A"): 6.0, ("5035", "B"): 5.0, ("5036", "A"): 4.0, ("5036", "B"): 12.0})
    counts = grid(values)
    shares = pa.table(
        {"region": ["5037", "5037"], "parent": ["dps-levanger", "dps-stjordal"], "weight": [0.6, 0.4]}
    )
    dps = roll_up(counts, "dps", weights=shares)
    protected = protect([counts, dps])
    assert ("5037", "A") in suppressed(protected[0])
    assert verify(protected).ok
