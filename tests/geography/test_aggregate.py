"""roll_up() to county, health trust, health region, DPS and country; per_10000() with pint units."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samhandling as sh
from samhandling.aggregate import age_range, per_10000, population_totals, roll_up
from samhandling.errors import NonAdditiveError, SchemaError, UnknownCodeError
from samhandling.geography import Geography, SplitAreaError, harmonise
from samhandling.tables import StatTable, Variable
from samhandling.units import Quantity, parse_unit

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
POPULATION = Variable(id="population", unit="innbygger")


def _values(result: StatTable) -> dict[tuple[str, str], tuple[float | None, str | None]]:
    return {(r["region"], r["variable"]): (r["value"], r["status"]) for r in result.to_pylist()}


def test_exported_from_the_package() -> None:
    assert sh.roll_up is roll_up
    assert sh.per_10000 is per_10000


def test_roll_up_to_every_level(make_table: Any) -> None:
    source = make_table(
        [
            ("3305", 2024, "admissions", 5.0),  # Ringerike: Buskerud, Vestre Viken, Ringerike DPS
            ("3301", 2024, "admissions", 7.0),  # Drammen: Buskerud, Vestre Viken, Drammen DPS
            ("1804", 2024, "admissions", 11.0),  # Bodø: Nordland, Nordlandssykehuset, Salten DPS
        ],
        geography_year=2024,
    )
    county = roll_up(source, "county", partial="keep")
    assert county.levels() == ["county"]
    assert _values(county) == {("33", "admissions"): (12.0, None), ("18", "admissions"): (11.0, None)}
    assert _values(roll_up(source, "health_trust", partial="keep")) == {
        ("vestre-viken", "admissions"): (12.0, None),
        ("nordlandssykehuset", "admissions"): (11.0, None),
    }
    assert _values(roll_up(source, "health_region", partial="keep")) == {
        ("helse-sor-ost", "admissions"): (12.0, None),
        ("helse-nord", "admissions"): (11.0, None),
    }
    assert _values(roll_up(source, "dps", partial="keep")) == {
        ("dps-ringerike", "admissions"): (5.0, None),
        ("dps-drammen", "admissions"): (7.0, None),
        ("dps-salten", "admissions"): (11.0, None),
    }
    assert _values(roll_up(source, "national", partial="keep")) == {("0", "admissions"): (23.0, None)}
    with pytest.raises(SchemaError, match="cannot roll up to 'municipality'"):
        roll_up(source, "municipality", partial="keep")


def test_oslo_needs_districts_weights_or_exclusion(make_table: Any) -> None:
    source = make_table(
        [("0301", 2024, "admissions", 100.0), ("3305", 2024, "admissions", 5.0)], geography_year=2024
    )
    with pytest.raises(SplitAreaError) as excinfo:
        roll_up(source, "health_trust", partial="keep")
    message = str(excinfo.value)
    assert "0301 Oslo" in message
    assert "ahus, diakonhjemmet, lovisenberg, ous" in message
    assert "city-district rows" in message
    # Oslo lies wholly in Helse Sør-Øst, so the health-region roll-up needs nothing more
    assert _values(roll_up(source, "health_region", partial="keep")) == {
        ("helse-sor-ost", "admissions"): (105.0, None)
    }
    excluded = roll_up(source, "health_trust", unassigned="exclude", partial="keep")
    assert _values(excluded) == {("vestre-viken", "admissions"): (5.0, None)}
    assert excluded.meta.extra["roll_up_excluded"] == ["0301"]
    weights = pa.table(
        {
            "region": ["0301"] * 4,
            "parent": ["ous", "lovisenberg", "diakonhjemmet", "ahus"],
            "weight": [0.4, 0.2, 0.2, 0.2],
        }
    )
    weighted = _values(roll_up(source, "health_trust", weights=weights, partial="keep"))
    assert weighted[("ous", "admissions")][0] == pytest.approx(40.0)
    assert weighted[("vestre-viken", "admissions")] == (5.0, None)


def test_district_rows_replace_a_split_city_and_are_not_counted_twice(make_table: Any) -> None:
    rows = [
        ("0301", 2024, "admissions", 30.0),
        ("4601", 2024, "admissions", 8.0),  # Bergen wholly in Helse Bergen
    ]
    districts = [
        ("030101", 2024, "admissions", 10.0),  # Gamle Oslo → Lovisenberg
        ("030112", 2024, "admissions", 20.0),  # Alna → Akershus
        ("460101", 2024, "admissions", 8.0),  # Arna: part of Bergen's own row
    ]
    source = StatTable.concat(
        [make_table(rows, geography_year=2024), make_table(districts, level="district", geography_year=2024)]
    )
    result = _values(roll_up(source, "health_trust", partial="keep"))
    assert result == {
        ("lovisenberg", "admissions"): (10.0, None),
        ("ahus", "admissions"): (20.0, None),
        ("helse-bergen", "admissions"): (8.0, None),
    }
    assert _values(roll_up(source, "county", partial="keep")) == {
        ("03", "admissions"): (30.0, None),
        ("46", "admissions"): (8.0, None),
    }


def test_roll_up_keeps_statuses_and_recomputes_ratios(make_table: Any) -> None:
    source = make_table(
        [
            ("3305", 2024, "admissions", 10.0),
            ("3301", 2024, "admissions", 30.0),
            ("3305", 2024, "fte", 1.0),
            ("3301", 2024, "fte", 2.0),
            ("3305", 2024, "fte_per_admission", 10.0),
            ("3301", 2024, "fte_per_admission", 6.67),
            ("1804", 2024, "admissions", None, ":"),
            ("1806", 2024, "admissions", 3.0),
            ("1804", 2024, "fte", 1.0),
            ("1806", 2024, "fte", 1.0),
            ("1804", 2024, "fte_per_admission", None, ":"),
            ("1806", 2024, "fte_per_admission", 33.3),
        ],
        variables=[ADMISSIONS, FTE, SHARE],
        geography_year=2024,
    )
    result = _values(roll_up(source, "county", partial="keep"))
    assert result[("33", "fte_per_admission")][0] == pytest.approx(7.5)
    assert result[("18", "admissions")] == (None, ":")
    assert result[("18", "fte")] == (2.0, None)
    assert result[("18", "fte_per_admission")] == (None, ":")  # recomputed from a suppressed part
    rates_only = source.variables_subset(["fte_per_admission"])
    with pytest.raises(NonAdditiveError, match="no rows of its numerator 'fte'"):
        roll_up(rates_only, "county", partial="keep")


def test_roll_up_needs_one_map(make_table: Any) -> None:
    series = make_table([("3007", 2023, "admissions", 1.0), ("3305", 2024, "admissions", 1.0)])
    with pytest.raises(SchemaError, match="harmonise it to one year first"):
        roll_up(series, "county", partial="keep")
    harmonised = harmonise(series, 2024)
    rolled = roll_up(harmonised, "county", partial="keep")
    assert sorted((r["region"], r["year"], r["value"]) for r in rolled.to_pylist()) == [
        ("33", 2023, 1.0),
        ("33", 2024, 1.0),
    ]
    one_year = make_table([("3007", 2023, "admissions", 1.0)])
    assert _values(roll_up(one_year, "county", partial="keep")) == {("30", "admissions"): (1.0, None)}
    wrong = make_table([("3007", 2024, "admissions", 1.0)], geography_year=2024)
    with pytest.raises(UnknownCodeError, match="'3007' did not exist in 2024"):
        roll_up(wrong, "county", partial="keep")
    counties = make_table([("33", 2024, "admissions", 1.0)], level="county", geography_year=2024)
    with pytest.raises(SchemaError, match="no municipality or district rows"):
        roll_up(counties, "national", partial="keep")


def test_unknown_municipality_code_9999(make_table: Any) -> None:
    source = make_table(
        [("9999", 2024, "admissions", 2.0), ("3305", 2024, "admissions", 1.0)], geography_year=2024
    )
    assert _values(roll_up(source, "national", partial="keep")) == {("0", "admissions"): (3.0, None)}
    with pytest.raises(SplitAreaError, match="unknown area"):
        roll_up(source, "county", partial="keep")
    assert _values(roll_up(source, "county", unassigned="exclude", partial="keep")) == {
        ("33", "admissions"): (1.0, None)
    }


# -- rates ----------------------------------------------------------------------------------------------
def test_age_labels() -> None:
    assert age_range("17") == (17, 17)
    assert age_range("105+") == (105, None)
    assert age_range("0-17") == (0, 17)
    assert age_range("18-66 år") == (18, 66)
    assert age_range("total") == (0, None)
    assert age_range("menn") is None


def test_per_10000_adults_and_children(make_table: Any, population_by_age_2024: StatTable) -> None:
    source = make_table(
        [("3305", 2024, "admissions", 50.0), ("1804", 2024, "admissions", None, ":")], geography_year=2024
    )
    adults = per_10000(source, population_by_age_2024, ages="18+")
    children = per_10000(source, population_by_age_2024, ages=(0, 17))
    pop = population_by_age_2024.where(region="3305").to_pylist()
    adults_3305 = sum(
        r["value"] for r in pop if r["age"] == "105+" or (r["age"] != "105+" and int(r["age"]) >= 18)
    )
    children_3305 = sum(r["value"] for r in pop if r["age"] != "105+" and int(r["age"]) <= 17)
    assert _values(adults)[("3305", "admissions_per_10000")][0] == pytest.approx(50.0 / adults_3305 * 10000)
    assert _values(children)[("3305", "admissions_per_10000")][0] == pytest.approx(
        50.0 / children_3305 * 10000
    )
    assert _values(adults)[("1804", "admissions_per_10000")] == (None, ":")
    rate = adults.variable("admissions_per_10000")
    assert not rate.additive
    assert (rate.numerator, rate.denominator, rate.scale) == ("admissions", "population", 10000.0)
    quantity = Quantity(1.0, parse_unit(rate.unit))
    assert quantity.to(parse_unit("opphold / innbygger")).magnitude == pytest.approx(1e-4)


def test_per_10000_on_a_county_table_rolls_the_population_up(
    make_table: Any, population_by_age_2024: StatTable
) -> None:
    source = make_table(
        [("3305", 2024, "admissions", 50.0), ("3301", 2024, "admissions", 70.0)], geography_year=2024
    )
    county = roll_up(source, "county", partial="keep")
    rates = per_10000(county, population_by_age_2024, ages="all")
    totals = population_totals(population_by_age_2024, ages="all").to_pylist()
    buskerud = sum(r["value"] for r in totals if r["region"].startswith("33"))
    assert _values(rates)[("33", "admissions_per_10000")][0] == pytest.approx(120.0 / buskerud * 10000)


def test_per_10000_with_bands_and_errors(make_table: Any) -> None:
    bands = StatTable.from_pydict(
        {
            "region": ["3305"] * 3,
            "level": ["municipality"] * 3,
            "year": [2024] * 3,
            "age": ["0-17", "18-66", "67+"],
            "variable": ["population"] * 3,
            "value": [6000.0, 18000.0, 6000.0],
        },
        variables=[POPULATION],
    )
    source = make_table([("3305", 2024, "admissions", 24.0)], geography_year=2024)
    assert _values(per_10000(source, bands, ages="18+"))[("3305", "admissions_per_10000")] == (10.0, None)
    assert _values(per_10000(source, bands))[("3305", "admissions_per_10000")] == (8.0, None)
    with pytest.raises(SchemaError, match=r"cannot be combined into exactly the ages \(20, 30\)"):
        per_10000(source, bands, ages=(20, 30))
    other = make_table([("3301", 2024, "admissions", 1.0)], geography_year=2024)
    with pytest.raises(SchemaError, match=r"no row for municipality '3301' in 2024"):
        per_10000(other, bands)
    with pytest.raises(SchemaError, match="no variable 'beds'"):
        per_10000(source, bands, variables=["beds"])
    share = make_table(
        [("3305", 2024, "fte_per_admission", 1.0)], variables=[ADMISSIONS, FTE, SHARE], geography_year=2024
    )
    with pytest.raises(NonAdditiveError, match="not additive"):
        per_10000(share, bands, variables=["fte_per_admission"])
    zero = StatTable.from_pydict(
        {
            "region": ["3305"],
            "level": ["municipality"],
            "year": [2024],
            "variable": ["population"],
            "value": [0.0],
        },
        variables=[POPULATION],
    )
    assert _values(per_10000(source, zero))[("3305", "admissions_per_10000")] == (None, ".")
    with pytest.raises(SchemaError, match="no 'age' column"):
        per_10000(source, zero, ages="18+")


def test_per_10000_harmonises_the_population(make_table: Any, population_2017_2025: StatTable) -> None:
    source = make_table(
        [("3305", 2023, "admissions", 10.0), ("1508", 2023, "admissions", 6.0)], geography_year=2024
    )
    rates = _values(per_10000(source, population_2017_2025))
    ringerike_2023 = population_2017_2025.where(region="3007", year=2023).to_pylist()[0]["value"]
    assert rates[("3305", "admissions_per_10000")][0] == pytest.approx(10.0 / ringerike_2023 * 10000)
    # Ålesund 2023 (1507) is shared between 1508 and 1580 by their 2024 populations
    pop = {r["region"]: r["value"] for r in population_2017_2025.where(year=[2023, 2024]).to_pylist()}
    alesund_share = pop["1507"] * pop["1508"] / (pop["1508"] + pop["1580"])
    assert rates[("1508", "admissions_per_10000")][0] == pytest.approx(6.0 / alesund_share * 10000)
    old_series = make_table([("3305", 2019, "admissions", 10.0)], geography_year=2024)
    with pytest.raises(SplitAreaError, match="took in other areas too"):
        per_10000(old_series, population_2017_2025)


def test_catchment_roll_up_for_a_derived_year(make_table: Any) -> None:
    source = make_table(
        [("0605", 2019, "admissions", 4.0), ("0602", 2019, "admissions", 6.0)], geography_year=2019
    )
    assert Geography.for_year(2019).catchments_derived
    assert _values(roll_up(source, "health_trust", partial="keep")) == {
        ("vestre-viken", "admissions"): (10.0, None)
    }


# -- property: rolling up keeps the national total -------------------------------------------------------
@st.composite
def _tables_2024(draw: st.DrawFn) -> list[tuple[str, int, str, float]]:
    codes = sorted(Geography.for_year(2024).codes("municipality") - {"0301"})
    chosen = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=60, unique=True))
    return [
        (code, 2024, "admissions", draw(st.floats(min_value=0, max_value=1e6, allow_nan=False)))
        for code in chosen
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_tables_2024(), to=st.sampled_from(["county", "health_trust", "health_region", "national"]))
def test_roll_up_keeps_the_national_total(
    rows: list[tuple[str, int, str, float]], to: str, make_table: Any
) -> None:
    result = roll_up(make_table(rows, geography_year=2024), to, partial="keep")
    assert result.levels() == [to]
    assert math.fsum(r["value"] for r in result.to_pylist()) == pytest.approx(math.fsum(r[3] for r in rows))
    assert {r["region"] for r in result.to_pylist()} <= Geography.for_year(2024).codes(to)


def test_status_precedence_in_a_sum(make_table: Any) -> None:
    source = make_table(
        [
            ("3305", 2024, "admissions", None, ".."),
            ("3301", 2024, "admissions", None, ":"),
            ("3305", 2024, "fte", None, "..."),
            ("3301", 2024, "fte", None, ".."),
            ("1804", 2024, "fte", None, "."),
            ("1806", 2024, "fte", 2.0),
        ],
        geography_year=2024,
    )
    result = _values(roll_up(source, "county", partial="keep"))
    assert result[("33", "admissions")] == (None, ":")
    assert result[("33", "fte")] == (None, "..")
    assert result[("18", "fte")] == (None, ".")
