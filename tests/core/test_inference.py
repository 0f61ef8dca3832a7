"""Units and additivity inferred from names, labels, unit texts and titles — conservatively."""

from __future__ import annotations

import pytest

from samhandling.inference import (
    UNIT_TEXTS,
    infer_variable,
    is_non_additive,
    unit_from_text,
    units_in_brackets,
)
from samhandling.units import parse_unit


@pytest.mark.parametrize(
    ("variable_id", "label", "unit", "title", "expected_unit", "additive"),
    [
        # rates, shares, coverage, averages: never additive, whatever else they say
        ("kostnad_pr_1000_innbyggere", "", None, "", "count / thousand_inhabitants", False),
        ("x", "Avtalte årsverk per 10 000 innbyggere", None, "", "årsverk / ten_thousand_inhabitants", False),
        ("x", "Vedtak per 100 000 innbyggere", "antall", "", "count / hundred_thousand_inhabitants", False),
        ("dekningsgrad", "", None, "", "dimensionless", False),
        ("x", "Prosentandel med individuell plan", None, "", "dimensionless", False),
        ("x", "Andel brukere (prosent)", None, "", "percent", False),
        ("x", "Sykefravær", None, "12909: Legemeldt sykefravær (prosent), etter kvartal", "percent", False),
        ("x", "Konsultasjoner per person", None, "", "konsultasjon / person", False),
        ("x", "Gjennomsnittlig liggetid (døgn)", None, "", "døgn", False),
        ("x", "Månedslønn (kr)", None, "", "NOK", False),
        ("x", "Ginikoeffisient", "ginikoeffisient", "", "dimensionless", False),
        ("x", "Personer", None, "", "person", True),
        # counts, money, FTEs: additive, with the unit the label or SSB says
        ("x", "Netto driftsutgifter (1 000 kr)", None, "", "thousand_NOK", True),
        ("x", "Brutto driftsutgifter (mill. kr)", None, "", "million_NOK", True),
        ("x", "Avtalte årsverk (årsverk)", None, "", "årsverk", True),
        ("x", "Brukere (antall)", None, "", "count", True),
        ("x", "Vekt (tonn)", None, "", "tonne", True),
        ("x", "Areal (km²)", None, "", "km**2", True),
        ("x", "Innvandring", "personar", "", "person", True),
        ("x", "Utgifter", "mrd. kr", "", "billion_NOK", True),
        ("x", "Plasser i alt", None, "", "count", True),
    ],
)
def test_inferred_units_and_additivity(
    variable_id: str, label: str, unit: str | None, title: str, expected_unit: str, additive: bool
) -> None:
    inferred = infer_variable(variable_id, label=label, unit=unit, title=title)
    assert (inferred.variable.unit, inferred.variable.additive) == (expected_unit, additive)
    parse_unit(inferred.variable.unit)  # every unit is one of the registry


def test_declarations_win_and_unknown_units_are_kept_as_text() -> None:
    assert infer_variable("andel", additive=True).variable.additive is True
    odd = infer_variable("x", label="Timar i veka", unit="timar i veka")
    assert (odd.variable.unit, odd.unmapped_unit) == ("dimensionless", "timar i veka")
    assert infer_variable("x", label="Brukere", measuring_type="Average").variable.additive is False
    assert infer_variable("x", label="Brukere", measuring_type="Stock").variable.additive is True


def test_the_mapping_and_its_helpers() -> None:
    for text, unit in UNIT_TEXTS.items():
        parse_unit(unit)
        assert unit_from_text(text.upper() if text.isascii() else text) == unit
    assert unit_from_text("konsultasjoner per person") is None  # only single words are read as pint
    assert units_in_brackets("Utgifter (legemeldt) (1 000 kr)") == ["1 000 kr"]
    assert units_in_brackets("Hovedalternativ (MMM)") == []
    assert is_non_additive("utgift_pr_innbygger")
    assert not is_non_additive("Personer", "Handel i alt")  # "handel" does not hold a share
