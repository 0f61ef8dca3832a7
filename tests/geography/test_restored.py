"""Restored areas: a division that re-creates an area of before a merger is an identity, not a share.

The 2024 division of Ålesund re-created the whole former Haram municipality (1534 until 2019) as 1580
Haram; 2019 Haram belongs wholly to 1580, and 2019 Ålesund, Ørskog, Skodje and Sandøy wholly to 1508.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samhandling.geography import (
    Geography,
    RestorationKind,
    SplitAreaError,
    compose,
    harmonise,
    lineage,
    restorations,
    story,
    where_from,
)
from samhandling.geography._data import sources
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
OLD_ALESUND = ("1504", "1523", "1529", "1546")  # Ålesund, Ørskog, Skodje, Sandøy (2019)


def _values(result: StatTable) -> dict[tuple[str, int, str], tuple[float | None, str | None]]:
    return {(r["region"], r["year"], r["variable"]): (r["value"], r["status"]) for r in result.to_pylist()}


def _population(table: StatTable, year: int) -> dict[str, float]:
    return {r["region"]: r["value"] for r in table.to_pylist() if r["year"] == year}


def _never(split: Any) -> list[float]:
    raise AssertionError(f"no shares should be needed, but asked for {split}")


# -- the data --------------------------------------------------------------------------------------------
def test_haram_2024_is_haram_2019_with_its_source() -> None:
    rows = {(r.old_code, r.new_code): r for r in restorations("municipality")}
    haram = rows[("1534", "1580")]
    assert (haram.old_year, haram.new_year, haram.kind) == (2019, 2024, RestorationKind.RESTORED)
    assert str(haram) == "1534 Haram (2019) is 1580 Haram (2024)"
    assert {old for old, new in rows if new == "1508"} == set(OLD_ALESUND)
    assert all(rows[(old, "1508")].kind is RestorationKind.REMAINDER for old in OLD_ALESUND)
    assert "regjeringen.no" in sources()[haram.source]["where"]
    for r in restorations("municipality") + restorations("county"):
        assert set(r.source.replace("+", ";").split(";")) <= set(sources()), r


def test_restored_counties_have_the_same_municipalities() -> None:
    """Telemark and Finnmark 2024 hold exactly the 2019 municipalities of 08 and 20; Viken restored none."""
    forward = compose("municipality", 2019, 2024, lambda s: [1.0 / len(s.new)] * len(s.new))
    g2019, g2024 = Geography.for_year(2019), Geography.for_year(2024)
    restored = {
        (r.old_code, r.new_code) for r in restorations("county") if r.kind is RestorationKind.RESTORED
    }
    assert restored == {("08", "40"), ("20", "56")}
    for old, new in restored:
        olds = {c for c in g2019.codes("municipality") if c[:2] == old}
        news = {c for c in g2024.codes("municipality") if c[:2] == new}
        assert {n for o in olds for n, _w in forward[o]} == news
        assert {o for o, targets in forward.items() if {n for n, _w in targets} & news} == olds
    # 19 Troms lies wholly in 55 Troms; 07 Vestfold in 39 Vestfold except 0711 Svelvik (to Drammen)
    troms = {c for c in g2019.codes("municipality") if c[:2] == "19"}
    assert {n[:2] for o in troms for n, _w in forward[o]} == {"55"}
    vestfold = {c for c in g2019.codes("municipality") if c[:2] == "07"}
    assert {o for o in vestfold if {n[:2] for n, _w in forward[o]} != {"39"}} == {"0711"}
    assert {r.old_code for r in restorations("county")} == {"07", "08", "19", "20"}


def test_a_restoration_that_is_not_closed_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from samhandling.geography import changes
    from samhandling.geography._data import rows as real

    bad = (  # old Haram alone "restored" as 1508 Ålesund: the changes also carry it to 1580
        {"level": "municipality", "old_year": "2019", "old_code": "1534", "old_name": "Haram"}
        | {"new_year": "2024", "new_code": "1508", "new_name": "Ålesund", "kind": "restored", "source": ""},
    )
    monkeypatch.setattr(
        f"{changes.__name__}.rows", lambda name: bad if name == "restored_areas" else real(name)
    )
    with pytest.raises(AssertionError, match=r"carry \['1534'\] also to \['1580'\]"):
        changes.restorations.__wrapped__("municipality")
    renamed = ({**bad[0], "old_name": "Harram", "new_code": "1580", "new_name": "Haram"},)
    monkeypatch.setattr(
        f"{changes.__name__}.rows", lambda name: renamed if name == "restored_areas" else real(name)
    )
    with pytest.raises(AssertionError, match="1534 Harram is not on the map of 2019"):
        changes.restorations.__wrapped__("municipality")


# -- composing -------------------------------------------------------------------------------------------
def test_compose_sends_old_haram_straight_to_new_haram() -> None:
    mapping = compose("municipality", 2019, 2024, _never, codes=["1534", *OLD_ALESUND, "1502"])
    assert mapping["1534"] == [("1580", 1.0)]
    for code in OLD_ALESUND:
        assert mapping[code] == [("1508", 1.0)]
    assert mapping["1502"] == [("1506", 1.0)]  # Molde, merged in 2020, unaffected
    assert compose("municipality", 2017, 2025, _never, codes=["1534"])["1534"] == [("1580", 1.0)]
    # the plain chain, for comparison: through 1507, then a share of the 2024 division
    asked: list[str] = []

    def halves(split: Any) -> list[float]:
        asked.append(split.old)
        return [0.5, 0.5]

    plain = compose("municipality", 2019, 2024, halves, codes=["1534"], use_restorations=False)
    assert plain["1534"] == [("1508", 0.5), ("1580", 0.5)]
    assert asked == ["1507"]


def test_restoration_applies_only_across_its_whole_span() -> None:
    # data on 1507 (2020-2023) cannot be told apart: still a population share
    with pytest.raises(AssertionError, match="1507"):
        compose("municipality", 2021, 2024, _never, codes=["1507"])
    # before the division old Haram is part of 1507
    assert compose("municipality", 2019, 2023, _never, codes=["1534"])["1534"] == [("1507", 1.0)]


# -- harmonise forwards ----------------------------------------------------------------------------------
def test_2019_to_2024_without_population(make_table: Any) -> None:
    source = make_table(
        [
            ("1534", 2019, "admissions", 30.0),
            ("1534", 2019, "fte", 3.0),
            ("1504", 2019, "admissions", 100.0),
            ("1504", 2019, "fte", 5.0),
            ("1523", 2019, "admissions", 10.0),
            ("1529", 2019, "admissions", None, ":"),  # suppressed Skodje suppresses 1508, not 1580
            ("1546", 2019, "admissions", 4.0),
            ("1520", 2019, "admissions", 7.0),  # Ørsta, unchanged
            ("1534", 2019, "fte_per_admission", 10.0),
        ],
        variables=[ADMISSIONS, FTE, SHARE],
        geography_year=2019,
    )
    result = harmonise(source, 2024, partial="keep")  # no population, no weights: nothing is shared
    assert result.geography_year == 2024
    assert _values(result) == {
        ("1580", 2019, "admissions"): (30.0, None),
        ("1580", 2019, "fte"): (3.0, None),
        ("1580", 2019, "fte_per_admission"): (10.0, None),  # 3 / 30 * 100, recomputed
        ("1508", 2019, "admissions"): (None, ":"),
        ("1508", 2019, "fte"): (5.0, None),
        ("1520", 2019, "admissions"): (7.0, None),
    }


def test_2017_to_2025_and_series_read_as_reported(make_table: Any, population_2017_2025: StatTable) -> None:
    old = make_table([("1534", 2017, "admissions", 8.0)], geography_year=2017)
    assert _values(harmonise(old, 2025, partial="keep")) == {("1580", 2017, "admissions"): (8.0, None)}
    series = make_table(
        [
            ("1534", 2019, "admissions", 30.0),
            ("1504", 2019, "admissions", 70.0),
            ("1507", 2021, "admissions", 100.0),
            ("1580", 2024, "admissions", 31.0),
        ]
    )
    with pytest.raises(SplitAreaError, match=r"1507 Ålesund is divided between 1508 Ålesund \+ 1580 Haram"):
        harmonise(series, 2024, population=_unrelated(make_table), partial="keep")  # only 2021 needs shares
    result = _values(harmonise(series, 2024, population=population_2017_2025, partial="keep"))
    pop = _population(population_2017_2025, 2024)
    assert result[("1580", 2019, "admissions")] == (30.0, None)
    assert result[("1508", 2019, "admissions")] == (70.0, None)
    haram_2021 = 100.0 * pop["1580"] / (pop["1508"] + pop["1580"])
    assert result[("1580", 2021, "admissions")][0] == pytest.approx(haram_2021)
    assert result[("1580", 2024, "admissions")] == (31.0, None)


def test_counties_2019_to_2024(make_table: Any, population_2017_2025: StatTable) -> None:
    counties = make_table(
        [(code, 2019, "admissions", value) for code, value in (("07", 1.0), ("08", 2.0), ("19", 3.0))]
        + [(code, 2019, "admissions", value) for code, value in (("20", 4.0), ("15", 5.0))],
        level="county",
        geography_year=2019,
    )
    assert _values(harmonise(counties, 2024, partial="keep")) == {
        ("39", 2019, "admissions"): (1.0, None),
        ("40", 2019, "admissions"): (2.0, None),
        ("55", 2019, "admissions"): (3.0, None),
        ("56", 2019, "admissions"): (4.0, None),
        ("15", 2019, "admissions"): (5.0, None),
    }
    back = _values(harmonise(harmonise(counties, 2024), 2019, partial="keep"))
    assert back == _values(counties)
    viken = make_table([("02", 2019, "admissions", 9.0)], level="county", geography_year=2019)
    with pytest.raises(SplitAreaError, match="county 30 Viken is divided"):
        # Viken's division restored no county as it was
        harmonise(viken, 2024, population=_unrelated(make_table), counties="error", partial="keep")


def _unrelated(make_table: Any) -> StatTable:
    """A population that cannot share anything the tests divide (only Drammen, 2024)."""
    return make_table(  # type: ignore[no-any-return]
        [("3301", 2024, "population", 100.0)], variables=[Variable(id="population", unit="innbygger")]
    )


# -- harmonise backwards ---------------------------------------------------------------------------------
def test_2024_to_2019_haram_goes_back_whole(make_table: Any, population_2017_2025: StatTable) -> None:
    haram = make_table([("1580", 2024, "admissions", 40.0)], geography_year=2024)
    assert _values(harmonise(haram, 2019, partial="keep")) == {("1534", 2024, "admissions"): (40.0, None)}
    assert _values(harmonise(haram, 2017, partial="keep")) == {("1534", 2024, "admissions"): (40.0, None)}
    both = make_table(
        [("1580", 2024, "admissions", 40.0), ("1508", 2024, "admissions", 400.0)], geography_year=2024
    )
    with pytest.raises(SplitAreaError) as error:
        harmonise(both, 2019, population=_unrelated(make_table), partial="keep")
    message = str(error.value)
    assert "1508 Ålesund is divided between 1504 Ålesund + 1523 Ørskog + 1529 Skodje + 1546 Sandøy" in message
    assert "1534" not in message.split("(going back")[0]
    result = _values(harmonise(both, 2019, population=population_2017_2025, partial="keep"))
    pop = _population(population_2017_2025, 2019)
    held = sum(pop[c] for c in OLD_ALESUND)
    assert result[("1534", 2024, "admissions")] == (40.0, None)  # nothing of 1508 goes to old Haram
    for code in OLD_ALESUND:
        assert result[(code, 2024, "admissions")][0] == pytest.approx(400.0 * pop[code] / held)
    assert set(result) == {("1534", 2024, "admissions")} | {(c, 2024, "admissions") for c in OLD_ALESUND}


def test_backwards_weights_for_1508_or_for_the_2020_merger(make_table: Any) -> None:
    source = make_table([("1508", 2024, "admissions", 100.0)], geography_year=2024)
    direct = pa.table({"old": ["1508"] * 4, "new": list(OLD_ALESUND), "weight": [0.7, 0.1, 0.1, 0.1]})
    assert _values(harmonise(source, 2019, weights=direct, partial="keep"))[("1504", 2024, "admissions")][
        0
    ] == (pytest.approx(70.0))
    merger = pa.table(
        {
            "year": [2020] * 5,
            "old": ["1507"] * 5,
            "new": ["1504", "1523", "1529", "1534", "1546"],
            "weight": [0.4, 0.1, 0.1, 0.3, 0.1],  # kept to the four parts of 1508: 4/7, 1/7, 1/7, 1/7
        }
    )
    result = _values(harmonise(source, 2019, weights=merger, partial="keep"))
    assert result[("1504", 2024, "admissions")][0] == pytest.approx(400.0 / 7)
    assert result[("1546", 2024, "admissions")][0] == pytest.approx(100.0 / 7)
    assert ("1534", 2024, "admissions") not in result


# -- totals and the story --------------------------------------------------------------------------------
_NEAR_ALESUND = {
    2019: ["1534", *OLD_ALESUND, "1502", "1520", "0805", "0701", "2002", "1902"],
    2021: ["1507", "1506", "1520", "3806", "3801", "5401", "5403"],
    2024: ["1580", "1508", "1506", "1520", "4001", "3901", "5601", "5501"],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    from_year=st.sampled_from(sorted(_NEAR_ALESUND)),
    to_year=st.integers(min_value=2017, max_value=2025),
    values=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=12, max_size=12),
)
def test_totals_are_kept_across_restorations(
    from_year: int, to_year: int, values: list[float], make_table: Any, population_2017_2025: StatTable
) -> None:
    codes = [c for c in _NEAR_ALESUND[from_year] if c in Geography.for_year(from_year).codes("municipality")]
    rows = [(code, from_year, "admissions", value) for code, value in zip(codes, values)]
    result = harmonise(
        make_table(rows, geography_year=from_year), to_year, population=population_2017_2025, partial="keep"
    )
    assert math.fsum(r["value"] for r in result.to_pylist()) == pytest.approx(
        math.fsum(r[3] for r in rows), rel=1e-9, abs=1e-6
    )
    assert {r["region"] for r in result.to_pylist()} <= Geography.for_year(to_year).codes("municipality")


def test_the_story_still_tells_the_merger_and_the_division() -> None:
    merger = "2020 merge: 1504 Ålesund + 1523 Ørskog + 1529 Skodje + 1534 Haram + 1546 Sandøy → 1507 Ålesund"
    division = "2024 split: 1507 Ålesund → 1508 Ålesund + 1580 Haram"
    assert [str(e) for e in lineage("1534")] == [merger, division]
    assert [str(e) for e in where_from("1580", 2024)] == [division, merger]
    assert [str(e) for e in story("1580")] == [merger, division]
    assert [str(e) for e in story("1508")] == [merger, division]
    text = Geography.for_year(2024).explain_code("1534")
    assert text.endswith(f"{merger}; {division}; 1534 Haram (2019) is 1580 Haram (2024)")
