"""Region labels, dimension categories and the curated catalogue."""

from __future__ import annotations

import pytest
from samhandling_kostra import CATALOGUE, parse_region_label
from samhandling_kostra.catalogue import lookup, registered_variables, unit_from_ssb, variable_for
from samhandling_kostra.dimensions import (
    UnreadableCategory,
    column_name,
    normalise_age,
    normalise_sex,
    parse_period,
    slug,
)
from samhandling_kostra.regions import UnreadableRegion


@pytest.mark.parametrize(
    ("label", "code", "level", "name"),
    [
        ("3301 Drammen", "3301", "municipality", "Drammen"),
        ("K-3301 Drammen", "3301", "municipality", "Drammen"),
        ("0602 Drammen (-2019)", "0602", "municipality", "Drammen"),
        ("3005 Drammen (2020-2023)", "3005", "municipality", "Drammen"),
        ("0 Hele landet", "0", "national", "Hele landet"),
        ("Hele landet", "0", "national", "Hele landet"),
        ("EAK Landet", "0", "national", "Landet"),
        ("EAK", "0", "national", "Landet"),
        ("33 Buskerud", "33", "county", "Buskerud"),
        ("F-33 Buskerud", "33", "county", "Buskerud"),
        ("EKA33 Buskerud", "33", "county", "Buskerud"),
        ("030101 Gamle Oslo", "030101", "district", "Gamle Oslo"),
        ("EKG13 KOSTRA-gruppe 13", "EKG13", "kostra_group", "KOSTRA-gruppe 13"),
        ("EAKUO Landet uten Oslo", "EAKUO", "aggregate", "Landet uten Oslo"),
        ("  3303   Kongsberg ", "3303", "municipality", "Kongsberg"),
    ],
)
def test_region_labels(label: str, code: str, level: str, name: str) -> None:
    parsed = parse_region_label(label)
    assert (parsed.code, parsed.level, parsed.name) == (code, level, name)
    assert parsed.is_area == (level not in ("kostra_group", "aggregate"))


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Drammen", "no area code"),
        ("", "empty region"),
        ("12345678 Grunnkrets", "8 digits"),
        ("K-33 Buskerud", "prefix 'K-' means a municipality"),
    ],
)
def test_unreadable_region_labels(label: str, message: str) -> None:
    with pytest.raises(UnreadableRegion, match=message):
        parse_region_label(label)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("0 år", "0"),
        ("000", "0"),
        ("000 0 år", "0"),
        ("104 år", "104"),
        ("105 år eller eldre", "105+"),
        ("105+", "105+"),
        ("0-17 år", "0-17"),
        ("00-06", "0-6"),
        ("67 år og over", "67+"),
        ("80 years or older", "80+"),
        ("Alle aldre", "total"),
        ("999B", "total"),
        ("Uoppgitt alder", "unknown"),
    ],
)
def test_ages(text: str, age: str) -> None:
    assert normalise_age(text) == age


def test_sex_periods_and_names() -> None:
    assert [normalise_sex(t) for t in ("Menn", "2", "Begge kjønn", "1 Menn")] == [
        "male",
        "female",
        "total",
        "male",
    ]
    with pytest.raises(UnreadableCategory):
        normalise_sex("ukjent")
    with pytest.raises(UnreadableCategory):
        normalise_age("mange år")
    assert parse_period("2024") == (2024, None)
    assert parse_period("2024M03") == (2024, 3)
    for bad in ("2024K1", "2024M13", "2023-2024"):
        with pytest.raises(UnreadableCategory):
            parse_period(bad)
    assert column_name("Alder") == "age"
    assert column_name("KOKkommuneregion0000") == "region"
    assert column_name("type tiltak") == "type_tiltak"
    assert slug("Avtalte årsverk, Æ/Ø") == "avtalte_arsverk_ae_o"


def test_catalogue_matches_labels_with_units_and_codes() -> None:
    entry = lookup(label="Avtalte årsverk av psykiatriske sykepleiere (årsverk)")
    assert entry is not None
    assert entry.variable.id == "psychiatric_nurse_fte"
    assert lookup(table="07459", code="Personer1") is not None
    assert lookup(code="KOSaarsverkhelso0000") is not None
    variable, fixed, unmapped = variable_for(table="12228", code=None, label="Befolkning 18-66 år")
    assert (variable.id, fixed, unmapped) == ("population", {"age": "18-66"}, None)


def test_uncurated_contents_take_unit_and_additivity_from_ssb() -> None:
    counted, _, _ = variable_for(table="12003", code="KOSbrukere0000", label="Brukere i alt", unit="antall")
    assert (counted.id, counted.unit, counted.additive) == ("kosbrukere0000", "count", True)
    share, _, _ = variable_for(table=None, code=None, label="Andel brukere (prosent)")
    assert (share.id, share.unit, share.additive) == ("andel_brukere", "percent", False)
    odd, _, unmapped = variable_for(table=None, code=None, label="Timar i veka", unit="timar i veka")
    assert odd.unit == "dimensionless"
    assert unmapped == "timar i veka"
    assert unit_from_ssb("1000 kr") == "thousand_NOK"
    assert unit_from_ssb(None) is None


def test_registered_variables_are_unique_and_parse() -> None:
    from samhandling.units import parse_unit

    variables = registered_variables()
    ids = [v.id for v in variables]
    assert len(ids) == len(set(ids))
    assert "population" not in ids
    assert "ohd_beds" in ids
    for entry in CATALOGUE:
        parse_unit(entry.variable.unit)
        assert entry.tables or entry.labels or entry.codes
