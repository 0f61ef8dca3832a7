"""The field's units: conversions analysts rely on, and Norwegian number parsing."""

from __future__ import annotations

import math

import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from samhandling.errors import UnitError
from samhandling.units import Quantity, convert_array, parse_quantity, parse_unit, setup_registry, ureg


def test_half_position_is_half_a_full_time_equivalent() -> None:
    assert Quantity(50, "stillingsprosent").to("årsverk").magnitude == pytest.approx(0.5)
    assert Quantity(1, "FTE") == Quantity(100, "stillingsprosent")


def test_million_kroner_with_norwegian_digits() -> None:
    total = parse_quantity("1 206,644 mill. kr")
    assert total.to("kr").magnitude == pytest.approx(1_206_644_000)
    assert parse_quantity("1\u00a0206,644 mill. kr").to("NOK").magnitude == pytest.approx(1_206_644_000)


def test_bed_days_places_and_people() -> None:
    assert Quantity(3, "liggedøgn").to("day").magnitude == 3
    assert Quantity(2, "døgn") == Quantity(2, "oppholdsdøgn")
    assert Quantity(4, "plasser").units == ureg.plass
    assert Quantity(1, "innbygger").dimensionality == Quantity(1, "pasient").dimensionality
    assert Quantity(5, "innleggelser").to("opphold").magnitude == 5


def test_rate_per_ten_thousand_inhabitants() -> None:
    rate = Quantity(12.5, "årsverk") / Quantity(50_000, "innbygger")
    assert rate.to("årsverk / ten_thousand_inhabitants").magnitude == pytest.approx(2.5)


def test_setup_registry_twice_changes_nothing() -> None:
    registry = setup_registry()
    assert setup_registry(registry) is registry
    assert registry is pint.get_application_registry().get()  # type: ignore[no-untyped-call]


def test_a_fresh_registry_gets_the_units() -> None:
    registry = setup_registry(pint.UnitRegistry())
    assert registry.Quantity(1, "årsverk").to("stillingsprosent").magnitude == pytest.approx(100)


def test_convert_a_whole_column_keeps_nan() -> None:
    out = convert_array([0.5, float("nan"), 2.0], "årsverk", "stillingsprosent")
    assert out[0] == pytest.approx(50)
    assert math.isnan(out[1])
    assert isinstance(out, np.ndarray)


def test_unknown_and_incompatible_units_are_named() -> None:
    with pytest.raises(UnitError, match="'flubber'"):
        parse_unit("flubber")
    with pytest.raises(UnitError, match="cannot convert 'årsverk' to 'kr'"):
        convert_array([1.0], "årsverk", "kr")
    with pytest.raises(UnitError, match="not a quantity"):
        parse_quantity("mange kroner")


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=999))
def test_norwegian_grouping_and_decimal_comma(whole: int, decimals: int) -> None:
    grouped = f"{whole:,}".replace(",", " ")
    text = f"{grouped},{decimals:03d} kr"
    assert parse_quantity(text).magnitude == pytest.approx(whole + decimals / 1000)
