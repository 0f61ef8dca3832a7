"""Areas: codes, names, validity years, catchments."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from samhandling.errors import ValidationError
from samhandling.levels import Level
from samhandling.model import DPS, Catchment, County, District, HealthRegion, HealthTrust, Municipality

DIGITS = "0123456789"


def test_municipality_valid_and_normalised() -> None:
    drammen = Municipality(code="3301", name="  Drammen ", valid_from=2024)
    assert drammen.name == "Drammen"
    assert drammen.county == "33"  # defaults to the first two digits
    assert drammen.level is Level.MUNICIPALITY
    assert drammen.valid_in(2024)
    assert not drammen.valid_in(2023)


def test_municipality_three_digit_code_names_class_field_value_and_expectation() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Municipality(code="301", name="Oslo", county="03")
    assert str(excinfo.value) == "Municipality.code: '301' is not a 4-digit municipality code (e.g. '0301')"


def test_municipality_code_as_number_is_rejected_not_padded() -> None:
    with pytest.raises(ValidationError, match=r"Municipality\.code: 301 is not a 4-digit .* got int"):
        Municipality(code=301, name="Oslo")  # type: ignore[arg-type]


def test_municipality_county_must_match_code() -> None:
    with pytest.raises(ValidationError, match=r"Municipality\.county: '33' does not match code '0301'"):
        Municipality(code="0301", name="Oslo", county="33")


def test_validity_years_in_order() -> None:
    with pytest.raises(ValidationError, match=r"Municipality\.valid_to: 2019 is before valid_from 2020"):
        Municipality(code="3005", name="Drammen", valid_from=2020, valid_to=2019)


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name_is_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match=r"County\.name: '' is empty"):
        County(code="33", name=name)


def test_implausible_year_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"County\.valid_from: 24 is not a plausible year"):
        County(code="33", name="Buskerud", valid_from=24)


@given(st.text(alphabet=DIGITS, min_size=4, max_size=4))
def test_any_four_digit_code_is_a_municipality_code(code: str) -> None:
    assert Municipality(code=code, name="Kommune").county == code[:2]


@given(st.text(max_size=8).filter(lambda s: not (len(s) == 4 and all(c in DIGITS for c in s))))
def test_anything_else_is_rejected(code: str) -> None:
    with pytest.raises(ValidationError, match=r"^Municipality\.code: "):
        Municipality(code=code, name="Kommune")


def test_unicode_digits_are_not_code_digits() -> None:
    with pytest.raises(ValidationError):
        Municipality(code="٠٣٠١", name="Oslo")  # Arabic-Indic digits match \d but are not SSB codes


def test_from_row() -> None:
    row = {"code": "0301", "name": "Oslo", "valid_from": "2020", "valid_to": ""}
    assert Municipality.from_row(row) == Municipality(code="0301", name="Oslo", county="03", valid_from=2020)
    assert County.from_row({"code": "03", "name": "Oslo"}).level is Level.COUNTY
    assert District.from_row({"code": "030101", "name": "Gamle Oslo"}).municipality == "0301"
    pandas_like = {"code": "0301", "name": "Oslo", "valid_from": 2020.0, "valid_to": float("nan")}
    assert Municipality.from_row(pandas_like).valid_to is None  # an empty cell in a DataFrame
    with pytest.raises(ValidationError, match=r"Municipality\.from_row: the row has no 'name'"):
        Municipality.from_row({"code": "0301"})


def test_district() -> None:
    gamle_oslo = District(code="030101", name="Gamle Oslo")
    assert gamle_oslo.municipality == "0301"
    assert gamle_oslo.level is Level.DISTRICT
    with pytest.raises(ValidationError, match=r"District\.code: '0301' is not a 6-digit district"):
        District(code="0301", name="Oslo")
    with pytest.raises(ValidationError, match=r"District\.municipality: '4601' does not match"):
        District(code="030101", name="Gamle Oslo", municipality="4601")


def test_specialist_care_areas() -> None:
    region = HealthRegion(code="helse-sor-ost", name="Helse Sør-Øst RHF")
    trust = HealthTrust(code="vestre-viken", name="Vestre Viken HF", region=region.code)
    dps = DPS(code="ringerike-dps", name="Ringerike DPS", health_trust=trust.code)
    assert [region.level, trust.level, dps.level] == [Level.HEALTH_REGION, Level.HEALTH_TRUST, Level.DPS]
    with pytest.raises(ValidationError, match=r"HealthRegion\.code: 'Helse Sør-Øst' is not a code"):
        HealthRegion(code="Helse Sør-Øst", name="Helse Sør-Øst RHF")


def test_catchment_normalises_and_covers() -> None:
    catchment = Catchment(
        owner="ringerike-dps",
        level="dps",
        year=2024,
        members=["3310", "3305", "3305", "030101"],
    )
    assert catchment.level is Level.DPS
    assert catchment.members == ("030101", "3305", "3310")
    assert catchment.covers("3305")
    assert catchment.covers("030101")
    assert not catchment.covers("0301")  # only part of Oslo is in the catchment
    assert not catchment.covers("3301")
    assert catchment.municipalities == ("0301", "3305", "3310")


def test_catchment_of_whole_municipality_covers_its_districts() -> None:
    catchment = Catchment(
        owner="oslo-universitetssykehus", level=Level.HEALTH_TRUST, year=2024, members=["0301"]
    )
    assert catchment.covers("030105")


def test_catchment_errors() -> None:
    with pytest.raises(ValidationError, match=r"Catchment\.level: 'county' is not a catchment level"):
        Catchment(owner="x", level=Level.COUNTY, year=2024, members=["3305"])
    with pytest.raises(ValidationError, match=r"Catchment\.members: \(\) is empty"):
        Catchment(owner="x", level=Level.DPS, year=2024, members=[])
    with pytest.raises(ValidationError, match=r"Catchment\.members\[0\]: '33' is not a 4-digit municipality"):
        Catchment(owner="x", level=Level.DPS, year=2024, members=["3305", "33"])


def test_catchment_lone_string_is_one_member() -> None:
    catchment = Catchment(owner="x", level=Level.DPS, year=2024, members="3305")
    assert catchment.members == ("3305",)


@given(
    st.lists(
        st.text(alphabet=DIGITS, min_size=4, max_size=4) | st.text(alphabet=DIGITS, min_size=6, max_size=6),
        min_size=1,
    )
)
def test_catchment_members_are_sorted_unique_and_covered(members: list[str]) -> None:
    catchment = Catchment(owner="dps", level=Level.DPS, year=2020, members=members)
    assert catchment.members == tuple(sorted(set(members)))
    assert all(catchment.covers(member) for member in members)


def test_areas_are_frozen() -> None:
    oslo = Municipality(code="0301", name="Oslo")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        oslo.code = "0302"  # type: ignore[misc]
    assert {oslo, Municipality(code="0301", name="Oslo")} == {oslo}
