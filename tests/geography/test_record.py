"""The reference data against the public record: every finding of the domain check this data corrects.

Each test names its source with the keys of ``docs/reference-data.md`` (and of the domain check's table of
sources): KLASS-V = SSB KLASS 131 versions per year, KLASS-C = its change table, KLASS-104 = the county
classification, SKDE-PSYK / SKDE-DPS / SKDE-BUP = SKDE Helseatlas' adult, DPS and child and adolescent
catchment lists, SKDE-2016 / SKDE-FORNY / SKDE-BOOMR = SKDE's analysis code, HMN-2019 = Helse Midt-Norge's
decisions for 2020.  Where a real SSB file is at hand, the test reads it itself.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

import samhandling as sh
from samhandling.errors import AmbiguousNameError, UnknownCodeError
from samhandling.geography import ChangeKind, Geography, code_changes, history
from samhandling.geography._data import rows, sources
from samhandling.tables import StatTable, Variable

REAL = Path(__file__).parents[2] / ".." / "shared" / "real-data" / "ssb"


# -- Check 1: names -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("year", "code", "name"),
    [
        # KLASS-V 2017: qualified Herøy, Fauske bilingual from 1 January 2017, Kåfjord bilingual until 2018
        (2017, "1515", "Herøy (Møre og Romsdal)"),
        (2017, "1818", "Herøy (Nordland)"),
        (2017, "1841", "Fauske - Fuossko"),
        (2017, "1940", "Gáivuotna - Kåfjord"),
        (2018, "1940", "Gáivuotna - Kåfjord - Kaivuono"),
        # KLASS-V 2018 and 2019 (and the library's own KLASS-C rows)
        (2019, "1870", "Sortland - Suortá"),
        (2018, "5041", "Snåase - Snåsa"),
        (2019, "5043", "Raarvihke - Røyrvik"),
        # KLASS-V 2020 (read in full): SSB's official names, not Kartverket's short ones
        (2020, "5430", "Guovdageaidnu - Kautokeino"),
        (2021, "3018", "Våler (Viken)"),
        (2020, "3419", "Våler (Innlandet)"),
        (2021, "1826", "Aarborte - Hattfjelldal"),
        (2020, "1875", "Hábmer - Hamarøy"),
        (2020, "5007", "Namsos - Nåavmesjenjaelmie"),
        (2020, "5406", "Hammerfest - Hámmerfeasta"),
        (2020, "5412", "Dielddanuorri - Tjeldsund"),
        (2020, "5437", "Kárášjohka - Karasjok"),
        (2020, "5441", "Deatnu - Tana"),
        # KLASS-V 2022: Evenes bilingual from 11 June 2021, on the map of 2022
        (2021, "1853", "Evenes"),
        (2022, "1853", "Evenes - Evenášši"),
        # KLASS-V 2023: Trondheim and Røros bilingual from 9 September 2022, on the map of 2023
        (2022, "5001", "Trondheim"),
        (2023, "5001", "Trondheim - Tråante"),
        (2023, "5025", "Røros - Rosse"),
        # KLASS-V 2023 and 2024 and KLASS-C say "Røros - Rosse" (not the earlier "Rossen")
        (2024, "5025", "Røros - Rosse"),
        (2025, "5025", "Røros - Rosse"),
        # The 2026 map (one secondary source quoting the KLASS change feed; see docs/reference-data.md)
        (2025, "0301", "Oslo"),
        (2026, "0301", "Oslo - Oslove"),
        (2026, "5006", "Steinkjer - Stïentje"),
        (2026, "5536", "Lyngen - Ivgu - Yykeä"),
    ],
)
def test_official_municipality_names_per_year(year: int, code: str, name: str) -> None:
    assert Geography.for_year(year).municipality(code).name == name


def test_the_2020_names_are_those_of_the_klass_2020_version() -> None:
    # KLASS-V 2020: 23 names differ from Kartverket's short names; all 23 are the official forms now
    klass_2020 = {
        "1515": "Herøy (Møre og Romsdal)", "1818": "Herøy (Nordland)", "1826": "Aarborte - Hattfjelldal",
        "1841": "Fauske - Fuossko", "1870": "Sortland - Suortá", "1875": "Hábmer - Hamarøy",
        "3018": "Våler (Viken)", "3419": "Våler (Innlandet)", "5007": "Namsos - Nåavmesjenjaelmie",
        "5041": "Snåase - Snåsa", "5043": "Raarvihke - Røyrvik", "5402": "Harstad - Hárstták",
        "5406": "Hammerfest - Hámmerfeasta", "5412": "Dielddanuorri - Tjeldsund",
        "5415": "Loabák - Lavangen", "5425": "Storfjord - Omasvuotna - Omasvuono",
        "5426": "Gáivuotna - Kåfjord - Kaivuono", "5428": "Nordreisa - Ráisa - Raisi",
        "5430": "Guovdageaidnu - Kautokeino", "5436": "Porsanger - Porsángu - Porsanki",
        "5437": "Kárášjohka - Karasjok", "5441": "Deatnu - Tana", "5442": "Unjárga - Nesseby",
    }  # fmt: skip
    geo = Geography.for_year(2020)
    assert {code: geo.municipality(code).name for code in klass_2020} == klass_2020


@pytest.mark.skipif(not REAL.is_dir(), reason="the real SSB files are not at hand")
def test_names_2020_against_ssbs_own_csv_export() -> None:
    # klass131_kommuner_2020-01: SSB's CSV export of KLASS 131 (Latin-1), parsed here with the csv module.
    # It was exported in January 2020: four names SSB completed later in the 2020 version differ (Sortland,
    # Namsos, Hammerfest, Tjeldsund) and one whose parts it ordered differently (Hamarøy - Hábmer), and
    # letters outside Latin-1 came out as '?'.
    path = REAL / "klass131_kommuner_2020-01_semicolon_latin1.csv"
    with path.open(encoding="latin-1", newline="") as handle:
        exported = {
            r["code"]: r["name"] for r in csv.DictReader(handle, delimiter=";") if r["code"] != "9999"
        }
    geo = Geography.for_year(2020)
    assert set(exported) == geo.codes("municipality")
    later = {"1870", "1875", "5007", "5406", "5412"}
    differing = {c for c, n in exported.items() if geo.municipality(c).name != n and "?" not in n}
    assert differing == later
    assert geo.municipality("1870").name.startswith(exported["1870"])


def test_short_names_are_search_aliases() -> None:
    geo = Geography.for_year(2022)
    assert geo.municipality("Kautokeino").code == "5430"
    assert geo.municipality("Kautokeino").short_name == "Kautokeino"
    assert geo.municipality("Hattfjelldal").name == "Aarborte - Hattfjelldal"
    with pytest.raises(AmbiguousNameError, match=r"1515.*1818"):
        geo.municipality("Herøy")
    assert geo.municipality("Herøy (Nordland)").code == "1818"
    assert Geography.for_year(2026).municipality("Oslo").code == "0301"


@pytest.mark.parametrize(
    ("year", "code", "name"),
    [
        (2019, "19", "Troms - Romsa"),  # KLASS-104 2016–2018
        (2019, "20", "Finnmark - Finnmárku"),
        (2019, "50", "Trøndelag"),
        (2020, "50", "Trøndelag - Trööndelage"),  # KLASS 104 CSV export of January 2020
        (2020, "54", "Troms og Finnmark - Romsa ja Finnmárku"),
        (2021, "18", "Nordland"),
        (2022, "18", "Nordland - Nordlánnda"),  # KLASS-104 as recorded 2022–2023; FHI log: new in 2022
        (2023, "54", "Troms og Finnmark - Romsa ja Finnmárku - Tromssa ja Finmarkku"),
        (2026, "03", "Oslo - Oslove"),
    ],
)
def test_county_names_with_their_sami_and_kven_forms(year: int, code: str, name: str) -> None:
    assert Geography.for_year(year).county(code).name == name


@pytest.mark.skipif(not REAL.is_dir(), reason="the real SSB files are not at hand")
def test_county_names_2020_against_ssbs_csv_export() -> None:
    path = REAL / "klass104_fylker_2020-01_semicolon_latin1.csv"
    with path.open(encoding="latin-1", newline="") as handle:
        exported = {r["code"]: r["name"] for r in csv.DictReader(handle, delimiter=";") if r["code"] != "99"}
    geo = Geography.for_year(2020)
    assert {c.code: c.name for c in geo.counties} == exported


# -- Check 2a: change rows ---------------------------------------------------------------------------------
def test_change_table_as_klass_records_it() -> None:
    # KLASS-C and the KLASS 2017 version's intro: part of Stokke (about 2,200 people) went to Tønsberg in 2017
    stokke = next(e for e in code_changes() if e.year == 2017 and "0720" in e.old_codes)
    assert "0704" in stokke.new_codes
    assert "0710" in stokke.new_codes
    assert stokke.kind is ChangeKind.SPLIT
    # KLASS-C dates Kåfjord's trilingual name 2018-01-01
    kafjord = next(e for e in history("1940") if e.kind is ChangeKind.RENAME)
    assert kafjord.year == 2018
    # KLASS-C has no 2020 boundary rows for Evenes and Røros
    assert not [e for e in history("1853") if e.year == 2020]
    assert not [e for e in history("5025") if e.kind is ChangeKind.BOUNDARY]
    # the 2024 renumbering rows carry the official old names (KLASS-V 2020/2023)
    harstad = next(e for e in history("5503") if e.year == 2024)
    assert harstad.old_names == ("Harstad - Hárstták",)
    # 2026: a boundary adjustment in Indre Østfold, three renames
    events = [e for e in code_changes() if e.year == 2026]
    assert {(e.kind, e.old_codes) for e in events} == {
        (ChangeKind.BOUNDARY, ("3118",)),
        (ChangeKind.RENAME, ("0301",)),
        (ChangeKind.RENAME, ("5006",)),
        (ChangeKind.RENAME, ("5536",)),
    }


def test_change_rows_use_the_names_of_the_maps() -> None:
    for row in rows("municipality_changes"):
        year = int(row["year"])
        if year == 2017:
            continue
        assert Geography.for_year(year - 1).municipality(row["old_code"]).name == row["old_name"], row
        assert Geography.for_year(year).municipality(row["new_code"]).name == row["new_name"], row


# -- Check 3.1: catchments of the years before 2024 ----------------------------------------------------------
@pytest.mark.parametrize(
    ("year", "code", "trust"),
    [
        # SKDE-2016 (402, 418, 419, 420, 423, 236 → BoHF 19) and SKDE-FORNY: Kongsvinger sykehus joined
        # Akershus universitetssykehus on 1 February 2019
        (2017, "0402", "sykehuset-innlandet"),
        (2018, "0402", "sykehuset-innlandet"),
        (2019, "0402", "ahus"),
        (2018, "0418", "sykehuset-innlandet"),
        (2018, "0419", "sykehuset-innlandet"),
        (2018, "0420", "sykehuset-innlandet"),
        (2018, "0423", "sykehuset-innlandet"),
        (2018, "0236", "sykehuset-innlandet"),
        (2019, "0236", "ahus"),
        # SKDE-2016 (211 → 15 Ahus), SKDE-FORNY: Sykehuset Østfold local hospital of Vestby from 2018
        (2017, "0211", "ahus"),
        (2018, "0211", "sykehuset-ostfold"),
        # SKDE-2016 (713 → 20 Vestre Viken), SKDE-FORNY: Sande in Vestre Viken before 2020
        (2017, "0713", "vestre-viken"),
        (2019, "0713", "vestre-viken"),
        (2020, "3802", "sykehuset-i-vestfold"),
        # SKDE-2016 (1850 → Bodø), SKDE-FORNY: Tysfjord moved from Bodø to Narvik at its division in 2020
        (2019, "1850", "nordlandssykehuset"),
        # SKDE-2016, SKDE-FORNY, HMN-2019: Hornindal, Halsa, Roan, Leksvik before the 2020 adjustments
        (2019, "1444", "helse-forde"),
        (2020, "1577", "helse-more-og-romsdal"),
        (2019, "1571", "helse-more-og-romsdal"),
        (2020, "5055", "st-olavs"),
        (2017, "1632", "helse-nord-trondelag"),
        (2019, "5019", "helse-nord-trondelag"),
        (2020, "5058", "st-olavs"),
        (2017, "1718", "helse-nord-trondelag"),
    ],
)
def test_health_trust_per_year_as_recorded(year: int, code: str, trust: str) -> None:
    geo = Geography.for_year(year)
    assert geo.health_trust_of(code).code == trust
    if year < 2020:
        basis = geo.catchment_basis(code)
        assert basis.basis == "recorded"
        assert {"skde-2016", "skde-forny"} & set(basis.source.split(";"))


def test_indre_fosen_2018_and_2019_is_split() -> None:
    # SKDE-2016 (1718 Leksvik → 6 Helse Nord-Trøndelag, 1624 Rissa → 7 St. Olavs); HMN-2019: Indre Fosen
    # became part of St. Olavs' catchment by the decision of June 2019
    for year in (2018, 2019):
        assert Geography.for_year(year).parents("5054", "health_trust") == (
            "helse-nord-trondelag",
            "st-olavs",
        )
    assert Geography.for_year(2020).health_trust_of("5054").code == "st-olavs"


def test_a_year_takes_the_catchment_in_force_most_of_it() -> None:
    geo = Geography.for_year(2019)  # Kongsvinger to Ahus on 1 February 2019 (SKDE-FORNY)
    assert "1 February 2019" in geo.catchment_basis("0402").note
    assert geo.dps_of("0402").code == "dps-kongsvinger"
    assert geo.dps_of("0402").health_trust == "ahus"
    assert Geography.for_year(2018).dps_unit("dps-kongsvinger").health_trust == "sykehuset-innlandet"


def test_derived_catchments_are_marked() -> None:
    geo = Geography.for_year(2019)
    basis = geo.catchment_basis("0605")  # Ringerike: no record for 2019, carried from 2024
    assert basis.basis == "derived"
    assert basis.derived_from == 2024
    assert geo.catchments_derived
    assert Geography.for_year(2024).catchment_basis("3305").basis == "published"
    assert not Geography.for_year(2024).catchments_derived


def test_no_dps_where_no_source_names_one() -> None:
    # Sande 2019: its health trust (Vestre Viken, SKDE-2016) is not the owner of the DPS its successor
    # Holmestrand belongs to; no source names Sande's DPS, so none is shipped (and roll-ups say so).
    geo = Geography.for_year(2019)
    with pytest.raises(UnknownCodeError, match=r"0713 Sande \(Vestfold\).*no dps catchment.*no source names"):
        geo.dps_of("0713")
    table = StatTable.from_pydict(
        {"region": ["0713", "0715"], "level": ["municipality"] * 2, "year": [2019] * 2,
         "variable": ["x"] * 2, "value": [1.0, 2.0]},
        variables=[Variable(id="x", unit="person")], geography_year=2019,
    )  # fmt: skip
    with pytest.raises(sh.geography.SplitAreaError, match="has no dps catchment"):
        sh.roll_up(table, "dps")
    kept = sh.roll_up(table, "dps", unassigned="exclude")
    assert kept.meta.extra["roll_up_excluded"] == ["0713"]


# -- Check 3.2: one rule between the health-trust and DPS layers ---------------------------------------------
@pytest.mark.parametrize("year", Geography.shipped_years())
def test_health_trust_of_and_dps_of_agree_for_every_area(year: int) -> None:
    # The rule: a DPS's members lie in its owning health trust's catchment, unless the exception is recorded
    # with its sources (data/catchment_exceptions.csv).
    geo = Geography.for_year(year)
    owner = {d.code: d.health_trust for d in geo.dps}
    exceptions = {e.member: e for e in geo.catchment_exceptions()}
    checked = 0
    for code in [m.code for m in geo.municipalities] + [d.code for d in geo.districts]:
        trusts = set(geo.parents(code, "health_trust"))
        if geo.unassigned_reason(code, "dps") is not None:
            continue
        owners = {owner[d] for d in geo.parents(code, "dps")}
        if code in exceptions:
            assert owners == {owner[exceptions[code].dps]}
            assert trusts == {exceptions[code].health_trust}
            assert exceptions[code].source
            continue
        assert owners == trusts, (year, code, trusts, owners)
        checked += 1
    assert checked > 350


def test_the_recorded_exceptions() -> None:
    # SKDE-PSYK vs SKDE-DPS: Sentrum (OUS / Lovisenberg DPS), Selbu and Tydal (St. Olavs / Stjørdal DPS);
    # SKDE-BOOMR 2026-04: Alna to OUS from January 2026 while SKDE-DPS keeps it in Groruddalen DPS
    assert {e.member for e in Geography.for_year(2024).catchment_exceptions()} == {"030116", "5032", "5033"}
    assert {e.member for e in Geography.for_year(2017).catchment_exceptions()} == {"030116", "1664", "1665"}
    assert "030112" in {e.member for e in Geography.for_year(2026).catchment_exceptions()}


def test_holmestrand_is_in_the_dps_its_health_trust_owns() -> None:
    # SKDE-DPS assigns 3903 Holmestrand to Vestfold DPS (noting a split with Drammen DPS in practice);
    # SKDE-PSYK puts it wholly under Sykehuset i Vestfold.
    geo = Geography.for_year(2024)
    assert geo.dps_of("3903").code == "dps-vestfold"
    assert geo.health_trust_of("3903").code == "sykehuset-i-vestfold"


def test_rolling_up_directly_and_via_dps_gives_the_same_health_trusts() -> None:
    # Every area counts 1 except the recorded exceptions and the areas split between DPSs of one health
    # trust (Levanger, Kristiansand, Trondheim: SKDE-DPS "split in practice"; Bergen and Stavanger, whose
    # DPSs are drawn by district), which are given 0 and equal weights.
    geo = Geography.for_year(2024)
    codes = sorted(geo.codes("municipality") - {"0301"}) + sorted(
        d.code for d in geo.districts if d.municipality == "0301"
    )
    zero = {e.member for e in geo.catchment_exceptions()} | {
        c for c in codes if len(geo.parents(c, "dps")) > 1
    }
    assert {"5037", "4204", "5001"} <= zero
    table = StatTable.from_pydict(
        {"region": codes, "level": ["municipality" if len(c) == 4 else "district" for c in codes],
         "year": [2024] * len(codes), "variable": ["x"] * len(codes),
         "value": [0.0 if c in zero else 1.0 for c in codes]},
        variables=[Variable(id="x", unit="person")], geography_year=2024,
    )  # fmt: skip
    direct = {r["region"]: r["value"] for r in sh.roll_up(table, "health_trust").to_pylist()}
    split = {c: geo.parents(c, "dps") for c in sorted(zero) if len(geo.parents(c, "dps")) > 1}
    weights = pa.table(
        {
            "region": [c for c, parents in split.items() for _ in parents],
            "parent": [p for parents in split.values() for p in parents],
            "weight": [1.0 / len(parents) for parents in split.values() for _ in parents],
        }
    )
    owner = {d.code: d.health_trust for d in geo.dps}
    via: dict[str, float] = {}
    for row in sh.roll_up(table, "dps", weights=weights).to_pylist():
        via[owner[row["region"]]] = via.get(owner[row["region"]], 0.0) + row["value"]
    assert via == pytest.approx(direct)
    assert sum(direct.values()) == len(codes) - len(zero)


# -- Check 3.3: kinds of catchment ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "adult", "child"),
    [
        ("4635", "helse-bergen", "helse-forde"),  # Gulen: SKDE-PSYK vs SKDE-BUP
        ("4619", "helse-bergen", "helse-fonna"),  # Eidfjord
        ("030116", "ous", "lovisenberg"),  # Sentrum
        ("3305", "vestre-viken", "vestre-viken"),
    ],
)
def test_adult_and_child_catchments_are_separate_layers(code: str, adult: str, child: str) -> None:
    geo = Geography.for_year(2024)
    assert geo.health_trust_of(code, kind="vop").code == adult
    assert geo.health_trust_of(code).code == adult  # the default is adult mental health
    assert geo.health_trust_of(code, kind="bup").code == child


def test_kinds_without_a_source_say_so() -> None:
    geo = Geography.for_year(2024)
    with pytest.raises(UnknownCodeError, match=r"substance-use treatment .TSB. has been found"):
        geo.health_trust_of("3305", kind="tsb")
    with pytest.raises(UnknownCodeError, match=r"BUP. has no DPS catchments"):
        geo.dps_of("3305", kind="bup")
    catchment = geo.catchment("helse-forde", kind="bup")
    assert "4635" in catchment.members
    assert catchment.kind.value == "bup"
    table = StatTable.from_pydict(
        {"region": ["4635"], "level": ["municipality"], "year": [2024], "variable": ["x"], "value": [1.0]},
        variables=[Variable(id="x", unit="person")], geography_year=2024,
    )  # fmt: skip
    bup = sh.roll_up(table, "health_trust", kind="bup", partial="keep")
    assert bup.to_pylist()[0]["region"] == "helse-forde"
    assert bup.meta.extra["catchment_kind"] == "bup"


# -- Check 3.6 and 3.7: districts before 2024, and 2026 ------------------------------------------------------
def test_oslo_districts_in_every_year() -> None:
    geo = Geography.for_year(2022)
    assert len([d for d in geo.districts if d.municipality == "0301"]) == 18
    assert geo.health_trust_of("030112").code == "ahus"  # Alna, derived from SKDE-PSYK 2024
    assert geo.health_trust_of("030105").code == "diakonhjemmet"
    assert geo.parents("0301", "health_trust") == ("ahus", "diakonhjemmet", "lovisenberg", "ous")
    assert Geography.for_year(2017).district("030101").name == "Gamle Oslo"


def test_alna_moves_to_ous_in_2026() -> None:
    # SKDE-BOOMR (2026-04): "Fra januar 2026 flyttes bydel 30112 Alna til opptaksområdet OUS"
    assert Geography.for_year(2025).health_trust_of("030112").code == "ahus"
    geo = Geography.for_year(2026)
    for kind in ("vop", "bup"):
        assert geo.health_trust_of("030112", kind=kind).code == "ous"
    basis = geo.catchment_basis("030112")
    assert basis.basis == "recorded"
    assert "skde-boomr" in basis.source
    assert "general (somatic)" in basis.note


def test_every_source_key_is_explained_with_its_quality() -> None:
    known = sources()
    for name in ("catchments", "catchment_exceptions", "district_changes", "dps"):
        for row in rows(name):
            keys = {k for part in row["source"].split(";") for k in part.split("+")}
            assert keys <= set(known), (name, row)
    assert all(row["quality"] for row in known.values())
    assert "secondary" in known["klass131-2026-note"]["quality"]


def test_storfjord_as_skdes_dps_file_has_it() -> None:
    # domain-check Check 3.5: SKDE-DPS puts 5538 Storfjord in Tromsø og omegn DPS, SKDE-BOOMR in Nord-Troms
    # DPS; unresolved, the DPS file is shipped (docs/reference-data.md, limits)
    assert Geography.for_year(2024).dps_of("5538").code == "dps-tromso-og-omegn"


def test_a_split_without_districts_is_not_told_to_ask_for_districts() -> None:
    # domain-check, other observations: the SplitAreaError for an area without districts said "ask for one
    # of its city districts", which is not possible there
    with pytest.raises(sh.geography.SplitAreaError) as caught:
        Geography.for_year(2024).dps_of("5037")  # Levanger: Levanger DPS and Stjørdal DPS in practice
    assert "city districts" not in str(caught.value)
    assert "roll-ups need weights" in str(caught.value)
    with pytest.raises(sh.geography.SplitAreaError, match="ask for one of its city districts"):
        Geography.for_year(2024).health_trust_of("0301")
