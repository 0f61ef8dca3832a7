"""Geography.for_year: the known facts of the reference data, lookups by code and name, catchments."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

import samhandling as sh
from samhandling.errors import AmbiguousNameError, UnknownCodeError, YearNotCoveredError
from samhandling.geography import (
    ChangeKind,
    Geography,
    SplitAreaError,
    code_changes,
    history,
    lineage,
    step_table,
    story,
    where_from,
)
from samhandling.geography._data import rows, sources
from samhandling.levels import Level
from samhandling.model import DPS, County, HealthTrust, Municipality


@pytest.mark.parametrize(
    ("year", "municipalities", "counties"),
    [
        (2017, 426, 19),
        (2018, 422, 18),
        (2019, 422, 18),
        (2020, 356, 11),
        (2023, 356, 11),
        (2024, 357, 15),
        (2025, 357, 15),
        (2026, 357, 15),
    ],
)
def test_number_of_municipalities_and_counties(year: int, municipalities: int, counties: int) -> None:
    geo = Geography.for_year(year)
    assert len(geo.municipalities) == municipalities
    assert len(geo.counties) == counties
    assert geo.codes("municipality") == {m.code for m in geo.municipalities}
    assert all(isinstance(m, Municipality) and m.valid_in(year) for m in geo.municipalities)


@pytest.mark.parametrize("year", [2016, 2027, 1999])
def test_year_outside_the_data(year: int) -> None:
    with pytest.raises(
        YearNotCoveredError, match=rf"year {year} is outside .* \(2017–2026\); a later year can be added"
    ):
        Geography.for_year(year)


def test_exported_lazily_from_the_package() -> None:
    assert sh.Geography is Geography
    assert sh.Geography.for_year(2024) is Geography.for_year(2024)  # cached


def test_county_reorganisations() -> None:
    assert Geography.for_year(2017).county("16").name == "Sør-Trøndelag"
    assert {c.code for c in Geography.for_year(2017).counties} >= {"16", "17", "01", "02", "06"}
    assert "50" in Geography.for_year(2018).codes("county")
    assert not {"16", "17"} & Geography.for_year(2018).codes("county")
    viken = Geography.for_year(2020).county("Viken")
    assert viken == County(code="30", name="Viken", valid_from=2020, valid_to=2023)
    geo24 = Geography.for_year(2024)
    assert {"31", "32", "33", "39", "40", "55", "56"} <= geo24.codes("county")
    assert "30" not in geo24.codes("county")
    events = [e for e in code_changes("county") if e.year == 2024]
    viken_split = next(e for e in events if e.old_codes == ("30",))
    assert viken_split.kind is ChangeKind.SPLIT
    assert viken_split.new_codes == ("31", "32", "33")
    merger = next(e for e in code_changes("county") if e.new_codes == ("50",))
    assert (merger.year, merger.kind, merger.old_codes) == (2018, ChangeKind.MERGE, ("16", "17"))


def test_ringerike_through_two_reforms() -> None:
    chain = lineage("0605")
    assert [(e.year, e.old_codes, e.new_codes) for e in chain] == [
        (2020, ("0605",), ("3007",)),
        (2024, ("3007",), ("3305",)),
    ]
    assert all(e.kind is ChangeKind.RENUMBER for e in chain)
    assert [e.year for e in where_from("3305", 2024)] == [2024, 2020]
    assert story("3305") == story("0605") == chain
    assert Geography.for_year(2019).municipality("0605").name == "Ringerike"
    assert Geography.for_year(2024).municipality("Ringerike").code == "3305"


def test_alesund_merged_in_2020_and_divided_in_2024() -> None:
    events = history("1507")
    assert [(e.year, e.kind) for e in events] == [(2020, ChangeKind.MERGE), (2024, ChangeKind.SPLIT)]
    merge, split = events
    assert merge.old_codes == ("1504", "1523", "1529", "1534", "1546")
    assert split.new_codes == ("1508", "1580")
    assert split.new_names == ("Ålesund", "Haram")
    assert [str(e) for e in lineage("1534")] == [
        "2020 merge: 1504 Ålesund + 1523 Ørskog + 1529 Skodje + 1534 Haram + 1546 Sandøy → 1507 Ålesund",
        "2024 split: 1507 Ålesund → 1508 Ålesund + 1580 Haram",
    ]


def test_a_2020_merger_nordre_follo() -> None:
    (event,) = where_from("3020", 2020)
    assert event.kind is ChangeKind.MERGE
    assert event.old_names == ("Ski", "Oppegård")
    assert set(event.old_codes) == {"0213", "0217"}


def test_history_of_an_unknown_code() -> None:
    with pytest.raises(
        UnknownCodeError, match=r"municipality code '1299' did not exist .*any year 2017–2026"
    ):
        history("1299")
    with pytest.raises(UnknownCodeError, match=r"'12345' is not a municipality .* or county"):
        history("12345")


def test_step_tables_connect_every_pair_of_neighbouring_maps() -> None:
    for year in range(2018, 2026):
        pairs = step_table("municipality", year)
        olds = {p.old for p in pairs} - {"9999"}
        news = {p.new for p in pairs} - {"9999"}
        assert olds == Geography.for_year(year - 1).codes("municipality")
        assert news == Geography.for_year(year).codes("municipality")


# -- lookups ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("bodo", "1804"),
        ("BODØ", "1804"),
        ("Bodoe", "1804"),
        ("Aalesund", "1508"),
        ("alesund", "1508"),
        ("1508", "1508"),
        ("kautokeino", "5612"),
        ("Herøy (Nordland)", "1818"),
        ("heroy nordland", "1818"),
        ("Trondheim", "5001"),
    ],
)
def test_forgiving_municipality_lookup(query: str, code: str) -> None:
    assert Geography.for_year(2024).municipality(query).code == code


def test_ambiguous_names_raise_listing_the_candidates() -> None:
    geo = Geography.for_year(2024)
    with pytest.raises(AmbiguousNameError) as excinfo:
        geo.municipality("Herøy")
    message = str(excinfo.value)
    assert "1515 Herøy" in message
    assert "1818 Herøy" in message
    assert "in 2024" in message
    with pytest.raises(AmbiguousNameError, match="Våler"):
        geo.municipality("valer")
    # find() lists the candidates instead of choosing
    assert {m.code for m in geo.find("Herøy")} == {"1515", "1818"}
    assert {type(a) for a in geo.find("Oslo")} == {County, Municipality}
    with pytest.raises(AmbiguousNameError):
        geo.area("Oslo")
    assert geo.area("Oslo", level="county").code == "03"


def test_unknown_names_and_codes_suggest_and_name_the_year() -> None:
    geo = Geography.for_year(2024)
    with pytest.raises(UnknownCodeError, match=r"no municipality 'Bodøø' in 2024; did you mean: 1804 Bodø"):
        geo.municipality("Bodøø")
    with pytest.raises(UnknownCodeError, match=r"'1507' did not exist in 2024 \(it was in use 2020–2023\)"):
        geo.municipality("1507")
    assert geo.find("Atlantis") == ()
    with pytest.raises(
        UnknownCodeError, match=r"no area with code or name 'Vestre Vikn' in 2024; did you mean"
    ):
        geo.area("Vestre Vikn")


def test_lookups_of_the_specialist_care_areas() -> None:
    geo = Geography.for_year(2024)
    assert geo.health_trust("OUS").code == "ous"
    assert geo.health_trust("Vestre Viken").name == "Vestre Viken HF"
    assert geo.health_trust("vestre-viken") == HealthTrust(
        code="vestre-viken", name="Vestre Viken HF", region="helse-sor-ost"
    )
    assert geo.dps_unit("Asker DPS") == geo.dps_unit("dps-asker") == geo.dps_unit("asker")
    assert isinstance(geo.dps_unit("Jæren"), DPS)
    assert geo.health_region("Helse Vest").code == "helse-vest"
    assert geo.district("Grünerløkka").code == "030102"
    assert len(geo.health_regions) == 4


def test_county_health_trust_and_dps_of_a_municipality() -> None:
    geo = Geography.for_year(2024)
    assert geo.county_of("3305").name == "Buskerud"
    assert geo.health_trust_of("3305").code == "vestre-viken"
    assert geo.dps_of("3305").code == "dps-ringerike"
    assert geo.health_region_of("1804").code == "helse-nord"
    assert geo.health_trust_of("030112").code == "ahus"  # Alna belongs to Groruddalen, Akershus
    assert geo.health_trust_of("030101").code == "lovisenberg"
    with pytest.raises(SplitAreaError, match=r"0301 Oslo .* split between 4 health trust catchments"):
        geo.health_trust_of("0301")
    assert geo.parents("0301", "health_trust") == ("ahus", "diakonhjemmet", "lovisenberg", "ous")
    assert geo.health_region_of("0301").code == "helse-sor-ost"  # every Oslo trust is in Sør-Øst
    assert set(geo.parents("5037", "dps")) == {"dps-levanger", "dps-stjordal"}
    with pytest.raises(UnknownCodeError, match="'3007' did not exist in 2024"):
        geo.county_of("3007")


def test_earlier_years_use_derived_catchments() -> None:
    geo = Geography.for_year(2019)
    assert geo.catchments_derived
    assert not Geography.for_year(2024).catchments_derived
    assert geo.health_trust_of("0605").code == "vestre-viken"
    assert geo.county_of("0605").name == "Buskerud"
    assert geo.health_trust_of("1534").code == "helse-more-og-romsdal"  # old Haram
    assert len(geo.parents("0301", "health_trust")) == 4


def test_membership_tables() -> None:
    geo = Geography.for_year(2024)
    county = geo.membership("county")
    assert county.column_names == ["region", "parent", "weight"]
    assert county.num_rows == len(geo.municipalities) + len(geo.districts)
    assert pc.all(pc.equal(county.column("weight"), 1.0)).as_py()
    hf = geo.membership(Level.HEALTH_TRUST)
    oslo = hf.filter(pc.equal(hf.column("region"), "0301"))
    assert oslo.num_rows == 4
    assert oslo.column("weight").null_count == 4  # shares unknown: split by district
    whole = hf.filter(pc.is_valid(hf.column("weight")))
    assert set(whole.column("region").to_pylist()) >= geo.codes("municipality") - {"0301"}
    national = geo.membership("national")
    assert set(national.column("parent").to_pylist()) == {"0"}
    with pytest.raises(UnknownCodeError, match="not possible here"):
        geo.membership("municipality")


def test_catchment_objects() -> None:
    geo = Geography.for_year(2024)
    vv = geo.catchment("vestre-viken")
    assert vv.level is Level.HEALTH_TRUST
    assert vv.year == 2024
    assert vv.covers("3305")
    assert not vv.covers("0301")
    # every municipality of 2024 is served by some health trust and some DPS
    for level in ("health_trust", "dps"):
        members = set(geo.membership(level).column("region").to_pylist())
        assert geo.codes("municipality") <= members


def test_explain_code_for_messages() -> None:
    geo = Geography.for_year(2024)
    assert geo.explain_code("3305") == "3305 Ringerike (municipality) in 2024"
    text = geo.explain_code("1507")
    assert "did not exist in 2024" in text
    assert "1508 Ålesund + 1580 Haram" in text
    later = Geography.for_year(2019).explain_code("3305")
    assert "did not exist in 2019 (it was in use 2024–2026)" in later
    assert "2020 renumber: 0605 Ringerike → 3007 Ringerike" in later
    assert geo.explain_code("abc") == "'abc' is not an area code of 2024"


def test_every_data_row_names_a_known_source() -> None:
    known = set(sources())
    for name in (
        "municipalities",
        "municipality_changes",
        "counties",
        "county_changes",
        "districts",
        "health_regions",
        "health_trusts",
        "dps",
        "catchments",
        "restored_areas",
    ):
        for row in rows(name):
            keys = {k for part in row["source"].split(";") for k in part.split("+")}
            assert keys <= known, (name, row)


def test_district_lists_for_every_year() -> None:
    # domain-check.md Check 3.6: the codes 030101–030117/99 are unchanged since 2004, Trondheim 5001xx since
    # 2018 (1601xx before), Bergen 4601xx since 2020 (1201xx before), Stavanger 1103xx with Finnøy and
    # Rennesøy since 2020 (SKDE-BOOMR, SKDE-2016, CSDATA; SSB table 10826's region list).
    assert len(Geography.for_year(2024).codes("district")) == 42
    assert len(Geography.for_year(2019).codes("district")) == 40
    assert Geography.for_year(2019).district("120101").name == "Arna"
    assert Geography.for_year(2017).district("160104").name == "Heimdal"
    assert "160104" not in Geography.for_year(2018).codes("district")
    assert "110308" not in Geography.for_year(2019).codes("district")
    assert Geography.for_year(2019).parents("030101", "county") == ("03",)
    with pytest.raises(UnknownCodeError, match="not in the 2019 district list"):
        Geography.for_year(2019).parents("030118", "county")
    with pytest.raises(UnknownCodeError, match=r"municipality code '4601' did not exist in 2019"):
        Geography.for_year(2019).parents("460101", "county")
