"""Target groups (målgrupper) and their age bands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samhandling.errors import ValidationError
from samhandling.model import BUILTIN_TARGET_GROUPS, TargetGroup

GROUPS = {group.code: group for group in BUILTIN_TARGET_GROUPS}


def test_catalogue_codes_are_unique() -> None:
    codes = [group.code for group in BUILTIN_TARGET_GROUPS]
    assert len(codes) == len(set(codes))


def test_catalogue_has_the_field_s_groups() -> None:
    assert {
        "rop",
        "alvorlige_lidelser",
        "unge_sammensatte_behov",
        "tar_ikke_imot_hjelp",
        "ressurssvake_familier",
        "flyktninger",
        "barn_unge",
        "venter_rusbehandling",
        "eldre",
        "stor_funksjonssvikt",
        "voksne",
    } <= GROUPS.keys()
    assert "ROP" in GROUPS["rop"].name


def test_age_bands_used_for_rates() -> None:
    assert GROUPS["barn_unge"].age_band == (0, 17)
    assert GROUPS["voksne"].age_band == (18, None)
    assert GROUPS["eldre"].age_band == (67, None)
    assert GROUPS["rop"].age_band is None


@given(st.integers(min_value=0, max_value=120))
def test_children_and_adults_split_every_age(age: int) -> None:
    assert GROUPS["barn_unge"].includes_age(age) != GROUPS["voksne"].includes_age(age)


def test_age_band_from_list() -> None:
    group = TargetGroup(code="unge_voksne", name="Unge voksne", name_en="Young adults", age_band=[18, 25])
    assert group.age_band == (18, 25)


@pytest.mark.parametrize(
    ("band", "message"),
    [
        ((17, 0), r"TargetGroup\.age_band: \(17, 0\) has an invalid highest age 0"),
        ((-1, None), r"has an invalid lowest age -1"),
        ((18,), r"is not an age band"),
    ],
)
def test_invalid_age_band(band: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TargetGroup(code="x", name="x", name_en="x", age_band=band)  # type: ignore[arg-type]
