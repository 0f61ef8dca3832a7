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
        ("EAKUO Landet uten Oslo", "EAKUO", "kostra_group", "Landet uten Oslo"),
        ("  3303   Kongsberg ", "3303", "municipality", "Kongsberg"),
        # pseudo-regions SSB adds to "all municipalities" (Norwegian and English labels)
        ("K-21-22 Svalbard og Jan Mayen", "21-22", "unallocated", "Svalbard og Jan Mayen"),
        ("K-21-22 Svalbard and Jan Mayen", "21-22", "unallocated", "Svalbard and Jan Mayen"),
        ("K-23 Kontinentalsokkelen", "23", "unallocated", "Kontinentalsokkelen"),
        ("K-Rest Delte kommuner og uoppgitt", "Rest", "unallocated", "Delte kommuner og uoppgitt"),
        (
            "K-Rest Divided municalities and unknown",
            "Rest",
            "unallocated",
            "Divided municalities and unknown",
        ),
        ("21 Svalbard", "21", "unallocated", "Svalbard"),
        ("88 Ikke bosatt i Norge", "88", "unallocated", "Ikke bosatt i Norge"),
        ("99 Uoppgitt fylke", "99", "unallocated", "Uoppgitt fylke"),
        ("9999 Uoppgitt", "9999", "unallocated", "Uoppgitt"),
        ("2111 Spitsbergen", "2111", "unallocated", "Spitsbergen"),
        # grouped and historical codes
        ("02-03 Oslo og Akershus (-2019)", "02-03", "region_group", "Oslo og Akershus"),
        ("03+30 Oslo og Viken", "03+30", "region_group", "Oslo og Viken"),
        ("TOTAL Hele landet", "0", "national", "Hele landet"),
        ("13 Bergen (t.o.m. 1971)", "13", "county", "Bergen"),
        # city districts: letter suffixes, city totals, unknown districts and earlier divisions
        ("030101a Gamle Oslo", "030101", "district", "Gamle Oslo"),
        ("030101 Bygdøy-Frogner (1988-2003)", "030101:1988-2003", "historical_district", "Bygdøy-Frogner"),
        ("160101a Midtbyen (2005-2017)", "160101:2005-2017", "historical_district", "Midtbyen"),
        ("120101 Arna (-2019)", "120101:-2019", "historical_district", "Arna"),
        ("030100aa Oslo total", "0301", "municipality", "Oslo total"),
        ("460100 Bergen total", "4601", "municipality", "Bergen total"),
        ("030100a Oslo total (2001-2003)", "030100:2001-2003", "historical_district", "Oslo total"),
        ("030199a Unknown urban district Oslo", "030199", "unallocated", "Unknown urban district Oslo"),
        (
            "030199 Unknown urban district Oslo (1988-2003)",
            "030199:1988-2003",
            "unallocated",
            "Unknown urban district Oslo",
        ),
    ],
)
def test_region_labels(label: str, code: str, level: str, name: str) -> None:
    parsed = parse_region_label(label)
    assert (parsed.code, parsed.level, parsed.name) == (code, level, name)
    assert parsed.is_area == (level not in ("kostra_group", "unallocated", "region_group"))


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Drammen", "the label has no region code"),
        ("", "empty region"),
        ("12345678 Grunnkrets", "8 digits"),
        ("K-33 Buskerud", "prefix 'K-' means a municipality"),
        ("3301a Drammen", "letters after a 4-digit code"),
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
    assert parse_period("2024K1") == (2024, 1)
    assert parse_period("2023-2024") == (2023, None)
    for bad in ("2024M13", "2020-2023", "2024H1"):
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
