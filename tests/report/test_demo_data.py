"""The demo data module: deterministic, on the real map, realistic, labelled, internally consistent."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from samhandling.geography import Geography
from samhandling.report import demo
from samhandling.report.tabular import plain
from samhandling.tables import StatTable

YEARS = [2023, 2024]


@pytest.fixture(scope="module")
def geography() -> Geography:
    return Geography.for_year(2024)


@pytest.fixture(scope="module")
def population(geography: Geography) -> StatTable:
    return demo.demo_population(geography, YEARS)


@pytest.fixture(scope="module")
def survey(geography: Geography, population: StatTable) -> StatTable:
    return demo.demo_survey(geography, population, YEARS)


def test_same_call_gives_the_same_numbers(geography: Geography, population: StatTable) -> None:
    again = demo.demo_population(geography, YEARS)
    assert again.equals(population, check_order=True)
    first = demo.demo_admissions(geography, population, YEARS)
    second = demo.demo_admissions(geography, population, YEARS)
    assert first.equals(second, check_order=True)


def test_every_municipality_of_the_map_and_nothing_else(geography: Geography, population: StatTable) -> None:
    rows = plain(population.where(level="municipality"))
    assert set(rows.column("region").to_pylist()) == {m.code for m in geography.municipalities}
    districts = plain(population.where(level="district"))
    assert set(districts.column("region").to_pylist()) <= {d.code for d in geography.districts}
    assert {code[:4] for code in districts.column("region").to_pylist()} == {"0301", "1103", "4601", "5001"}


def test_population_is_of_norwegian_size(population: StatTable) -> None:
    rows = plain(population.where(level="municipality", year=2024))
    total = pc.sum(rows.column("value")).as_py()
    assert 5.4e6 < total < 5.7e6
    young = pc.sum(rows.filter(pc.equal(rows.column("age"), "0-17")).column("value")).as_py()
    assert 0.17 < young / total < 0.25


def test_city_rows_are_the_sum_of_their_districts(population: StatTable, survey: StatTable) -> None:
    for table, keys in (
        (population, ["year", "age"]),
        (survey, ["year", "target_group", "profession", "variable"]),
    ):
        data = plain(table)
        districts = data.filter(pc.equal(data.column("level"), "district"))
        city = pc.utf8_slice_codeunits(districts.column("region"), 0, 4)
        summed = (
            districts.set_column(0, "region", city).group_by(["region", *keys]).aggregate([("value", "sum")])
        )
        cities = data.filter(
            pc.and_(
                pc.equal(data.column("level"), "municipality"),
                pc.is_in(data.column("region"), pa.array(["0301", "1103", "4601", "5001"])),
            )
        )
        cities = cities.filter(pc.is_in(cities.column("variable"), pc.unique(districts.column("variable"))))
        joined = cities.join(summed, ["region", *keys])
        assert joined.num_rows == cities.num_rows
        difference = pc.max(pc.abs(pc.subtract(joined.column("value"), joined.column("value_sum")))).as_py()
        assert difference < 0.051  # equal up to the rounding to one decimal


def test_survey_totals_are_the_sum_of_the_professions(survey: StatTable) -> None:
    fte = plain(survey.where(variable="fte"))
    parts = fte.filter(pc.not_equal(fte.column("profession"), "total"))
    sums = parts.group_by(["region", "year", "target_group"]).aggregate([("value", "sum")])
    totals = fte.filter(pc.equal(fte.column("profession"), "total")).join(
        sums, ["region", "year", "target_group"]
    )
    assert totals.num_rows > 700
    assert pc.max(pc.abs(pc.subtract(totals.column("value"), totals.column("value_sum")))).as_py() < 1e-6
    assert set(parts.column("profession").to_pylist()) == set(demo.PROFESSIONS)


def test_everything_is_labelled_synthetic(population: StatTable, survey: StatTable) -> None:
    for table in (population, survey):
        assert table.meta.extra["synthetic"] is True
        assert table.meta.extra["demo_seed"] == demo.DEMO_SEED
        assert table.source == demo.DEMO_SOURCE
        assert "SYNTETISKE" in table.provenance[0].note
        assert "syntetisk" in table.meta.title.lower() or "demodata" in table.meta.title.lower()


def test_register_covers_municipalities_with_their_health_trust(
    geography: Geography, population: StatTable
) -> None:
    register = demo.demo_register(geography, population, 2024)
    mains = [a for a in register.agreements if a.kind.value == "cooperation_agreement"]
    assert len(mains) >= 350
    trusts = {t.code for t in geography.health_trusts}
    assert all(p.code in trusts for a in mains for p in a.parties if p.kind.value == "health_trust")
    shared = [s for s in register.services if s.is_inter_municipal]
    assert shared
    assert all(len(s.municipalities) >= 2 for s in shared)
    assert all(s.kind == "ohd" for s in register.services)


def test_other_years_use_their_own_map() -> None:
    older = Geography.for_year(2019)
    table = demo.demo_population(older, [2019])
    assert table.geography_year == 2019
    assert set(plain(table.where(level="municipality")).column("region").to_pylist()) == {
        m.code for m in older.municipalities
    }
